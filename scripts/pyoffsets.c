/* SPDX-License-Identifier: MIT */
/*
 * pyoffsets.c - the CPython struct offsets the agent's layout table
 * (src/agent/layout.c) is made of, read from the headers of the interpreter
 * it is compiled against (with -DPy_BUILD_CORE and internal/), and linked
 * with the agent's own table. Not part of any build: scripts/pyoffsets
 * compiles and runs it once per interpreter with headers.
 *
 *   pyoffsets          print this version's sub-tables and capabilities as
 *                      layout.c initializers (-1: no such field)
 *   pyoffsets --check  compare the agent's table for this version with the
 *                      headers, every field and the PH_OFF_* constants, and
 *                      the capabilities the headers show; print each
 *                      difference; exit 1 if there is one (2: no table)
 *
 * Facts no installed header holds come from the team's notes: the 3.8-3.10
 * dict keys (Objects/dict-common.h) and modules (Objects/moduleobject.c),
 * read from the debug info of those builds.
 */
#define Py_BUILD_CORE 1
#define NDEBUG 1 /* the header helpers used below assert on the (fake) object */
#include <Python.h>
#include <frameobject.h>
#include <structmember.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#if PY_VERSION_HEX < 0x03090000
#include "internal/pycore_pystate.h"
#else
#include "internal/pycore_interp.h"
#include "internal/pycore_runtime.h"
#endif
#if PY_VERSION_HEX >= 0x030b0000
#include "internal/pycore_frame.h"
#include "internal/pycore_dict.h"
#include "internal/pycore_moduleobject.h"
#include "internal/pycore_code.h"
#include "internal/pycore_object.h"
#endif
#if PY_VERSION_HEX >= 0x030c0000
#include "internal/pycore_long.h"
#endif
#if PY_VERSION_HEX >= 0x030e0000
#include "internal/pycore_interpframe.h"
#include "internal/pycore_debug_offsets.h"
#endif

#include "agent/layout.h"

#if PY_VERSION_HEX < 0x030b0000
typedef struct {
	PyObject_HEAD
	PyObject *md_dict;
	void *md_def;
	void *md_state;
	PyObject *md_weaklist;
	PyObject *md_name;
} ModuleObject;
#define MODOBJ ModuleObject
#else
#define MODOBJ PyModuleObject
#endif

#define NONE (-1L)
#define OFF(type, member) ((long)offsetof(type, member))

static int check;     /* --check */
static int quiet;     /* --check: count the differences, print none */
static int bad;       /* differences found */
static const char *sub; /* the sub-table being printed or checked */

static void begin(const char *type, const char *name)
{
	sub = name;
	if (!check)
		printf("static const struct %s %s_%d_%d = {\n", type, name, PY_MAJOR_VERSION,
		       PY_MINOR_VERSION);
}

static void end(void)
{
	if (!check)
		printf("};\n\n");
}

static void field(const char *name, long want, long have)
{
	if (!check) {
		printf("\t.%s = %ld,\n", name, want);
	} else if (want != have) {
		if (!quiet)
			printf("%s.%s: the headers say %ld, the agent's table %ld\n", sub, name, want,
			       have);
		bad++;
	}
}

/* F(name, expr): field name of the current sub-table T (NULL: every field -1) */
#define F(name, expr) field(#name, (long)(expr), T ? (long)T->name : -1L)

static void shared(const char *name, long want, long have)
{
	if (check && want != have) {
		if (!quiet)
			printf("shared constant %s: the headers say %ld, layout.h %ld\n", name, want,
			       have);
		bad++;
	}
}

#define S(constant, expr) shared(#constant, (long)(expr), (long)(constant))

