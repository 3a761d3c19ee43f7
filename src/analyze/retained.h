/* SPDX-License-Identifier: MIT */
/*
 * retained.h - retained sizes, and the dominator tree as child lists.
 *
 * The retained size of a node is the sum of the shallow sizes of the
 * objects it dominates, itself included: what would become free if it went
 * away. Synthetic nodes have no size of their own, so a thread's (frame's)
 * retained size is what only that thread (frame) keeps alive, and the
 * super-root's is every object's size. One pass in reverse DFS preorder
 * (each node comes after its immediate dominator in preorder) adds every
 * node into its dominator. The same pass counts the objects retained.
 *
 * ph_domtree_build() turns idom[] into child lists (CSR), children of a
 * node in preorder, for views that walk the tree downwards.
 *
 * Ownership: the structures own their arrays; release functions free them.
 */
#ifndef PH_ANALYZE_RETAINED_H
#define PH_ANALYZE_RETAINED_H

#include <stdint.h>

#include "analyze/dominators.h"
#include "analyze/graph.h"

struct ph_retained {
	uint64_t *size;  /* by node */
	uint32_t *count; /* by node: objects retained, itself included */
};

int ph_retained_compute(struct ph_retained *r, const struct ph_graph *g,
			const struct ph_dominators *d);
void ph_retained_release(struct ph_retained *r);

struct ph_domtree {
	uint32_t *off;  /* n_nodes + 1 */
	uint32_t *kids; /* children of v: kids[off[v]] .. kids[off[v+1]-1], in preorder */
};

int ph_domtree_build(struct ph_domtree *t, const struct ph_dominators *d);
void ph_domtree_release(struct ph_domtree *t);

#endif
