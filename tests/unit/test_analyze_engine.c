/* SPDX-License-Identifier: MIT */
/*
 * The analysis engine on hand-made heaps with known answers: loading (edge
 * expansion, dangling edges, split records, chunk order, zstd), roots,
 * dominators, retained sizes, unreachable objects, threads and frames.
 */
#include <criterion/criterion.h>

#include "analyze_util.h"
#include "analyze/paths.h"

static struct ph_analysis *analyze(struct tb *b)
{
	struct ph_analysis *a = NULL;
	int err = tb_analyze(b, &a);

	cr_assert_eq(err, 0, "analysis failed: %s", ph_error_detail());
	return a;
}

#define IDOM(a, v) ((a)->d.idom[v])
#define RET(a, v)  ((a)->r.size[v])
#define SUPER(a)   ((a)->g.super)

/* R -> A <-> B: A retains B; R retains both. */
Test(analyze_engine, root_to_a_cycle)
{
	struct tb b;
	struct ph_analysis *a;
	uint32_t r, x, y;

	tb_init(&b);
	r = tb_obj(&b, "dict", 10);
	x = tb_obj(&b, "app.A", 20);
	y = tb_obj(&b, "app.B", 40);
	tb_ref(&b, r, x);
	tb_ref(&b, x, y);
	tb_ref(&b, y, x);
	tb_root(&b, r, PH_FMT_ROOT_MODULES, "sys.modules");
	a = analyze(&b);
	cr_assert_eq(a->h->n_objects, 3);
	cr_assert_eq(a->h->n_edges, 3);
	cr_assert_eq(IDOM(a, r), SUPER(a));
	cr_assert_eq(IDOM(a, x), r);
	cr_assert_eq(IDOM(a, y), x);
	cr_assert_eq(RET(a, y), 40);
	cr_assert_eq(RET(a, x), 60);
	cr_assert_eq(RET(a, r), 70);
	cr_assert_eq(RET(a, SUPER(a)), 70);
	cr_assert_eq(a->r.count[x], 2);
	cr_assert_eq(a->d.n_garbage, 0);
	cr_assert_eq(a->g.roots.n_record, 1);
	cr_assert_eq(a->g.roots.n_held, 0);
	ph_analysis_free(a);
	tb_free(&b);
}

/* R -> A, R -> B, A -> C, B -> C, C -> D: C is R's, not A's or B's. */
Test(analyze_engine, diamond)
{
	struct tb b;
	struct ph_analysis *a;
	uint32_t r, x, y, c, d;

	tb_init(&b);
	r = tb_obj(&b, "list", 1);
	x = tb_obj(&b, "list", 2);
	y = tb_obj(&b, "list", 4);
	c = tb_obj(&b, "list", 8);
	d = tb_obj(&b, "list", 16);
	tb_ref(&b, r, x);
	tb_ref(&b, r, y);
	tb_ref(&b, x, c);
	tb_ref(&b, y, c);
	tb_ref(&b, c, d);
	tb_root(&b, r, PH_FMT_ROOT_INTERP, "interp.builtins");
	a = analyze(&b);
	cr_assert_eq(IDOM(a, c), r);
	cr_assert_eq(IDOM(a, d), c);
	cr_assert_eq(IDOM(a, x), r);
	cr_assert_eq(RET(a, x), 2);
	cr_assert_eq(RET(a, y), 4);
	cr_assert_eq(RET(a, c), 24);
	cr_assert_eq(RET(a, r), 31);
	ph_analysis_free(a);
	tb_free(&b);
}

Test(analyze_engine, self_loops)
{
	struct tb b;
	struct ph_analysis *a;
	uint32_t r, x;

	tb_init(&b);
	r = tb_obj(&b, "list", 5);
	x = tb_obj(&b, "list", 7);
	tb_ref(&b, r, r);
	tb_ref(&b, r, x);
	tb_ref(&b, x, x);
	tb_root(&b, r, PH_FMT_ROOT_OTHER, "other");
	a = analyze(&b);
	cr_assert_eq(IDOM(a, x), r);
	cr_assert_eq(RET(a, r), 12);
	cr_assert_eq(RET(a, x), 7);
	cr_assert_eq(a->g.roots.n_held, 0, "self references count as references found");
	ph_analysis_free(a);
	tb_free(&b);
}

