/* SPDX-License-Identifier: MIT */
/*
 * analysis.h - a dump opened for analysis: the loaded heap, its graph with
 * roots, the dominator tree and retained sizes, computed once, in that order.
 *
 * Every command starts here: ph_analysis_open() does the whole pipeline
 * (load, roots, in-edges, dominators, retained sizes) and records how long
 * each stage took. The dominator tree as child lists is built on demand.
 *
 * Ownership: ph_analysis_free() frees everything, the heap included.
 */
#ifndef PH_ANALYZE_ANALYSIS_H
#define PH_ANALYZE_ANALYSIS_H

#include <stdbool.h>

#include "analyze/dominators.h"
#include "analyze/graph.h"
#include "analyze/heap.h"
#include "analyze/retained.h"

struct ph_analysis {
	struct ph_heap *h;
	struct ph_graph g;
	struct ph_dominators d;
	struct ph_retained r;
	struct ph_domtree t;
	bool have_tree;
	/* seconds spent in each stage */
	double t_load, t_graph, t_dominators, t_retained;
};

/* Open and analyze the dump at path. *out is freed by the caller with ph_analysis_free(). */
int ph_analysis_open(struct ph_analysis **out, const char *path, ph_progress_fn *progress,
		     void *ctx);

/*
 * The heap and its graph only: no dominators, no retained sizes (a->d and
 * a->r stay empty), for the analyses that need neither (waste.h). Faster,
 * and the memory the dominators take is never needed.
 */
int ph_analysis_open_graph(struct ph_analysis **out, const char *path, ph_progress_fn *progress,
			   void *ctx);

/*
 * Compute what ph_analysis_open_graph() left out (dominators, retained
 * sizes), if it is missing: an analysis can then use the memory the
 * dominators will need for something else first (leaks.h).
 */
int ph_analysis_complete(struct ph_analysis *a, ph_progress_fn *progress, void *ctx);

void ph_analysis_free(struct ph_analysis *a);

/* The dominator tree as child lists, built on first use; NULL on error (detail set). */
const struct ph_domtree *ph_analysis_tree(struct ph_analysis *a);

/* Retained size of the super-root: every object's size, reachable or not. */
static inline uint64_t ph_analysis_total(const struct ph_analysis *a)
{
	return a->r.size[a->g.super];
}

#endif
