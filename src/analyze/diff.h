/* SPDX-License-Identifier: MIT */
/*
 * diff.h - what grew between two dumps of the same program.
 *
 * Kinds: the histograms of both dumps (by type, owner or module), joined by
 * kind name: counts, shallow sizes and retained sizes before and after,
 * sorted by size growth, then count growth.
 *
 * Paths: addresses change between dumps, paths from the roots do not. The
 * largest retainers of the new dump (ph_diff_opts.candidates of them) are
 * located by their shortest path from a named root (a ROOTS record or a
 * thread frame); the same path is followed in the old dump, step by step,
 * comparing labels by content (a dict key by the key's value, a list item
 * by its index, an attribute by its name, a frame by its function and depth,
 * an unnamed reference by its kind and rank among its siblings). Each path's
 * retained size and object count before and after give its growth (nothing
 * at the path before: it is new). Of two growing paths one of which extends
 * the other, the shorter is dropped when the longer accounts for at least
 * 90% of its growth, so that the rows name where the growth is, not every
 * container above it; and a path that is new below a listed path is part of
 * that path's growth, not a row of its own. Paths from objects held from outside the dump or
 * from static objects have no stable name and are left out, as are paths
 * through a step that cannot be recognized in another dump (a dict key or
 * attribute name whose value was not dumped or was cut short).
 *
 * Ownership: ph_diff_release() frees the rows and their strings.
 */
#ifndef PH_ANALYZE_DIFF_H
#define PH_ANALYZE_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyze/analysis.h"
#include "analyze/histogram.h"

struct ph_diff_kind {
	char *kind;
	uint64_t count_old, count_new, size_old, size_new, retained_old, retained_new;
};

struct ph_diff_path {
	char *path;
	uint64_t address_old, address_new; /* address_old 0: nothing there in the old dump */
	char *type_new;
	uint64_t retained_old, retained_new;
	uint64_t count_old, count_new;
};

struct ph_diff {
	struct ph_diff_kind *kinds;
	size_t n_kinds;
	struct ph_diff_path *paths;
	size_t n_paths;
	uint64_t total_old, total_new, objects_old, objects_new;
};

struct ph_diff_opts {
	enum ph_partition by;
	size_t candidates; /* largest retainers of the new dump to follow (0: 300) */
};

int ph_diff_compute(struct ph_diff *d, struct ph_analysis *old, struct ph_analysis *new_,
		    const struct ph_diff_opts *opts);
void ph_diff_release(struct ph_diff *d);

/* Whether a kind grew: more objects or more bytes in the new dump. */
static inline bool ph_diff_grew(const struct ph_diff_kind *k)
{
	return k->size_new > k->size_old || k->count_new > k->count_old;
}

/* The signed difference new - old of two unsigned amounts, saturated. */
static inline int64_t ph_delta(uint64_t old, uint64_t new_)
{
	if (new_ >= old)
		return new_ - old > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)(new_ - old);
	return old - new_ > (uint64_t)INT64_MAX ? -INT64_MAX : -(int64_t)(old - new_);
}

#endif
