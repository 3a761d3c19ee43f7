/* SPDX-License-Identifier: MIT */
/*
 * buf.h - a growable byte buffer and overflow-checked array growth.
 *
 * struct ph_buf owns its data (malloc'ed); ph_buf_release() frees it and
 * leaves an empty buffer. All growth checks for size_t overflow and returns
 * PH_ENOMEM rather than wrapping. Data pointers are invalidated by any call
 * that may grow the buffer.
 */
#ifndef PH_BUF_H
#define PH_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/varint.h"

struct ph_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
};

#define PH_BUF_INIT {NULL, 0, 0}

/* Make room for at least extra more bytes. 0 or PH_ENOMEM. */
int ph_buf_grow(struct ph_buf *b, size_t extra);

static inline int ph_buf_reserve(struct ph_buf *b, size_t extra)
{
	return b->cap - b->len >= extra ? 0 : ph_buf_grow(b, extra);
}

static inline int ph_buf_put(struct ph_buf *b, const void *p, size_t n)
{
	int err = ph_buf_reserve(b, n);

	if (err)
		return err;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

static inline int ph_buf_put_u8(struct ph_buf *b, uint8_t v)
{
	return ph_buf_put(b, &v, 1);
}

static inline int ph_buf_put_varint(struct ph_buf *b, uint64_t v)
{
	int err = ph_buf_reserve(b, PH_VARINT_MAX);

	if (err)
		return err;
	b->len += ph_varint_encode(b->data + b->len, v);
	return 0;
}

static inline int ph_buf_put_svarint(struct ph_buf *b, int64_t v)
{
	return ph_buf_put_varint(b, ph_zigzag(v));
}

/* Append a little-endian fixed-width integer. */
int ph_buf_put_le64(struct ph_buf *b, uint64_t v);
int ph_buf_put_le32(struct ph_buf *b, uint32_t v);

/* Append formatted text (no terminating NUL counted in len). */
int ph_buf_printf(struct ph_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void ph_buf_reset(struct ph_buf *b);
void ph_buf_release(struct ph_buf *b);

/*
 * Grow *array (of elements of size elem) so that it holds at least need
 * elements; *cap is updated. Growth is geometric; overflow gives PH_ENOMEM.
 */
int ph_array_grow(void **array, size_t *cap, size_t need, size_t elem);

#define PH_ARRAY_RESERVE(arr, cap, need)                                                           \
	((need) <= (cap) ? 0 : ph_array_grow((void **)&(arr), &(cap), (need), sizeof(*(arr))))

/* Little-endian loads and stores (unaligned-safe). */
static inline uint64_t ph_le64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static inline uint32_t ph_le32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static inline uint16_t ph_le16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

static inline void ph_put_le64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static inline void ph_put_le32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static inline void ph_put_le16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "pyheap assumes a little-endian host (x86_64, aarch64)"
#endif

#endif
