/* SPDX-License-Identifier: MIT */
/*
 * cmd_histogram.c - `pyheap histogram FILE [--by type|owner|module] [-n N]`:
 * the heap partitioned into kinds, heapy style.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyze/histogram.h"
#include "analyze/report.h"
#include "cli/analyze_cmd.h"
#include "cli/table.h"
#include "common/error.h"

enum { OPT_BY = 257, OPT_KIND, OPT_KIND_BY };

static const struct ph_opt opts[] = {
	{"by", OPT_BY, "WHAT",
	 "Partition by 'type' (the default), 'owner' (an instance's __dict__ counts as 'dict of "
	 "module.Class', like heapy), 'module' (the module that defines each object's type), "
	 "'via' (how each object is referred to: .attr, ['key'] of a __dict__, [*] for an index "
	 "or a data key, a root; up to two, heapy's byvia), 'referrer' (the kinds of the objects "
	 "that refer to it, heapy's byrcs) or 'size' (its size in bytes)."},
	{"kind", OPT_KIND, "KIND",
	 "Partition only the objects of KIND (a kind as this command prints it), as heapy "
	 "partitions a row again: --kind app.Message --by via."},
	{"kind-by", OPT_KIND_BY, "WHAT",
	 "The partition --kind names a kind of (default: owner for 'dict of ...', else type)."},
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
	enum ph_partition by = PH_BY_TYPE, kind_by = PH_BY_TYPE;
	bool kind_by_set = false;
	const char *kind = NULL;
	uint64_t *set = NULL, n_set = 0;
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
				return ph_usage_error(cmd, "--by takes " PH_PARTITIONS ", not '%s'",
						      arg);
			by = (enum ph_partition)ph_partition_parse(arg);
			break;
		case OPT_KIND:
			kind = arg;
			break;
		case OPT_KIND_BY:
			if (ph_partition_parse(arg) < 0)
				return ph_usage_error(cmd, "--kind-by takes " PH_PARTITIONS ", not '%s'", arg);
			kind_by = (enum ph_partition)ph_partition_parse(arg);
			kind_by_set = true;
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
	if (kind && !kind_by_set && !strncmp(kind, "dict of ", 8))
		kind_by = PH_BY_OWNER;
	if ((status = ph_cli_analyze(cmd, argv[optind], &a)))
		return status;
	if (json) {
		struct ph_json j;
		struct ph_buf jb = PH_BUF_INIT;

		ph_cli_json_start(&j, &jb);
		err = ph_report_histogram_of(&j, a, by, (size_t)limit, kind, kind_by);
		status = ph_cli_json_finish(cmd, &j, &jb, err);
		ph_analysis_free(a);
		return ph_cli_end(cmd, status);
	}
	err = kind ? ph_partition_set(a, kind_by, kind, &set, &n_set) : 0;
	if (!err)
		err = ph_histogram_of(&hist, a, by, set);
	free(set);
	if (err) {
		ph_analysis_free(a);
		return ph_fail(cmd, err);
	}
	n = limit && limit < hist.n ? (size_t)limit : hist.n;
	if (kind) {
		struct ph_buf b = PH_BUF_INIT;

		printf("Partition of the %" PRIu64 " objects of kind %s (by %s) by %s, total size %" PRIu64
		       " bytes.\n", hist.total_count, ph_cli_name(&b, kind, strlen(kind)),
		       ph_partition_name(kind_by), ph_partition_name(by), hist.total_size);
		ph_buf_release(&b);
	} else {
		printf("Partition of %" PRIu64 " objects by %s, total size %" PRIu64 " bytes.\n",
		       hist.total_count, ph_partition_name(by), hist.total_size);
	}
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
	.summary = "Count objects, sizes and retained sizes by type, owner, module, via, referrer or size",
	.synopsis = "[--by type|owner|module|via|referrer|size] [--kind KIND [--kind-by WHAT]] [-n N] [--json] FILE",
	.description =
		"Partitions every object of the dump into kinds and shows, largest first, how many "
		"objects each kind has, their total shallow size, the running total, and the size "
		"the kind retains: what would be freed if every object of that kind went away (the sum "
		"of the retained sizes of its objects that no other object of the same kind "
		"dominates). Kinds are module.QualName, bare for builtins (dict, str). Percentages "
		"are of all objects, rounded down, as heapy prints them.",
	.opts = opts,
	.examples = "$ pyheap histogram app.pyheap\n$ pyheap histogram --by owner -n 10 app.pyheap\n"
		    "$ pyheap histogram --kind app.Message --by via app.pyheap\n"
		    "$ pyheap histogram --json app.pyheap | jq '.rows[0]'",
	.run = run,
};
