/* SPDX-License-Identifier: MIT */
/*
 * types.c - the registry of Python types (see types.h).
 *
 * How sys.getsizeof(o) is reproduced: _PySys_GetSizeOf looks up
 * __sizeof__ along type(o).__mro__ and calls it. We do the lookup once per
 * type without running anything: a heap type's __dict__ is scanned for the
 * key "__sizeof__", a static type's C method table for the name. A method
 * descriptor names the builtin type whose C implementation it is
 * (d_common.d_type): for object, int, str, bytes, list, dict, set and
 * frozenset we use the same formula in C (values.c, walk.c); any other C
 * __sizeof__ is called directly, but only if its code lies in libpython,
 * the executable or a lib-dynload module of the interpreter. A __sizeof__
 * written in Python is never called: such objects get object.__sizeof__'s
 * figure.
 */
#include "agent/types.h"

#include <stdlib.h>
#include <string.h>

#include "agent/dicts.h"
#include "agent/native.h"
#include "agent/values.h"
#include "common/error.h"

#define T_OBJECT     6
#define T_OBJECT_EX  16
#define MAX_CHAIN    256

int ph_types_init(struct ph_types *T, const struct ph_py *py, struct ph_writer *w)
{
	memset(T, 0, sizeof(*T));
	T->py = py;
	T->w = w;
	T->max_name = 1024;
	return ph_addrmap_reserve(&T->map, 1024);
}

void ph_types_release(struct ph_types *T)
{
	for (size_t i = 0; i < T->n; i++) {
		free(T->all[i]->name);
		free(T->all[i]);
	}
	free(T->all);
	free(T->members);
	free(T->fresh);
	ph_addrmap_release(&T->map);
	ph_buf_release(&T->scratch);
	ph_buf_release(&T->scratch2);
	memset(T, 0, sizeof(*T));
}

size_t ph_types_memory(const struct ph_types *T)
{
	return ph_addrmap_memory(&T->map) + T->cap * sizeof(*T->all) +
	       T->n * (sizeof(struct ph_tinfo) + 64) + T->cap_members * sizeof(*T->members) +
	       T->cap_fresh * sizeof(*T->fresh);
}

/* Bounded strlen of a C string in the target. */
static size_t cstr_len(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n])
		n++;
	return n;
}

/* UTF-8 of str o into b (at most max bytes). False if o is not a readable str. */
static bool str_text(const struct ph_py *py, uintptr_t o, size_t max, struct ph_buf *b,
		     struct ph_buf *tmp)
{
	const uint8_t *data;
	size_t len;
	bool trunc;

	b->len = 0;
	if (ph_str_text(py, o, max, tmp, &data, &len, &trunc) <= 0)
		return false;
	return ph_buf_put(b, data, len) == 0;
}

/* Write the names of tp; fill ti->name. */
static int type_names(struct ph_types *T, uintptr_t tp, struct ph_tinfo *ti, uint64_t *module,
		      uint64_t *qualname)
{
	const struct ph_py *py = T->py;
	struct ph_buf *mod = &T->scratch, *qn = &T->scratch2;
	struct ph_buf tmp = PH_BUF_INIT;
	const char *tp_name = (const char *)ph_rd(tp, PH_OFF_TP_NAME);
	size_t nlen = tp_name ? cstr_len(tp_name, T->max_name) : 0;
	const char *dot = NULL;
	int err;

	mod->len = qn->len = 0;
	for (size_t i = 0; i < nlen; i++)
		if (tp_name[i] == '.')
			dot = tp_name + i;
	if (ti->heap) {
		uintptr_t d = ph_rd(tp, PH_OFF_TP_DICT);

		if (!str_text(py, ph_rd(tp, py->L->ht->qualname), T->max_name, qn, &tmp))
			qn->len = 0;
		if (!str_text(py, ph_dict_get(py, d, "__module__"), T->max_name, mod, &tmp))
			mod->len = 0;
	}
	if (!qn->len) {
		const char *q = dot ? dot + 1 : tp_name;

		err = ph_buf_put(qn, q ? q : "?", q ? nlen - (size_t)(q - tp_name) : 1);
		if (err)
			goto out;
	}
	if (!mod->len) {
		if (dot)
			err = ph_buf_put(mod, tp_name, (size_t)(dot - tp_name));
		else
			err = ph_buf_put(mod, "builtins", 8);
		if (err)
			goto out;
	}
	if ((err = ph_writer_string(T->w, mod->data, mod->len, module)) ||
	    (err = ph_writer_string(T->w, qn->data, qn->len, qualname)))
		goto out;
	/* the text value of the type object: module.qualname, or qualname for builtins */
	ti->name = malloc(mod->len + qn->len + 2);
	if (!ti->name) {
		err = ph_error(PH_ENOMEM, "agent: out of memory for a type name");
		goto out;
	}
	if (mod->len == 8 && memcmp(mod->data, "builtins", 8) == 0) {
		memcpy(ti->name, qn->data, qn->len);
		ti->name[qn->len] = '\0';
	} else {
		memcpy(ti->name, mod->data, mod->len);
		ti->name[mod->len] = '.';
		memcpy(ti->name + mod->len + 1, qn->data, qn->len);
		ti->name[mod->len + 1 + qn->len] = '\0';
	}
out:
	ph_buf_release(&tmp);
	return err;
}

