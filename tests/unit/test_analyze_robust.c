/* SPDX-License-Identifier: MIT */
/*
 * Every analysis on valid dumps with wild content: the format tests' random
 * heaps (model.h) have sizes and reference counts near 2^64, indexes that
 * do not fit 32 bits, labels and edges that name no object, strings and
 * types referenced at random, values of every kind, threads whose locals
 * dangle. Everything must load and answer without a crash (run under ASan
 * and UBSan by `make asan`), the dominator tree must be a tree over all
 * nodes, and totals must add up. Then the same heaps with a byte flipped or
 * cut short must be refused with an error, never analyzed.
 */
#include <criterion/criterion.h>
#include <unistd.h>

#include "analyze/diff.h"
#include "analyze/histogram.h"
#include "analyze/paths.h"
#include "analyze/render.h"
#include "analyze/suspects.h"
#include "analyze/top.h"
#include "model.h"

static struct ph_analysis *open_model(uint64_t seed, size_t size, struct ph_buf *file)
{
	struct model m;
	struct ph_analysis *a = NULL;
	char path[64];
	int err;

	model_random(&m, seed, size);
	cr_assert_eq(model_to_buf(&m, file, seed % 2, 200 + seed % 900, seed), 0);
	model_free(&m);
	cr_assert_eq(write_temp(file, path, sizeof(path)), 0);
	err = ph_analysis_open(&a, path, NULL, NULL);
	unlink(path);
	cr_assert_eq(err, 0, "seed %llu: %s", (unsigned long long)seed, ph_error_detail());
	return a;
}

static void exercise(struct ph_analysis *a, uint64_t seed)
{
	struct ph_buf b = PH_BUF_INIT;
	uint32_t *top;
	size_t n;
	uint64_t live = 0, live_native = 0;

	/* a tree: every node's idom chain reaches the super-root, earlier in preorder */
	for (uint32_t i = 1; i < a->g.n_nodes; i++) {
		uint32_t v = a->d.order[i], steps = 0;

		for (uint32_t d = v; d != a->g.super; d = a->d.idom[d])
			cr_assert_lt(++steps, a->g.n_nodes + 1, "seed %llu: idom cycle", (unsigned long long)seed);
	}
	for (uint32_t v = 0; v < a->g.n; v++)
		if (!ph_bit(a->d.garbage, v)) {
			live += a->h->size[v];
			live_native += ph_heap_native(a->h, v);
		}
	/* every object owns its size and its native bytes (the model gives object 1 and every third some) */
	cr_assert_eq(a->h->total_native > 0, a->h->n_objects > 1);
	cr_assert_eq(a->r.size[a->g.super], a->h->total_size + a->h->total_native);
	cr_assert_eq(a->r.size[a->g.unreachable], a->d.garbage_size + a->d.garbage_native);
	cr_assert_eq(a->h->total_size - a->d.garbage_size, live);
	cr_assert_eq(a->h->total_native - a->d.garbage_native, live_native);
	cr_assert_eq(a->r.count[a->g.super], a->h->n_objects);
	for (int by = PH_BY_TYPE; by <= PH_BY_MODULE; by++) {
		struct ph_histogram h;
		uint64_t count = 0;

		cr_assert_eq(ph_histogram_compute(&h, a, (enum ph_partition)by), 0);
		for (size_t i = 0; i < h.n; i++)
			count += h.rows[i].count;
		cr_assert_eq(count, a->h->n_objects);
		ph_histogram_free(&h);
	}
	cr_assert_eq(ph_top_objects(a, 5, NULL, &top, &n), 0);
	for (size_t i = 0; i < n; i++) {
		struct ph_path *p;
		size_t np;

		cr_assert_eq(ph_paths_to(a, top[i], 3, &p, &np), 0);
		cr_assert_geq(np, 1, "every object has a path, if only from the unreachable node");
		for (size_t k = 0; k < np; k++) {
			b.len = 0;
			cr_assert_eq(ph_path_expr(&b, &a->g, &p[k]), 0);
			cr_assert_eq(p[k].steps[p[k].len - 1].node, top[i]);
		}
		ph_paths_free(p, np);
	}
	free(top);
	for (uint32_t v = 0; v < a->g.n_nodes; v++) {
		struct ph_edges e;

		b.len = 0;
		if (v < a->g.n)
			cr_assert_eq(ph_render_value(&b, &a->g, v, 40), 0);
		cr_assert_eq(ph_render_node(&b, &a->g, v), 0);
		ph_graph_out(&a->g, v, &e);
		for (uint64_t k = e.begin; k < e.end; k++)
			cr_assert_eq(ph_render_step(&b, &a->g, v, k, e.tgt[k], false), 0);
	}
	{
		struct ph_suspect *s;

		cr_assert_eq(ph_suspects_find(a, 0.01, &s, &n), 0);
		for (size_t i = 0; i < n; i++)
			cr_assert(s[i].explanation && *s[i].explanation);
		ph_suspects_free(s, n);
	}
	{
		struct ph_bfs t;

		cr_assert_eq(ph_bfs_build(&t, a), 0);
		for (uint32_t v = 0; v < a->g.n_nodes; v++)
			if (v != a->g.super)
				cr_assert_neq(t.parent[v], PH_NO_ID, "seed %llu: node %u not in the tree",
					      (unsigned long long)seed, v);
		ph_bfs_release(&t);
	}
	ph_buf_release(&b);
}

