/* SPDX-License-Identifier: MIT */
/*
 * threads.c - THREADS records and thread-state roots (see threads.h).
 *
 * Frames (caps.frames), PH_FRAMES_OBJECTS (3.8-3.10): PyFrameObject chain
 * from tstate->frame through f_back; locals in f_localsplus: co_nlocals
 * plain locals (names in co_varnames), then the cells (co_cellvars), then
 * the free variables (co_freevars). Otherwise (3.11+): _PyInterpreterFrame
 * chain from the current frame (PH_FRAMES_CFRAME: tstate->cframe->
 * current_frame; PH_FRAMES_TSTATE: tstate->current_frame) through previous;
 * frames that are not Python's (an owner from caps.owner_first_shim on:
 * shims on the C stack, the interpreter's entry frames) and frames that have
 * not started (_PyFrame_IsIncomplete) are skipped; locals are localsplus[i]
 * for i < co_nlocalsplus, named by co_localsplusnames, with the kind bytes
 * of co_localspluskinds marking cells and free variables (caps.fast_cell,
 * caps.fast_free). 3.14+ frames hold tagged references (_PyStackRef): the
 * code, the function and the locals are read through ph_frame_ref().
 */
#include "agent/threads.h"

#include <stdlib.h>
#include <string.h>

#include "agent/dicts.h"
#include "agent/values.h"
#include "common/error.h"

#define MAX_FRAMES         100000
#define NAME_MAX_BYTES     1024

struct pythread {
	uint64_t ident;
	uintptr_t thread; /* the threading.Thread */
};

struct tstate_work {
	struct ph_threads *th;
	struct ph_buf tmp;
	struct pythread *known;
	size_t n_known, cap_known;
	struct ph_frame_rec *frames;
	size_t n_frames, cap_frames;
	struct ph_local_rec *locals;
	size_t n_locals, cap_locals;
	size_t *first_local; /* per frame: index of its first local */
	size_t cap_first;
};

/* sref of the text of str o (0 if o is not a readable str). */
static int str_sref(struct tstate_work *tw, uintptr_t o, uint64_t *sref)
{
	const uint8_t *data;
	size_t len;
	bool trunc;
	int err;

	*sref = 0;
	err = ph_str_text(tw->th->py, o, NAME_MAX_BYTES, &tw->tmp, &data, &len, &trunc);
	if (err > 0)
		err = ph_writer_string(tw->th->w, data, len, sref);
	return err;
}

static int reach(struct tstate_work *tw, uintptr_t o, bool *ok)
{
	*ok = false;
	if (!o)
		return 0;
	return tw->th->reach(tw->th->ctx, o, ok);
}

/* Small non-negative int value, or 0. */
static uint64_t int_value(const struct ph_py *py, uintptr_t o)
{
	struct ph_int v;

	if (!o || !(ph_tp_flags(ph_type(o)) & PH_TPF_LONG_SUBCLASS))
		return 0;
	ph_int_read(py, o, &v);
	return v.fits && v.value > 0 ? (uint64_t)v.value : 0;
}

/* Collect threading._active (ident -> Thread) and _limbo's threads. */
static int find_python_threads(struct tstate_work *tw)
{
	const struct ph_py *py = tw->th->py;
	uintptr_t modules = ph_rd(py->interp, py->L->is->modules);
	uintptr_t mod = ph_dict_get(py, modules, "threading");
	uintptr_t md, active, limbo, k, v;
	intptr_t pos;
	int err;

	if (!mod || !ph_is_subtype(ph_type(mod), py->t_module))
		return 0;
	md = ph_rd(mod, py->L->obj->md_dict);
	active = ph_dict_get(py, md, "_active");
	limbo = ph_dict_get(py, md, "_limbo");
	for (int pass = 0; pass < 2; pass++) {
		uintptr_t d = pass ? limbo : active;

		if (!d || !(ph_tp_flags(ph_type(d)) & PH_TPF_DICT_SUBCLASS))
			continue;
		pos = 0;
		while (ph_dict_next(py, d, &pos, &k, &v)) {
			uint64_t ident = pass ? int_value(py, ph_obj_attr(py, v, "_ident"))
					      : int_value(py, k);

			if (!ident)
				continue;
			err = PH_ARRAY_RESERVE(tw->known, tw->cap_known, tw->n_known + 1);
			if (err)
				return err;
			tw->known[tw->n_known].ident = ident;
			tw->known[tw->n_known].thread = v;
			tw->n_known++;
		}
	}
	return 0;
}