/* The builtin kind of instances of tp. */
static void type_kind(const struct ph_py *py, uintptr_t tp, struct ph_tinfo *ti)
{
	unsigned long f = ti->flags;
	static const struct {
		size_t off;
		uint8_t kind;
	} by_base[] = {
		{offsetof(struct ph_py, t_float), PH_K_FLOAT},
		{offsetof(struct ph_py, t_set), PH_K_SET},
		{offsetof(struct ph_py, t_frozenset), PH_K_SET},
		{offsetof(struct ph_py, t_module), PH_K_MODULE},
		{offsetof(struct ph_py, t_function), PH_K_FUNCTION},
		{offsetof(struct ph_py, t_code), PH_K_CODE},
		{offsetof(struct ph_py, t_cell), PH_K_CELL},
		{offsetof(struct ph_py, t_frame), PH_K_FRAME},
		{offsetof(struct ph_py, t_ref), PH_K_WEAKREF},
		{offsetof(struct ph_py, t_proxy), PH_K_WEAKREF},
		{offsetof(struct ph_py, t_cproxy), PH_K_WEAKREF},
		{offsetof(struct ph_py, t_none), PH_K_NONE},
	};
	uintptr_t exact = 0;

	ti->kind = PH_K_OTHER;
	if (f & PH_TPF_UNICODE_SUBCLASS) {
		ti->kind = PH_K_STR;
		exact = py->t_str;
	} else if (f & PH_TPF_LONG_SUBCLASS) {
		ti->kind = tp == py->t_bool ? PH_K_BOOL : PH_K_INT;
		exact = tp == py->t_bool ? py->t_bool : py->t_int;
	} else if (f & PH_TPF_BYTES_SUBCLASS) {
		ti->kind = PH_K_BYTES;
		exact = py->t_bytes;
	} else if (f & PH_TPF_LIST_SUBCLASS) {
		ti->kind = PH_K_LIST;
		exact = py->t_list;
	} else if (f & PH_TPF_TUPLE_SUBCLASS) {
		ti->kind = PH_K_TUPLE;
		exact = py->t_tuple;
	} else if (f & PH_TPF_DICT_SUBCLASS) {
		ti->kind = PH_K_DICT;
		exact = py->t_dict;
	} else if (f & PH_TPF_TYPE_SUBCLASS) {
		ti->kind = PH_K_TYPE;
		exact = py->t_type;
	} else {
		for (int depth = 0; tp && depth < MAX_CHAIN && ti->kind == PH_K_OTHER; depth++) {
			for (size_t i = 0; i < sizeof(by_base) / sizeof(by_base[0]); i++) {
				uintptr_t t = *(const uintptr_t *)((const char *)py + by_base[i].off);

				if (t && t == tp) {
					ti->kind = by_base[i].kind;
					exact = t;
					break;
				}
			}
			if (ti->kind == PH_K_OTHER)
				tp = ph_rd(tp, PH_OFF_TP_BASE);
		}
		tp = ti->addr;
	}
	ti->exact = exact == tp;
}

/* A PyMethodDef *def of builtin type owner implements __sizeof__ for ti. */
static void sizer_from(const struct ph_py *py, struct ph_tinfo *ti, uintptr_t owner, uintptr_t def)
{
	int flags;
	uintptr_t meth;

	if (owner == py->t_object || owner == py->t_bytes) {
		ti->sizer = PH_SZ_OBJECT;
		return;
	}
	if (owner == py->t_int) {
		ti->sizer = PH_SZ_INT;
		return;
	}
	if (owner == py->t_str) {
		ti->sizer = PH_SZ_STR;
		return;
	}
	if (owner == py->t_list) {
		ti->sizer = PH_SZ_LIST;
		return;
	}
	if (owner == py->t_dict && py->dict_sizeof) {
		ti->sizer = PH_SZ_DICT;
		return;
	}
	if (owner && (owner == py->t_set || owner == py->t_frozenset)) {
		ti->sizer = PH_SZ_SET;
		return;
	}
	ti->sizer = PH_SZ_OBJECT;
	if (!def)
		return;
	flags = ph_rd_i32(def, PH_OFF_ML_FLAGS) & ~PH_METH_COEXIST;
	meth = ph_rd(def, PH_OFF_ML_METH);
	/* calling conventions that take no argument we would have to make */
	if (flags != PH_METH_NOARGS && flags != PH_METH_FASTCALL &&
	    flags != (PH_METH_FASTCALL | PH_METH_KEYWORDS) &&
	    flags != (PH_METH_METHOD | PH_METH_FASTCALL | PH_METH_KEYWORDS))
		return;
	if (meth && ph_py_is_trusted_code(py, meth)) {
		ti->sizer = PH_SZ_CALL;
		ti->sizeof_fn = meth;
		ti->sizeof_cls = owner;
		ti->sizeof_flags = flags;
	}
}

