/* SPDX-License-Identifier: MIT */
/*
 * edges.c - the edges of one object (see edges.h): collection by kind and
 * as an instance, then the matching of tp_traverse's reports.
 */
#include "agent/edges.h"

#include <stdlib.h>
#include <string.h>

#include "agent/dicts.h"
#include "common/error.h"

#define LINEAR_MATCH 24 /* below this many labelled edges, match traverse reports linearly */

static const char *const name_text[PH_N_COUNT] = {
#define NAME_TEXT(id, text) text,
	PH_EDGE_NAMES(NAME_TEXT)
#undef NAME_TEXT
};

int ph_edges_init(struct ph_edges *E, const struct ph_py *py, struct ph_types *T,
		  struct ph_writer *w, ph_edge_write_fn write, void *ctx)
{
	int err = 0;

	memset(E, 0, sizeof(*E));
	E->py = py;
	E->T = T;
	E->write = write;
	E->ctx = ctx;
	for (int i = 0; i < PH_N_COUNT && !err; i++)
		err = ph_writer_string(w, name_text[i], strlen(name_text[i]), &E->sref[i]);
	return err;
}

void ph_edges_release(struct ph_edges *E)
{
	free(E->edges);
	free(E->hints);
	free(E->visits);
	free(E->mset);
	memset(E, 0, sizeof(*E));
}

/* ---- collecting ---- */

/*
 * Add an edge of the current object. When the object will not be traversed
 * (E->direct) nothing has to be matched, and the edge is written at once.
 */
static int add_edge(struct ph_edges *E, uint8_t kind, uint8_t flags, uint64_t label,
		    uintptr_t target)
{
	struct ph_edge *e;
	int err;

	if (!target)
		return 0;
	if (E->direct) {
		struct ph_edge d = {target, label, kind, flags, false};

		return E->write(E->ctx, &d,
				!(flags & PH_FMT_EDGE_WEAK) &&
					!(kind == PH_FMT_LABEL_FIELD &&
					  label == E->sref[PH_N_CACHED_KEYS]));
	}
	err = PH_ARRAY_RESERVE(E->edges, E->cap_edges, E->n_edges + 1);
	if (err)
		return err;
	e = &E->edges[E->n_edges++];
	e->target = target;
	e->label = label;
	e->kind = kind;
	e->flags = flags;
	e->traversed = false;
	return 0;
}

static int add_field(struct ph_edges *E, enum ph_edge_name n, uintptr_t target)
{
	return add_edge(E, PH_FMT_LABEL_FIELD, 0, E->sref[n], target);
}

static int add_internal(struct ph_edges *E, enum ph_edge_name n, uintptr_t target)
{
	return add_edge(E, PH_FMT_LABEL_INTERNAL, 0, E->sref[n], target);
}

/* The FIELD in o at off, if the version has that field (off >= 0). */
static int add_field_at(struct ph_edges *E, enum ph_edge_name n, uintptr_t o, int32_t off)
{
	return off >= 0 ? add_field(E, n, ph_rd(o, off)) : 0;
}

static int add_internal_at(struct ph_edges *E, enum ph_edge_name n, uintptr_t o, int32_t off)
{
	return off >= 0 ? add_internal(E, n, ph_rd(o, off)) : 0;
}

static int add_hint(struct ph_edges *E, uint64_t name, uintptr_t target)
{
	int err;

	if (!target)
		return 0;
	err = PH_ARRAY_RESERVE(E->hints, E->cap_hints, E->n_hints + 1);
	if (err)
		return err;
	E->hints[E->n_hints].target = target;
	E->hints[E->n_hints].name = name;
	E->hints[E->n_hints].used = false;
	E->n_hints++;
	return 0;
}

static int dict_edges(struct ph_edges *E, uintptr_t d)
{
	const struct ph_py *py = E->py;
	intptr_t pos = 0;
	uintptr_t k, v;
	int err = 0;

	if (ph_dict_values_embedded(py, d))
		return 0; /* the instance holds these values (3.13+ inline values) */
	while (!err && ph_dict_next(py, d, &pos, &k, &v))
		err = add_edge(E, PH_FMT_LABEL_ENTRY, 0, k, v);
	return err;
}

static int seq_edges(struct ph_edges *E, uintptr_t items, int64_t n)
{
	int err = 0;

	for (int64_t i = 0; i < n && !err; i++)
		err = add_edge(E, PH_FMT_LABEL_INDEX, 0, (uint64_t)i, ph_rd(items, (long)(8 * i)));
	return err;
}

