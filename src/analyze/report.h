/* SPDX-License-Identifier: MIT */
/*
 * report.h - the JSON documents of the analysis: what every analysis
 * command prints with --json and what `pyheap serve` answers under /api/.
 * One renderer for both, so the command line and the UI cannot disagree;
 * the documents are described in docs/analysis.md and docs/api.md.
 *
 * Each function computes what its document needs and writes it as one
 * value through the streaming writer j (borrowed; no document tree is
 * built). It returns 0, or an error code with the detail recorded, in
 * which case what was written is incomplete and must be thrown away.
 * Addresses are "0x..." strings; synthetic nodes have "address": null.
 *
 * Functions that take a non-const analysis may build its dominator tree;
 * build it first (ph_analysis_tree()) when several threads share one.
 */
#ifndef PH_ANALYZE_REPORT_H
#define PH_ANALYZE_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyze/analysis.h"
#include "analyze/histogram.h"
#include "analyze/objects.h"
#include "common/json.h"

/* `summary`: what the dump holds, with the n largest types and retainers. */
int ph_report_summary(struct ph_json *j, struct ph_analysis *a, size_t n);

/* `histogram`: the n largest kinds of a partition (0: all). */
int ph_report_histogram(struct ph_json *j, struct ph_analysis *a, enum ph_partition by, size_t n);

/* The same for the objects of one kind (under kind_by) only; kind NULL: all. */
int ph_report_histogram_of(struct ph_json *j, struct ph_analysis *a, enum ph_partition by, size_t n,
			   const char *kind, enum ph_partition kind_by);

/*
 * `top`, /api/objects: a page of objects (objects.h). ix may be NULL (one
 * pass over the objects) or an index of a (the same rows, faster).
 */
int ph_report_objects(struct ph_json *j, const struct ph_analysis *a, struct ph_objects_index *ix,
		      const struct ph_objects_query *q);

/* `object`: object v in full, lists cut at limit entries (0: all). */
int ph_report_object(struct ph_json *j, struct ph_analysis *a, uint32_t v, size_t limit);

/* `paths`: up to n shortest paths from the roots to object v. */
int ph_report_paths(struct ph_json *j, const struct ph_analysis *a, uint32_t v, size_t n);

/* `threads`: threads, frames and locals with retained sizes. */
int ph_report_threads(struct ph_json *j, const struct ph_analysis *a);

/* `suspects`: leak suspects retaining at least threshold (0..1) of the heap. */
int ph_report_suspects(struct ph_json *j, struct ph_analysis *a, double threshold);

/*
 * `diff`: the n kinds and n paths that grew most (0: all) from old to new_;
 * all lists kinds that shrank or stayed the same too.
 */
int ph_report_diff(struct ph_json *j, struct ph_analysis *old, struct ph_analysis *new_,
		   enum ph_partition by, size_t n, bool all);

/*
 * /api/tree: node v of the dominator tree and, depth levels down, the
 * limit largest children of each node, the others grouped by kind (the
 * limit largest groups, then one group of the rest): a picture of where
 * the memory is that stays small at any heap size.
 */
int ph_report_tree(struct ph_json *j, struct ph_analysis *a, uint32_t v, unsigned depth,
		   size_t limit);

/*
 * A node's key in the API: "0x7f.." for an object, "root" (the super-root),
 * "unreachable", "thread:N", "frame:N" (N its index in the dump). Written
 * into buf (32 bytes).
 */
const char *ph_node_key(const struct ph_analysis *a, uint32_t v, char buf[32]);

#endif
