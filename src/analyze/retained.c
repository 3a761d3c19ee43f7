/* SPDX-License-Identifier: MIT */
/*
 * retained.c - retained sizes and dominator-tree child lists (see
 * retained.h).
 */
#include "analyze/retained.h"

#include <stdlib.h>
#include <string.h>

#include "common/error.h"

int ph_retained_compute(struct ph_retained *r, const struct ph_graph *g,
			const struct ph_dominators *d)
{
	size_t n = d->n_nodes;

	memset(r, 0, sizeof(*r));
	r->size = malloc(n * sizeof(*r->size));
	r->count = malloc(n * sizeof(*r->count));
	if (!r->size || !r->count) {
		ph_retained_release(r);
		return ph_error(PH_ENOMEM, "cannot allocate retained sizes for %zu nodes", n);
	}
	for (uint32_t v = 0; v < g->n; v++) {
		r->size[v] = ph_heap_owned(g->h, v);
		r->count[v] = 1;
	}
	for (uint32_t v = g->n; v < n; v++) {
		r->size[v] = 0;
		r->count[v] = 0;
	}
	for (size_t i = n; i-- > 1;) {
		uint32_t v = d->order[i], p = d->idom[v];

		r->size[p] += r->size[v];
		r->count[p] += r->count[v];
	}
	return 0;
}

void ph_retained_release(struct ph_retained *r)
{
	free(r->size);
	free(r->count);
	memset(r, 0, sizeof(*r));
}

int ph_domtree_build(struct ph_domtree *t, const struct ph_dominators *d)
{
	size_t n = d->n_nodes;
	uint32_t *pos;

	memset(t, 0, sizeof(*t));
	t->off = calloc(n + 2, sizeof(*t->off));
	t->kids = malloc((n ? n : 1) * sizeof(*t->kids));
	if (!t->off || !t->kids) {
		ph_domtree_release(t);
		return ph_error(PH_ENOMEM, "cannot allocate the dominator tree of %zu nodes", n);
	}
	for (size_t i = 1; i < n; i++)
		t->off[d->idom[d->order[i]] + 2]++;
	for (size_t v = 0; v < n; v++)
		t->off[v + 2] += t->off[v + 1];
	pos = t->off + 1;
	for (size_t i = 1; i < n; i++) {
		uint32_t v = d->order[i];

		t->kids[pos[d->idom[v]]++] = v;
	}
	return 0;
}

void ph_domtree_release(struct ph_domtree *t)
{
	free(t->off);
	free(t->kids);
	memset(t, 0, sizeof(*t));
}
