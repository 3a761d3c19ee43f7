/* SPDX-License-Identifier: MIT */
/*
 * threads.c - THREADS records and thread-state roots (see threads.h).
 *
 * Frames, 3.8-3.10: PyFrameObject chain from tstate->frame through f_back;
 * locals in f_localsplus: co_nlocals plain locals (names in co_varnames),
 * then the cells (co_cellvars), then the free variables (co_freevars).
 * 3.11+: _PyInterpreterFrame chain from the current frame (3.11/3.12:
 * tstate->cframe->current_frame; 3.13: tstate->current_frame) through
 * previous; shim frames on the C stack (owner 3) and frames that have not
 * started (_PyFrame_IsIncomplete) are skipped; locals are localsplus[i] for
 * i < co_nlocalsplus, named by co_localsplusnames, with the kind bytes of
 * co_localspluskinds marking cells (0x40) and free variables (0x80).
 */
#include "agent/threads.h"

#include <stdlib.h>
#include <string.h>

#include "agent/dicts.h"
#include "agent/values.h"
#include "common/error.h"

#define OWNED_BY_GENERATOR 1
#define OWNED_BY_CSTACK    3
#define CO_FAST_CELL       0x40
#define CO_FAST_FREE       0x80
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

static uintptr_t tuple_item(uintptr_t t, int64_t i)
{
	if (!t || i < 0 || i >= ph_ob_size(t))
		return 0;
	return ph_rd(t, PH_OFF_ITEMS + 8 * i);
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
	uintptr_t modules = ph_rd(py->interp, py->L->is_modules);
	uintptr_t mod = ph_dict_get(py, modules, "threading");
	uintptr_t md, active, limbo, k, v;
	intptr_t pos;
	int err;

	if (!mod || !ph_is_subtype(ph_type(mod), py->t_module))
		return 0;
	md = ph_rd(mod, py->L->md_dict);
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
	const struct ph_layout *L = py->L;
	struct ph_frame_rec *r;
	uintptr_t name = L->co_qualname >= 0 ? ph_rd(code, L->co_qualname) : ph_rd(code, L->co_name);
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
	    (err = str_sref(tw, ph_rd(code, L->co_filename), &r->filename)))
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

/* 3.8-3.10: PyFrameObject chain. */
static int frames_old(struct tstate_work *tw, uintptr_t ts)
{
	const struct ph_py *py = tw->th->py;
	const struct ph_layout *L = py->L;
	uintptr_t f = ph_rd(ts, L->ts_frame);
	int err = 0;

	for (int n = 0; f && n < MAX_FRAMES && !err; n++, f = ph_rd(f, L->fo_back)) {
		uintptr_t code = ph_rd(f, L->fo_code);
		uintptr_t varnames, cellvars, freevars, plus = f + (uintptr_t)L->fo_localsplus;
		int64_t nlocals, ncells, nfrees;
		struct ph_frame_rec *r;
		int line;

		if (!code || ph_type(code) != py->t_code)
			continue;
		line = py->frame_lineno((void *)f);
		err = new_frame(tw, code, f, line > 0 ? (uint64_t)line : 0, &r);
		if (err)
			break;
		varnames = ph_rd(code, L->co_varnames);
		cellvars = ph_rd(code, L->co_cellvars);
		freevars = ph_rd(code, L->co_freevars);
		nlocals = ph_rd_i32(code, L->co_nlocals);
		ncells = cellvars ? ph_ob_size(cellvars) : 0;
		nfrees = freevars ? ph_ob_size(freevars) : 0;
		if (varnames && nlocals > ph_ob_size(varnames))
			nlocals = ph_ob_size(varnames);
		for (int64_t i = 0; i < nlocals && !err; i++)
			err = add_local(tw, tuple_item(varnames, i), ph_rd(plus, (long)(8 * i)), false);
		for (int64_t i = 0; i < ncells && !err; i++)
			err = add_local(tw, tuple_item(cellvars, i),
					ph_rd(plus, (long)(8 * (nlocals + i))), true);
		for (int64_t i = 0; i < nfrees && !err; i++)
			err = add_local(tw, tuple_item(freevars, i),
					ph_rd(plus, (long)(8 * (nlocals + ncells + i))), true);
	}
	return err;
}

