/* SPDX-License-Identifier: MIT */
/*
 * roots.c - deriving roots (see roots.h).
 */
#include "analyze/roots.h"

#include <stdlib.h>
#include <string.h>

#include "common/error.h"

static inline void bump(uint32_t *found, uint32_t id)
{
	if (found[id] != UINT32_MAX)
		found[id]++;
}

static int push(struct ph_roots *r, size_t *cap, uint32_t object, uint8_t why, uint32_t val)
{
	int err = PH_ARRAY_RESERVE(r->list, *cap, r->n + 1);

	if (err)
		return err;
	r->list[r->n].object = object;
	r->list[r->n].why = why;
	r->list[r->n].val = val;
	r->n++;
	return 0;
}

int ph_roots_derive(const struct ph_heap *h, struct ph_roots *r)
{
	uint32_t *found;
	size_t cap = 0;
	int err = 0;

	memset(r, 0, sizeof(*r));
	found = calloc((size_t)h->n_objects + 1, sizeof(*found));
	if (!found) {
		err = ph_error(PH_ENOMEM, "cannot allocate reference counts for %u objects",
			       h->n_objects);
		goto out_free;
	}
	/* references found in the dump */
	for (uint64_t e = 0; e < h->n_edges; e++)
		if (!(h->out_kind[e] & PH_EDGE_WEAK))
			bump(found, h->out_tgt[e]);
	for (size_t i = 0; i < h->n_locals; i++)
		if (h->locals[i].object != PH_NO_ID) {
			bump(found, h->locals[i].object);
			r->n_locals++;
		}
	for (uint32_t v = 0; v < h->n_objects; v++) {
		const struct ph_heap_type *t = &h->types[h->type[v]];
		bool has_edge = false;

		if (!(t->flags & PH_TPFLAGS_HEAPTYPE) || t->object == PH_NO_ID)
			continue;
		for (uint32_t e = h->out_off[v]; e < h->out_off[v + 1] && !has_edge; e++)
			has_edge = h->out_tgt[e] == t->object;
		if (!has_edge)
			bump(found, t->object);
	}
	/* ROOTS records, in file order */
	for (size_t i = 0; i < h->n_roots && !err; i++) {
		const struct ph_heap_root *hr = &h->roots[i];

		if (hr->object == PH_NO_ID)
			continue;
		bump(found, hr->object);
		err = push(r, &cap, hr->object, PH_LABEL_ROOT, (uint32_t)i);
		r->n_record++;
		r->by_kind[hr->kind <= PH_FMT_ROOT_OTHER ? hr->kind : PH_FMT_ROOT_OTHER]++;
	}
	/*
	 * held from outside the dump: an object a ROOTS record names too, when
	 * its count says more (3.8-3.10's builtins dict has one reference more
	 * than its record and the dump's edges)
	 */
	for (uint32_t v = 0; v < h->n_objects && !err; v++) {
		uint64_t missing;

		if (h->flags[v] & (PH_FMT_OBJ_IMMORTAL | PH_FMT_OBJ_STATIC))
			continue;
		if (h->refcount[v] <= found[v])
			continue;
		missing = h->refcount[v] - found[v];
		err = push(r, &cap, v, PH_LABEL_HELD,
			   missing < UINT32_MAX ? (uint32_t)missing : UINT32_MAX);
		r->n_held++;
	}
	/* immortal and static objects */
	for (uint32_t v = 0; v < h->n_objects && !err; v++)
		if (h->flags[v] & (PH_FMT_OBJ_IMMORTAL | PH_FMT_OBJ_STATIC)) {
			err = push(r, &cap, v, PH_LABEL_STATIC, 0);
			r->n_static++;
		}
out_free:
	free(found);
	if (err)
		ph_roots_release(r);
	return err;
}

void ph_roots_release(struct ph_roots *r)
{
	free(r->list);
	memset(r, 0, sizeof(*r));
}
