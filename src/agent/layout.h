/* SPDX-License-Identifier: MIT */
/*
 * layout.h - everything the agent knows about one CPython version: where
 * the structs it reads keep their fields, and how the version behaves
 * (capabilities). layout.c holds a struct ph_layout for each supported minor
 * version (PH_PY_MINOR_MIN to PH_PY_MINOR_MAX of agent.h), and more than one
 * where patch releases differ; py.c picks the one that matches the live
 * interpreter, and everything else reads it through py->L. No other file
 * knows an offset that differs between versions, and none tests a version:
 * code switches on the capabilities below instead.
 *
 * Offsets are in bytes on x86_64; -1 means the field does not exist in that
 * version. A table is made of sub-tables, one per CPython struct (or a few
 * small ones together), shared by every version in which that struct did
 * not change: adding a version is one new struct ph_layout entry, pointing
 * at the sub-tables it shares with the previous version and at new ones
 * where something moved, plus its capabilities.
 *
 * Where the numbers come from: scripts/pyoffsets compiles scripts/pyoffsets.c
 * against each interpreter's installed headers (internal/ included) and
 * prints the sub-tables; with --check it compares this table with the
 * headers, field by field, shared constants included (the tests run it on
 * every interpreter that has headers). At run time py.c checks the table
 * against the live interpreter: sizes of builtin types, the GC state's
 * generation0 self-pointer, and on 3.13+ every offset _Py_DebugOffsets
 * publishes, and refuses what does not match.
 *
 * The PH_OFF_* constants are offsets that are the same in every supported
 * version (pyoffsets --check verifies them too).
 */
#ifndef PH_AGENT_LAYOUT_H
#define PH_AGENT_LAYOUT_H

#include <stdbool.h>
#include <stdint.h>

/* Offsets shared by every supported version (x86_64). */
#define PH_OFF_REFCNT        0
#define PH_OFF_TYPE          8
#define PH_OFF_SIZE          16 /* ob_size of var-sized objects */
#define PH_OFF_TP_NAME       24
#define PH_OFF_TP_BASICSIZE  32
#define PH_OFF_TP_ITEMSIZE   40
#define PH_OFF_TP_DEALLOC    48
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
#define PH_OFF_LIST_ITEMS    24 /* PyListObject.ob_item (tuples: ph_layout.obj->tuple_items) */
#define PH_OFF_LIST_ALLOCATED 32
#define PH_OFF_DICT_KEYS     32
#define PH_OFF_DICT_VALUES   40
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
#define PH_SIZE_GC_HEAD      16 /* PyGC_Head, before a GC object */
#define PH_OFF_GC_NEXT       0  /* its _gc_next: next in the list (bit 0: a collection's mark) */
#define PH_OFF_GC_PREV       8  /* its _gc_prev: previous (bits 0-1: flags) */
#define PH_OFF_SET_ENTRY_KEY 0  /* setentry {key, hash} */
#define PH_SIZE_SET_ENTRY    16

/* Bits of tp_flags. */
#define PH_TPF_STATIC_BUILTIN   (1UL << 1)  /* 3.12+ */
#define PH_TPF_INLINE_VALUES    (1UL << 2)  /* 3.13+ */
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

/*
 * 3.11/3.12 instance values (PyDictValues without a header): bytes before
 * the array of values, from its start (Objects/dictobject.c, not in the
 * headers): the prefix's size, the number of attributes, then the index of
 * attribute i at PH_DV_PREFIX_ORDER - i.
 */
#define PH_DV_PREFIX_SIZE  (-1)
#define PH_DV_PREFIX_COUNT (-2)
#define PH_DV_PREFIX_ORDER (-3)

/* _PyRuntimeState */
struct ph_l_runtime {
	int32_t gc;          /* struct _gc_runtime_state (3.8 only; then per interpreter) */
	int32_t interp_head; /* interpreters.head */
	int32_t main_thread; /* the main thread's pthread id */
	/* 3.12+: struct _tracemalloc_runtime_state (its config first) and two of its fields */
	int32_t tracemalloc, tm_lock, tm_traces;
};

