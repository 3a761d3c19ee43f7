/* SPDX-License-Identifier: MIT */
/*
 * paths.h - shortest paths from the roots to an object, over strong edges.
 *
 * A path is the list of steps after the super-root: steps[0] is reached by
 * one of the super-root's edges (a ROOTS record, a thread, a held or static
 * object, or the unreachable node), each later step by an edge of the step
 * before (its index in that node's edge arrays, or PH_EDGE_ADOPTED for an
 * entry adopted by the unreachable node). ph_path_expr() writes it as a
 * Python expression: sys.modules['app'].__dict__['cache'][3].payload.
 *
 * Roots are not equal: paths that start at a ROOTS record or a thread's
 * frame ("named" roots) are preferred to paths from objects held from
 * outside the dump or static objects, even when longer; those come only
 * when no named root reaches the object (or, in ph_paths_to(), to fill up
 * the count asked for). Garbage is reached from the unreachable node
 * through the entry that adopted it.
 *
 * ph_paths_to() searches backwards from one object (breadth-first over
 * in-edges) and returns up to max paths, one per root edge, shortest
 * first. struct ph_bfs is a forward breadth-first tree over the whole graph
 * giving one such path for every node, for views that need many.
 *
 * Memory: ph_paths_to() uses 9 bytes per node while it runs; a ph_bfs keeps
 * 4 bytes per node.
 */
#ifndef PH_ANALYZE_PATHS_H
#define PH_ANALYZE_PATHS_H

#include <stddef.h>
#include <stdint.h>

#include "analyze/analysis.h"
#include "common/buf.h"

struct ph_step {
	uint32_t node;
	uint64_t edge; /* index in the previous node's edge arrays, or PH_EDGE_ADOPTED */
};

struct ph_path {
	struct ph_step *steps; /* owned */
	size_t len;
};

/*
 * Up to max shortest paths from the roots to target, named roots first.
 * *paths (an array of *n paths) is freed with ph_paths_free().
 */
int ph_paths_to(const struct ph_analysis *a, uint32_t target, size_t max, struct ph_path **paths,
		size_t *n);
void ph_paths_free(struct ph_path *paths, size_t n);

/*
 * A path longer than 2 * PH_PATH_KEEP + 1 steps is shown by its first and
 * last PH_PATH_KEEP steps: ph_path_elision() gives the steps [*from, *to)
 * left out (from == to when none), so that output stays in proportion to
 * what was asked, not to a million-step chain.
 */
#define PH_PATH_KEEP 20
void ph_path_elision(const struct ph_path *p, size_t *from, size_t *to);

/*
 * Append the path as a Python expression; a long one has its middle steps
 * replaced by "...<N steps>..." (ph_path_elision).
 */
int ph_path_expr(struct ph_buf *b, const struct ph_graph *g, const struct ph_path *p);

/* The index of the first strong edge from node src to node dst (PH_EDGE_ADOPTED when src adopted dst). */
uint64_t ph_find_edge(const struct ph_analysis *a, uint32_t src, uint32_t dst);

struct ph_bfs {
	uint32_t *parent; /* by node; PH_NO_ID for the super-root */
};

int ph_bfs_build(struct ph_bfs *t, const struct ph_analysis *a);
void ph_bfs_release(struct ph_bfs *t);

/* The tree's path to node v (v != super). p->steps is freed by the caller (free()). */
int ph_bfs_path(const struct ph_bfs *t, const struct ph_analysis *a, uint32_t v, struct ph_path *p);

/*
 * The edge by which each node is reached in the tree (ph_find_edge() of its
 * parent, UINT32_MAX for none or adopted), for all nodes in one pass over
 * the edges: *edges (by node) is freed by the caller. With it,
 * ph_bfs_path_with() builds a path in the time of its length, where
 * ph_bfs_path() searches each parent's edges (slow for many paths through a
 * large container).
 */
int ph_bfs_edges(const struct ph_bfs *t, const struct ph_analysis *a, uint32_t **edges);
int ph_bfs_path_with(const struct ph_bfs *t, const struct ph_analysis *a, const uint32_t *edges,
		     uint32_t v, struct ph_path *p);

/*
 * Turn a path expression into a pattern in place: indexes and the keys of
 * data dicts become [*] (keys after .__dict__ or sys.modules name a place and
 * stay), so that the paths of many objects held alike read as one.
 */
void ph_path_pattern(char *expr);

#endif
