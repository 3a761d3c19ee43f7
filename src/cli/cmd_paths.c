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
	PH_OPT_HELP,
	PH_OPT_END,
};

static int run_kind(const struct ph_cmd *cmd, const char *file, const char *kind,
		    enum ph_partition by, uint64_t limit, bool json)
{
	struct ph_analysis *a;
	struct ph_setpaths sp;
	int err, status;

	if ((status = ph_cli_analyze(cmd, file, &a)))
		return status;
	if (json) {
		struct ph_json j;
		struct ph_buf jb = PH_BUF_INIT;

		ph_cli_json_start(&j, &jb);
		err = ph_report_setpaths(&j, a, by, kind, MAX_PATTERNS, (size_t)limit);
		status = ph_cli_json_finish(cmd, &j, &jb, err);
	} else if ((err = ph_setpaths_compute(&sp, a, by, kind, MAX_PATTERNS, (size_t)limit))) {
		status = ph_fail(cmd, err);
	} else {
		static const struct ph_table_col cols[] = {
			{"Objects", PH_ALIGN_RIGHT, 0},
			{"Retained", PH_ALIGN_RIGHT, 0},
			{"Path from the roots", PH_ALIGN_LEFT, 0},
		};
		struct ph_buf b = PH_BUF_INIT;
		struct ph_table t;
		char hb[32];

		printf("Shortest paths from the roots to the %" PRIu64 " objects of kind %s (by %s), "
		       "merged; they retain %s:\n", sp.objects, ph_cli_name(&b, kind, strlen(kind)),
		       ph_partition_name(by), ph_human_bytes(sp.retained, hb));
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
		status = err ? ph_fail(cmd, err) : 0;
		ph_buf_release(&b);
		ph_setpaths_free(&sp);
	}
	ph_analysis_free(a);
	return ph_cli_end(cmd, status);
}

static int run(const struct ph_cmd *cmd, int argc, char **argv)
{
	uint64_t limit = 5;
	bool json = false;
	struct ph_analysis *a;
	struct ph_path *paths = NULL;
	size_t n = 0;
	uint32_t v;
	const char *arg, *kind = NULL;
	enum ph_partition by = PH_BY_TYPE;
	int c, err, status = 0;

	while ((c = ph_getopt(cmd, argc, argv, &arg)) != -1) {
		switch (c) {
		case 'n':
			if (ph_parse_u64(cmd, "--number", arg, &limit))
				return 2;
			break;
		case OPT_KIND:
			kind = arg;
			break;
		case OPT_BY:
			if (ph_partition_parse(arg) < 0)
				return ph_usage_error(cmd, "--by takes " PH_PARTITIONS ", not '%s'", arg);
			by = (enum ph_partition)ph_partition_parse(arg);
			break;
		case PH_OPT_JSON_ID:
			json = true;
			break;
		default:
			return 2;
		}
	}
	if (limit < 1 || limit > 100000)
		return ph_usage_error(cmd, "--number takes 1 to 100000");
	if (kind) {
		if (optind + 1 != argc)
			return ph_usage_error(cmd, "expected one FILE with --kind");
		return run_kind(cmd, argv[optind], kind, by, limit, json);
	}
	if (optind + 2 != argc)
		return ph_usage_error(cmd, "expected FILE and ADDR");
	if ((status = ph_cli_analyze(cmd, argv[optind], &a)))
		return status;
	if ((status = ph_cli_object(cmd, a, argv[optind + 1], &v))) {
		ph_analysis_free(a);
		return status;
	}
	if (json) {
		struct ph_json j;
		struct ph_buf jb = PH_BUF_INIT;

		ph_cli_json_start(&j, &jb);
		err = ph_report_paths(&j, a, v, (size_t)limit);
		status = ph_cli_json_finish(cmd, &j, &jb, err);
	} else if ((err = ph_paths_to(a, v, (size_t)limit, &paths, &n))) {
		status = ph_fail(cmd, err);
	} else {
		struct ph_buf b = PH_BUF_INIT;

		printf("%zu shortest path%s from the roots to 0x%" PRIx64 " (%s)%s:\n", n,
		       n == 1 ? "" : "s", a->h->addr[v],
		       ph_cli_name(&b, ph_heap_kind(a->h, v), strlen(ph_heap_kind(a->h, v))),
		       ph_bit(a->d.garbage, v) ? ", which no root reaches: it is garbage awaiting "
						 "collection, shown from where it is adopted"
					       : "");
		for (size_t i = 0; i < n; i++) {
			b.len = 0;
			ph_path_expr(&b, &a->g, &paths[i]);
			printf("%3zu. %s\n", i + 1, ph_buf_cstr(&b));
		}
		ph_buf_release(&b);
	}
	ph_paths_free(paths, n);
	ph_analysis_free(a);
	return ph_cli_end(cmd, status);
}

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
	.run = run,
};