Test(analyze_robust, random_heaps)
{
	for (uint64_t seed = 1; seed <= 120; seed++) {
		struct ph_buf f1 = PH_BUF_INIT, f2 = PH_BUF_INIT;
		struct ph_analysis *a = open_model(seed, 5 + seed % 60, &f1);
		struct ph_analysis *b = open_model(seed + 1000, 5 + seed % 60, &f2);
		struct ph_diff d;
		struct ph_diff_opts o = {(enum ph_partition)(seed % 3), 50};

		exercise(a, seed);
		cr_assert_eq(ph_diff_compute(&d, a, b, &o), 0);
		ph_diff_release(&d);
		cr_assert_eq(ph_diff_compute(&d, a, a, &o), 0);
		cr_assert_eq(d.n_paths, 0, "seed %llu: a dump compared with itself has no growth: %s %llu -> %llu",
			     (unsigned long long)seed, d.n_paths ? d.paths[0].path : "",
			     d.n_paths ? (unsigned long long)d.paths[0].retained_old : 0ULL,
			     d.n_paths ? (unsigned long long)d.paths[0].retained_new : 0ULL);
		ph_diff_release(&d);
		ph_analysis_free(a);
		ph_analysis_free(b);
		ph_buf_release(&f1);
		ph_buf_release(&f2);
	}
}

Test(analyze_robust, damaged_files_are_refused)
{
	for (uint64_t seed = 1; seed <= 60; seed++) {
		struct ph_buf f = PH_BUF_INIT;
		struct ph_analysis *a = open_model(seed, 20, &f), *bad = NULL;
		struct rng r = {seed};
		char path[64];
		size_t at = PH_FMT_HEADER_SIZE + rng_below(&r, f.len - PH_FMT_HEADER_SIZE);
		int err;

		ph_analysis_free(a);
		if (seed % 2) {
			f.data[at] ^= (uint8_t)(1 + rng_below(&r, 255));
		} else {
			f.len = at;
		}
		cr_assert_eq(write_temp(&f, path, sizeof(path)), 0);
		err = ph_analysis_open(&bad, path, NULL, NULL);
		unlink(path);
		cr_assert_lt(err, 0, "seed %llu: a damaged file was analyzed", (unsigned long long)seed);
		cr_assert(err == PH_ECORRUPT || err == PH_ETRUNCATED || err == PH_ENOTDUMP,
			  "seed %llu: %s", (unsigned long long)seed, ph_error_detail());
		cr_assert_null(bad);
		ph_buf_release(&f);
	}
}
