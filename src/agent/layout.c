/* SPDX-License-Identifier: MIT */
/*
 * layout.c - the per-version tables (see layout.h).
 *
 * The sub-tables are scripts/pyoffsets's output for the headers of the
 * builds named above each (pyenv's 3.8.18-3.13.0, Debian's 3.13.5 of trixie
 * and 3.14.10 and 3.15.2 of unstable), each kept once and shared by the
 * versions in which the struct did not change. Debian's 3.11.2 gives the
 * 3.11 tables. The 3.8-3.10 dict keys and modules come from the debug info
 * of those builds (Objects/dict-common.h and moduleobject.c are not
 * installed): the team's CPython notes, cpython-internals.md section 3.2.
 *
 * A minor version may have several entries: layouts that differ between its
 * patch releases or builds. ph_layout_find() gives the first; py.c tries
 * them in order against the live interpreter and keeps the one that
 * matches. Capabilities must not differ between the entries of a minor
 * version (py.c uses the first's before it can check). Seen so far: 3.13's
 * GC state, whose PyGC_Head became 4-aligned in a patch release (3.13.5's
 * generations start 4 bytes earlier, at 20).
 */
#include "agent/layout.h"

#include <stddef.h>

/* 3.8.18 */
static const struct ph_l_runtime rt_38 = {
	.gc = 344,
	.interp_head = 32,
	.main_thread = 72,
	.tracemalloc = -1,
	.tm_lock = -1,
	.tm_traces = -1,
};

/* 3.9.18, 3.10.13 */
static const struct ph_l_runtime rt_39 = {
	.gc = -1,
	.interp_head = 32,
	.main_thread = 72,
	.tracemalloc = -1,
	.tm_lock = -1,
	.tm_traces = -1,
};

/* 3.11.7 */
static const struct ph_l_runtime rt_311 = {
	.gc = -1,
	.interp_head = 40,
	.main_thread = 80,
	.tracemalloc = -1,
	.tm_lock = -1,
	.tm_traces = -1,
};

/* 3.12.1 */
static const struct ph_l_runtime rt_312 = {
	.gc = -1,
	.interp_head = 40,
	.main_thread = 64,
	.tracemalloc = 2768,
	.tm_lock = 2904,
	.tm_traces = 2952,
};

/* 3.13.0, 3.13.5 (trixie) */
static const struct ph_l_runtime rt_313 = {
	.gc = -1,
	.interp_head = 632,
	.main_thread = 656,
	.tracemalloc = 10080,
	.tm_lock = 10216,
	.tm_traces = 10264,
};

/* 3.14.10 */
static const struct ph_l_runtime rt_314 = {
	.gc = -1,
	.interp_head = 808,
	.main_thread = 832,
	.tracemalloc = 10296,
	.tm_lock = 10432,
	.tm_traces = 10480,
};

/* 3.15.2 */
static const struct ph_l_runtime rt_315 = {
	.gc = -1,
	.interp_head = 936,
	.main_thread = 960,
	.tracemalloc = 10432,
	.tm_lock = 10568,
	.tm_traces = 10616,
};

/* 3.8.18 */
static const struct ph_l_interp is_38 = {
	.threads_head = 8,
	.gc = -1,
	.modules = 56,
	.modules_by_index = 64,
	.importlib = 88,
	.import_func = 560,
	.sysdict = 72,
	.builtins = 80,
	.codec_search_path = 120,
	.codec_search_cache = 128,
	.codec_error_registry = 136,
	.dict = 544,
	.builtins_copy = 552,
	.sysdict_copy = -1,
	.before_forkers = 2624,
	.after_forkers_parent = 2632,
	.after_forkers_child = 2640,
	.audit_hooks = 2704,
	.obmalloc = -1,
	.obm_arenas = -1,
	.obm_maxarenas = -1,
};

/* 3.9.18 */
static const struct ph_l_interp is_39 = {
	.threads_head = 8,
	.gc = 616,
	.modules = 856,
	.modules_by_index = 864,
	.importlib = 888,
	.import_func = 1392,
	.sysdict = 872,
	.builtins = 880,
	.codec_search_path = 912,
	.codec_search_cache = 920,
	.codec_error_registry = 928,
	.dict = 1376,
	.builtins_copy = 1384,
	.sysdict_copy = -1,
	.before_forkers = 3456,
	.after_forkers_parent = 3464,
	.after_forkers_child = 3472,
	.audit_hooks = 3536,
	.obmalloc = -1,
	.obm_arenas = -1,
	.obm_maxarenas = -1,
};

/* 3.10.13 */
static const struct ph_l_interp is_310 = {
	.threads_head = 8,
	.gc = 616,
	.modules = 856,
	.modules_by_index = 864,
	.importlib = 888,
	.import_func = 1360,
	.sysdict = 872,
	.builtins = 880,
	.codec_search_path = 912,
	.codec_search_cache = 920,
	.codec_error_registry = 928,
	.dict = 1344,
	.builtins_copy = 1352,
	.sysdict_copy = -1,
	.before_forkers = 3424,
	.after_forkers_parent = 3432,
	.after_forkers_child = 3440,
	.audit_hooks = 3504,
	.obmalloc = -1,
	.obm_arenas = -1,
	.obm_maxarenas = -1,
};

