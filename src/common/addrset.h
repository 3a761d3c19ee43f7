/* SPDX-License-Identifier: MIT */
/*
 * addrset.h - an open-addressing set of non-zero 64-bit keys (addresses),
 * 8 bytes a slot, at most half full.
 *
 * The set owns its slot array; ph_addrset_release() frees it. Key 0 marks
 * an empty slot and cannot be inserted. Lookups are read-only and may run
 * on several threads at once while nobody inserts. There is no removal.
 */
#ifndef PH_ADDRSET_H
#define PH_ADDRSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/hash.h"

struct ph_addrset {
	uint64_t *slots;
	size_t mask; /* capacity - 1 (a power of two), or 0 when empty */
	size_t count;
};

#define PH_ADDRSET_INIT {NULL, 0, 0}

/* Make room for n keys without growing. 0 or PH_ENOMEM. */
int ph_addrset_reserve(struct ph_addrset *s, size_t n);

/* Insert key; *fresh (may be NULL) says whether it was absent. 0 or PH_ENOMEM/PH_EINVAL. */
int ph_addrset_add(struct ph_addrset *s, uint64_t key, bool *fresh);

/*
 * Insert key without ever growing, safe against other threads inserting at
 * the same time (compare-and-swap on the slot). The caller reserved room for
 * every key first; a full table gives PH_ELIMIT. count is not maintained.
 */
int ph_addrset_add_concurrent(struct ph_addrset *s, uint64_t key, bool *fresh);

static inline bool ph_addrset_has(const struct ph_addrset *s, uint64_t key)
{
	size_t i;

	if (!s->slots || !key)
		return false;
	for (i = ph_mix64(key) & s->mask;; i = (i + 1) & s->mask) {
		if (s->slots[i] == key)
			return true;
		if (!s->slots[i])
			return false;
	}
}

/* Hint that key will be looked up soon (hides the cache miss when batched). */
static inline void ph_addrset_prefetch(const struct ph_addrset *s, uint64_t key)
{
	if (s->slots)
		__builtin_prefetch(&s->slots[ph_mix64(key) & s->mask]);
}

void ph_addrset_release(struct ph_addrset *s);

#endif