/* A weak edge keeps nothing alive and does not share ownership. */
Test(analyze_engine, weak_edges)
{
	struct tb b;
	struct ph_analysis *a;
	uint32_t r, x, w, onlyweak;

	tb_init(&b);
	r = tb_obj(&b, "dict", 100);
	x = tb_obj(&b, "app.Thing", 10);
	w = tb_obj(&b, "weakref.ReferenceType", 80);
	onlyweak = tb_obj(&b, "app.Thing", 30);
	tb_ref(&b, r, x);
	tb_ref(&b, r, w);
	tb_weak(&b, w, x);        /* x still belongs to r alone ... */
	tb_weak(&b, w, onlyweak); /* ... and onlyweak is garbage */
	tb_root(&b, r, PH_FMT_ROOT_MODULES, "sys.modules");
	a = analyze(&b);
	cr_assert_eq(a->h->n_weak, 2);
	cr_assert_eq(IDOM(a, x), r);
	cr_assert_eq(RET(a, w), 80);
	cr_assert_eq(RET(a, r), 190);
	cr_assert(ph_bit(a->d.garbage, onlyweak));
	cr_assert_eq(a->d.n_garbage, 1);
	cr_assert_eq(a->d.garbage_size, 30);
	cr_assert_eq(RET(a, SUPER(a)), 220);
	ph_analysis_free(a);
	tb_free(&b);
}

/* A garbage cycle hangs under the unreachable node; garbage pointing at live objects changes nothing. */
Test(analyze_engine, unreachable_cycles)
{
	struct tb b;
	struct ph_analysis *a;
	uint32_t r, live, c1, c2, g, g2;

	tb_init(&b);
	r = tb_obj(&b, "dict", 1);
	live = tb_obj(&b, "list", 2);
	c1 = tb_obj(&b, "app.Node", 100);
	c2 = tb_obj(&b, "app.Node", 200);
	g = tb_obj(&b, "list", 1000);
	g2 = tb_obj(&b, "list", 3000);
	tb_ref(&b, r, live);
	tb_ref(&b, c1, c2);
	tb_ref(&b, c2, c1);
	tb_ref(&b, g, live); /* garbage -> live */
	tb_ref(&b, g, g2);
	tb_root(&b, r, PH_FMT_ROOT_MODULES, "sys.modules");
	a = analyze(&b);
	cr_assert_eq(a->d.n_garbage, 4);
	cr_assert_eq(a->d.garbage_size, 4300);
	cr_assert_eq(IDOM(a, live), r, "garbage must not steal live objects");
	cr_assert_eq(RET(a, r), 3);
	cr_assert_eq(IDOM(a, g), a->g.unreachable);
	cr_assert(ph_bit(a->d.entry, g), "no strong edge points to g: an entry");
	cr_assert_eq(IDOM(a, g2), g);
	cr_assert_eq(RET(a, g), 4000);
	/* the cycle has no entry of its own: the lowest id is adopted */
	cr_assert(ph_bit(a->d.entry, c1));
	cr_assert(!ph_bit(a->d.entry, c2));
	cr_assert_eq(IDOM(a, c1), a->g.unreachable);
	cr_assert_eq(IDOM(a, c2), c1);
	cr_assert_eq(RET(a, c1), 300);
	cr_assert_eq(RET(a, a->g.unreachable), 4300);
	cr_assert_eq(RET(a, SUPER(a)), 4303);
	cr_assert_eq(a->d.n_live, 3, "super, r and live are numbered before the unreachable node");
	ph_analysis_free(a);
	tb_free(&b);
}