/* 3.11.7 */
static const struct ph_l_interp is_311 = {
	.threads_head = 16,
	.gc = 648,
	.modules = 888,
	.modules_by_index = 896,
	.importlib = 920,
	.import_func = 1416,
	.sysdict = 904,
	.builtins = 912,
	.codec_search_path = 936,
	.codec_search_cache = 944,
	.codec_error_registry = 952,
	.dict = 1400,
	.builtins_copy = 1408,
	.sysdict_copy = -1,
	.before_forkers = 3480,
	.after_forkers_parent = 3488,
	.after_forkers_child = 3496,
	.audit_hooks = 3552,
	.obmalloc = -1,
	.obm_arenas = -1,
	.obm_maxarenas = -1,
};

/* 3.12.1 */
static const struct ph_l_interp is_312 = {
	.threads_head = 72,
	.gc = 112,
	.modules = 944,
	.modules_by_index = 952,
	.importlib = 960,
	.import_func = 984,
	.sysdict = 352,
	.builtins = 360,
	.codec_search_path = 1248,
	.codec_search_cache = 1256,
	.codec_error_registry = 1264,
	.dict = 1720,
	.builtins_copy = 1736,
	.sysdict_copy = 1728,
	.before_forkers = 3872,
	.after_forkers_parent = 3880,
	.after_forkers_child = 3888,
	.audit_hooks = 267208,
	.obmalloc = 3960,
	.obm_arenas = 512,
	.obm_maxarenas = 520,
};

/* 3.13.0, 3.13.5 (trixie) */
static const struct ph_l_interp is_313 = {
	.threads_head = 7344,
	.gc = 7400,
	.modules = 7656,
	.modules_by_index = 7664,
	.importlib = 7672,
	.import_func = 7696,
	.sysdict = 7640,
	.builtins = 7648,
	.codec_search_path = 7960,
	.codec_search_cache = 7968,
	.codec_error_registry = 7976,
	.dict = 8448,
	.builtins_copy = 8464,
	.sysdict_copy = 8456,
	.before_forkers = 10632,
	.after_forkers_parent = 10640,
	.after_forkers_child = 10648,
	.audit_hooks = 10808,
	.obmalloc = 10800,
	.obm_arenas = 512,
	.obm_maxarenas = 520,
};

/* 3.14.10 */
static const struct ph_l_interp is_314 = {
	.threads_head = 7344,
	.gc = 7408,
	.modules = 7688,
	.modules_by_index = 7696,
	.importlib = 7704,
	.import_func = 7728,
	.sysdict = 7672,
	.builtins = 7680,
	.codec_search_path = 8000,
	.codec_search_cache = 8008,
	.codec_error_registry = 8016,
	.dict = 8496,
	.builtins_copy = 8512,
	.sysdict_copy = 8504,
	.before_forkers = 10696,
	.after_forkers_parent = 10704,
	.after_forkers_child = 10712,
	.audit_hooks = 10912,
	.obmalloc = 10904,
	.obm_arenas = 512,
	.obm_maxarenas = 520,
};

/* 3.15.2 */
static const struct ph_l_interp is_315 = {
	.threads_head = 7336,
	.gc = 7400,
	.modules = 7592,
	.modules_by_index = 7600,
	.importlib = 7608,
	.import_func = 7632,
	.sysdict = 7576,
	.builtins = 7584,
	.codec_search_path = 7952,
	.codec_search_cache = 7960,
	.codec_error_registry = 7968,
	.dict = 8448,
	.builtins_copy = 8464,
	.sysdict_copy = 8456,
	.before_forkers = 10672,
	.after_forkers_parent = 10680,
	.after_forkers_child = 10688,
	.audit_hooks = 10888,
	.obmalloc = 10880,
	.obm_arenas = 512,
	.obm_maxarenas = 520,
};

/* 3.8.18, 3.9.18, 3.10.13, 3.11.7, 3.12.1, 3.13.0 */
static const struct ph_l_gc gc_38 = {
	.enabled = 12,
	.generations = 24,
	.generation_size = 24,
	.generation0 = 96,
	.permanent = 104,
	.collecting = 200,
	.garbage = 208,
	.callbacks = 216,
	.size = 240,
};

/* 3.13.5 (trixie) */
static const struct ph_l_gc gc_313_a4 = {
	.enabled = 12,
	.generations = 20,
	.generation_size = 24,
	.generation0 = 96,
	.permanent = 104,
	.collecting = 200,
	.garbage = 208,
	.callbacks = 216,
	.size = 240,
};

/* 3.14.10 */
static const struct ph_l_gc gc_314 = {
	.enabled = 12,
	.generations = 24,
	.generation_size = 24,
	.generation0 = 256,
	.permanent = 96,
	.collecting = 192,
	.garbage = 200,
	.callbacks = 208,
	.size = 264,
};

/* 3.15.2 */
static const struct ph_l_gc gc_315 = {
	.enabled = 0,
	.generations = 8,
	.generation_size = 24,
	.generation0 = 168,
	.permanent = 80,
	.collecting = 112,
	.garbage = 128,
	.callbacks = 136,
	.size = 176,
};