static void shared_constants(void)
{
	S(PH_OFF_REFCNT, offsetof(PyObject, ob_refcnt));
	S(PH_OFF_TYPE, offsetof(PyObject, ob_type));
	S(PH_OFF_SIZE, offsetof(PyVarObject, ob_size));
	S(PH_OFF_TP_NAME, offsetof(PyTypeObject, tp_name));
	S(PH_OFF_TP_BASICSIZE, offsetof(PyTypeObject, tp_basicsize));
	S(PH_OFF_TP_ITEMSIZE, offsetof(PyTypeObject, tp_itemsize));
	S(PH_OFF_TP_FLAGS, offsetof(PyTypeObject, tp_flags));
	S(PH_OFF_TP_TRAVERSE, offsetof(PyTypeObject, tp_traverse));
	S(PH_OFF_TP_WEAKLISTOFFSET, offsetof(PyTypeObject, tp_weaklistoffset));
	S(PH_OFF_TP_METHODS, offsetof(PyTypeObject, tp_methods));
	S(PH_OFF_TP_MEMBERS, offsetof(PyTypeObject, tp_members));
	S(PH_OFF_TP_BASE, offsetof(PyTypeObject, tp_base));
	S(PH_OFF_TP_DICT, offsetof(PyTypeObject, tp_dict));
	S(PH_OFF_TP_DICTOFFSET, offsetof(PyTypeObject, tp_dictoffset));
	S(PH_OFF_TP_IS_GC, offsetof(PyTypeObject, tp_is_gc));
	S(PH_OFF_TP_BASES, offsetof(PyTypeObject, tp_bases));
	S(PH_OFF_TP_MRO, offsetof(PyTypeObject, tp_mro));
	S(PH_OFF_TP_CACHE, offsetof(PyTypeObject, tp_cache));
	S(PH_OFF_TP_SUBCLASSES, offsetof(PyTypeObject, tp_subclasses));
	S(PH_OFF_LIST_ITEMS, offsetof(PyListObject, ob_item));
	S(PH_OFF_LIST_ALLOCATED, offsetof(PyListObject, allocated));
	S(PH_OFF_DICT_KEYS, offsetof(PyDictObject, ma_keys));
	S(PH_OFF_DICT_VALUES, offsetof(PyDictObject, ma_values));
	S(PH_OFF_STR_LENGTH, offsetof(PyASCIIObject, length));
	S(PH_OFF_STR_STATE, offsetof(PyASCIIObject, state));
#if PY_VERSION_HEX >= 0x030c0000
	S(PH_OFF_LONG_DIGITS, offsetof(PyLongObject, long_value.ob_digit));
#else
	S(PH_OFF_LONG_DIGITS, offsetof(PyLongObject, ob_digit));
#endif
	S(PH_OFF_FLOAT_VALUE, offsetof(PyFloatObject, ob_fval));
	S(PH_OFF_BYTES_DATA, offsetof(PyBytesObject, ob_sval));
	S(PH_OFF_CELL_REF, offsetof(PyCellObject, ob_ref));
	S(PH_OFF_WR_OBJECT, offsetof(PyWeakReference, wr_object));
	S(PH_OFF_WR_CALLBACK, offsetof(PyWeakReference, wr_callback));
	S(PH_OFF_ML_NAME, offsetof(PyMethodDef, ml_name));
	S(PH_OFF_ML_METH, offsetof(PyMethodDef, ml_meth));
	S(PH_OFF_ML_FLAGS, offsetof(PyMethodDef, ml_flags));
	S(PH_SIZE_METHODDEF, sizeof(PyMethodDef));
	S(PH_OFF_MB_NAME, offsetof(PyMemberDef, name));
	S(PH_OFF_MB_TYPE, offsetof(PyMemberDef, type));
	S(PH_OFF_MB_OFFSET, offsetof(PyMemberDef, offset));
	S(PH_SIZE_MEMBERDEF, sizeof(PyMemberDef));
	S(PH_SIZE_GC_HEAD, sizeof(PyGC_Head));
	S(PH_OFF_GC_NEXT, offsetof(PyGC_Head, _gc_next));
	S(PH_OFF_GC_PREV, offsetof(PyGC_Head, _gc_prev));
	S(PH_OFF_SET_ENTRY_KEY, offsetof(setentry, key));
	S(PH_SIZE_SET_ENTRY, sizeof(setentry));
	S(PH_TPF_HEAPTYPE, Py_TPFLAGS_HEAPTYPE);
	S(PH_TPF_HAVE_GC, Py_TPFLAGS_HAVE_GC);
	S(PH_TPF_LONG_SUBCLASS, Py_TPFLAGS_LONG_SUBCLASS);
	S(PH_TPF_LIST_SUBCLASS, Py_TPFLAGS_LIST_SUBCLASS);
	S(PH_TPF_TUPLE_SUBCLASS, Py_TPFLAGS_TUPLE_SUBCLASS);
	S(PH_TPF_BYTES_SUBCLASS, Py_TPFLAGS_BYTES_SUBCLASS);
	S(PH_TPF_UNICODE_SUBCLASS, Py_TPFLAGS_UNICODE_SUBCLASS);
	S(PH_TPF_DICT_SUBCLASS, Py_TPFLAGS_DICT_SUBCLASS);
	S(PH_TPF_TYPE_SUBCLASS, Py_TPFLAGS_TYPE_SUBCLASS);
#ifdef Py_TPFLAGS_MANAGED_DICT
	S(PH_TPF_MANAGED_DICT, Py_TPFLAGS_MANAGED_DICT);
#endif
#ifdef Py_TPFLAGS_MANAGED_WEAKREF
	S(PH_TPF_MANAGED_WEAKREF, Py_TPFLAGS_MANAGED_WEAKREF);
#endif
#ifdef Py_TPFLAGS_INLINE_VALUES
	S(PH_TPF_INLINE_VALUES, Py_TPFLAGS_INLINE_VALUES);
#endif
#ifdef _Py_TPFLAGS_STATIC_BUILTIN
	S(PH_TPF_STATIC_BUILTIN, _Py_TPFLAGS_STATIC_BUILTIN);
#endif
#ifdef _PyGC_PREV_MASK_COLLECTING
	S(PH_GC_PREV_COLLECTING, _PyGC_PREV_MASK_COLLECTING);
#endif
}

