/* SPDX-License-Identifier: MIT */
/*
 * breakdown.h - the process's resident memory at the moment of the dump,
 * split by what holds it, from the dump's metadata (docs/format.md):
 *
 *   resident = Python objects (their sizes, as sys.getsizeof counts them,
 *              and 3.11+ instances' values arrays, which it does not)
 *            + native buffers (what objects own outside themselves: numpy
 *              arrays' data, array.array and BytesIO buffers when their size
 *              does not count them - the NATIVE section; not mmaps, which
 *              are mappings: a file's pages are in files, anonymous ones in
 *              the rest)
 *            + pymalloc's free space (free blocks and unused pools in its arenas)
 *            + the C allocator's free space (glibc's free chunks)
 *            + files (the executable, libraries and mapped files)
 *            + stacks (the threads' stacks)
 *            + the rest
 *
 * The rest is what none of these count: the interpreter's own state, the
 * buffers of extensions pyheap does not know, mmaps, memory the allocators hold
 * for their own use, and the other side of the approximations (a free
 * chunk that is not resident counts as free all the same; the sizes of
 * objects are the bytes they use, not all of them resident). It may be
 * negative when those approximations outweigh it.
 */
#ifndef PH_ANALYZE_BREAKDOWN_H
#define PH_ANALYZE_BREAKDOWN_H

#include <stdbool.h>
#include <stdint.h>

#include "analyze/heap.h"
#include "common/json.h"

struct ph_breakdown {
	bool have; /* the dump records the resident memory (pyheap dump does) */
	bool have_pymalloc, have_malloc;
	uint64_t resident, objects, native, pymalloc_free, malloc_free, files, stacks;
	int64_t rest;
	/* as recorded, for the curious: anonymous memory besides the brk heap, the brk heap */
	uint64_t anon, brk, pymalloc_arenas_bytes, malloc_mmap;
};

void ph_breakdown_compute(const struct ph_heap *h, struct ph_breakdown *b);

/* The breakdown as one JSON value: an object, or null when the dump has none. */
void ph_breakdown_json(struct ph_json *j, const struct ph_heap *h);

#endif