Test(analyze_engine, multiple_roots_share)
{
	struct tb b;
	struct ph_analysis *a;
	uint32_t r1, r2, x, y;

	tb_init(&b);
	r1 = tb_obj(&b, "dict", 1);
	r2 = tb_obj(&b, "dict", 2);
	x = tb_obj(&b, "list", 4);
	y = tb_obj(&b, "list", 8);
	tb_ref(&b, r1, x);
	tb_ref(&b, r2, x);
	tb_ref(&b, x, y);
	tb_root(&b, r1, PH_FMT_ROOT_MODULES, "sys.modules");
	tb_root(&b, r2, PH_FMT_ROOT_INTERP, "interp.sysdict");
	tb_root(&b, r2, PH_FMT_ROOT_OTHER, "again"); /* two records, one object */
	a = analyze(&b);
	cr_assert_eq(IDOM(a, x), SUPER(a));
	cr_assert_eq(IDOM(a, y), x);
	cr_assert_eq(RET(a, r1), 1);
	cr_assert_eq(RET(a, r2), 2);
	cr_assert_eq(RET(a, x), 12);
	cr_assert_eq(a->g.roots.n_record, 3);
	cr_assert_eq(a->g.roots.by_kind[PH_FMT_ROOT_MODULES], 1);
	cr_assert_eq(a->g.roots.by_kind[PH_FMT_ROOT_INTERP], 1);
	cr_assert_eq(a->g.roots.by_kind[PH_FMT_ROOT_OTHER], 1);
	ph_analysis_free(a);
	tb_free(&b);
}

/* Reference counts above the references found make roots; immortal and static objects are static roots. */
Test(analyze_engine, refcount_roots)
{
	struct tb b;
	struct ph_analysis *a;
	uint32_t held, child, exact, immortal, stat, under_weak;

	tb_init(&b);
	held = tb_obj(&b, "dict", 10);
	child = tb_obj(&b, "list", 20);
	exact = tb_obj(&b, "list", 40);
	immortal = tb_obj(&b, "str", 50);
	stat = tb_obj(&b, "type", 400);
	under_weak = tb_obj(&b, "list", 800);
	tb_ref(&b, held, child);
	tb_ref(&b, child, exact);
	tb_weak(&b, exact, under_weak);
	tb_refcount(&b, held, 3);       /* nothing in the dump refers to it */
	tb_refcount(&b, child, 1);      /* exactly the references found */
	tb_refcount(&b, under_weak, 1); /* the weak edge does not count: held */
	tb_refcount(&b, immortal, 4294967295LL);
	tb_flags(&b, immortal, PH_FMT_OBJ_IMMORTAL);
	tb_refcount(&b, stat, 1);
	tb_flags(&b, stat, PH_FMT_OBJ_STATIC | PH_FMT_OBJ_GC);
	tb_ref(&b, stat, exact);
	a = analyze(&b);
	cr_assert_eq(a->g.roots.n_record, 0);
	cr_assert_eq(a->g.roots.n_held, 2);
	cr_assert_eq(a->g.roots.n_static, 2);
	cr_assert_eq(a->g.roots.list[0].object, held);
	cr_assert_eq(a->g.roots.list[0].why, PH_LABEL_HELD);
	cr_assert_eq(a->g.roots.list[0].val, 3);
	cr_assert_eq(a->g.roots.list[1].object, under_weak);
	cr_assert_eq(a->g.roots.list[1].val, 1);
	cr_assert_eq(a->g.roots.list[2].object, immortal);
	cr_assert_eq(a->g.roots.list[2].why, PH_LABEL_STATIC);
	cr_assert_eq(a->g.roots.list[3].object, stat);
	cr_assert_eq(a->d.n_garbage, 0);
	cr_assert_eq(IDOM(a, exact), SUPER(a), "reached from held (via child) and from static");
	cr_assert_eq(RET(a, held), 30);
	cr_assert_eq(RET(a, stat), 400);
	ph_analysis_free(a);
	tb_free(&b);
}

