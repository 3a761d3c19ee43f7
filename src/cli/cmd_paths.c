/* SPDX-License-Identifier: MIT */
/*
 * cmd_paths.c - `pyheap paths FILE ADDR [-n N]`: shortest paths from the roots
 * to an object, as Python expressions; `pyheap paths --kind KIND FILE`: the
 * paths of every object of a kind, merged (analyze/setpaths.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "analyze/paths.h"
#include "analyze/render.h"
#include "analyze/report.h"
#include "analyze/setpaths.h"
#include "cli/analyze_cmd.h"
#include "cli/table.h"
#include "common/error.h"
#include "common/units.h"

enum { OPT_KIND = 257, OPT_BY };

/* Patterns shown for a kind (the objects of the rest are counted). */
#define MAX_PATTERNS 100

static const struct ph_opt opts[] = {
	{"number", 'n', "N",
	 "Show up to N paths, each from a different root (default 5); with --kind, the full paths "
	 "of the N objects of the kind that retain the most."},
	{"kind", OPT_KIND, "KIND",
	 "Instead of one object, every object of KIND (a kind as histogram prints it: app.Node, "
	 "str, 'dict of app.Node' with --by owner): their paths merged into patterns, indexes and "
	 "data keys written [*], each with its count of objects and what they retain."},
	{"by", OPT_BY, "WHAT", "What --kind names: type (the default), owner or module."},
	PH_OPT_JSON,
	PH_OPT_MAX_MEMORY,
	PH_OPT_PYTHON_ONLY,
	PH_OPT_HELP,
	PH_OPT_END,
};

struct popts {
	const char *kind;
	enum ph_partition by;
	uint32_t v; /* without --kind: the object */
};

static int option(struct ph_run *r, int id, const char *arg)
{
	struct popts *o = r->opts;

	if (id == OPT_KIND) {
		o->kind = arg;
		return 0;
	}
	return id == OPT_BY ? ph_cli_partition(r->cmd, "--by", arg, &o->by) : 2;
}

static int check(struct ph_run *r)
{
	const struct popts *o = r->opts;

	if (r->limit < 1)
		return ph_usage_error(r->cmd, "--number takes 1 to 100000");
	if (o->kind) {
		r->min_args = r->max_args = 1;
		r->operands = "one FILE with --kind";
	}
	return 0;
}

static int loaded(struct ph_run *r)
{
	struct popts *o = r->opts;

	return o->kind ? 0 : ph_cli_object(r->cmd, r->a, r->args[1], &o->v);
}

static int json(struct ph_run *r, struct ph_json *j)
{
	const struct popts *o = r->opts;

	if (o->kind)
		return ph_report_setpaths(j, r->a, o->by, o->kind, MAX_PATTERNS, (size_t)r->limit);
	return ph_report_paths(j, r->a, o->v, (size_t)r->limit);
}

static int text_kind(struct ph_run *r)
{
	static const struct ph_table_col cols[] = {
		{"Objects", PH_ALIGN_RIGHT, 0},
		{"Retained", PH_ALIGN_RIGHT, 0},
		{"Path from the roots", PH_ALIGN_LEFT, 0},
	};
	const struct popts *o = r->opts;
	const struct ph_analysis *a = r->a;
	struct ph_buf b = PH_BUF_INIT;
	struct ph_setpaths sp;
	struct ph_table t;
	char hb[32];
	int err = ph_setpaths_compute(&sp, r->a, o->by, o->kind, MAX_PATTERNS, (size_t)r->limit);

	if (err)
		return err;
	printf("Shortest paths from the roots to the %" PRIu64 " objects of kind %s (by %s), "
	       "merged; they retain %s:\n", sp.objects, ph_cli_name(&b, o->kind, strlen(o->kind)),
	       ph_partition_name(o->by), ph_human_bytes(sp.retained, hb));
	ph_table_init(&t, cols, 3);
	for (size_t i = 0; i < sp.n && !err; i++) {
		err = ph_table_row(&t);
		err = err ? err : ph_table_cell(&t, "%" PRIu64, sp.rows[i].objects);
		err = err ? err : ph_table_cell(&t, "%s", ph_human_bytes(sp.rows[i].retained, hb));
		err = err ? err : ph_table_cell(&t, "%s", sp.rows[i].pattern);
	}
	if (!err)
		err = ph_table_print(&t, stdout);
	ph_table_release(&t);
	if (!err && sp.n < sp.n_rows)
		printf("<%zu more patterns>\n", sp.n_rows - sp.n);
	if (!err && sp.n_largest) {
		printf("\nThe paths of the %zu that retain the most:\n", sp.n_largest);
		for (size_t i = 0; i < sp.n_largest; i++)
			printf("%3zu. 0x%" PRIx64 " retains %s: %s\n", i + 1, a->h->addr[sp.largest[i]],
			       ph_human_bytes(a->r.size[sp.largest[i]], hb), sp.paths[i]);
		if (sp.objects > sp.n_largest)
			printf("<... %" PRIu64 " more paths ...>\n", sp.objects - sp.n_largest);
	}
	ph_buf_release(&b);
	ph_setpaths_free(&sp);
	return err;
}

