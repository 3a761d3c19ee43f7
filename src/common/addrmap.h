/* SPDX-License-Identifier: MIT */
/*
 * addrmap.h - an open-addressing hash map from non-zero 64-bit keys (object
 * addresses) to 64-bit values, with linear probing.
 *
 * The map owns its slot array (malloc'ed); ph_addrmap_release() frees it.
 * Key 0 is reserved for empty slots and may not be inserted. The table is
 * kept at most 1/2 full, so a lookup touches few cache lines; with 16 bytes a
 * slot that is 32-64 bytes of memory per entry. There is no removal.
 */
#ifndef PH_ADDRMAP_H
#define PH_ADDRMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/hash.h"

struct ph_addrmap_slot {
	uint64_t key;
	uint64_t value;
};

struct ph_addrmap {
	struct ph_addrmap_slot *slots;
	size_t mask; /* capacity - 1; capacity is a power of two, or 0 */
	size_t count;
};

#define PH_ADDRMAP_INIT {NULL, 0, 0}

/* Make room for n entries without growing. 0 or PH_ENOMEM. */
int ph_addrmap_reserve(struct ph_addrmap *m, size_t n);

/*
 * Insert key -> value if key is absent. *inserted (may be NULL) says which
 * happened; *slot_value (may be NULL) receives a pointer to the value slot,
 * valid until the next insertion. 0 or PH_ENOMEM.
 */
int ph_addrmap_put(struct ph_addrmap *m, uint64_t key, uint64_t value, bool *inserted,
		   uint64_t **slot_value);

/* Pointer to the value of key, or NULL. Valid until the next insertion. */
static inline uint64_t *ph_addrmap_get(const struct ph_addrmap *m, uint64_t key)
{
	size_t i;

	if (!m->slots)
		return NULL;
	i = ph_mix64(key) & m->mask;
	for (;;) {
		struct ph_addrmap_slot *s = &m->slots[i];

		if (s->key == key)
			return &s->value;
		if (s->key == 0)
			return NULL;
		i = (i + 1) & m->mask;
	}
}

void ph_addrmap_release(struct ph_addrmap *m);

/* Bytes of memory the map holds. */
size_t ph_addrmap_memory(const struct ph_addrmap *m);

#endif
