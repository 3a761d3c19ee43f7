/* SPDX-License-Identifier: MIT */
/*
 * api.c - the JSON API of `pyheap serve` (see api.h, docs/api.md).
 */
#include "http/api.h"

#include <inttypes.h>
#include <malloc.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/objects.h"
#include "analyze/leaks.h"
#include "analyze/report.h"
#include "analyze/setpaths.h"
#include "analyze/waste.h"
#include "common/error.h"
#include "common/json.h"
#include "common/units.h"

#define CACHE_SLOTS 64
#define CACHE_MAX_DOC (8u << 20) /* larger documents are rendered each time */

struct cache_entry {
	char *key;
	uint8_t *data;
	size_t len;
	uint64_t used; /* the clock at its last use: the least recent goes first */
};

struct ph_api {
	struct ph_analysis *a, *old;
	struct ph_objects_index ix;
	atomic_bool ix_ready;
	/* the dominator trees, built by the warm thread; requests wait for them */
	pthread_mutex_t tree_lock;
	pthread_cond_t tree_cond;
	bool tree_done;
	int tree_err;
	char tree_detail[PH_ERROR_DETAIL_MAX];
	pthread_t warm;
	bool warming;
	pthread_mutex_t cache_lock;   /* guards cache[] and clock */
	pthread_mutex_t compute_lock; /* one document of the cache computed at a time */
	struct cache_entry cache[CACHE_SLOTS];
	uint64_t clock;
};

/* ---- responses ---- */