/* Find the PyMethodDef named name in a static type's tp_methods. */
static uintptr_t find_method(uintptr_t tp, const char *name)
{
	uintptr_t def = ph_rd(tp, PH_OFF_TP_METHODS);

	for (int i = 0; def && i < 4096; i++, def += PH_SIZE_METHODDEF) {
		const char *n = (const char *)ph_rd(def, PH_OFF_ML_NAME);

		if (!n)
			break;
		if (strcmp(n, name) == 0)
			return def;
	}
	return 0;
}

/* The types of tp's MRO, or of its tp_base chain if it has no MRO yet. */
static size_t type_mro(const struct ph_py *py, uintptr_t tp, uintptr_t *out, size_t max)
{
	uintptr_t mro = ph_rd(tp, PH_OFF_TP_MRO);
	size_t n = 0;

	if (mro && (ph_tp_flags(ph_type(mro)) & PH_TPF_TUPLE_SUBCLASS)) {
		int64_t len = ph_ob_size(mro);

		for (int64_t i = 0; i < len && n < max; i++) {
			uintptr_t t = ph_tuple_item(py, mro, i);

			if (ph_is_type(t))
				out[n++] = t;
		}
		return n;
	}
	for (; tp && n < max; tp = ph_rd(tp, PH_OFF_TP_BASE))
		out[n++] = tp;
	return n;
}

static void type_sizer(const struct ph_py *py, struct ph_tinfo *ti, const uintptr_t *mro, size_t n)
{
	ti->sizer = PH_SZ_OBJECT;
	for (size_t i = 0; i < n; i++) {
		uintptr_t t = mro[i];

		if (ph_tp_flags(t) & PH_TPF_HEAPTYPE) {
			uintptr_t d = ph_dict_get(py, ph_rd(t, PH_OFF_TP_DICT), "__sizeof__");

			if (!d)
				continue;
			if (ph_type(d) == py->t_methoddescr) {
				sizer_from(py, ti, ph_rd(d, py->L->obj->descr_type),
					   ph_rd(d, py->L->obj->descr_method));
			} else {
				ti->python_sizeof = true;
				ti->sizer = PH_SZ_OBJECT;
			}
			return;
		}
		uintptr_t def = find_method(t, "__sizeof__");

		if (def) {
			sizer_from(py, ti, t, def);
			return;
		}
	}
}

/* Collect the object-valued members of the types of the MRO. */
static int type_members(struct ph_types *T, struct ph_tinfo *ti, const uintptr_t *mro, size_t n)
{
	int err;

	ti->members = (uint32_t)T->n_members;
	for (size_t i = 0; i < n; i++) {
		uintptr_t t = mro[i];
		bool heap = (ph_tp_flags(t) & PH_TPF_HEAPTYPE) != 0;
		uintptr_t m = ph_rd(t, PH_OFF_TP_MEMBERS);

		for (int j = 0; m && j < 4096; j++, m += PH_SIZE_MEMBERDEF) {
			const char *name = (const char *)ph_rd(m, PH_OFF_MB_NAME);
			int type = ph_rd_i32(m, PH_OFF_MB_TYPE);
			int64_t off = ph_rd_i64(m, PH_OFF_MB_OFFSET);
			struct ph_member *pm;
			bool dup = false;

			if (!name)
				break;
			if (type != T_OBJECT && type != T_OBJECT_EX)
				continue;
			if (off < 16 || off + 8 > ti->basicsize)
				continue;
			for (size_t k = ti->members; k < T->n_members; k++)
				dup |= T->members[k].offset == off;
			if (dup)
				continue;
			err = PH_ARRAY_RESERVE(T->members, T->cap_members, T->n_members + 1);
			if (err)
				return err;
			pm = &T->members[T->n_members];
			pm->offset = off;
			pm->slot = heap && type == T_OBJECT_EX;
			err = ph_writer_string(T->w, name, cstr_len(name, 256), &pm->name);
			if (err)
				return err;
			T->n_members++;
		}
	}
	ti->n_members = (uint32_t)(T->n_members - ti->members);
	return 0;
}

