/* SPDX-License-Identifier: MIT */
/*
 * walk.c - the heap walk: everything between "the output is ready" and "the
 * stream is complete", on the agent thread (see agent.h, walk.h).
 *
 * Order of work:
 *  1. Before the GIL: read the version and pick its layout, map the loaded
 *     ELF objects (py.c), open the writer, allocate the tables.
 *  2. Take the GIL (gil_take), refuse a finalizing interpreter, check the
 *     layout against it (py.c), disable the cyclic GC.
 *  3. Roots (sys.modules, the interpreter's own objects, GC lists of
 *     garbage and callbacks: roots.c) and threads with their frames
 *     (threads.c).
 *  4. Every object of the GC's generation lists 0-2 and the permanent
 *     generation, each written once, and after each one everything it
 *     reaches that the lists do not hold (str, int, code, static types,
 *     untracked tuples and dicts, ...), depth first from an explicit stack.
 *     Each object's record says its size and value (record.c), then come
 *     its edges (edges.c).
 *  5. Metadata (roots.c); restore the GC; release the GIL; flush the writer
 *     (the last chunks and the table of contents are written with the
 *     target running).
 *
 * Exactly once: an object that sits in a GC list (tracked, and not marked
 * COLLECTING by a collection in progress) is written when the list walk
 * meets it; any other object goes through the seen set when first reached.
 * If a collection is in progress (objects it is finalizing sit in its own
 * lists) or there are several interpreters (objects of another one sit in
 * its lists), every object goes through the seen set instead ("full" mode).
 * Two exceptions keep the set small: an object whose reference count is 1
 * and that cannot be weakly referenced, met through the reference that
 * holds it, can be met no other way and is queued without entering the set
 * (reach_ref); and the str/bytes/int/float leaves of an exact list, tuple,
 * dict or set are written just before their container, so that a list of
 * ten million of them needs no stack (write_leaves).
 *
 * Every edge target and label is checked to be an object (its type's type
 * is a type) before it is written.
 *
 * Nothing here runs Python code of the application or allocates a Python
 * object, with one exception: a C __sizeof__ of a type of the interpreter's
 * own code (not a class's Python method) returns an int, which is read and
 * released at once (see types.c, record.c).
 */
#include "agent/walk.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/dicts.h"
#include "agent/edges.h"
#include "agent/memory.h"
#include "agent/names.h"
#include "agent/native.h"
#include "agent/py.h"
#include "agent/record.h"
#include "agent/roots.h"
#include "agent/seen.h"
#include "agent/sites.h"
#include "agent/unreached.h"
#include "agent/threads.h"
#include "agent/types.h"
#include "agent/values.h"
#include "common/error.h"

#define CHECK_EVERY    4096  /* objects between progress updates and cancel checks */
#define VALUE_CAP_MAX  ((uint64_t)1 << 20)

struct walk {
	struct ph_agent_state *state;
	struct ph_py py;
	struct ph_writer w;
	struct ph_types T;
	struct ph_seen seen;
	struct ph_edges E;
	struct ph_record R;
	struct ph_names N; /* --no-values: the strs that name code (names.h) */
	struct ph_sites S; /* allocation sites (tracemalloc) */
	struct ph_unreached U; /* objects held only from C (unreached.h) */
	struct ph_native X; /* native bytes of objects (native.h) */
	bool writing_deferred; /* the deferred strs are being written */
	bool full; /* every object goes through the seen set */

	uintptr_t *stack;
	size_t n_stack, cap_stack;
	bool leaves_written; /* the current container's leaves are written (see write_leaves) */

	/* statistics */
	uint64_t objects, gc_objects, bad_refs, bad_links, sole_refs, dead_refs;
	uint64_t next_check; /* objects count of the next progress() */
	uint64_t t_gil; /* CLOCK_MONOTONIC when the GIL was taken */
};

static uint64_t now_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- making sure objects get dumped ---- */

/* True if o sits in one of the GC lists the walk goes through. */
static bool in_gc_lists(const struct ph_tinfo *ti, uintptr_t o)
{
	if (!ti->gc)
		return false;
	if (ti->is_gc_fn && !((int (*)(void *))ti->is_gc_fn)((void *)o))
		return false;
	return ph_gc_next(o) != 0 && !(ph_gc_prev(o) & PH_GC_PREV_COLLECTING);
}

