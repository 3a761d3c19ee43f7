/* SPDX-License-Identifier: MIT */
/*
 * threads.h - the THREADS records and the per-thread roots: every thread
 * state of the main interpreter except the agent's own, with its name,
 * daemon flag and native id from threading._active (read as data: no
 * Python code runs), and every frame from the innermost out with its
 * function, file, line, code and frame object and its local variables by
 * name (the contents of cell and free variables, not the cells).
 *
 * Every object a record names is passed to the reach() callback first, so
 * that the walk dumps it; an object reach() refuses is left out of the
 * record. The roots are written by the root() callback. The callbacks'
 * context and the writer are borrowed.
 */
#ifndef PH_AGENT_THREADS_H
#define PH_AGENT_THREADS_H

#include <stdbool.h>
#include <stdint.h>

#include "agent/py.h"
#include "format/writer.h"

struct ph_threads {
	const struct ph_py *py;
	struct ph_writer *w;
	/* Make sure o is dumped; *ok = false if o is not an object. 0 or an error. */
	int (*reach)(void *ctx, uintptr_t o, bool *ok);
	/*
	 * Write a ROOTS record of this kind and label for the object in the
	 * field at off of base, through reach(); nothing if off < 0 or the
	 * field is NULL or not an object. 0 or an error.
	 */
	int (*root)(void *ctx, uint8_t kind, const char *label, uintptr_t base, int32_t off);
	void *ctx;
	uintptr_t self; /* the agent's own thread state, left out */
	bool no_values; /* --no-values: threads' names are data, left out */
	uint64_t threads, frames;
};

/* Write a THREADS record for each thread and a ROOTS record for each object a thread state holds. */
int ph_threads_dump(struct ph_threads *th);

#endif