/* Register one type whose base (if any) is registered already. */
static int register_one(struct ph_types *T, uintptr_t tp, struct ph_tinfo **out)
{
	const struct ph_py *py = T->py;
	struct ph_tinfo *ti = calloc(1, sizeof(*ti));
	struct ph_type_rec rec;
	uintptr_t base = ph_rd(tp, PH_OFF_TP_BASE);
	uintptr_t mro[64];
	size_t nmro;
	int err;

	if (!ti)
		return ph_error(PH_ENOMEM, "agent: out of memory for a type");
	ti->addr = tp;
	ti->flags = ph_tp_flags(tp);
	ti->basicsize = ph_rd_i64(tp, PH_OFF_TP_BASICSIZE);
	ti->itemsize = ph_rd_i64(tp, PH_OFF_TP_ITEMSIZE);
	ti->dictoffset = ph_rd_i64(tp, PH_OFF_TP_DICTOFFSET);
	ti->heap = (ti->flags & PH_TPF_HEAPTYPE) != 0;
	ti->gc = (ti->flags & PH_TPF_HAVE_GC) != 0;
	ti->weakrefable = ph_rd_i64(tp, PH_OFF_TP_WEAKLISTOFFSET) != 0 ||
			  (ti->flags & PH_TPF_MANAGED_WEAKREF);
	ti->is_gc_fn = ph_rd(tp, PH_OFF_TP_IS_GC);
	ti->traverse_fn = ph_rd(tp, PH_OFF_TP_TRAVERSE);
	if (ti->heap)
		ti->cached_keys = ph_rd(tp, py->L->ht->cached_keys);
	type_kind(py, tp, ti);
	nmro = type_mro(py, tp, mro, sizeof(mro) / sizeof(mro[0]));
	type_sizer(py, ti, mro, nmro);

	memset(&rec, 0, sizeof(rec));
	rec.address = tp;
	rec.basicsize = (uint64_t)ti->basicsize;
	rec.itemsize = (uint64_t)ti->itemsize;
	rec.flags = ti->flags;
	if (base) {
		uint64_t *b = ph_addrmap_get(&T->map, base);

		rec.base = b ? ((struct ph_tinfo *)(uintptr_t)*b)->id + 1 : 0;
	}
	if ((err = type_names(T, tp, ti, &rec.module, &rec.qualname)) ||
	    (err = type_members(T, ti, mro, nmro)) || (err = ph_writer_type(T->w, &rec, &ti->id)))
		goto fail;
	{
		uint64_t *b = base ? ph_addrmap_get(&T->map, base) : NULL;

		ti->native = ph_native_type(py, ti, b ? (struct ph_tinfo *)(uintptr_t)*b : NULL);
	}
	if ((err = PH_ARRAY_RESERVE(T->all, T->cap, T->n + 1)) ||
	    (err = PH_ARRAY_RESERVE(T->fresh, T->cap_fresh, T->n_fresh + 1)) ||
	    (err = ph_addrmap_put(&T->map, tp, (uint64_t)(uintptr_t)ti, NULL, NULL)))
		goto fail;
	T->all[T->n++] = ti;
	T->fresh[T->n_fresh++] = tp;
	*out = ti;
	return 0;
fail:
	free(ti->name);
	free(ti);
	return err;
}

int ph_types_register(struct ph_types *T, uintptr_t tp, struct ph_tinfo **out)
{
	size_t slot = (tp >> 4) & (sizeof(T->cache) / sizeof(T->cache[0]) - 1);
	uintptr_t chain[MAX_CHAIN];
	size_t n = 0;
	uint64_t *found;
	int err;

	*out = NULL;
	found = tp ? ph_addrmap_get(&T->map, tp) : NULL;
	if (!found) {
		/* tp and its unregistered bases, most derived first */
		for (uintptr_t t = tp; t; t = ph_rd(t, PH_OFF_TP_BASE)) {
			if (ph_addrmap_get(&T->map, t))
				break;
			if (!ph_is_type(t) || n == MAX_CHAIN) {
				T->bad_types++;
				return 0;
			}
			chain[n++] = t;
		}
		while (n--) {
			struct ph_tinfo *ti;

			err = register_one(T, chain[n], &ti);
			if (err)
				return err;
		}
		found = ph_addrmap_get(&T->map, tp);
		if (!found)
			return 0;
	}
	*out = (struct ph_tinfo *)(uintptr_t)*found;
	T->cache[slot].addr = tp;
	T->cache[slot].ti = *out;
	return 0;
}