/* Instances of these types have no references to dump: str, bytes, int, bool, float, None. */
static bool is_leaf(const struct ph_tinfo *ti)
{
	return ti->exact && !ti->gc &&
	       (ti->kind == PH_K_STR || ti->kind == PH_K_BYTES || ti->kind == PH_K_INT ||
		ti->kind == PH_K_BOOL || ti->kind == PH_K_FLOAT || ti->kind == PH_K_NONE);
}

/*
 * True if a reference to r that its holder owns is r's only one: its count
 * is 1 and nothing holds it without counting - a weak reference, or for an
 * interned str the interned dict, whose two references CPython does not
 * count (3.14 keeps that dict in the GC lists, so the walk meets it).
 */
static bool only_reference(const struct walk *W, const struct ph_tinfo *ti, uintptr_t r)
{
	return ph_refcnt(&W->py, r) == 1 && !ti->weakrefable &&
	       !(ti->kind == PH_K_STR && ph_str_is_interned(r));
}

static int push(struct walk *W, uintptr_t o)
{
	int err = PH_ARRAY_RESERVE(W->stack, W->cap_stack, W->n_stack + 1);

	if (err)
		return err;
	W->stack[W->n_stack++] = o;
	return 0;
}

/*
 * Make sure r gets dumped: nothing to do if the list walk will meet it,
 * else queue it unless it was queued before. *ok = false if r is not an
 * object (then no edge may point at it).
 *
 * sole: r is the target of a reference the holder really owns (an edge,
 * not a label, a thread's local or a weak reference). Then if that is r's
 * only reference (only_reference), this is the only way to
 * reach r: it is queued without being added to the seen set, which keeps
 * the set small (most str, int and float objects of a heap are held once).
 * Every other way of reaching an object adds it to the set, and comes
 * first for thread locals and roots (walked before the GC lists), so that
 * a sole-reference object met again (a 3.8-3.10 frame's local) is known.
 */
static int reach_ref(struct walk *W, uintptr_t r, bool sole, bool *ok)
{
	struct ph_tinfo *ti;
	bool added;
	int err;

	*ok = false;
	if (r < 4096 || (r & 7) || (r >> 56)) { /* not a user-space object address */
		W->bad_refs++;
		return 0;
	}
	if (ph_refcnt(&W->py, r) == 0) {
		/* a dead object, on some free list (3.12's _asyncio traverses its own) */
		W->dead_refs++;
		return 0;
	}
	err = ph_types_get(&W->T, ph_type(r), &ti);
	if (err)
		return err;
	if (!ti) {
		W->bad_refs++;
		return 0;
	}
	*ok = true;
	if (W->leaves_written && is_leaf(ti))
		return 0; /* written (or queued) before its container: see write_leaves */
	if (W->full)
		goto add;
	if (in_gc_lists(ti, r))
		return 0;
	if (sole && only_reference(W, ti, r)) {
		W->sole_refs++;
		return ph_seen_has(&W->seen, r) ? 0 : push(W, r);
	}
add:
	err = ph_seen_add(&W->seen, r, &added);
	if (!err && added)
		err = push(W, r);
	return err;
}

static int reach(struct walk *W, uintptr_t r, bool *ok)
{
	return reach_ref(W, r, false, ok);
}

static int reach_cb(void *ctx, uintptr_t o, bool *ok)
{
	return reach(ctx, o, ok);
}

/* Queue the type objects registered since the last call (reach() may register more). */
static int reach_new_types(struct walk *W)
{
	uintptr_t tp;
	bool ok;
	int err = 0;

	while (!err && ph_types_pop_fresh(&W->T, &tp))
		err = reach(W, tp, &ok);
	return err;
}

/* ---- writing edges (edges.c collects them) ---- */

/* Write one edge of the current object, once its target (and label) are known to be objects. */
static int write_edge(void *ctx, struct ph_edge *e, bool sole)
{
	struct walk *W = ctx;
	struct ph_edge_rec r;
	bool ok;
	int err = reach_ref(W, e->target, sole, &ok);

	if (err || !ok)
		return err;
	if (e->kind == PH_FMT_LABEL_ATTR && W->R.no_values &&
	    (err = ph_names_add(&W->N, (uintptr_t)e->label)))
		return err;
	if (e->kind == PH_FMT_LABEL_ATTR || e->kind == PH_FMT_LABEL_KEY ||
	    e->kind == PH_FMT_LABEL_ENTRY) {
		err = reach(W, (uintptr_t)e->label, &ok);
		if (err)
			return err;
		if (!ok) {
			e->kind = PH_FMT_LABEL_NONE;
			e->label = 0;
		}
	}
	r.target = e->target;
	r.kind = e->kind;
	r.flags = e->flags;
	r.label = e->label;
	return ph_writer_edge(&W->w, &r);
}

