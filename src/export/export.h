/* SPDX-License-Identifier: MIT */
/*
 * export.h - an analyzed dump written in formats other tools read:
 *
 *   heapsnapshot  Chrome DevTools' .heapsnapshot (the Memory tab, VS Code):
 *                 the analysis graph - roots, threads, frames, objects and
 *                 their labelled edges - mapped onto V8's node and edge
 *                 types so that DevTools' own dominators and retained sizes
 *                 are pyheap's (docs/export.md says how, and where not).
 *   jsonl         one JSON document a line: a header, each thread, each
 *                 object with its sizes, value, labelled references and
 *                 dominator (schema in docs/export.md, versioned).
 *
 * Both reuse the analysis as it is (roots, edges, dominators, retained
 * sizes) and stream: the heapsnapshot keeps a string table and two 4-byte
 * arrays per node, the jsonl nothing per object; neither builds a document.
 * They write to a sink (sink.h); the caller makes the output atomic.
 *
 * Each returns 0 or an error code with the detail recorded (a write error
 * is the sink's: PH_ENOSPC for a full disk); what was written is then
 * incomplete and must be thrown away.
 */
#ifndef PH_EXPORT_EXPORT_H
#define PH_EXPORT_EXPORT_H

#include "analyze/analysis.h"
#include "export/sink.h"

/* The version of the jsonl schema (docs/export.md), in its header line. */
#define PH_EXPORT_JSONL_VERSION 1

int ph_export_heapsnapshot(struct ph_sink *s, const struct ph_analysis *a);
int ph_export_jsonl(struct ph_sink *s, const struct ph_analysis *a);

#endif