static int set_edges(struct ph_edges *E, uintptr_t o)
{
	const struct ph_l_objects *L = E->py->L->obj;
	uintptr_t table = ph_rd(o, L->set_table);
	uint64_t mask = ph_rd(o, L->set_mask);
	int err = 0;

	if (!table || mask >= ((uint64_t)1 << 40))
		return 0;
	for (uint64_t i = 0; i <= mask && !err; i++) {
		uintptr_t key = ph_rd(table, (long)(PH_SIZE_SET_ENTRY * i + PH_OFF_SET_ENTRY_KEY));

		if (key && key != E->py->set_dummy)
			err = add_edge(E, PH_FMT_LABEL_KEYREF, 0, 0, key);
	}
	return err;
}

static int keys_names(struct ph_edges *E, uintptr_t keys)
{
	int64_t n = ph_keys_nentries(E->py, keys);
	int err = 0;

	for (int64_t i = 0; i < n && !err; i++)
		err = add_field(E, PH_N_CACHED_KEYS, ph_keys_key(E->py, keys, i));
	return err;
}

static int type_edges(struct ph_edges *E, uintptr_t o)
{
	const struct ph_py *py = E->py;
	const struct ph_l_heaptype *H = py->L->ht;
	unsigned long flags = ph_tp_flags(o);
	bool static_builtin = py->caps->static_builtins && (flags & PH_TPF_STATIC_BUILTIN);
	int err;

	/* __dict__ comes from type's tp_dictoffset, except for 3.12+ static builtins */
	if (static_builtin && !ph_rd(o, PH_OFF_TP_DICT) && py->type_get_dict) {
		void *d = py->type_get_dict((void *)o);

		if (d) {
			err = add_field(E, PH_N_DICT, (uintptr_t)d);
			py->decref(d); /* still held by the interpreter */
			if (err)
				return err;
		}
	}
	if ((err = add_field(E, PH_N_MRO, ph_rd(o, PH_OFF_TP_MRO))) ||
	    (err = add_field(E, PH_N_BASES, ph_rd(o, PH_OFF_TP_BASES))) ||
	    (err = add_field(E, PH_N_BASE, ph_rd(o, PH_OFF_TP_BASE))) ||
	    (err = add_internal(E, PH_N_TP_CACHE, ph_rd(o, PH_OFF_TP_CACHE))))
		return err;
	/* a static builtin's tp_subclasses is an index into the interpreter's table */
	if (!static_builtin &&
	    (err = add_internal(E, PH_N_TP_SUBCLASSES, ph_rd(o, PH_OFF_TP_SUBCLASSES))))
		return err;
	if (!(flags & PH_TPF_HEAPTYPE))
		return 0;
	if ((err = add_field(E, PH_N_NAME, ph_rd(o, H->name))) ||
	    (err = add_field(E, PH_N_QUALNAME, ph_rd(o, H->qualname))) ||
	    (err = add_field(E, PH_N_SLOTS, ph_rd(o, H->slots))) ||
	    (err = add_internal_at(E, PH_N_HT_MODULE, o, H->module)))
		return err;
	return keys_names(E, ph_rd(o, H->cached_keys));
}

static int function_edges(struct ph_edges *E, uintptr_t o)
{
	const struct ph_l_func *F = E->py->L->fn;
	int err;

	if ((err = add_field_at(E, PH_N_CODE, o, F->code)) ||
	    (err = add_field_at(E, PH_N_GLOBALS, o, F->globals)) ||
	    (err = add_field_at(E, PH_N_BUILTINS, o, F->builtins)) ||
	    (err = add_field_at(E, PH_N_NAME, o, F->name)) ||
	    (err = add_field_at(E, PH_N_QUALNAME, o, F->qualname)) ||
	    (err = add_field_at(E, PH_N_DEFAULTS, o, F->defaults)) ||
	    (err = add_field_at(E, PH_N_KWDEFAULTS, o, F->kwdefaults)) ||
	    (err = add_field_at(E, PH_N_CLOSURE, o, F->closure)) ||
	    (err = add_field_at(E, PH_N_DOC, o, F->doc)) ||
	    (err = add_field_at(E, PH_N_MODULE, o, F->module)) ||
	    (err = add_field_at(E, PH_N_ANNOTATIONS, o, F->annotations)) ||
	    (err = add_field_at(E, PH_N_ANNOTATE, o, F->annotate)) ||
	    (err = add_field_at(E, PH_N_TYPE_PARAMS, o, F->typeparams)))
		return err;
	return 0; /* __dict__: from tp_dictoffset */
}