/* ---- one object ---- */

/* Publish progress and look at the cancel flag, every CHECK_EVERY objects. */
static int progress(struct walk *W)
{
	if (W->objects < W->next_check)
		return 0;
	W->next_check = W->objects + CHECK_EVERY;
	__atomic_store_n(&W->state->objects, W->objects, __ATOMIC_RELAXED);
	__atomic_store_n(&W->state->pause_ns, now_ns(CLOCK_MONOTONIC) - W->t_gil, __ATOMIC_RELAXED);
	if (__atomic_load_n(&W->state->cancel, __ATOMIC_ACQUIRE))
		return ph_error(PH_EINTR, "agent: cancelled by the dumper");
	return 0;
}

static int emit(struct walk *W, uintptr_t o, const struct ph_tinfo *ti);

/*
 * A leaf x held by the container about to be written: write it now if it is
 * new, so that it need not wait on the stack (a list of ten million ints
 * would need 80 MB of stack). sole says whether the container's reference
 * counts as x's only one, exactly as write_edge will decide it, so that
 * reach_ref can tell the leaves written here from the others.
 */
static int write_leaf(struct walk *W, uintptr_t x, bool sole)
{
	struct ph_tinfo *ti;
	bool fresh = true;
	int err;

	if (x < 4096 || (x & 7) || (x >> 56) || ph_refcnt(&W->py, x) == 0)
		return 0;
	err = ph_types_get(&W->T, ph_type(x), &ti);
	if (err || !ti || !is_leaf(ti))
		return err;
	if (!W->full && sole && only_reference(W, ti, x))
		fresh = !ph_seen_has(&W->seen, x);
	else
		err = ph_seen_add(&W->seen, x, &fresh);
	if (!err && fresh)
		err = emit(W, x, ti);
	return err;
}

/* Write the new leaves an exact list, tuple, dict or set holds, before the container itself. */
static int write_leaves(struct walk *W, const struct ph_tinfo *ti, uintptr_t o)
{
	const struct ph_py *py = &W->py;
	int err = 0;

	switch (ti->kind) {
	case PH_K_LIST:
	case PH_K_TUPLE: {
		int64_t n = ph_ob_size(o);
		uintptr_t items =
			ti->kind == PH_K_LIST ? ph_rd(o, PH_OFF_LIST_ITEMS) : ph_tuple_items(py, o);

		for (int64_t i = 0; items && i < n && !err; i++)
			err = write_leaf(W, ph_rd(items, (long)(8 * i)), true);
		return err;
	}
	case PH_K_DICT: {
		intptr_t pos = 0;
		uintptr_t k, v;

		if (ph_dict_values_embedded(py, o))
			return 0;
		while (!err && ph_dict_next(py, o, &pos, &k, &v)) {
			err = write_leaf(W, k, false); /* a label: never a sole reference */
			if (!err)
				err = write_leaf(W, v, true);
		}
		return err;
	}
	case PH_K_SET: {
		uintptr_t table = ph_rd(o, py->L->obj->set_table);
		uint64_t mask = ph_rd(o, py->L->obj->set_mask);

		for (uint64_t i = 0; table && mask < ((uint64_t)1 << 40) && i <= mask && !err; i++) {
			uintptr_t key =
				ph_rd(table, (long)(PH_SIZE_SET_ENTRY * i + PH_OFF_SET_ENTRY_KEY));

			if (key && key != py->set_dummy)
				err = write_leaf(W, key, true);
		}
		return err;
	}
	default:
		return 0;
	}
}

