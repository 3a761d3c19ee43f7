/* SPDX-License-Identifier: MIT */
/*
 * names.c - the strs that name code, for --no-values (see names.h).
 */
#include "agent/names.h"

#include <stdlib.h>
#include <string.h>

#include "agent/dicts.h"
#include "common/error.h"

int ph_names_init(struct ph_names *N)
{
	memset(N, 0, sizeof(*N));
	return ph_seen_init(&N->names, 1 << 12);
}

void ph_names_release(struct ph_names *N)
{
	ph_seen_release(&N->names);
	free(N->deferred);
	memset(N, 0, sizeof(*N));
}

int ph_names_add(struct ph_names *N, uintptr_t str)
{
	return str ? ph_seen_add(&N->names, str, NULL) : 0;
}

bool ph_names_has(const struct ph_names *N, uintptr_t str)
{
	return ph_seen_has(&N->names, str);
}

int ph_names_defer(struct ph_names *N, uintptr_t str)
{
	int err = PH_ARRAY_RESERVE(N->deferred, N->cap_deferred, N->n_deferred + 1);

	if (!err)
		N->deferred[N->n_deferred++] = str;
	return err;
}

size_t ph_names_memory(const struct ph_names *N)
{
	return ph_seen_memory(&N->names) + N->cap_deferred * sizeof(*N->deferred);
}

/* The field at off of o, when the layout has it. */
static uintptr_t field(uintptr_t o, int32_t off)
{
	return off >= 0 ? ph_rd(o, off) : 0;
}

/* Every item of the tuple in the field at off of o (a code object's names). */
static int add_tuple(struct ph_names *N, const struct ph_py *py, uintptr_t o, int32_t off)
{
	uintptr_t t = field(o, off);
	int64_t n;
	int err = 0;

	if (!t || !(ph_tp_flags(ph_type(t)) & PH_TPF_TUPLE_SUBCLASS))
		return 0;
	n = ph_ob_size(t);
	for (int64_t i = 0; i < n && !err; i++)
		err = ph_names_add(N, ph_tuple_item(py, t, i));
	return err;
}

int ph_names_add_keys(struct ph_names *N, const struct ph_py *py, uintptr_t d)
{
	intptr_t pos = 0;
	uintptr_t k, v;
	int err = 0;

	if (!d || !(ph_tp_flags(ph_type(d)) & PH_TPF_DICT_SUBCLASS))
		return 0;
	while (!err && ph_dict_next(py, d, &pos, &k, &v))
		err = ph_names_add(N, k);
	return err;
}

int ph_names_note(struct ph_names *N, const struct ph_py *py, const struct ph_tinfo *ti,
		  uintptr_t o)
{
	const struct ph_layout *L = py->L;
	int err = 0;

	switch (ti->kind) {
	case PH_K_CODE:
		if ((err = ph_names_add(N, field(o, L->co->name))) ||
		    (err = ph_names_add(N, field(o, L->co->qualname))) ||
		    (err = add_tuple(N, py, o, L->co->names)) ||
		    (err = add_tuple(N, py, o, L->co->varnames)) ||
		    (err = add_tuple(N, py, o, L->co->cellvars)) ||
		    (err = add_tuple(N, py, o, L->co->freevars)))
			return err;
		return add_tuple(N, py, o, L->co->localsplusnames);
	case PH_K_FUNCTION:
		if ((err = ph_names_add(N, field(o, L->fn->name))))
			return err;
		return ph_names_add(N, field(o, L->fn->qualname));
	case PH_K_MODULE:
		if ((err = ph_names_add(N, field(o, L->obj->md_name))))
			return err;
		if ((err = ph_names_add(N, ph_dict_get(py, field(o, L->obj->md_dict), "__name__"))))
			return err;
		return ph_names_add_keys(N, py, field(o, L->obj->md_dict));
	case PH_K_TYPE:
		if (ph_tp_flags(o) & PH_TPF_HEAPTYPE) {
			if ((err = ph_names_add(N, field(o, L->ht->name))) ||
			    (err = ph_names_add(N, field(o, L->ht->qualname))))
				return err;
		}
		return ph_names_add_keys(N, py, ph_rd(o, PH_OFF_TP_DICT));
	default:
		if (ti->dictoffset || (ti->flags & PH_TPF_MANAGED_DICT))
			return ph_names_add_keys(N, py, ph_obj_dict(py, o));
		return 0;
	}
}
