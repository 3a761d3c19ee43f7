/* SPDX-License-Identifier: MIT */
/*
 * pyoffsets.c - print the CPython struct offsets the agent's layout table
 * (src/agent/layout.c) is made of, for the interpreter whose headers it is
 * compiled against. Not part of any build: scripts/pyoffsets compiles it
 * once per installed interpreter (with -DPy_BUILD_CORE and internal/) and
 * prints the designated initializer to paste into layout.c. -1 means the
 * field does not exist in that version.
 */
#define Py_BUILD_CORE 1
#include <Python.h>
#include <frameobject.h>
#include <structmember.h>
#include <stddef.h>
#include <stdio.h>

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
#endif
#if PY_VERSION_HEX >= 0x030c0000
#include "internal/pycore_long.h"
#endif

#define F(name, expr) printf("\t\t.%s = %ld,\n", name, (long)(expr))
#define NONE(name) printf("\t\t.%s = -1,\n", name)

/* ≤3.10 keep these in .c files: layouts from the notes (gdb on debug info). */
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

int main(void)
{
	printf("\t/* %s */\n", PY_VERSION);
	F("version", PY_VERSION_HEX & 0xffff0000);
	/* runtime */
#if PY_VERSION_HEX < 0x03090000
	F("rt_gc", offsetof(_PyRuntimeState, gc));
#else
	NONE("rt_gc");
#endif
	F("rt_interp_head", offsetof(_PyRuntimeState, interpreters.head));
	F("rt_main_thread", offsetof(_PyRuntimeState, main_thread));
	/* interpreter */
#if PY_VERSION_HEX < 0x030b0000
	F("is_threads_head", offsetof(PyInterpreterState, tstate_head));
#else
	F("is_threads_head", offsetof(PyInterpreterState, threads.head));
#endif
#if PY_VERSION_HEX < 0x03090000
	NONE("is_gc");
#else
	F("is_gc", offsetof(PyInterpreterState, gc));
#endif
#if PY_VERSION_HEX < 0x030c0000
	F("is_modules", offsetof(PyInterpreterState, modules));
	F("is_modules_by_index", offsetof(PyInterpreterState, modules_by_index));
	F("is_importlib", offsetof(PyInterpreterState, importlib));
	F("is_import_func", offsetof(PyInterpreterState, import_func));
#else
	F("is_modules", offsetof(PyInterpreterState, imports.modules));
	F("is_modules_by_index", offsetof(PyInterpreterState, imports.modules_by_index));
	F("is_importlib", offsetof(PyInterpreterState, imports.importlib));
	F("is_import_func", offsetof(PyInterpreterState, imports.import_func));
#endif
	F("is_sysdict", offsetof(PyInterpreterState, sysdict));
	F("is_builtins", offsetof(PyInterpreterState, builtins));
#if PY_VERSION_HEX < 0x030d0000
	F("is_codec_search_path", offsetof(PyInterpreterState, codec_search_path));
	F("is_codec_search_cache", offsetof(PyInterpreterState, codec_search_cache));
	F("is_codec_error_registry", offsetof(PyInterpreterState, codec_error_registry));
#else
	F("is_codec_search_path", offsetof(PyInterpreterState, codecs.search_path));
	F("is_codec_search_cache", offsetof(PyInterpreterState, codecs.search_cache));
	F("is_codec_error_registry", offsetof(PyInterpreterState, codecs.error_registry));
#endif
	F("is_dict", offsetof(PyInterpreterState, dict));
	F("is_builtins_copy", offsetof(PyInterpreterState, builtins_copy));
#if PY_VERSION_HEX >= 0x030c0000
	F("is_sysdict_copy", offsetof(PyInterpreterState, sysdict_copy));
#else
	NONE("is_sysdict_copy");
#endif
	F("is_before_forkers", offsetof(PyInterpreterState, before_forkers));
	F("is_after_forkers_parent", offsetof(PyInterpreterState, after_forkers_parent));
	F("is_after_forkers_child", offsetof(PyInterpreterState, after_forkers_child));
	F("is_audit_hooks", offsetof(PyInterpreterState, audit_hooks));
	/* gc state */
	F("gc_enabled", offsetof(struct _gc_runtime_state, enabled));
	F("gc_generations", offsetof(struct _gc_runtime_state, generations));
	F("gc_generation_size", sizeof(struct gc_generation));
	F("gc_permanent", offsetof(struct _gc_runtime_state, permanent_generation));
	F("gc_collecting", offsetof(struct _gc_runtime_state, collecting));
	F("gc_garbage", offsetof(struct _gc_runtime_state, garbage));
	F("gc_callbacks", offsetof(struct _gc_runtime_state, callbacks));
	/* thread state */
	F("ts_next", offsetof(PyThreadState, next));
#if PY_VERSION_HEX < 0x030b0000
	F("ts_frame", offsetof(PyThreadState, frame));
#else
	NONE("ts_frame");
#endif
#if PY_VERSION_HEX >= 0x030b0000 && PY_VERSION_HEX < 0x030d0000
	F("ts_cframe", offsetof(PyThreadState, cframe));
	F("cf_current_frame", offsetof(_PyCFrame, current_frame));
#else
	NONE("ts_cframe");
	NONE("cf_current_frame");
#endif
#if PY_VERSION_HEX >= 0x030d0000
	F("ts_current_frame", offsetof(PyThreadState, current_frame));
#else
	NONE("ts_current_frame");
#endif
	F("ts_thread_id", offsetof(PyThreadState, thread_id));
#if PY_VERSION_HEX >= 0x030b0000
	F("ts_native_thread_id", offsetof(PyThreadState, native_thread_id));
#else
	NONE("ts_native_thread_id");
#endif
	F("ts_dict", offsetof(PyThreadState, dict));
	F("ts_c_profileobj", offsetof(PyThreadState, c_profileobj));
	F("ts_c_traceobj", offsetof(PyThreadState, c_traceobj));
#if PY_VERSION_HEX < 0x030c0000
	F("ts_curexc_type", offsetof(PyThreadState, curexc_type));
	F("ts_curexc_value", offsetof(PyThreadState, curexc_value));
	F("ts_curexc_traceback", offsetof(PyThreadState, curexc_traceback));
#else
	NONE("ts_curexc_type");
	F("ts_curexc_value", offsetof(PyThreadState, current_exception));
	NONE("ts_curexc_traceback");
#endif
	F("ts_exc_state", offsetof(PyThreadState, exc_state));
#if PY_VERSION_HEX < 0x030b0000
	F("ei_exc_type", offsetof(_PyErr_StackItem, exc_type));
	F("ei_exc_traceback", offsetof(_PyErr_StackItem, exc_traceback));
#else
	NONE("ei_exc_type");
	NONE("ei_exc_traceback");
#endif
	F("ei_exc_value", offsetof(_PyErr_StackItem, exc_value));
	F("ts_async_exc", offsetof(PyThreadState, async_exc));
	F("ts_context", offsetof(PyThreadState, context));
	F("ts_async_gen_firstiter", offsetof(PyThreadState, async_gen_firstiter));
	F("ts_async_gen_finalizer", offsetof(PyThreadState, async_gen_finalizer));
	/* frames */
#if PY_VERSION_HEX < 0x030b0000
	F("fo_back", offsetof(PyFrameObject, f_back));
	F("fo_code", offsetof(PyFrameObject, f_code));
	F("fo_builtins", offsetof(PyFrameObject, f_builtins));
	F("fo_globals", offsetof(PyFrameObject, f_globals));
	F("fo_locals", offsetof(PyFrameObject, f_locals));
	F("fo_trace", offsetof(PyFrameObject, f_trace));
	F("fo_localsplus", offsetof(PyFrameObject, f_localsplus));
	NONE("if_code");
	NONE("if_previous");
	NONE("if_func");
	NONE("if_globals");
	NONE("if_builtins");
	NONE("if_locals");
	NONE("if_frame_obj");
	NONE("if_instr");
	NONE("if_owner");
	NONE("if_localsplus");
#else
	F("fo_back", offsetof(PyFrameObject, f_back));
	NONE("fo_code");
	NONE("fo_builtins");
	NONE("fo_globals");
	NONE("fo_locals");
	F("fo_trace", offsetof(PyFrameObject, f_trace));
	NONE("fo_localsplus");
#if PY_VERSION_HEX >= 0x030d0000
	F("if_code", offsetof(_PyInterpreterFrame, f_executable));
#else
	F("if_code", offsetof(_PyInterpreterFrame, f_code));
#endif
	F("if_previous", offsetof(_PyInterpreterFrame, previous));
#if PY_VERSION_HEX >= 0x030c0000
	F("if_func", offsetof(_PyInterpreterFrame, f_funcobj));
#else
	F("if_func", offsetof(_PyInterpreterFrame, f_func));
#endif
	F("if_globals", offsetof(_PyInterpreterFrame, f_globals));
	F("if_builtins", offsetof(_PyInterpreterFrame, f_builtins));
	F("if_locals", offsetof(_PyInterpreterFrame, f_locals));
	F("if_frame_obj", offsetof(_PyInterpreterFrame, frame_obj));
#if PY_VERSION_HEX >= 0x030d0000
	F("if_instr", offsetof(_PyInterpreterFrame, instr_ptr));
#else
	F("if_instr", offsetof(_PyInterpreterFrame, prev_instr));
#endif
	F("if_owner", offsetof(_PyInterpreterFrame, owner));
	F("if_localsplus", offsetof(_PyInterpreterFrame, localsplus));
#endif
	/* code */
	F("co_nlocals", offsetof(PyCodeObject, co_nlocals));
	F("co_consts", offsetof(PyCodeObject, co_consts));
	F("co_names", offsetof(PyCodeObject, co_names));
	F("co_filename", offsetof(PyCodeObject, co_filename));
	F("co_name", offsetof(PyCodeObject, co_name));
#if PY_VERSION_HEX < 0x030b0000
	F("co_code", offsetof(PyCodeObject, co_code));
	F("co_varnames", offsetof(PyCodeObject, co_varnames));
	F("co_freevars", offsetof(PyCodeObject, co_freevars));
	F("co_cellvars", offsetof(PyCodeObject, co_cellvars));
#if PY_VERSION_HEX < 0x030a0000
	F("co_linetable", offsetof(PyCodeObject, co_lnotab));
#else
	F("co_linetable", offsetof(PyCodeObject, co_linetable));
#endif
	F("co_zombieframe", offsetof(PyCodeObject, co_zombieframe));
	NONE("co_qualname");
	NONE("co_exceptiontable");
	NONE("co_localsplusnames");
	NONE("co_localspluskinds");
	NONE("co_nlocalsplus");
	NONE("co_cached");
	NONE("co_firsttraceable");
	NONE("co_code_adaptive");
#else
	NONE("co_code");
	NONE("co_varnames");
	NONE("co_freevars");
	NONE("co_cellvars");
	F("co_linetable", offsetof(PyCodeObject, co_linetable));
	NONE("co_zombieframe");
	F("co_qualname", offsetof(PyCodeObject, co_qualname));
	F("co_exceptiontable", offsetof(PyCodeObject, co_exceptiontable));
	F("co_localsplusnames", offsetof(PyCodeObject, co_localsplusnames));
	F("co_localspluskinds", offsetof(PyCodeObject, co_localspluskinds));
	F("co_nlocalsplus", offsetof(PyCodeObject, co_nlocalsplus));
#if PY_VERSION_HEX < 0x030c0000
	F("co_cached", offsetof(PyCodeObject, _co_code));
#else
	F("co_cached", offsetof(PyCodeObject, _co_cached));
#endif
	F("co_firsttraceable", offsetof(PyCodeObject, _co_firsttraceable));
	F("co_code_adaptive", offsetof(PyCodeObject, co_code_adaptive));
#endif
	/* function */
	F("fn_code", offsetof(PyFunctionObject, func_code));
	F("fn_globals", offsetof(PyFunctionObject, func_globals));
#if PY_VERSION_HEX >= 0x030a0000
	F("fn_builtins", offsetof(PyFunctionObject, func_builtins));
#else
	NONE("fn_builtins");
#endif
	F("fn_name", offsetof(PyFunctionObject, func_name));
	F("fn_qualname", offsetof(PyFunctionObject, func_qualname));
	F("fn_defaults", offsetof(PyFunctionObject, func_defaults));
	F("fn_kwdefaults", offsetof(PyFunctionObject, func_kwdefaults));
	F("fn_closure", offsetof(PyFunctionObject, func_closure));
	F("fn_doc", offsetof(PyFunctionObject, func_doc));
	F("fn_module", offsetof(PyFunctionObject, func_module));
	F("fn_annotations", offsetof(PyFunctionObject, func_annotations));
#if PY_VERSION_HEX >= 0x030c0000
	F("fn_typeparams", offsetof(PyFunctionObject, func_typeparams));
#else
	NONE("fn_typeparams");
#endif
	/* types */
	F("ht_name", offsetof(PyHeapTypeObject, ht_name));
	F("ht_slots", offsetof(PyHeapTypeObject, ht_slots));
	F("ht_qualname", offsetof(PyHeapTypeObject, ht_qualname));
	F("ht_cached_keys", offsetof(PyHeapTypeObject, ht_cached_keys));
#if PY_VERSION_HEX >= 0x03090000
	F("ht_module", offsetof(PyHeapTypeObject, ht_module));
#else
	NONE("ht_module");
#endif
	F("heaptype_size", sizeof(PyHeapTypeObject));
	/* dict keys (3.11+: in the headers; before: dict-common.h, from the notes) */
#if PY_VERSION_HEX >= 0x030b0000
	F("dk_log2_index_bytes", offsetof(PyDictKeysObject, dk_log2_index_bytes));
	F("dk_kind", offsetof(PyDictKeysObject, dk_kind));
	F("dk_nentries", offsetof(PyDictKeysObject, dk_nentries));
	F("dk_indices", offsetof(PyDictKeysObject, dk_indices));
#else
	NONE("dk_log2_index_bytes");
	NONE("dk_kind");
	F("dk_nentries", 32);
	F("dk_indices", 40);
#endif
#if PY_VERSION_HEX >= 0x030d0000
	F("dv_values", offsetof(PyDictValues, values));
#else
	F("dv_values", 0);
#endif
	/* str */
	F("ascii_size", sizeof(PyASCIIObject));
	F("compact_size", sizeof(PyCompactUnicodeObject));
	F("unicode_size", sizeof(PyUnicodeObject));
	F("u_utf8_length", offsetof(PyCompactUnicodeObject, utf8_length));
	F("u_utf8", offsetof(PyCompactUnicodeObject, utf8));
#if PY_VERSION_HEX < 0x030c0000
	F("u_wstr", offsetof(PyASCIIObject, wstr));
	F("u_wstr_length", offsetof(PyCompactUnicodeObject, wstr_length));
#else
	NONE("u_wstr");
	NONE("u_wstr_length");
#endif
	F("u_data", offsetof(PyUnicodeObject, data));
	/* misc objects */
	F("md_dict", offsetof(MODOBJ, md_dict));
	F("md_name", offsetof(MODOBJ, md_name));
	F("md_size", sizeof(MODOBJ));
	F("wr_size", sizeof(PyWeakReference));
	F("fn_size", sizeof(PyFunctionObject));
	F("set_mask", offsetof(PySetObject, mask));
	F("set_table", offsetof(PySetObject, table));
	F("set_smalltable", offsetof(PySetObject, smalltable));
	F("set_size", sizeof(PySetObject));
	F("list_allocated", offsetof(PyListObject, allocated));
	F("descr_type", offsetof(PyDescrObject, d_type));
	F("descr_method", offsetof(PyMethodDescrObject, d_method));
#if PY_VERSION_HEX >= 0x030d0000
	F("dbg_version", offsetof(_Py_DebugOffsets, version));
	F("dbg_free_threaded", offsetof(_Py_DebugOffsets, free_threaded));
	F("dbg_interp_head", offsetof(_Py_DebugOffsets, runtime_state.interpreters_head));
	F("dbg_is_threads_head", offsetof(_Py_DebugOffsets, interpreter_state.threads_head));
	F("dbg_is_gc", offsetof(_Py_DebugOffsets, interpreter_state.gc));
	F("dbg_is_modules", offsetof(_Py_DebugOffsets, interpreter_state.imports_modules));
	F("dbg_ts_current_frame", offsetof(_Py_DebugOffsets, thread_state.current_frame));
	F("dbg_ts_thread_id", offsetof(_Py_DebugOffsets, thread_state.thread_id));
	F("dbg_if_owner", offsetof(_Py_DebugOffsets, interpreter_frame.owner));
	F("dbg_co_qualname", offsetof(_Py_DebugOffsets, code_object.qualname));
#else
	NONE("dbg_version");
	NONE("dbg_free_threaded");
	NONE("dbg_interp_head");
	NONE("dbg_is_threads_head");
	NONE("dbg_is_gc");
	NONE("dbg_is_modules");
	NONE("dbg_ts_current_frame");
	NONE("dbg_ts_thread_id");
	NONE("dbg_if_owner");
	NONE("dbg_co_qualname");
#endif
	return 0;
}
