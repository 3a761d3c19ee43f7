/* SPDX-License-Identifier: MIT */
/*
 * The dominator tree and retained sizes against a brute-force oracle, on
 * thousands of small random heaps (fixed seeds).
 *
 * The oracle rebuilds the analysis graph from the test's own description of
 * the heap, by the rules documented in roots.h, graph.h and dominators.h -
 * roots from ROOTS records, reference counts and immortal/static flags;
 * super -> roots, threads -> frames -> locals; weak and dangling edges left
 * out; garbage adopted by the unreachable node (entries: garbage no strong
 * edge points to, then the lowest id of each remaining cycle), garbage ->
 * live edges ignored - and decides dominance by definition: v dominates w
 * iff w is unreachable from the super-root once v is removed. Every node's
 * chain of idom ancestors must equal its set of strict dominators, and
 * every retained size must equal the sizes of the objects it dominates.
 */
#include <criterion/criterion.h>

#include "analyze_util.h"
#include "format_util.h"

#define MAXN 64

struct oracle {
	size_t n;     /* objects */
	size_t nodes; /* all nodes, numbered as in graph.h */
	size_t super, unreach, first_thread, first_frame;
	bool adj[MAXN][MAXN];
	bool garbage[MAXN];
	bool entry[MAXN];
	uint64_t size[MAXN];
};

static void reach(const struct oracle *o, size_t from, size_t removed, bool *seen)
{
	size_t stack[MAXN * MAXN], top = 0;

	memset(seen, 0, MAXN * sizeof(*seen));
	if (from == removed)
		return;
	seen[from] = true;
	stack[top++] = from;
	while (top) {
		size_t v = stack[--top];

		for (size_t w = 0; w < o->nodes; w++)
			if (o->adj[v][w] && !seen[w] && w != removed) {
				seen[w] = true;
				stack[top++] = w;
			}
	}
}

/* Build the oracle's graph from the builder's heap. */
static void oracle_build(struct oracle *o, const struct tb *b)
{
	uint64_t found[MAXN] = {0};
	bool record[MAXN] = {0}, live[MAXN];
	bool edge[MAXN][MAXN]; /* object edges, strong */
	size_t idx;

	memset(o, 0, sizeof(*o));
	memset(edge, 0, sizeof(edge));
	o->n = b->n_obj;
	o->super = o->n;
	o->unreach = o->n + 1;
	o->first_thread = o->n + 2;
	o->first_frame = o->first_thread + b->n_thread;
	o->nodes = o->first_frame + b->n_frame;
	cr_assert_leq(o->nodes, MAXN);
	for (size_t i = 0; i < o->n; i++)
		o->size[i] = b->obj[i].size;
	for (size_t k = 0; k < b->n_edge; k++) {
		const struct tb_edge *e = &b->edge[k];
		size_t t = tb_index_of(b, e->target);

		if (e->kind == PH_FMT_LABEL_ENTRY && (idx = tb_index_of(b, e->label)) != SIZE_MAX &&
		    !e->weak) {
			edge[e->src][idx] = true;
			found[idx]++;
		}
		if (t == SIZE_MAX || e->weak)
			continue;
		edge[e->src][t] = true;
		found[t]++;
	}
	for (size_t k = 0; k < b->n_local; k++)
		if ((idx = tb_index_of(b, b->local[k].address)) != SIZE_MAX) {
			found[idx]++;
			o->adj[o->first_frame + b->local[k].frame][idx] = true;
		}
	for (size_t k = 0; k < b->n_root; k++)
		if ((idx = tb_index_of(b, b->root[k].address)) != SIZE_MAX) {
			found[idx]++;
			record[idx] = true;
			o->adj[o->super][idx] = true;
		}
	for (size_t i = 0; i < o->n; i++) {
		const struct tb_obj *t = &b->obj[i];
		uint64_t rc = t->refcount >= 0 ? (uint64_t)t->refcount : 0;

		if (t->flags & (PH_FMT_OBJ_IMMORTAL | PH_FMT_OBJ_STATIC))
			o->adj[o->super][i] = true;
		else if (!record[i] && t->refcount >= 0 && rc > found[i])
			o->adj[o->super][i] = true;
	}
	for (size_t t = 0; t < b->n_thread; t++)
		o->adj[o->super][o->first_thread + t] = true;
	for (size_t f = 0; f < b->n_frame; f++)
		o->adj[o->first_thread + b->frame[f].thread][o->first_frame + f] = true;
	/* live: reached from super through strong edges */
	for (size_t v = 0; v < o->n; v++)
		for (size_t w = 0; w < o->n; w++)
			if (edge[v][w])
				o->adj[v][w] = true;
	reach(o, o->super, SIZE_MAX, live);
	for (size_t i = 0; i < o->n; i++)
		o->garbage[i] = !live[i];
	/* garbage -> live edges are ignored */
	for (size_t v = 0; v < o->n; v++)
		for (size_t w = 0; w < o->n; w++)
			if (o->garbage[v] && !o->garbage[w])
				o->adj[v][w] = false;
	/* entries: first garbage with no strong edge into it, then the lowest id left */
	{
		bool covered[MAXN] = {0}, seen[MAXN];

		o->adj[o->super][o->unreach] = true;
		for (int phase = 0; phase < 2; phase++)
			for (size_t i = 0; i < o->n; i++) {
				bool pointed = false;

				if (!o->garbage[i] || covered[i])
					continue;
				for (size_t v = 0; v < o->n && phase == 0; v++)
					pointed |= edge[v][i];
				if (pointed)
					continue;
				o->entry[i] = true;
				o->adj[o->unreach][i] = true;
				reach(o, i, SIZE_MAX, seen);
				for (size_t w = 0; w < o->n; w++)
					covered[w] |= seen[w] && o->garbage[w];
			}
	}
}

