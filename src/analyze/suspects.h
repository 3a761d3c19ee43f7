/* SPDX-License-Identifier: MIT */
/*
 * suspects.h - leak suspects in the spirit of Eclipse MAT's report.
 *
 * Object suspects. Going down the dominator tree from the super-root, the
 * "hubs" - the super-root, objects of ROOTS records for sys.modules and the
 * interpreter, immortal and static objects - are looked through: their
 * children are the top-level holders (modules, threads, objects held from
 * outside the dump, the unreachable node, ...), as classes and threads are
 * in a Java heap. A holder that retains at least `threshold` of the heap is
 * a suspect. Its accumulation point is found by following the largest child
 * while it keeps at least 80% of its parent's retained size: where the
 * memory stops being concentrated in one child. When the accumulation point
 * has two or three children that are each big enough to be suspects (two
 * caches in one module, say), those are reported instead, each with its own
 * accumulation point; with more, the accumulation point itself is the
 * answer (a collection of big items).
 *
 * Kind suspects (MAT's "suspect classes"). The top-level objects - those a
 * hub dominates directly, garbage and the program's definitions left out
 * (modules, classes, functions, code, descriptors, the __dict__ of a module
 * or class: Python keeps those alive from many places by design) - grouped
 * by type: a
 * type with two or more of them that together retain at least `threshold`
 * of the heap, not counting those already reported as object suspects, is
 * a suspect: many objects that no single object holds. It has no
 * accumulation point; its explanation names its largest object and the
 * kinds of objects that refer to them.
 *
 * Each suspect comes with its path from the roots (paths.h), the
 * accumulation point's path, what the accumulation point's children are,
 * and a one-paragraph explanation.
 *
 * Ownership: ph_suspects_free() frees the array and its strings.
 */
#ifndef PH_ANALYZE_SUSPECTS_H
#define PH_ANALYZE_SUSPECTS_H

#include <stddef.h>
#include <stdint.h>

#include "analyze/analysis.h"

enum ph_suspect_kind { PH_SUSPECT_OBJECT, PH_SUSPECT_KIND };

struct ph_suspect {
	enum ph_suspect_kind what;
	uint32_t node;   /* object, thread, frame or unreachable node; PH_NO_ID for a kind */
	char *type;      /* kind name (the kind itself for a kind suspect) */
	uint64_t retained;
	uint64_t objects; /* objects retained (object suspect), instances (kind suspect) */
	double share;     /* of the whole heap, 0..1 */
	char *path;       /* expression to the suspect, NULL for a kind */
	uint32_t acc;     /* accumulation point, PH_NO_ID if none */
	char *acc_path;
	uint64_t acc_children;     /* its children in the dominator tree */
	char *acc_child_kind;      /* their most common kind, and its share of them */
	double acc_child_kind_share;
	/*
	 * When the accumulation point is a namespace (a module or a class, or its
	 * __dict__), the names in it that hold the memory, largest first: a
	 * namespace is where names live, not where memory accumulates.
	 */
	struct ph_suspect_name {
		char *path;
		uint32_t node;
		uint64_t retained;
	} *names;
	size_t n_names;
	char *explanation;
};

/* threshold: share of the heap (0..1) that makes a suspect; 0.1 is MAT's default. */
int ph_suspects_find(struct ph_analysis *a, double threshold, struct ph_suspect **out, size_t *n);

/* The label of the ROOTS records of objects held only from C (the agent's unreached.h). */
#define PH_ROOT_LABEL_HELD_C "held from C (unreachable from Python)"

/*
 * Objects held only from C - live, yet unreachable from anything Python
 * refers to: a C extension's own references, or leaked ones (heapy's
 * heapu). *count of them and what they *retain together; the ids of the
 * largest max by retained size into ids (may be NULL when max is 0).
 * Returns how many ids were written.
 */
size_t ph_held_from_c(const struct ph_analysis *a, uint32_t *ids, size_t max, uint64_t *count,
		      uint64_t *retained);
void ph_suspects_free(struct ph_suspect *s, size_t n);

#endif