static int code_edges(struct ph_edges *E, uintptr_t o)
{
	const struct ph_l_code *C = E->py->L->co;
	uintptr_t c;
	int err;

	if ((err = add_field_at(E, PH_N_CO_CONSTS, o, C->consts)) ||
	    (err = add_field_at(E, PH_N_CO_NAMES, o, C->names)) ||
	    (err = add_field_at(E, PH_N_CO_VARNAMES, o, C->varnames)) ||
	    (err = add_field_at(E, PH_N_CO_FREEVARS, o, C->freevars)) ||
	    (err = add_field_at(E, PH_N_CO_CELLVARS, o, C->cellvars)) ||
	    (err = add_field_at(E, PH_N_CO_FILENAME, o, C->filename)) ||
	    (err = add_field_at(E, PH_N_CO_NAME, o, C->name)) ||
	    (err = add_field_at(E, PH_N_CO_QUALNAME, o, C->qualname)) ||
	    (err = add_field_at(E, PH_N_CO_LNOTAB, o, C->lnotab)) ||
	    (err = add_field_at(E, PH_N_CO_LINETABLE, o, C->linetable)) ||
	    (err = add_field_at(E, PH_N_CO_EXCEPTIONTABLE, o, C->exceptiontable)) ||
	    (err = add_field_at(E, PH_N_CO_CODE, o, C->code)) ||
	    (err = add_field_at(E, PH_N_CO_LOCALSPLUSNAMES, o, C->localsplusnames)) ||
	    (err = add_field_at(E, PH_N_CO_LOCALSPLUSKINDS, o, C->localspluskinds)) ||
	    (err = add_internal_at(E, PH_N_CO_ZOMBIEFRAME, o, C->zombieframe)) ||
	    (err = add_internal_at(E, PH_N_CO_CACHED_CODE, o, C->code_cache)))
		return err;
	/* 3.12+: a malloc'ed struct of four cached objects, or NULL */
	c = C->cached >= 0 ? ph_rd(o, C->cached) : 0;
	if (c && ((err = add_internal_at(E, PH_N_CO_CACHED_CODE, c, C->cached_code)) ||
		  (err = add_internal_at(E, PH_N_CO_CACHED_VARNAMES, c, C->cached_varnames)) ||
		  (err = add_internal_at(E, PH_N_CO_CACHED_CELLVARS, c, C->cached_cellvars)) ||
		  (err = add_internal_at(E, PH_N_CO_CACHED_FREEVARS, c, C->cached_freevars))))
		return err;
	return 0;
}

static int frame_edges(struct ph_edges *E, uintptr_t o)
{
	const struct ph_l_frameobj *F = E->py->L->fo;
	int err;

	if ((err = add_field_at(E, PH_N_F_BACK, o, F->back)) ||
	    (err = add_field_at(E, PH_N_F_CODE, o, F->code)) ||
	    (err = add_field_at(E, PH_N_F_BUILTINS, o, F->builtins)) ||
	    (err = add_field_at(E, PH_N_F_GLOBALS, o, F->globals)) ||
	    (err = add_field_at(E, PH_N_F_LOCALS, o, F->locals)) ||
	    (err = add_field_at(E, PH_N_F_TRACE, o, F->trace)))
		return err;
	return 0;
}

