/* SPDX-License-Identifier: MIT */
/*
 * types.h - the walk's registry of Python types: one struct ph_tinfo per
 * type object met, made the first time the type is seen and kept for the
 * whole dump. Registering a type writes its TYPES record (its tp_base
 * chain first, so that a base's type id is always smaller), and decides
 * once what the walk needs to know about its instances: their kind (which
 * builtin layout they have), how sys.getsizeof measures them, which C
 * members and __slots__ hold references, and the class's shared keys.
 *
 * Memory: struct ph_types owns the tinfos (each allocated once and never
 * moved, so pointers stay valid until ph_types_release()), the member
 * table, and the list of newly registered type objects, which the caller
 * takes with ph_types_pop_fresh() so that each type object is dumped too.
 */
#ifndef PH_AGENT_TYPES_H
#define PH_AGENT_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/py.h"
#include "common/addrmap.h"
#include "common/buf.h"
#include "format/writer.h"

/* Which builtin layout the instances have (subclasses included). */
enum ph_kind {
	PH_K_OTHER,
	PH_K_STR,
	PH_K_BYTES,
	PH_K_INT,
	PH_K_BOOL,
	PH_K_FLOAT,
	PH_K_NONE,
	PH_K_LIST,
	PH_K_TUPLE,
	PH_K_DICT,
	PH_K_SET,
	PH_K_TYPE,
	PH_K_MODULE,
	PH_K_FUNCTION,
	PH_K_CODE,
	PH_K_CELL,
	PH_K_FRAME,
	PH_K_WEAKREF,
};

/* Which native bytes instances own (native.h). */
enum ph_native_type {
	PH_NT_NONE,
	PH_NT_NUMPY, /* numpy.ndarray or a subclass */
	PH_NT_DTYPE, /* numpy.dtype or a subclass (not an owner: recognised for the arrays' descr) */
	PH_NT_MMAP,  /* mmap.mmap or a subclass */
};

/* How sys.getsizeof measures an instance (before the GC pre-header). */
enum ph_sizer {
	PH_SZ_OBJECT, /* object.__sizeof__: basicsize + itemsize * ob_size */
	PH_SZ_STR,
	PH_SZ_INT,
	PH_SZ_LIST,
	PH_SZ_DICT, /* _PyDict_SizeOf */
	PH_SZ_SET,
	PH_SZ_CALL, /* call the type's C __sizeof__ (libpython or lib-dynload code only) */
};

/* Bits of PyMethodDef.ml_flags: how a C __sizeof__ is called (PH_SZ_CALL). */
#define PH_METH_KEYWORDS 0x0002
#define PH_METH_NOARGS   0x0004
#define PH_METH_COEXIST  0x0040
#define PH_METH_FASTCALL 0x0080
#define PH_METH_METHOD   0x0200

/* An object-valued C member (PyMemberDef T_OBJECT / T_OBJECT_EX). */
struct ph_member {
	int64_t offset;
	uint64_t name; /* sref of its name */
	bool slot;     /* a __slots__ entry of a class (else a C type's member) */
};

struct ph_tinfo {
	uintptr_t addr;
	uint64_t id; /* TYPES id */
	unsigned long flags;
	int64_t basicsize, itemsize, dictoffset;
	uint8_t kind;   /* enum ph_kind */
	uint8_t sizer;  /* enum ph_sizer */
	uint8_t native; /* enum ph_native_type */
	bool exact;     /* the builtin type of its kind itself, not a subclass */
	bool heap;      /* Py_TPFLAGS_HEAPTYPE */
	bool gc;        /* Py_TPFLAGS_HAVE_GC */
	bool python_sizeof; /* has a __sizeof__ written in Python (not called) */
	bool weakrefable;   /* instances can have weak references */
	uintptr_t is_gc_fn;   /* tp_is_gc */
	uintptr_t traverse_fn; /* tp_traverse */
	uintptr_t sizeof_fn;  /* PH_SZ_CALL: the C function */
	uintptr_t sizeof_cls; /* PH_SZ_CALL: the class that defines it (METH_METHOD) */
	int sizeof_flags;     /* PH_SZ_CALL: its PH_METH_* calling convention */
	uintptr_t cached_keys; /* classes: ht_cached_keys */
	uint32_t members, n_members; /* range of struct ph_types.members */
	char *name; /* "module.qualname" (or the bare name for builtins), owned */
};

struct ph_types {
	const struct ph_py *py;
	struct ph_writer *w;
	size_t max_name; /* longest type name kept */
	struct ph_addrmap map; /* type address -> struct ph_tinfo * */
	struct ph_tinfo **all;
	size_t n, cap;
	struct ph_member *members;
	size_t n_members, cap_members;
	uintptr_t *fresh; /* type objects registered and not yet taken */
	size_t n_fresh, cap_fresh;
	struct {
		uintptr_t addr;
		struct ph_tinfo *ti;
	} cache[512];
	struct ph_buf scratch, scratch2;
	uint64_t bad_types; /* pointers that were not type objects */
};

int ph_types_init(struct ph_types *T, const struct ph_py *py, struct ph_writer *w);
void ph_types_release(struct ph_types *T);

/* Register tp (if new) and return its info in *out; *out is NULL if tp is not a type. */
int ph_types_register(struct ph_types *T, uintptr_t tp, struct ph_tinfo **out);

/* The info of type tp: a fast cache in front of ph_types_register(). */
static inline int ph_types_get(struct ph_types *T, uintptr_t tp, struct ph_tinfo **out)
{
	size_t slot = (tp >> 4) & (sizeof(T->cache) / sizeof(T->cache[0]) - 1);

	if (T->cache[slot].addr == tp && tp) {
		*out = T->cache[slot].ti;
		return 0;
	}
	return ph_types_register(T, tp, out);
}

/* Take one of the type objects registered and not taken yet. False if there is none. */
static inline bool ph_types_pop_fresh(struct ph_types *T, uintptr_t *tp)
{
	if (!T->n_fresh)
		return false;
	*tp = T->fresh[--T->n_fresh];
	return true;
}

/* Memory held. */
size_t ph_types_memory(const struct ph_types *T);

#endif