static uintptr_t python_thread(const struct tstate_work *tw, uint64_t ident)
{
	for (size_t i = 0; i < tw->n_known; i++)
		if (tw->known[i].ident == ident)
			return tw->known[i].thread;
	return 0;
}

static int add_local(struct tstate_work *tw, uintptr_t name, uintptr_t value, bool unwrap_cell)
{
	const struct ph_py *py = tw->th->py;
	struct ph_local_rec *l;
	bool ok;
	int err;

	if (!value)
		return 0;
	if (unwrap_cell && py->t_cell && ph_type(value) == py->t_cell) {
		value = ph_rd(value, PH_OFF_CELL_REF);
		if (!value)
			return 0;
	}
	err = reach(tw, value, &ok);
	if (err || !ok)
		return err;
	err = PH_ARRAY_RESERVE(tw->locals, tw->cap_locals, tw->n_locals + 1);
	if (err)
		return err;
	l = &tw->locals[tw->n_locals];
	err = str_sref(tw, name, &l->name);
	if (err)
		return err;
	l->address = value;
	tw->n_locals++;
	return 0;
}

/* Start a frame record for code; *f receives it (valid until the next frame). */
static int new_frame(struct tstate_work *tw, uintptr_t code, uintptr_t frame_obj, uint64_t line,
		     struct ph_frame_rec **f)
{
	const struct ph_py *py = tw->th->py;
	const struct ph_l_code *C = py->L->co;
	struct ph_frame_rec *r;
	uintptr_t name = ph_rd(code, C->qualname >= 0 ? C->qualname : C->name);
	bool ok;
	int err;

	if ((err = PH_ARRAY_RESERVE(tw->frames, tw->cap_frames, tw->n_frames + 1)) ||
	    (err = PH_ARRAY_RESERVE(tw->first_local, tw->cap_first, tw->n_frames + 1)))
		return err;
	r = &tw->frames[tw->n_frames];
	memset(r, 0, sizeof(*r));
	tw->first_local[tw->n_frames] = tw->n_locals;
	tw->n_frames++;
	if ((err = str_sref(tw, name, &r->function)) ||
	    (err = str_sref(tw, ph_rd(code, C->filename), &r->filename)))
		return err;
	r->line = line;
	if ((err = reach(tw, code, &ok)))
		return err;
	r->code = ok ? code : 0;
	if ((err = reach(tw, frame_obj, &ok)))
		return err;
	r->frame = ok ? frame_obj : 0;
	*f = r;
	return 0;
}

/* PH_FRAMES_OBJECTS (3.8-3.10): PyFrameObject chain. */
static int frames_old(struct tstate_work *tw, uintptr_t ts)
{
	const struct ph_py *py = tw->th->py;
	const struct ph_l_frameobj *F = py->L->fo;
	const struct ph_l_code *C = py->L->co;
	uintptr_t f = ph_rd(ts, py->L->ts->frame);
	int err = 0;

	for (int n = 0; f && n < MAX_FRAMES && !err; n++, f = ph_rd(f, F->back)) {
		uintptr_t code = ph_rd(f, F->code);
		uintptr_t varnames, cellvars, freevars, plus = f + (uintptr_t)F->localsplus;
		int64_t nlocals, ncells, nfrees;
		struct ph_frame_rec *r;
		int line;

		if (!code || ph_type(code) != py->t_code)
			continue;
		line = py->frame_lineno((void *)f);
		err = new_frame(tw, code, f, line > 0 ? (uint64_t)line : 0, &r);
		if (err)
			break;
		varnames = ph_rd(code, C->varnames);
		cellvars = ph_rd(code, C->cellvars);
		freevars = ph_rd(code, C->freevars);
		nlocals = ph_rd_i32(code, C->nlocals);
		ncells = cellvars ? ph_ob_size(cellvars) : 0;
		nfrees = freevars ? ph_ob_size(freevars) : 0;
		if (varnames && nlocals > ph_ob_size(varnames))
			nlocals = ph_ob_size(varnames);
		for (int64_t i = 0; i < nlocals && !err; i++)
			err = add_local(tw, ph_tuple_item(py, varnames, i),
					ph_rd(plus, (long)(8 * i)), false);
		for (int64_t i = 0; i < ncells && !err; i++)
			err = add_local(tw, ph_tuple_item(py, cellvars, i),
					ph_rd(plus, (long)(8 * (nlocals + i))), true);
		for (int64_t i = 0; i < nfrees && !err; i++)
			err = add_local(tw, ph_tuple_item(py, freevars, i),
					ph_rd(plus, (long)(8 * (nlocals + ncells + i))), true);
	}
	return err;
}

