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
	 "that refer to it, heapy's byrcs), 'size' (its size in bytes) or 'site' (the file and "
	 "line that allocated it, heapy's byprod: recorded when the target ran with tracemalloc "
	 "on, e.g. PYTHONTRACEMALLOC=25)."},
	{"kind", OPT_KIND, "KIND",
	 "Partition only the objects of KIND (a kind as this command prints it), as heapy "
	 "partitions a row again: --kind app.Message --by via."},
	{"kind-by", OPT_KIND_BY, "WHAT",
	 "The partition --kind names a kind of (default: owner for 'dict of ...', else type)."},
	{"number", 'n', "N", "Show the N largest kinds (default 20; 0 shows all)."},
	PH_OPT_JSON,
	PH_OPT_MAX_MEMORY,
	PH_OPT_PYTHON_ONLY,
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

struct hopts {
	enum ph_partition by, kind_by;
	bool kind_by_set;
	const char *kind;
};

static int option(struct ph_run *r, int id, const char *arg)
{
	struct hopts *o = r->opts;

	switch (id) {
	case OPT_BY:
		return ph_cli_partition(r->cmd, "--by", arg, &o->by);
	case OPT_KIND:
		o->kind = arg;
		return 0;
	case OPT_KIND_BY:
		o->kind_by_set = true;
		return ph_cli_partition(r->cmd, "--kind-by", arg, &o->kind_by);
	}
	return 2;
}

static int check(struct ph_run *r)
{
	struct hopts *o = r->opts;

	if (o->kind && !o->kind_by_set && !strncmp(o->kind, "dict of ", 8))
		o->kind_by = PH_BY_OWNER;
	return 0;
}

static int json(struct ph_run *r, struct ph_json *j)
{
	const struct hopts *o = r->opts;

	return ph_report_histogram_of(j, r->a, o->by, (size_t)r->limit, o->kind, o->kind_by);
}

static int text(struct ph_run *r)
{
	const struct hopts *o = r->opts;
	uint64_t *set = NULL, n_set = 0;
	struct ph_histogram hist;
	size_t n;
	int err = o->kind ? ph_partition_set(r->a, o->kind_by, o->kind, &set, &n_set) : 0;

	if (!err)
		err = ph_histogram_of(&hist, r->a, o->by, set);
	free(set);
	if (err)
		return err;
	n = r->limit && r->limit < hist.n ? (size_t)r->limit : hist.n;
	if (o->kind) {
		struct ph_buf b = PH_BUF_INIT;

		printf("Partition of the %" PRIu64 " objects of kind %s (by %s) by %s, total size %" PRIu64
		       " bytes.\n", hist.total_count, ph_cli_name(&b, o->kind, strlen(o->kind)),
		       ph_partition_name(o->kind_by), ph_partition_name(o->by), hist.total_size);
		ph_buf_release(&b);
	} else {
		printf("Partition of %" PRIu64 " objects by %s, total size %" PRIu64 " bytes.\n",
		       hist.total_count, ph_partition_name(o->by), hist.total_size);
	}
	if (o->by == PH_BY_SITE || (o->kind && o->kind_by == PH_BY_SITE)) {
		struct ph_buf b = PH_BUF_INIT;
		const char *note = ph_heap_sites_note(r->a->h, &b);

		if (note)
			ph_print_wrapped(stdout, note, 0);
		ph_buf_release(&b);
	}
	err = ph_histogram_table(&hist, n, true, stdout);
	if (!err && n < hist.n)
		printf("<%zu more kinds: -n 0 shows all>\n", hist.n - n);
	ph_histogram_free(&hist);
	return err;
}

static const struct ph_setup setup = {
	PH_SETUP_ONE_DUMP,
	.limit = 20,
	.max_limit = UINT32_MAX,
	.opts_size = sizeof(struct hopts),
	.option = option,
	.check = check,
	.json = json,
	.text = text,
};

const struct ph_cmd ph_cmd_histogram = {
	.name = "histogram",
	.summary = "Count objects, sizes and retained sizes by type, owner, module, via, referrer, size or allocation site",
	.synopsis = "[--by type|owner|module|via|referrer|size|site] [--kind KIND [--kind-by WHAT]] [-n N] [--json] FILE",
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
		    "$ pyheap histogram --kind bytes --by site app.pyheap   # where the bytes were made\n"
		    "$ pyheap histogram --json app.pyheap | jq '.rows[0]'",
	.setup = &setup,
};