/*
 * An object a ROOTS record names is held from outside the dump too when its
 * count is above the references found, the record's included (3.8-3.10's
 * builtins dict: docs/analysis.md); one whose count is exact is not.
 */
Test(analyze_engine, record_roots_can_be_held_too)
{
	struct tb b;
	struct ph_analysis *a;
	uint32_t builtins, sysdict, mod;

	tb_init(&b);
	builtins = tb_obj(&b, "dict", 100);
	sysdict = tb_obj(&b, "dict", 200);
	mod = tb_obj(&b, "module", 72);
	tb_field(&b, mod, builtins, "__dict__");
	tb_root(&b, builtins, PH_FMT_ROOT_INTERP, "interp.builtins");
	tb_root(&b, sysdict, PH_FMT_ROOT_INTERP, "interp.sysdict");
	tb_refcount(&b, builtins, 3); /* the module, the record, and one the dump does not show */
	tb_refcount(&b, sysdict, 1);  /* the record */
	tb_refcount(&b, mod, 1);
	a = analyze(&b);
	cr_assert_eq(a->g.roots.n_record, 2);
	cr_assert_eq(a->g.roots.n_held, 2, "builtins, and the module nothing refers to");
	cr_assert_eq(a->g.roots.list[2].object, builtins);
	cr_assert_eq(a->g.roots.list[2].why, PH_LABEL_HELD);
	cr_assert_eq(a->g.roots.list[2].val, 1);
	ph_analysis_free(a);
	tb_free(&b);
}

/* Threads and frames are nodes: super -> thread -> frame -> locals. */
Test(analyze_engine, threads_and_frames)
{
	struct tb b;
	struct ph_analysis *a;
	uint32_t t0, t1, f0, f1, f2, x, y, z, shared, zchild;
	uint32_t nt0, nt1, nf0, nf1, nf2;

	tb_init(&b);
	x = tb_obj(&b, "list", 10);
	y = tb_obj(&b, "list", 20);
	z = tb_obj(&b, "dict", 40);
	zchild = tb_obj(&b, "str", 80);
	shared = tb_obj(&b, "bytes", 160);
	tb_ref(&b, z, zchild);
	t0 = tb_thread(&b, "MainThread", 1, PH_FMT_THREAD_MAIN);
	t1 = tb_thread(&b, "worker", 2, PH_FMT_THREAD_DAEMON);
	f0 = tb_frame(&b, t0, "inner", "app.py", 12);
	f1 = tb_frame(&b, t0, "main", "app.py", 30);
	f2 = tb_frame(&b, t1, "run", "worker.py", 7);
	tb_local(&b, f0, "x", x);
	tb_local(&b, f0, "y", y);
	tb_local(&b, f1, "y", y); /* both frames of t0 */
	tb_local(&b, f1, "z", z);
	tb_local(&b, f2, "s", shared);
	tb_local(&b, f0, "s", shared); /* both threads */
	a = analyze(&b);
	nt0 = a->g.first_thread + t0;
	nt1 = a->g.first_thread + t1;
	nf0 = a->g.first_frame + f0;
	nf1 = a->g.first_frame + f1;
	nf2 = a->g.first_frame + f2;
	cr_assert_eq(a->h->n_threads, 2);
	cr_assert_eq(a->h->n_frames, 3);
	cr_assert_eq(a->h->n_locals, 6);
	cr_assert_eq(a->g.roots.n_held, 0);
	cr_assert_eq(IDOM(a, x), nf0);
	cr_assert_eq(IDOM(a, y), nt0);
	cr_assert_eq(IDOM(a, z), nf1);
	cr_assert_eq(IDOM(a, shared), SUPER(a));
	cr_assert_eq(IDOM(a, nf0), nt0);
	cr_assert_eq(IDOM(a, nf2), nt1);
	cr_assert_eq(RET(a, nf0), 10);
	cr_assert_eq(RET(a, nf1), 120);
	cr_assert_eq(RET(a, nt0), 150);
	cr_assert_eq(RET(a, nf2), 0);
	cr_assert_eq(RET(a, nt1), 0);
	cr_assert_eq(RET(a, SUPER(a)), 310);
	ph_analysis_free(a);
	tb_free(&b);
}