static void runtime(const struct ph_l_runtime *T)
{
	begin("ph_l_runtime", "rt");
#if PY_VERSION_HEX < 0x03090000
	F(gc, OFF(_PyRuntimeState, gc));
#else
	F(gc, NONE);
#endif
	F(interp_head, OFF(_PyRuntimeState, interpreters.head));
	F(main_thread, OFF(_PyRuntimeState, main_thread));
#if PY_VERSION_HEX >= 0x030c0000
	F(tracemalloc, OFF(_PyRuntimeState, tracemalloc));
	F(tm_lock, OFF(_PyRuntimeState, tracemalloc.tables_lock));
	F(tm_traces, OFF(_PyRuntimeState, tracemalloc.traces));
#else
	F(tracemalloc, NONE); /* static variables of Modules/_tracemalloc.c */
	F(tm_lock, NONE);
	F(tm_traces, NONE);
#endif
	end();
}

static void interp(const struct ph_l_interp *T)
{
	begin("ph_l_interp", "is");
#if PY_VERSION_HEX < 0x030b0000
	F(threads_head, OFF(PyInterpreterState, tstate_head));
#else
	F(threads_head, OFF(PyInterpreterState, threads.head));
#endif
#if PY_VERSION_HEX < 0x03090000
	F(gc, NONE);
#else
	F(gc, OFF(PyInterpreterState, gc));
#endif
#if PY_VERSION_HEX < 0x030c0000
	F(modules, OFF(PyInterpreterState, modules));
	F(modules_by_index, OFF(PyInterpreterState, modules_by_index));
	F(importlib, OFF(PyInterpreterState, importlib));
	F(import_func, OFF(PyInterpreterState, import_func));
#else
	F(modules, OFF(PyInterpreterState, imports.modules));
	F(modules_by_index, OFF(PyInterpreterState, imports.modules_by_index));
	F(importlib, OFF(PyInterpreterState, imports.importlib));
	F(import_func, OFF(PyInterpreterState, imports.import_func));
#endif
	F(sysdict, OFF(PyInterpreterState, sysdict));
	F(builtins, OFF(PyInterpreterState, builtins));
#if PY_VERSION_HEX < 0x030d0000
	F(codec_search_path, OFF(PyInterpreterState, codec_search_path));
	F(codec_search_cache, OFF(PyInterpreterState, codec_search_cache));
	F(codec_error_registry, OFF(PyInterpreterState, codec_error_registry));
#else
	F(codec_search_path, OFF(PyInterpreterState, codecs.search_path));
	F(codec_search_cache, OFF(PyInterpreterState, codecs.search_cache));
	F(codec_error_registry, OFF(PyInterpreterState, codecs.error_registry));
#endif
	F(dict, OFF(PyInterpreterState, dict));
	F(builtins_copy, OFF(PyInterpreterState, builtins_copy));
#if PY_VERSION_HEX >= 0x030c0000
	F(sysdict_copy, OFF(PyInterpreterState, sysdict_copy));
#else
	F(sysdict_copy, NONE);
#endif
	F(before_forkers, OFF(PyInterpreterState, before_forkers));
	F(after_forkers_parent, OFF(PyInterpreterState, after_forkers_parent));
	F(after_forkers_child, OFF(PyInterpreterState, after_forkers_child));
	F(audit_hooks, OFF(PyInterpreterState, audit_hooks));
#if PY_VERSION_HEX >= 0x030c0000
	F(obmalloc, OFF(PyInterpreterState, obmalloc));
	F(obm_arenas, OFF(struct _obmalloc_state, mgmt.arenas));
	F(obm_maxarenas, OFF(struct _obmalloc_state, mgmt.maxarenas));
#else
	F(obmalloc, NONE); /* static variables of Objects/obmalloc.c */
	F(obm_arenas, NONE);
	F(obm_maxarenas, NONE);
#endif
	end();
}

static void gc(const struct ph_l_gc *T)
{
	begin("ph_l_gc", "gc");
	F(enabled, OFF(struct _gc_runtime_state, enabled));
	F(generations, OFF(struct _gc_runtime_state, generations));
	F(generation_size, sizeof(struct gc_generation));
	F(generation0, OFF(struct _gc_runtime_state, generation0));
	F(permanent, OFF(struct _gc_runtime_state, permanent_generation));
	F(collecting, OFF(struct _gc_runtime_state, collecting));
	F(garbage, OFF(struct _gc_runtime_state, garbage));
	F(callbacks, OFF(struct _gc_runtime_state, callbacks));
	F(size, sizeof(struct _gc_runtime_state));
	end();
}