static void check_against_oracle(const struct tb *b, const char *what, uint64_t seed)
{
	struct oracle o;
	struct ph_analysis *a = NULL;
	bool all[MAXN], without[MAXN][MAXN];
	int err;

	oracle_build(&o, b);
	err = tb_analyze((struct tb *)b, &a);
	cr_assert_eq(err, 0, "%s seed %llu: %s", what, (unsigned long long)seed, ph_error_detail());
	cr_assert_eq(a->g.n_nodes, o.nodes);
	reach(&o, o.super, SIZE_MAX, all);
	for (size_t v = 0; v < o.nodes; v++) {
		cr_assert(all[v], "%s seed %llu: oracle misses node %zu", what, (unsigned long long)seed, v);
		reach(&o, o.super, v, without[v]);
	}
	for (size_t i = 0; i < o.n; i++) {
		cr_assert_eq(ph_bit(a->d.garbage, (uint32_t)i), o.garbage[i], "%s seed %llu: garbage %zu",
			     what, (unsigned long long)seed, i);
		cr_assert_eq(ph_bit(a->d.entry, (uint32_t)i), o.entry[i], "%s seed %llu: entry %zu", what,
			     (unsigned long long)seed, i);
	}
	for (size_t w = 0; w < o.nodes; w++) {
		bool chain[MAXN] = {0};
		uint64_t retained = w < o.n ? o.size[w] : 0;

		if (w != o.super) {
			uint32_t d = (uint32_t)w;
			size_t steps = 0;

			do {
				d = a->d.idom[d];
				cr_assert_lt(d, o.nodes);
				chain[d] = true;
				cr_assert_lt(++steps, MAXN, "idom chain loops");
			} while (d != o.super);
		}
		for (size_t v = 0; v < o.nodes; v++) {
			bool dominates = v == o.super ? w != o.super : v != w && !without[v][w];

			cr_assert_eq(chain[v], dominates,
				     "%s seed %llu: node %zu %s be a strict dominator of %zu (idom %u)",
				     what, (unsigned long long)seed, v, dominates ? "should" : "should not",
				     w, a->d.idom[w]);
		}
		for (size_t x = 0; x < o.n; x++)
			if (x != w && (w == o.super || !without[w][x]))
				retained += o.size[x];
		cr_assert_eq(a->r.size[w], retained, "%s seed %llu: retained size of node %zu", what,
			     (unsigned long long)seed, w);
	}
	ph_analysis_free(a);
}

