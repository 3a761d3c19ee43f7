/* SPDX-License-Identifier: MIT */
/*
 * buf.c - growable buffers and overflow-checked array growth.
 */
#include "common/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/error.h"

int ph_array_grow(void **array, size_t *cap, size_t need, size_t elem)
{
	size_t ncap = *cap ? *cap : 16;
	void *p;

	if (need <= *cap)
		return 0;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2)
			return ph_error(PH_ENOMEM, "array of %zu elements is too large", need);
		ncap *= 2;
	}
	if (elem && ncap > SIZE_MAX / elem)
		return ph_error(PH_ENOMEM, "array of %zu elements of %zu bytes is too large", ncap,
				elem);
	p = realloc(*array, ncap * elem);
	if (!p)
		return ph_error(PH_ENOMEM, "cannot allocate %zu bytes", ncap * elem);
	*array = p;
	*cap = ncap;
	return 0;
}

int ph_buf_grow(struct ph_buf *b, size_t extra)
{
	if (extra > SIZE_MAX - b->len)
		return ph_error(PH_ENOMEM, "buffer size overflow");
	return ph_array_grow((void **)&b->data, &b->cap, b->len + extra, 1);
}

int ph_buf_put_le64(struct ph_buf *b, uint64_t v)
{
	uint8_t tmp[8];

	ph_put_le64(tmp, v);
	return ph_buf_put(b, tmp, 8);
}

int ph_buf_put_le32(struct ph_buf *b, uint32_t v)
{
	uint8_t tmp[4];

	ph_put_le32(tmp, v);
	return ph_buf_put(b, tmp, 4);
}

int ph_buf_printf(struct ph_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n, err;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return ph_error(PH_EINVAL, "bad format");
	err = ph_buf_reserve(b, (size_t)n + 1);
	if (err)
		return err;
	va_start(ap, fmt);
	vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

void ph_buf_reset(struct ph_buf *b)
{
	b->len = 0;
}

void ph_buf_release(struct ph_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}
