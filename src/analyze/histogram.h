/* SPDX-License-Identifier: MIT */
/*
 * histogram.h - objects partitioned into kinds, like heapy's partitions.
 *
 *   by type    the object's type: "module.QualName", bare for builtins
 *   by owner   as by type, except that a dict that is the __dict__ of an
 *              object (an edge labelled .__dict__ points to it) counts as
 *              "dict of K", K the owner's kind: "dict of app.Node",
 *              "dict of module", "dict of type" (heapy's default view)
 *   by module  the module that defines the object's type ("builtins", "app")
 *   by via     how the object is referred to, heapy's byvia: the labels of
 *              the references to it (up to two, then "..."): ".name",
 *              "['key']" (an attribute in a __dict__), "[*]" (an index, or
 *              the key of a data dict), "local x", a root's name
 *   by referrer the kinds (by owner) of the objects that refer to it, heapy's
 *              byrcs: "{dict of app.Node, list}" (up to two, then "...")
 *   by size    the object's size: "56 bytes" (heapy's bysize)
 *
 * For each kind: count, total shallow size, and retained size - what would
 * become free if every object of the kind went away, computed as the sum of
 * the retained sizes of the kind's objects that no other object of the same
 * kind dominates (one walk down the dominator tree). It is exact when the
 * objects' retained sets are what frees them, and a lower bound otherwise
 * (objects kept alive only by several objects of the kind together are not
 * counted), as in Eclipse MAT's class histogram.
 *
 * Rows are sorted by size, largest first (ties by count, then name).
 * Ownership: ph_histogram_free() frees the rows and their names.
 */
#ifndef PH_ANALYZE_HISTOGRAM_H
#define PH_ANALYZE_HISTOGRAM_H

#include <stddef.h>
#include <stdint.h>

#include "analyze/analysis.h"

enum ph_partition {
	PH_BY_TYPE,
	PH_BY_OWNER,
	PH_BY_MODULE,
	PH_BY_VIA,
	PH_BY_REFERRER,
	PH_BY_SIZE,
	PH_BY_SITE, /* the file and line that allocated the object (tracemalloc), as heapy's byprod */
};

/* The partitions' names, for messages. */
#define PH_PARTITIONS "type, owner, module, via, referrer, size or site"

struct ph_hist_row {
	char *kind; /* owned */
	uint64_t count, size, retained;
};

struct ph_histogram {
	enum ph_partition by;
	struct ph_hist_row *rows;
	size_t n;
	uint64_t total_count, total_size;
};

/* Compute the histogram of a (builds its dominator tree if needed). */
int ph_histogram_compute(struct ph_histogram *hist, struct ph_analysis *a, enum ph_partition by);

/*
 * The same for the objects of set only (a bitmap by object id; NULL: all):
 * heapy's partition of a partition's row, e.g. the instances of a class by
 * via. What a kind retains counts only the set's objects.
 */
int ph_histogram_of(struct ph_histogram *hist, struct ph_analysis *a, enum ph_partition by,
		    const uint64_t *set);

/*
 * The objects of kind under by, as a bitmap by object id (*set, freed by
 * the caller) and their number. PH_ENOTFOUND when no object is of that kind.
 */
int ph_partition_set(const struct ph_analysis *a, enum ph_partition by, const char *kind,
		     uint64_t **set, uint64_t *n);
void ph_histogram_free(struct ph_histogram *hist);

/*
 * Kind ids of every object under a partition: kinds[v] < *n_kinds, names[k]
 * the kind's name (owned strings; names and kinds freed by the caller with
 * free(), each name too). Used by the histogram and by suspects and diff.
 */
int ph_partition_kinds(const struct ph_analysis *a, enum ph_partition by, uint32_t **kinds,
		       char ***names, uint32_t *n_kinds);

/* The kinds of the partitions by via, referrer and size (partitions.c), as ph_partition_kinds(). */
int ph_partition_refs(const struct ph_analysis *a, enum ph_partition by, uint32_t **kinds,
		      char ***names, uint32_t *n_kinds);

/* Parse a partition's name (PH_PARTITIONS); -1 if none. */
int ph_partition_parse(const char *s);
const char *ph_partition_name(enum ph_partition by);

#endif
