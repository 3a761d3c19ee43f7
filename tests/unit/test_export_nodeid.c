/* SPDX-License-Identifier: MIT */
/*
 * Stable node ids of the .heapsnapshot export (src/export/nodeid.h): unique,
 * of the asked parity and range, the same whatever order the keys come in,
 * and ordered as ordered linear probing keeps them (every id between a key's
 * home and its id belongs to a smaller key), with enough keys that home ids
 * collide.
 */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "common/hash.h"
#include "export/nodeid.h"

#define N 1000000u

struct keys {
	uint64_t (*k)[2];
	const uint32_t *perm; /* index -> key, or NULL */
};

static void key_of(const void *ctx, uint32_t i, uint64_t k[2])
{
	const struct keys *ks = ctx;
	uint32_t j = ks->perm ? ks->perm[i] : i;

	k[0] = ks->k[j][0];
	k[1] = ks->k[j][1];
}

static int cmp_key(const uint64_t a[2], const uint64_t b[2])
{
	return a[0] != b[0] ? (a[0] < b[0] ? -1 : 1) : a[1] != b[1] ? (a[1] < b[1] ? -1 : 1) : 0;
}

/* (id << 32 | key index), sorted: who holds an id */
static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

Test(export_nodeid, order_independent_unique_and_ordered)
{
	struct keys ks = {malloc(N * sizeof(*ks.k)), NULL};
	uint32_t *perm = malloc(N * sizeof(*perm)), *a = malloc(N * sizeof(*a)),
		 *b = malloc(N * sizeof(*b));
	uint64_t *sorted = malloc(N * sizeof(*sorted));
	uint32_t moved = 0;

	cr_assert(ks.k && perm && a && b && sorted);
	for (uint32_t i = 0; i < N; i++) {
		ks.k[i][0] = 0x7f0000000000ULL + 16ULL * i; /* addresses */
		ks.k[i][1] = 0x55000000ULL + 64ULL * (i % 37); /* types */
		perm[i] = i;
	}
	for (uint32_t i = N - 1; i > 0; i--) { /* a fixed shuffle */
		uint32_t j = (uint32_t)(ph_mix64(i) % (i + 1)), t = perm[i];

		perm[i] = perm[j];
		perm[j] = t;
	}
	cr_assert_eq(ph_nodeids_assign(a, N, 1, key_of, &ks), 0);
	ks.perm = perm;
	cr_assert_eq(ph_nodeids_assign(b, N, 1, key_of, &ks), 0);
	for (uint32_t i = 0; i < N; i++)
		cr_assert_eq(b[i], a[perm[i]], "key %u has id %u in one order, %u in another", perm[i],
			     b[i], a[perm[i]]);
	for (uint32_t i = 0; i < N; i++)
		sorted[i] = (uint64_t)a[i] << 32 | i;
	qsort(sorted, N, sizeof(*sorted), cmp_u64);
	for (uint32_t i = 0; i < N; i++) {
		uint32_t id = (uint32_t)(sorted[i] >> 32);

		cr_assert(id % 2 == 1 && id >= PH_NODEID_FIRST, "bad id %u", id);
		cr_assert(i == 0 || id != (uint32_t)(sorted[i - 1] >> 32), "id %u given twice", id);
	}
	/* ordered probing: ids from a key's home up to its own belong to smaller keys */
	for (uint32_t i = 0; i < N; i++) {
		uint32_t id = ph_nodeid_home(ks.k[i], 1);

		if (id == a[i])
			continue;
		moved++;
		for (; id != a[i]; id = ph_nodeid_next(id, 1)) {
			uint64_t lo = (uint64_t)id << 32;
			size_t l = 0, r = N;

			while (l < r) { /* the first entry >= id << 32 */
				size_t m = l + (r - l) / 2;

				if (sorted[m] < lo)
					l = m + 1;
				else
					r = m;
			}
			cr_assert(l < N && (uint32_t)(sorted[l] >> 32) == id,
				  "id %u between key %u's home and its id is free", id, i);
			cr_assert_lt(cmp_key(ks.k[(uint32_t)sorted[l]], ks.k[i]), 0);
		}
	}
	cr_assert_gt(moved, 10, "no collisions among %u keys: the test tests nothing", N);
	free(ks.k);
	free(perm);
	free(a);
	free(b);
	free(sorted);
}

Test(export_nodeid, even_ids_for_synthetic_nodes)
{
	uint64_t k[3][2] = {{1, 0}, {2, 0}, {1, 5}};
	struct keys ks = {k, NULL};
	uint32_t ids[3];

	cr_assert_eq(ph_nodeids_assign(ids, 3, 0, key_of, &ks), 0);
	for (int i = 0; i < 3; i++)
		cr_assert(ids[i] % 2 == 0 && ids[i] >= PH_NODEID_FIRST);
	cr_assert(ids[0] != ids[1] && ids[1] != ids[2] && ids[0] != ids[2]);
}