static void tstate(const struct ph_l_tstate *T)
{
	begin("ph_l_tstate", "ts");
	F(next, OFF(PyThreadState, next));
#if PY_VERSION_HEX < 0x030b0000
	F(frame, OFF(PyThreadState, frame));
#else
	F(frame, NONE);
#endif
#if PY_VERSION_HEX >= 0x030b0000 && PY_VERSION_HEX < 0x030d0000
	F(cframe, OFF(PyThreadState, cframe));
	F(cframe_current_frame, OFF(_PyCFrame, current_frame));
#else
	F(cframe, NONE);
	F(cframe_current_frame, NONE);
#endif
#if PY_VERSION_HEX >= 0x030d0000
	F(current_frame, OFF(PyThreadState, current_frame));
#else
	F(current_frame, NONE);
#endif
	F(thread_id, OFF(PyThreadState, thread_id));
#if PY_VERSION_HEX >= 0x030b0000
	F(native_thread_id, OFF(PyThreadState, native_thread_id));
#else
	F(native_thread_id, NONE);
#endif
	F(dict, OFF(PyThreadState, dict));
	F(c_profileobj, OFF(PyThreadState, c_profileobj));
	F(c_traceobj, OFF(PyThreadState, c_traceobj));
#if PY_VERSION_HEX < 0x030c0000
	F(curexc_type, OFF(PyThreadState, curexc_type));
	F(curexc_value, OFF(PyThreadState, curexc_value));
	F(curexc_traceback, OFF(PyThreadState, curexc_traceback));
#else
	F(curexc_type, NONE);
	F(curexc_value, OFF(PyThreadState, current_exception));
	F(curexc_traceback, NONE);
#endif
	F(exc_state, OFF(PyThreadState, exc_state));
#if PY_VERSION_HEX < 0x030b0000
	F(exc_type, OFF(_PyErr_StackItem, exc_type));
	F(exc_traceback, OFF(_PyErr_StackItem, exc_traceback));
#else
	F(exc_type, NONE);
	F(exc_traceback, NONE);
#endif
	F(exc_value, OFF(_PyErr_StackItem, exc_value));
	F(async_exc, OFF(PyThreadState, async_exc));
	F(context, OFF(PyThreadState, context));
	F(async_gen_firstiter, OFF(PyThreadState, async_gen_firstiter));
	F(async_gen_finalizer, OFF(PyThreadState, async_gen_finalizer));
	end();
}

static void frameobj(const struct ph_l_frameobj *T)
{
	begin("ph_l_frameobj", "fo");
	F(back, OFF(PyFrameObject, f_back));
#if PY_VERSION_HEX < 0x030b0000
	F(code, OFF(PyFrameObject, f_code));
	F(builtins, OFF(PyFrameObject, f_builtins));
	F(globals, OFF(PyFrameObject, f_globals));
	F(locals, OFF(PyFrameObject, f_locals));
	F(trace, OFF(PyFrameObject, f_trace));
	F(localsplus, OFF(PyFrameObject, f_localsplus));
#else
	F(code, NONE);
	F(builtins, NONE);
	F(globals, NONE);
	F(locals, NONE);
	F(trace, OFF(PyFrameObject, f_trace));
	F(localsplus, NONE);
#endif
	end();
}

#if PY_VERSION_HEX >= 0x030b0000
static void iframe(const struct ph_l_iframe *T)
{
	begin("ph_l_iframe", "ifr");
#if PY_VERSION_HEX >= 0x030d0000
	F(executable, OFF(_PyInterpreterFrame, f_executable));
	F(instr_ptr, OFF(_PyInterpreterFrame, instr_ptr));
#else
	F(executable, OFF(_PyInterpreterFrame, f_code));
	F(instr_ptr, OFF(_PyInterpreterFrame, prev_instr));
#endif
	F(previous, OFF(_PyInterpreterFrame, previous));
#if PY_VERSION_HEX >= 0x030c0000
	F(funcobj, OFF(_PyInterpreterFrame, f_funcobj));
#else
	F(funcobj, OFF(_PyInterpreterFrame, f_func));
#endif
	F(globals, OFF(_PyInterpreterFrame, f_globals));
	F(builtins, OFF(_PyInterpreterFrame, f_builtins));
	F(locals, OFF(_PyInterpreterFrame, f_locals));
	F(frame_obj, OFF(_PyInterpreterFrame, frame_obj));
	F(owner, OFF(_PyInterpreterFrame, owner));
	F(localsplus, OFF(_PyInterpreterFrame, localsplus));
	end();
}
#endif