/* The labelled references that depend on the object's builtin kind. */
static int kind_edges(struct ph_edges *E, const struct ph_tinfo *ti, uintptr_t o)
{
	const struct ph_py *py = E->py;

	switch (ti->kind) {
	case PH_K_DICT:
		return dict_edges(E, o);
	case PH_K_LIST: {
		int64_t n = ph_ob_size(o);
		uintptr_t items = ph_rd(o, PH_OFF_LIST_ITEMS);

		return items && n > 0 ? seq_edges(E, items, n) : 0;
	}
	case PH_K_TUPLE:
		return seq_edges(E, ph_tuple_items(py, o), ph_ob_size(o));
	case PH_K_SET:
		return py->set_dummy ? set_edges(E, o) : 0;
	case PH_K_TYPE:
		return type_edges(E, o);
	case PH_K_MODULE:
		return add_field_at(E, PH_N_NAME, o, py->L->obj->md_name);
	case PH_K_FUNCTION:
		return function_edges(E, o);
	case PH_K_CODE:
		return code_edges(E, o);
	case PH_K_CELL:
		return add_field(E, PH_N_CELL_CONTENTS, ph_rd(o, PH_OFF_CELL_REF));
	case PH_K_FRAME:
		return frame_edges(E, o);
	case PH_K_WEAKREF: {
		uintptr_t ref = ph_rd(o, PH_OFF_WR_OBJECT);
		int err = 0;

		if (ref && ref != py->none)
			err = add_edge(E, PH_FMT_LABEL_INTERNAL, PH_FMT_EDGE_WEAK,
				       E->sref[PH_N_REFERENT], ref);
		if (!err)
			err = add_field(E, PH_N_CALLBACK, ph_rd(o, PH_OFF_WR_CALLBACK));
		return err;
	}
	default:
		return 0;
	}
}

/* Instance attributes: inline/managed values, __dict__, __slots__, C members. */
static int instance_edges(struct ph_edges *E, const struct ph_tinfo *ti, uintptr_t o)
{
	const struct ph_py *py = E->py;
	const struct ph_member *m = E->T->members + ti->members;
	struct ph_values v;
	uintptr_t d;
	int err = 0;

	if (ti->heap && ph_values_find(py, o, ti->flags, ti->basicsize, ti->cached_keys, &v)) {
		for (uint64_t i = 0; i < v.count && !err; i++) {
			uintptr_t name, value;

			ph_values_get(py, &v, i, &name, &value);
			if (name && value)
				err = add_edge(E, PH_FMT_LABEL_ATTR, 0, name, value);
		}
	}
	if (!err && (ti->dictoffset || (ti->flags & PH_TPF_MANAGED_DICT)) &&
	    ti->kind != PH_K_TYPE && (d = ph_obj_dict(py, o)))
		err = add_field(E, PH_N_DICT, d);
	else if (!err && ti->kind == PH_K_TYPE)
		err = add_field(E, PH_N_DICT, ph_rd(o, PH_OFF_TP_DICT));
	for (uint32_t i = 0; i < ti->n_members && !err; i++) {
		uintptr_t val = ph_rd(o, (long)m[i].offset);

		if (m[i].slot)
			err = add_edge(E, PH_FMT_LABEL_FIELD, 0, m[i].name, val);
		else
			err = add_hint(E, m[i].name, val);
	}
	return err;
}

/* ---- matching traverse reports against labelled edges ---- */

static int visit_cb(void *o, void *arg)
{
	struct ph_edges *E = arg;

	if (!o)
		return 0;
	if (E->n_visits >= E->visit_cap) {
		E->visit_cut = true;
		return 1; /* stop the traversal */
	}
	if (PH_ARRAY_RESERVE(E->visits, E->cap_visits, E->n_visits + 1)) {
		E->visit_failed = true;
		return 1; /* stop the traversal */
	}
	E->visits[E->n_visits++] = (uintptr_t)o;
	return 0;
}

static int mset_prepare(struct ph_edges *E, size_t n)
{
	size_t cap = 64;

	while (cap < n * 2)
		cap *= 2;
	if (cap > E->mset_mask + 1 || !E->mset) {
		struct ph_edge_mslot *s = calloc(cap, sizeof(*s));

		if (!s)
			return ph_error(PH_ENOMEM, "agent: out of memory matching references");
		free(E->mset);
		E->mset = s;
		E->mset_mask = cap - 1;
		E->mset_gen = 0;
	}
	if (++E->mset_gen == 0) { /* wrapped: clear for real */
		memset(E->mset, 0, (E->mset_mask + 1) * sizeof(*E->mset));
		E->mset_gen = 1;
	}
	return 0;
}

static struct ph_edge_mslot *mset_slot(struct ph_edges *E, uintptr_t key)
{
	size_t i = (size_t)((key * 0x9e3779b97f4a7c15ULL) >> 32) & E->mset_mask;

	for (;; i = (i + 1) & E->mset_mask) {
		struct ph_edge_mslot *s = &E->mset[i];

		if (s->gen != E->mset_gen) {
			s->gen = E->mset_gen;
			s->key = key;
			s->count = 0;
			return s;
		}
		if (s->key == key)
			return s;
	}
}

