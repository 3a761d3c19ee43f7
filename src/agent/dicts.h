/* SPDX-License-Identifier: MIT */
/*
 * dicts.h - reading dicts, shared keys and 3.11+ instance values in place.
 *
 * Dict entries are read with PyDict_Next (exported by every version, pure C,
 * borrowed references, no allocation); the key tables of classes
 * (ht_cached_keys, a raw PyDictKeysObject that is not a Python object) and
 * the values arrays of managed-dict instances are read through the layout
 * table. All results are borrowed addresses.
 */
#ifndef PH_AGENT_DICTS_H
#define PH_AGENT_DICTS_H

#include <stdbool.h>
#include <stdint.h>

#include "agent/py.h"

/*
 * Next entry of dict d (or a dict subclass): *pos starts at 0. Returns false
 * at the end. Thin wrapper around PyDict_Next.
 */
static inline bool ph_dict_next(const struct ph_py *py, uintptr_t d, intptr_t *pos, uintptr_t *k,
				uintptr_t *v)
{
	void *kk, *vv;

	if (!py->dict_next((void *)d, pos, &kk, &vv))
		return false;
	*k = (uintptr_t)kk;
	*v = (uintptr_t)vv;
	return true;
}

/* d[key] where key is ASCII text, found by comparing str keys (no hashing). 0 if absent. */
uintptr_t ph_dict_get(const struct ph_py *py, uintptr_t d, const char *key);

/*
 * True if dict d's values live inline in an object (3.13+ materialised
 * __dict__ of an inline-values instance): the object, not the dict, holds
 * those references.
 */
bool ph_dict_values_embedded(const struct ph_py *py, uintptr_t d);

/* Number of entries of a PyDictKeysObject (deleted ones included). */
int64_t ph_keys_nentries(const struct ph_py *py, uintptr_t keys);

/* The key of entry i of a PyDictKeysObject (0 if empty or deleted). */
uintptr_t ph_keys_key(const struct ph_py *py, uintptr_t keys, int64_t i);

/*
 * The attribute values of a 3.11+ managed-dict instance, when they are not
 * (only) in a dict: names from the class's shared keys, values by index, in
 * insertion order.
 */
struct ph_values {
	uintptr_t keys;   /* the class's ht_cached_keys */
	uintptr_t values; /* PyObject *values[] */
	int64_t nentries; /* of keys: indexes are below this */
	uint64_t count;   /* attributes in insertion order */
	uintptr_t order;  /* the order bytes */
	int order_step;   /* +1 (3.13+) or -1 (3.11/3.12: the bytes grow downwards) */
	int64_t capacity; /* slots in values (3.13+), or -1 if not recorded */
};

/*
 * Where o's values array is (o's type has flags tp_flags and basicsize):
 * 3.11/3.12 a separate one (0 once a __dict__ took them), 3.13+ inline
 * after the object (valid or not). 0 if its class has no managed dict.
 */
uintptr_t ph_values_addr(const struct ph_py *py, uintptr_t o, unsigned long tp_flags,
			 int64_t basicsize);

/*
 * Find o's values (o's type has flags tp_flags, basicsize and the shared
 * keys cached_keys). False if o has none (no managed dict, or its
 * attributes moved into a dict).
 */
bool ph_values_find(const struct ph_py *py, uintptr_t o, unsigned long tp_flags,
		    int64_t basicsize, uintptr_t cached_keys, struct ph_values *v);

/* Attribute i (< v->count) of v: its name and value (0 if absent). */
void ph_values_get(const struct ph_py *py, const struct ph_values *v, uint64_t i, uintptr_t *name,
		   uintptr_t *value);

/*
 * The materialised __dict__ of o (a managed dict pointer on 3.11+, else the
 * slot at tp_dictoffset), or 0.
 */
uintptr_t ph_obj_dict(const struct ph_py *py, uintptr_t o);

/*
 * The value of instance attribute name (ASCII) of o, from its inline or
 * managed values or its __dict__, without running anything: no
 * descriptors, no __getattr__. 0 if absent.
 */
uintptr_t ph_obj_attr(const struct ph_py *py, uintptr_t o, const char *name);

#endif