void ph_api_error(struct ph_api_response *rs, int status, const char *fmt, ...)
{
	struct ph_json j;
	char msg[PH_ERROR_DETAIL_MAX + 128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	rs->status = status;
	rs->body.len = 0;
	ph_json_init_buf(&j, &rs->body, false);
	ph_json_begin_object(&j);
	ph_json_key(&j, "error");
	ph_json_str(&j, msg);
	ph_json_key(&j, "status");
	ph_json_int(&j, status);
	ph_json_end_object(&j);
	ph_json_finish(&j);
}

/* After a report: the document, or the error it returned as a 5xx. */
static void finish(struct ph_api_response *rs, struct ph_json *j, int err)
{
	if (!err && (ph_json_finish(j) || j->error))
		err = ph_error(PH_ENOMEM, "out of memory: cannot build the JSON document");
	if (err) {
		/* PH_EINVAL: what is served does not allow it (leaks of dumps of two processes) */
		ph_api_error(rs, err == PH_ENOMEM ? 503 : err == PH_EINVAL ? 409 : err == PH_ENOTFOUND ? 404 : 500,
			     "%s", ph_error_detail());
		return;
	}
	rs->status = 200;
}

/* ---- the cache of whole documents ---- */

static bool cache_get(struct ph_api *api, const char *key, struct ph_api_response *rs)
{
	bool hit = false;

	pthread_mutex_lock(&api->cache_lock);
	for (int i = 0; i < CACHE_SLOTS && !hit; i++) {
		struct cache_entry *e = &api->cache[i];

		if (!e->key || strcmp(e->key, key))
			continue;
		rs->body.len = 0;
		if (ph_buf_put(&rs->body, e->data, e->len) == 0) {
			e->used = ++api->clock;
			rs->status = 200;
			hit = true;
		}
	}
	pthread_mutex_unlock(&api->cache_lock);
	return hit;
}

static void cache_put(struct ph_api *api, const char *key, const struct ph_buf *doc)
{
	struct cache_entry *victim = &api->cache[0];
	char *k;
	uint8_t *d;

	if (doc->len > CACHE_MAX_DOC)
		return;
	k = strdup(key);
	d = malloc(doc->len ? doc->len : 1);
	if (!k || !d) {
		free(k);
		free(d);
		return; /* not kept: computed again next time */
	}
	memcpy(d, doc->data, doc->len);
	pthread_mutex_lock(&api->cache_lock);
	for (int i = 0; i < CACHE_SLOTS; i++)
		if (!api->cache[i].key || api->cache[i].used < victim->used)
			victim = &api->cache[i];
	free(victim->key);
	free(victim->data);
	victim->key = k;
	victim->data = d;
	victim->len = doc->len;
	victim->used = ++api->clock;
	pthread_mutex_unlock(&api->cache_lock);
}

/* A request's parameters, checked, and what it asks for. */
struct call {
	struct ph_api *api;
	const struct ph_api_request *rq;
	struct ph_api_response *rs;
	struct ph_analysis *a; /* the dump asked for (dump=new|old) */
	char key[512];         /* the document's cache key */
};

typedef int render_fn(struct ph_json *j, struct call *c, void *ctx);

/* Render a document through fn; with cache, keep it under c->key and answer from it. */
static void render(struct call *c, render_fn *fn, void *ctx, bool cache)
{
	struct ph_json j;
	int err;

	if (cache && c->rq->pretty) {
		size_t n = strlen(c->key);

		snprintf(c->key + n, sizeof(c->key) - n, " pretty");
	}
	if (cache && cache_get(c->api, c->key, c->rs))
		return;
	if (cache)
		pthread_mutex_lock(&c->api->compute_lock);
	if (!cache || !cache_get(c->api, c->key, c->rs)) {
		c->rs->body.len = 0;
		ph_json_init_buf(&j, &c->rs->body, c->rq->pretty);
		err = fn(&j, c, ctx);
		finish(c->rs, &j, err);
		if (cache && c->rs->status == 200)
			cache_put(c->api, c->key, &c->rs->body);
	}
	if (cache)
		pthread_mutex_unlock(&c->api->compute_lock);
}

/* ---- parameters ---- */

static const char *arg(const struct call *c, const char *name)
{
	for (size_t i = 0; i < c->rq->n_args; i++)
		if (!strcmp(c->rq->args[i].name, name))
			return c->rq->args[i].value ? c->rq->args[i].value : "";
	return NULL;
}

/* Every parameter is one of `allowed` (space-separated) and given once; else a 400. */
static bool check_args(struct call *c, const char *route, const char *allowed)
{
	for (size_t i = 0; i < c->rq->n_args; i++) {
		const char *name = c->rq->args[i].name;
		size_t n = strlen(name);
		const char *p = allowed;
		bool ok = false;

		while (*p && !ok) {
			size_t w = strcspn(p, " ");

			ok = w == n && !strncmp(p, name, n);
			p += w + (p[w] == ' ');
		}
		if (!ok) {
			ph_api_error(c->rs, 400, "unknown parameter '%s' for %s (it takes: %s)", name,
				     route, *allowed ? allowed : "none");
			return false;
		}
		for (size_t k = 0; k < i; k++)
			if (!strcmp(c->rq->args[k].name, name)) {
				ph_api_error(c->rs, 400, "parameter '%s' given twice", name);
				return false;
			}
	}
	return true;
}

/* An integer parameter in [min, max]; def when absent or empty. false after a 400. */
static bool arg_uint(struct call *c, const char *name, uint64_t def, uint64_t min, uint64_t max,
		     uint64_t *out)
{
	const char *s = arg(c, name);

	*out = def;
	if (!s || !*s)
		return true;
	if (!ph_parse_uint(s, false, out) || *out < min || *out > max) {
		ph_api_error(c->rs, 400, "%s takes an integer from %" PRIu64 " to %" PRIu64 ", not '%.40s'",
			     name, min, max, s);
		return false;
	}
	return true;
}

/* by=type|owner|module (default type). */
/* A partition's name in parameter name (absent: type). */
static bool arg_partition(struct call *c, const char *name, enum ph_partition *by)
{
	const char *s = arg(c, name);

	*by = PH_BY_TYPE;
	if (!s || !*s)
		return true;
	if (ph_partition_parse(s) < 0) {
		ph_api_error(c->rs, 400, "%s takes " PH_PARTITIONS ", not '%.40s'", name, s);
		return false;
	}
	*by = (enum ph_partition)ph_partition_parse(s);
	return true;
}

static bool arg_by(struct call *c, enum ph_partition *by)
{
	return arg_partition(c, "by", by);
}

/* dump=new|old: which analysis (old only when two dumps are served). */
static bool arg_dump(struct call *c)
{
	const char *s = arg(c, "dump");

	c->a = c->api->a;
	if (!s || !*s || !strcmp(s, "new"))
		return true;
	if (strcmp(s, "old")) {
		ph_api_error(c->rs, 400, "dump takes new or old, not '%.40s'", s);
		return false;
	}
	if (!c->api->old) {
		ph_api_error(c->rs, 400, "dump=old: only one dump is served (pyheap serve OLD NEW serves two)");
		return false;
	}
	c->a = c->api->old;
	return true;
}

static bool arg_bool(struct call *c, const char *name, bool *out)
{
	const char *s = arg(c, name);

	*out = false;
	if (!s || !*s || !strcmp(s, "0") || !strcmp(s, "false"))
		return true;
	if (!strcmp(s, "1") || !strcmp(s, "true")) {
		*out = true;
		return true;
	}
	ph_api_error(c->rs, 400, "%s takes 1, 0, true or false, not '%.40s'", name, s);
	return false;
}

/* A text parameter of at most max bytes (NULL when absent or empty). */
static bool arg_text(struct call *c, const char *name, size_t max, const char **out)
{
	const char *s = arg(c, name);

	*out = s && *s ? s : NULL;
	if (s && strlen(s) > max) {
		ph_api_error(c->rs, 400, "%s is longer than %zu bytes", name, max);
		return false;
	}
	return true;
}

static bool ix_ready(struct ph_api *api)
{
	return atomic_load_explicit(&api->ix_ready, memory_order_acquire);
}

/* The object named by s in c->a ("0x7f.." or decimal); false after a 400 or 404. */
static bool find_object(struct call *c, const char *s, uint32_t *v)
{
	uint64_t addr;

	if (!ph_parse_addr(s, &addr)) {
		ph_api_error(c->rs, 400, "'%.40s' is not an address (0x7f... or decimal)", s);
		return false;
	}
	if (c->a == c->api->a && ix_ready(c->api))
		*v = ph_objects_index_find(&c->api->ix, addr);
	else
		*v = ph_heap_find(c->a->h, addr);
	if (*v == PH_NO_ID) {
		ph_api_error(c->rs, 404, "no object at address 0x%" PRIx64 " in %s", addr, c->a->h->path);
		return false;
	}
	return true;
}

/* A node of the dominator tree: an object's address, root, unreachable, thread:N, frame:N. */
static bool find_node(struct call *c, const char *s, uint32_t *v)
{
	const struct ph_graph *g = &c->a->g;
	uint64_t i;

	if (!strcmp(s, "root")) {
		*v = g->super;
	} else if (!strcmp(s, "unreachable")) {
		*v = g->unreachable;
	} else if (!strncmp(s, "thread:", 7) || !strncmp(s, "frame:", 6)) {
		bool thread = s[0] == 't';
		uint64_t n = thread ? g->first_frame - g->first_thread : g->n_nodes - g->first_frame;

		if (!ph_parse_uint(s + (thread ? 7 : 6), false, &i) || i >= n) {
			ph_api_error(c->rs, 404, "no %s %.40s in %s", thread ? "thread" : "frame",
				     s + (thread ? 7 : 6), c->a->h->path);
			return false;
		}
		*v = (uint32_t)i + (thread ? g->first_thread : g->first_frame);
	} else {
		return find_object(c, s, v);
	}
	return true;
}

/* ---- routes ---- */

static int do_summary(struct ph_json *j, struct call *c, void *ctx)
{
	return ph_report_summary(j, c->a, (size_t)*(uint64_t *)ctx);
}

struct histogram_args {
	enum ph_partition by, kind_by;
	uint64_t limit;
	const char *kind; /* NULL: every object */
};

static int do_histogram(struct ph_json *j, struct call *c, void *ctx)
{
	const struct histogram_args *h = ctx;

	return ph_report_histogram_of(j, c->a, h->by, (size_t)h->limit, h->kind, h->kind_by);
}

static int do_objects(struct ph_json *j, struct call *c, void *ctx)
{
	struct ph_objects_query *q = ctx;
	struct ph_objects_index *ix = c->a == c->api->a && ix_ready(c->api) ? &c->api->ix : NULL;

	return ph_report_objects(j, c->a, ix, q);
}

static int do_object(struct ph_json *j, struct call *c, void *ctx)
{
	const uint64_t *p = ctx; /* id, limit */

	return ph_report_object(j, c->a, (uint32_t)p[0], (size_t)p[1]);
}

static int do_paths(struct ph_json *j, struct call *c, void *ctx)
{
	const uint64_t *p = ctx;

	return ph_report_paths(j, c->a, (uint32_t)p[0], (size_t)p[1]);
}

static int do_threads(struct ph_json *j, struct call *c, void *ctx)
{
	return ph_report_threads(j, c->a);
}

static int do_suspects(struct ph_json *j, struct call *c, void *ctx)
{
	return ph_report_suspects(j, c->a, *(double *)ctx);
}

struct kind_paths {
	enum ph_partition by;
	const char *kind;
	uint64_t limit;
};

static int do_kind_paths(struct ph_json *j, struct call *c, void *ctx)
{
	const struct kind_paths *k = ctx;

	return ph_report_setpaths(j, c->a, k->by, k->kind, 100, (size_t)k->limit);
}

static int do_waste(struct ph_json *j, struct call *c, void *ctx)
{
	return ph_report_waste(j, c->a, (size_t)*(uint64_t *)ctx);
}

static int do_leaks(struct ph_json *j, struct call *c, void *ctx)
{
	return ph_report_leaks(j, c->api->a, c->api->old->h->path, NULL, (size_t)*(uint64_t *)ctx);
}

static int do_diff(struct ph_json *j, struct call *c, void *ctx)
{
	const uint64_t *p = ctx; /* by, limit, all */

	return ph_report_diff(j, c->api->old, c->api->a, (enum ph_partition)p[0], (size_t)p[1], p[2]);
}

static int do_tree(struct ph_json *j, struct call *c, void *ctx)
{
	const uint64_t *p = ctx; /* node, depth, limit */

	return ph_report_tree(j, c->a, (uint32_t)p[0], (unsigned)p[1], (size_t)p[2]);
}

static int do_server(struct ph_json *j, struct call *c, void *ctx)
{
	const struct ph_api *api = c->api;

	ph_json_begin_object(j);
	ph_json_key(j, "version");
	ph_json_str(j, PYHEAP_VERSION);
	ph_json_key(j, "file");
	ph_json_str(j, api->a->h->path);
	ph_json_key(j, "old_file");
	ph_json_str(j, api->old ? api->old->h->path : NULL);
	ph_json_key(j, "objects");
	ph_json_uint(j, api->a->h->n_objects);
	ph_json_key(j, "max_limit");
	ph_json_uint(j, PH_API_MAX_LIMIT);
	ph_json_key(j, "indexed");
	ph_json_bool(j, ix_ready(c->api));
	ph_json_end_object(j);
	return 0;
}

static void route_objects(struct call *c, const char *route, uint64_t def_limit)
{
	struct ph_objects_query q = {PH_SORT_RETAINED, PH_BY_TYPE, NULL, NULL, 0, def_limit};
	const char *sort;

	if (!check_args(c, route, "sort offset limit kind by q dump") || !arg_dump(c) ||
	    !arg_uint(c, "offset", 0, 0, PH_HEAP_MAX_OBJECTS, &q.offset) ||
	    !arg_uint(c, "limit", def_limit, 1, PH_API_MAX_LIMIT, &q.limit) || !arg_by(c, &q.by) ||
	    !arg_text(c, "kind", 1024, &q.kind) || !arg_text(c, "q", 1024, &q.q))
		return;
	sort = arg(c, "sort");
	if (sort && *sort && strcmp(sort, "retained") && strcmp(sort, "size")) {
		ph_api_error(c->rs, 400, "sort takes retained or size, not '%.40s'", sort);
		return;
	}
	q.sort = sort && !strcmp(sort, "size") ? PH_SORT_SIZE : PH_SORT_RETAINED;
	render(c, do_objects, &q, false);
}

/* /objects/ADDR, /paths/ADDR, /tree/NODE: the part after the prefix, or NULL. */
static const char *suffix(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	return !strncmp(path, prefix, n) && path[n] ? path + n : NULL;
}

static void answer(struct call *c)
{
	const char *path = c->rq->path, *s;
	uint64_t p[3];
	char kb[32];

	if (!strcmp(path, "/server")) {
		if (check_args(c, "/api/server", ""))
			render(c, do_server, NULL, false);
	} else if (!strcmp(path, "/summary")) {
		if (check_args(c, "/api/summary", "limit dump") && arg_dump(c) &&
		    arg_uint(c, "limit", 10, 0, PH_API_MAX_LIMIT, &p[0])) {
			snprintf(c->key, sizeof(c->key), "summary %d %" PRIu64, c->a == c->api->old, p[0]);
			render(c, do_summary, p, true);
		}
	} else if (!strcmp(path, "/histogram")) {
		struct histogram_args h;

		if (check_args(c, "/api/histogram", "by limit dump kind kind_by") && arg_dump(c) &&
		    arg_by(c, &h.by) && arg_uint(c, "limit", 20, 1, PH_API_MAX_LIMIT, &h.limit) &&
		    arg_text(c, "kind", 400, &h.kind) && arg_partition(c, "kind_by", &h.kind_by)) {
			if (h.kind && !arg(c, "kind_by") && !strncmp(h.kind, "dict of ", 8))
				h.kind_by = PH_BY_OWNER;
			snprintf(c->key, sizeof(c->key), "histogram %d %d %" PRIu64 " %d %.400s",
				 c->a == c->api->old, (int)h.by, h.limit, (int)h.kind_by,
				 h.kind ? h.kind : "");
			render(c, do_histogram, &h, true);
		}
	} else if (!strcmp(path, "/waste")) {
		if (check_args(c, "/api/waste", "limit dump") && arg_dump(c) &&
		    arg_uint(c, "limit", 20, 1, PH_API_MAX_LIMIT, &p[0])) {
			snprintf(c->key, sizeof(c->key), "waste %d %" PRIu64, c->a == c->api->old, p[0]);
			render(c, do_waste, p, true);
		}
	} else if (!strcmp(path, "/top")) {
		route_objects(c, "/api/top", 20);
	} else if (!strcmp(path, "/objects")) {
		route_objects(c, "/api/objects", 50);
	} else if ((s = suffix(path, "/objects/"))) {
		if (check_args(c, "/api/objects/ADDR", "limit dump") && arg_dump(c) &&
		    arg_uint(c, "limit", 50, 1, PH_API_MAX_LIMIT, &p[1])) {
			uint32_t v;

			if (find_object(c, s, &v)) {
				p[0] = v;
				render(c, do_object, p, false);
			}
		}
	} else if (!strcmp(path, "/paths")) {
		struct kind_paths k = {PH_BY_TYPE, NULL, 5};

		if (check_args(c, "/api/paths", "kind by limit dump") && arg_dump(c) &&
		    arg_by(c, &k.by) && arg_uint(c, "limit", 5, 1, 100, &k.limit) &&
		    arg_text(c, "kind", 400, &k.kind)) {
			if (!k.kind || !*k.kind) {
				ph_api_error(c->rs, 400, "/api/paths takes kind=KIND (or /api/paths/ADDR)");
				return;
			}
			snprintf(c->key, sizeof(c->key), "paths %d %d %" PRIu64 " %.400s",
				 c->a == c->api->old, (int)k.by, k.limit, k.kind);
			render(c, do_kind_paths, &k, true);
		}
	} else if ((s = suffix(path, "/paths/"))) {
		if (check_args(c, "/api/paths/ADDR", "limit dump") && arg_dump(c) &&
		    arg_uint(c, "limit", 5, 1, 100, &p[1])) {
			uint32_t v;

			if (find_object(c, s, &v)) {
				p[0] = v;
				render(c, do_paths, p, false);
			}
		}
	} else if ((s = suffix(path, "/tree/"))) {
		if (check_args(c, "/api/tree/NODE", "depth limit dump") && arg_dump(c) &&
		    arg_uint(c, "depth", 2, 0, 3, &p[1]) && arg_uint(c, "limit", 12, 1, 50, &p[2])) {
			uint32_t v;

			/* each level lists limit children and limit groups under each node */
			if (pow(2.0 * (double)p[2], (double)p[1]) > 20000) {
				ph_api_error(c->rs, 400, "depth %" PRIu64 " with limit %" PRIu64
					     " asks for too many nodes: lower one", p[1], p[2]);
				return;
			}
			if (find_node(c, s, &v)) {
				p[0] = v;
				snprintf(c->key, sizeof(c->key), "tree %d %s %" PRIu64 " %" PRIu64,
					 c->a == c->api->old, ph_node_key(c->a, v, kb), p[1], p[2]);
				render(c, do_tree, p, true);
			}
		}
	} else if (!strcmp(path, "/threads")) {
		if (check_args(c, "/api/threads", "dump") && arg_dump(c)) {
			snprintf(c->key, sizeof(c->key), "threads %d", c->a == c->api->old);
			render(c, do_threads, NULL, true);
		}
	} else if (!strcmp(path, "/suspects")) {
		const char *t;
		double threshold = 10;

		if (check_args(c, "/api/suspects", "threshold dump") && arg_dump(c)) {
			t = arg(c, "threshold");
			if (t && *t) {
				char *end;

				threshold = strtod(t, &end);
				if (*end || end == t || !(threshold > 0 && threshold <= 100)) {
					ph_api_error(c->rs, 400,
						     "threshold takes a percentage above 0 and at most 100, not '%.40s'",
						     t);
					return;
				}
			}
			snprintf(c->key, sizeof(c->key), "suspects %d %.17g", c->a == c->api->old, threshold);
			threshold /= 100;
			render(c, do_suspects, &threshold, true);
		}
	} else if (!strcmp(path, "/leaks")) {
		if (!c->api->old) {
			ph_api_error(c->rs, 404, "no leaks: one dump is served (pyheap serve BASE TARGET serves them)");
		} else if (check_args(c, "/api/leaks", "limit") &&
			   arg_uint(c, "limit", 20, 1, PH_API_MAX_LIMIT, &p[0])) {
			snprintf(c->key, sizeof(c->key), "leaks %" PRIu64, p[0]);
			render(c, do_leaks, p, true);
		}
	} else if (!strcmp(path, "/diff")) {
		enum ph_partition by;
		bool all;

		if (!c->api->old) {
			ph_api_error(c->rs, 404, "no diff: one dump is served (pyheap serve OLD NEW serves a diff)");
		} else if (check_args(c, "/api/diff", "by limit all") && arg_by(c, &by) &&
			   arg_uint(c, "limit", 20, 1, PH_API_MAX_LIMIT, &p[1]) && arg_bool(c, "all", &all)) {
			p[0] = by;
			p[2] = all;
			snprintf(c->key, sizeof(c->key), "diff %" PRIu64 " %" PRIu64 " %" PRIu64, p[0], p[1],
				 p[2]);
			render(c, do_diff, p, true);
		}
	} else {
		ph_api_error(c->rs, 404, "no such API route: /api%.200s (docs/api.md lists them)", path);
	}
}

void ph_api_answer(struct ph_api *api, const struct ph_api_request *rq, struct ph_api_response *rs)
{
	struct call c = {api, rq, rs, api->a, ""};

	/* the analysis is shared read-only once its dominator trees are built */
	pthread_mutex_lock(&api->tree_lock);
	while (!api->tree_done)
		pthread_cond_wait(&api->tree_cond, &api->tree_lock);
	pthread_mutex_unlock(&api->tree_lock);
	if (api->tree_err) {
		ph_api_error(rs, api->tree_err == PH_ENOMEM ? 503 : 500, "%s", api->tree_detail);
		return;
	}
	answer(&c);
}

/* ---- lifetime ---- */

static void *warm_main(void *arg)
{
	struct ph_api *api = arg;
	struct ph_api_arg none[1];
	struct ph_api_request rq = {"/summary", none, 0, false};
	struct ph_api_response rs = {0, PH_BUF_INIT};
	int err = 0;

	if (!ph_analysis_tree(api->a) || (api->old && !ph_analysis_tree(api->old)))
		err = ph_error_code();
	pthread_mutex_lock(&api->tree_lock);
	api->tree_err = err;
	snprintf(api->tree_detail, sizeof(api->tree_detail), "%s", err ? ph_error_detail() : "");
	api->tree_done = true;
	pthread_cond_broadcast(&api->tree_cond);
	pthread_mutex_unlock(&api->tree_lock);
	if (err)
		return NULL;
	if (ph_objects_index_build(&api->ix, api->a) == 0)
		atomic_store_explicit(&api->ix_ready, true, memory_order_release);
	/* the overview's documents, so that the first page is instant */
	ph_api_answer(api, &rq, &rs);
	rq.path = "/histogram";
	ph_api_answer(api, &rq, &rs);
	rq.path = "/tree/root";
	ph_api_answer(api, &rq, &rs);
	ph_buf_release(&rs.body);
	/* the index's sort buffers and the documents' passes are done: give their memory back */
	malloc_trim(0);
	return NULL;
}

int ph_api_new(struct ph_api **out, struct ph_analysis *a, struct ph_analysis *old)
{
	struct ph_api *api = calloc(1, sizeof(*api));

	*out = NULL;
	if (!api) {
		ph_analysis_free(a);
		ph_analysis_free(old);
		return ph_error(PH_ENOMEM, "cannot allocate the API");
	}
	/*
	 * A server lives long and its requests allocate large temporaries (the
	 * histogram's arrays, a path search's): a fixed mmap threshold keeps
	 * glibc from raising it after each and leaving their memory resident.
	 */
	mallopt(M_MMAP_THRESHOLD, 256 * 1024);
	api->a = a;
	api->old = old;
	atomic_init(&api->ix_ready, false);
	pthread_mutex_init(&api->cache_lock, NULL);
	pthread_mutex_init(&api->compute_lock, NULL);
	pthread_mutex_init(&api->tree_lock, NULL);
	pthread_cond_init(&api->tree_cond, NULL);
	*out = api;
	return 0;
}

int ph_api_warm(struct ph_api *api)
{
	int e = pthread_create(&api->warm, NULL, warm_main, api);

	if (e) {
		pthread_mutex_lock(&api->tree_lock);
		api->tree_done = true; /* no request comes: the server is not started */
		api->tree_err = PH_EIO;
		pthread_mutex_unlock(&api->tree_lock);
		return ph_error_errno(PH_EIO, e, "cannot start a thread");
	}
	api->warming = true;
	return 0;
}

void ph_api_free(struct ph_api *api)
{
	if (!api)
		return;
	if (api->warming)
		pthread_join(api->warm, NULL);
	if (ix_ready(api))
		ph_objects_index_release(&api->ix);
	for (int i = 0; i < CACHE_SLOTS; i++) {
		free(api->cache[i].key);
		free(api->cache[i].data);
	}
	pthread_mutex_destroy(&api->cache_lock);
	pthread_mutex_destroy(&api->compute_lock);
	pthread_mutex_destroy(&api->tree_lock);
	pthread_cond_destroy(&api->tree_cond);
	ph_analysis_free(api->a);
	ph_analysis_free(api->old);
	free(api);
}
