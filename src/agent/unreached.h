/* SPDX-License-Identifier: MIT */
/*
 * unreached.h - live objects that no walk from Python reaches: objects held
 * only from C (a C extension's leaked reference, an extra Py_INCREF), as
 * heapy's "heapu" shows them. The walk reaches everything the GC lists,
 * the interpreter's roots and the threads lead to; an object whose only
 * references come from C memory is not among them.
 *
 * How they are found: every object the walk writes is marked in a bitmap
 * over pymalloc's arenas (one bit per 16 bytes); after the walk, every block
 * in use in every pool is looked at for an object at its start, 16 bytes in
 * (after a GC header) or 32 (after 3.11+'s pre-header): one whose type is a
 * type the walk met, whose reference count is not zero, whose type says it
 * has exactly that much memory before it, and that the walk did not mark.
 * Those are written as roots of their own kind (ROOTS kind 5, "held from C,
 * unreachable from Python"), and what they reach is walked as usual.
 *
 * Objects of more than 512 bytes come from the C allocator: glibc's main
 * heap ([heap]) is searched the same way, chunk by chunk, through copies
 * made with process_vm_readv() (other threads may allocate and free there
 * while the GIL is held, so nothing there is read in place until it passed
 * as an object). Not searched: other threads' malloc arenas and mmapped
 * chunks; nor found: objects of a type nothing reachable has. pymalloc's
 * state is read under the GIL, which guards it.
 *
 * Where the arenas are: 3.8-3.11 keep them in static variables of
 * Objects/obmalloc.c (symbol table: unavailable in a stripped interpreter),
 * 3.12+ in the interpreter state (layout.h's is->obmalloc).
 */
#ifndef PH_AGENT_UNREACHED_H
#define PH_AGENT_UNREACHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/py.h"
#include "agent/seen.h"
#include "agent/types.h"

struct ph_unreached {
	const struct ph_py *py;
	struct ph_unreached_arena {
		uintptr_t base, end; /* the arena's memory */
		uintptr_t carved;    /* pools start below this */
		uint32_t index;      /* in pymalloc's table (pools say it) */
		uint64_t *bits;      /* one per 16 bytes: written by the walk */
	} *arenas;                   /* sorted by base */
	size_t n;
	size_t pool_size;
	const char *why; /* NULL when the arenas were read */
	/*
	 * The C allocator's main heap ([heap], glibc's main arena): objects of
	 * more than 512 bytes come from there. Objects written there are kept in
	 * others; heap_why says why the heap is not searched (NULL: it is).
	 */
	uintptr_t heap_lo, heap_hi;
	struct ph_seen others;
	const char *heap_why;
};

/*
 * With the GIL held, after ph_py_attach() and before the walk: read
 * pymalloc's table of arenas and make their bitmaps. 0 or PH_ENOMEM; when
 * the arenas cannot be read, U->why says why and nothing is found later.
 */
int ph_unreached_init(struct ph_unreached *U, const struct ph_py *py);

/* The walk wrote the object at o. */
void ph_unreached_mark(struct ph_unreached *U, uintptr_t o);

/*
 * After the walk: the objects in pymalloc's blocks in use that were not
 * marked (see above), into *out (malloc'ed; the caller frees it), *n of
 * them. T: the types the walk met. 0 or PH_ENOMEM.
 */
int ph_unreached_scan(struct ph_unreached *U, struct ph_types *T, uintptr_t **out, size_t *n);

/* Whether the object at o was marked. */
bool ph_unreached_marked(const struct ph_unreached *U, uintptr_t o);

void ph_unreached_release(struct ph_unreached *U);

size_t ph_unreached_memory(const struct ph_unreached *U);

#endif
