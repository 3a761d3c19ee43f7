/* SPDX-License-Identifier: MIT */
/*
 * sites.h - where each object was allocated, when the target runs with
 * tracemalloc on: the traceback that tracemalloc's own table of traces
 * holds for the object's memory block, read in place. No Python object is
 * created and no Python code runs: the table is searched with CPython's
 * own C function (_Py_hashtable_get), under tracemalloc's own lock (taken
 * without ever waiting for the GIL, which the agent holds), and the frames'
 * file names are str objects already in the heap. Each traceback is written
 * once (TRACEBACKS), then each object's (SITES): docs/format.md.
 *
 * Where the table is: CPython 3.9-3.11 keep it in static variables of
 * Modules/_tracemalloc.c (found through the symbol table: a stripped
 * interpreter has none, and sites are then "unavailable"); 3.12+ in
 * _PyRuntime (layout.h's rt->tracemalloc). 3.8's table has another
 * interface: unavailable there too.
 *
 * Life: ph_sites_start() with the GIL held, after ph_py_attach(); then
 * ph_sites_object() for each object written; ph_sites_release() frees the
 * map of tracebacks written.
 */
#ifndef PH_AGENT_SITES_H
#define PH_AGENT_SITES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/py.h"
#include "common/buf.h"
#include "format/writer.h"

struct ph_sites {
	const struct ph_py *py;
	struct ph_writer *w;
	uintptr_t traces; /* tracemalloc's table of domain 0, 0 when sites are not recorded */
	uintptr_t lock;   /* its tables_lock: a PyMutex, or the address of a PyThread lock pointer */
	bool mutex;
	bool utf8_names; /* frames name their file by a C string, not a str object */
	/* tracebacks written: traceback address -> id + 1 (open addressing) */
	struct ph_site_slot {
		uintptr_t tb;
		uint64_t id;
	} *slots;
	size_t mask, count;
	struct ph_buf tmp; /* file names as UTF-8 */
	uint64_t objects, missed; /* objects with a site; lookups given up (lock busy) */
};

/*
 * Find tracemalloc's table and write the metadata that says what was found
 * (`tracemalloc`: "on", "off" or "unavailable: why"; `tracemalloc_frames`).
 * 0 or an error of the writer.
 */
int ph_sites_start(struct ph_sites *S, const struct ph_py *py, struct ph_writer *w);

/*
 * The site of the object written with id, whose memory block starts at
 * block (the object's address minus what CPython allocates before it).
 * Nothing when it has no trace. 0 or an error of the writer (PH_ENOMEM).
 */
int ph_sites_object(struct ph_sites *S, uintptr_t block, uint64_t id);

/* Metadata at the end: how many objects have a site. */
int ph_sites_end(struct ph_sites *S);

void ph_sites_release(struct ph_sites *S);

size_t ph_sites_memory(const struct ph_sites *S);

#endif
