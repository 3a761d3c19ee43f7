/* SPDX-License-Identifier: MIT */
/*
 * xref.c - cross-reference checks shared by validate.c and analyze/heap.c
 * (see xref.h).
 */
#include "format/xref.h"

#include <stdlib.h>
#include <string.h>

#include "common/error.h"

void ph_xref_type(struct ph_xref *x, const struct ph_cursor *c, uint64_t id)
{
	if (id == UINT64_MAX)
		id--; /* still out of range for any count of types a file can hold */
	if (id + 1 > x->max_type) {
		x->max_type = id + 1;
		ph_cursor_where(c, x->type_where, sizeof(x->type_where));
	}
}

void ph_xref_sref(struct ph_xref *x, const struct ph_cursor *c, uint64_t sref)
{
	if (sref > x->max_sref) {
		x->max_sref = sref;
		ph_cursor_where(c, x->sref_where, sizeof(x->sref_where));
	}
}

int ph_xref_size(struct ph_xref *x, const struct ph_cursor *c, uint64_t size)
{
	if (size > UINT64_MAX - x->total_size) {
		struct ph_cursor at = *c;
		char where[160];

		at.record--; /* the object record just read */
		ph_cursor_where(&at, where, sizeof(where));
		return ph_error(PH_ECORRUPT,
				"%s: object size %llu makes the sizes of the objects add up to 2^64 bytes or more [xref.c:%d]",
				where, (unsigned long long)size, __LINE__);
	}
	x->total_size += size;
	return 0;
}

int ph_xref_merge(struct ph_xref *to, const struct ph_xref *from, const char *name)
{
	if (from->max_type > to->max_type) {
		to->max_type = from->max_type;
		memcpy(to->type_where, from->type_where, sizeof(to->type_where));
	}
	if (from->max_sref > to->max_sref) {
		to->max_sref = from->max_sref;
		memcpy(to->sref_where, from->sref_where, sizeof(to->sref_where));
	}
	if (from->total_size > UINT64_MAX - to->total_size)
		return ph_error(PH_ECORRUPT,
				"%s: the sizes of the objects of the OBJECTS section add up to 2^64 bytes or more",
				name);
	to->total_size += from->total_size;
	return 0;
}

int ph_xref_check(const struct ph_xref *x, const char *name, uint64_t n_types,
		  uint64_t n_strings)
{
	if (x->max_type > n_types)
		return ph_error(PH_ECORRUPT, "%s: %s refers to type id %llu, but there are %llu types",
				name, x->type_where, (unsigned long long)(x->max_type - 1),
				(unsigned long long)n_types);
	if (x->max_sref > n_strings)
		return ph_error(PH_ECORRUPT, "%s: %s refers to string %llu, but there are %llu strings",
				name, x->sref_where, (unsigned long long)(x->max_sref - 1),
				(unsigned long long)n_strings);
	return 0;
}

int ph_xref_bases(const char *name, uint64_t n, uint64_t (*base_of)(const void *ctx, uint64_t i),
		  const void *ctx)
{
	uint8_t *color = calloc(n ? n : 1, 1); /* 0 new, 1 on the current chain, 2 done */
	int err = 0;

	if (!color)
		return ph_error(PH_ENOMEM, "cannot allocate %llu bytes", (unsigned long long)n);
	for (uint64_t i = 0; i < n && !err; i++) {
		uint64_t t = i, b;

		while (color[t] == 0) {
			color[t] = 1;
			if (!(b = base_of(ctx, t)))
				break;
			t = b - 1;
			if (color[t] == 1) {
				err = ph_error(PH_ECORRUPT,
					       "%s: the base chain of type %llu loops back to type %llu",
					       name, (unsigned long long)i, (unsigned long long)t);
				break;
			}
		}
		for (t = i; color[t] == 1;) {
			color[t] = 2;
			if (!(b = base_of(ctx, t)))
				break;
			t = b - 1;
		}
	}
	free(color);
	return err;
}