static void random_heap(struct tb *b, uint64_t seed)
{
	struct rng r = {seed * 0x9E3779B97F4A7C15ULL + 7};
	size_t n = 1 + rng_below(&r, 16), ne = rng_below(&r, 3 * n + 1);

	tb_init(b);
	b->chunk_size = rng_below(&r, 2) ? 64 + rng_below(&r, 200) : 0;
	b->by_kind_desc = rng_below(&r, 3) == 0;
	for (size_t i = 0; i < n; i++)
		tb_obj(b, rng_below(&r, 2) ? "list" : "app.Node", 1 + rng_below(&r, 1000));
	for (size_t k = 0; k < ne; k++) {
		uint32_t s = (uint32_t)rng_below(&r, n), t = (uint32_t)rng_below(&r, n);
		bool weak = rng_below(&r, 6) == 0;

		switch (rng_below(&r, 8)) {
		case 0:
			tb_dangling(b, s, 0x999000 + 16 * rng_below(&r, 4));
			break;
		case 1:
			tb_edge_full(b, s, TB_ADDR(t), PH_FMT_LABEL_ENTRY,
				     TB_ADDR(rng_below(&r, n)), NULL, weak);
			break;
		case 2:
			tb_edge_full(b, s, TB_ADDR(t), PH_FMT_LABEL_INDEX, k, NULL, weak);
			break;
		default:
			tb_edge_full(b, s, TB_ADDR(t), PH_FMT_LABEL_NONE, 0, NULL, weak);
		}
	}
	for (size_t k = rng_below(&r, 4); k > 0; k--)
		tb_root(b, (uint32_t)rng_below(&r, n), (uint8_t)(1 + rng_below(&r, 4)), "root");
	for (size_t t = rng_below(&r, 3); t > 0; t--) {
		uint32_t th = tb_thread(b, "T", t, 0);

		for (size_t f = rng_below(&r, 4); f > 0; f--) {
			uint32_t fr = tb_frame(b, th, "f", "x.py", f);

			for (size_t l = rng_below(&r, 4); l > 0; l--)
				tb_local(b, fr, "v", (uint32_t)rng_below(&r, n));
		}
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t *rc = tb_auto_refcounts(b);

		switch (rng_below(&r, 10)) {
		case 0:
			tb_refcount(b, (uint32_t)i, (int64_t)(rc[i] + 1 + rng_below(&r, 3)));
			break;
		case 1:
			tb_refcount(b, (uint32_t)i, (int64_t)rng_below(&r, rc[i] + 1));
			break;
		case 2:
			if (rng_below(&r, 3) == 0)
				tb_flags(b, (uint32_t)i, PH_FMT_OBJ_IMMORTAL);
			else
				tb_refcount(b, (uint32_t)i, (int64_t)rc[i]);
			break;
		default:
			tb_refcount(b, (uint32_t)i, (int64_t)rc[i]);
		}
		free(rc);
	}
}

Test(analyze_dominators, random_heaps_against_oracle)
{
	for (uint64_t seed = 1; seed <= 3000; seed++) {
		struct tb b;

		random_heap(&b, seed);
		check_against_oracle(&b, "random", seed);
		tb_free(&b);
	}
}

/* Denser graphs: more shared structure and cycles, few roots. */
Test(analyze_dominators, dense_random_graphs_against_oracle)
{
	for (uint64_t seed = 1; seed <= 1500; seed++) {
		struct rng r = {seed * 0xD1B54A32D192ED03ULL + 3};
		struct tb b;
		size_t n = 2 + rng_below(&r, 30);

		tb_init(&b);
		for (size_t i = 0; i < n; i++)
			tb_obj(&b, "dict", 1 + rng_below(&r, 100));
		for (size_t k = rng_below(&r, 4 * n); k > 0; k--)
			tb_ref(&b, (uint32_t)rng_below(&r, n), (uint32_t)rng_below(&r, n));
		for (size_t k = 1 + rng_below(&r, 2); k > 0; k--)
			tb_root(&b, (uint32_t)rng_below(&r, n), PH_FMT_ROOT_MODULES, "sys.modules");
		check_against_oracle(&b, "dense", seed);
		tb_free(&b);
	}
}
