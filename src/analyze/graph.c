/* SPDX-License-Identifier: MIT */
/*
 * graph.c - building the analysis graph (see graph.h).
 */
#include "analyze/graph.h"

#include <stdlib.h>
#include <string.h>

#include "common/error.h"

struct synb {
	struct ph_graph *g;
	size_t cap;
};

static int syn_edge(struct synb *b, uint32_t target, uint8_t kind, uint32_t val)
{
	struct ph_graph *g = b->g;

	if (g->n_syn >= b->cap) {
		size_t cap = b->cap;
		int err;

		if ((err = PH_ARRAY_RESERVE(g->syn_tgt, cap, (size_t)g->n_syn + 1)))
			return err;
		cap = b->cap;
		if ((err = PH_ARRAY_RESERVE(g->syn_kind, cap, (size_t)g->n_syn + 1)))
			return err;
		cap = b->cap;
		if ((err = PH_ARRAY_RESERVE(g->syn_val, cap, (size_t)g->n_syn + 1)))
			return err;
		b->cap = cap;
	}
	g->syn_tgt[g->n_syn] = target;
	g->syn_kind[g->n_syn] = kind;
	g->syn_val[g->n_syn] = val;
	g->n_syn++;
	return 0;
}

static int build_synthetic(struct ph_graph *g)
{
	const struct ph_heap *h = g->h;
	struct synb b = {g, 0};
	uint32_t n_syn_nodes = g->n_nodes - g->n;
	int err = 0;

	g->syn_off = calloc((size_t)n_syn_nodes + 1, sizeof(*g->syn_off));
	if (!g->syn_off)
		return ph_error(PH_ENOMEM, "cannot allocate the synthetic nodes");
	/* super */
	g->syn_off[0] = 0;
	for (size_t i = 0; i < g->roots.n && !err; i++)
		if (g->roots.list[i].why == PH_LABEL_ROOT)
			err = syn_edge(&b, g->roots.list[i].object, PH_LABEL_ROOT, g->roots.list[i].val);
	for (uint32_t t = 0; t < h->n_threads && !err; t++)
		err = syn_edge(&b, g->first_thread + t, PH_LABEL_THREAD, t);
	for (size_t i = 0; i < g->roots.n && !err; i++)
		if (g->roots.list[i].why != PH_LABEL_ROOT)
			err = syn_edge(&b, g->roots.list[i].object, g->roots.list[i].why,
				       g->roots.list[i].val);
	if (!err)
		err = syn_edge(&b, g->unreachable, PH_LABEL_UNREACHABLE, 0);
	/* unreachable: its edges are chosen by the dominator pass */
	g->syn_off[1] = g->n_syn;
	g->syn_off[2] = g->n_syn;
	/* threads */
	for (uint32_t t = 0; t < h->n_threads && !err; t++) {
		const struct ph_heap_thread *th = &h->threads[t];

		for (size_t f = th->first_frame; f < th->first_frame + th->n_frames && !err; f++)
			err = syn_edge(&b, g->first_frame + (uint32_t)f, PH_LABEL_FRAME, (uint32_t)f);
		g->syn_off[g->first_thread - g->n + t + 1] = g->n_syn;
	}
	/* frames */
	for (uint32_t f = 0; f < h->n_frames && !err; f++) {
		const struct ph_heap_frame *fr = &h->frames[f];

		for (size_t i = fr->first_local; i < fr->first_local + fr->n_locals && !err; i++)
			if (h->locals[i].object != PH_NO_ID)
				err = syn_edge(&b, h->locals[i].object, PH_LABEL_LOCAL, (uint32_t)i);
		if (!err && fr->frame != PH_NO_ID)
			err = syn_edge(&b, fr->frame, PH_LABEL_FRAME_OBJECT, 0);
		if (!err && fr->code != PH_NO_ID)
			err = syn_edge(&b, fr->code, PH_LABEL_FRAME_CODE, 0);
		g->syn_off[g->first_frame - g->n + f + 1] = g->n_syn;
	}
	return err;
}

static int build_in_edges(struct ph_graph *g)
{
	const struct ph_heap *h = g->h;
	uint64_t total = h->n_edges + g->n_syn;
	uint32_t *pos;

	if (total >= PH_IN_WEAK)
		return ph_error(PH_ELIMIT, "%llu edges: more than pyheap can analyze",
				(unsigned long long)total);
	g->in_off = calloc((size_t)g->n_nodes + 2, sizeof(*g->in_off));
	g->in_src = malloc((total ? total : 1) * sizeof(*g->in_src));
	if (!g->in_off || !g->in_src)
		return ph_error(PH_ENOMEM, "cannot allocate the in-edges of %u nodes", g->n_nodes);
	/* count into in_off[v + 2], prefix-sum into in_off[v + 1], fill moving in_off[v + 1] */
	for (uint64_t e = 0; e < h->n_edges; e++)
		g->in_off[h->out_tgt[e] + 2]++;
	for (uint32_t e = 0; e < g->n_syn; e++)
		g->in_off[g->syn_tgt[e] + 2]++;
	for (uint32_t v = 0; v < g->n_nodes; v++)
		g->in_off[v + 2] += g->in_off[v + 1];
	pos = g->in_off + 1;
	for (uint32_t v = 0; v < g->n; v++)
		for (uint32_t e = h->out_off[v]; e < h->out_off[v + 1]; e++)
			g->in_src[pos[h->out_tgt[e]]++] =
				v | (h->out_kind[e] & PH_EDGE_WEAK ? PH_IN_WEAK : 0);
	for (uint32_t v = g->n; v < g->n_nodes; v++)
		for (uint32_t e = g->syn_off[v - g->n]; e < g->syn_off[v - g->n + 1]; e++)
			g->in_src[pos[g->syn_tgt[e]]++] = v;
	return 0;
}

int ph_graph_build(struct ph_graph *g, const struct ph_heap *h)
{
	uint64_t nodes;
	int err;

	memset(g, 0, sizeof(*g));
	g->h = h;
	g->n = h->n_objects;
	nodes = (uint64_t)h->n_objects + 2 + h->n_threads + h->n_frames;
	if (nodes >= PH_IN_WEAK)
		return ph_error(PH_ELIMIT, "%llu nodes: more than pyheap can analyze",
				(unsigned long long)nodes);
	g->n_nodes = (uint32_t)nodes;
	g->super = g->n;
	g->unreachable = g->n + 1;
	g->first_thread = g->n + 2;
	g->first_frame = g->first_thread + (uint32_t)h->n_threads;
	err = ph_roots_derive(h, &g->roots);
	if (!err)
		err = build_synthetic(g);
	if (!err)
		err = build_in_edges(g);
	if (err)
		ph_graph_release(g);
	return err;
}

void ph_graph_release(struct ph_graph *g)
{
	ph_roots_release(&g->roots);
	free(g->syn_off);
	free(g->syn_tgt);
	free(g->syn_kind);
	free(g->syn_val);
	free(g->in_off);
	free(g->in_src);
	memset(g, 0, sizeof(*g));
}