static int emit(struct walk *W, uintptr_t o, const struct ph_tinfo *ti)
{
	const struct ph_py *py = &W->py;
	struct ph_object_rec rec;
	bool is_gc, tracked, readable, traverse, flat;
	uint64_t id;
	int err;

	ph_unreached_mark(&W->U, o); /* written now, or deferred and written at the end */
	is_gc = ti->gc && (!ti->is_gc_fn || ((int (*)(void *))ti->is_gc_fn)((void *)o));
	tracked = is_gc && ph_gc_next(o) != 0;
	/*
	 * An untracked GC object may be half made or half destroyed (3.8-3.10
	 * code objects keep a dead "zombie" frame whose f_back and f_globals
	 * dangle): read nothing in it, except exact tuples and dicts (and 3.15+
	 * frozensets), which the GC untracks when they hold only atomic values.
	 */
	readable = !is_gc || tracked ||
		   (ti->exact && (ti->kind == PH_K_TUPLE || ti->kind == PH_K_DICT)) ||
		   (py->caps->frozenset_untracked && ti->addr == py->t_frozenset);
	memset(&rec, 0, sizeof(rec));
	rec.address = o;
	rec.type = ti->id;
	rec.refcount = ph_refcnt(py, o);
	rec.size = ph_record_size(&W->R, ti, o, is_gc, readable);
	if (tracked)
		rec.flags |= PH_FMT_OBJ_GC;
	if (ph_is_immortal(py, o))
		rec.flags |= PH_FMT_OBJ_IMMORTAL;
	if (ph_py_is_static(py, o))
		rec.flags |= PH_FMT_OBJ_STATIC;
	traverse = readable && is_gc && ti->traverse_fn &&
		   !(ti->exact && (ti->kind == PH_K_LIST || ti->kind == PH_K_TUPLE ||
				   ti->kind == PH_K_DICT || (ti->kind == PH_K_SET && py->set_dummy)));
	/* exact containers (no value): their new leaves go first */
	flat = readable && !traverse && ti->exact &&
	       (ti->kind == PH_K_LIST || ti->kind == PH_K_TUPLE || ti->kind == PH_K_DICT ||
		ti->kind == PH_K_SET);
	if (flat && (err = write_leaves(W, ti, o)))
		return err;
	if (W->R.no_values && readable) {
		if (ti->kind == PH_K_STR && !W->writing_deferred) {
			struct ph_str s;

			ph_str_read(py, o, &s);
			if (s.interned) /* perhaps a name: decided at the end (names.h) */
				return ph_names_defer(&W->N, o);
			W->R.name_str = ph_names_has(&W->N, o); /* named already (sys.modules) */
		}
		if ((err = ph_names_note(&W->N, py, ti, o)))
			return err;
	}
	err = ph_record_value(&W->R, ti, o, &rec.value);
	W->R.name_str = false;
	if (err)
		return err;
	err = ph_writer_object(&W->w, &rec, &id);
	if (!err && !(rec.flags & PH_FMT_OBJ_STATIC))
		err = ph_sites_object(&W->S, o - ph_record_preheader(py, ti, o, is_gc), id);
	if (!err && readable && ph_native_wants(&W->X, ti))
		err = ph_native_put(&W->X, id, ti, o);
	if (err)
		return err;
	W->objects++;
	W->gc_objects += tracked;
	if ((err = progress(W)))
		return err;

	W->leaves_written = flat;
	err = ph_edges_write(&W->E, ti, o, readable, traverse, rec.size);
	W->leaves_written = false;
	if (!err)
		err = reach_new_types(W);
	return err;
}

/* Write everything on the stack (and what it reaches). */
static int drain(struct walk *W)
{
	int err = 0;

	while (W->n_stack && !err) {
		uintptr_t o = W->stack[--W->n_stack];
		struct ph_tinfo *ti;

		err = ph_types_get(&W->T, ph_type(o), &ti);
		if (err || !ti)
			continue; /* checked by reach() already */
		err = emit(W, o, ti);
	}
	return err;
}

/* Walk one GC generation list. */
static int walk_list(struct walk *W, uintptr_t head)
{
	uintptr_t prev = head;
	uintptr_t p = ph_rd(head, PH_OFF_GC_NEXT) & ~(uintptr_t)1;
	int err = 0;

	while (p != head && p && !err) {
		uintptr_t o = p + PH_SIZE_GC_HEAD;
		struct ph_tinfo *ti;

		if ((ph_rd(p, PH_OFF_GC_PREV) & ~(uintptr_t)3) != prev)
			W->bad_links++;
		err = ph_types_get(&W->T, ph_type(o), &ti);
		if (err)
			break;
		if (!ti) {
			W->bad_refs++;
		} else {
			bool fresh = true;

			/* not where reach() expects it: make sure it is written once */
			if (W->full || !in_gc_lists(ti, o))
				err = ph_seen_add(&W->seen, o, &fresh);
			if (!err && fresh)
				err = emit(W, o, ti);
			if (!err)
				err = drain(W);
		}
		prev = p;
		p = ph_rd(p, PH_OFF_GC_NEXT) & ~(uintptr_t)1;
	}
	return err;
}