static void code(const struct ph_l_code *T)
{
	begin("ph_l_code", "co");
	F(nlocals, OFF(PyCodeObject, co_nlocals));
	F(consts, OFF(PyCodeObject, co_consts));
	F(names, OFF(PyCodeObject, co_names));
	F(filename, OFF(PyCodeObject, co_filename));
	F(name, OFF(PyCodeObject, co_name));
#if PY_VERSION_HEX < 0x030b0000
	F(qualname, NONE);
	F(code, OFF(PyCodeObject, co_code));
	F(varnames, OFF(PyCodeObject, co_varnames));
	F(freevars, OFF(PyCodeObject, co_freevars));
	F(cellvars, OFF(PyCodeObject, co_cellvars));
#if PY_VERSION_HEX < 0x030a0000
	F(lnotab, OFF(PyCodeObject, co_lnotab));
	F(linetable, NONE);
#else
	F(lnotab, NONE);
	F(linetable, OFF(PyCodeObject, co_linetable));
#endif
	F(exceptiontable, NONE);
	F(zombieframe, OFF(PyCodeObject, co_zombieframe));
	F(localsplusnames, NONE);
	F(localspluskinds, NONE);
	F(nlocalsplus, NONE);
	F(code_cache, NONE);
	F(cached, NONE);
	F(cached_code, NONE);
	F(cached_varnames, NONE);
	F(cached_cellvars, NONE);
	F(cached_freevars, NONE);
	F(firsttraceable, NONE);
	F(code_adaptive, NONE);
#else
	F(qualname, OFF(PyCodeObject, co_qualname));
	F(code, NONE);
	F(varnames, NONE);
	F(freevars, NONE);
	F(cellvars, NONE);
	F(lnotab, NONE);
	F(linetable, OFF(PyCodeObject, co_linetable));
	F(exceptiontable, OFF(PyCodeObject, co_exceptiontable));
	F(zombieframe, NONE);
	F(localsplusnames, OFF(PyCodeObject, co_localsplusnames));
	F(localspluskinds, OFF(PyCodeObject, co_localspluskinds));
	F(nlocalsplus, OFF(PyCodeObject, co_nlocalsplus));
#if PY_VERSION_HEX < 0x030c0000
	F(code_cache, OFF(PyCodeObject, _co_code));
	F(cached, NONE);
	F(cached_code, NONE);
	F(cached_varnames, NONE);
	F(cached_cellvars, NONE);
	F(cached_freevars, NONE);
#else
	F(code_cache, NONE);
	F(cached, OFF(PyCodeObject, _co_cached));
	F(cached_code, OFF(_PyCoCached, _co_code));
	F(cached_varnames, OFF(_PyCoCached, _co_varnames));
	F(cached_cellvars, OFF(_PyCoCached, _co_cellvars));
	F(cached_freevars, OFF(_PyCoCached, _co_freevars));
#endif
	F(firsttraceable, OFF(PyCodeObject, _co_firsttraceable));
	F(code_adaptive, OFF(PyCodeObject, co_code_adaptive));
#endif
	end();
}

static void func(const struct ph_l_func *T)
{
	begin("ph_l_func", "fn");
	F(code, OFF(PyFunctionObject, func_code));
	F(globals, OFF(PyFunctionObject, func_globals));
#if PY_VERSION_HEX >= 0x030a0000
	F(builtins, OFF(PyFunctionObject, func_builtins));
#else
	F(builtins, NONE);
#endif
	F(name, OFF(PyFunctionObject, func_name));
	F(qualname, OFF(PyFunctionObject, func_qualname));
	F(defaults, OFF(PyFunctionObject, func_defaults));
	F(kwdefaults, OFF(PyFunctionObject, func_kwdefaults));
	F(closure, OFF(PyFunctionObject, func_closure));
	F(doc, OFF(PyFunctionObject, func_doc));
	F(module, OFF(PyFunctionObject, func_module));
	F(annotations, OFF(PyFunctionObject, func_annotations));
#if PY_VERSION_HEX >= 0x030e0000
	F(annotate, OFF(PyFunctionObject, func_annotate));
#else
	F(annotate, NONE);
#endif
#if PY_VERSION_HEX >= 0x030c0000
	F(typeparams, OFF(PyFunctionObject, func_typeparams));
#else
	F(typeparams, NONE);
#endif
	F(size, sizeof(PyFunctionObject));
	end();
}