/* 3.8.18, 3.9.18, 3.10.13 */
static const struct ph_l_tstate ts_38 = {
	.next = 8,
	.frame = 24,
	.cframe = -1,
	.cframe_current_frame = -1,
	.current_frame = -1,
	.thread_id = 176,
	.native_thread_id = -1,
	.dict = 152,
	.c_profileobj = 72,
	.c_traceobj = 80,
	.curexc_type = 88,
	.curexc_value = 96,
	.curexc_traceback = 104,
	.exc_state = 112,
	.exc_type = 0,
	.exc_traceback = 16,
	.exc_value = 8,
	.async_exc = 168,
	.context = 240,
	.async_gen_firstiter = 224,
	.async_gen_finalizer = 232,
};

/* 3.11.7 */
static const struct ph_l_tstate ts_311 = {
	.next = 8,
	.frame = -1,
	.cframe = 56,
	.cframe_current_frame = 8,
	.current_frame = -1,
	.thread_id = 152,
	.native_thread_id = 160,
	.dict = 128,
	.c_profileobj = 80,
	.c_traceobj = 88,
	.curexc_type = 96,
	.curexc_value = 104,
	.curexc_traceback = 112,
	.exc_state = 320,
	.exc_type = -1,
	.exc_traceback = -1,
	.exc_value = 0,
	.async_exc = 144,
	.context = 224,
	.async_gen_firstiter = 208,
	.async_gen_finalizer = 216,
};

/* 3.12.1 */
static const struct ph_l_tstate ts_312 = {
	.next = 8,
	.frame = -1,
	.cframe = 56,
	.cframe_current_frame = 0,
	.current_frame = -1,
	.thread_id = 136,
	.native_thread_id = 144,
	.dict = 112,
	.c_profileobj = 80,
	.c_traceobj = 88,
	.curexc_type = -1,
	.curexc_value = 96,
	.curexc_traceback = -1,
	.exc_state = 256,
	.exc_type = -1,
	.exc_traceback = -1,
	.exc_value = 0,
	.async_exc = 128,
	.context = 208,
	.async_gen_firstiter = 192,
	.async_gen_finalizer = 200,
};

/* 3.13.0, 3.13.5 (trixie), 3.14.10 */
static const struct ph_l_tstate ts_313 = {
	.next = 8,
	.frame = -1,
	.cframe = -1,
	.cframe_current_frame = -1,
	.current_frame = 72,
	.thread_id = 152,
	.native_thread_id = 160,
	.dict = 128,
	.c_profileobj = 96,
	.c_traceobj = 104,
	.curexc_type = -1,
	.curexc_value = 112,
	.curexc_traceback = -1,
	.exc_state = 256,
	.exc_type = -1,
	.exc_traceback = -1,
	.exc_value = 0,
	.async_exc = 144,
	.context = 208,
	.async_gen_firstiter = 192,
	.async_gen_finalizer = 200,
};

/* 3.15.2 */
static const struct ph_l_tstate ts_315 = {
	.next = 8,
	.frame = -1,
	.cframe = -1,
	.cframe_current_frame = -1,
	.current_frame = 72,
	.thread_id = 176,
	.native_thread_id = 184,
	.dict = 152,
	.c_profileobj = 120,
	.c_traceobj = 128,
	.curexc_type = -1,
	.curexc_value = 136,
	.curexc_traceback = -1,
	.exc_state = 288,
	.exc_type = -1,
	.exc_traceback = -1,
	.exc_value = 0,
	.async_exc = 168,
	.context = 232,
	.async_gen_firstiter = 216,
	.async_gen_finalizer = 224,
};

/* 3.8.18, 3.9.18 */
static const struct ph_l_frameobj fo_38 = {
	.back = 24,
	.code = 32,
	.builtins = 40,
	.globals = 48,
	.locals = 56,
	.trace = 80,
	.localsplus = 360,
};

/* 3.10.13 */
static const struct ph_l_frameobj fo_310 = {
	.back = 24,
	.code = 32,
	.builtins = 40,
	.globals = 48,
	.locals = 56,
	.trace = 72,
	.localsplus = 352,
};

/* 3.11.7, 3.12.1, 3.13.0, 3.13.5 (trixie), 3.14.10, 3.15.2 */
static const struct ph_l_frameobj fo_311 = {
	.back = 16,
	.code = -1,
	.builtins = -1,
	.globals = -1,
	.locals = -1,
	.trace = 32,
	.localsplus = -1,
};

/* 3.11.7 */
static const struct ph_l_iframe ifr_311 = {
	.executable = 32,
	.instr_ptr = 56,
	.previous = 48,
	.funcobj = 0,
	.globals = 8,
	.builtins = 16,
	.locals = 24,
	.frame_obj = 40,
	.owner = 69,
	.localsplus = 72,
};

/* 3.12.1, 3.13.0, 3.13.5 (trixie) */
static const struct ph_l_iframe ifr_312 = {
	.executable = 0,
	.instr_ptr = 56,
	.previous = 8,
	.funcobj = 16,
	.globals = 24,
	.builtins = 32,
	.locals = 40,
	.frame_obj = 48,
	.owner = 70,
	.localsplus = 72,
};

/* 3.14.10, 3.15.2 */
static const struct ph_l_iframe ifr_314 = {
	.executable = 0,
	.instr_ptr = 56,
	.previous = 8,
	.funcobj = 16,
	.globals = 24,
	.builtins = 32,
	.locals = 40,
	.frame_obj = 48,
	.owner = 74,
	.localsplus = 80,
};

