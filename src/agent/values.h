/* SPDX-License-Identifier: MIT */
/*
 * values.h - the contents and sizes of str, bytes and int objects, read in
 * place: no CPython function is called and nothing is allocated in the
 * target's heap (PyUnicode_AsUTF8 would cache a UTF-8 copy inside the
 * object; PyUnicode_READY would allocate).
 *
 * Output buffers (struct ph_buf) are the caller's; returned data pointers
 * are borrowed: either into the object itself (ASCII text, bytes) or into
 * the caller's buffer, valid until the buffer changes.
 */
#ifndef PH_AGENT_VALUES_H
#define PH_AGENT_VALUES_H

#include <stdbool.h>
#include <stdint.h>

#include "agent/py.h"
#include "common/buf.h"

/* What a str's header says. */
struct ph_str {
	uint64_t length; /* code points */
	unsigned kind;   /* bytes per code point: 1, 2 or 4 */
	bool ascii;
	bool compact;
	bool interned;
	const void *data; /* the code points; NULL if the string cannot be read */
};

/* True if str o is interned (state bits 0-1, every version). */
static inline bool ph_str_is_interned(uintptr_t o)
{
	return (ph_rd_u32(o, PH_OFF_STR_STATE) & 3u) != 0;
}

/* Read o's header (o must be a str or a str subclass). */
void ph_str_read(const struct ph_py *py, uintptr_t o, struct ph_str *s);

/*
 * The UTF-8 (WTF-8 for lone surrogates) of the longest prefix of whole code
 * points of s that fits in cap bytes. *data and *len receive it (borrowed: the
 * object's own bytes for ASCII, else out's), *truncated whether code points
 * were left out. 0 or PH_ENOMEM.
 */
int ph_str_utf8(const struct ph_str *s, size_t cap, struct ph_buf *out, const uint8_t **data,
		size_t *len, bool *truncated);

/*
 * ph_str_utf8() of o if o is a str (or a subclass) whose text can be read:
 * then 1, with *data, *len and *truncated as ph_str_utf8() sets them. 0 if
 * o is NULL, not a str or unreadable (*len is then 0), or PH_ENOMEM.
 */
int ph_str_text(const struct ph_py *py, uintptr_t o, size_t cap, struct ph_buf *out,
		const uint8_t **data, size_t *len, bool *truncated);

/* True if o is a readable str whose text is the NUL-terminated ASCII key. */
bool ph_str_eq(const struct ph_py *py, uintptr_t o, const char *key);

/* sys.getsizeof(o) without the GC pre-header: str.__sizeof__. */
uint64_t ph_str_sizeof(const struct ph_py *py, uintptr_t o);

/* An int's value: the sign, and its digits. */
struct ph_int {
	bool negative;
	bool fits;       /* the value fits in int64: see value */
	int64_t value;
	uint64_t bits;   /* bit length of the magnitude */
	uint64_t ndigits;
	uintptr_t digits; /* address of the first (least significant) digit */
};

void ph_int_read(const struct ph_py *py, uintptr_t o, struct ph_int *v);

/*
 * The magnitude of v as little-endian bytes, at most cap of them (the low
 * ones). *truncated says whether bytes were left out. 0 or PH_ENOMEM.
 */
int ph_int_magnitude(const struct ph_py *py, const struct ph_int *v, size_t cap,
		     struct ph_buf *out, bool *truncated);

/* int.__sizeof__(o). */
uint64_t ph_int_sizeof(const struct ph_py *py, uintptr_t o);

#endif
