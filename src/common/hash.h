/* SPDX-License-Identifier: MIT */
/*
 * hash.h - checksums and hashing: XXH3-64 (from libxxhash, inlined so that
 * code linked into the agent needs no shared library) and a pointer mixer.
 */
#ifndef PH_HASH_H
#define PH_HASH_H

#include <stddef.h>
#include <stdint.h>

#define XXH_INLINE_ALL
#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

static inline uint64_t ph_xxh3(const void *p, size_t n)
{
	return XXH3_64bits(p, n);
}

/* A fast bijective mix of a 64-bit key (murmur3's finalizer). */
static inline uint64_t ph_mix64(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ULL;
	k ^= k >> 33;
	return k;
}

#endif