/* Edges to addresses that are not objects are dropped and counted. */
Test(analyze_engine, dangling_edges_ignored)
{
	struct tb b;
	struct ph_analysis *a;
	uint32_t r, x, k;

	tb_init(&b);
	r = tb_obj(&b, "dict", 1);
	x = tb_obj(&b, "list", 2);
	k = tb_str(&b, "k");
	tb_dangling(&b, r, 0xdead0000);
	tb_ref(&b, r, x);
	tb_dangling(&b, x, 0xbeef0000);
	tb_edge_full(&b, r, 0xfeed0000, PH_FMT_LABEL_KEY, TB_ADDR(k), NULL, false);
	tb_edge_full(&b, r, TB_ADDR(k), PH_FMT_LABEL_ATTR, 0xabc0000, NULL, false);
	tb_root(&b, r, PH_FMT_ROOT_MODULES, "sys.modules");
	tb_root(&b, r, PH_FMT_ROOT_OTHER, "nowhere");
	b.root[1].address = 0x12340000;
	a = analyze(&b);
	cr_assert_eq(a->h->dangling_edges, 3);
	cr_assert_eq(a->h->dangling_labels, 1);
	cr_assert_eq(a->h->n_edges, 2);
	cr_assert_eq(a->h->n_wide, 1, "the attr label that names no object is kept by address");
	cr_assert_eq(a->h->out_val[1], PH_VAL_WIDE);
	cr_assert_eq(ph_heap_wide(a->h, 1), 0xabc0000);
	cr_assert_eq(a->h->dangling_other, 1 + 3 /* type objects are not in this dump */);
	cr_assert_eq(a->g.roots.n_record, 1);
	cr_assert_eq(RET(a, r), 3 + 50);
	ph_analysis_free(a);
	tb_free(&b);
}

/* ENTRY edges become KEYREF + KEY; labels resolve to objects. */
Test(analyze_engine, entries_expand)
{
	struct tb b;
	struct ph_analysis *a;
	uint32_t d, k, v, name, o;
	const struct ph_heap *h;

	tb_init(&b);
	d = tb_obj(&b, "dict", 100);
	k = tb_str(&b, "cache");
	v = tb_obj(&b, "list", 56);
	o = tb_obj(&b, "app.Obj", 48);
	name = tb_str(&b, "payload");
	tb_entry(&b, d, k, v);
	tb_attr(&b, o, v, name);
	tb_field(&b, o, d, "__dict__");
	tb_index(&b, v, o, 7);
	tb_root(&b, d, PH_FMT_ROOT_MODULES, "sys.modules");
	tb_refcount(&b, name, 1); /* held by a shared-keys table, which is not an object */
	a = analyze(&b);
	h = a->h;
	cr_assert_eq(h->n_edges, 5);
	cr_assert_eq(h->out_off[d + 1] - h->out_off[d], 2);
	cr_assert_eq(h->out_tgt[0], k);
	cr_assert_eq(h->out_kind[0], PH_LABEL_KEYREF);
	cr_assert_eq(h->out_tgt[1], v);
	cr_assert_eq(h->out_kind[1], PH_LABEL_KEY);
	cr_assert_eq(h->out_val[1], k);
	cr_assert_eq(h->out_kind[2], PH_LABEL_INDEX);
	cr_assert_eq(h->out_val[2], 7);
	cr_assert_eq(h->out_kind[3], PH_LABEL_ATTR);
	cr_assert_eq(h->out_val[3], name);
	cr_assert_eq(h->out_kind[4], PH_LABEL_FIELD);
	cr_assert_str_eq(ph_heap_str(h, h->out_val[4], NULL), "__dict__");
	cr_assert_eq(h->sref_dict, h->out_val[4]);
	cr_assert_eq(a->g.roots.n_held, 1, "the attr name str is held from outside the dump");
	cr_assert_eq(a->g.roots.list[1].object, name);
	cr_assert_eq(a->d.n_garbage, 0);
	cr_assert_str_eq(ph_heap_kind(h, o), "app.Obj");
	cr_assert_str_eq(ph_heap_kind(h, d), "dict");
	{
		struct ph_value val;

		ph_heap_value(h, k, &val);
		cr_assert_eq(val.kind, PH_FMT_VAL_STR);
		cr_assert_eq(val.data_len, 5);
		cr_assert(memcmp(val.data, "cache", 5) == 0);
	}
	ph_analysis_free(a);
	tb_free(&b);
}

