/* SPDX-License-Identifier: MIT */
/*
 * walk.c - the heap walk: everything between "the output is ready" and "the
 * stream is complete", on the agent thread (see agent.h, walk.h).
 *
 * Order of work:
 *  1. Before the GIL: pick the layout for the version, map the loaded ELF
 *     objects (py.c), open the writer, allocate the tables.
 *  2. Take the GIL (gil_take), refuse a finalizing interpreter,
 *     check the layout against it, disable the cyclic GC.
 *  3. Roots (sys.modules, the interpreter's own objects, GC lists of
 *     garbage and callbacks) and threads with their frames (threads.c).
 *  4. Every object of the GC's generation lists 0-2 and the permanent
 *     generation, each written once, and after each one everything it
 *     reaches that the lists do not hold (str, int, code, static types,
 *     untracked tuples and dicts, ...), depth first from an explicit stack.
 *  5. Metadata; restore the GC; release the GIL; flush the writer (the last
 *     chunks and the table of contents are written with the target running).
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
 * Edges of an object: first the labelled references the agent reads itself
 * (dict entries, list and tuple items, instance attributes, type and
 * function parts, ...), then those that tp_traverse reports and that were
 * not already labelled (label NONE, or the name of a C member that holds
 * it). A labelled reference is matched against traverse's reports by
 * address and count, so nothing is listed twice. tp_traverse is only called
 * on GC objects that are tracked (and on untracked exact tuples and dicts),
 * never on static types (their type_traverse aborts) and never where the
 * slot is NULL. Every edge target and label is checked to be an object (its
 * type's type is a type) before it is written.
 *
 * Nothing here runs Python code of the application or allocates a Python
 * object, with one exception: a C __sizeof__ of a type of the interpreter's
 * own code (not a class's Python method) returns an int, which is read and
 * released at once (see types.c).
 */
#include "agent/walk.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/dicts.h"
#include "agent/py.h"
#include "agent/seen.h"
#include "agent/threads.h"
#include "agent/types.h"
#include "agent/values.h"
#include "common/error.h"

#ifndef PYHEAP_VERSION
#define PYHEAP_VERSION "0"
#endif

#define CHECK_EVERY    4096  /* objects between progress updates and cancel checks */
#define TEXT_MAX       1024  /* longest name kept as a text value */
#define BIGINT_MIN_CAP 32    /* big ints keep at least this many bytes */
#define VALUE_CAP_MAX  ((uint64_t)1 << 20)
#define LINEAR_MATCH   24    /* below this many labelled edges, match traverse reports linearly */

/* Names of FIELD and INTERNAL labels. */
#define NAMES(X)                                                                                   \
	X(DICT, "__dict__")                                                                        \
	X(CLASS, "__class__")                                                                      \
	X(MRO, "__mro__")                                                                          \
	X(BASES, "__bases__")                                                                      \
	X(BASE, "__base__")                                                                        \
	X(NAME, "__name__")                                                                        \
	X(QUALNAME, "__qualname__")                                                                \
	X(SLOTS, "__slots__")                                                                      \
	X(MODULE, "__module__")                                                                    \
	X(CODE, "__code__")                                                                        \
	X(GLOBALS, "__globals__")                                                                  \
	X(BUILTINS, "__builtins__")                                                                \
	X(DEFAULTS, "__defaults__")                                                                \
	X(KWDEFAULTS, "__kwdefaults__")                                                            \
	X(CLOSURE, "__closure__")                                                                  \
	X(DOC, "__doc__")                                                                          \
	X(ANNOTATIONS, "__annotations__")                                                          \
	X(TYPE_PARAMS, "__type_params__")                                                          \
	X(CELL_CONTENTS, "cell_contents")                                                          \
	X(CALLBACK, "__callback__")                                                                \
	X(REFERENT, "referent")                                                                    \
	X(CACHED_KEYS, "ht_cached_keys")                                                           \
	X(TP_CACHE, "tp_cache")                                                                    \
	X(TP_SUBCLASSES, "tp_subclasses")                                                          \
	X(HT_MODULE, "ht_module")                                                                  \
	X(CO_CONSTS, "co_consts")                                                                  \
	X(CO_NAMES, "co_names")                                                                    \
	X(CO_VARNAMES, "co_varnames")                                                              \
	X(CO_FREEVARS, "co_freevars")                                                              \
	X(CO_CELLVARS, "co_cellvars")                                                              \
	X(CO_FILENAME, "co_filename")                                                              \
	X(CO_NAME, "co_name")                                                                      \
	X(CO_QUALNAME, "co_qualname")                                                              \
	X(CO_LNOTAB, "co_lnotab")                                                                  \
	X(CO_LINETABLE, "co_linetable")                                                            \
	X(CO_EXCEPTIONTABLE, "co_exceptiontable")                                                  \
	X(CO_CODE, "co_code")                                                                      \
	X(CO_LOCALSPLUSNAMES, "co_localsplusnames")                                                \
	X(CO_LOCALSPLUSKINDS, "co_localspluskinds")                                                \
	X(CO_ZOMBIEFRAME, "co_zombieframe")                                                        \
	X(CO_CACHED_CODE, "_co_code")                                                              \
	X(CO_CACHED_VARNAMES, "_co_varnames")                                                      \
	X(CO_CACHED_CELLVARS, "_co_cellvars")                                                      \
	X(CO_CACHED_FREEVARS, "_co_freevars")                                                      \
	X(F_BACK, "f_back")                                                                        \
	X(F_CODE, "f_code")                                                                        \
	X(F_BUILTINS, "f_builtins")                                                                \
	X(F_GLOBALS, "f_globals")                                                                  \
	X(F_LOCALS, "f_locals")                                                                    \
	X(F_TRACE, "f_trace")

enum name_id {
#define NAME_ENUM(id, text) N_##id,
	NAMES(NAME_ENUM)
#undef NAME_ENUM
	N_COUNT
};

static const char *const name_text[N_COUNT] = {
#define NAME_TEXT(id, text) text,
	NAMES(NAME_TEXT)
#undef NAME_TEXT
};

struct wedge {
	uintptr_t target;
	uint64_t label;
	uint8_t kind;  /* PH_FMT_LABEL_* */
	uint8_t flags; /* PH_FMT_EDGE_WEAK */
	bool traversed; /* reported by tp_traverse (not read by the agent itself) */
};

/* A traverse report that may be labelled with a C member's name. */
struct hint {
	uintptr_t target;
	uint64_t name; /* sref */
	bool used;
};

