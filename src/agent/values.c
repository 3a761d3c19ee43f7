/* SPDX-License-Identifier: MIT */
/*
 * values.c - str, bytes and int contents and sizes, read in place (see
 * values.h).
 *
 * str state word (PyASCIIObject.state, all versions): bits 0-1 interned,
 * 2-4 kind, 5 compact, 6 ascii, 7 ready (3.8-3.11; 3.12+: statically
 * allocated). Not-ready legacy strings (3.8-3.11, kind 0) keep their text
 * in wstr (wchar_t, 4 bytes on Linux).
 */
#include "agent/values.h"

#include <string.h>

#include "common/error.h"
#include "common/utf8.h"

#define STATE_INTERNED(s) ((s) & 3u)
#define STATE_KIND(s)     (((s) >> 2) & 7u)
#define STATE_COMPACT(s)  (((s) >> 5) & 1u)
#define STATE_ASCII(s)    (((s) >> 6) & 1u)
#define STATE_READY(s)    (((s) >> 7) & 1u)

/* Strings are always ready, except in versions with legacy (wstr) strings (3.8-3.11). */
static bool str_ready(const struct ph_py *py, uint32_t state)
{
	return py->L->str->wstr < 0 || STATE_READY(state);
}

/* PyUnicode_DATA for a ready string. */
static uintptr_t str_data(const struct ph_py *py, uintptr_t o, uint32_t state)
{
	if (STATE_COMPACT(state))
		return o + (uintptr_t)(STATE_ASCII(state) ? py->L->str->ascii_size
							     : py->L->str->compact_size);
	return ph_rd(o, py->L->str->data);
}

void ph_str_read(const struct ph_py *py, uintptr_t o, struct ph_str *s)
{
	uint32_t state = ph_rd_u32(o, PH_OFF_STR_STATE);

	memset(s, 0, sizeof(*s));
	s->interned = STATE_INTERNED(state) != 0;
	s->compact = STATE_COMPACT(state);
	s->ascii = STATE_ASCII(state);
	if (str_ready(py, state)) {
		int64_t len = ph_rd_i64(o, PH_OFF_STR_LENGTH);
		unsigned kind = STATE_KIND(state);

		if (len < 0 || (kind != 1 && kind != 2 && kind != 4))
			return;
		s->length = (uint64_t)len;
		s->kind = kind;
		s->data = (const void *)str_data(py, o, state);
		return;
	}
	/* 3.8-3.11 legacy string not made ready: the text is in wstr */
	if (py->L->str->wstr >= 0 && !s->compact) {
		uintptr_t w = ph_rd(o, py->L->str->wstr);
		int64_t wlen = ph_rd_i64(o, py->L->str->wstr_length);

		if (w && wlen >= 0) {
			s->length = (uint64_t)wlen;
			s->kind = 4;
			s->ascii = false;
			s->data = (const void *)w;
		}
	}
}

static uint32_t code_point(const struct ph_str *s, uint64_t i)
{
	switch (s->kind) {
	case 1:
		return ((const uint8_t *)s->data)[i];
	case 2:
		return ((const uint16_t *)s->data)[i];
	default: {
		uint32_t c = ((const uint32_t *)s->data)[i];

		return c < 0x110000 ? c : 0xfffd;
	}
	}
}

static size_t utf8_len(uint32_t c)
{
	return c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
}

int ph_str_utf8(const struct ph_str *s, size_t cap, struct ph_buf *out, const uint8_t **data,
		size_t *len, bool *truncated)
{
	uint64_t i;
	int err;

	*data = NULL;
	*len = 0;
	*truncated = false;
	if (!s->data) {
		*truncated = s->length > 0;
		return 0;
	}
	if (s->ascii) { /* already UTF-8 */
		uint64_t n = s->length < cap ? s->length : cap;

		*data = s->data;
		*len = (size_t)n;
		*truncated = n < s->length;
		return 0;
	}
	/*
	 * Room for every write below: the text never passes cap, and no code
	 * point takes more than 4 bytes.
	 */
	out->len = 0;
	err = ph_buf_reserve(out, cap < s->length * 4 ? cap : (size_t)s->length * 4);
	if (err)
		return err;
	for (i = 0; i < s->length; i++) {
		uint32_t c = code_point(s, i);
		size_t n = utf8_len(c);

		if (out->len + n > cap)
			break;
		out->len += ph_utf8_encode(out->data + out->len, c);
	}
	*data = out->data;
	*len = out->len;
	*truncated = i < s->length;
	return 0;
}

int ph_str_text(const struct ph_py *py, uintptr_t o, size_t cap, struct ph_buf *out,
		const uint8_t **data, size_t *len, bool *truncated)
{
	struct ph_str s;
	int err;

	*data = NULL;
	*len = 0;
	*truncated = false;
	if (!o || !(ph_tp_flags(ph_type(o)) & PH_TPF_UNICODE_SUBCLASS))
		return 0;
	ph_str_read(py, o, &s);
	if (!s.data)
		return 0;
	err = ph_str_utf8(&s, cap, out, data, len, truncated);
	return err ? err : 1;
}

