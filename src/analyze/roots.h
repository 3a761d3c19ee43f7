/* SPDX-License-Identifier: MIT */
/*
 * roots.h - what keeps objects alive: the roots derived from a loaded heap.
 *
 * Python has no formal GC roots, so they are derived:
 *  - every ROOTS record (sys.modules, interpreter internals, thread state)
 *    whose address is an object of the dump: PH_LABEL_ROOT;
 *  - every object whose reference count is larger than the references the
 *    dump found to it - someone outside the dump holds it (a C static, the C
 *    stack, an extension): PH_LABEL_HELD, with the number of references
 *    missing. References found are strong edges (weak ones hold no count),
 *    frame locals, ROOTS records, and the reference every instance of a heap
 *    type holds to its type (counted only when the dump has no edge from
 *    the instance to its type, so that it is never counted twice);
 *  - immortal (3.12+) and statically allocated objects: PH_LABEL_STATIC, with
 *    no reference count check (their counts mean nothing);
 * and thread frames, whose locals are roots through the thread and frame
 * nodes of the analysis graph (graph.h).
 *
 * Ownership: ph_roots_release() frees the list.
 */
#ifndef PH_ANALYZE_ROOTS_H
#define PH_ANALYZE_ROOTS_H

#include <stddef.h>
#include <stdint.h>

#include "analyze/heap.h"

struct ph_root {
	uint32_t object;
	uint8_t why;  /* PH_LABEL_ROOT, PH_LABEL_HELD or PH_LABEL_STATIC */
	uint32_t val; /* ROOT: index in h->roots; HELD: references missing (saturated) */
};

struct ph_roots {
	struct ph_root *list; /* records in file order, then held and static by object id */
	size_t n;
	size_t n_record, n_held, n_static; /* entries of each kind */
	size_t by_kind[PH_FMT_ROOT_OTHER + 1]; /* record entries per PH_FMT_ROOT_* */
	size_t n_locals; /* frame locals that are objects of the dump */
};

/* Derive the roots of h. 0 or PH_ENOMEM. */
int ph_roots_derive(const struct ph_heap *h, struct ph_roots *r);

void ph_roots_release(struct ph_roots *r);

/* Py_TPFLAGS_HEAPTYPE: instances hold a reference to their type (3.8+). */
#define PH_TPFLAGS_HEAPTYPE (1ULL << 9)

#endif
