/* SPDX-License-Identifier: MIT */
/*
 * waste.h - memory that holds nothing new: Eclipse MAT's duplicate strings,
 * empty collections and fill ratios, for Python.
 *
 * Three kinds of row, each with the bytes that acting on it would save:
 *
 *   duplicate  objects of one type with equal values: str and bytes whose
 *              whole value is in the dump, tuples whose elements are equal
 *              (element by element: str, bytes, int, float, bool, None and
 *              such tuples), frozensets with equal members. One row per
 *              value; saving: every copy but one.
 *   empty      dicts, lists and sets (and their subclasses) with nothing in
 *              them, grouped by where they are held; saving: all of them.
 *   slack      lists with more slots than items (CPython over-allocates as
 *              they grow and keeps the slots) and sets whose hash table is
 *              larger than one rebuilt for their items (sets never shrink
 *              when items are removed), grouped by where they are held;
 *              saving: the free slots.
 *
 * "Where" is the place an object is held from: the kind of its first
 * referrer (by owner, so an instance's __dict__ is "dict of app.Node") and
 * the step from it, with indexes folded to [*]: "dict of app.User['name']",
 * "app.Cache.items", "list[*]". A duplicate row names the place that holds
 * most of its copies and how many of them it holds.
 *
 * str and bytes values cut short by the dumper (--max-value-len) are not
 * compared; their number is reported. Rows are sorted by saving, largest
 * first (ties: count, then the kind name). Only the heap and its graph are
 * used: an analysis opened with ph_analysis_open_graph() will do.
 */
#ifndef PH_ANALYZE_WASTE_H
#define PH_ANALYZE_WASTE_H

#include <stddef.h>
#include <stdint.h>

#include "analyze/analysis.h"
#include "common/json.h"

enum ph_waste_what { PH_WASTE_DUPLICATE, PH_WASTE_EMPTY, PH_WASTE_SLACK };

struct ph_waste_row {
	enum ph_waste_what what;
	uint32_t type;      /* type id of the objects */
	uint32_t example;   /* one object of the row (the first in the dump) */
	uint64_t count;     /* objects */
	uint64_t size;      /* their shallow sizes */
	uint64_t saving;    /* bytes acting on the row would free */
	char *where;        /* owned; NULL when nothing refers to the objects */
	uint64_t where_count; /* objects of the row held there */
	uint64_t places;    /* distinct places the objects are held from */
	uint32_t place;     /* (private) place id + 1, 0 for none */
};

struct ph_waste {
	struct ph_waste_row *rows;
	size_t n;
	uint64_t total_saving;
	uint64_t saving[3];     /* by what */
	uint64_t not_compared;  /* str/bytes values cut short in the dump */
};

/*
 * Find the waste in a's heap and keep the n largest rows (0: all; the
 * totals count every row). 0, or PH_ENOMEM with *w empty.
 */
int ph_waste_compute(struct ph_waste *w, const struct ph_analysis *a, size_t n);
void ph_waste_free(struct ph_waste *w);

const char *ph_waste_what_name(enum ph_waste_what what);

/* `waste --json`, /api/waste: the totals and the n largest rows (0: all). */
int ph_report_waste(struct ph_json *j, const struct ph_analysis *a, size_t n);

#endif
