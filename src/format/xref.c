/* SPDX-License-Identifier: MIT */
/*
 * xref.c - cross-reference checks shared by validate.c and analyze/heap.c
 * (see xref.h).
 */
#include "format/xref.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"

/* PH_ECORRUPT at the cursor's place, with this file's line. */
static int corrupt(const struct ph_cursor *c, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int corrupt(const struct ph_cursor *c, int line, const char *fmt, ...)
{
	char where[160], msg[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ph_cursor_where(c, where, sizeof(where));
	return ph_error(PH_ECORRUPT, "%s: %s [xref.c:%d]", where, msg, line);
}

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

		at.record--; /* the object record just read */
		return corrupt(&at, __LINE__,
			       "object size %llu makes the sizes of the objects add up to 2^64 bytes or more",
			       (unsigned long long)size);
	}
	x->total_size += size;
	return 0;
}

int ph_xref_source(const struct ph_cursor *c, uint64_t src, uint64_t saddr, const uint64_t *addr,
		   uint64_t n_objects, uint64_t prev)
{
	if (src >= n_objects)
		return corrupt(c, __LINE__, "edge source id %llu, but there are %llu objects",
			       (unsigned long long)src, (unsigned long long)n_objects);
	if (prev != UINT64_MAX && src < prev)
		return corrupt(c, __LINE__, "edge source id %llu after %llu: out of order",
			       (unsigned long long)src, (unsigned long long)prev);
	if (addr[src] != saddr)
		return corrupt(c, __LINE__,
			       "edge source id %llu at address 0x%llx, but that object is at 0x%llx",
			       (unsigned long long)src, (unsigned long long)saddr,
			       (unsigned long long)addr[src]);
	return 0;
}

int ph_xref_site(const struct ph_cursor *c, const struct ph_site_rec *s, uint64_t n_objects,
		 uint64_t n_tracebacks)
{
	if (s->object >= n_objects)
		return corrupt(c, __LINE__, "site of object id %llu, but there are %llu objects",
			       (unsigned long long)s->object, (unsigned long long)n_objects);
	if (s->traceback >= n_tracebacks)
		return corrupt(c, __LINE__, "site with traceback id %llu, but there are %llu tracebacks",
			       (unsigned long long)s->traceback, (unsigned long long)n_tracebacks);
	return 0;
}

int ph_xref_native(struct ph_xref *x, const struct ph_cursor *c, const struct ph_native_rec *n,
		   uint64_t n_objects, uint64_t prev)
{
	struct ph_cursor at = *c;

	at.record--; /* the record just read */
	if (n->id >= n_objects)
		return corrupt(&at, __LINE__, "native record for object id %llu, but there are %llu objects",
			       (unsigned long long)n->id, (unsigned long long)n_objects);
	if (prev != UINT64_MAX && n->id <= prev)
		return corrupt(&at, __LINE__,
			       "native record for object id %llu after %llu: out of order or twice",
			       (unsigned long long)n->id, (unsigned long long)prev);
	if (n->total > UINT64_MAX - x->total_native)
		return corrupt(&at, __LINE__, "native bytes add up to 2^64 bytes or more");
	x->total_native += n->total;
	return 0;
}

int ph_xref_total(uint64_t objects, uint64_t native, const char *name)
{
	if (native > UINT64_MAX - objects)
		return ph_error(PH_ECORRUPT,
				"%s: the sizes of the objects and their native bytes add up to 2^64 bytes or more",
				name);
	return 0;
}

int ph_xref_label(struct ph_xref *x, const struct ph_cursor *c, const struct ph_edge_rec *e)
{
	if (e->kind != PH_FMT_LABEL_FIELD && e->kind != PH_FMT_LABEL_INTERNAL)
		return 0;
	if (!e->label)
		return corrupt(c, __LINE__, "edge label names no string");
	ph_xref_sref(x, c, e->label);
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
	if (from->total_native > UINT64_MAX - to->total_native)
		return ph_error(PH_ECORRUPT,
				"%s: the native bytes of the NATIVE section add up to 2^64 bytes or more",
				name);
	to->total_native += from->total_native;
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