/* PyInterpreterState: the thread list, the GC state, and the objects it holds (roots) */
struct ph_l_interp {
	int32_t threads_head, gc;
	int32_t modules, modules_by_index, importlib, import_func, sysdict, builtins;
	int32_t codec_search_path, codec_search_cache, codec_error_registry;
	int32_t dict, builtins_copy, sysdict_copy;
	int32_t before_forkers, after_forkers_parent, after_forkers_child, audit_hooks;
	/* 3.12+: pymalloc's state (a struct; 3.13+ a pointer to it: caps.obmalloc) and, within
	   it, mgmt.arenas and mgmt.maxarenas (unreached.c) */
	int32_t obmalloc, obm_arenas, obm_maxarenas;
};

/*
 * struct _gc_runtime_state. generations: the first of the three lists
 * (struct gc_generation, generation_size bytes each; their PyGC_Head first);
 * generation0 points at the first list's head (a self-check); size is
 * sizeof(struct _gc_runtime_state), which _Py_DebugOffsets publishes.
 */
struct ph_l_gc {
	int32_t enabled, generations, generation_size, generation0, permanent, collecting;
	int32_t garbage, callbacks, size;
};

/* PyThreadState, with its _PyErr_StackItem exc_state (exc_*) and 3.11/3.12's _PyCFrame */
struct ph_l_tstate {
	int32_t next, frame, cframe, cframe_current_frame, current_frame;
	int32_t thread_id, native_thread_id;
	int32_t dict, c_profileobj, c_traceobj, curexc_type, curexc_value, curexc_traceback;
	int32_t exc_state, exc_type, exc_value, exc_traceback;
	int32_t async_exc, context, async_gen_firstiter, async_gen_finalizer;
};

/* PyFrameObject (3.8-3.10: the frames themselves; 3.11+: frame objects) */
struct ph_l_frameobj {
	int32_t back, code, builtins, globals, locals, trace, localsplus;
};

/* _PyInterpreterFrame (3.11+); executable is f_code before 3.13, funcobj f_func in 3.11 */
struct ph_l_iframe {
	int32_t executable, previous, funcobj, globals, builtins, locals, frame_obj, instr_ptr;
	int32_t owner, localsplus;
};

/*
 * PyCodeObject. lnotab (3.8, 3.9) and linetable (3.10+) name the same role;
 * code_cache is 3.11's cached co_code, cached 3.12+'s pointer to a
 * _PyCoCached struct whose members are at cached_code...cached_freevars.
 */
struct ph_l_code {
	int32_t nlocals, consts, names, filename, name, qualname;
	int32_t code, varnames, freevars, cellvars, lnotab, linetable, exceptiontable, zombieframe;
	int32_t localsplusnames, localspluskinds, nlocalsplus;
	int32_t code_cache, cached, cached_code, cached_varnames, cached_cellvars, cached_freevars;
	int32_t firsttraceable, code_adaptive;
};

/* PyFunctionObject (annotate: 3.14+'s __annotate__ function) */
struct ph_l_func {
	int32_t code, globals, builtins, name, qualname, defaults, kwdefaults, closure, doc, module;
	int32_t annotations, annotate, typeparams, size;
};

/* PyHeapTypeObject (the PyTypeObject part is PH_OFF_TP_*) */
struct ph_l_heaptype {
	int32_t name, slots, qualname, cached_keys, module, size;
};

