/* SPDX-License-Identifier: MIT */
/*
 * dicts.c - dicts, shared keys and instance values, read in place (see
 * dicts.h). Every offset comes from the layout's dict sub-table
 * (layout.h says what its fields mean), every choice from its capabilities.
 *
 * PyDictKeysObject: 3.8-3.10 keep dk_size, the number of index slots, and
 * the index width follows from it (1, 2, 4 or 8 bytes); 3.11+ keep
 * log2 of the indices' bytes and a kind (0: general entries {hash, key,
 * value}; else str-keyed or split entries {key, value}). The entries come
 * after the indices.
 *
 * Managed-dict instances (type flag MANAGED_DICT, 3.11+), by inst_dict:
 *   VALUES  a pointer to the values array and one to the dict, before the
 *           object (3.11)
 *   TAGGED  one word before the object: (char *)values - 1 (low bit set)
 *           or a dict pointer (3.12)
 *   INLINE  a dict pointer before the object; with INLINE_VALUES the
 *           PyDictValues lives at o + tp_basicsize: {u8 capacity, size,
 *           embedded, valid; values[]} (3.13+)
 * 3.11/3.12 values arrays keep their insertion order in the bytes before
 * the array: [-1] prefix size, [-2] count, [-3 - i] index of attribute i.
 * 3.13+ keep it after the values: ((u8 *)&values[capacity])[i].
 */
#include "agent/dicts.h"

#include "agent/values.h"

#define DICT_KEYS_GENERAL 0 /* dk_kind of keys with {hash, key, value} entries (3.11+) */

uintptr_t ph_dict_get(const struct ph_py *py, uintptr_t d, const char *key)
{
	intptr_t pos = 0;
	uintptr_t k, v;

	if (!d || !(ph_tp_flags(ph_type(d)) & PH_TPF_DICT_SUBCLASS))
		return 0;
	while (ph_dict_next(py, d, &pos, &k, &v))
		if (ph_str_eq(py, k, key))
			return v;
	return 0;
}

bool ph_dict_values_embedded(const struct ph_py *py, uintptr_t d)
{
	uintptr_t values;

	if (py->caps->inst_dict != PH_INST_DICT_INLINE)
		return false;
	values = ph_rd(d, PH_OFF_DICT_VALUES);
	return values && ph_rd_u8(values, py->L->dict->dv_embedded) != 0;
}

int64_t ph_keys_nentries(const struct ph_py *py, uintptr_t keys)
{
	int64_t n = keys ? ph_rd_i64(keys, py->L->dict->dk_nentries) : 0;

	return n < 0 ? 0 : n;
}

uintptr_t ph_keys_key(const struct ph_py *py, uintptr_t keys, int64_t i)
{
	const struct ph_l_dict *D = py->L->dict;
	uintptr_t entries;

	if (D->dk_size >= 0) {
		uint64_t size = ph_rd(keys, D->dk_size);
		unsigned width = size <= 0xff	      ? 1
				 : size <= 0xffff      ? 2
				 : size <= 0xffffffffu ? 4
						       : 8;

		if (size > ((uint64_t)1 << 40))
			return 0;
		entries = keys + (uintptr_t)D->dk_indices + size * width;
		return ph_rd(entries, (long)(i * D->entry_size + D->entry_key));
	}
	{
		unsigned log2_bytes = ph_rd_u8(keys, D->dk_log2_index_bytes);

		if (log2_bytes > 40)
			return 0;
		entries = keys + (uintptr_t)D->dk_indices + ((uintptr_t)1 << log2_bytes);
		if (ph_rd_u8(keys, D->dk_kind) == DICT_KEYS_GENERAL)
			return ph_rd(entries, (long)(i * D->entry_size + D->entry_key));
		return ph_rd(entries, (long)(i * D->uentry_size + D->uentry_key));
	}
}

uintptr_t ph_values_addr(const struct ph_py *py, uintptr_t o, unsigned long tp_flags,
			 int64_t basicsize)
{
	const struct ph_l_dict *D = py->L->dict;

	if (!(tp_flags & PH_TPF_MANAGED_DICT))
		return 0;
	switch (py->caps->inst_dict) {
	case PH_INST_DICT_VALUES:
		return ph_rd(o, D->managed_values);
	case PH_INST_DICT_TAGGED: {
		uintptr_t dorv = ph_rd(o, D->managed_dict);

		return dorv & 1 ? dorv + 1 : 0; /* stored as (char *)values - 1 */
	}
	case PH_INST_DICT_INLINE:
		return tp_flags & PH_TPF_INLINE_VALUES ? o + (uintptr_t)basicsize : 0;
	default:
		return 0;
	}
}