/* 3.8.18, 3.9.18 */
static const struct ph_l_code co_38 = {
	.nlocals = 28,
	.consts = 56,
	.names = 64,
	.filename = 104,
	.name = 112,
	.qualname = -1,
	.code = 48,
	.varnames = 72,
	.freevars = 80,
	.cellvars = 88,
	.lnotab = 120,
	.linetable = -1,
	.exceptiontable = -1,
	.zombieframe = 128,
	.localsplusnames = -1,
	.localspluskinds = -1,
	.nlocalsplus = -1,
	.code_cache = -1,
	.cached = -1,
	.cached_code = -1,
	.cached_varnames = -1,
	.cached_cellvars = -1,
	.cached_freevars = -1,
	.firsttraceable = -1,
	.code_adaptive = -1,
};

/* 3.10.13 */
static const struct ph_l_code co_310 = {
	.nlocals = 28,
	.consts = 56,
	.names = 64,
	.filename = 104,
	.name = 112,
	.qualname = -1,
	.code = 48,
	.varnames = 72,
	.freevars = 80,
	.cellvars = 88,
	.lnotab = -1,
	.linetable = 120,
	.exceptiontable = -1,
	.zombieframe = 128,
	.localsplusnames = -1,
	.localspluskinds = -1,
	.nlocalsplus = -1,
	.code_cache = -1,
	.cached = -1,
	.cached_code = -1,
	.cached_varnames = -1,
	.cached_cellvars = -1,
	.cached_freevars = -1,
	.firsttraceable = -1,
	.code_adaptive = -1,
};

/* 3.11.7 */
static const struct ph_l_code co_311 = {
	.nlocals = 80,
	.consts = 24,
	.names = 32,
	.filename = 112,
	.name = 120,
	.qualname = 128,
	.code = -1,
	.varnames = -1,
	.freevars = -1,
	.cellvars = -1,
	.lnotab = -1,
	.linetable = 136,
	.exceptiontable = 40,
	.zombieframe = -1,
	.localsplusnames = 96,
	.localspluskinds = 104,
	.nlocalsplus = 76,
	.code_cache = 152,
	.cached = -1,
	.cached_code = -1,
	.cached_varnames = -1,
	.cached_cellvars = -1,
	.cached_freevars = -1,
	.firsttraceable = 168,
	.code_adaptive = 184,
};

/* 3.12.1 */
static const struct ph_l_code co_312 = {
	.nlocals = 80,
	.consts = 24,
	.names = 32,
	.filename = 112,
	.name = 120,
	.qualname = 128,
	.code = -1,
	.varnames = -1,
	.freevars = -1,
	.cellvars = -1,
	.lnotab = -1,
	.linetable = 136,
	.exceptiontable = 40,
	.zombieframe = -1,
	.localsplusnames = 96,
	.localspluskinds = 104,
	.nlocalsplus = 72,
	.code_cache = -1,
	.cached = 152,
	.cached_code = 0,
	.cached_varnames = 8,
	.cached_cellvars = 16,
	.cached_freevars = 24,
	.firsttraceable = 176,
	.code_adaptive = 192,
};

/* 3.13.0, 3.13.5 (trixie) */
static const struct ph_l_code co_313 = {
	.nlocals = 80,
	.consts = 24,
	.names = 32,
	.filename = 112,
	.name = 120,
	.qualname = 128,
	.code = -1,
	.varnames = -1,
	.freevars = -1,
	.cellvars = -1,
	.lnotab = -1,
	.linetable = 136,
	.exceptiontable = 40,
	.zombieframe = -1,
	.localsplusnames = 96,
	.localspluskinds = 104,
	.nlocalsplus = 72,
	.code_cache = -1,
	.cached = 160,
	.cached_code = 0,
	.cached_varnames = 8,
	.cached_cellvars = 16,
	.cached_freevars = 24,
	.firsttraceable = 184,
	.code_adaptive = 200,
};

/* 3.14.10, 3.15.2 */
static const struct ph_l_code co_314 = {
	.nlocals = 80,
	.consts = 24,
	.names = 32,
	.filename = 112,
	.name = 120,
	.qualname = 128,
	.code = -1,
	.varnames = -1,
	.freevars = -1,
	.cellvars = -1,
	.lnotab = -1,
	.linetable = 136,
	.exceptiontable = 40,
	.zombieframe = -1,
	.localsplusnames = 96,
	.localspluskinds = 104,
	.nlocalsplus = 72,
	.code_cache = -1,
	.cached = 160,
	.cached_code = 0,
	.cached_varnames = 8,
	.cached_cellvars = 16,
	.cached_freevars = 24,
	.firsttraceable = 192,
	.code_adaptive = 208,
};

/* 3.8.18, 3.9.18 */
static const struct ph_l_func fn_38 = {
	.code = 16,
	.globals = 24,
	.builtins = -1,
	.name = 64,
	.qualname = 104,
	.defaults = 32,
	.kwdefaults = 40,
	.closure = 48,
	.doc = 56,
	.module = 88,
	.annotations = 96,
	.annotate = -1,
	.typeparams = -1,
	.size = 120,
};

