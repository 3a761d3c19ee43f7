/* SPDX-License-Identifier: MIT */
/*
 * validate.h - deep check of a dump: every chunk decoded, every record
 * parsed, every cross-reference resolved.
 *
 * Hard errors (corruption, truncation, a duplicate address, an id or string
 * reference out of range, a cycle in the type base chain, object sizes that
 * add up to 2^64 or more with their native bytes, edge sources out of order
 * or at the wrong address, NATIVE ids out of range, order or repeated)
 * end the check with a negative code and a detail. The checks that span
 * records are format/xref.h's, shared with the analysis loader. References to addresses that are not objects of the dump (edge
 * targets, label keys, locals, roots, type objects) are "dangling": counted
 * in the report with a few examples, not fatal - analysis ignores them.
 *
 * Memory: about 40 bytes per object (an id -> address array and an address
 * map) plus one chunk.
 */
#ifndef PH_VALIDATE_H
#define PH_VALIDATE_H

#include <stdint.h>

#include "format/reader.h"

#define PH_VALIDATE_EXAMPLES 5

struct ph_validate_report {
	uint64_t chunks, unknown_chunks;
	uint64_t stored_bytes, raw_bytes;
	uint64_t meta, strings, types, objects, edge_records, edges, threads, frames, locals, roots;
	uint64_t tracebacks, sites; /* allocation sites (optional sections) */
	uint64_t native, native_bytes; /* NATIVE records (1.1) and their bytes */
	uint64_t dangling_edges;   /* edge targets */
	uint64_t dangling_labels;  /* attr/key/entry label addresses */
	uint64_t dangling_other;   /* locals, roots, type objects */
	struct {
		uint64_t source; /* 0 for non-edge references */
		uint64_t target;
		const char *what; /* static text */
	} examples[PH_VALIDATE_EXAMPLES];
	int n_examples;
};

/* progress(ctx, chunks done, chunks total) is called after each chunk; may be NULL. */
int ph_validate(struct ph_reader *r, struct ph_validate_report *rep,
		void (*progress)(void *ctx, uint64_t done, uint64_t total), void *ctx);

#endif
