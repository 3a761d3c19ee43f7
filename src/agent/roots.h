/* SPDX-License-Identifier: MIT */
/*
 * roots.h - the interpreter's roots and the dump's metadata.
 *
 * Roots (docs/agent.md, "Threads and roots"): sys.modules and what the
 * interpreter state and its GC state hold (builtins, the import machinery,
 * the codec registries, fork handlers, audit hooks, gc.garbage and
 * gc.callbacks), each through the caller's root() callback, which dumps the
 * object and writes the ROOTS record. The threads' roots are threads.c's.
 *
 * Metadata: written in two parts, what is known when the walk starts (the
 * interpreter, the process, sys.argv and sys.executable read from the sys
 * module's dict) and the walk's own counters at its end.
 */
#ifndef PH_AGENT_ROOTS_H
#define PH_AGENT_ROOTS_H

#include <stdbool.h>
#include <stdint.h>

#include "agent/py.h"
#include "format/writer.h"

/*
 * Write a ROOTS record of this kind and label for the object in the field
 * at off of base, if off >= 0 and the field holds an object. 0 or an error.
 */
typedef int (*ph_root_fn)(void *ctx, uint8_t kind, const char *label, uintptr_t base,
			  int32_t off);

/* The interpreter's roots, through root(). */
int ph_roots_interp(const struct ph_py *py, ph_root_fn root, void *ctx);

/* The metadata known before the walk. */
int ph_meta_start(struct ph_writer *w, const struct ph_py *py, bool no_values, uint64_t max_value,
		  bool collecting);

/* The walk's counters (docs/agent.md, "Metadata"). */
struct ph_walk_stats {
	uint64_t objects, gc_objects, types, bad_refs, bad_links, sizeof_calls, sizeof_failed;
	uint64_t sole_refs, dead_refs, traverse_cut, seen, memory;
	uint64_t native_arrays, native_undecided, native_bad; /* native.h */
	bool full;
};

int ph_meta_end(struct ph_writer *w, const struct ph_walk_stats *s);

#endif