/* 3.10.13 */
static const struct ph_l_func fn_310 = {
	.code = 48,
	.globals = 16,
	.builtins = 24,
	.name = 32,
	.qualname = 40,
	.defaults = 56,
	.kwdefaults = 64,
	.closure = 72,
	.doc = 80,
	.module = 104,
	.annotations = 112,
	.annotate = -1,
	.typeparams = -1,
	.size = 128,
};

/* 3.11.7 */
static const struct ph_l_func fn_311 = {
	.code = 48,
	.globals = 16,
	.builtins = 24,
	.name = 32,
	.qualname = 40,
	.defaults = 56,
	.kwdefaults = 64,
	.closure = 72,
	.doc = 80,
	.module = 104,
	.annotations = 112,
	.annotate = -1,
	.typeparams = -1,
	.size = 136,
};

/* 3.12.1, 3.13.0, 3.13.5 (trixie) */
static const struct ph_l_func fn_312 = {
	.code = 48,
	.globals = 16,
	.builtins = 24,
	.name = 32,
	.qualname = 40,
	.defaults = 56,
	.kwdefaults = 64,
	.closure = 72,
	.doc = 80,
	.module = 104,
	.annotations = 112,
	.annotate = -1,
	.typeparams = 120,
	.size = 144,
};

/* 3.14.10, 3.15.2 */
static const struct ph_l_func fn_314 = {
	.code = 48,
	.globals = 16,
	.builtins = 24,
	.name = 32,
	.qualname = 40,
	.defaults = 56,
	.kwdefaults = 64,
	.closure = 72,
	.doc = 80,
	.module = 104,
	.annotations = 112,
	.annotate = 120,
	.typeparams = 128,
	.size = 152,
};

/* 3.8.18 */
static const struct ph_l_heaptype ht_38 = {
	.name = 848,
	.slots = 856,
	.qualname = 864,
	.cached_keys = 872,
	.module = -1,
	.size = 880,
};

/* 3.9.18 */
static const struct ph_l_heaptype ht_39 = {
	.name = 840,
	.slots = 848,
	.qualname = 856,
	.cached_keys = 864,
	.module = 872,
	.size = 880,
};

/* 3.10.13 */
static const struct ph_l_heaptype ht_310 = {
	.name = 848,
	.slots = 856,
	.qualname = 864,
	.cached_keys = 872,
	.module = 880,
	.size = 888,
};

/* 3.11.7 */
static const struct ph_l_heaptype ht_311 = {
	.name = 848,
	.slots = 856,
	.qualname = 864,
	.cached_keys = 872,
	.module = 880,
	.size = 904,
};

/* 3.12.1 */
static const struct ph_l_heaptype ht_312 = {
	.name = 856,
	.slots = 864,
	.qualname = 872,
	.cached_keys = 880,
	.module = 888,
	.size = 920,
};

/* 3.13.0, 3.13.5 (trixie) */
static const struct ph_l_heaptype ht_313 = {
	.name = 856,
	.slots = 864,
	.qualname = 872,
	.cached_keys = 880,
	.module = 888,
	.size = 928,
};

/* 3.14.10 */
static const struct ph_l_heaptype ht_314 = {
	.name = 856,
	.slots = 864,
	.qualname = 872,
	.cached_keys = 880,
	.module = 888,
	.size = 936,
};

/* 3.15.2 */
static const struct ph_l_heaptype ht_315 = {
	.name = 864,
	.slots = 872,
	.qualname = 880,
	.cached_keys = 888,
	.module = 896,
	.size = 944,
};

/* 3.8.18, 3.9.18, 3.10.13 */
static const struct ph_l_dict dict_38 = {
	.dk_size = 8,
	.dk_log2_index_bytes = -1,
	.dk_kind = -1,
	.dk_usable = 24,
	.dk_nentries = 32,
	.dk_indices = 40,
	.entry_size = 24,
	.entry_key = 8,
	.uentry_size = -1,
	.uentry_key = -1,
	.dv_capacity = -1,
	.dv_size = -1,
	.dv_embedded = -1,
	.dv_valid = -1,
	.dv_values = -1,
	.managed_dict = -1,
	.managed_values = -1,
};

/* 3.11.7 */
static const struct ph_l_dict dict_311 = {
	.dk_size = -1,
	.dk_log2_index_bytes = 9,
	.dk_kind = 10,
	.dk_usable = 16,
	.dk_nentries = 24,
	.dk_indices = 32,
	.entry_size = 24,
	.entry_key = 8,
	.uentry_size = 16,
	.uentry_key = 0,
	.dv_capacity = -1,
	.dv_size = -1,
	.dv_embedded = -1,
	.dv_valid = -1,
	.dv_values = 0,
	.managed_dict = -24,
	.managed_values = -32,
};

/* 3.12.1 */
static const struct ph_l_dict dict_312 = {
	.dk_size = -1,
	.dk_log2_index_bytes = 9,
	.dk_kind = 10,
	.dk_usable = 16,
	.dk_nentries = 24,
	.dk_indices = 32,
	.entry_size = 24,
	.entry_key = 8,
	.uentry_size = 16,
	.uentry_key = 0,
	.dv_capacity = -1,
	.dv_size = -1,
	.dv_embedded = -1,
	.dv_valid = -1,
	.dv_values = 0,
	.managed_dict = -24,
	.managed_values = -1,
};

