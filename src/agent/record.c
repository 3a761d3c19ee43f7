/* SPDX-License-Identifier: MIT */
/*
 * record.c - an object's size and value (see record.h).
 */
#include "agent/record.h"

#include <string.h>

#include "agent/dicts.h"
#include "agent/values.h"
#include "common/error.h"

#define TEXT_MAX       1024 /* longest name kept as a text value */
#define BIGINT_MIN_CAP 32   /* big ints keep at least this many bytes */

void ph_record_init(struct ph_record *R, const struct ph_py *py, struct ph_types *T,
		    bool no_values, uint64_t max_value)
{
	memset(R, 0, sizeof(*R));
	R->py = py;
	R->T = T;
	R->no_values = no_values;
	R->max_value = max_value;
}

void ph_record_release(struct ph_record *R)
{
	ph_buf_release(&R->vbuf);
}

/* What sys.getsizeof adds to __sizeof__ (see enum ph_preheader). */
static uint64_t preheader(const struct ph_py *py, const struct ph_tinfo *ti, uintptr_t o,
			  bool is_gc)
{
	unsigned long extra = PH_TPF_MANAGED_DICT;
	uint64_t n = 0;

	switch (py->caps->preheader) {
	case PH_PREHEADER_GC:
		return is_gc ? PH_SIZE_GC_HEAD : 0;
	case PH_PREHEADER_NOT_STATIC_TYPE:
		if (ti->addr == py->t_type && !(ph_tp_flags(o) & PH_TPF_HEAPTYPE))
			return 0;
		/* fall through */
	case PH_PREHEADER_PREHEADER:
		extra |= PH_TPF_MANAGED_WEAKREF;
		/* fall through */
	default:
		break;
	}
	if (ti->gc)
		n += PH_SIZE_GC_HEAD;
	if (ti->flags & extra)
		n += 16;
	return n;
}

uint64_t ph_record_preheader(const struct ph_py *py, const struct ph_tinfo *ti, uintptr_t o,
			     bool is_gc)
{
	return preheader(py, ti, o, is_gc);
}

/* The C __sizeof__ of o, called as CPython's method descriptors would; false if it failed. */
static bool call_sizeof(struct ph_record *R, const struct ph_tinfo *ti, uintptr_t o, uint64_t *size)
{
	const struct ph_py *py = R->py;
	void *self = (void *)o;
	void *r;
	intptr_t v;

	if (!py->long_as_ssize || !py->decref || !py->err_fetch || !py->err_occurred)
		return false;
	R->sizeof_calls++;
	switch (ti->sizeof_flags) {
	case PH_METH_NOARGS:
		r = ((void *(*)(void *, void *))ti->sizeof_fn)(self, NULL);
		break;
	case PH_METH_FASTCALL:
		r = ((void *(*)(void *, void *const *, intptr_t))ti->sizeof_fn)(self, NULL, 0);
		break;
	case PH_METH_FASTCALL | PH_METH_KEYWORDS:
		r = ((void *(*)(void *, void *const *, intptr_t, void *))ti->sizeof_fn)(self, NULL, 0,
										   NULL);
		break;
	case PH_METH_METHOD | PH_METH_FASTCALL | PH_METH_KEYWORDS:
		r = ((void *(*)(void *, void *, void *const *, size_t, void *))ti->sizeof_fn)(
			self, (void *)ti->sizeof_cls, NULL, 0, NULL);
		break;
	default:
		return false;
	}
	v = r ? py->long_as_ssize(r) : -1;
	if (r)
		py->decref(r);
	if (v < 0) {
		if (py->err_occurred()) {
			void *t, *e, *tb;

			py->err_fetch(&t, &e, &tb);
			py->decref(t);
			py->decref(e);
			py->decref(tb);
		}
		R->sizeof_failed++;
		return false;
	}
	*size = (uint64_t)v;
	return true;
}

uint64_t ph_record_size(struct ph_record *R, const struct ph_tinfo *ti, uintptr_t o, bool is_gc,
			bool readable)
{
	const struct ph_py *py = R->py;
	const struct ph_l_objects *L = py->L->obj;
	uint64_t size = 0;

	switch (readable ? ti->sizer : PH_SZ_OBJECT) {
	case PH_SZ_STR:
		size = ph_str_sizeof(py, o);
		break;
	case PH_SZ_INT:
		size = ph_int_sizeof(py, o);
		break;
	case PH_SZ_LIST:
		size = (uint64_t)ti->basicsize + 8 * ph_rd(o, PH_OFF_LIST_ALLOCATED);
		break;
	case PH_SZ_DICT:
		size = (uint64_t)py->dict_sizeof((void *)o);
		break;
	case PH_SZ_SET:
		size = (uint64_t)ti->basicsize;
		if (ph_rd(o, L->set_table) != o + (uintptr_t)L->set_smalltable)
			size += PH_SIZE_SET_ENTRY * (ph_rd(o, L->set_mask) + 1);
		break;
	case PH_SZ_CALL:
		if (call_sizeof(R, ti, o, &size))
			break;
		/* fall through */
	default:
		size = (uint64_t)ti->basicsize;
		if (ti->itemsize)
			size += (uint64_t)(ph_ob_size(o) * ti->itemsize);
		break;
	}
	return size + preheader(py, ti, o, is_gc);
}