static void heaptype(const struct ph_l_heaptype *T)
{
	begin("ph_l_heaptype", "ht");
	F(name, OFF(PyHeapTypeObject, ht_name));
	F(slots, OFF(PyHeapTypeObject, ht_slots));
	F(qualname, OFF(PyHeapTypeObject, ht_qualname));
	F(cached_keys, OFF(PyHeapTypeObject, ht_cached_keys));
#if PY_VERSION_HEX >= 0x03090000
	F(module, OFF(PyHeapTypeObject, ht_module));
#else
	F(module, NONE);
#endif
	F(size, sizeof(PyHeapTypeObject));
	end();
}

/* The offset of what p(obj) points at, relative to obj. */
#define REL(p) ((long)((char *)(p) - (char *)obj))

static void dict(const struct ph_l_dict *T)
{
	PyObject *obj = (PyObject *)(void *)((char *)0 + 4096);

	(void)obj;
	begin("ph_l_dict", "dict");
#if PY_VERSION_HEX < 0x030b0000
	/* Objects/dict-common.h: {refcnt, size, lookup, usable, nentries, indices[]} */
	F(dk_size, 8);
	F(dk_log2_index_bytes, NONE);
	F(dk_kind, NONE);
	F(dk_usable, 24);
	F(dk_nentries, 32);
	F(dk_indices, 40);
	F(entry_size, 24); /* {hash, key, value} */
	F(entry_key, 8);
	F(uentry_size, NONE);
	F(uentry_key, NONE);
#else
	F(dk_size, NONE);
	F(dk_log2_index_bytes, OFF(PyDictKeysObject, dk_log2_index_bytes));
	F(dk_kind, OFF(PyDictKeysObject, dk_kind));
	F(dk_usable, OFF(PyDictKeysObject, dk_usable));
	F(dk_nentries, OFF(PyDictKeysObject, dk_nentries));
	F(dk_indices, OFF(PyDictKeysObject, dk_indices));
	F(entry_size, sizeof(PyDictKeyEntry));
	F(entry_key, OFF(PyDictKeyEntry, me_key));
	F(uentry_size, sizeof(PyDictUnicodeEntry));
	F(uentry_key, OFF(PyDictUnicodeEntry, me_key));
#endif
#if PY_VERSION_HEX >= 0x030d0000
	F(dv_capacity, OFF(PyDictValues, capacity));
	F(dv_size, OFF(PyDictValues, size));
	F(dv_embedded, OFF(PyDictValues, embedded));
	F(dv_valid, OFF(PyDictValues, valid));
	F(dv_values, OFF(PyDictValues, values));
#elif PY_VERSION_HEX >= 0x030b0000
	F(dv_capacity, NONE);
	F(dv_size, NONE);
	F(dv_embedded, NONE);
	F(dv_valid, NONE);
	F(dv_values, OFF(PyDictValues, values));
#else
	F(dv_capacity, NONE);
	F(dv_size, NONE);
	F(dv_embedded, NONE);
	F(dv_valid, NONE);
	F(dv_values, NONE);
#endif
#if PY_VERSION_HEX >= 0x030d0000
	F(managed_dict, MANAGED_DICT_OFFSET);
	F(managed_values, NONE);
#elif PY_VERSION_HEX >= 0x030c0000
	F(managed_dict, REL(_PyObject_DictOrValuesPointer(obj)));
	F(managed_values, NONE);
#elif PY_VERSION_HEX >= 0x030b0000
	F(managed_dict, REL(_PyObject_ManagedDictPointer(obj)));
	F(managed_values, REL(_PyObject_ValuesPointer(obj)));
#else
	F(managed_dict, NONE);
	F(managed_values, NONE);
#endif
	end();
}

static void str(const struct ph_l_str *T)
{
	begin("ph_l_str", "str");
	F(ascii_size, sizeof(PyASCIIObject));
	F(compact_size, sizeof(PyCompactUnicodeObject));
	F(unicode_size, sizeof(PyUnicodeObject));
	F(utf8_length, OFF(PyCompactUnicodeObject, utf8_length));
	F(utf8, OFF(PyCompactUnicodeObject, utf8));
#if PY_VERSION_HEX < 0x030c0000
	F(wstr, OFF(PyASCIIObject, wstr));
	F(wstr_length, OFF(PyCompactUnicodeObject, wstr_length));
#else
	F(wstr, NONE);
	F(wstr_length, NONE);
#endif
	F(data, OFF(PyUnicodeObject, data));
	end();
}

static void objects(const struct ph_l_objects *T)
{
	begin("ph_l_objects", "obj");
	F(tuple_items, OFF(PyTupleObject, ob_item));
	F(md_dict, OFF(MODOBJ, md_dict));
	F(md_name, OFF(MODOBJ, md_name));
	F(md_size, sizeof(MODOBJ));
	F(wr_size, sizeof(PyWeakReference));
	F(set_mask, OFF(PySetObject, mask));
	F(set_table, OFF(PySetObject, table));
	F(set_smalltable, OFF(PySetObject, smalltable));
	F(set_size, sizeof(PySetObject));
	F(descr_type, OFF(PyDescrObject, d_type));
	F(descr_method, OFF(PyMethodDescrObject, d_method));
	end();
}

