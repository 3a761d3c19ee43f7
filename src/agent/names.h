/* SPDX-License-Identifier: MIT */
/*
 * names.h - with --no-values, the str objects that name code and so keep
 * their text; every other str is written with its content omitted.
 *
 * A str names code when it is:
 * - an attribute name: the label of an instance's attribute (its inline or
 *   managed values), or a key of the __dict__ of an instance, a class or a
 *   module;
 * - the __name__ or __qualname__ of a function, a class (heap type) or a
 *   module, and the keys of sys.modules;
 * - a name in a code object: co_name, co_qualname, co_names, co_varnames,
 *   co_cellvars, co_freevars, co_localsplusnames.
 * Keys of other dicts, constants (an identifier-like literal such as
 * 'AKIA...' is interned like a name, but names nothing), a thread's name
 * and every other str are data.
 *
 * A str is often met before what names it, so the walk defers every
 * interned str (CPython interns identifiers and attribute names) and
 * writes the deferred ones last, their text kept if they were noted here
 * as names meanwhile. A str that is not interned keeps its text only if it
 * was noted before it is met (the keys of sys.modules are, before the
 * walk: '__main__' is not interned).
 *
 * Ownership: the struct owns its set and array (malloc'ed);
 * ph_names_release() frees them.
 */
#ifndef PH_AGENT_NAMES_H
#define PH_AGENT_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/py.h"
#include "agent/seen.h"
#include "agent/types.h"

struct ph_names {
	struct ph_seen names; /* addresses of strs noted as names */
	uintptr_t *deferred;  /* interned strs to write last */
	size_t n_deferred, cap_deferred;
};

/* 0 or PH_ENOMEM. */
int ph_names_init(struct ph_names *N);
void ph_names_release(struct ph_names *N);

/* Note str (any object address; non-strs are never asked about) as a name. 0 or PH_ENOMEM. */
int ph_names_add(struct ph_names *N, uintptr_t str);

/*
 * Note the names object o of type ti holds (see above), for a function,
 * class, module, code object or instance with a __dict__. o must be
 * readable (see walk.c). 0 or PH_ENOMEM.
 */
int ph_names_note(struct ph_names *N, const struct ph_py *py, const struct ph_tinfo *ti,
		  uintptr_t o);

/* Note every key of dict d (sys.modules: module names). 0 or PH_ENOMEM. */
int ph_names_add_keys(struct ph_names *N, const struct ph_py *py, uintptr_t d);

/* Whether str is noted as a name. */
bool ph_names_has(const struct ph_names *N, uintptr_t str);

/* Keep str to be written last. 0 or PH_ENOMEM. */
int ph_names_defer(struct ph_names *N, uintptr_t str);

/* Bytes held. */
size_t ph_names_memory(const struct ph_names *N);

#endif
