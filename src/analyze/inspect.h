/* SPDX-License-Identifier: MIT */
/*
 * inspect.h - one object in full: what `pyheap object` prints and the UI's
 * object page shows. Its referents (out-edges, in edge order), its
 * referrers (in-edges, by source, each source's edges to it together), the
 * objects it retains directly (its dominator-tree children, largest first),
 * why it is a root, and a shortest path from the roots.
 *
 * Lists hold at most `limit` entries (0: all) and say how many there are in
 * all; the work is bounded by the entries listed, not by how many there are
 * (an object with millions of referrers costs what its first `limit` do,
 * plus a pass over its children in the dominator tree).
 *
 * The analysis' dominator tree must have been built (ph_analysis_tree())
 * when several threads inspect at once; inspecting reads it otherwise.
 *
 * Ownership: ph_inspect_release() frees the lists and strings.
 */
#ifndef PH_ANALYZE_INSPECT_H
#define PH_ANALYZE_INSPECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyze/analysis.h"
#include "common/buf.h"

/* A reference to or from the object: the edge `edge` of node `src` to (or from) `node`. */
struct ph_ref {
	uint32_t node; /* the referent, or the referrer */
	uint32_t src;  /* the edge's source */
	uint64_t edge; /* index in the source's edge arrays */
	bool weak;
};

struct ph_inspect {
	uint32_t id;
	struct ph_ref *out, *in; /* referents, referrers (the first `limit`) */
	size_t n_out, n_in;
	uint64_t total_out, total_in;
	uint32_t *kids; /* dominator-tree children, largest first (the first `limit`) */
	size_t n_kids;
	uint64_t total_kids;
	uint64_t strong_refs; /* strong references from objects of the dump */
	uint64_t native;      /* native bytes it owns (heap.h), 0 for none */
	const char *native_kinds[PH_FMT_NATIVE_MAX]; /* their kinds' names (static), n_native_kinds */
	size_t n_native_kinds;
	char **roots;         /* why it is a root, one sentence each (the first `limit`) */
	size_t n_roots;
	uint64_t total_roots; /* reasons in all */
	char *path; /* a shortest path from the roots as an expression; NULL if none */
};

int ph_inspect_object(struct ph_inspect *o, struct ph_analysis *a, uint32_t v, size_t limit);
void ph_inspect_release(struct ph_inspect *o);

/*
 * The label of reference r of the inspected object v (a referent when
 * r->src == v, else a referrer): the path step of the edge, after the frame
 * it comes from for a frame's local. Text borrowed from b.
 */
const char *ph_inspect_label(struct ph_buf *b, const struct ph_analysis *a, const struct ph_ref *r,
			     uint32_t v);

/* The object's flags as words ("gc immortal"), "-" for none, into buf. */
const char *ph_flags_text(uint8_t flags, char *buf, size_t n);

#endif