#if PY_VERSION_HEX >= 0x030d0000
#define D(name, member) F(name, OFF(_Py_DebugOffsets, member))
static void debug(const struct ph_l_debug *T)
{
	begin("ph_l_debug", "dbg");
	D(version, version);
	D(free_threaded, free_threaded);
	D(runtime_interp_head, runtime_state.interpreters_head);
	D(interp_threads_head, interpreter_state.threads_head);
	D(interp_gc, interpreter_state.gc);
	D(interp_modules, interpreter_state.imports_modules);
	D(interp_sysdict, interpreter_state.sysdict);
	D(interp_builtins, interpreter_state.builtins);
	D(tstate_next, thread_state.next);
	D(tstate_current_frame, thread_state.current_frame);
	D(tstate_thread_id, thread_state.thread_id);
	D(tstate_native_thread_id, thread_state.native_thread_id);
	D(iframe_previous, interpreter_frame.previous);
	D(iframe_executable, interpreter_frame.executable);
	D(iframe_instr_ptr, interpreter_frame.instr_ptr);
	D(iframe_localsplus, interpreter_frame.localsplus);
	D(iframe_owner, interpreter_frame.owner);
	D(code_filename, code_object.filename);
	D(code_name, code_object.name);
	D(code_qualname, code_object.qualname);
	D(code_linetable, code_object.linetable);
	D(code_localsplusnames, code_object.localsplusnames);
	D(code_localspluskinds, code_object.localspluskinds);
	D(code_adaptive, code_object.co_code_adaptive);
	D(tp_name, type_object.tp_name);
	D(tp_flags, type_object.tp_flags);
	D(tuple_items, tuple_object.ob_item);
	D(list_items, list_object.ob_item);
#if PY_VERSION_HEX >= 0x030e0000
	D(set_table, set_object.table);
	D(set_mask, set_object.mask);
#else
	F(set_table, NONE);
	F(set_mask, NONE);
#endif
	D(dict_keys, dict_object.ma_keys);
	D(dict_values, dict_object.ma_values);
	D(float_value, float_object.ob_fval);
	D(long_digits, long_object.ob_digit);
	D(bytes_data, bytes_object.ob_sval);
	D(str_state, unicode_object.state);
	D(str_length, unicode_object.length);
	D(str_ascii_size, unicode_object.asciiobject_size);
	D(gc_size, gc.size);
	D(gc_collecting, gc.collecting);
	end();
}
#endif