/*
 * --no-values: the interned strs met during the walk, written last, with
 * their text if something named code with them (names.h).
 */
static int write_deferred(struct walk *W)
{
	int err = 0;

	W->writing_deferred = true;
	for (size_t i = 0; i < W->N.n_deferred && !err; i++) {
		uintptr_t o = W->N.deferred[i];
		struct ph_tinfo *ti;

		err = ph_types_get(&W->T, ph_type(o), &ti);
		if (err || !ti)
			continue;
		W->R.name_str = ph_names_has(&W->N, o);
		err = emit(W, o, ti);
		W->R.name_str = false;
	}
	W->writing_deferred = false;
	return err;
}

/* ---- roots ---- */

/* The root callback of roots.c and threads.c: the object in the field at off of base. */
static int root_cb(void *ctx, uint8_t kind, const char *label, uintptr_t base, int32_t off)
{
	struct walk *W = ctx;
	struct ph_root_rec r;
	uintptr_t o = off >= 0 ? ph_rd(base, off) : 0;
	bool ok;
	int err;

	if (!o)
		return 0;
	err = reach(W, o, &ok);
	if (err || !ok)
		return err;
	r.kind = kind;
	r.address = o;
	err = ph_writer_string(&W->w, label, strlen(label), &r.label);
	if (!err)
		err = ph_writer_root(&W->w, &r);
	return err;
}

/*
 * The live objects in pymalloc's blocks that nothing the walk followed
 * leads to (unreached.h): each a root of its own, labelled as such, then
 * what it reaches. Candidates are collected first and the scan is over
 * before anything is written: writing may allocate (a __sizeof__'s int).
 */
static int write_unreached(struct walk *W)
{
	static const char label[] = "held from C (unreachable from Python)";
	uintptr_t *found = NULL;
	size_t n = 0;
	uint64_t roots = 0;
	int err = ph_unreached_scan(&W->U, &W->T, &found, &n);

	/*
	 * containers first (GC types), so that a leaked dict is the root of the
	 * str it holds rather than one root more beside it
	 */
	for (size_t k = 0; k < 2 * n && !err; k++) {
		size_t i = k % n;
		struct ph_tinfo *ti;
		struct ph_root_rec r;
		bool ok;

		if (ph_unreached_marked(&W->U, found[i]))
			continue; /* reached from one written before it */
		if ((err = ph_types_get(&W->T, ph_type(found[i]), &ti)) || !ti)
			continue;
		if (ti->gc != (k < n))
			continue;
		if ((err = reach(W, found[i], &ok)) || !ok)
			continue;
		r.kind = PH_FMT_ROOT_OTHER;
		r.address = found[i];
		if (!(err = ph_writer_string(&W->w, label, sizeof(label) - 1, &r.label)) &&
		    !(err = ph_writer_root(&W->w, &r)))
			err = drain(W);
		roots++;
	}
	free(found);
	if (err)
		return err;
	for (int k = 0; k < 2 && !err; k++) {
		const char *why = k ? W->U.heap_why : W->U.why;
		char buf[200];

		snprintf(buf, sizeof(buf), "%s%s", why ? "unavailable: " : "searched", why ? why : "");
		err = ph_writer_meta_str(&W->w, k ? "unreached_heap" : "unreached_pymalloc", buf);
	}
	return err ? err : ph_writer_meta_uint(&W->w, "unreached_objects", roots);
}

/* ---- the dump ---- */