bool ph_values_find(const struct ph_py *py, uintptr_t o, unsigned long tp_flags,
		    int64_t basicsize, uintptr_t cached_keys, struct ph_values *v)
{
	const struct ph_l_dict *D = py->L->dict;
	uintptr_t values;

	if (!cached_keys)
		return false;
	values = ph_values_addr(py, o, tp_flags, basicsize);
	if (values && py->caps->inst_dict == PH_INST_DICT_INLINE && !ph_rd_u8(values, D->dv_valid))
		values = 0;
	if (!values)
		return false;
	v->keys = cached_keys;
	v->nentries = ph_keys_nentries(py, cached_keys);
	if (D->dv_capacity >= 0) {
		/* a header before the values, the order after them */
		uint8_t capacity = ph_rd_u8(values, D->dv_capacity);

		v->values = values + (uintptr_t)D->dv_values;
		v->capacity = capacity;
		v->count = ph_rd_u8(values, D->dv_size);
		v->order = v->values + (uintptr_t)capacity * 8;
		v->order_step = 1;
		if (v->count > capacity)
			goto no_order;
	} else {
		/* the order in the bytes before the values */
		uint8_t prefix = ph_rd_u8(values, PH_DV_PREFIX_SIZE);

		v->values = values + (uintptr_t)D->dv_values;
		v->capacity = -1;
		v->count = ph_rd_u8(values, PH_DV_PREFIX_COUNT);
		v->order = values + PH_DV_PREFIX_ORDER;
		v->order_step = -1;
		if (v->count + 2 > prefix)
			goto no_order;
	}
	return true;
no_order:
	/* an order array that does not add up: fall back to index order */
	v->order = 0;
	v->count = (uint64_t)v->nentries;
	if (v->capacity >= 0 && v->count > (uint64_t)v->capacity)
		v->count = (uint64_t)v->capacity;
	return true;
}

void ph_values_get(const struct ph_py *py, const struct ph_values *v, uint64_t i, uintptr_t *name,
		   uintptr_t *value)
{
	int64_t ix = (int64_t)i;

	*name = *value = 0;
	if (v->order)
		ix = ph_rd_u8(v->order, (long)((int64_t)i * v->order_step));
	if (ix >= v->nentries || (v->capacity >= 0 && ix >= v->capacity))
		return;
	*name = ph_keys_key(py, v->keys, ix);
	*value = ph_rd(v->values, (long)(ix * 8));
	if (!*name)
		*value = 0;
}

uintptr_t ph_obj_dict(const struct ph_py *py, uintptr_t o)
{
	uintptr_t tp = ph_type(o);
	unsigned long flags = ph_tp_flags(tp);
	int64_t off;

	if (py->caps->inst_dict != PH_INST_DICT_OFFSET && (flags & PH_TPF_MANAGED_DICT)) {
		uintptr_t d = ph_rd(o, py->L->dict->managed_dict);

		return py->caps->inst_dict == PH_INST_DICT_TAGGED && (d & 1) ? 0 : d;
	}
	off = ph_rd_i64(tp, PH_OFF_TP_DICTOFFSET);
	if (off == 0)
		return 0;
	if (off < 0) {
		/* _PyObject_GetDictPtr: after the variable part, rounded to pointers */
		int64_t n = ph_ob_size(o);
		int64_t size;

		if (n < 0)
			n = -n;
		size = ph_rd_i64(tp, PH_OFF_TP_BASICSIZE) + n * ph_rd_i64(tp, PH_OFF_TP_ITEMSIZE);
		off += (size + 7) & ~(int64_t)7;
		if (off < 16)
			return 0;
	}
	return ph_rd(o, (long)off);
}
uintptr_t ph_obj_attr(const struct ph_py *py, uintptr_t o, const char *name)
{
	uintptr_t tp = ph_type(o);
	unsigned long flags = ph_tp_flags(tp);
	struct ph_values v;

	if ((flags & PH_TPF_HEAPTYPE) &&
	    ph_values_find(py, o, flags, ph_rd_i64(tp, PH_OFF_TP_BASICSIZE),
			   ph_rd(tp, py->L->ht->cached_keys), &v)) {
		for (uint64_t i = 0; i < v.count; i++) {
			uintptr_t k, val;

			ph_values_get(py, &v, i, &k, &val);
			if (val && ph_str_eq(py, k, name))
				return val;
		}
	}
	return ph_dict_get(py, ph_obj_dict(py, o), name);
}
