/* SPDX-License-Identifier: MIT */
/*
 * strtab.h - a table of strings (a .heapsnapshot's, the names of a
 * partition's kinds): each distinct string gets the next index, in the
 * order first seen, and is stored once.
 *
 * Strings are byte strings (they may hold NUL); they are kept back to back
 * in one arena with their offsets, and found through an open-addressing hash
 * table of indices (XXH3 of the bytes), at most half full. Memory: the
 * strings' bytes plus 12 bytes per string and 8 per table slot.
 *
 * Ownership: the table owns its arrays; ph_strtab_release() frees them.
 */
#ifndef PH_COMMON_STRTAB_H
#define PH_COMMON_STRTAB_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/buf.h"

struct ph_strtab {
	struct ph_buf bytes; /* the strings, back to back */
	uint64_t *off;       /* n + 1 offsets into bytes */
	size_t n, cap_off;
	uint32_t *slots;     /* index + 1, 0 for empty */
	uint64_t *hashes;    /* hash of each string, by index */
	size_t n_slots;      /* a power of two */
};

void ph_strtab_init(struct ph_strtab *t);
void ph_strtab_release(struct ph_strtab *t);

/* The index of s[0..n), added if new, into *index. 0, PH_ENOMEM or PH_ELIMIT. */
int ph_strtab_add(struct ph_strtab *t, const void *s, size_t n, uint32_t *index);

static inline int ph_strtab_cstr(struct ph_strtab *t, const char *s, uint32_t *index)
{
	return ph_strtab_add(t, s, strlen(s), index);
}

/* String i's bytes and length. */
static inline const uint8_t *ph_strtab_get(const struct ph_strtab *t, size_t i, size_t *len)
{
	*len = (size_t)(t->off[i + 1] - t->off[i]);
	return t->bytes.data + t->off[i];
}

#endif
