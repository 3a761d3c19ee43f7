/* SPDX-License-Identifier: MIT */
/*
 * format_util.h - helpers for the format tests: a deterministic PRNG, a
 * random heap model, and writing/reading it through a ph_buf or a file.
 */
#ifndef PH_TEST_FORMAT_UTIL_H
#define PH_TEST_FORMAT_UTIL_H

#include <stdint.h>

#include "format/reader.h"
#include "format/writer.h"

/* xorshift64*: deterministic across platforms. */
struct rng {
	uint64_t s;
};

static inline uint64_t rng_next(struct rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545F4914F6CDD1DULL;
}

static inline uint64_t rng_below(struct rng *r, uint64_t n)
{
	return n ? rng_next(r) % n : 0;
}

#endif
