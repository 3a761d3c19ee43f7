/* SPDX-License-Identifier: MIT */
/*
 * varint.h - LEB128 unsigned varints and zigzag signed mapping.
 *
 * Encoding: 7 bits per byte, least significant group first, high bit set on
 * every byte but the last. A 64-bit value takes at most 10 bytes; the tenth
 * byte may carry only the value's top bit. Decoding rejects anything longer
 * or any tenth byte above 1 (both would not fit in 64 bits), and input that
 * ends inside a varint.
 */
#ifndef PH_VARINT_H
#define PH_VARINT_H

#include <stddef.h>
#include <stdint.h>

#define PH_VARINT_MAX 10

static inline uint64_t ph_zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static inline int64_t ph_unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/* Write v at p (which has room for PH_VARINT_MAX bytes); return bytes used. */
static inline size_t ph_varint_encode(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

static inline size_t ph_varint_size(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

/*
 * Read a varint from *p (not reading at or past end). On success advance *p,
 * store the value and return 0; return -1 if the input ends inside the
 * varint and -2 if it is longer than 64 bits, leaving *p unchanged.
 */
static inline int ph_varint_decode(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
	const uint8_t *q = *p;
	uint64_t v = 0;
	unsigned shift = 0;

	if (q < end && *q < 0x80) { /* fast path: one byte */
		*out = *q;
		*p = q + 1;
		return 0;
	}
	for (int i = 0; i < PH_VARINT_MAX; i++) {
		uint8_t b;

		if (q >= end)
			return -1;
		b = *q++;
		if (i == PH_VARINT_MAX - 1 && b > 1)
			return -2;
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*out = v;
			*p = q;
			return 0;
		}
		shift += 7;
	}
	return -2;
}

#endif