/* One object's edges split over many records and chunks; chunks in any order; zstd. */
static void big_list_checks(bool zstd, bool reorder, size_t chunk)
{
	struct tb b;
	struct ph_analysis *a;
	uint32_t r, l, first = 0;

	tb_init(&b);
	b.zstd = zstd;
	b.by_kind_desc = reorder;
	b.chunk_size = chunk;
	r = tb_obj(&b, "dict", 1);
	l = tb_obj(&b, "list", 8);
	tb_ref(&b, r, l);
	for (int i = 0; i < 3000; i++) {
		uint32_t x = tb_int(&b, i);

		if (!i)
			first = x;
		tb_index(&b, l, x, (uint64_t)i);
	}
	tb_root(&b, r, PH_FMT_ROOT_MODULES, "sys.modules");
	a = analyze(&b);
	cr_assert_eq(a->h->n_objects, 3002);
	cr_assert_eq(a->h->out_off[l + 1] - a->h->out_off[l], 3000);
	cr_assert_eq(a->h->out_val[a->h->out_off[l] + 2999], 2999);
	cr_assert_eq(a->h->out_tgt[a->h->out_off[l]], first);
	cr_assert_eq(IDOM(a, first), l);
	cr_assert_eq(RET(a, l), 8 + 3000 * 28);
	cr_assert_eq(RET(a, r), 9 + 3000 * 28);
	if (chunk)
		cr_assert_gt(a->h->edge_records, 10, "the list's edges are split over records");
	ph_analysis_free(a);
	tb_free(&b);
}

Test(analyze_engine, split_edge_records)
{
	big_list_checks(false, false, 512);
}

Test(analyze_engine, chunks_reordered_by_kind)
{
	big_list_checks(false, true, 512);
	big_list_checks(true, true, 700);
}

Test(analyze_engine, zstd_default_chunks)
{
	big_list_checks(true, false, 0);
}

Test(analyze_engine, empty_heap)
{
	struct tb b;
	struct ph_analysis *a;

	tb_init(&b);
	a = analyze(&b);
	cr_assert_eq(a->h->n_objects, 0);
	cr_assert_eq(a->g.n_nodes, 2);
	cr_assert_eq(RET(a, SUPER(a)), 0);
	ph_analysis_free(a);
	tb_free(&b);
}

/* A 200k-long chain: nothing recursive. */
Test(analyze_engine, long_chain)
{
	struct tb b;
	struct ph_analysis *a;
	const uint32_t n = 200000;

	tb_init(&b);
	for (uint32_t i = 0; i < n; i++)
		tb_obj(&b, "app.Link", 1);
	for (uint32_t i = 0; i + 1 < n; i++)
		tb_ref(&b, i, i + 1);
	tb_root(&b, 0, PH_FMT_ROOT_MODULES, "sys.modules");
	a = analyze(&b);
	cr_assert_eq(IDOM(a, n - 1), n - 2);
	cr_assert_eq(RET(a, 0), n);
	cr_assert_eq(RET(a, n / 2), n - n / 2);
	cr_assert_eq(a->r.count[n / 2], n - n / 2);
	cr_assert_eq(a->d.n_garbage, 0);
	ph_analysis_free(a);
	tb_free(&b);
}

