/* SPDX-License-Identifier: MIT */
/*
 * py.h - the agent's view of the target interpreter: the C API functions and
 * well-known objects the dumper resolved (args->api), the version and its
 * layout table, the main interpreter and its GC state, and which memory
 * ranges hold static objects or trusted code.
 *
 * Objects are handled as addresses (uintptr_t) and read with the ph_rd*()
 * helpers below: the agent is built without Python's headers, and every
 * offset comes from layout.h. Nothing here creates, increfs or decrefs a
 * Python object except the few calls documented on struct ph_py.
 *
 * Life cycle: ph_py_init() runs before the GIL is taken (it parses the
 * version, refuses what is out of the range or a debug or free-threaded
 * build, takes the version's first layout table, maps the loaded ELF objects
 * with dl_iterate_phdr); ph_py_attach() runs with the GIL held and keeps the
 * version's table that matches the live interpreter, or refuses it;
 * ph_py_release() frees what init allocated. struct ph_py owns its range
 * arrays. Before attach only the capabilities may be used (the same for
 * every table of a version) and the offsets py.c checks them with.
 */
#ifndef PH_AGENT_PY_H
#define PH_AGENT_PY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "agent/agent.h"
#include "agent/layout.h"

/* A half-open address range [lo, hi). */
struct ph_range {
	uintptr_t lo, hi;
};

struct ph_py {
	const struct ph_layout *L; /* the version's table (after attach: the one that matches) */
	const struct ph_caps *caps; /* L->caps (the same for every table of a minor version) */
	uint64_t hexversion;    /* sys.hexversion */
	const char *version;    /* sys.version (static string in the target) */

	/* C API (NULL where the dumper found nothing) */
	void *(*tstate_new)(void *interp);
	void (*restore_thread)(void *tstate); /* takes the GIL */
	void (*tstate_clear)(void *tstate);
	void (*tstate_delete_current)(void);  /* drops the GIL */
	void *(*gil_this_tstate)(void);
	void *(*interp_main)(void);
	void *(*interp_head)(void);
	void *(*interp_next)(void *);
	int (*dict_next)(void *d, intptr_t *pos, void **k, void **v);
	int (*addr2line)(void *code, int addr);
	int (*frame_lineno)(void *frame);
	int (*gc_disable)(void);
	int (*gc_enable)(void);
	int (*is_finalizing)(void);
	void *(*type_get_dict)(void *type); /* 3.12+: new reference */
	intptr_t (*dict_sizeof)(void *d);
	int (*debug_malloc_stats)(void *file); /* _PyObject_DebugMallocStats(FILE *), may be NULL */
	intptr_t (*long_as_ssize)(void *o);
	void (*decref)(void *o);
	void *(*err_occurred)(void);
	void (*err_fetch)(void **t, void **v, void **tb);
	/* tracemalloc's tables (sites.c); the data symbols are 3.9-3.11's statics */
	void *(*hashtable_get)(void *ht, const void *key);
	int (*lock_acquire)(void *lock, int wait);
	void (*lock_release)(void *lock);
	void (*mutex_unlock)(void *m);
	uintptr_t tm_config, tm_traces_var, tm_lock_var;
	uintptr_t obm_arenas_var, obm_maxarenas_var; /* 3.8-3.11's pymalloc statics (unreached.c) */

	/* well-known objects */
	uintptr_t none, true_, false_, set_dummy;
	uintptr_t t_type, t_object, t_str, t_int, t_bool, t_float, t_bytes, t_list, t_tuple, t_dict,
		t_set, t_frozenset, t_module, t_function, t_code, t_cell, t_frame, t_methoddescr, t_ref,
		t_proxy, t_cproxy, t_none;

	/* interpreter state */
	int digit_size, digit_bits; /* int digits: 4 and 30, or 2 and 15 */

	uintptr_t runtime; /* &_PyRuntime */
	uintptr_t interp;  /* the main interpreter */
	uintptr_t gc;      /* its struct _gc_runtime_state */
	int n_interps;     /* interpreters alive */

	/* memory map (taken before the GIL) */
	struct ph_range *statics; /* writable segments of loaded ELF objects, sorted */
	size_t n_statics;
	struct ph_range *trusted; /* code of libpython, the executable, lib-dynload modules */
	size_t n_trusted;
	uintptr_t statics_lo, statics_hi; /* bounds of all statics */
};

/*
 * Fill py from args (before taking the GIL): resolve the API, parse the
 * version and pick its layout, refuse debug builds, map the loaded objects.
 * 0, PH_EPYVERSION (unsupported interpreter), PH_ENOMEM.
 */
int ph_py_init(struct ph_py *py, const struct ph_agent_args *args);

/*
 * With the GIL held: find the main interpreter and its GC state, and pick
 * the version's table that matches the running interpreter (sizes of
 * builtin types, the GC state's generation0 self-pointer, and on 3.13+
 * every offset _Py_DebugOffsets publishes). 0, or PH_EPYVERSION with a
 * detail that names the version and the first mismatch.
 */
