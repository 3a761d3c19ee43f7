/* SPDX-License-Identifier: MIT */
/*
 * cmd_waste.c - `pyheap waste FILE`: duplicate values, empty containers and
 * slack, each with the bytes acting on it would save (analyze/waste.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

#include "analyze/render.h"
#include "analyze/waste.h"
#include "cli/analyze_cmd.h"
#include "cli/table.h"
#include "common/error.h"
#include "common/units.h"

static const struct ph_opt opts[] = {
	{"number", 'n', "N", "Show the N rows that would save the most (default 20; 0 shows all)."},
	PH_OPT_JSON,
	PH_OPT_MAX_MEMORY,
	PH_OPT_PYTHON_ONLY,
	PH_OPT_HELP,
	PH_OPT_END,
};

static int print_text(const struct ph_analysis *a, const struct ph_waste *w, size_t limit)
{
	static const struct ph_table_col cols[] = {
		{"Saving", PH_ALIGN_RIGHT, 0}, {"Count", PH_ALIGN_RIGHT, 0},
		{"What", PH_ALIGN_LEFT, 0},    {"Kind", PH_ALIGN_LEFT, 40},
		{"Value", PH_ALIGN_LEFT, 40},  {"Held by (how many)", PH_ALIGN_LEFT, 0},
	};
	struct ph_buf b = PH_BUF_INIT;
	struct ph_table t;
	char hb[32], pb[16];
	int err = 0;

	printf("Waste: %s could be saved (%s of %" PRIu64 " bytes):", ph_human_bytes(w->total_saving, hb),
	       ph_pct(pb, w->total_saving, a->h->total_size), a->h->total_size);
	for (int k = 0; k < 3; k++)
		printf("%s %s %s", k ? "," : "", ph_waste_what_name((enum ph_waste_what)k),
		       ph_human_bytes(w->saving[k], hb));
	printf(".\n");
	if (w->not_compared)
		printf("%" PRIu64 " str and bytes values longer than the dump's --max-value-len were not "
		       "compared.\n", w->not_compared);
	if (!w->n)
		return 0;
	ph_table_init(&t, cols, sizeof(cols) / sizeof(cols[0]));
	for (size_t i = 0; i < w->n && !err; i++) {
		const struct ph_waste_row *r = &w->rows[i];

		b.len = 0;
		if (r->what == PH_WASTE_DUPLICATE)
			err = ph_render_value(&b, &a->g, r->example, 40);
		err = err ? err : ph_table_row(&t);
		err = err ? err : ph_table_cell(&t, "%" PRIu64, r->saving);
		err = err ? err : ph_table_cell(&t, "%" PRIu64, r->count);
		err = err ? err : ph_table_cell(&t, "%s", ph_waste_what_name(r->what));
		err = err ? err : ph_table_cell(&t, "%s", ph_heap_type_name(a->h, r->type));
		err = err ? err : ph_table_cell(&t, "%s", ph_buf_cstr(&b));
		if (!err && !r->where)
			err = ph_table_cell(&t, "%s", "(nothing)");
		else if (!err && r->places > 1)
			err = ph_table_cell(&t, "%s (%" PRIu64 "; %" PRIu64 " places)", r->where,
					    r->where_count, r->places);
		else if (!err)
			err = ph_table_cell(&t, "%s (%" PRIu64 ")", r->where, r->where_count);
	}
	if (!err)
		err = ph_table_print(&t, stdout);
	ph_table_release(&t);
	ph_buf_release(&b);
	if (!err && limit && w->n == limit)
		printf("<-n 0 shows every row>\n");
	return err;
}

static int json(struct ph_run *r, struct ph_json *j)
{
	return ph_report_waste(j, r->a, (size_t)r->limit);
}

static int text(struct ph_run *r)
{
	struct ph_waste w;
	int err = ph_waste_compute(&w, r->a, (size_t)r->limit);

	if (!err) {
		err = print_text(r->a, &w, (size_t)r->limit);
		ph_waste_free(&w);
	}
	return err;
}

static const struct ph_setup setup = {
	.min_args = 1,
	.max_args = 1,
	.operands = "one FILE",
	.load_graph = PH_LOAD(0),
	.limit = 20,
	.max_limit = UINT32_MAX,
	.json = json,
	.text = text,
};

const struct ph_cmd ph_cmd_waste = {
	.name = "waste",
	.summary = "Find memory that holds nothing new: duplicates, empty containers, slack",
	.synopsis = "[-n N] [--json] FILE",
	.description =
		"Lists, largest saving first, memory that could be given back without losing "
		"anything, as Eclipse MAT's duplicate strings, empty collections and fill ratio "
		"queries do. duplicate: str and bytes objects of equal value, tuples of equal "
		"elements and frozensets of equal members (one row per value; the saving is every "
		"copy but one, which interning or sharing would give). empty: dicts, lists and sets "
		"with nothing in them, by where they are held (the saving is all of them, which "
		"creating them lazily would give). slack: lists with free slots and sets whose hash "
		"table is larger than their items need (sets never shrink when items are removed), "
		"by where they are held. Where an object is held is the kind of its first referrer "
		"(an instance's __dict__ is 'dict of Class') and the step from it, indexes and data "
		"keys folded to [*]; a duplicate row names the place holding most of its copies. "
		"str and bytes values that the dump cut short (dump --max-value-len) are not "
		"compared; their number is printed.",
	.opts = opts,
	.examples = "$ pyheap waste app.pyheap\n$ pyheap waste --json -n 0 app.pyheap | jq '.rows[] | "
		    "select(.what == \"duplicate\")'",
	.setup = &setup,
};
