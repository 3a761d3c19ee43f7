/* SPDX-License-Identifier: MIT */
/*
 * nodeid.c - stable 32-bit node ids (see nodeid.h).
 */
#include "export/nodeid.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/hash.h"

#define EMPTY UINT32_MAX
/* Ids of one parity from PH_NODEID_FIRST (+1 for odd) to 2^32 - 1 (- 1 for even). */
#define N_IDS ((uint32_t)((UINT32_MAX - PH_NODEID_FIRST) / 2))

struct idtab {
	uint32_t *slot; /* node index, EMPTY */
	uint32_t mask;
	const uint32_t *ids;
};

uint32_t ph_nodeid_home(const uint64_t k[2], unsigned parity)
{
	uint64_t h = ph_mix64(k[0] ^ ph_mix64(k[1] + 0x9e3779b97f4a7c15ULL));

	return PH_NODEID_FIRST + parity + 2 * (uint32_t)(h % N_IDS);
}

uint32_t ph_nodeid_next(uint32_t id, unsigned parity)
{
	return id >= PH_NODEID_FIRST + parity + 2 * (N_IDS - 1) ? PH_NODEID_FIRST + parity : id + 2;
}

/* The slot holding id, or the empty slot where it would go. */
static uint32_t *find(const struct idtab *t, uint32_t id)
{
	uint32_t s = (uint32_t)ph_mix64(id) & t->mask;

	while (t->slot[s] != EMPTY && t->ids[t->slot[s]] != id)
		s = (s + 1) & t->mask;
	return &t->slot[s];
}

static bool less(const uint64_t a[2], const uint64_t b[2])
{
	return a[0] != b[0] ? a[0] < b[0] : a[1] < b[1];
}

int ph_nodeids_assign(uint32_t *ids, uint32_t n, unsigned parity, ph_nodeid_key_fn *key,
		      const void *ctx)
{
	struct idtab t;
	uint64_t size = 16;

	while (size < 2 * (uint64_t)n)
		size *= 2;
	if (n >= N_IDS / 2 || size > UINT32_MAX)
		return ph_error(PH_ELIMIT, "too many nodes for 32-bit ids: %u", n);
	t.slot = malloc(size * sizeof(*t.slot));
	if (!t.slot)
		return ph_error(PH_ENOMEM, "out of memory: node id table for %u nodes", n);
	memset(t.slot, 0xff, size * sizeof(*t.slot));
	t.mask = (uint32_t)size - 1;
	t.ids = ids;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t cur = i, id;
		uint64_t k[2];

		key(ctx, cur, k);
		id = ph_nodeid_home(k, parity);
		for (;;) {
			uint32_t *s = find(&t, id);
			uint64_t ko[2];
			uint32_t o;

			if (*s == EMPTY) {
				ids[cur] = id;
				*s = cur;
				break;
			}
			o = *s;
			key(ctx, o, ko);
			if (less(k, ko) || (!less(ko, k) && cur < o)) {
				/* cur takes the id; the one it displaced goes on from the next */
				ids[cur] = id;
				*s = cur;
				cur = o;
				memcpy(k, ko, sizeof(k));
			}
			id = ph_nodeid_next(id, parity);
		}
	}
	free(t.slot);
	return 0;
}