/* Heap types: each instance holds a reference to its type, counted unless the dump has that edge. */
static void heap_type_case(int64_t cls_refcount, size_t expect_held)
{
	struct tb b;
	struct ph_analysis *a;
	uint32_t mod, cls, i1, i2;

	tb_init(&b);
	mod = tb_obj(&b, "dict", 1);
	cls = tb_obj(&b, "type", 1000);
	i1 = tb_obj(&b, "app.C", 10);
	i2 = tb_obj(&b, "app.C", 10);
	tb_type_object(&b, "app.C", cls);
	tb_ref(&b, mod, cls);
	tb_ref(&b, mod, i1);
	tb_ref(&b, mod, i2);
	tb_ref(&b, i2, cls); /* i2's reference to its type is in the dump; i1's is not */
	tb_root(&b, mod, PH_FMT_ROOT_MODULES, "sys.modules");
	tb_refcount(&b, cls, cls_refcount);
	a = analyze(&b);
	cr_assert_eq(a->h->types[a->h->type[i1]].object, cls);
	cr_assert_eq(a->g.roots.n_held, expect_held, "refcount %lld", (long long)cls_refcount);
	if (expect_held) {
		cr_assert_eq(a->g.roots.list[1].object, cls);
		cr_assert_eq(a->g.roots.list[1].val, 1);
	}
	ph_analysis_free(a);
	tb_free(&b);
}

Test(analyze_engine, heap_type_references)
{
	heap_type_case(3, 0); /* mod, i2's edge, i1's implicit reference */
	heap_type_case(4, 1);
}

/*
 * Path length counts references: a local is one step from the roots, like a
 * ROOTS record's object; the hops to its thread and frame cost nothing, in
 * the backward search (paths) and in the forward tree (diff) alike.
 */
Test(analyze_engine, locals_are_one_step_from_the_roots)
{
	struct tb b;
	struct ph_analysis *a;
	struct ph_path *paths, p;
	struct ph_bfs bfs;
	size_t n;
	uint32_t mod, list, target, t, f;

	tb_init(&b);
	mod = tb_obj(&b, "dict", 100);
	list = tb_obj(&b, "list", 40);
	target = tb_obj(&b, "list", 60);
	tb_index(&b, mod, list, 0);
	tb_index(&b, list, target, 0);
	tb_root(&b, mod, PH_FMT_ROOT_MODULES, "sys.modules");
	t = tb_thread(&b, "MainThread", 1, PH_FMT_THREAD_MAIN);
	f = tb_frame(&b, t, "main", "app.py", 3);
	tb_local(&b, f, "x", target);
	a = analyze(&b);
	cr_assert_eq(ph_paths_to(a, target, 2, &paths, &n), 0);
	cr_assert_eq(n, 2);
	cr_assert(ph_graph_is_thread(&a->g, paths[0].steps[0].node), "the local (1 step) first");
	cr_assert_eq(paths[0].len, 3);
	cr_assert_eq(paths[1].steps[0].node, mod, "then sys.modules[0][0] (3 steps)");
	ph_paths_free(paths, n);
	cr_assert_eq(ph_bfs_build(&bfs, a), 0);
	cr_assert_eq(ph_bfs_path(&bfs, a, target, &p), 0);
	cr_assert_eq(p.len, 3);
	cr_assert(ph_graph_is_frame(&a->g, p.steps[1].node));
	free(p.steps);
	cr_assert_eq(ph_bfs_path(&bfs, a, list, &p), 0);
	cr_assert_eq(p.len, 2, "the list is reached from sys.modules");
	free(p.steps);
	ph_bfs_release(&bfs);
	ph_analysis_free(a);
	tb_free(&b);
}