/* 3.11+: _PyInterpreterFrame chain. */
static int frames_new(struct tstate_work *tw, uintptr_t ts)
{
	const struct ph_py *py = tw->th->py;
	const struct ph_layout *L = py->L;
	uintptr_t f;
	int err = 0;

	if (L->ts_current_frame >= 0) {
		f = ph_rd(ts, L->ts_current_frame);
	} else {
		uintptr_t cframe = ph_rd(ts, L->ts_cframe);

		f = cframe ? ph_rd(cframe, L->cf_current_frame) : 0;
	}
	for (int n = 0; f && n < MAX_FRAMES && !err; n++, f = ph_rd(f, L->if_previous)) {
		uint8_t owner = ph_rd_u8(f, L->if_owner);
		uintptr_t code, instr, start, names, kinds;
		int64_t nplus, lasti;
		struct ph_frame_rec *r;
		int line;
		bool ok;

		if (owner == OWNED_BY_CSTACK && py->minor >= 12)
			continue;
		code = ph_rd(f, L->if_code);
		if (!code || ph_type(code) != py->t_code)
			continue;
		instr = ph_rd(f, L->if_instr);
		start = code + (uintptr_t)L->co_code_adaptive;
		/* _PyFrame_IsIncomplete */
		if (owner != OWNED_BY_GENERATOR &&
		    (intptr_t)instr < (intptr_t)(start + 2 * (uintptr_t)ph_rd_i32(code, L->co_firsttraceable)))
			continue;
		lasti = (int64_t)instr - (int64_t)start;
		line = py->addr2line((void *)code, lasti < 0 ? -1 : (int)lasti);
		err = new_frame(tw, code, ph_rd(f, L->if_frame_obj), line > 0 ? (uint64_t)line : 0,
				&r);
		if (err)
			break;
		/* what the frame holds besides its locals */
		if ((err = reach(tw, ph_rd(f, L->if_func), &ok)) ||
		    (err = reach(tw, ph_rd(f, L->if_globals), &ok)) ||
		    (err = reach(tw, ph_rd(f, L->if_builtins), &ok)) ||
		    (err = reach(tw, ph_rd(f, L->if_locals), &ok)))
			break;
		names = ph_rd(code, L->co_localsplusnames);
		kinds = ph_rd(code, L->co_localspluskinds);
		nplus = ph_rd_i32(code, L->co_nlocalsplus);
		if (!names || !kinds || nplus > ph_ob_size(names) || nplus > ph_ob_size(kinds))
			continue;
		for (int64_t i = 0; i < nplus && !err; i++) {
			uint8_t kind = ph_rd_u8(kinds, (long)(PH_OFF_BYTES_DATA + i));

			err = add_local(tw, tuple_item(names, i),
					ph_rd(f, (long)(L->if_localsplus + 8 * i)),
					(kind & (CO_FAST_CELL | CO_FAST_FREE)) != 0);
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
	const struct ph_layout *L = tw->th->py->L;
	uintptr_t exc = ts + (uintptr_t)L->ts_exc_state;
	const char *value = L->ts_curexc_type >= 0 ? "tstate.curexc_value"
						   : "tstate.current_exception";
	int err;

	if ((err = ts_root(tw, "tstate.dict", ts, L->ts_dict)) ||
	    (err = ts_root(tw, "tstate.curexc_type", ts, L->ts_curexc_type)) ||
	    (err = ts_root(tw, value, ts, L->ts_curexc_value)) ||
	    (err = ts_root(tw, "tstate.curexc_traceback", ts, L->ts_curexc_traceback)) ||
	    (err = ts_root(tw, "tstate.async_exc", ts, L->ts_async_exc)) ||
	    (err = ts_root(tw, "tstate.context", ts, L->ts_context)) ||
	    (err = ts_root(tw, "tstate.c_profileobj", ts, L->ts_c_profileobj)) ||
	    (err = ts_root(tw, "tstate.c_traceobj", ts, L->ts_c_traceobj)) ||
	    (err = ts_root(tw, "tstate.async_gen_firstiter", ts, L->ts_async_gen_firstiter)) ||
	    (err = ts_root(tw, "tstate.async_gen_finalizer", ts, L->ts_async_gen_finalizer)) ||
	    (err = ts_root(tw, "tstate.exc_state.exc_type", exc, L->ei_exc_type)) ||
	    (err = ts_root(tw, "tstate.exc_state.exc_value", exc, L->ei_exc_value)) ||
	    (err = ts_root(tw, "tstate.exc_state.exc_traceback", exc, L->ei_exc_traceback)))
		return err;
	return 0;
}

static int one_thread(struct tstate_work *tw, uintptr_t ts, uint64_t main_ident)
{
	const struct ph_py *py = tw->th->py;
	const struct ph_layout *L = py->L;
	struct ph_thread_rec t;
	uintptr_t pt;
	int err;

	memset(&t, 0, sizeof(t));
	tw->n_frames = tw->n_locals = 0;
	t.ident = ph_rd(ts, L->ts_thread_id);
	if (L->ts_native_thread_id >= 0)
		t.native_id = ph_rd(ts, L->ts_native_thread_id);
	if (t.ident == main_ident)
		t.flags |= PH_FMT_THREAD_MAIN;
	pt = python_thread(tw, t.ident);
	if (pt) {
		if ((err = str_sref(tw, ph_obj_attr(py, pt, "_name"), &t.name)))
			return err;
		if (ph_obj_attr(py, pt, "_daemonic") == py->true_)
			t.flags |= PH_FMT_THREAD_DAEMON;
		if (!t.native_id)
			t.native_id = int_value(py, ph_obj_attr(py, pt, "_native_id"));
	}
	err = py->minor >= 11 ? frames_new(tw, ts) : frames_old(tw, ts);
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
	uint64_t main_ident = ph_rd(py->runtime, py->L->rt_main_thread);
	uintptr_t ts = ph_rd(py->interp, py->L->is_threads_head);
	int err;

	memset(&tw, 0, sizeof(tw));
	tw.th = th;
	err = find_python_threads(&tw);
	for (int n = 0; ts && !err && n < 100000; n++, ts = ph_rd(ts, py->L->ts_next)) {
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
