/* SPDX-License-Identifier: MIT */
/*
 * cmd_histogram.c - `pyheap histogram FILE [--by type|owner|module] [-n N]`:
 * the heap partitioned into kinds, heapy style.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "analyze/histogram.h"
#include "analyze/report.h"
#include "cli/analyze_cmd.h"
#include "cli/table.h"
#include "common/error.h"

enum { OPT_BY = 257 };

static const struct ph_opt opts[] = {
	{"by", OPT_BY, "WHAT",
	 "Partition by 'type' (the default), 'owner' (an instance's __dict__ counts as 'dict of "
	 "module.Class', like heapy) or 'module' (the module that defines each object's type)."},
	{"number", 'n', "N", "Show the N largest kinds (default 20; 0 shows all)."},
	PH_OPT_JSON,
	PH_OPT_MAX_MEMORY,
	PH_OPT_HELP,
	PH_OPT_END,
};

int ph_histogram_table(const struct ph_histogram *hist, size_t n, bool with_index, FILE *f)
{
	static const struct ph_table_col cols[] = {
		{"Index", PH_ALIGN_RIGHT, 0},      {"Count", PH_ALIGN_RIGHT, 0},
		{"%", PH_ALIGN_RIGHT, 0},          {"Size", PH_ALIGN_RIGHT, 0},
		{"%", PH_ALIGN_RIGHT, 0},          {"Cumulative", PH_ALIGN_RIGHT, 0},
		{"%", PH_ALIGN_RIGHT, 0},          {"Retained", PH_ALIGN_RIGHT, 0},
		{"Kind", PH_ALIGN_LEFT, 0},
	};
	struct ph_table t;
	uint64_t cum = 0;
	int err = 0;

	ph_table_init(&t, with_index ? cols : cols + 1, with_index ? 9 : 8);
	for (size_t i = 0; i < n && !err; i++) {
		const struct ph_hist_row *r = &hist->rows[i];

		cum += r->size;
		err = ph_table_row(&t);
		if (!err && with_index)
			err = ph_table_cell(&t, "%zu", i);
		if (!err)
			err = ph_table_cell(&t, "%" PRIu64, r->count);
		if (!err)
			err = ph_table_cell(&t, "%u", ph_ipct(r->count, hist->total_count));
		if (!err)
			err = ph_table_cell(&t, "%" PRIu64, r->size);
		if (!err)
			err = ph_table_cell(&t, "%u", ph_ipct(r->size, hist->total_size));
		if (!err)
			err = ph_table_cell(&t, "%" PRIu64, cum);
		if (!err)
			err = ph_table_cell(&t, "%u", ph_ipct(cum, hist->total_size));
		if (!err)
			err = ph_table_cell(&t, "%" PRIu64, r->retained);
		if (!err)
			err = ph_table_cell(&t, "%s", r->kind);
	}
	if (!err)
		err = ph_table_print(&t, f);
	ph_table_release(&t);
	return err;
}

static int run(const struct ph_cmd *cmd, int argc, char **argv)
{
	enum ph_partition by = PH_BY_TYPE;
	uint64_t limit = 20;
	bool json = false;
	struct ph_analysis *a;
	struct ph_histogram hist;
	const char *arg;
	size_t n;
	int c, err, status;

	while ((c = ph_getopt(cmd, argc, argv, &arg)) != -1) {
		switch (c) {
		case OPT_BY:
			if (ph_partition_parse(arg) < 0)
				return ph_usage_error(cmd, "--by takes type, owner or module, not '%s'",
						      arg);
			by = (enum ph_partition)ph_partition_parse(arg);
			break;
		case 'n':
			if (ph_parse_u64(cmd, "--number", arg, &limit))
				return 2;
			break;
		case PH_OPT_JSON_ID:
			json = true;
			break;
		default:
			return 2;
		}
	}
	if (optind + 1 != argc)
		return ph_usage_error(cmd, "expected one FILE");
	if ((status = ph_cli_analyze(cmd, argv[optind], &a)))
		return status;
	if (json) {
		struct ph_json j;
		struct ph_buf jb = PH_BUF_INIT;

		ph_cli_json_start(&j, &jb);
		err = ph_report_histogram(&j, a, by, (size_t)limit);
		status = ph_cli_json_finish(cmd, &j, &jb, err);
		ph_analysis_free(a);
		return ph_cli_end(cmd, status);
	}
	err = ph_histogram_compute(&hist, a, by);
	if (err) {
		ph_analysis_free(a);
		return ph_fail(cmd, err);
	}
	n = limit && limit < hist.n ? (size_t)limit : hist.n;
	printf("Partition of %" PRIu64 " objects by %s, total size %" PRIu64 " bytes.\n",
	       hist.total_count, ph_partition_name(by), hist.total_size);
	err = ph_histogram_table(&hist, n, true, stdout);
	if (!err && n < hist.n)
		printf("<%zu more kinds: -n 0 shows all>\n", hist.n - n);
	status = err ? ph_fail(cmd, err) : 0;
	ph_histogram_free(&hist);
	ph_analysis_free(a);
	return ph_cli_end(cmd, status);
}

const struct ph_cmd ph_cmd_histogram = {
	.name = "histogram",
	.summary = "Count objects, sizes and retained sizes by type, owner or module",
	.synopsis = "[--by type|owner|module] [-n N] [--json] FILE",
	.description =
		"Partitions every object of the dump into kinds and shows, largest first, how many "
		"objects each kind has, their total shallow size, the running total, and the size "
		"the kind retains: what would be freed if every object of that kind went away (the sum "
		"of the retained sizes of its objects that no other object of the same kind "
		"dominates). Kinds are module.QualName, bare for builtins (dict, str). Percentages "
		"are of all objects, rounded down, as heapy prints them.",
	.opts = opts,
	.examples = "$ pyheap histogram app.pyheap\n$ pyheap histogram --by owner -n 10 app.pyheap\n"
		    "$ pyheap histogram --json app.pyheap | jq '.rows[0]'",
	.run = run,
};
