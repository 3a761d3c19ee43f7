/* SPDX-License-Identifier: MIT */
/*
 * objects.c: sorted, filtered, paged objects, with and without the index.
 *
 * Random heaps with many ties (sizes from a small set, chains and trees that
 * retain equal amounts), several types, str values with shared substrings,
 * half of them with some sizes above 2^32 (the sorts' 64-bit keys).
 * For random queries - either sort, a type or an owner kind or none, a
 * substring or none, offsets and limits in and past range - the index, the
 * pass over the objects and an oracle (every object checked against the
 * query, sorted by the documented order with qsort, then sliced) must give
 * the same rows and total. The address order must find every object.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/objects.h"
#include "analyze_util.h"

static const struct ph_analysis *oracle_a;
static enum ph_sort oracle_sort;

static int oracle_cmp(const void *x, const void *y)
{
	const struct ph_analysis *a = oracle_a;
	uint32_t u = *(const uint32_t *)x, v = *(const uint32_t *)y;
	uint64_t k1u = oracle_sort == PH_SORT_SIZE ? a->h->size[u] : a->r.size[u];
	uint64_t k1v = oracle_sort == PH_SORT_SIZE ? a->h->size[v] : a->r.size[v];
	uint64_t k2u = oracle_sort == PH_SORT_SIZE ? a->r.size[u] : a->h->size[u];
	uint64_t k2v = oracle_sort == PH_SORT_SIZE ? a->r.size[v] : a->h->size[v];

	if (k1u != k1v)
		return k1u > k1v ? -1 : 1;
	if (k2u != k2v)
		return k2u > k2v ? -1 : 1;
	return u < v ? -1 : u > v;
}

static const char *const words[] = {"alpha", "beta", "gamma", "alphabet", "beta-max", "zeta"};
static const char *const kinds[] = {"app.Node", "app.Leaf", "list", "dict", "str"};

/* A heap of about n objects with many ties; huge: some sizes above 2^32 (64-bit sort keys). */
static struct ph_analysis *random_heap(unsigned seed, size_t n, bool huge)
{
	struct tb b;
	struct ph_analysis *a = NULL;
	uint32_t root;

	srand(seed);
	tb_init(&b);
	root = tb_obj(&b, "dict", 1000);
	tb_root(&b, root, PH_FMT_ROOT_MODULES, "sys.modules");
	while (b.n_obj < n) {
		uint32_t parent = (uint32_t)(rand() % b.n_obj), o;

		if (rand() % 4 == 0) {
			char text[64];

			snprintf(text, sizeof(text), "%s-%d-%s", words[rand() % 6], rand() % 50,
				 words[rand() % 6]);
			o = tb_str(&b, text);
		} else {
			static const uint64_t sizes[] = {16, 48, 48, 64, 104, 1000};

			o = tb_obj(&b, kinds[rand() % 4],
				   huge && rand() % 50 == 0 ? (5ULL << 32) + (uint64_t)(rand() % 3) : sizes[rand() % 6]);
			if (rand() % 3 == 0) { /* an instance's __dict__, for the owner partition */
				uint32_t d = tb_obj(&b, "dict", 104);

				tb_field(&b, o, d, "__dict__");
			}
		}
		if (rand() % 10) /* some stay unreachable */
			tb_ref(&b, parent, o);
	}
	cr_assert_eq(tb_analyze(&b, &a), 0, "%s", ph_error_detail());
	tb_free(&b);
	return a;
}

/* The oracle's page: every match, sorted, sliced. */
static void oracle(const struct ph_analysis *a, const struct ph_objects_query *q, uint32_t **ids,
		   size_t *n, uint64_t *total)
{
	uint32_t *all = malloc((a->h->n_objects + 1) * sizeof(*all)), *kind_of = NULL, want = UINT32_MAX;
	char **names = NULL;
	uint32_t n_kinds = 0;
	size_t m = 0, first;

	if (q->kind && q->by != PH_BY_TYPE) {
		cr_assert_eq(ph_partition_kinds(a, q->by, &kind_of, &names, &n_kinds), 0);
		for (uint32_t k = 0; k < n_kinds; k++)
			if (!strcmp(names[k], q->kind))
				want = k;
	}
	for (uint32_t v = 0; v < a->h->n_objects; v++) {
		if (q->kind && q->by == PH_BY_TYPE && strcmp(ph_heap_kind(a->h, v), q->kind))
			continue;
		if (q->kind && q->by != PH_BY_TYPE && kind_of[v] != want)
			continue;
		if (q->q && !ph_value_contains(a->h, v, q->q, strlen(q->q)))
			continue;
		all[m++] = v;
	}
	oracle_a = a;
	oracle_sort = q->sort;
	qsort(all, m, sizeof(*all), oracle_cmp);
	*total = m;
	first = q->offset < m ? (size_t)q->offset : m;
	*n = m - first < q->limit ? m - first : (size_t)q->limit;
	memmove(all, all + first, *n * sizeof(*all));
	*ids = all;
	for (uint32_t k = 0; k < n_kinds; k++)
		free(names[k]);
	free(names);
	free(kind_of);
}