/* Multiset of addresses with counts, for matching traverse reports. */
struct mslot {
	uintptr_t key;
	uint32_t count;
	uint32_t gen;
};

struct walk {
	const struct ph_agent_args *args;
	struct ph_agent_state *state;
	struct ph_py py;
	struct ph_writer w;
	struct ph_types T;
	struct ph_seen seen;
	bool full; /* every object goes through the seen set */
	bool no_values;
	uint64_t max_value;
	uint64_t sref[N_COUNT];

	uintptr_t *stack;
	size_t n_stack, cap_stack;

	/* the current object's edges */
	struct wedge *edges;
	size_t n_edges, cap_edges;
	struct hint *hints;
	size_t n_hints, cap_hints;
	uintptr_t *visits;
	size_t n_visits, cap_visits;
	bool direct; /* write edges as they are found (see add_edge) */
	bool leaves_written; /* the current container's leaves are written (see write_leaves) */
	bool visit_failed;
	bool visit_cut;
	size_t visit_cap; /* most references a traversal may report */
	struct mslot *mset;
	size_t mset_mask;
	uint32_t mset_gen;

	struct ph_buf vbuf; /* value scratch */

	/* statistics */
	uint64_t objects, gc_objects, bad_refs, bad_links, sizeof_calls, sizeof_failed, sole_refs;
	uint64_t dead_refs, traverse_cut;
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
 * not a label, a thread's local or a weak reference). Then if r's reference
 * count is 1 and r cannot be weakly referenced, this is the only way to
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
	if (ph_rd(r, PH_OFF_REFCNT) == 0) {
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
	if (sole && ph_rd(r, PH_OFF_REFCNT) == 1 && !ti->weakrefable) {
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

/* ---- collecting edges ---- */

/* Write one edge of the current object, once its target (and label) are known to be objects. */
static int write_edge(struct walk *W, struct wedge *e, bool sole)
{
	struct ph_edge_rec r;
	bool ok;
	int err = reach_ref(W, e->target, sole, &ok);

	if (err || !ok)
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

/*
 * Add an edge of the current object. When the object will not be traversed
 * (W->direct: exact lists, tuples, dicts, sets, non-GC objects) nothing has
 * to be matched, and the edge is written at once: a list of ten million
 * items needs no edge buffer.
 */
static int add_edge(struct walk *W, uint8_t kind, uint8_t flags, uint64_t label, uintptr_t target)
{
	struct wedge *e;
	int err;

	if (!target)
		return 0;
	if (W->direct) {
		struct wedge d = {target, label, kind, flags, false};

		return write_edge(W, &d, !(flags & PH_FMT_EDGE_WEAK) &&
					   !(kind == PH_FMT_LABEL_FIELD &&
					     label == W->sref[N_CACHED_KEYS]));
	}
	err = PH_ARRAY_RESERVE(W->edges, W->cap_edges, W->n_edges + 1);
	if (err)
		return err;
	e = &W->edges[W->n_edges++];
	e->target = target;
	e->label = label;
	e->kind = kind;
	e->flags = flags;
	e->traversed = false;
	return 0;
}

static int add_field(struct walk *W, enum name_id n, uintptr_t target)
{
	return add_edge(W, PH_FMT_LABEL_FIELD, 0, W->sref[n], target);
}

static int add_internal(struct walk *W, enum name_id n, uintptr_t target)
{
	return add_edge(W, PH_FMT_LABEL_INTERNAL, 0, W->sref[n], target);
}

static int add_field_at(struct walk *W, enum name_id n, uintptr_t o, int32_t off)
{
	return off >= 0 ? add_field(W, n, ph_rd(o, off)) : 0;
}

static int add_hint(struct walk *W, uint64_t name, uintptr_t target)
{
	int err;

	if (!target)
		return 0;
	err = PH_ARRAY_RESERVE(W->hints, W->cap_hints, W->n_hints + 1);
	if (err)
		return err;
	W->hints[W->n_hints].target = target;
	W->hints[W->n_hints].name = name;
	W->hints[W->n_hints].used = false;
	W->n_hints++;
	return 0;
}

static int visit_cb(void *o, void *arg)
{
	struct walk *W = arg;

	if (!o)
		return 0;
	if (W->n_visits >= W->visit_cap) {
		W->visit_cut = true;
		return 1; /* stop the traversal */
	}
	if (PH_ARRAY_RESERVE(W->visits, W->cap_visits, W->n_visits + 1)) {
		W->visit_failed = true;
		return 1; /* stop the traversal */
	}
	W->visits[W->n_visits++] = (uintptr_t)o;
	return 0;
}

static int dict_edges(struct walk *W, uintptr_t d)
{
	const struct ph_py *py = &W->py;
	intptr_t pos = 0;
	uintptr_t k, v;
	int err = 0;

	if (ph_dict_values_embedded(py, d))
		return 0; /* the instance holds these values (3.13 inline values) */
	while (!err && ph_dict_next(py, d, &pos, &k, &v))
		err = add_edge(W, PH_FMT_LABEL_ENTRY, 0, k, v);
	return err;
}

static int seq_edges(struct walk *W, uintptr_t items, int64_t n)
{
	int err = 0;

	for (int64_t i = 0; i < n && !err; i++)
		err = add_edge(W, PH_FMT_LABEL_INDEX, 0, (uint64_t)i, ph_rd(items, (long)(8 * i)));
	return err;
}

static int set_edges(struct walk *W, uintptr_t o)
{
	const struct ph_layout *L = W->py.L;
	uintptr_t table = ph_rd(o, L->set_table);
	uint64_t mask = ph_rd(o, L->set_mask);
	int err = 0;

	if (!table || mask >= ((uint64_t)1 << 40))
		return 0;
	for (uint64_t i = 0; i <= mask && !err; i++) {
		uintptr_t key = ph_rd(table, (long)(16 * i));

		if (key && key != W->py.set_dummy)
			err = add_edge(W, PH_FMT_LABEL_KEYREF, 0, 0, key);
	}
	return err;
}

static int keys_names(struct walk *W, uintptr_t keys)
{
	int64_t n = ph_keys_nentries(&W->py, keys);
	int err = 0;

	for (int64_t i = 0; i < n && !err; i++)
		err = add_field(W, N_CACHED_KEYS, ph_keys_key(&W->py, keys, i));
	return err;
}

static int type_edges(struct walk *W, uintptr_t o)
{
	const struct ph_py *py = &W->py;
	const struct ph_layout *L = py->L;
	unsigned long flags = ph_tp_flags(o);
	int err;

	/* __dict__ comes from type's tp_dictoffset, except for 3.12+ static builtins */
	if (py->minor >= 12 && (flags & PH_TPF_STATIC_BUILTIN) && !ph_rd(o, PH_OFF_TP_DICT) &&
	    py->type_get_dict) {
		void *d = py->type_get_dict((void *)o);

		if (d) {
			err = add_field(W, N_DICT, (uintptr_t)d);
			py->decref(d); /* still held by the interpreter */
			if (err)
				return err;
		}
	}
	if ((err = add_field(W, N_MRO, ph_rd(o, PH_OFF_TP_MRO))) ||
	    (err = add_field(W, N_BASES, ph_rd(o, PH_OFF_TP_BASES))) ||
	    (err = add_field(W, N_BASE, ph_rd(o, PH_OFF_TP_BASE))) ||
	    (err = add_internal(W, N_TP_CACHE, ph_rd(o, PH_OFF_TP_CACHE))))
		return err;
	if (!(py->minor >= 12 && (flags & PH_TPF_STATIC_BUILTIN)) &&
	    (err = add_internal(W, N_TP_SUBCLASSES, ph_rd(o, PH_OFF_TP_SUBCLASSES))))
		return err;
	if (!(flags & PH_TPF_HEAPTYPE))
		return 0;
	if ((err = add_field(W, N_NAME, ph_rd(o, L->ht_name))) ||
	    (err = add_field(W, N_QUALNAME, ph_rd(o, L->ht_qualname))) ||
	    (err = add_field(W, N_SLOTS, ph_rd(o, L->ht_slots))) ||
	    (L->ht_module >= 0 && (err = add_internal(W, N_HT_MODULE, ph_rd(o, L->ht_module)))))
		return err;
	return keys_names(W, ph_rd(o, L->ht_cached_keys));
}

static int function_edges(struct walk *W, uintptr_t o)
{
	const struct ph_layout *L = W->py.L;
	int err;

	if ((err = add_field_at(W, N_CODE, o, L->fn_code)) ||
	    (err = add_field_at(W, N_GLOBALS, o, L->fn_globals)) ||
	    (err = add_field_at(W, N_BUILTINS, o, L->fn_builtins)) ||
	    (err = add_field_at(W, N_NAME, o, L->fn_name)) ||
	    (err = add_field_at(W, N_QUALNAME, o, L->fn_qualname)) ||
	    (err = add_field_at(W, N_DEFAULTS, o, L->fn_defaults)) ||
	    (err = add_field_at(W, N_KWDEFAULTS, o, L->fn_kwdefaults)) ||
	    (err = add_field_at(W, N_CLOSURE, o, L->fn_closure)) ||
	    (err = add_field_at(W, N_DOC, o, L->fn_doc)) ||
	    (err = add_field_at(W, N_MODULE, o, L->fn_module)) ||
	    (err = add_field_at(W, N_ANNOTATIONS, o, L->fn_annotations)) ||
	    (err = add_field_at(W, N_TYPE_PARAMS, o, L->fn_typeparams)))
		return err;
	return 0; /* __dict__: from tp_dictoffset */
}

static int code_edges(struct walk *W, uintptr_t o)
{
	const struct ph_layout *L = W->py.L;
	int err;

	if ((err = add_field_at(W, N_CO_CONSTS, o, L->co_consts)) ||
	    (err = add_field_at(W, N_CO_NAMES, o, L->co_names)) ||
	    (err = add_field_at(W, N_CO_VARNAMES, o, L->co_varnames)) ||
	    (err = add_field_at(W, N_CO_FREEVARS, o, L->co_freevars)) ||
	    (err = add_field_at(W, N_CO_CELLVARS, o, L->co_cellvars)) ||
	    (err = add_field_at(W, N_CO_FILENAME, o, L->co_filename)) ||
	    (err = add_field_at(W, N_CO_NAME, o, L->co_name)) ||
	    (err = add_field_at(W, N_CO_QUALNAME, o, L->co_qualname)) ||
	    (err = add_field_at(W, W->py.minor < 10 ? N_CO_LNOTAB : N_CO_LINETABLE, o,
				L->co_linetable)) ||
	    (err = add_field_at(W, N_CO_EXCEPTIONTABLE, o, L->co_exceptiontable)) ||
	    (err = add_field_at(W, N_CO_CODE, o, L->co_code)) ||
	    (err = add_field_at(W, N_CO_LOCALSPLUSNAMES, o, L->co_localsplusnames)) ||
	    (err = add_field_at(W, N_CO_LOCALSPLUSKINDS, o, L->co_localspluskinds)))
		return err;
	if (L->co_zombieframe >= 0 &&
	    (err = add_internal(W, N_CO_ZOMBIEFRAME, ph_rd(o, L->co_zombieframe))))
		return err;
	if (W->py.minor == 11)
		return add_internal(W, N_CO_CACHED_CODE, ph_rd(o, L->co_cached));
	if (W->py.minor >= 12) {
		/* _co_cached: a malloc'ed struct of four cached objects, or NULL */
		uintptr_t c = ph_rd(o, L->co_cached);

		if (c && ((err = add_internal(W, N_CO_CACHED_CODE, ph_rd(c, 0))) ||
			  (err = add_internal(W, N_CO_CACHED_VARNAMES, ph_rd(c, 8))) ||
			  (err = add_internal(W, N_CO_CACHED_CELLVARS, ph_rd(c, 16))) ||
			  (err = add_internal(W, N_CO_CACHED_FREEVARS, ph_rd(c, 24)))))
			return err;
	}
	return 0;
}

static int frame_edges(struct walk *W, uintptr_t o)
{
	const struct ph_layout *L = W->py.L;
	int err;

	if ((err = add_field_at(W, N_F_BACK, o, L->fo_back)) ||
	    (err = add_field_at(W, N_F_CODE, o, L->fo_code)) ||
	    (err = add_field_at(W, N_F_BUILTINS, o, L->fo_builtins)) ||
	    (err = add_field_at(W, N_F_GLOBALS, o, L->fo_globals)) ||
	    (err = add_field_at(W, N_F_LOCALS, o, L->fo_locals)) ||
	    (err = add_field_at(W, N_F_TRACE, o, L->fo_trace)))
		return err;
	return 0;
}

/* The labelled references that depend on the object's builtin kind. */
static int kind_edges(struct walk *W, const struct ph_tinfo *ti, uintptr_t o)
{
	const struct ph_py *py = &W->py;

	switch (ti->kind) {
	case PH_K_DICT:
		return dict_edges(W, o);
	case PH_K_LIST: {
		int64_t n = ph_ob_size(o);
		uintptr_t items = ph_rd(o, PH_OFF_ITEMS);

		return items && n > 0 ? seq_edges(W, items, n) : 0;
	}
	case PH_K_TUPLE:
		return seq_edges(W, o + PH_OFF_ITEMS, ph_ob_size(o));
	case PH_K_SET:
		return py->set_dummy ? set_edges(W, o) : 0;
	case PH_K_TYPE:
		return type_edges(W, o);
	case PH_K_MODULE:
		return add_field_at(W, N_NAME, o, py->L->md_name);
	case PH_K_FUNCTION:
		return function_edges(W, o);
	case PH_K_CODE:
		return code_edges(W, o);
	case PH_K_CELL:
		return add_field(W, N_CELL_CONTENTS, ph_rd(o, PH_OFF_CELL_REF));
	case PH_K_FRAME:
		return frame_edges(W, o);
	case PH_K_WEAKREF: {
		uintptr_t ref = ph_rd(o, PH_OFF_WR_OBJECT);
		int err = 0;

		if (ref && ref != py->none)
			err = add_edge(W, PH_FMT_LABEL_INTERNAL, PH_FMT_EDGE_WEAK, W->sref[N_REFERENT],
				       ref);
		if (!err)
			err = add_field(W, N_CALLBACK, ph_rd(o, PH_OFF_WR_CALLBACK));
		return err;
	}
	default:
		return 0;
	}
}

/* Instance attributes: inline/managed values, __dict__, __slots__, C members. */
static int instance_edges(struct walk *W, const struct ph_tinfo *ti, uintptr_t o)
{
	const struct ph_py *py = &W->py;
	const struct ph_member *m = W->T.members + ti->members;
	struct ph_values v;
	uintptr_t d;
	int err = 0;

	if (ti->heap && ph_values_find(py, o, ti->flags, ti->basicsize, ti->cached_keys, &v)) {
		for (uint64_t i = 0; i < v.count && !err; i++) {
			uintptr_t name, value;

			ph_values_get(py, &v, i, &name, &value);
			if (name && value)
				err = add_edge(W, PH_FMT_LABEL_ATTR, 0, name, value);
		}
	}
	if (!err && (ti->dictoffset || (ti->flags & PH_TPF_MANAGED_DICT)) &&
	    ti->kind != PH_K_TYPE && (d = ph_obj_dict(py, o)))
		err = add_field(W, N_DICT, d);
	else if (!err && ti->kind == PH_K_TYPE)
		err = add_field(W, N_DICT, ph_rd(o, PH_OFF_TP_DICT));
	for (uint32_t i = 0; i < ti->n_members && !err; i++) {
		uintptr_t val = ph_rd(o, (long)m[i].offset);

		if (m[i].slot)
			err = add_edge(W, PH_FMT_LABEL_FIELD, 0, m[i].name, val);
		else
			err = add_hint(W, m[i].name, val);
	}
	return err;
}

/* ---- matching traverse reports against labelled edges ---- */

static int mset_prepare(struct walk *W, size_t n)
{
	size_t cap = 64;

	while (cap < n * 2)
		cap *= 2;
	if (cap > W->mset_mask + 1 || !W->mset) {
		struct mslot *s = calloc(cap, sizeof(*s));

		if (!s)
			return ph_error(PH_ENOMEM, "agent: out of memory matching references");
		free(W->mset);
		W->mset = s;
		W->mset_mask = cap - 1;
		W->mset_gen = 0;
	}
	if (++W->mset_gen == 0) { /* wrapped: clear for real */
		memset(W->mset, 0, (W->mset_mask + 1) * sizeof(*W->mset));
		W->mset_gen = 1;
	}
	return 0;
}

static struct mslot *mset_slot(struct walk *W, uintptr_t key)
{
	size_t i = (size_t)((key * 0x9e3779b97f4a7c15ULL) >> 32) & W->mset_mask;

	for (;; i = (i + 1) & W->mset_mask) {
		struct mslot *s = &W->mset[i];

		if (s->gen != W->mset_gen) {
			s->gen = W->mset_gen;
			s->key = key;
			s->count = 0;
			return s;
		}
		if (s->key == key)
			return s;
	}
}

/* Is target labelled already (and not yet matched)? Consumes one match. */
static bool take_labelled(struct walk *W, size_t n_strong, uintptr_t target, bool *matched)
{
	if (n_strong < LINEAR_MATCH) {
		for (size_t i = 0; i < n_strong; i++) {
			if (!matched[i] && W->edges[i].target == target &&
			    !(W->edges[i].flags & PH_FMT_EDGE_WEAK)) {
				matched[i] = true;
				return true;
			}
		}
		return false;
	}
	{
		struct mslot *s = mset_slot(W, target);

		if (s->count) {
			s->count--;
			return true;
		}
		return false;
	}
}

/*
 * Call tp_traverse and add what it reports that is not labelled yet. A
 * traversal that reports more references than the object could hold (twice
 * its size in pointers, and at least a million) is stopped and ignored: a
 * corrupt free list can make one loop forever (CPython issue 122695).
 */
static int traverse_edges(struct walk *W, const struct ph_tinfo *ti, uintptr_t o, uint64_t size)
{
	int (*traverse)(void *, int (*)(void *, void *), void *) =
		(int (*)(void *, int (*)(void *, void *), void *))ti->traverse_fn;
	size_t n_lab = W->n_edges;
	bool small[LINEAR_MATCH];
	int err;

	W->n_visits = 0;
	W->visit_failed = false;
	W->visit_cut = false;
	W->visit_cap = size / 4 > ((size_t)1 << 20) ? size / 4 : (size_t)1 << 20;
	traverse((void *)o, visit_cb, W);
	if (W->visit_failed)
		return ph_error(PH_ENOMEM, "agent: out of memory collecting references");
	if (W->visit_cut) {
		W->traverse_cut++;
		W->n_visits = 0;
		return 0;
	}
	if (!W->n_visits)
		return 0;
	if (n_lab < LINEAR_MATCH) {
		memset(small, 0, sizeof(small));
	} else {
		err = mset_prepare(W, n_lab);
		if (err)
			return err;
		for (size_t i = 0; i < n_lab; i++)
			if (!(W->edges[i].flags & PH_FMT_EDGE_WEAK))
				mset_slot(W, W->edges[i].target)->count++;
	}
	for (size_t i = 0; i < W->n_visits; i++) {
		uintptr_t t = W->visits[i];
		bool hinted = false;

		if (take_labelled(W, n_lab, t, small))
			continue;
		for (size_t h = 0; h < W->n_hints; h++) {
			if (!W->hints[h].used && W->hints[h].target == t) {
				W->hints[h].used = true;
				err = add_edge(W, PH_FMT_LABEL_FIELD, 0, W->hints[h].name, t);
				if (err)
					return err;
				W->edges[W->n_edges - 1].traversed = true;
				hinted = true;
				break;
			}
		}
		if (!hinted) {
			if ((err = add_edge(W, PH_FMT_LABEL_NONE, 0, 0, t)))
				return err;
			W->edges[W->n_edges - 1].traversed = true;
		}
	}
	return 0;
}

/* ---- one object ---- */

static uint64_t preheader(const struct walk *W, const struct ph_tinfo *ti, uintptr_t o,
			  bool is_gc)
{
	const struct ph_py *py = &W->py;
	uint64_t n = 0;

	if (py->minor <= 10)
		return is_gc ? PH_SIZE_GC_HEAD : 0;
	if (py->minor == 13 && ti->addr == py->t_type && !(ph_tp_flags(o) & PH_TPF_HEAPTYPE))
		return 0;
	if (ti->gc)
		n += PH_SIZE_GC_HEAD;
	if (ti->flags & (py->minor == 11 ? PH_TPF_MANAGED_DICT
					   : PH_TPF_MANAGED_DICT | PH_TPF_MANAGED_WEAKREF))
		n += 16;
	return n;
}

/* The C __sizeof__ of the object, called as CPython's method descriptors would; false if it failed. */
static bool call_sizeof(struct walk *W, const struct ph_tinfo *ti, uintptr_t o, uint64_t *size)
{
	const struct ph_py *py = &W->py;
	void *self = (void *)o;
	void *r;
	intptr_t v;

	if (!py->long_as_ssize || !py->decref || !py->err_fetch || !py->err_occurred)
		return false;
	W->sizeof_calls++;
	switch (ti->sizeof_flags) {
	case PH_METH_NOARGS:
		r = ((void *(*)(void *, void *))ti->sizeof_fn)(self, NULL);
		break;
	case PH_METH_FASTCALL:
		r = ((void *(*)(void *, void *const *, intptr_t))ti->sizeof_fn)(self, NULL, 0);
		break;
	case PH_METH_FASTCALL | PH_METH_KEYWORDS:
		r = ((void *(*)(void *, void *const *, intptr_t, void *))ti->sizeof_fn)(self, NULL, 0,
										   NULL);
		break;
	case PH_METH_METHOD | PH_METH_FASTCALL | PH_METH_KEYWORDS:
		r = ((void *(*)(void *, void *, void *const *, size_t, void *))ti->sizeof_fn)(
			self, (void *)ti->sizeof_cls, NULL, 0, NULL);
		break;
	default:
		return false;
	}
	v = r ? py->long_as_ssize(r) : -1;
	if (r)
		py->decref(r);
	if (v < 0) {
		if (py->err_occurred()) {
			void *t, *e, *tb;

			py->err_fetch(&t, &e, &tb);
			py->decref(t);
			py->decref(e);
			py->decref(tb);
		}
		W->sizeof_failed++;
		return false;
	}
	*size = (uint64_t)v;
	return true;
}

/*
 * sys.getsizeof(o). Of an object that may not be read (see emit) only what
 * its type and header say, basicsize + itemsize * ob_size: no other field is
 * read and no __sizeof__ is called.
 */
static uint64_t object_size(struct walk *W, const struct ph_tinfo *ti, uintptr_t o, bool is_gc,
			    bool readable)
{
	const struct ph_py *py = &W->py;
	uint64_t size = 0;

	switch (readable ? ti->sizer : PH_SZ_OBJECT) {
	case PH_SZ_STR:
		size = ph_str_sizeof(py, o);
		break;
	case PH_SZ_INT:
		size = ph_int_sizeof(py, o);
		break;
	case PH_SZ_LIST:
		size = (uint64_t)ti->basicsize + 8 * ph_rd(o, py->L->list_allocated);
		break;
	case PH_SZ_DICT:
		size = (uint64_t)py->dict_sizeof((void *)o);
		break;
	case PH_SZ_SET:
		size = (uint64_t)ti->basicsize;
		if (ph_rd(o, py->L->set_table) != o + (uintptr_t)py->L->set_smalltable)
			size += 16 * (ph_rd(o, py->L->set_mask) + 1);
		break;
	case PH_SZ_CALL:
		if (call_sizeof(W, ti, o, &size))
			break;
		/* fall through */
	default:
		size = (uint64_t)ti->basicsize;
		if (ti->itemsize)
			size += (uint64_t)(ph_ob_size(o) * ti->itemsize);
		break;
	}
	return size + preheader(W, ti, o, is_gc);
}

/* UTF-8 text of str o into the value (TEXT), at most TEXT_MAX bytes. */
static int text_of_str(struct walk *W, uintptr_t s, struct ph_value *v)
{
	const uint8_t *data;
	size_t len;
	bool trunc;
	int err;

	err = ph_str_text(&W->py, s, TEXT_MAX, &W->vbuf, &data, &len, &trunc);
	if (err <= 0)
		return err;
	v->kind = PH_FMT_VAL_TEXT;
	v->data = data;
	v->data_len = len;
	v->flags = trunc ? PH_FMT_VALF_TRUNCATED : 0;
	return 0;
}

static int object_value(struct walk *W, const struct ph_tinfo *ti, uintptr_t o, struct ph_value *v)
{
	const struct ph_py *py = &W->py;
	const struct ph_layout *L = py->L;

	memset(v, 0, sizeof(*v));
	switch (ti->kind) {
	case PH_K_STR: {
		struct ph_str s;
		bool hide, trunc;
		size_t len;
		int err;

		ph_str_read(py, o, &s);
		hide = W->no_values && !s.interned;
		v->kind = PH_FMT_VAL_STR;
		v->length = s.length;
		err = ph_str_utf8(&s, hide ? 0 : (size_t)W->max_value, &W->vbuf, &v->data, &len,
				  &trunc);
		v->data_len = len;
		if (hide)
			v->flags = s.length ? PH_FMT_VALF_OMITTED : 0;
		else if (trunc)
			v->flags = PH_FMT_VALF_TRUNCATED;
		return err;
	}
	case PH_K_BYTES: {
		int64_t n = ph_ob_size(o);

		v->kind = PH_FMT_VAL_BYTES;
		v->length = n > 0 ? (uint64_t)n : 0;
		if (W->no_values) {
			v->flags = n > 0 ? PH_FMT_VALF_OMITTED : 0;
			return 0;
		}
		v->data = (const uint8_t *)(o + PH_OFF_BYTES_DATA);
		v->data_len = v->length < W->max_value ? v->length : W->max_value;
		v->flags = v->data_len < v->length ? PH_FMT_VALF_TRUNCATED : 0;
		return 0;
	}
	case PH_K_BOOL:
		v->kind = PH_FMT_VAL_BOOL;
		v->b = o == py->true_;
		return 0;
	case PH_K_INT: {
		struct ph_int iv;
		bool trunc;
		int err;

		ph_int_read(py, o, &iv);
		if (iv.fits) {
			v->kind = PH_FMT_VAL_INT;
			v->i = iv.value;
			return 0;
		}
		err = ph_int_magnitude(py, &iv,
				       W->max_value > BIGINT_MIN_CAP ? (size_t)W->max_value
								     : BIGINT_MIN_CAP,
				       &W->vbuf, &trunc);
		v->kind = PH_FMT_VAL_BIGINT;
		v->sign = iv.negative;
		v->length = iv.bits;
		v->data = W->vbuf.data;
		v->data_len = W->vbuf.len;
		v->flags = trunc ? PH_FMT_VALF_TRUNCATED : 0;
		return err;
	}
	case PH_K_FLOAT: {
		double d;

		memcpy(&d, (const void *)(o + PH_OFF_FLOAT_VALUE), sizeof(d));
		v->kind = PH_FMT_VAL_FLOAT;
		v->f = d;
		return 0;
	}
	case PH_K_NONE:
		v->kind = o == py->none ? PH_FMT_VAL_NONE : 0;
		return 0;
	case PH_K_MODULE: {
		uintptr_t name = L->md_name >= 0 ? ph_rd(o, L->md_name) : 0;

		if (!name)
			name = ph_dict_get(py, ph_rd(o, L->md_dict), "__name__");
		return text_of_str(W, name, v);
	}
	case PH_K_FUNCTION:
		return text_of_str(W, ph_rd(o, L->fn_qualname), v);
	case PH_K_CODE:
		return text_of_str(W, ph_rd(o, L->co_qualname >= 0 ? L->co_qualname : L->co_name), v);
	case PH_K_TYPE: {
		struct ph_tinfo *self;
		int err = ph_types_get(&W->T, o, &self);

		if (err || !self || !self->name)
			return err;
		v->kind = PH_FMT_VAL_TEXT;
		v->data = (const uint8_t *)self->name;
		v->data_len = strlen(self->name);
		return 0;
	}
	default:
		return 0;
	}
}

/*
 * May edge i be the only way to its target (see reach_ref)? Not for labels'
 * sources (the names of shared keys), weak references, or what a C type's
 * tp_traverse reports more than once (a buggy third-party traverse must not
 * make the agent write an object twice): a traversal with many reports goes
 * through the seen set, a short one is checked for repeats.
 */
static bool sole_edge(const struct walk *W, size_t i)
{
	const struct wedge *e = &W->edges[i];

	if ((e->flags & PH_FMT_EDGE_WEAK) ||
	    (e->kind == PH_FMT_LABEL_FIELD && e->label == W->sref[N_CACHED_KEYS]))
		return false;
	if (!e->traversed)
		return true;
	if (W->n_visits > 64)
		return false;
	for (size_t j = 0; j < i; j++)
		if (W->edges[j].traversed && W->edges[j].target == e->target)
			return false;
	return true;
}

static int write_edges(struct walk *W)
{
	int err = 0;

	for (size_t i = 0; i < W->n_edges && !err; i++)
		err = write_edge(W, &W->edges[i], sole_edge(W, i));
	return err;
}

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

	if (x < 4096 || (x & 7) || (x >> 56) || ph_rd(x, PH_OFF_REFCNT) == 0)
		return 0;
	err = ph_types_get(&W->T, ph_type(x), &ti);
	if (err || !ti || !is_leaf(ti))
		return err;
	if (!W->full && sole && ph_rd(x, PH_OFF_REFCNT) == 1 && !ti->weakrefable)
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
		uintptr_t items = ti->kind == PH_K_LIST ? ph_rd(o, PH_OFF_ITEMS) : o + PH_OFF_ITEMS;

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
		uintptr_t table = ph_rd(o, py->L->set_table);
		uint64_t mask = ph_rd(o, py->L->set_mask);

		for (uint64_t i = 0; table && mask < ((uint64_t)1 << 40) && i <= mask && !err; i++) {
			uintptr_t key = ph_rd(table, (long)(16 * i));

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
	int err;

	is_gc = ti->gc && (!ti->is_gc_fn || ((int (*)(void *))ti->is_gc_fn)((void *)o));
	tracked = is_gc && ph_gc_next(o) != 0;
	/*
	 * An untracked GC object may be half made or half destroyed (3.8-3.10
	 * code objects keep a dead "zombie" frame whose f_back and f_globals
	 * dangle): read nothing in it, except exact tuples and dicts, which the
	 * GC untracks when they hold only atomic values.
	 */
	readable = !is_gc || tracked ||
		   (ti->exact && (ti->kind == PH_K_TUPLE || ti->kind == PH_K_DICT));
	memset(&rec, 0, sizeof(rec));
	rec.address = o;
	rec.type = ti->id;
	rec.refcount = ph_rd(o, PH_OFF_REFCNT);
	rec.size = object_size(W, ti, o, is_gc, readable);
	if (tracked)
		rec.flags |= PH_FMT_OBJ_GC;
	if (py->minor >= 12 && (int32_t)(uint32_t)rec.refcount < 0)
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
	err = object_value(W, ti, o, &rec.value);
	if (err)
		return err;
	err = ph_writer_object(&W->w, &rec, NULL);
	if (err)
		return err;
	W->objects++;
	W->gc_objects += tracked;
	if ((err = progress(W)))
		return err;

	W->n_edges = 0;
	W->n_hints = 0;
	W->n_visits = 0;
	W->direct = !traverse;
	W->leaves_written = flat;
	if (readable) {
		if ((err = kind_edges(W, ti, o)) || (err = instance_edges(W, ti, o)))
			goto out;
	}
	if (ti->heap && (err = add_field(W, N_CLASS, ti->addr)))
		goto out;
	if (traverse && (err = traverse_edges(W, ti, o, rec.size)))
		goto out;
	err = write_edges(W);
	if (!err)
		err = reach_new_types(W);
out:
	W->direct = false;
	W->leaves_written = false;
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
	uintptr_t p = ph_rd(head, 0) & ~(uintptr_t)1;
	int err = 0;

	while (p != head && p && !err) {
		uintptr_t o = p + PH_SIZE_GC_HEAD;
		struct ph_tinfo *ti;

		if ((ph_rd(p, 8) & ~(uintptr_t)3) != prev)
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
		p = ph_rd(p, 0) & ~(uintptr_t)1;
	}
	return err;
}

/* ---- roots ---- */

static int root(struct walk *W, uint8_t kind, const char *label, uintptr_t o)
{
	struct ph_root_rec r;
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

/* The root in the field at off of base (an interpreter, thread or GC state), if there is one. */
static int root_at(struct walk *W, uint8_t kind, const char *label, uintptr_t base, int32_t off)
{
	return off >= 0 ? root(W, kind, label, ph_rd(base, off)) : 0;
}

static int root_cb(void *ctx, uint8_t kind, const char *label, uintptr_t base, int32_t off)
{
	return root_at(ctx, kind, label, base, off);
}

static int roots(struct walk *W)
{
	const struct ph_py *py = &W->py;
	const struct ph_layout *L = py->L;
	const uint8_t k = PH_FMT_ROOT_INTERP;
	uintptr_t is = py->interp;
	int err;

	if ((err = root_at(W, PH_FMT_ROOT_MODULES, "sys.modules", is, L->is_modules)) ||
	    (err = root_at(W, k, "interp.sysdict", is, L->is_sysdict)) ||
	    (err = root_at(W, k, "interp.builtins", is, L->is_builtins)) ||
	    (err = root_at(W, k, "interp.modules_by_index", is, L->is_modules_by_index)) ||
	    (err = root_at(W, k, "interp.importlib", is, L->is_importlib)) ||
	    (err = root_at(W, k, "interp.import_func", is, L->is_import_func)) ||
	    (err = root_at(W, k, "interp.codec_search_path", is, L->is_codec_search_path)) ||
	    (err = root_at(W, k, "interp.codec_search_cache", is, L->is_codec_search_cache)) ||
	    (err = root_at(W, k, "interp.codec_error_registry", is, L->is_codec_error_registry)) ||
	    (err = root_at(W, k, "interp.dict", is, L->is_dict)) ||
	    (err = root_at(W, k, "interp.builtins_copy", is, L->is_builtins_copy)) ||
	    (err = root_at(W, k, "interp.sysdict_copy", is, L->is_sysdict_copy)) ||
	    (err = root_at(W, k, "interp.before_forkers", is, L->is_before_forkers)) ||
	    (err = root_at(W, k, "interp.after_forkers_parent", is, L->is_after_forkers_parent)) ||
	    (err = root_at(W, k, "interp.after_forkers_child", is, L->is_after_forkers_child)) ||
	    (err = root_at(W, k, "interp.audit_hooks", is, L->is_audit_hooks)) ||
	    (err = root_at(W, k, "gc.garbage", py->gc, L->gc_garbage)) ||
	    (err = root_at(W, k, "gc.callbacks", py->gc, L->gc_callbacks)))
		return err;
	return 0;
}

/* ---- metadata ---- */

/* sys.argv and sys.executable, read from the sys module's dict. */
static int meta_sys(struct walk *W)
{
	const struct ph_py *py = &W->py;
	uintptr_t sysdict = ph_rd(py->interp, py->L->is_sysdict);
	uintptr_t argv = ph_dict_get(py, sysdict, "argv");
	uintptr_t exe = ph_dict_get(py, sysdict, "executable");
	struct ph_buf text = PH_BUF_INIT, tmp = PH_BUF_INIT;
	size_t *offs = NULL, n = 0, cap = 0;
	const char **list = NULL;
	int err = 0;

	/* each str becomes a NUL-terminated UTF-8 string in text */
	if (argv && (ph_tp_flags(ph_type(argv)) & PH_TPF_LIST_SUBCLASS)) {
		int64_t len = ph_ob_size(argv);
		uintptr_t items = ph_rd(argv, PH_OFF_ITEMS);

		for (int64_t i = 0; i < len && items && !err && i < 4096; i++) {
			const uint8_t *data;
			size_t dlen;
			bool trunc;

			err = ph_str_text(py, ph_rd(items, (long)(8 * i)), 65536, &tmp, &data,
					  &dlen, &trunc);
			if (err < 0)
				break;
			if (!err)
				continue; /* not a readable str */
			if ((err = PH_ARRAY_RESERVE(offs, cap, n + 1)))
				break;
			offs[n++] = text.len;
			if ((err = ph_buf_put(&text, data, dlen)) || (err = ph_buf_put_u8(&text, 0)))
				break;
		}
		if (!err && (list = calloc(n ? n : 1, sizeof(*list))) == NULL)
			err = ph_error(PH_ENOMEM, "agent: out of memory for argv");
		for (size_t i = 0; !err && i < n; i++)
			list[i] = (const char *)text.data + offs[i];
		if (!err)
			err = ph_writer_meta_strlist(&W->w, "argv", list, n);
	}
	if (!err) {
		const uint8_t *data;
		size_t dlen;
		bool trunc;

		text.len = 0;
		err = ph_str_text(py, exe, 65536, &tmp, &data, &dlen, &trunc);
		if (err > 0 && !(err = ph_buf_put(&text, data, dlen)) &&
		    !(err = ph_buf_put_u8(&text, 0)))
			err = ph_writer_meta_str(&W->w, "executable", (const char *)text.data);
	}
	free(list);
	free(offs);
	ph_buf_release(&text);
	ph_buf_release(&tmp);
	return err;
}

static int meta_start(struct walk *W, bool collecting)
{
	char host[256];
	int err;

	if ((err = ph_writer_meta_str(&W->w, "python_version", W->py.version)) ||
	    (err = ph_writer_meta_uint(&W->w, "python_hexversion", W->py.hexversion)) ||
	    (err = ph_writer_meta_uint(&W->w, "pid", (uint64_t)getpid())) ||
	    (err = ph_writer_meta_uint(&W->w, "time_ns", now_ns(CLOCK_REALTIME))) ||
	    (err = ph_writer_meta_str(&W->w, "writer", "pyheap " PYHEAP_VERSION)) ||
	    (err = ph_writer_meta_str(&W->w, "values", W->no_values ? "none" : "all")) ||
	    (err = ph_writer_meta_uint(&W->w, "max_value_len", W->max_value)) ||
	    (err = ph_writer_meta_bool(&W->w, "gc_collecting", collecting)))
		return err;
	if (gethostname(host, sizeof(host)) == 0) {
		host[sizeof(host) - 1] = '\0';
		if ((err = ph_writer_meta_str(&W->w, "hostname", host)))
			return err;
	}
	return meta_sys(W);
}

static int meta_end(struct walk *W)
{
	int err;

	if ((err = ph_writer_meta_uint(&W->w, "agent_objects", W->objects)) ||
	    (err = ph_writer_meta_uint(&W->w, "agent_gc_objects", W->gc_objects)) ||
	    (err = ph_writer_meta_uint(&W->w, "agent_types", W->T.n)) ||
	    (err = ph_writer_meta_uint(&W->w, "agent_bad_references", W->bad_refs + W->T.bad_types)) ||
	    (err = ph_writer_meta_uint(&W->w, "agent_bad_gc_links", W->bad_links)) ||
	    (err = ph_writer_meta_uint(&W->w, "agent_sizeof_calls", W->sizeof_calls)) ||
	    (err = ph_writer_meta_uint(&W->w, "agent_sizeof_failed", W->sizeof_failed)) ||
	    (err = ph_writer_meta_bool(&W->w, "agent_full_set", W->full)) ||
	    (err = ph_writer_meta_uint(&W->w, "agent_sole_references", W->sole_refs)) ||
	    (err = ph_writer_meta_uint(&W->w, "agent_dead_references", W->dead_refs)) ||
	    (err = ph_writer_meta_uint(&W->w, "agent_traversals_cut", W->traverse_cut)) ||
	    (err = ph_writer_meta_uint(&W->w, "agent_seen", W->seen.count)) ||
	    (err = ph_writer_meta_uint(&W->w, "agent_memory",
				       ph_seen_memory(&W->seen) + ph_types_memory(&W->T) +
					       ph_writer_memory(&W->w) +
					       W->cap_stack * sizeof(*W->stack))))
		return err;
	return 0;
}

/* ---- the dump ---- */

/* Everything done with the GIL held. */
static int walk_locked(struct walk *W)
{
	const struct ph_py *py = &W->py;
	const struct ph_layout *L = py->L;
	struct ph_threads th;
	bool collecting;
	int err;

	err = ph_py_attach(&W->py);
	if (err)
		return err;
	collecting = ph_rd_i32(py->gc, L->gc_collecting) != 0;
	W->full = collecting || py->n_interps > 1;
	if ((err = meta_start(W, collecting)) || (err = roots(W)))
		return err;
	memset(&th, 0, sizeof(th));
	th.py = py;
	th.w = &W->w;
	th.reach = reach_cb;
	th.root = root_cb;
	th.ctx = W;
	th.self = py->gil_this_tstate ? (uintptr_t)py->gil_this_tstate() : 0;
	if ((err = ph_threads_dump(&th)) || (err = reach_new_types(W)) || (err = drain(W)))
		return err;
	for (int g = 0; g < 4 && !err; g++) {
		uintptr_t head = g < 3 ? py->gc + (uintptr_t)(L->gc_generations + g * L->gc_generation_size)
				       : py->gc + (uintptr_t)L->gc_permanent;

		err = walk_list(W, head);
	}
	if (!err)
		err = drain(W);
	if (!err)
		err = meta_end(W);
	return err;
}

static int walk_init(struct walk *W, const struct ph_agent_args *args,
		     struct ph_agent_state *state, const struct ph_sink *sink)
{
	struct ph_writer_opts opts;
	int err;

	memset(W, 0, sizeof(*W));
	W->args = args;
	W->state = state;
	W->no_values = (args->flags & PH_AGENT_NO_VALUES) != 0;
	W->max_value = args->max_value_len < VALUE_CAP_MAX ? args->max_value_len : VALUE_CAP_MAX;
	err = ph_py_init(&W->py, args);
	if (err)
		return err;
	memset(&opts, 0, sizeof(opts));
	opts.codec = NULL;
	err = ph_writer_open(&W->w, sink, &opts);
	if (err)
		return err;
	for (int i = 0; i < N_COUNT && !err; i++)
		err = ph_writer_string(&W->w, name_text[i], strlen(name_text[i]), &W->sref[i]);
	if (!err)
		err = ph_types_init(&W->T, &W->py, &W->w);
	if (!err)
		err = ph_seen_init(&W->seen, 1 << 16);
	return err;
}

static void walk_release(struct walk *W)
{
	ph_types_release(&W->T);
	ph_seen_release(&W->seen);
	ph_writer_release(&W->w);
	ph_py_release(&W->py);
	ph_buf_release(&W->vbuf);
	free(W->stack);
	free(W->edges);
	free(W->hints);
	free(W->visits);
	free(W->mset);
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
 * PyEval_RestoreThread() takes the GIL. On 3.13 it must not hold the guard
 * there: the forking thread holds HEAD_LOCK while it waits for the guard.
 */
static int gil_take(struct walk *W, void **out)
{
	struct ph_py *py = &W->py;
	void *interp, *ts;

	interp = py->interp_main ? py->interp_main() : py->interp_head();
	if (!interp)
		return ph_error(PH_ENOTPYTHON, "agent: the interpreter has no main interpreter state");
	if (py->minor <= 12)
		ph_fork_guard_lock();
	ts = py->tstate_new(interp);
	if (py->minor <= 12)
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
			gc_was = ph_rd_i32(gc, W->py.L->gc_enabled);
			*(int *)(gc + (uintptr_t)W->py.L->gc_enabled) = 0;
		}
		err = walk_locked(W);
		if (!err)
			err = ph_writer_meta_uint(&W->w, "pause_ns",
						  now_ns(CLOCK_MONOTONIC) - W->t_gil);
		if (W->py.gc_enable) {
			if (gc_was)
				W->py.gc_enable();
		} else if (gc) {
			*(int *)(gc + (uintptr_t)W->py.L->gc_enabled) = gc_was;
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