/* 3.11+: _PyInterpreterFrame chain. */
static int frames_new(struct tstate_work *tw, uintptr_t ts)
{
	const struct ph_py *py = tw->th->py;
	const struct ph_caps *caps = py->caps;
	const struct ph_l_iframe *I = py->L->ifr;
	const struct ph_l_code *C = py->L->co;
	uintptr_t f;
	int err = 0;

	if (caps->frames == PH_FRAMES_TSTATE) {
		f = ph_rd(ts, py->L->ts->current_frame);
	} else {
		uintptr_t cframe = ph_rd(ts, py->L->ts->cframe);

		f = cframe ? ph_rd(cframe, py->L->ts->cframe_current_frame) : 0;
	}
	for (int n = 0; f && n < MAX_FRAMES && !err; n++, f = ph_rd(f, I->previous)) {
		uint8_t owner = ph_rd_u8(f, I->owner);
		uintptr_t code, instr, start, names, kinds;
		int64_t nplus, lasti;
		struct ph_frame_rec *r;
		int line;
		bool ok;

		if (owner >= caps->owner_first_shim)
			continue; /* not a Python frame: a shim on the C stack, an entry frame */
		code = ph_frame_ref(py, f, I->executable);
		if (!code || ph_type(code) != py->t_code)
			continue;
		instr = ph_rd(f, I->instr_ptr);
		start = code + (uintptr_t)C->code_adaptive;
		/* _PyFrame_IsIncomplete */
		if (owner != caps->owner_generator &&
		    (intptr_t)instr <
			    (intptr_t)(start + 2 * (uintptr_t)ph_rd_i32(code, C->firsttraceable)))
			continue;
		lasti = (int64_t)instr - (int64_t)start;
		line = py->addr2line((void *)code, lasti < 0 ? -1 : (int)lasti);
		err = new_frame(tw, code, ph_rd(f, I->frame_obj), line > 0 ? (uint64_t)line : 0,
				&r);
		if (err)
			break;
		/* what the frame holds besides its locals */
		if ((err = reach(tw, ph_frame_ref(py, f, I->funcobj), &ok)) ||
		    (err = reach(tw, ph_rd(f, I->globals), &ok)) ||
		    (err = reach(tw, ph_rd(f, I->builtins), &ok)) ||
		    (err = reach(tw, ph_rd(f, I->locals), &ok)))
			break;
		names = ph_rd(code, C->localsplusnames);
		kinds = ph_rd(code, C->localspluskinds);
		nplus = ph_rd_i32(code, C->nlocalsplus);
		if (!names || !kinds || nplus > ph_ob_size(names) || nplus > ph_ob_size(kinds))
			continue;
		for (int64_t i = 0; i < nplus && !err; i++) {
			uint8_t kind = ph_rd_u8(kinds, (long)(PH_OFF_BYTES_DATA + i));

			err = add_local(tw, ph_tuple_item(py, names, i),
					ph_frame_ref(py, f, (long)(I->localsplus + 8 * i)),
					(kind & (caps->fast_cell | caps->fast_free)) != 0);
		}
	}
	return err;
}

static int ts_root(struct tstate_work *tw, const char *label, uintptr_t base, int32_t off)
{
	return tw->th->root(tw->th->ctx, PH_FMT_ROOT_THREAD, label, base, off);
}