/*
 * Dicts. PyDictKeysObject: dk_size (3.8-3.10: slots; the index width
 * follows from it) or dk_log2_index_bytes and dk_kind (3.11+); the entries
 * follow the indices: general ones {hash, key, value} (entry_size, key at
 * entry_key), 3.11+ str-keyed and split ones {key, value} (uentry_*).
 * Instance values (PyDictValues): 3.11/3.12 a bare array of values (values
 * 0) with the insertion order in the bytes before it; 3.13+ a header of
 * u8 capacity, size, embedded, valid, the values at values, the order after
 * the capacity's last value. Managed dicts: the pointer to the dict at
 * managed_dict (3.11+, from the object; a tagged dict-or-values on 3.12),
 * 3.11's pointer to the values at managed_values.
 */
struct ph_l_dict {
	int32_t dk_size, dk_log2_index_bytes, dk_kind, dk_usable, dk_nentries, dk_indices;
	int32_t entry_size, entry_key, uentry_size, uentry_key;
	int32_t dv_capacity, dv_size, dv_embedded, dv_valid, dv_values;
	int32_t managed_dict, managed_values;
};

/* str: PyASCIIObject, PyCompactUnicodeObject, PyUnicodeObject */
struct ph_l_str {
	int32_t ascii_size, compact_size, unicode_size, utf8_length, utf8, wstr, wstr_length, data;
};

/* Smaller objects: tuple, module, weakref, set, method descriptor */
struct ph_l_objects {
	int32_t tuple_items;
	int32_t md_dict, md_name, md_size;
	int32_t wr_size;
	int32_t set_mask, set_table, set_smalltable, set_size;
	int32_t descr_type, descr_method;
};

/*
 * _Py_DebugOffsets (3.13+, at the start of _PyRuntime): where its own
 * fields are, for the run-time check against the live interpreter. Each
 * field holds the offset the interpreter says for the field of the same
 * name in the sub-tables above.
 */
struct ph_l_debug {
	int32_t version, free_threaded;
	int32_t runtime_interp_head;
	int32_t interp_threads_head, interp_gc, interp_modules, interp_sysdict, interp_builtins;
	int32_t tstate_next, tstate_current_frame, tstate_thread_id, tstate_native_thread_id;
	int32_t iframe_previous, iframe_executable, iframe_instr_ptr, iframe_localsplus;
	int32_t iframe_owner;
	int32_t code_filename, code_name, code_qualname, code_linetable, code_localsplusnames;
	int32_t code_localspluskinds, code_adaptive;
	int32_t tp_name, tp_flags;
	int32_t tuple_items, list_items, set_table, set_mask, dict_keys, dict_values;
	int32_t float_value, long_digits, bytes_data, str_state, str_length, str_ascii_size;
	int32_t gc_size, gc_collecting;
};

/* How frames are reached from a thread state. */
enum ph_frames {
	PH_FRAMES_OBJECTS, /* 3.8-3.10: PyFrameObject chain from tstate.frame through f_back */
	/* 3.11+: a _PyInterpreterFrame chain through previous, */
	PH_FRAMES_CFRAME,  /* 3.11-3.12: the same from tstate.cframe.current_frame */
	PH_FRAMES_TSTATE,  /* 3.13+: the same from tstate.current_frame */
};

/* Where instance attributes live. */
enum ph_inst_dict {
	PH_INST_DICT_OFFSET,  /* 3.8-3.10: a dict at tp_dictoffset */
	PH_INST_DICT_VALUES,  /* 3.11: managed: values pointer and dict pointer before the object */
	PH_INST_DICT_TAGGED,  /* 3.12: managed: one tagged word, values (low bit set) or dict */
	PH_INST_DICT_INLINE,  /* 3.13+: managed dict pointer; values inline after tp_basicsize */
};

/* What sys.getsizeof adds to __sizeof__ (the "pre-header"). */
enum ph_preheader {
	PH_PREHEADER_GC,           /* 3.8-3.10: the GC head if PyObject_IS_GC (tp_is_gc honoured) */
	PH_PREHEADER_MANAGED_DICT, /* 3.11: GC head if HAVE_GC, 16 if MANAGED_DICT */
	PH_PREHEADER_PREHEADER,    /* 3.12: GC head, 16 if MANAGED_DICT or MANAGED_WEAKREF */
	PH_PREHEADER_NOT_STATIC_TYPE, /* 3.13+: as 3.12, nothing for a static type object */
};