/* Everything done with the GIL held. */
static int walk_locked(struct walk *W)
{
	const struct ph_py *py = &W->py;
	const struct ph_l_gc *G;
	struct ph_walk_stats st;
	struct ph_threads th;
	bool collecting;
	int err;

	err = ph_py_attach(&W->py);
	if (err)
		return err;
	G = py->L->gc; /* the table that matched */
	collecting = ph_rd_i32(py->gc, G->collecting) != 0;
	W->full = collecting || py->n_interps > 1;
	if (W->R.no_values && py->L->is->modules >= 0 &&
	    (err = ph_names_add_keys(&W->N, py, ph_rd(py->interp, py->L->is->modules))))
		return err; /* module names */
	if ((err = ph_meta_start(&W->w, py, W->R.no_values, W->R.max_value, collecting)) ||
	    (err = ph_sites_start(&W->S, py, &W->w)) || (err = ph_unreached_init(&W->U, py)) ||
	    (err = ph_roots_interp(py, root_cb, W)))
		return err;
	memset(&th, 0, sizeof(th));
	th.py = py;
	th.w = &W->w;
	th.reach = reach_cb;
	th.root = root_cb;
	th.ctx = W;
	th.no_values = W->R.no_values;
	th.self = py->gil_this_tstate ? (uintptr_t)py->gil_this_tstate() : 0;
	if ((err = ph_threads_dump(&th)) || (err = reach_new_types(W)) || (err = drain(W)))
		return err;
	for (int g = 0; g < 4 && !err; g++) {
		int32_t off = g < 3 ? G->generations + g * G->generation_size : G->permanent;

		err = walk_list(W, py->gc + (uintptr_t)off);
	}
	if (!err)
		err = drain(W);
	if (!err)
		err = write_unreached(W);
	if (!err)
		err = write_deferred(W);
	if (!err)
		err = ph_native_flush(&W->X);
	if (!err)
		err = ph_sites_end(&W->S);
	if (err)
		return err;
	memset(&st, 0, sizeof(st));
	st.objects = W->objects;
	st.gc_objects = W->gc_objects;
	st.types = W->T.n;
	st.bad_refs = W->bad_refs + W->T.bad_types;
	st.bad_links = W->bad_links;
	st.sizeof_calls = W->R.sizeof_calls;
	st.sizeof_failed = W->R.sizeof_failed;
	st.full = W->full;
	st.sole_refs = W->sole_refs;
	st.dead_refs = W->dead_refs;
	st.traverse_cut = W->E.traverse_cut;
	st.seen = W->seen.count;
	st.native_arrays = W->X.arrays;
	st.native_undecided = W->X.undecided;
	st.native_bad = W->X.bad;
	st.memory = ph_seen_memory(&W->seen) + ph_types_memory(&W->T) + ph_writer_memory(&W->w) +
		    W->cap_stack * sizeof(*W->stack) + ph_names_memory(&W->N) +
		    W->X.cap_pending * sizeof(*W->X.pending) + ph_sites_memory(&W->S) +
		    ph_unreached_memory(&W->U);
	if ((err = ph_meta_memory(&W->w, py)))
		return err;
	return ph_meta_end(&W->w, &st);
}

static int walk_init(struct walk *W, const struct ph_agent_args *args,
		     struct ph_agent_state *state, const struct ph_sink *sink)
{
	struct ph_writer_opts opts;
	int err;

	memset(W, 0, sizeof(*W));
	W->state = state;
	err = ph_py_init(&W->py, args);
	if (err)
		return err;
	memset(&opts, 0, sizeof(opts));
	opts.codec = NULL;
	err = ph_writer_open(&W->w, sink, &opts);
	if (err)
		return err;
	ph_native_init(&W->X, &W->py, &W->T, &W->w);
	err = ph_types_init(&W->T, &W->py, &W->w);
	if (!err)
		err = ph_edges_init(&W->E, &W->py, &W->T, &W->w, write_edge, W);
	if (!err)
		err = ph_seen_init(&W->seen, 1 << 16);
	if (!err && (args->flags & PH_AGENT_NO_VALUES))
		err = ph_names_init(&W->N);
	ph_record_init(&W->R, &W->py, &W->T, (args->flags & PH_AGENT_NO_VALUES) != 0,
		       args->max_value_len < VALUE_CAP_MAX ? args->max_value_len : VALUE_CAP_MAX);
	return err;
}

static void walk_release(struct walk *W)
{
	ph_record_release(&W->R);
	ph_edges_release(&W->E);
	ph_types_release(&W->T);
	ph_native_release(&W->X);
	ph_seen_release(&W->seen);
	ph_names_release(&W->N);
	ph_sites_release(&W->S);
	ph_unreached_release(&W->U);
	ph_writer_release(&W->w);
	ph_py_release(&W->py);
	free(W->stack);
}

