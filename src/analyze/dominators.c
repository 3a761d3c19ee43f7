/* SPDX-License-Identifier: MIT */
/*
 * dominators.c - Semi-NCA dominators over the analysis graph (see
 * dominators.h).
 *
 * Arrays indexed by preorder number i (0 is the super-root):
 *   vert[i]   the node numbered i
 *   par[i]    its DFS parent's number; during the semidominator pass, the
 *             path-compressed ancestor in the forest of processed nodes
 *   semi[i]   during the DFS, the node's edge cursor; then its semidominator
 *   label[i]  the number on the compressed path with the smallest semi
 *   idom[i]   the DFS parent, then the immediate dominator's number
 * and num[v], the number of node v (UNSEEN before the DFS reaches it).
 */
#include "analyze/dominators.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"

#define UNSEEN UINT32_MAX

struct snca {
	const struct ph_graph *g;
	uint32_t *num, *vert, *par, *semi, *label, *idom;
	uint32_t *stack;
	size_t stack_cap;
};

/* Where node v's edge cursor starts. */
static uint32_t cursor_start(const struct ph_graph *g, uint32_t v)
{
	if (v < g->n)
		return g->h->out_off[v];
	if (v == g->unreachable)
		return 0;
	return g->syn_off[v - g->n];
}

/* Whether a strong edge from an object points to garbage object v (all of whose sources are garbage). */
static bool has_strong_pred(const struct ph_graph *g, uint32_t v)
{
	for (uint32_t i = g->in_off[v]; i < g->in_off[v + 1]; i++)
		if (!(g->in_src[i] & PH_IN_WEAK))
			return true;
	return false;
}

/*
 * The next child of node v not yet numbered, advancing *cur; UNSEEN when
 * there is none. The unreachable node's cursor scans object ids twice: first
 * for garbage no strong edge points to, then for any garbage left (cycles).
 */
static uint32_t next_child(const struct snca *s, uint32_t v, uint32_t *cur)
{
	const struct ph_graph *g = s->g;
	const struct ph_heap *h = g->h;
	uint32_t c = *cur, end, w = UNSEEN;

	if (v < g->n) {
		for (end = h->out_off[v + 1]; c < end; c++)
			if (!(h->out_kind[c] & PH_EDGE_WEAK) && s->num[h->out_tgt[c]] == UNSEEN) {
				w = h->out_tgt[c++];
				break;
			}
	} else if (v == g->unreachable) {
		for (end = 2 * g->n; c < end; c++) {
			uint32_t o = c < g->n ? c : c - g->n;

			if (s->num[o] == UNSEEN && (c >= g->n || !has_strong_pred(g, o))) {
				w = o;
				c++;
				break;
			}
		}
	} else {
		for (end = g->syn_off[v - g->n + 1]; c < end; c++)
			if (s->num[g->syn_tgt[c]] == UNSEEN) {
				w = g->syn_tgt[c++];
				break;
			}
	}
	*cur = c;
	return w;
}

/* Number every node in DFS preorder from the super-root; returns the unreachable node's number. */
static uint32_t number(struct snca *s)
{
	const struct ph_graph *g = s->g;
	uint32_t k = 0, c = 0, boundary = 0;

	memset(s->num, 0xff, (size_t)g->n_nodes * sizeof(*s->num));
	s->num[g->super] = 0;
	s->vert[0] = g->super;
	s->par[0] = 0;
	s->semi[0] = cursor_start(g, g->super);
	for (;;) {
		uint32_t w = next_child(s, s->vert[c], &s->semi[c]);

		if (w != UNSEEN) {
			k++;
			if (w == g->unreachable)
				boundary = k;
			s->num[w] = k;
			s->vert[k] = w;
			s->par[k] = c;
			s->semi[k] = cursor_start(g, w);
			c = k;
		} else if (c == 0) {
			break;
		} else {
			c = s->par[c];
		}
	}
	assert(k + 1 == g->n_nodes); /* threads and frames hang from super, garbage from unreachable */
	return boundary;
}

