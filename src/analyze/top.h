/* SPDX-License-Identifier: MIT */
/*
 * top.h - the objects that retain the most.
 *
 * ph_top_objects() selects the n objects with the largest retained sizes
 * (ties: larger shallow size, then lower object id), optionally only those
 * of one kind name, in O(objects log n) with a bounded heap (the first page
 * of objects.h's query).
 *
 * Ownership: *out is malloc'ed; the caller frees it.
 */
#ifndef PH_ANALYZE_TOP_H
#define PH_ANALYZE_TOP_H

#include <stddef.h>
#include <stdint.h>

#include "analyze/analysis.h"

/* kind: NULL for all objects, else an exact kind name ("app.Node", "dict"). */
int ph_top_objects(const struct ph_analysis *a, size_t n, const char *kind, uint32_t **out,
		   size_t *count);

#endif
