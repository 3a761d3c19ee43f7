/* SPDX-License-Identifier: MIT */
/*
 * seen.h - the set of object addresses the walk has already queued or
 * written: an open-addressing hash set of non-zero 64-bit keys with linear
 * probing, kept between 3/8 and 3/4 full, so that it costs 11 to 22 bytes
 * per address (plus the old table while it grows). Only objects that the
 * GC-list walk will not meet by itself go in (see walk.c), which keeps it
 * small.
 *
 * The set owns its table (malloc'ed); ph_seen_release() frees it. There is
 * no removal.
 */
#ifndef PH_AGENT_SEEN_H
#define PH_AGENT_SEEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ph_seen {
	uint64_t *slots;
	size_t mask; /* capacity - 1 (a power of two) */
	unsigned shift; /* 64 - log2(capacity) */
	size_t count;
	size_t limit; /* grow when count reaches this */
};

/* Make room for about n addresses. 0 or PH_ENOMEM. */
int ph_seen_init(struct ph_seen *s, size_t n);

/* Add addr (non-zero). *added (may be NULL) says whether it was new. 0 or PH_ENOMEM. */
int ph_seen_add(struct ph_seen *s, uint64_t addr, bool *added);

bool ph_seen_has(const struct ph_seen *s, uint64_t addr);

void ph_seen_release(struct ph_seen *s);

/* Bytes held. */
size_t ph_seen_memory(const struct ph_seen *s);

#endif