static int tstate_roots(struct tstate_work *tw, uintptr_t ts)
{
	const struct ph_l_tstate *L = tw->th->py->L->ts;
	uintptr_t exc = ts + (uintptr_t)L->exc_state;
	const char *value =
		L->curexc_type >= 0 ? "tstate.curexc_value" : "tstate.current_exception";
	int err;

	if ((err = ts_root(tw, "tstate.dict", ts, L->dict)) ||
	    (err = ts_root(tw, "tstate.curexc_type", ts, L->curexc_type)) ||
	    (err = ts_root(tw, value, ts, L->curexc_value)) ||
	    (err = ts_root(tw, "tstate.curexc_traceback", ts, L->curexc_traceback)) ||
	    (err = ts_root(tw, "tstate.async_exc", ts, L->async_exc)) ||
	    (err = ts_root(tw, "tstate.context", ts, L->context)) ||
	    (err = ts_root(tw, "tstate.c_profileobj", ts, L->c_profileobj)) ||
	    (err = ts_root(tw, "tstate.c_traceobj", ts, L->c_traceobj)) ||
	    (err = ts_root(tw, "tstate.async_gen_firstiter", ts, L->async_gen_firstiter)) ||
	    (err = ts_root(tw, "tstate.async_gen_finalizer", ts, L->async_gen_finalizer)) ||
	    (err = ts_root(tw, "tstate.exc_state.exc_type", exc, L->exc_type)) ||
	    (err = ts_root(tw, "tstate.exc_state.exc_value", exc, L->exc_value)) ||
	    (err = ts_root(tw, "tstate.exc_state.exc_traceback", exc, L->exc_traceback)))
		return err;
	return 0;
}

static int one_thread(struct tstate_work *tw, uintptr_t ts, uint64_t main_ident)
{
	const struct ph_py *py = tw->th->py;
	const struct ph_l_tstate *L = py->L->ts;
	struct ph_thread_rec t;
	uintptr_t pt;
	int err;

	memset(&t, 0, sizeof(t));
	tw->n_frames = tw->n_locals = 0;
	t.ident = ph_rd(ts, L->thread_id);
	if (L->native_thread_id >= 0)
		t.native_id = ph_rd(ts, L->native_thread_id);
	if (t.ident == main_ident)
		t.flags |= PH_FMT_THREAD_MAIN;
	pt = python_thread(tw, t.ident);
	if (pt) {
		if (!tw->th->no_values &&
		    (err = str_sref(tw, ph_obj_attr(py, pt, "_name"), &t.name)))
			return err;
		if (ph_obj_attr(py, pt, "_daemonic") == py->true_)
			t.flags |= PH_FMT_THREAD_DAEMON;
		if (!t.native_id)
			t.native_id = int_value(py, ph_obj_attr(py, pt, "_native_id"));
	}
	err = py->caps->frames == PH_FRAMES_OBJECTS ? frames_old(tw, ts) : frames_new(tw, ts);
	if (err)
		return err;
	for (size_t i = 0; i < tw->n_frames; i++) {
		size_t end = i + 1 < tw->n_frames ? tw->first_local[i + 1] : tw->n_locals;

		tw->frames[i].locals = tw->locals + tw->first_local[i];
		tw->frames[i].n_locals = end - tw->first_local[i];
	}
	t.frames = tw->frames;
	t.n_frames = tw->n_frames;
	err = ph_writer_thread(tw->th->w, &t);
	if (!err)
		err = tstate_roots(tw, ts);
	tw->th->threads++;
	tw->th->frames += tw->n_frames;
	return err;
}

int ph_threads_dump(struct ph_threads *th)
{
	const struct ph_py *py = th->py;
	struct tstate_work tw;
	uint64_t main_ident = ph_rd(py->runtime, py->L->rt->main_thread);
	uintptr_t ts = ph_rd(py->interp, py->L->is->threads_head);
	int err;

	memset(&tw, 0, sizeof(tw));
	tw.th = th;
	err = find_python_threads(&tw);
	for (int n = 0; ts && !err && n < 100000; n++, ts = ph_rd(ts, py->L->ts->next)) {
		if (ts == th->self)
			continue;
		err = one_thread(&tw, ts, main_ident);
	}
	ph_buf_release(&tw.tmp);
	free(tw.known);
	free(tw.frames);
	free(tw.locals);
	free(tw.first_local);
	return err;
}
