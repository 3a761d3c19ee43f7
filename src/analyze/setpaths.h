/* SPDX-License-Identifier: MIT */
/*
 * setpaths.h - why a set of objects is alive: the shortest paths from the
 * roots to every object of a kind, merged (heapy's shpaths of a partition
 * row, Eclipse MAT's "merge shortest paths to GC roots").
 *
 * The set is the objects of one kind under a partition (histogram.h: "by
 * type" names a type, "by owner" also "dict of app.Node"). Each object's
 * path is the one the breadth-first tree of paths.h gives it; its
 * expression becomes a pattern (ph_path_pattern(): indexes and data keys
 * as [*]), and equal patterns merge into one row with the count of objects
 * and what they retain: the sum of the retained sizes of those not
 * dominated by another object of the set (so nothing counts twice). Rows
 * are sorted by that, largest first. The objects that retain the most get
 * their own path too, written in full.
 *
 * A path is rendered once for each pair of (the object's parent in the
 * tree, the label of the edge from it, indexes alike): a million items of
 * one list take one rendering.
 */
#ifndef PH_ANALYZE_SETPATHS_H
#define PH_ANALYZE_SETPATHS_H

#include <stddef.h>
#include <stdint.h>

#include "analyze/analysis.h"
#include "analyze/histogram.h"
#include "common/json.h"

struct ph_setpath_row {
	char *pattern;     /* owned */
	uint64_t objects;  /* of the set, with this pattern */
	uint64_t retained; /* by them, not counting objects of the set twice */
	uint32_t example;  /* the one that retains the most */
};

struct ph_setpaths {
	struct ph_setpath_row *rows;
	size_t n, n_rows; /* rows kept, rows in all */
	uint64_t objects, retained;
	uint32_t *largest; /* the objects that retain the most, largest first */
	char **paths;      /* their paths in full (owned) */
	size_t n_largest;
};

/*
 * The merged paths of the objects of kind under by: at most rows rows (0:
 * all) and paths individual paths. PH_ENOTFOUND when no object is of that
 * kind; PH_ENOMEM.
 */
int ph_setpaths_compute(struct ph_setpaths *sp, struct ph_analysis *a, enum ph_partition by,
			const char *kind, size_t rows, size_t paths);
void ph_setpaths_free(struct ph_setpaths *sp);

/* `paths --kind --json`: the same as one document. */
int ph_report_setpaths(struct ph_json *j, struct ph_analysis *a, enum ph_partition by,
		       const char *kind, size_t rows, size_t paths);

#endif