static void check_query(struct ph_analysis *a, struct ph_objects_index *ix,
			const struct ph_objects_query *q, const char *what)
{
	struct ph_objects_page s, x;
	uint32_t *want;
	size_t n;
	uint64_t total;

	oracle(a, q, &want, &n, &total);
	cr_assert_eq(ph_objects_query(a, q, &s), 0);
	cr_assert_eq(ph_objects_index_query(ix, q, &x), 0);
	cr_assert_eq(s.total, total, "%s: scan total %llu, oracle %llu", what,
		     (unsigned long long)s.total, (unsigned long long)total);
	cr_assert_eq(x.total, total, "%s: index total %llu, oracle %llu", what,
		     (unsigned long long)x.total, (unsigned long long)total);
	cr_assert_eq(s.n, n, "%s: scan rows %zu, oracle %zu", what, s.n, n);
	cr_assert_eq(x.n, n, "%s: index rows %zu, oracle %zu", what, x.n, n);
	for (size_t i = 0; i < n; i++) {
		cr_assert_eq(s.ids[i], want[i], "%s: scan row %zu", what, i);
		cr_assert_eq(x.ids[i], want[i], "%s: index row %zu", what, i);
	}
	free(s.ids);
	free(x.ids);
	free(want);
}

Test(objects, index_scan_and_oracle_agree)
{
	static const char *const texts[] = {"alpha", "beta-", "-1", "zeta", "nothing-matches", "a"};
	static const char *const qkinds[] = {"app.Node", "str", "dict", "list", "no.Such"};
	static const char *const owner_kinds[] = {"dict of app.Node", "dict of list", "dict"};

	for (unsigned seed = 1; seed <= 6; seed++) {
		struct ph_analysis *a = random_heap(seed, 300 + 400 * seed, seed % 2 == 0);
		struct ph_objects_index ix;
		char what[160];

		cr_assert_eq(ph_objects_index_build(&ix, a), 0, "%s", ph_error_detail());
		for (int i = 0; i < 300; i++) {
			struct ph_objects_query q = {i % 2 ? PH_SORT_SIZE : PH_SORT_RETAINED, PH_BY_TYPE,
						     NULL, NULL, 0, 1 + (uint64_t)(rand() % 60)};

			switch (rand() % 4) {
			case 1:
				q.kind = qkinds[rand() % 5];
				break;
			case 2:
				q.by = PH_BY_OWNER;
				q.kind = owner_kinds[rand() % 3];
				break;
			default:
				break;
			}
			if (rand() % 3 == 0)
				q.q = texts[rand() % 6];
			q.offset = rand() % 4 == 0 ? (uint64_t)(rand() % 3000) : (uint64_t)(rand() % 80);
			snprintf(what, sizeof(what), "seed %u query %d (sort %d by %d kind %s q %s offset %llu limit %llu)",
				 seed, i, q.sort, q.by, q.kind ? q.kind : "-", q.q ? q.q : "-",
				 (unsigned long long)q.offset, (unsigned long long)q.limit);
			check_query(a, &ix, &q, what);
		}
		for (uint32_t v = 0; v < a->h->n_objects; v++)
			cr_assert_eq(ph_objects_index_find(&ix, a->h->addr[v]), v);
		cr_assert_eq(ph_objects_index_find(&ix, 12345), PH_NO_ID);
		cr_assert_eq(ph_objects_index_find(&ix, a->h->addr[0] + 1), PH_NO_ID);
		ph_objects_index_release(&ix);
		ph_analysis_free(a);
	}
}

static bool kept(const uint32_t *out, size_t n, uint32_t v)
{
	for (size_t k = 0; k < n; k++)
		if (out[k] == v)
			return true;
	return false;
}

Test(objects, largest_retained_is_a_sorted_prefix)
{
	struct ph_analysis *a = random_heap(42, 2000, false);
	uint32_t *ids = malloc(a->h->n_objects * sizeof(*ids)), out[40];
	size_t n = a->h->n_objects;

	for (size_t i = 0; i < n; i++)
		ids[i] = (uint32_t)(n - 1 - i);
	cr_assert_eq(ph_largest_retained(a, ids, n, 40, out), 40);
	for (size_t i = 1; i < 40; i++)
		cr_assert(a->r.size[out[i - 1]] > a->r.size[out[i]] ||
			  (a->r.size[out[i - 1]] == a->r.size[out[i]] && out[i - 1] < out[i]));
	for (size_t i = 0; i < n; i++) /* nothing left out is larger than the last kept */
		cr_assert(a->r.size[ids[i]] <= a->r.size[out[39]] || kept(out, 40, ids[i]));
	cr_assert_eq(ph_largest_retained(a, ids, 3, 40, out), 3);
	cr_assert_eq(ph_largest_retained(a, ids, n, 0, out), 0);
	free(ids);
	ph_analysis_free(a);
}
