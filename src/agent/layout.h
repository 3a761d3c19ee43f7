/* SPDX-License-Identifier: MIT */
/*
 * layout.h - where CPython keeps what the agent reads, per minor version.
 *
 * One struct ph_layout per supported minor version (3.8 to 3.13), chosen
 * once at start-up by ph_layout_find() and read through py->L everywhere
 * else: this file and layout.c are the only places that know a CPython
 * offset that differs between versions. Every number is a byte offset (or a
 * size) on x86_64; -1 means the field does not exist in that version.
 *
 * The tables were produced by scripts/pyoffsets (offsetof() compiled against
 * each version's installed headers, internal/ included) and are checked
 * against the running interpreter before the walk (py.c: sizes of builtin
 * types, the GC state's self-pointer, and on 3.13 _Py_DebugOffsets).
 * Offsets that are the same in every supported version are the PH_OFF_*
 * constants below.
 *
 * Prefixes: rt_ _PyRuntimeState, is_ PyInterpreterState, gc_ the GC state,
 * ts_ PyThreadState, ei_ _PyErr_StackItem, fo_ PyFrameObject, if_
 * _PyInterpreterFrame (3.11+), co_ PyCodeObject, fn_ PyFunctionObject, ht_
 * PyHeapTypeObject, dk_ PyDictKeysObject, dv_
 * PyDictValues, u_ str, md_ module, set_ set, descr_ method descriptor,
 * dbg_ _Py_DebugOffsets (3.13).
 */
#ifndef PH_AGENT_LAYOUT_H
#define PH_AGENT_LAYOUT_H

#include <stdint.h>

/* Offsets shared by every supported version (x86_64). */
#define PH_OFF_REFCNT        0
#define PH_OFF_TYPE          8
#define PH_OFF_SIZE          16 /* ob_size of var-sized objects */
#define PH_OFF_TP_NAME       24
#define PH_OFF_TP_BASICSIZE  32
#define PH_OFF_TP_ITEMSIZE   40
#define PH_OFF_TP_FLAGS      168
#define PH_OFF_TP_TRAVERSE   184
#define PH_OFF_TP_WEAKLISTOFFSET 208
#define PH_OFF_TP_METHODS    232
#define PH_OFF_TP_MEMBERS    240
#define PH_OFF_TP_BASE       256
#define PH_OFF_TP_DICT       264
#define PH_OFF_TP_DICTOFFSET 288
#define PH_OFF_TP_IS_GC      328
#define PH_OFF_TP_BASES      336
#define PH_OFF_TP_MRO        344
#define PH_OFF_TP_CACHE      352
#define PH_OFF_TP_SUBCLASSES 360
#define PH_OFF_ITEMS         24 /* tuple and list ob_item */
#define PH_OFF_STR_LENGTH    16
#define PH_OFF_STR_STATE     32
#define PH_OFF_LONG_DIGITS   24
#define PH_OFF_FLOAT_VALUE   16
#define PH_OFF_BYTES_DATA    32
#define PH_OFF_CELL_REF      16
#define PH_OFF_WR_OBJECT     16
#define PH_OFF_WR_CALLBACK   24
#define PH_OFF_ML_NAME       0  /* PyMethodDef */
#define PH_OFF_ML_METH       8
#define PH_OFF_ML_FLAGS      16
#define PH_SIZE_METHODDEF    32
#define PH_OFF_MB_NAME       0  /* PyMemberDef */
#define PH_OFF_MB_TYPE       8
#define PH_OFF_MB_OFFSET     16
#define PH_SIZE_MEMBERDEF    40
#define PH_SIZE_GC_HEAD      16

/* Bits of tp_flags. */
#define PH_TPF_STATIC_BUILTIN   (1UL << 1)  /* 3.12+ */
#define PH_TPF_INLINE_VALUES    (1UL << 2)  /* 3.13 */
#define PH_TPF_MANAGED_WEAKREF  (1UL << 3)  /* 3.12+ */
#define PH_TPF_MANAGED_DICT     (1UL << 4)  /* 3.11+ */
#define PH_TPF_HEAPTYPE         (1UL << 9)
#define PH_TPF_HAVE_GC          (1UL << 14)
#define PH_TPF_LONG_SUBCLASS    (1UL << 24)
#define PH_TPF_LIST_SUBCLASS    (1UL << 25)
#define PH_TPF_TUPLE_SUBCLASS   (1UL << 26)
#define PH_TPF_BYTES_SUBCLASS   (1UL << 27)
#define PH_TPF_UNICODE_SUBCLASS (1UL << 28)
#define PH_TPF_DICT_SUBCLASS    (1UL << 29)
#define PH_TPF_TYPE_SUBCLASS    (1UL << 31)

/* PyGC_Head._gc_prev bits. */
#define PH_GC_PREV_COLLECTING 2UL