/* UTF-8 text of str s into the value (TEXT), at most TEXT_MAX bytes. */
static int text_of_str(struct ph_record *R, uintptr_t s, struct ph_value *v)
{
	const uint8_t *data;
	size_t len;
	bool trunc;
	int err;

	err = ph_str_text(R->py, s, TEXT_MAX, &R->vbuf, &data, &len, &trunc);
	if (err <= 0)
		return err;
	v->kind = PH_FMT_VAL_TEXT;
	v->data = data;
	v->data_len = len;
	v->flags = trunc ? PH_FMT_VALF_TRUNCATED : 0;
	return 0;
}

int ph_record_value(struct ph_record *R, const struct ph_tinfo *ti, uintptr_t o,
		    struct ph_value *v)
{
	const struct ph_py *py = R->py;
	const struct ph_layout *L = py->L;

	memset(v, 0, sizeof(*v));
	switch (ti->kind) {
	case PH_K_STR: {
		struct ph_str s;
		bool hide, trunc;
		size_t len;
		int err;

		ph_str_read(py, o, &s);
		hide = R->no_values && !R->name_str;
		v->kind = PH_FMT_VAL_STR;
		v->length = s.length;
		err = ph_str_utf8(&s, hide ? 0 : (size_t)R->max_value, &R->vbuf, &v->data, &len,
				  &trunc);
		v->data_len = len;
		if (hide)
			v->flags = s.length ? PH_FMT_VALF_OMITTED : 0;
		else if (trunc)
			v->flags = PH_FMT_VALF_TRUNCATED;
		return err;
	}
	case PH_K_BYTES: {
		int64_t n = ph_ob_size(o);

		v->kind = PH_FMT_VAL_BYTES;
		v->length = n > 0 ? (uint64_t)n : 0;
		if (R->no_values) {
			v->flags = n > 0 ? PH_FMT_VALF_OMITTED : 0;
			return 0;
		}
		v->data = (const uint8_t *)(o + PH_OFF_BYTES_DATA);
		v->data_len = v->length < R->max_value ? v->length : R->max_value;
		v->flags = v->data_len < v->length ? PH_FMT_VALF_TRUNCATED : 0;
		return 0;
	}
	case PH_K_BOOL:
		v->kind = PH_FMT_VAL_BOOL;
		v->b = o == py->true_;
		return 0;
	case PH_K_INT: {
		struct ph_int iv;
		bool trunc;
		int err;

		ph_int_read(py, o, &iv);
		if (R->no_values) {
			/* an int is data: its kind is kept, and a big one's bit length */
			v->kind = iv.fits ? PH_FMT_VAL_INT : PH_FMT_VAL_BIGINT;
			v->length = iv.fits ? 0 : iv.bits;
			v->flags = PH_FMT_VALF_OMITTED;
			return 0;
		}
		if (iv.fits) {
			v->kind = PH_FMT_VAL_INT;
			v->i = iv.value;
			return 0;
		}
		err = ph_int_magnitude(py, &iv,
				       R->max_value > BIGINT_MIN_CAP ? (size_t)R->max_value
								     : BIGINT_MIN_CAP,
				       &R->vbuf, &trunc);
		v->kind = PH_FMT_VAL_BIGINT;
		v->sign = iv.negative;
		v->length = iv.bits;
		v->data = R->vbuf.data;
		v->data_len = R->vbuf.len;
		v->flags = trunc ? PH_FMT_VALF_TRUNCATED : 0;
		return err;
	}
	case PH_K_FLOAT: {
		double d;

		memcpy(&d, (const void *)(o + PH_OFF_FLOAT_VALUE), sizeof(d));
		v->kind = PH_FMT_VAL_FLOAT;
		v->f = R->no_values ? 0.0 : d;
		v->flags = R->no_values ? PH_FMT_VALF_OMITTED : 0;
		return 0;
	}
	case PH_K_NONE:
		v->kind = o == py->none ? PH_FMT_VAL_NONE : 0;
		return 0;
	case PH_K_MODULE: {
		uintptr_t name = L->obj->md_name >= 0 ? ph_rd(o, L->obj->md_name) : 0;

		if (!name)
			name = ph_dict_get(py, ph_rd(o, L->obj->md_dict), "__name__");
		return text_of_str(R, name, v);
	}
	case PH_K_FUNCTION:
		return text_of_str(R, ph_rd(o, L->fn->qualname), v);
	case PH_K_CODE: {
		int32_t name = L->co->qualname >= 0 ? L->co->qualname : L->co->name;

		return text_of_str(R, ph_rd(o, name), v);
	}
	case PH_K_TYPE: {
		struct ph_tinfo *self;
		int err = ph_types_get(R->T, o, &self);

		if (err || !self || !self->name)
			return err;
		v->kind = PH_FMT_VAL_TEXT;
		v->data = (const uint8_t *)self->name;
		v->data_len = strlen(self->name);
		return 0;
	}
	default:
		return 0;
	}
}