/* C(name, value): a capability the headers show (printed; compared with --check) */
#define C(name, value)                                                                             \
	do {                                                                                       \
		if (!check)                                                                        \
			printf("\t\t.%s = %s,\n", #name, #value);                                  \
		else if (L->caps->name != (value)) {                                               \
			if (!quiet)                                                                \
				printf("caps.%s: the headers say %s (%ld), the agent's table %ld\n", \
				       #name, #value, (long)(value), (long)L->caps->name);         \
			bad++;                                                                     \
		}                                                                                  \
	} while (0)

static void caps(const struct ph_layout *L)
{
	if (!check)
		printf("\t/* %s */\n\t{\n\t\t.version = 0x%08x,\n\t\t.caps = {\n", PY_VERSION,
		       PY_VERSION_HEX & 0xffff0000);
#if PY_VERSION_HEX < 0x030b0000
	C(frames, PH_FRAMES_OBJECTS);
	C(inst_dict, PH_INST_DICT_OFFSET);
#elif PY_VERSION_HEX < 0x030d0000
	C(frames, PH_FRAMES_CFRAME);
#else
	C(frames, PH_FRAMES_TSTATE);
#endif
#if PY_VERSION_HEX >= 0x030b0000 && PY_VERSION_HEX < 0x030c0000
	C(inst_dict, PH_INST_DICT_VALUES);
#elif PY_VERSION_HEX >= 0x030c0000 && !defined(Py_TPFLAGS_INLINE_VALUES)
	C(inst_dict, PH_INST_DICT_TAGGED);
#elif defined(Py_TPFLAGS_INLINE_VALUES)
	C(inst_dict, PH_INST_DICT_INLINE);
#endif
#if defined(_Py_IMMORTAL_REFCNT) || defined(_Py_IMMORTAL_INITIAL_REFCNT)
	C(immortal, true);
#else
	C(immortal, false);
#endif
#ifdef _PyLong_SIGN_MASK
	C(long_tag, true);
#else
	C(long_tag, false);
#endif
#ifdef _Py_TPFLAGS_STATIC_BUILTIN
	C(static_builtins, true);
#else
	C(static_builtins, false);
#endif
#ifdef Py_TAG_BITS
	C(stackrefs, true);
#else
	C(stackrefs, false);
#endif
#if PY_VERSION_HEX >= 0x030b0000
	C(owner_generator, FRAME_OWNED_BY_GENERATOR);
#if PY_VERSION_HEX >= 0x030e0000
	C(owner_first_shim, FRAME_OWNED_BY_INTERPRETER);
#elif PY_VERSION_HEX >= 0x030c0000
	C(owner_first_shim, FRAME_OWNED_BY_CSTACK);
#else
	C(owner_first_shim, FRAME_OWNED_BY_FRAME_OBJECT + 1);
#endif
	C(fast_cell, CO_FAST_CELL);
	C(fast_free, CO_FAST_FREE);
#endif
#if PY_VERSION_HEX >= 0x030c0000
	C(pool_bits, POOL_BITS);
	if (__builtin_types_compatible_p(__typeof__(((PyInterpreterState *)0)->obmalloc),
					 struct _obmalloc_state *))
		C(obmalloc, PH_OBM_STATE_PTR);
	else
		C(obmalloc, PH_OBM_STATE);
#else
	C(obmalloc, PH_OBM_STATICS);
#endif
#if PY_VERSION_HEX >= 0x030c0000
	if (__builtin_types_compatible_p(__typeof__(((struct tracemalloc_frame *)0)->filename),
					 const char *))
		C(tracemalloc, PH_TM_RUNTIME_UTF8);
	else if (sizeof(((_PyRuntimeState *)0)->tracemalloc.tables_lock) == 1) /* a PyMutex */
		C(tracemalloc, PH_TM_RUNTIME_MUTEX);
	else
		C(tracemalloc, PH_TM_RUNTIME);
#elif PY_VERSION_HEX >= 0x03090000
	C(tracemalloc, PH_TM_STATICS);
#else
	C(tracemalloc, PH_TM_UNSUPPORTED);
#endif
	if (!check)
		printf("\t\t/* and preheader, long_min_digit, fork_head_lock: from the behaviour */\n"
		       "\t\t},\n\t},\n\n");
}

/* Compare everything with table L; returns the number of differences. */
static int compare(const struct ph_layout *L)
{
	bad = 0;
	runtime(L->rt);
	interp(L->is);
	gc(L->gc);
	tstate(L->ts);
	frameobj(L->fo);
#if PY_VERSION_HEX >= 0x030b0000
	iframe(L->ifr);
#else
	if (L->ifr && ++bad && !quiet)
		printf("ifr: the agent's table has one, the headers none\n");
#endif
	code(L->co);
	func(L->fn);
	heaptype(L->ht);
	dict(L->dict);
	str(L->str);
	objects(L->obj);
#if PY_VERSION_HEX >= 0x030d0000
	debug(L->dbg);
#else
	if (L->dbg && ++bad && !quiet)
		printf("dbg: the agent's table has one, the headers none\n");
#endif
	shared_constants();
	caps(L);
	return bad;
}

int main(int argc, char **argv)
{
	const struct ph_layout *L, *best = NULL;
	int best_bad = 0;

	check = argc > 1 && strcmp(argv[1], "--check") == 0;
	if (!check) {
		static const struct ph_caps none;
		static const struct ph_layout nolayout = {.caps = &none};

		runtime(NULL);
		interp(NULL);
		gc(NULL);
		tstate(NULL);
		frameobj(NULL);
#if PY_VERSION_HEX >= 0x030b0000
		iframe(NULL);
#endif
		code(NULL);
		func(NULL);
		heaptype(NULL);
		dict(NULL);
		str(NULL);
		objects(NULL);
#if PY_VERSION_HEX >= 0x030d0000
		debug(NULL);
#endif
		caps(&nolayout);
		return 0;
	}
	L = ph_layout_find(PY_MINOR_VERSION);
	if (!L) {
		printf("%s: the agent has no layout table for 3.%d\n", PY_VERSION, PY_MINOR_VERSION);
		return 2;
	}
	/* the table (of those for this minor version) that matches, else the closest */
	quiet = 1;
	for (; L; L = ph_layout_next(L)) {
		int n = compare(L);

		if (!best || n < best_bad) {
			best = L;
			best_bad = n;
		}
	}
	quiet = 0;
	compare(best);
	if (bad)
		printf("%s: the agent's tables differ from the headers (%d differences from the "
		       "closest, learned from %s)\n",
		       PY_VERSION, bad, best->seen);
	else
		printf("%s: the headers match the agent's table learned from %s\n", PY_VERSION,
		       best->seen);
	return bad ? 1 : 0;
}
