/* SPDX-License-Identifier: MIT */
/*
 * graph.h - the analysis graph: a heap's objects plus synthetic nodes.
 *
 * Node ids: 0..n-1 are the object ids of the heap; then
 *   super        = n        the super-root, above every root
 *   unreachable  = n + 1    the parent of what no root reaches (garbage);
 *                           its edges are chosen by the dominator pass
 *   thread t     = n + 2 + t
 *   frame f      = n + 2 + n_threads + f
 * so that "what becomes free if this thread (frame) went away" is the
 * retained size of its node: super -> thread -> frame -> locals.
 *
 * Edges of an object node are the heap's out-edges (heap.h). Synthetic nodes
 * have their own CSR (syn_*), labelled with the synthetic PH_LABEL_* kinds:
 *   super  -> ROOT (per ROOTS record), THREAD (per thread), HELD, STATIC
 *             (per derived root), UNREACHABLE (last)
 *   thread -> FRAME (per frame, innermost first)
 *   frame  -> LOCAL (per local that is an object), FRAME_OBJECT, FRAME_CODE
 *
 * In-edges of every node, CSR: the sources of edges into v are
 * in_src[i] & PH_IN_SRC for in_off[v] <= i < in_off[v+1], sorted by source;
 * PH_IN_WEAK is set on weak edges.
 *
 * Ownership: the graph borrows the heap (which must outlive it) and owns
 * its arrays and roots; ph_graph_release() frees them.
 */
#ifndef PH_ANALYZE_GRAPH_H
#define PH_ANALYZE_GRAPH_H

#include <stdbool.h>
#include <stdint.h>

#include "analyze/heap.h"
#include "analyze/roots.h"

#define PH_IN_WEAK 0x80000000u
#define PH_IN_SRC  0x7fffffffu

struct ph_graph {
	const struct ph_heap *h;
	struct ph_roots roots;
	uint32_t n;       /* objects */
	uint32_t n_nodes; /* all nodes */
	uint32_t super, unreachable, first_thread, first_frame;
	/* synthetic out-edges of nodes n..n_nodes-1: syn_off[v - n] .. syn_off[v - n + 1] */
	uint32_t *syn_off;
	uint32_t *syn_tgt;
	uint8_t *syn_kind;
	uint32_t *syn_val;
	uint32_t n_syn;
	/* in-edges of every node */
	uint32_t *in_off; /* n_nodes + 1 */
	uint32_t *in_src;
};

/* Build the graph of h (borrowed): roots, synthetic nodes, in-edges. 0 or an error. */
int ph_graph_build(struct ph_graph *g, const struct ph_heap *h);

void ph_graph_release(struct ph_graph *g);

/* Edge range of node v and the arrays to read it from (object or synthetic). */
struct ph_edges {
	const uint32_t *tgt;
	const uint8_t *kind;
	const uint32_t *val;
	uint64_t begin, end;
};

static inline void ph_graph_out(const struct ph_graph *g, uint32_t v, struct ph_edges *e)
{
	if (v < g->n) {
		e->tgt = g->h->out_tgt;
		e->kind = g->h->out_kind;
		e->val = g->h->out_val;
		e->begin = g->h->out_off[v];
		e->end = g->h->out_off[v + 1];
	} else {
		e->tgt = g->syn_tgt;
		e->kind = g->syn_kind;
		e->val = g->syn_val;
		e->begin = g->syn_off[v - g->n];
		e->end = g->syn_off[v - g->n + 1];
	}
}

static inline bool ph_graph_is_thread(const struct ph_graph *g, uint32_t v)
{
	return v >= g->first_thread && v < g->first_frame;
}

static inline bool ph_graph_is_frame(const struct ph_graph *g, uint32_t v)
{
	return v >= g->first_frame && v < g->n_nodes;
}

#endif
