/* SPDX-License-Identifier: MIT */
/*
 * units.c - sizes for people (see units.h).
 */
#include "common/units.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *ph_human_bytes(uint64_t n, char buf[32])
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
	double v = (double)n;
	int u = 0;

	if (n < 1024) {
		snprintf(buf, 32, "%" PRIu64 " B", n);
		return buf;
	}
	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	snprintf(buf, 32, v < 10 ? "%.2f %s" : v < 100 ? "%.1f %s" : "%.0f %s", v, units[u]);
	return buf;
}

bool ph_parse_uint(const char *s, bool allow_hex, uint64_t *out)
{
	unsigned long long v;
	char *end;
	int base = 10;

	if (!s)
		return false;
	if (allow_hex && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		if (!isxdigit((unsigned char)s[2]))
			return false;
	} else if (!isdigit((unsigned char)s[0])) {
		return false;
	}
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

bool ph_parse_size(const char *s, uint64_t *out)
{
	static const char suffixes[] = "KMGTP";
	unsigned long long v;
	const char *u;
	char *end;
	int shift = 0;

	if (!s || !isdigit((unsigned char)s[0]))
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return false;
	if (*end && (u = strchr(suffixes, toupper((unsigned char)*end))) != NULL) {
		shift = 10 * (int)(u - suffixes + 1);
		end++;
		if (end[0] == 'i' && (end[1] == 'B' || end[1] == 'b'))
			end += 2;
	}
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end || (shift && v > UINT64_MAX >> shift))
		return false;
	*out = (uint64_t)v << shift;
	return true;
}
