/* SPDX-License-Identifier: MIT */
/*
 * objects.h - the objects of a heap sorted, filtered and paged: the rows of
 * `pyheap top` and of the UI's objects view (/api/objects), one query for
 * both.
 *
 * A query sorts by retained size (ties: larger shallow size, then lower
 * object id, the order of top.h) or by shallow size (ties: larger retained
 * size, then lower id), keeps the objects of one kind under a partition
 * (histogram.h: "str", "dict of app.Node", a module name) and those whose
 * value contains a substring (the text of a str, the bytes of a bytes, the
 * name of a module or code object; case-sensitive), and returns the rows
 * [offset, offset + limit) with the number of objects that match.
 *
 * Without an index, a query is one pass over the objects with a bounded
 * heap of offset + limit rows: what a command that runs once needs. An index
 * (struct ph_objects_index, built once for a server; 20 bytes an object,
 * and 4 more for each object with a text value) holds both orders, both
 * orders per kind of a partition, the address order and the objects that
 * have a text value, so that a query without a substring costs O(limit)
 * whatever the size of the heap; with a substring it is a pass over the
 * text values. Both give the same rows for the same query.
 *
 * Threads: an index is built by one thread; afterwards any number of
 * threads may query it (the partitions other than "type" are built on first
 * use, under the index's lock).
 *
 * Ownership: page->ids is malloc'ed, freed by the caller (free()); an index
 * borrows the analysis (which must outlive it) and is freed with
 * ph_objects_index_release().
 */
#ifndef PH_ANALYZE_OBJECTS_H
#define PH_ANALYZE_OBJECTS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyze/analysis.h"
#include "analyze/histogram.h"

enum ph_sort { PH_SORT_RETAINED, PH_SORT_SIZE };

struct ph_objects_query {
	enum ph_sort sort;
	enum ph_partition by; /* what kind names */
	const char *kind;     /* NULL or "": every kind */
	const char *q;        /* NULL or "": any value */
	uint64_t offset, limit;
};

struct ph_objects_page {
	uint32_t *ids; /* the rows, in order */
	size_t n;
	uint64_t total; /* objects that match */
};

/* A partition's kinds, each kind's objects in both orders (built lazily but for "type"). */
struct ph_objects_groups {
	bool built;
	uint32_t n_kinds;
	char **names;      /* owned; for "type" NULL (the heap's type names) */
	uint32_t *kind_of; /* kind of each object; for "type" NULL (h->type) */
	uint64_t *off;     /* n_kinds + 1: kind k's objects are [off[k], off[k+1]) */
	uint32_t *by_retained, *by_size;
};

struct ph_objects_index {
	const struct ph_analysis *a;
	uint32_t *by_retained, *by_size;    /* every object, in each order */
	uint32_t *by_addr;                  /* object ids by address (descending), for lookups */
	uint32_t *text_ids;                 /* the objects with a text value, in id order */
	size_t n_text_ids;
	struct ph_objects_groups groups[3]; /* by enum ph_partition */
	pthread_mutex_t lock;               /* guards building groups[] */
};

/* Sort and page without an index. 0 or an error (PH_ENOMEM). */
int ph_objects_query(const struct ph_analysis *a, const struct ph_objects_query *q,
		     struct ph_objects_page *page);

/* Build the index of a (borrowed): both orders, the address order and the "type" groups. */
int ph_objects_index_build(struct ph_objects_index *ix, const struct ph_analysis *a);
void ph_objects_index_release(struct ph_objects_index *ix);

/* The same query answered from an index. */
int ph_objects_index_query(struct ph_objects_index *ix, const struct ph_objects_query *q,
			   struct ph_objects_page *page);

/* Object id at addr by the index's address order (O(log n)), or PH_NO_ID. */
uint32_t ph_objects_index_find(const struct ph_objects_index *ix, uint64_t addr);

/* Whether object id's value contains the n bytes of s (n > 0). */
bool ph_value_contains(const struct ph_heap *h, uint32_t id, const char *s, size_t n);

/*
 * The k first of ids[0..n) by retained size (ties by lower id), largest
 * first, into out (room for k). Returns how many (min(k, n)).
 */
size_t ph_largest_retained(const struct ph_analysis *a, const uint32_t *ids, size_t n, size_t k,
			   uint32_t *out);

#endif
