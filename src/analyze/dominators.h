/* SPDX-License-Identifier: MIT */
/*
 * dominators.h - the dominator tree of the analysis graph (Semi-NCA).
 *
 * Node d dominates node v when every path from the super-root to v passes
 * through d; idom[v] is the closest such d other than v. Weak edges are left
 * out: a weak reference keeps nothing alive.
 *
 * Objects no root reaches (garbage awaiting collection) are not dropped:
 * after every live node is numbered, the unreachable node adopts "entries" -
 * first the garbage objects no strong edge points to, then, for garbage
 * cycles with no such object, the lowest-numbered object not yet reached -
 * and the dominator tree extends below it. Edges from garbage into live
 * objects are ignored, so garbage never changes a live object's dominator.
 *
 * The algorithm is Semi-NCA (Georgiadis 2005; as in LLVM's
 * GenericDomTreeConstruction): an iterative depth-first numbering (no
 * recursion: the "stack" is the DFS parent array), semidominators by
 * path-compressing eval over in-edges in reverse preorder, then each idom as
 * the nearest common ancestor of its DFS parent and its semidominator.
 * Memory while it runs: six uint32 arrays of n_nodes; afterwards it keeps
 * idom[], order[] and two bitmaps.
 *
 * Ownership: the result owns its arrays; ph_dominators_release() frees them.
 */
#ifndef PH_ANALYZE_DOMINATORS_H
#define PH_ANALYZE_DOMINATORS_H

#include <stdbool.h>
#include <stdint.h>

#include "analyze/graph.h"

struct ph_dominators {
	uint32_t n_nodes;
	uint32_t *idom;  /* by node; idom[super] == super */
	uint32_t *order; /* nodes in DFS preorder; order[0] == super; a node's idom comes first */
	uint32_t n_live; /* order[0..n_live) are reached from the roots; the unreachable node is order[n_live] */
	uint64_t *garbage; /* bitmap: object not reached from any root */
	uint64_t *entry;   /* bitmap: garbage object adopted by the unreachable node */
	uint32_t n_garbage;  /* objects */
	uint64_t garbage_size;
	uint64_t garbage_native; /* native bytes of the unreachable objects */
};

/* progress may be NULL. 0 or PH_ENOMEM. */
int ph_dominators_compute(struct ph_dominators *d, const struct ph_graph *g,
			  ph_progress_fn *progress, void *ctx);

void ph_dominators_release(struct ph_dominators *d);

static inline bool ph_bit(const uint64_t *bits, uint32_t i)
{
	return bits[i >> 6] >> (i & 63) & 1;
}

static inline void ph_bit_set(uint64_t *bits, uint32_t i)
{
	bits[i >> 6] |= 1ULL << (i & 63);
}

#endif