/* 3.13.0, 3.13.5 (trixie), 3.14.10, 3.15.2 */
static const struct ph_l_dict dict_313 = {
	.dk_size = -1,
	.dk_log2_index_bytes = 9,
	.dk_kind = 10,
	.dk_usable = 16,
	.dk_nentries = 24,
	.dk_indices = 32,
	.entry_size = 24,
	.entry_key = 8,
	.uentry_size = 16,
	.uentry_key = 0,
	.dv_capacity = 0,
	.dv_size = 1,
	.dv_embedded = 2,
	.dv_valid = 3,
	.dv_values = 8,
	.managed_dict = -24,
	.managed_values = -1,
};

/* 3.8.18, 3.9.18, 3.10.13, 3.11.7 */
static const struct ph_l_str str_38 = {
	.ascii_size = 48,
	.compact_size = 72,
	.unicode_size = 80,
	.utf8_length = 48,
	.utf8 = 56,
	.wstr = 40,
	.wstr_length = 64,
	.data = 72,
};

/* 3.12.1, 3.13.0, 3.13.5 (trixie), 3.14.10, 3.15.2 */
static const struct ph_l_str str_312 = {
	.ascii_size = 40,
	.compact_size = 56,
	.unicode_size = 64,
	.utf8_length = 40,
	.utf8 = 48,
	.wstr = -1,
	.wstr_length = -1,
	.data = 56,
};

/* 3.8.18, 3.9.18, 3.10.13 */
static const struct ph_l_objects obj_38 = {
	.tuple_items = 24,
	.md_dict = 16,
	.md_name = 48,
	.md_size = 56,
	.wr_size = 56,
	.set_mask = 32,
	.set_table = 40,
	.set_smalltable = 64,
	.set_size = 200,
	.descr_type = 16,
	.descr_method = 40,
};

/* 3.11.7, 3.12.1, 3.13.0, 3.13.5 (trixie) */
static const struct ph_l_objects obj_311 = {
	.tuple_items = 24,
	.md_dict = 16,
	.md_name = 48,
	.md_size = 56,
	.wr_size = 64,
	.set_mask = 32,
	.set_table = 40,
	.set_smalltable = 64,
	.set_size = 200,
	.descr_type = 16,
	.descr_method = 40,
};

/* 3.14.10 */
static const struct ph_l_objects obj_314 = {
	.tuple_items = 32,
	.md_dict = 16,
	.md_name = 48,
	.md_size = 56,
	.wr_size = 64,
	.set_mask = 32,
	.set_table = 40,
	.set_smalltable = 64,
	.set_size = 200,
	.descr_type = 16,
	.descr_method = 40,
};

/* 3.15.2 */
static const struct ph_l_objects obj_315 = {
	.tuple_items = 32,
	.md_dict = 16,
	.md_name = 40,
	.md_size = 104,
	.wr_size = 64,
	.set_mask = 32,
	.set_table = 40,
	.set_smalltable = 64,
	.set_size = 200,
	.descr_type = 16,
	.descr_method = 40,
};

/* 3.13.0, 3.13.5 (trixie) */
static const struct ph_l_debug dbg_313 = {
	.version = 8,
	.free_threaded = 16,
	.runtime_interp_head = 40,
	.interp_threads_head = 72,
	.interp_gc = 80,
	.interp_modules = 88,
	.interp_sysdict = 96,
	.interp_builtins = 104,
	.tstate_next = 168,
	.tstate_current_frame = 184,
	.tstate_thread_id = 192,
	.tstate_native_thread_id = 200,
	.iframe_previous = 232,
	.iframe_executable = 240,
	.iframe_instr_ptr = 248,
	.iframe_localsplus = 256,
	.iframe_owner = 264,
	.code_filename = 280,
	.code_name = 288,
	.code_qualname = 296,
	.code_linetable = 304,
	.code_localsplusnames = 328,
	.code_localspluskinds = 336,
	.code_adaptive = 344,
	.tp_name = 376,
	.tp_flags = 392,
	.tuple_items = 408,
	.list_items = 432,
	.set_table = -1,
	.set_mask = -1,
	.dict_keys = 456,
	.dict_values = 464,
	.float_value = 480,
	.long_digits = 504,
	.bytes_data = 528,
	.str_state = 544,
	.str_length = 552,
	.str_ascii_size = 560,
	.gc_size = 568,
	.gc_collecting = 576,
};

/* 3.14.10 */
static const struct ph_l_debug dbg_314 = {
	.version = 8,
	.free_threaded = 16,
	.runtime_interp_head = 40,
	.interp_threads_head = 72,
	.interp_gc = 88,
	.interp_modules = 96,
	.interp_sysdict = 104,
	.interp_builtins = 112,
	.tstate_next = 192,
	.tstate_current_frame = 208,
	.tstate_thread_id = 216,
	.tstate_native_thread_id = 224,
	.iframe_previous = 256,
	.iframe_executable = 264,
	.iframe_instr_ptr = 272,
	.iframe_localsplus = 280,
	.iframe_owner = 288,
	.code_filename = 320,
	.code_name = 328,
	.code_qualname = 336,
	.code_linetable = 344,
	.code_localsplusnames = 368,
	.code_localspluskinds = 376,
	.code_adaptive = 384,
	.tp_name = 424,
	.tp_flags = 440,
	.tuple_items = 456,
	.list_items = 480,
	.set_table = 512,
	.set_mask = 520,
	.dict_keys = 536,
	.dict_values = 544,
	.float_value = 560,
	.long_digits = 584,
	.bytes_data = 608,
	.str_state = 624,
	.str_length = 632,
	.str_ascii_size = 640,
	.gc_size = 648,
	.gc_collecting = 656,
};

