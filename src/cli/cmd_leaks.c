/* SPDX-License-Identifier: MIT */
/*
 * cmd_leaks.c - `pyheap leaks BASE TARGET [FINAL]`: objects allocated after
 * BASE that are still alive, grouped by the holders they accumulate in
 * (analyze/leaks.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

#include "analyze/leaks.h"
#include "analyze/render.h"
#include "cli/analyze_cmd.h"
#include "cli/table.h"
#include "common/error.h"
#include "common/units.h"

static const struct ph_opt opts[] = {
	{"number", 'n', "N", "Show the N holders that accumulate the most (default 20; 0 shows all)."},
	PH_OPT_JSON,
	PH_OPT_MAX_MEMORY,
	PH_OPT_PYTHON_ONLY,
	PH_OPT_HELP,
	PH_OPT_END,
};

static int print_text(const struct ph_analysis *a, const struct ph_leaks *l, size_t limit)
{
	static const struct ph_table_col cols[] = {
		{"Objects", PH_ALIGN_RIGHT, 0}, {"Bytes", PH_ALIGN_RIGHT, 0},
		{"Retained", PH_ALIGN_RIGHT, 0}, {"Holders", PH_ALIGN_RIGHT, 0},
		{"Holder kind", PH_ALIGN_LEFT, 32}, {"Held at", PH_ALIGN_LEFT, 0},
	};
	struct ph_table t;
	char hb[32];
	int err = 0;

	printf("%" PRIu64 " objects (%s) were allocated after the base dump%s, held by %" PRIu64
	       " holder%s.\n", l->count, ph_human_bytes(l->size, hb),
	       l->have_final ? " and are still alive in the final one" : " and are alive in the target",
	       l->holders, l->holders == 1 ? "" : "s");
	if (l->have_final && l->new_objects > l->count)
		printf("(%" PRIu64 " more new objects of the target were gone by the final dump: not leaks.)\n",
		       l->new_objects - l->count);
	if (!l->same_start)
		printf("(the process's start time is not in every dump: matched by pid only.)\n");
	if (!l->n)
		return 0;
	ph_table_init(&t, cols, sizeof(cols) / sizeof(cols[0]));
	for (size_t i = 0; i < l->n && !err; i++) {
		const struct ph_leak_row *r = &l->rows[i];

		err = ph_table_row(&t);
		err = err ? err : ph_table_cell(&t, "%" PRIu64, r->count);
		err = err ? err : ph_table_cell(&t, "%" PRIu64, r->size);
		err = err ? err : ph_table_cell(&t, "%" PRIu64, r->retained);
		err = err ? err : ph_table_cell(&t, "%" PRIu64, r->holders);
		err = err ? err : ph_table_cell(&t, "%s", ph_node_kind(&a->g, r->example));
		err = err ? err : ph_table_cell(&t, "%s", r->path);
	}
	if (!err)
		err = ph_table_print(&t, stdout);
	ph_table_release(&t);
	if (!err && limit && l->n == limit)
		printf("<-n 0 shows every holder>\n");
	if (!err && l->other_holders)
		printf("<%" PRIu64 " smaller holders of %" PRIu64 " objects (%s) not shown>\n",
		       l->other_holders, l->other_count, ph_human_bytes(l->other_size, hb));
	return err;
}

/* BASE and FINAL are scanned by analyze/leaks.c itself; TARGET is loaded. */
static int json(struct ph_run *r, struct ph_json *j)
{
	return ph_report_leaks(j, r->a, r->args[0], r->nargs == 3 ? r->args[2] : NULL, (size_t)r->limit);
}

static int text(struct ph_run *r)
{
	struct ph_leaks l;
	int err = ph_leaks_compute(&l, r->a, r->args[0], r->nargs == 3 ? r->args[2] : NULL,
				   (size_t)r->limit);

	if (!err) {
		err = print_text(r->a, &l, (size_t)r->limit);
		ph_leaks_free(&l);
	}
	return err;
}

static const struct ph_setup setup = {
	.min_args = 2,
	.max_args = 3,
	.operands = "BASE TARGET [FINAL]",
	.load_graph = PH_LOAD(1),
	.limit = 20,
	.max_limit = UINT32_MAX,
	.json = json,
	.text = text,
};

const struct ph_cmd ph_cmd_leaks = {
	.name = "leaks",
	.summary = "Find what leaks across dumps of one process, and what holds it",
	.synopsis = "[-n N] [--json] BASE TARGET [FINAL]",
	.description =
		"Compares dumps of one process taken in order, as memlab does: the objects of "
		"TARGET that were not in BASE (allocated since) and, when FINAL is given, are still "
		"in it (not released since) are the candidates. CPython objects never move, so an "
		"object at the same address with the same type object is the same object. Each "
		"candidate is charged to its holder - the nearest object above it in the dominator "
		"tree that is not new itself: the collection, instance or frame the new objects "
		"accumulate in - and holders whose paths from the roots differ only by indexes and "
		"data keys are merged into one row, the path written with [*]. Rows are sorted by "
		"the bytes of new objects held. Take BASE after the process warmed up and FINAL "
		"after more of the same work: objects that a cache or a pool replaces are gone by "
		"FINAL and are not reported. Dumps of different processes (pid, start time) or "
		"given out of order are refused.",
	.opts = opts,
	.examples = "$ pyheap leaks base.pyheap target.pyheap final.pyheap\n"
		    "$ pyheap leaks --json -n 5 base.pyheap target.pyheap | jq '.rows[0].path'",
	.setup = &setup,
};