struct ph_layout {
	int32_t version;
	int32_t rt_gc;
	int32_t rt_interp_head;
	int32_t rt_main_thread;
	int32_t is_threads_head;
	int32_t is_gc;
	int32_t is_modules;
	int32_t is_modules_by_index;
	int32_t is_importlib;
	int32_t is_import_func;
	int32_t is_sysdict;
	int32_t is_builtins;
	int32_t is_codec_search_path;
	int32_t is_codec_search_cache;
	int32_t is_codec_error_registry;
	int32_t is_dict;
	int32_t is_builtins_copy;
	int32_t is_sysdict_copy;
	int32_t is_before_forkers;
	int32_t is_after_forkers_parent;
	int32_t is_after_forkers_child;
	int32_t is_audit_hooks;
	int32_t gc_enabled;
	int32_t gc_generations;
	int32_t gc_generation_size;
	int32_t gc_permanent;
	int32_t gc_collecting;
	int32_t gc_garbage;
	int32_t gc_callbacks;
	int32_t ts_next;
	int32_t ts_frame;
	int32_t ts_cframe;
	int32_t cf_current_frame;
	int32_t ts_current_frame;
	int32_t ts_thread_id;
	int32_t ts_native_thread_id;
	int32_t ts_dict;
	int32_t ts_c_profileobj;
	int32_t ts_c_traceobj;
	int32_t ts_curexc_type;
	int32_t ts_curexc_value;
	int32_t ts_curexc_traceback;
	int32_t ts_exc_state;
	int32_t ei_exc_type;
	int32_t ei_exc_traceback;
	int32_t ei_exc_value;
	int32_t ts_async_exc;
	int32_t ts_context;
	int32_t ts_async_gen_firstiter;
	int32_t ts_async_gen_finalizer;
	int32_t fo_back;
	int32_t fo_code;
	int32_t fo_builtins;
	int32_t fo_globals;
	int32_t fo_locals;
	int32_t fo_trace;
	int32_t fo_localsplus;
	int32_t if_code;
	int32_t if_previous;
	int32_t if_func;
	int32_t if_globals;
	int32_t if_builtins;
	int32_t if_locals;
	int32_t if_frame_obj;
	int32_t if_instr;
	int32_t if_owner;
	int32_t if_localsplus;
	int32_t co_nlocals;
	int32_t co_consts;
	int32_t co_names;
	int32_t co_filename;
	int32_t co_name;
	int32_t co_code;
	int32_t co_varnames;
	int32_t co_freevars;
	int32_t co_cellvars;
	int32_t co_linetable;
	int32_t co_zombieframe;
	int32_t co_qualname;
	int32_t co_exceptiontable;
	int32_t co_localsplusnames;
	int32_t co_localspluskinds;
	int32_t co_nlocalsplus;
	int32_t co_cached;
	int32_t co_firsttraceable;
	int32_t co_code_adaptive;
	int32_t fn_code;
	int32_t fn_globals;
	int32_t fn_builtins;
	int32_t fn_name;
	int32_t fn_qualname;
	int32_t fn_defaults;
	int32_t fn_kwdefaults;
	int32_t fn_closure;
	int32_t fn_doc;
	int32_t fn_module;
	int32_t fn_annotations;
	int32_t fn_typeparams;
	int32_t ht_name;
	int32_t ht_slots;
	int32_t ht_qualname;
	int32_t ht_cached_keys;
	int32_t ht_module;
	int32_t heaptype_size;
	int32_t dk_log2_index_bytes;
	int32_t dk_kind;
	int32_t dk_nentries;
	int32_t dk_indices;
	int32_t dv_values;
	int32_t ascii_size;
	int32_t compact_size;
	int32_t unicode_size;
	int32_t u_utf8_length;
	int32_t u_utf8;
	int32_t u_wstr;
	int32_t u_wstr_length;
	int32_t u_data;
	int32_t md_dict;
	int32_t md_name;
	int32_t md_size;
	int32_t wr_size;
	int32_t fn_size;
	int32_t set_mask;
	int32_t set_table;
	int32_t set_smalltable;
	int32_t set_size;
	int32_t list_allocated;
	int32_t descr_type;
	int32_t descr_method;
	int32_t dbg_version;
	int32_t dbg_free_threaded;
	int32_t dbg_interp_head;
	int32_t dbg_is_threads_head;
	int32_t dbg_is_gc;
	int32_t dbg_is_modules;
	int32_t dbg_ts_current_frame;
	int32_t dbg_ts_thread_id;
	int32_t dbg_if_owner;
	int32_t dbg_co_qualname;
};

/* The table for minor version 3.minor, or NULL if it is not supported. */
const struct ph_layout *ph_layout_find(int minor);

#endif