/* 3.15.2 */
static const struct ph_l_debug dbg_315 = {
	.version = 8,
	.free_threaded = 16,
	.runtime_interp_head = 40,
	.interp_threads_head = 72,
	.interp_gc = 88,
	.interp_modules = 96,
	.interp_sysdict = 104,
	.interp_builtins = 112,
	.tstate_next = 192,
	.tstate_current_frame = 208,
	.tstate_thread_id = 240,
	.tstate_native_thread_id = 248,
	.iframe_previous = 320,
	.iframe_executable = 328,
	.iframe_instr_ptr = 336,
	.iframe_localsplus = 344,
	.iframe_owner = 352,
	.code_filename = 384,
	.code_name = 392,
	.code_qualname = 400,
	.code_linetable = 408,
	.code_localsplusnames = 432,
	.code_localspluskinds = 440,
	.code_adaptive = 448,
	.tp_name = 488,
	.tp_flags = 504,
	.tuple_items = 552,
	.list_items = 576,
	.set_table = 608,
	.set_mask = 616,
	.dict_keys = 632,
	.dict_values = 640,
	.float_value = 656,
	.long_digits = 680,
	.bytes_data = 704,
	.str_state = 720,
	.str_length = 728,
	.str_ascii_size = 736,
	.gc_size = 752,
	.gc_collecting = 760,
};
/* ---- capabilities ---- */

static const struct ph_caps caps_38 = {
	.frames = PH_FRAMES_OBJECTS,
	.inst_dict = PH_INST_DICT_OFFSET,
	.preheader = PH_PREHEADER_GC,
	.obmalloc = PH_OBM_STATICS,
	.pool_bits = 12,
};

static const struct ph_caps caps_39 = {
	.frames = PH_FRAMES_OBJECTS,
	.inst_dict = PH_INST_DICT_OFFSET,
	.preheader = PH_PREHEADER_GC,
	.tracemalloc = PH_TM_STATICS,
	.obmalloc = PH_OBM_STATICS,
	.pool_bits = 12,
};

static const struct ph_caps caps_310 = {
	.frames = PH_FRAMES_OBJECTS,
	.inst_dict = PH_INST_DICT_OFFSET,
	.preheader = PH_PREHEADER_GC,
	.tracemalloc = PH_TM_STATICS,
	.obmalloc = PH_OBM_STATICS,
	.pool_bits = 14, /* 3.10: large pools with the radix tree */
};

static const struct ph_caps caps_311 = {
	.frames = PH_FRAMES_CFRAME,
	.inst_dict = PH_INST_DICT_VALUES,
	.preheader = PH_PREHEADER_MANAGED_DICT,
	.long_min_digit = true,
	.owner_generator = 1,
	.owner_first_shim = 3, /* 3.11 has no shim frames: owners 0-2 only */
	.fast_cell = 0x40,
	.fast_free = 0x80,
	.tracemalloc = PH_TM_STATICS,
	.obmalloc = PH_OBM_STATICS,
	.pool_bits = 14,
};

static const struct ph_caps caps_312 = {
	.frames = PH_FRAMES_CFRAME,
	.inst_dict = PH_INST_DICT_TAGGED,
	.preheader = PH_PREHEADER_PREHEADER,
	.immortal = true,
	.long_tag = true,
	.long_min_digit = true,
	.static_builtins = true,
	.owner_generator = 1,
	.owner_first_shim = 3, /* FRAME_OWNED_BY_CSTACK */
	.fast_cell = 0x40,
	.fast_free = 0x80,
	.tracemalloc = PH_TM_RUNTIME,
	.obmalloc = PH_OBM_STATE,
	.pool_bits = 14,
};

static const struct ph_caps caps_313 = {
	.frames = PH_FRAMES_TSTATE,
	.inst_dict = PH_INST_DICT_INLINE,
	.preheader = PH_PREHEADER_NOT_STATIC_TYPE,
	.immortal = true,
	.long_tag = true,
	.long_min_digit = true,
	.static_builtins = true,
	.fork_head_lock = true,
	.owner_generator = 1,
	.owner_first_shim = 3, /* FRAME_OWNED_BY_CSTACK */
	.fast_cell = 0x40,
	.fast_free = 0x80,
	.tracemalloc = PH_TM_RUNTIME,
	.obmalloc = PH_OBM_STATE_PTR,
	.pool_bits = 14,
};

static const struct ph_caps caps_314 = {
	.frames = PH_FRAMES_TSTATE,
	.inst_dict = PH_INST_DICT_INLINE,
	.preheader = PH_PREHEADER_NOT_STATIC_TYPE,
	.immortal = true,
	.long_tag = true,
	.long_min_digit = true,
	.static_builtins = true,
	.stackrefs = true,
	.fork_head_lock = true,
	.owner_generator = 1,
	.owner_first_shim = 3, /* FRAME_OWNED_BY_INTERPRETER (3.14 also has CSTACK, 4) */
	.fast_cell = 0x40,
	.fast_free = 0x80,
	.tracemalloc = PH_TM_RUNTIME_MUTEX,
	.obmalloc = PH_OBM_STATE_PTR,
	.pool_bits = 14,
};

