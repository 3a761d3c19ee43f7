/* SPDX-License-Identifier: MIT */
/*
 * leaks.h - objects that leak across dumps of one process, memlab style.
 *
 * CPython objects never move: an object at the same address with the same
 * type object in two dumps of one process is the same object - when its
 * value (if it has one) and, for a type whose objects' size is fixed at
 * creation (tuple, str, int), its size are the same too, since a freed
 * address is soon reused by a new object of its size class. A new object
 * at a reused address that nothing tells apart counts as the old one. Given BASE,
 * TARGET and optionally FINAL, taken in that order, the candidates are the
 * objects of TARGET that were not in BASE (allocated since) and, when FINAL
 * is given, are still in it (not released since); garbage and static or
 * immortal objects (a small int first referred to after BASE) are left out.
 *
 * An object without a value (a list, an instance) is only taken for the
 * same object when one of its children with a value (new ones, for FINAL)
 * is in the other dump too, or it has none - or, against BASE, when an old
 * object or a root refers to it (a cache whose entries were all replaced):
 * a cache that replaces its entries puts new lists at the freed addresses,
 * with new values in them, referred to by new objects.
 *
 * Each candidate is charged to its holder: the nearest object above it in
 * TARGET's dominator tree that is not a candidate itself - the old
 * collection, instance or frame that the new objects accumulate in. Holders
 * are ranked by the bytes of new objects they hold; those whose paths from
 * the roots differ only by indexes and data keys (CACHE[3].items,
 * CACHE[7].items) merge into one row with the path written as a pattern
 * (CACHE[*].items). Rows are sorted by those bytes, largest first.
 *
 * BASE and FINAL are read a chunk at a time (their objects' addresses,
 * types, sizes and values), in two threads, against a hash index of
 * TARGET's objects by address: 8 bytes per object of TARGET beyond its
 * analysis, whose dominators are computed only afterwards.
 */
#ifndef PH_ANALYZE_LEAKS_H
#define PH_ANALYZE_LEAKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyze/analysis.h"
#include "common/json.h"

/* Holders whose paths are merged into rows: the largest ones (the rest are counted). */
#define PH_LEAKS_MAX_HOLDERS 10000

struct ph_leak_row {
	char *path;        /* owned: the holders' path from the roots, as a pattern */
	uint32_t example;  /* the holder of the most new bytes (a node of TARGET) */
	uint64_t holders;  /* holders merged into the row */
	uint64_t count;    /* new objects they hold */
	uint64_t size;     /* their shallow sizes */
	uint64_t retained; /* retained by the new objects (below the holders) */
};

struct ph_leaks {
	struct ph_leak_row *rows;
	size_t n;
	bool have_final;
	bool same_start;      /* the process's start time was in every dump and matched */
	uint64_t base_objects, final_objects;
	uint64_t new_objects; /* objects of TARGET not in BASE (garbage left out) */
	uint64_t count, size; /* the candidates: new and, with FINAL, still alive */
	uint64_t holders;     /* distinct holders */
	uint64_t other_holders, other_count, other_size; /* beyond PH_LEAKS_MAX_HOLDERS */
};

/*
 * The leaks of target against the dumps at base and final (NULL for none),
 * keeping the n largest rows (0: all). target may be opened with
 * ph_analysis_open_graph(): its dominators are computed (once) after the
 * other dumps are read, so that the memory of both is never needed at once.
 * Errors:
 * PH_EINVAL when the dumps are not of one process or not in time order,
 * and those of reading a dump; *l is then empty.
 */
int ph_leaks_compute(struct ph_leaks *l, struct ph_analysis *target, const char *base,
		     const char *final, size_t n);
void ph_leaks_free(struct ph_leaks *l);

/* `leaks --json`: the same, as one document. */
int ph_report_leaks(struct ph_json *j, struct ph_analysis *target, const char *base,
		    const char *final, size_t n);

#endif