/*
 * Taking the GIL from a thread Python did not start. PyGILState_Ensure()
 * would do it in one call, but it makes the thread state under the runtime's
 * HEAD_LOCK without holding the GIL, and CPython 3.8-3.12 fork without that
 * lock (3.13's PyOS_BeforeFork takes it): a Python thread that forks at that
 * moment leaves a child whose HEAD_LOCK belongs to a thread it does not
 * have, and the child deadlocks in PyOS_AfterFork_Child (seen: a forking
 * target's children hang). So on 3.8-3.12 the agent makes its thread state
 * itself under the fork guard, which fork() waits for; then
 * PyEval_RestoreThread() takes the GIL. From 3.13 on (caps.fork_head_lock)
 * it must not hold the guard there: the forking thread holds HEAD_LOCK
 * while it waits for the guard.
 */
static int gil_take(struct walk *W, void **out)
{
	struct ph_py *py = &W->py;
	void *interp, *ts;

	interp = py->interp_main ? py->interp_main() : py->interp_head();
	if (!interp)
		return ph_error(PH_ENOTPYTHON, "agent: the interpreter has no main interpreter state");
	if (!py->caps->fork_head_lock)
		ph_fork_guard_lock();
	ts = py->tstate_new(interp);
	if (!py->caps->fork_head_lock)
		ph_fork_guard_unlock();
	if (!ts)
		return ph_error(PH_ENOMEM, "agent: PyThreadState_New failed");
	py->restore_thread(ts);
	*out = ts;
	return 0;
}

/* Give the GIL back and free the thread state (the GIL is needed to free it). */
static void gil_drop(struct walk *W, void *ts)
{
	W->py.tstate_clear(ts);
	W->py.tstate_delete_current();
}

int ph_agent_dump(const struct ph_agent_args *args, struct ph_agent_state *state,
		  const struct ph_sink *sink)
{
	struct walk *W = calloc(1, sizeof(*W));
	void *ts = NULL;
	int gc_was = 0, err;
	uint64_t t0, t1;

	if (!W)
		return ph_error(PH_ENOMEM, "agent: out of memory");
	err = walk_init(W, args, state, sink);
	if (err)
		goto out;
	if (ph_py_finalizing(&W->py)) {
		err = ph_error(PH_EFINALIZING, "agent: the interpreter is shutting down");
		goto out;
	}
	__atomic_store_n(&state->phase, PH_AGENT_WAIT_GIL, __ATOMIC_RELEASE);
	t0 = now_ns(CLOCK_MONOTONIC);
	err = gil_take(W, &ts);
	if (err)
		goto out;
	t1 = now_ns(CLOCK_MONOTONIC);
	W->t_gil = t1;
	__atomic_store_n(&state->gil_wait_ns, t1 - t0, __ATOMIC_RELAXED);
	__atomic_store_n(&state->phase, PH_AGENT_WALKING, __ATOMIC_RELEASE);

	if (ph_py_finalizing(&W->py)) {
		err = ph_error(PH_EFINALIZING, "agent: the interpreter is shutting down");
	} else if (__atomic_load_n(&state->cancel, __ATOMIC_ACQUIRE)) {
		err = ph_error(PH_EINTR, "agent: cancelled by the dumper");
	} else {
		/* the cyclic GC stays off while the GIL is ours */
		uintptr_t gc = 0;

		if (W->py.gc_disable) {
			gc_was = W->py.gc_disable();
		} else if (ph_py_attach(&W->py) == 0) {
			/*
			 * 3.8/3.9: write the GC state's enabled flag ourselves, but
			 * only where the layout was checked (walk_locked() attaches
			 * again and reports the mismatch)
			 */
			gc = W->py.gc;
			gc_was = ph_rd_i32(gc, W->py.L->gc->enabled);
			*(int *)(gc + (uintptr_t)W->py.L->gc->enabled) = 0;
		}
		err = walk_locked(W);
		if (!err)
			err = ph_writer_meta_uint(&W->w, "pause_ns",
						  now_ns(CLOCK_MONOTONIC) - W->t_gil);
		if (W->py.gc_enable) {
			if (gc_was)
				W->py.gc_enable();
		} else if (gc) {
			*(int *)(gc + (uintptr_t)W->py.L->gc->enabled) = gc_was;
		}
	}
	__atomic_store_n(&state->objects, W->objects, __ATOMIC_RELAXED);
	__atomic_store_n(&state->pause_ns, now_ns(CLOCK_MONOTONIC) - W->t_gil, __ATOMIC_RELAXED);
	gil_drop(W, ts);

	if (!err)
		err = ph_writer_close(&W->w);
out:
	walk_release(W);
	free(W);
	return err;
}
