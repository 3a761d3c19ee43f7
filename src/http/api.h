/* SPDX-License-Identifier: MIT */
/*
 * api.h - the JSON API of `pyheap serve` (docs/api.md), apart from HTTP.
 *
 * An api holds the analysis of the dump it serves (and of an older dump,
 * for the diff), loaded once and shared read-only by every request. A
 * background thread (ph_api_warm()) builds the dominator trees as child
 * lists - requests wait for that, a few tenths of a second at 10M objects -
 * then an objects index (objects.h), while requests are answered without
 * it (the same rows, from a pass over the objects), then the overview's
 * documents.
 * Documents that take a pass over the whole heap (summary, histogram,
 * suspects, diff, threads, tree) are kept once rendered, keyed by their
 * parameters, so a second request for one costs a copy.
 *
 * ph_api_answer() may be called from any number of threads at once. Every
 * answer is one JSON document: the document of report.h for the route, or
 * {"error": "...", "status": N} with a 4xx status for a request that names
 * no route, an unknown object or parameter, or a value out of range, and
 * 500 (or 503 when out of memory) if the analysis fails. Lists take a
 * `limit` of at most PH_API_MAX_LIMIT rows.
 *
 * Ownership: the api takes the analyses given to ph_api_new() and frees
 * them in ph_api_free(); a response's body is the caller's to release.
 */
#ifndef PH_HTTP_API_H
#define PH_HTTP_API_H

#include <stdbool.h>
#include <stddef.h>

#include "analyze/analysis.h"
#include "common/buf.h"

#define PH_API_MAX_LIMIT 1000
#define PH_API_MAX_ARGS 16

struct ph_api;

struct ph_api_arg {
	const char *name, *value; /* value "" for a name without "=" */
};

struct ph_api_request {
	const char *path; /* after "/api": "/summary", "/objects/0x7f.." */
	const struct ph_api_arg *args;
	size_t n_args;
	bool pretty; /* indented JSON, as the command line prints it */
};

struct ph_api_response {
	int status; /* HTTP status */
	struct ph_buf body;
};

/* An api over a (and old, NULL without a diff); takes both. 0 or an error. */
int ph_api_new(struct ph_api **out, struct ph_analysis *a, struct ph_analysis *old);

/* Start the background work; requests are answered once it has built the dominator trees. */
int ph_api_warm(struct ph_api *api);

/* Answer a request into rs (rs->body empty on entry). */
void ph_api_answer(struct ph_api *api, const struct ph_api_request *rq,
		   struct ph_api_response *rs);

/* rs with {"error": msg, "status": status} (msg printf-style). */
void ph_api_error(struct ph_api_response *rs, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Wait for the background work, then free everything. */
void ph_api_free(struct ph_api *api);

#endif