static int text(struct ph_run *r)
{
	const struct popts *o = r->opts;
	const struct ph_analysis *a = r->a;
	struct ph_buf b = PH_BUF_INIT;
	struct ph_path *paths = NULL;
	size_t n = 0;
	int err;

	if (o->kind)
		return text_kind(r);
	if ((err = ph_paths_to(r->a, o->v, (size_t)r->limit, &paths, &n)))
		return err;
	printf("%zu shortest path%s from the roots to 0x%" PRIx64 " (%s)%s:\n", n, n == 1 ? "" : "s",
	       a->h->addr[o->v], ph_cli_name(&b, ph_heap_kind(a->h, o->v), strlen(ph_heap_kind(a->h, o->v))),
	       ph_bit(a->d.garbage, o->v) ? ", which no root reaches: it is garbage awaiting "
					    "collection, shown from where it is adopted"
					  : "");
	for (size_t i = 0; i < n; i++) {
		b.len = 0;
		ph_path_expr(&b, &a->g, &paths[i]);
		printf("%3zu. %s\n", i + 1, ph_buf_cstr(&b));
	}
	ph_buf_release(&b);
	ph_paths_free(paths, n);
	return 0;
}

static const struct ph_setup setup = {
	.min_args = 2,
	.max_args = 2,
	.operands = "FILE and ADDR",
	.load = PH_LOAD(0),
	.limit = 5,
	.max_limit = 100000,
	.opts_size = sizeof(struct popts),
	.option = option,
	.check = check,
	.loaded = loaded,
	.json = json,
	.text = text,
};

const struct ph_cmd ph_cmd_paths = {
	.name = "paths",
	.summary = "Show the shortest paths from the roots to an object",
	.synopsis = "[-n N] [--json] FILE ADDR | [--kind KIND [--by WHAT]] [-n N] [--json] FILE",
	.description =
		"Answers 'why is this object alive?' with the shortest chains of strong references "
		"from the roots to it, written as Python expressions: "
		"sys.modules['app'].__dict__['cache'][3].payload, or for a frame's local variable "
		"<thread 'MainThread'> frame main line 12 local 'x'.items[0]. Weak references are "
		"not followed (they keep nothing alive). Paths from named roots (sys.modules, the "
		"interpreter, thread frames) come first; paths from objects held from outside the "
		"dump (by C code) or from static objects follow only when needed. Each path starts "
		"at a different root. A reference with no name is shown as ' -> <type 0x...>', a "
		"dict key held by a dict as '<key>', a C-level slot as '<name>'. With --kind, the "
		"question is asked of every object of a kind at once, as heapy's shpaths and Eclipse "
		"MAT's merged shortest paths do: each object's shortest path becomes a pattern "
		"(indexes and data keys as [*]: sys.modules['app'].__dict__['CACHE'][*].items[*]), "
		"and the patterns are listed with their count of objects and what those retain "
		"(objects of the kind inside others counted once), then the full paths of those "
		"that retain the most.",
	.opts = opts,
	.examples = "$ pyheap paths app.pyheap 0x7f3a2c1b9e40\n$ pyheap paths -n 1 --json app.pyheap "
		    "0x7f3a2c1b9e40 | jq -r '.paths[0].expr'\n$ pyheap paths --kind app.Message app.pyheap\n"
		    "$ pyheap paths --kind 'dict of app.Node' --by owner app.pyheap",
	.setup = &setup,
};