/* The number with the smallest semi on the path from i to the root of its tree among nodes >= last. */
static int eval(struct snca *s, uint32_t i, uint32_t last, uint32_t *out)
{
	uint32_t *par = s->par, *label = s->label, *semi = s->semi;
	size_t top = 0;
	uint32_t p, plabel;

	if (par[i] < last) {
		*out = label[i];
		return 0;
	}
	do {
		if (top == s->stack_cap) {
			int err = PH_ARRAY_RESERVE(s->stack, s->stack_cap, top + 1);

			if (err)
				return err;
		}
		s->stack[top++] = i;
		i = par[i];
	} while (par[i] >= last);
	p = i;
	plabel = label[p];
	do {
		uint32_t v = s->stack[--top];

		par[v] = par[p];
		if (semi[plabel] < semi[label[v]])
			label[v] = plabel;
		else
			plabel = label[v];
		p = v;
	} while (top);
	*out = label[p];
	return 0;
}

static int semidominators(struct snca *s, uint32_t boundary, ph_progress_fn *progress, void *ctx)
{
	const struct ph_graph *g = s->g;
	uint32_t total = g->n_nodes;

	for (uint32_t i = 0; i < total; i++) {
		s->idom[i] = s->par[i];
		s->semi[i] = i;
		s->label[i] = i;
	}
	for (uint32_t i = total - 1; i >= 1; i--) {
		uint32_t w = s->vert[i];
		uint32_t best = s->par[i];

		for (uint32_t e = g->in_off[w]; e < g->in_off[w + 1]; e++) {
			uint32_t src = g->in_src[e], j, u;
			int err;

			if (src & PH_IN_WEAK)
				continue;
			j = s->num[src];
			if (j >= boundary && i < boundary)
				continue; /* garbage keeps nothing live */
			if ((err = eval(s, j, i + 1, &u)))
				return err;
			if (s->semi[u] < best)
				best = s->semi[u];
		}
		s->semi[i] = best;
		if (progress && (i & 0xfffff) == 0)
			progress(ctx, "dominators", total - i, total);
	}
	for (uint32_t i = 1; i < total; i++) {
		uint32_t d = s->idom[i];

		while (d > s->semi[i])
			d = s->idom[d];
		s->idom[i] = d;
	}
	return 0;
}

int ph_dominators_compute(struct ph_dominators *d, const struct ph_graph *g,
			  ph_progress_fn *progress, void *ctx)
{
	struct snca s;
	size_t n = g->n_nodes, words = ((size_t)g->n >> 6) + 1;
	uint32_t boundary;
	int err = 0;

	memset(d, 0, sizeof(*d));
	memset(&s, 0, sizeof(s));
	s.g = g;
	s.num = malloc(n * sizeof(uint32_t));
	s.vert = malloc(n * sizeof(uint32_t));
	s.par = malloc(n * sizeof(uint32_t));
	s.semi = malloc(n * sizeof(uint32_t));
	s.label = malloc(n * sizeof(uint32_t));
	s.idom = malloc(n * sizeof(uint32_t));
	d->garbage = calloc(words, sizeof(uint64_t));
	d->entry = calloc(words, sizeof(uint64_t));
	if (!s.num || !s.vert || !s.par || !s.semi || !s.label || !s.idom || !d->garbage ||
	    !d->entry) {
		err = ph_error(PH_ENOMEM, "cannot allocate the dominator arrays for %zu nodes", n);
		goto out_free;
	}
	if (progress)
		progress(ctx, "numbering", 0, 1);
	boundary = number(&s);
	d->n_nodes = g->n_nodes;
	d->n_live = boundary;
	for (uint32_t i = boundary + 1; i < n; i++) {
		uint32_t v = s.vert[i];

		ph_bit_set(d->garbage, v);
		if (s.par[i] == boundary)
			ph_bit_set(d->entry, v);
		d->n_garbage++;
		d->garbage_size += g->h->size[v];
		d->garbage_native += ph_heap_native(g->h, v);
	}
	err = semidominators(&s, boundary, progress, ctx);
	if (err)
		goto out_free;
	/* idom by node, into label (no longer needed), which becomes d->idom */
	for (uint32_t v = 0; v < n; v++)
		s.label[v] = s.vert[s.idom[s.num[v]]];
	d->idom = s.label;
	d->order = s.vert;
	s.label = NULL;
	s.vert = NULL;
out_free:
	free(s.num);
	free(s.vert);
	free(s.par);
	free(s.semi);
	free(s.label);
	free(s.idom);
	free(s.stack);
	if (err)
		ph_dominators_release(d);
	return err;
}

void ph_dominators_release(struct ph_dominators *d)
{
	free(d->idom);
	free(d->order);
	free(d->garbage);
	free(d->entry);
	memset(d, 0, sizeof(*d));
}