bool ph_str_eq(const struct ph_py *py, uintptr_t o, const char *key)
{
	struct ph_str s;
	size_t n;

	if (!o || !(ph_tp_flags(ph_type(o)) & PH_TPF_UNICODE_SUBCLASS))
		return false;
	ph_str_read(py, o, &s);
	n = strlen(key);
	if (!s.data || s.length != n)
		return false;
	if (s.kind == 1)
		return memcmp(s.data, key, n) == 0;
	for (size_t i = 0; i < n; i++)
		if (code_point(&s, i) != (uint8_t)key[i])
			return false;
	return true;
}

uint64_t ph_str_sizeof(const struct ph_py *py, uintptr_t o)
{
	const struct ph_l_str *L = py->L->str;
	uint32_t state = ph_rd_u32(o, PH_OFF_STR_STATE);
	uint64_t len = (uint64_t)ph_rd_i64(o, PH_OFF_STR_LENGTH);
	unsigned kind = STATE_KIND(state);
	bool compact_ascii = STATE_COMPACT(state) && STATE_ASCII(state);
	bool ready = str_ready(py, state);
	uintptr_t data = ready ? str_data(py, o, state) : 0;
	uint64_t size;

	if (compact_ascii)
		size = (uint64_t)L->ascii_size + len + 1;
	else if (STATE_COMPACT(state))
		size = (uint64_t)L->compact_size + (len + 1) * kind;
	else {
		size = (uint64_t)L->unicode_size;
		if (ph_rd(o, L->data))
			size += (len + 1) * kind;
	}
	if (L->wstr >= 0) {
		uintptr_t w = ph_rd(o, L->wstr);

		if (w && (!ready || w != data)) {
			uint64_t wlen = compact_ascii ? len : (uint64_t)ph_rd_i64(o, L->wstr_length);

			size += (wlen + 1) * 4;
		}
	}
	if (!compact_ascii) {
		uintptr_t u = ph_rd(o, L->utf8);

		if (u && u != data)
			size += (uint64_t)ph_rd_i64(o, L->utf8_length) + 1;
	}
	return size;
}

/* ---- int ---- */

static uint32_t digit(const struct ph_py *py, uintptr_t digits, uint64_t i)
{
	if (py->digit_size == 4)
		return ph_rd_u32(digits, (long)(i * 4));
	return (uint32_t)(*(const uint16_t *)(digits + i * 2));
}

/* The number of digits of int o and its sign, from ob_size (3.12+: lv_tag); no digit is read. */
static uint64_t int_ndigits(const struct ph_py *py, uintptr_t o, bool *negative)
{
	int64_t size;

	if (py->caps->long_tag) {
		uint64_t tag = ph_rd(o, PH_OFF_SIZE);

		*negative = (tag & 3) == 2;
		return tag >> 3;
	}
	size = ph_rd_i64(o, PH_OFF_SIZE);
	*negative = size < 0;
	return size < 0 ? (uint64_t)-size : (uint64_t)size;
}

void ph_int_read(const struct ph_py *py, uintptr_t o, struct ph_int *v)
{
	uint64_t n;

	memset(v, 0, sizeof(*v));
	n = int_ndigits(py, o, &v->negative);
	v->ndigits = n;
	v->digits = o + PH_OFF_LONG_DIGITS;
	if (n) {
		uint32_t top = digit(py, v->digits, n - 1);
		unsigned b = 0;

		while (top) {
			b++;
			top >>= 1;
		}
		v->bits = (n - 1) * (uint64_t)py->digit_bits + b;
	}
	if (v->bits <= 64) {
		unsigned __int128 m = 0;

		for (uint64_t i = n; i-- > 0;)
			m = (m << py->digit_bits) | digit(py, v->digits, i);
		if (!v->negative && m <= (unsigned __int128)INT64_MAX) {
			v->fits = true;
			v->value = (int64_t)m;
		} else if (v->negative && m <= (unsigned __int128)INT64_MAX + 1) {
			v->fits = true;
			v->value = m == (unsigned __int128)INT64_MAX + 1 ? INT64_MIN : -(int64_t)m;
		}
	}
}

int ph_int_magnitude(const struct ph_py *py, const struct ph_int *v, size_t cap,
		     struct ph_buf *out, bool *truncated)
{
	uint64_t nbytes = (v->bits + 7) / 8;
	uint64_t acc = 0;
	unsigned have = 0;
	int err;

	out->len = 0;
	*truncated = nbytes > cap;
	if (nbytes > cap)
		nbytes = cap;
	err = ph_buf_reserve(out, (size_t)nbytes + 8);
	if (err)
		return err;
	for (uint64_t i = 0; i < v->ndigits && out->len < nbytes; i++) {
		acc |= (uint64_t)digit(py, v->digits, i) << have;
		have += (unsigned)py->digit_bits;
		while (have >= 8 && out->len < nbytes) {
			out->data[out->len++] = (uint8_t)acc;
			acc >>= 8;
			have -= 8;
		}
	}
	while (out->len < nbytes) {
		out->data[out->len++] = (uint8_t)acc;
		acc >>= 8;
	}
	return 0;
}

uint64_t ph_int_sizeof(const struct ph_py *py, uintptr_t o)
{
	bool negative;
	uint64_t n = int_ndigits(py, o, &negative);

	if (py->caps->long_min_digit && n < 1)
		n = 1;
	return PH_OFF_LONG_DIGITS + n * (uint64_t)py->digit_size;
}