/* Is target labelled already (and not yet matched)? Consumes one match. */
static bool take_labelled(struct ph_edges *E, size_t n_strong, uintptr_t target, bool *matched)
{
	if (n_strong < LINEAR_MATCH) {
		for (size_t i = 0; i < n_strong; i++) {
			if (!matched[i] && E->edges[i].target == target &&
			    !(E->edges[i].flags & PH_FMT_EDGE_WEAK)) {
				matched[i] = true;
				return true;
			}
		}
		return false;
	}
	{
		struct ph_edge_mslot *s = mset_slot(E, target);

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
static int traverse_edges(struct ph_edges *E, const struct ph_tinfo *ti, uintptr_t o,
			  uint64_t size)
{
	int (*traverse)(void *, int (*)(void *, void *), void *) =
		(int (*)(void *, int (*)(void *, void *), void *))ti->traverse_fn;
	size_t n_lab = E->n_edges;
	bool small[LINEAR_MATCH];
	int err;

	E->n_visits = 0;
	E->visit_failed = false;
	E->visit_cut = false;
	E->visit_cap = size / 4 > ((size_t)1 << 20) ? size / 4 : (size_t)1 << 20;
	traverse((void *)o, visit_cb, E);
	if (E->visit_failed)
		return ph_error(PH_ENOMEM, "agent: out of memory collecting references");
	if (E->visit_cut) {
		E->traverse_cut++;
		E->n_visits = 0;
		return 0;
	}
	if (!E->n_visits)
		return 0;
	if (n_lab < LINEAR_MATCH) {
		memset(small, 0, sizeof(small));
	} else {
		err = mset_prepare(E, n_lab);
		if (err)
			return err;
		for (size_t i = 0; i < n_lab; i++)
			if (!(E->edges[i].flags & PH_FMT_EDGE_WEAK))
				mset_slot(E, E->edges[i].target)->count++;
	}
	for (size_t i = 0; i < E->n_visits; i++) {
		uintptr_t t = E->visits[i];
		bool hinted = false;

		if (take_labelled(E, n_lab, t, small))
			continue;
		for (size_t h = 0; h < E->n_hints; h++) {
			if (!E->hints[h].used && E->hints[h].target == t) {
				E->hints[h].used = true;
				err = add_edge(E, PH_FMT_LABEL_FIELD, 0, E->hints[h].name, t);
				if (err)
					return err;
				E->edges[E->n_edges - 1].traversed = true;
				hinted = true;
				break;
			}
		}
		if (!hinted) {
			if ((err = add_edge(E, PH_FMT_LABEL_NONE, 0, 0, t)))
				return err;
			E->edges[E->n_edges - 1].traversed = true;
		}
	}
	return 0;
}

/*
 * May edge i be the only way to its target (see walk.c's reach_ref)? Not for
 * labels' sources (the names of shared keys), weak references, or what a C
 * type's tp_traverse reports more than once (a buggy third-party traverse
 * must not make the agent write an object twice): a traversal with many
 * reports goes through the seen set, a short one is checked for repeats.
 */
static bool sole_edge(const struct ph_edges *E, size_t i)
{
	const struct ph_edge *e = &E->edges[i];

	if ((e->flags & PH_FMT_EDGE_WEAK) ||
	    (e->kind == PH_FMT_LABEL_FIELD && e->label == E->sref[PH_N_CACHED_KEYS]))
		return false;
	if (!e->traversed)
		return true;
	if (E->n_visits > 64)
		return false;
	for (size_t j = 0; j < i; j++)
		if (E->edges[j].traversed && E->edges[j].target == e->target)
			return false;
	return true;
}

int ph_edges_write(struct ph_edges *E, const struct ph_tinfo *ti, uintptr_t o, bool readable,
		   bool traverse, uint64_t size)
{
	int err = 0;

	E->n_edges = 0;
	E->n_hints = 0;
	E->n_visits = 0;
	E->direct = !traverse;
	if (readable && ((err = kind_edges(E, ti, o)) || (err = instance_edges(E, ti, o))))
		goto out;
	if (ti->heap && (err = add_field(E, PH_N_CLASS, ti->addr)))
		goto out;
	if (traverse && (err = traverse_edges(E, ti, o, size)))
		goto out;
	for (size_t i = 0; i < E->n_edges && !err; i++)
		err = E->write(E->ctx, &E->edges[i], sole_edge(E, i));
out:
	E->direct = false;
	return err;
}
