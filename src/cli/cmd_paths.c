/* SPDX-License-Identifier: MIT */
/*
 * cmd_paths.c - `pyheap paths FILE ADDR [-n N]`: shortest paths from the roots
 * to an object, as Python expressions.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "analyze/paths.h"
#include "analyze/render.h"
#include "analyze/report.h"
#include "cli/analyze_cmd.h"
#include "common/error.h"

static const struct ph_opt opts[] = {
	{"number", 'n', "N", "Show up to N paths, each from a different root (default 5)."},
	PH_OPT_JSON,
	PH_OPT_MAX_MEMORY,
	PH_OPT_HELP,
	PH_OPT_END,
};

static int run(const struct ph_cmd *cmd, int argc, char **argv)
{
	uint64_t limit = 5;
	bool json = false;
	struct ph_analysis *a;
	struct ph_path *paths = NULL;
	size_t n = 0;
	uint32_t v;
	int err, status = 0;

	if ((status = ph_cli_simple_opts(cmd, argc, argv, &limit, &json, 2, "FILE and ADDR")))
		return status;
	if (limit < 1 || limit > 100000)
		return ph_usage_error(cmd, "--number takes 1 to 100000");
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
	.synopsis = "[-n N] [--json] FILE ADDR",
	.description =
		"Answers 'why is this object alive?' with the shortest chains of strong references "
		"from the roots to it, written as Python expressions: "
		"sys.modules['app'].__dict__['cache'][3].payload, or for a frame's local variable "
		"<thread 'MainThread'> frame main line 12 local 'x'.items[0]. Weak references are "
		"not followed (they keep nothing alive). Paths from named roots (sys.modules, the "
		"interpreter, thread frames) come first; paths from objects held from outside the "
		"dump (by C code) or from static objects follow only when needed. Each path starts "
		"at a different root. A reference with no name is shown as ' -> <type 0x...>', a "
		"dict key held by a dict as '<key>', a C-level slot as '<name>'.",
	.opts = opts,
	.examples = "$ pyheap paths app.pyheap 0x7f3a2c1b9e40\n$ pyheap paths -n 1 --json app.pyheap "
		    "0x7f3a2c1b9e40 | jq -r '.paths[0].expr'",
	.run = run,
};