/* Where pymalloc keeps its arenas (unreached.c). */
enum ph_obmalloc {
	PH_OBM_STATICS,   /* 3.8-3.11: static variables arenas, maxarenas (symbol table) */
	PH_OBM_STATE,     /* 3.12: a struct _obmalloc_state in the interpreter */
	PH_OBM_STATE_PTR, /* 3.13+: a pointer to one in the interpreter */
};

/* Where tracemalloc keeps its table of traces and the lock that guards it (sites.c). */
enum ph_tracemalloc {
	PH_TM_UNSUPPORTED, /* 3.8: a table with another interface */
	PH_TM_STATICS,     /* 3.9-3.11: static variables (symbol table), a PyThread lock */
	PH_TM_RUNTIME,     /* 3.12-3.13: in _PyRuntime, a PyThread lock */
	PH_TM_RUNTIME_MUTEX, /* 3.14: in _PyRuntime, a PyMutex */
	PH_TM_RUNTIME_UTF8,  /* 3.15+: as 3.14, frames name their file by a C string (UTF-8) */
};

struct ph_caps {
	uint8_t frames;      /* enum ph_frames */
	uint8_t inst_dict;   /* enum ph_inst_dict */
	uint8_t preheader;   /* enum ph_preheader */
	bool immortal;       /* 3.12+: 32-bit reference count, negative (as int32) = immortal */
	bool long_tag;       /* 3.12+: int's size word is lv_tag (digits << 3 | sign) */
	bool long_min_digit; /* 3.11+: int.__sizeof__ counts at least one digit */
	bool static_builtins; /* 3.12+: static builtin types keep __dict__, subclasses elsewhere */
	bool stackrefs;      /* 3.14+: frames hold _PyStackRef (tag bits, tagged ints) */
	bool fork_head_lock; /* 3.13+: PyOS_BeforeFork takes the runtime's HEAD_LOCK itself */
	bool frozenset_untracked; /* 3.15+: frozensets of untracked objects are not tracked */
	uint8_t tracemalloc; /* enum ph_tracemalloc: where its table of traces is */
	uint8_t obmalloc;    /* enum ph_obmalloc: where pymalloc's arenas are */
	uint8_t pool_bits;   /* log2 of pymalloc's pool size: 12 (4 KiB, 3.8-3.9), 14 (16 KiB) */
	uint8_t owner_generator; /* _PyInterpreterFrame.owner of a generator's frame */
	uint8_t owner_first_shim; /* owners from here on are not Python frames (shims, entries) */
	uint8_t fast_cell, fast_free; /* co_localspluskinds bits of cell and free variables */
};

struct ph_layout {
	int32_t version;  /* PY_VERSION_HEX of major.minor */
	const char *seen; /* the builds whose headers and behaviour gave this table */
	const struct ph_l_runtime *rt;
	const struct ph_l_interp *is;
	const struct ph_l_gc *gc;
	const struct ph_l_tstate *ts;
	const struct ph_l_frameobj *fo;
	const struct ph_l_iframe *ifr; /* 3.11+, else NULL */
	const struct ph_l_code *co;
	const struct ph_l_func *fn;
	const struct ph_l_heaptype *ht;
	const struct ph_l_dict *dict;
	const struct ph_l_str *str;
	const struct ph_l_objects *obj;
	const struct ph_l_debug *dbg; /* 3.13+, else NULL */
	const struct ph_caps *caps;
};

/* The (first) table for CPython 3.minor, or NULL if it is not supported. */
const struct ph_layout *ph_layout_find(int minor);

/* The next table for the same minor version as L (another patch release's layout), or NULL. */
const struct ph_layout *ph_layout_next(const struct ph_layout *L);

#endif
