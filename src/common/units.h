/* SPDX-License-Identifier: MIT */
/*
 * units.h - sizes for people, and numbers and addresses people type.
 */
#ifndef PH_COMMON_UNITS_H
#define PH_COMMON_UNITS_H

#include <stdbool.h>
#include <stdint.h>

/* Human-readable byte count ("512 B", "1.50 MiB", "12.3 GiB"): writes into buf, returns buf. */
const char *ph_human_bytes(uint64_t n, char buf[32]);

/*
 * Parse a whole string as a non-negative integer in base 10 ("123") or,
 * with allow_hex, base 16 after "0x" ("0x7f3a"). No sign, no spaces, no
 * overflow; false otherwise.
 */
bool ph_parse_uint(const char *s, bool allow_hex, uint64_t *out);

/*
 * A size in bytes: a decimal number with an optional suffix K, M, G, T or P
 * (powers of 1024; "KiB", "MB" and lower case are accepted too): "512M",
 * "2G", "1048576". False when malformed or beyond 2^64 - 1.
 */
bool ph_parse_size(const char *s, uint64_t *out);

/* An address: "0x7f..", or decimal (as PyHeap's links write them). */
static inline bool ph_parse_addr(const char *s, uint64_t *out)
{
	return ph_parse_uint(s, true, out);
}

#endif