static const struct ph_caps caps_315 = {
	.frames = PH_FRAMES_TSTATE,
	.inst_dict = PH_INST_DICT_INLINE,
	.preheader = PH_PREHEADER_NOT_STATIC_TYPE,
	.immortal = true,
	.long_tag = true,
	.long_min_digit = true,
	.static_builtins = true,
	.stackrefs = true,
	.fork_head_lock = true,
	.frozenset_untracked = true,
	.owner_generator = 1,
	.owner_first_shim = 3, /* FRAME_OWNED_BY_INTERPRETER (the last one) */
	.fast_cell = 0x40,
	.fast_free = 0x80,
	.tracemalloc = PH_TM_RUNTIME_UTF8,
	.obmalloc = PH_OBM_STATE_PTR,
	.pool_bits = 14,
};

/* ---- the versions ---- */

static const struct ph_layout layouts[] = {
	{
		.version = 0x03080000,
		.seen = "3.8.18",
		.rt = &rt_38, .is = &is_38, .gc = &gc_38, .ts = &ts_38, .fo = &fo_38,
		.co = &co_38, .fn = &fn_38, .ht = &ht_38, .dict = &dict_38, .str = &str_38,
		.obj = &obj_38, .caps = &caps_38,
	},
	{
		.version = 0x03090000,
		.seen = "3.9.18",
		.rt = &rt_39, .is = &is_39, .gc = &gc_38, .ts = &ts_38, .fo = &fo_38,
		.co = &co_38, .fn = &fn_38, .ht = &ht_39, .dict = &dict_38, .str = &str_38,
		.obj = &obj_38, .caps = &caps_39,
	},
	{
		.version = 0x030a0000,
		.seen = "3.10.13",
		.rt = &rt_39, .is = &is_310, .gc = &gc_38, .ts = &ts_38, .fo = &fo_310,
		.co = &co_310, .fn = &fn_310, .ht = &ht_310, .dict = &dict_38, .str = &str_38,
		.obj = &obj_38, .caps = &caps_310,
	},
	{
		.version = 0x030b0000,
		.seen = "3.11.2, 3.11.7",
		.rt = &rt_311, .is = &is_311, .gc = &gc_38, .ts = &ts_311, .fo = &fo_311,
		.ifr = &ifr_311, .co = &co_311, .fn = &fn_311, .ht = &ht_311, .dict = &dict_311,
		.str = &str_38, .obj = &obj_311, .caps = &caps_311,
	},
	{
		.version = 0x030c0000,
		.seen = "3.12.1",
		.rt = &rt_312, .is = &is_312, .gc = &gc_38, .ts = &ts_312, .fo = &fo_311,
		.ifr = &ifr_312, .co = &co_312, .fn = &fn_312, .ht = &ht_312, .dict = &dict_312,
		.str = &str_312, .obj = &obj_311, .caps = &caps_312,
	},
	{
		.version = 0x030d0000,
		.seen = "3.13.0",
		.rt = &rt_313, .is = &is_313, .gc = &gc_38, .ts = &ts_313, .fo = &fo_311,
		.ifr = &ifr_312, .co = &co_313, .fn = &fn_312, .ht = &ht_313, .dict = &dict_313,
		.str = &str_312, .obj = &obj_311, .dbg = &dbg_313, .caps = &caps_313,
	},
	{
		.version = 0x030d0000,
		.seen = "3.13.5",
		.rt = &rt_313, .is = &is_313, .gc = &gc_313_a4, .ts = &ts_313, .fo = &fo_311,
		.ifr = &ifr_312, .co = &co_313, .fn = &fn_312, .ht = &ht_313, .dict = &dict_313,
		.str = &str_312, .obj = &obj_311, .dbg = &dbg_313, .caps = &caps_313,
	},
	{
		.version = 0x030e0000,
		.seen = "3.14.10",
		.rt = &rt_314, .is = &is_314, .gc = &gc_314, .ts = &ts_313, .fo = &fo_311,
		.ifr = &ifr_314, .co = &co_314, .fn = &fn_314, .ht = &ht_314, .dict = &dict_313,
		.str = &str_312, .obj = &obj_314, .dbg = &dbg_314, .caps = &caps_314,
	},
	{
		.version = 0x030f0000,
		.seen = "3.15.2",
		.rt = &rt_315, .is = &is_315, .gc = &gc_315, .ts = &ts_315, .fo = &fo_311,
		.ifr = &ifr_314, .co = &co_314, .fn = &fn_314, .ht = &ht_315, .dict = &dict_313,
		.str = &str_312, .obj = &obj_315, .dbg = &dbg_315, .caps = &caps_315,
	},
};

const struct ph_layout *ph_layout_find(int minor)
{
	for (size_t i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++)
		if (layouts[i].version == (0x03000000 | minor << 16))
			return &layouts[i];
	return NULL;
}

const struct ph_layout *ph_layout_next(const struct ph_layout *L)
{
	const struct ph_layout *end = layouts + sizeof(layouts) / sizeof(layouts[0]);

	return L && L + 1 < end && L[1].version == L->version ? L + 1 : NULL;
}
