/* SPDX-License-Identifier: MIT */
/*
 * edges.h - the edges of one object (docs/agent.md, "Edges"): first the
 * labelled references the agent reads itself, by the object's builtin kind
 * (dict entries, list and tuple items, set members, the parts of types,
 * functions, code, frames, modules, cells and weak references) and as an
 * instance (inline or managed values, __dict__, __slots__ and C members),
 * then those that tp_traverse reports and that were not labelled yet
 * (label NONE, or the name of the C member that holds it). A labelled
 * reference is matched against traverse's reports by address and count,
 * so nothing is listed twice.
 *
 * tp_traverse is called only where the caller says (walk.c's emit: tracked
 * GC objects, untracked exact tuples and dicts; never static types, whose
 * type_traverse aborts, never a NULL slot), and a traversal that reports
 * far more references than its object can hold is cut and ignored.
 *
 * Each edge goes to the caller's write() callback, which makes sure its
 * target (and the source of an ATTR/KEY/ENTRY label) gets dumped and
 * writes the EDGES record. An object that is not traversed has nothing to
 * match: its edges are written as they are found (a list of ten million
 * items needs no buffer). struct ph_edges owns its buffers; the py, types
 * and writer it is given are borrowed.
 */
#ifndef PH_AGENT_EDGES_H
#define PH_AGENT_EDGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/py.h"
#include "agent/types.h"
#include "format/writer.h"

/* Names of FIELD and INTERNAL labels. */
#define PH_EDGE_NAMES(X)                                                                           \
	X(DICT, "__dict__")                                                                        \
	X(CLASS, "__class__")                                                                      \
	X(MRO, "__mro__")                                                                          \
	X(BASES, "__bases__")                                                                      \
	X(BASE, "__base__")                                                                        \
	X(NAME, "__name__")                                                                        \
	X(QUALNAME, "__qualname__")                                                                \
	X(SLOTS, "__slots__")                                                                      \
	X(MODULE, "__module__")                                                                    \
	X(CODE, "__code__")                                                                        \
	X(GLOBALS, "__globals__")                                                                  \
	X(BUILTINS, "__builtins__")                                                                \
	X(DEFAULTS, "__defaults__")                                                                \
	X(KWDEFAULTS, "__kwdefaults__")                                                            \
	X(CLOSURE, "__closure__")                                                                  \
	X(DOC, "__doc__")                                                                          \
	X(ANNOTATIONS, "__annotations__")                                                          \
	X(ANNOTATE, "__annotate__")                                                                \
	X(TYPE_PARAMS, "__type_params__")                                                          \
	X(CELL_CONTENTS, "cell_contents")                                                          \
	X(CALLBACK, "__callback__")                                                                \
	X(REFERENT, "referent")                                                                    \
	X(CACHED_KEYS, "ht_cached_keys")                                                           \
	X(TP_CACHE, "tp_cache")                                                                    \
	X(TP_SUBCLASSES, "tp_subclasses")                                                          \
	X(HT_MODULE, "ht_module")                                                                  \
	X(CO_CONSTS, "co_consts")                                                                  \
	X(CO_NAMES, "co_names")                                                                    \
	X(CO_VARNAMES, "co_varnames")                                                              \
	X(CO_FREEVARS, "co_freevars")                                                              \
	X(CO_CELLVARS, "co_cellvars")                                                              \
	X(CO_FILENAME, "co_filename")                                                              \
	X(CO_NAME, "co_name")                                                                      \
	X(CO_QUALNAME, "co_qualname")                                                              \
	X(CO_LNOTAB, "co_lnotab")                                                                  \
	X(CO_LINETABLE, "co_linetable")                                                            \
	X(CO_EXCEPTIONTABLE, "co_exceptiontable")                                                  \
	X(CO_CODE, "co_code")                                                                      \
	X(CO_LOCALSPLUSNAMES, "co_localsplusnames")                                                \
	X(CO_LOCALSPLUSKINDS, "co_localspluskinds")                                                \
	X(CO_ZOMBIEFRAME, "co_zombieframe")                                                        \
	X(CO_CACHED_CODE, "_co_code")                                                              \
	X(CO_CACHED_VARNAMES, "_co_varnames")                                                      \
	X(CO_CACHED_CELLVARS, "_co_cellvars")                                                      \
	X(CO_CACHED_FREEVARS, "_co_freevars")                                                      \
	X(F_BACK, "f_back")                                                                        \
	X(F_CODE, "f_code")                                                                        \
	X(F_BUILTINS, "f_builtins")                                                                \
	X(F_GLOBALS, "f_globals")                                                                  \
	X(F_LOCALS, "f_locals")                                                                    \
	X(F_TRACE, "f_trace")

enum ph_edge_name {
#define PH_EDGE_NAME_ENUM(id, text) PH_N_##id,
	PH_EDGE_NAMES(PH_EDGE_NAME_ENUM)
#undef PH_EDGE_NAME_ENUM
	PH_N_COUNT
};

struct ph_edge {
	uintptr_t target;
	uint64_t label;
	uint8_t kind;   /* PH_FMT_LABEL_* */
	uint8_t flags;  /* PH_FMT_EDGE_WEAK */
	bool traversed; /* reported by tp_traverse (not read by the agent itself) */
};

/*
 * Write edge e of the current object. sole: e may be the only reference to
 * its target (no label's source, no weak reference, no repeated traverse
 * report): see walk.c's reach_ref. The callback may change e's label (to
 * NONE, if the label's source is not an object). 0 or an error.
 */
typedef int (*ph_edge_write_fn)(void *ctx, struct ph_edge *e, bool sole);

/* A traverse report that may be labelled with a C member's name. */
struct ph_edge_hint {
	uintptr_t target;
	uint64_t name; /* sref */
	bool used;
};

/* Multiset of addresses with counts, for matching traverse reports. */
struct ph_edge_mslot {
	uintptr_t key;
	uint32_t count;
	uint32_t gen;
};

struct ph_edges {
	const struct ph_py *py;
	struct ph_types *T;
	ph_edge_write_fn write;
	void *ctx;
	uint64_t sref[PH_N_COUNT]; /* the label names, in the writer's string table */

	/* the current object's edges */
	struct ph_edge *edges;
	size_t n_edges, cap_edges;
	struct ph_edge_hint *hints;
	size_t n_hints, cap_hints;
	uintptr_t *visits;
	size_t n_visits, cap_visits;
	bool direct;      /* write edges as they are found */
	bool visit_failed;
	bool visit_cut;
	size_t visit_cap; /* most references a traversal may report */
	struct ph_edge_mslot *mset;
	size_t mset_mask;
	uint32_t mset_gen;

	uint64_t traverse_cut; /* traversals cut short (statistics) */
};

/* Write the label names into w's string table. 0 or an error. */
int ph_edges_init(struct ph_edges *E, const struct ph_py *py, struct ph_types *T,
		  struct ph_writer *w, ph_edge_write_fn write, void *ctx);
void ph_edges_release(struct ph_edges *E);

/*
 * Collect and write the edges of object o of type ti. readable: its fields
 * may be read (else only __class__); traverse: call its tp_traverse too
 * (size, its size in bytes, bounds the reports). 0 or an error.
 */
int ph_edges_write(struct ph_edges *E, const struct ph_tinfo *ti, uintptr_t o, bool readable,
		   bool traverse, uint64_t size);

#endif