int ph_py_attach(struct ph_py *py);

/* True if the interpreter is shutting down (callable without the GIL). */
bool ph_py_finalizing(const struct ph_py *py);

void ph_py_release(struct ph_py *py);

/* True if addr lies in a writable segment of a loaded ELF object. */
bool ph_py_is_static(const struct ph_py *py, uintptr_t addr);

/* True if code at addr belongs to libpython, the executable or a lib-dynload module. */
bool ph_py_is_trusted_code(const struct ph_py *py, uintptr_t addr);

/* ---- reading objects ---- */

static inline uintptr_t ph_rd(uintptr_t a, long off)
{
	uintptr_t v;

	memcpy(&v, (const void *)(a + off), sizeof(v));
	return v;
}

static inline int64_t ph_rd_i64(uintptr_t a, long off)
{
	int64_t v;

	memcpy(&v, (const void *)(a + off), sizeof(v));
	return v;
}

static inline uint32_t ph_rd_u32(uintptr_t a, long off)
{
	uint32_t v;

	memcpy(&v, (const void *)(a + off), sizeof(v));
	return v;
}

static inline int32_t ph_rd_i32(uintptr_t a, long off)
{
	return (int32_t)ph_rd_u32(a, off);
}

static inline uint8_t ph_rd_u8(uintptr_t a, long off)
{
	return *(const uint8_t *)(a + off);
}

static inline uintptr_t ph_type(uintptr_t o)
{
	return ph_rd(o, PH_OFF_TYPE);
}

static inline unsigned long ph_tp_flags(uintptr_t tp)
{
	return (unsigned long)ph_rd(tp, PH_OFF_TP_FLAGS);
}

static inline int64_t ph_ob_size(uintptr_t o)
{
	return ph_rd_i64(o, PH_OFF_SIZE);
}

/* The reference count (3.12+: the low 32 bits; the upper ones hold flags on 3.14+). */
static inline uint64_t ph_refcnt(const struct ph_py *py, uintptr_t o)
{
	return py->caps->immortal ? ph_rd_u32(o, PH_OFF_REFCNT) : ph_rd(o, PH_OFF_REFCNT);
}

/* True if o is immortal (3.12+: its 32-bit reference count is negative as an int32). */
static inline bool ph_is_immortal(const struct ph_py *py, uintptr_t o)
{
	return py->caps->immortal && (int32_t)ph_rd_u32(o, PH_OFF_REFCNT) < 0;
}

/* The address of tuple t's first item. */
static inline uintptr_t ph_tuple_items(const struct ph_py *py, uintptr_t t)
{
	return t + (uintptr_t)py->L->obj->tuple_items;
}

/* Item i of tuple t, or 0 if t is NULL or i is out of range. */
static inline uintptr_t ph_tuple_item(const struct ph_py *py, uintptr_t t, int64_t i)
{
	if (!t || i < 0 || i >= ph_ob_size(t))
		return 0;
	return ph_rd(ph_tuple_items(py, t), (long)(8 * i));
}

/*
 * The object a frame's reference at a names: 3.14+ frames hold _PyStackRef,
 * whose low bits are tags (bit 0: no reference count held; both bits: a
 * tagged int, not an object; the NULL reference is the tag alone). 0 if it
 * names no object.
 */
static inline uintptr_t ph_frame_ref(const struct ph_py *py, uintptr_t a, long off)
{
	uintptr_t bits = ph_rd(a, off);

	if (!py->caps->stackrefs)
		return bits;
	if ((bits & 3) == 3)
		return 0;
	return bits & ~(uintptr_t)3;
}

/*
 * True if tp looks like a type object: non-NULL, aligned, and its own type
 * is a type (Py_TPFLAGS_TYPE_SUBCLASS on the metatype).
 */
static inline bool ph_is_type(uintptr_t tp)
{
	uintptr_t meta;

	if (!tp || (tp & 7))
		return false;
	meta = ph_type(tp);
	return meta && !(meta & 7) && (ph_tp_flags(meta) & PH_TPF_TYPE_SUBCLASS);
}

/* Walk tp's tp_base chain: true if it reaches base (tp itself included). */
static inline bool ph_is_subtype(uintptr_t tp, uintptr_t base)
{
	for (int depth = 0; tp && depth < 256; depth++, tp = ph_rd(tp, PH_OFF_TP_BASE))
		if (tp == base)
			return true;
	return false;
}

/* The PyGC_Head words of a GC object. */
static inline uintptr_t ph_gc_next(uintptr_t o)
{
	return ph_rd(o - PH_SIZE_GC_HEAD, PH_OFF_GC_NEXT);
}

static inline uintptr_t ph_gc_prev(uintptr_t o)
{
	return ph_rd(o - PH_SIZE_GC_HEAD, PH_OFF_GC_PREV);
}

#endif
