/* SPDX-License-Identifier: MIT */
/*
 * xref.h - the cross-reference checks of a dump that need more than one
 * record: type ids and string references that must resolve once their
 * sections are read (those sections may come after their users), the base
 * chain of types (acyclic), the sum of object sizes (below 2^64), and the
 * sources and labels of EDGES records.
 *
 * One checker for both readers of whole dumps: the deep validation
 * (validate.c) and the analysis loader (analyze/heap.c), so that they accept
 * the same files and say the same thing about the others.
 *
 * Use: a struct ph_xref per thread that reads records (zeroed), noted with
 * ph_xref_type()/ph_xref_sref()/ph_xref_size() as records are decoded,
 * merged with ph_xref_merge() when several threads read, then checked with
 * ph_xref_check() once the counts of types and strings are known.
 * ph_xref_bases() checks the base chains. The struct holds no pointers:
 * nothing to release.
 */
#ifndef PH_XREF_H
#define PH_XREF_H

#include <stdbool.h>
#include <stdint.h>

#include "format/reader.h"

struct ph_xref {
	uint64_t max_sref;      /* largest sref seen */
	uint64_t max_type;      /* largest type id seen, plus one (0: none) */
	uint64_t total_size;    /* sum of object sizes seen */
	uint64_t total_native;  /* sum of the NATIVE records' bytes seen */
	char sref_where[160], type_where[160]; /* where the largest were seen */
};

/* Note a type id (an object's type, a type's base minus one) read at the cursor. */
void ph_xref_type(struct ph_xref *x, const struct ph_cursor *c, uint64_t id);

/* Note a string reference read at the cursor. */
void ph_xref_sref(struct ph_xref *x, const struct ph_cursor *c, uint64_t sref);

/*
 * Add the size of the object record just read at the cursor: PH_ECORRUPT
 * (naming that record) when the sizes seen
 * so far add up to 2^64 bytes or more - no process holds that much.
 */
int ph_xref_size(struct ph_xref *x, const struct ph_cursor *c, uint64_t size);

/*
 * An EDGES record's source (read at the cursor): its id < n_objects, not
 * below prev (the source of the record before it in the section, UINT64_MAX
 * for none), and saddr the address addr[src] of that object. PH_ECORRUPT.
 */
int ph_xref_source(const struct ph_cursor *c, uint64_t src, uint64_t saddr, const uint64_t *addr,
		   uint64_t n_objects, uint64_t prev);

/*
 * A SITES record (read at the cursor): its object id < n_objects and its
 * traceback id < n_tracebacks. PH_ECORRUPT.
 */
int ph_xref_site(const struct ph_cursor *c, const struct ph_site_rec *s, uint64_t n_objects,
		 uint64_t n_tracebacks);

/*
 * A NATIVE record n just read at the cursor: its id < n_objects and above
 * prev (the id of the record before it in the section, UINT64_MAX for
 * none), its bytes added to the native total. PH_ECORRUPT, naming the
 * record, when the id is out of range or order, or the total reaches 2^64.
 */
int ph_xref_native(struct ph_xref *x, const struct ph_cursor *c, const struct ph_native_rec *n,
		   uint64_t n_objects, uint64_t prev);

/*
 * The objects' sizes and the native bytes together stay below 2^64 (no
 * process holds more): PH_ECORRUPT naming the file otherwise.
 */
int ph_xref_total(uint64_t objects, uint64_t native, const char *name);

/* An edge's label: a field or internal label names a string (noted). PH_ECORRUPT. */
int ph_xref_label(struct ph_xref *x, const struct ph_cursor *c, const struct ph_edge_rec *e);

/*
 * Fold from into to (another thread's notes over other chunks). PH_ECORRUPT
 * when the sizes (or the native bytes) together reach 2^64 (name: the file,
 * for the message).
 */
int ph_xref_merge(struct ph_xref *to, const struct ph_xref *from, const char *name);

/* Every type id < n_types and every sref <= n_strings, or PH_ECORRUPT naming the first place. */
int ph_xref_check(const struct ph_xref *x, const char *name, uint64_t n_types,
		  uint64_t n_strings);

/*
 * The base chain of every type ends: base_of(ctx, i) returns type i's base
 * id plus one, 0 for none (ids already checked < n). PH_ECORRUPT naming the
 * type whose chain loops, PH_ENOMEM.
 */
int ph_xref_bases(const char *name, uint64_t n, uint64_t (*base_of)(const void *ctx, uint64_t i),
		  const void *ctx);

#endif
