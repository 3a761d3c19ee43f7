/* SPDX-License-Identifier: MIT */
/*
 * cmd_top.c - `pyheap top FILE [-n N] [--offset N] [--sort KEY] [--type KIND]
 * [--by WHAT] [--query TEXT]`: the objects that retain the most, a page at a
 * time (the rows of report.h's objects document).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyze/render.h"
#include "analyze/objects.h"
#include "analyze/report.h"
#include "cli/analyze_cmd.h"
#include "cli/table.h"
#include "common/error.h"

enum { OPT_TYPE = 257, OPT_BY, OPT_SORT, OPT_OFFSET, OPT_QUERY };

static const struct ph_opt opts[] = {
	{"number", 'n', "N", "Show N objects (default 20; 0 shows all, as in histogram)."},
	{"offset", OPT_OFFSET, "N", "Skip the first N objects (default 0): the next page."},
	{"sort", OPT_SORT, "KEY",
	 "Order by 'retained' size (the default) or shallow 'size', largest first."},
	{"kind", OPT_TYPE, "KIND",
	 "Only objects of this kind (module.QualName; bare for builtins; 'dict of app.Node', a "
	 "module name, a via or a referrer kind with --by), as histogram and paths --kind name it."},
	{"type", OPT_TYPE, "KIND", "The same as --kind."},
	{"by", OPT_BY, "WHAT",
	 "What --kind names: a 'type' (the default), an 'owner' kind as histogram --by owner "
	 "shows it, a 'module', or a 'via', 'referrer', 'size' or 'site' kind."},
	{"query", OPT_QUERY, "TEXT",
	 "Only objects whose value contains TEXT (the text of a str, the bytes of a bytes, a "
	 "module's name; case-sensitive)."},
	PH_OPT_JSON,
	PH_OPT_MAX_MEMORY,
	PH_OPT_PYTHON_ONLY,
	PH_OPT_HELP,
	PH_OPT_END,
};

int ph_top_table(const struct ph_analysis *a, const uint32_t *ids, size_t n, FILE *f)
{
	/* the Native column only for dumps where some object owns native bytes */
	static const struct ph_table_col cols[] = {
		{"Address", PH_ALIGN_LEFT, 0},  {"Type", PH_ALIGN_LEFT, 40},
		{"Size", PH_ALIGN_RIGHT, 0},    {"Retained", PH_ALIGN_RIGHT, 0},
		{"%", PH_ALIGN_RIGHT, 0},       {"Value", PH_ALIGN_LEFT, 60},
	};
	static const struct ph_table_col ncols[] = {
		{"Address", PH_ALIGN_LEFT, 0},  {"Type", PH_ALIGN_LEFT, 40},
		{"Size", PH_ALIGN_RIGHT, 0},    {"Native", PH_ALIGN_RIGHT, 0},
		{"Retained", PH_ALIGN_RIGHT, 0}, {"%", PH_ALIGN_RIGHT, 0},
		{"Value", PH_ALIGN_LEFT, 60},
	};
	bool native = a->h->n_native > 0;
	struct ph_buf b = PH_BUF_INIT;
	struct ph_table t;
	uint64_t total = ph_analysis_total(a);
	char pb[16];
	int err = 0;

	ph_table_init(&t, native ? ncols : cols, native ? 7 : 6);
	for (size_t i = 0; i < n && !err; i++) {
		uint32_t v = ids[i];

		err = ph_table_row(&t);
		if (!err)
			err = ph_table_cell(&t, "0x%" PRIx64, a->h->addr[v]);
		if (!err)
			err = ph_table_cell(&t, "%s", ph_heap_kind(a->h, v));
		if (!err)
			err = ph_table_cell(&t, "%" PRIu64, a->h->size[v]);
		if (!err && native)
			err = ph_table_cell(&t, "%" PRIu64, ph_heap_native(a->h, v));
		if (!err)
			err = ph_table_cell(&t, "%" PRIu64, a->r.size[v]);
		if (!err)
			err = ph_table_cell(&t, "%s", ph_pct(pb, a->r.size[v], total));
		if (!err)
			err = ph_table_cell(&t, "%s", ph_tmp_value(&b, a, v, 50));
	}
	if (!err)
		err = ph_table_print(&t, f);
	ph_table_release(&t);
	ph_buf_release(&b);
	return err;
}

static void init(void *own)
{
	struct ph_objects_query *q = own;

	q->sort = PH_SORT_RETAINED;
	q->by = PH_BY_TYPE;
}

static int option(struct ph_run *r, int id, const char *arg)
{
	struct ph_objects_query *q = r->opts;

	switch (id) {
	case OPT_OFFSET:
		if (ph_parse_u64(r->cmd, "--offset", arg, &q->offset))
			return 2;
		if (q->offset > PH_HEAP_MAX_OBJECTS)
			return ph_usage_error(r->cmd, "--offset %" PRIu64 " is too large", q->offset);
		return 0;
	case OPT_TYPE:
		q->kind = arg;
		return 0;
	case OPT_BY:
		return ph_cli_partition(r->cmd, "--by", arg, &q->by);
	case OPT_SORT:
		if (strcmp(arg, "retained") && strcmp(arg, "size"))
			return ph_usage_error(r->cmd, "--sort takes retained or size, not '%s'", arg);
		q->sort = strcmp(arg, "size") ? PH_SORT_RETAINED : PH_SORT_SIZE;
		return 0;
	case OPT_QUERY:
		q->q = arg;
		return 0;
	}
	return 2;
}

static int check(struct ph_run *r)
{
	struct ph_objects_query *q = r->opts;

	q->limit = r->limit ? r->limit : PH_HEAP_MAX_OBJECTS; /* 0: all */
	return 0;
}

static int json(struct ph_run *r, struct ph_json *j)
{
	return ph_report_objects(j, r->a, NULL, r->opts);
}

static int text(struct ph_run *r)
{
	const struct ph_objects_query *q = r->opts;
	struct ph_objects_page page;
	int err = ph_objects_query(r->a, q, &page);

	if (err)
		return err;
	if (!page.total && (q->kind || q->q))
		printf("No objects%s%s%s%s%s.\n", q->kind ? " of kind '" : "", q->kind ? q->kind : "",
		       q->kind ? "'" : "", q->q ? " whose value contains " : "", q->q ? q->q : "");
	else if (page.n)
		err = ph_top_table(r->a, page.ids, page.n, stdout);
	if (!err && page.n && page.n < page.total)
		printf("<rows %" PRIu64 "-%" PRIu64 " of %" PRIu64 ": --offset and -n show others>\n",
		       q->offset + 1, q->offset + page.n, page.total);
	free(page.ids);
	return err;
}

static const struct ph_setup setup = {
	PH_SETUP_ONE_DUMP,
	.limit = 20,
	.max_limit = 10000000,
	.opts_size = sizeof(struct ph_objects_query),
	.init = init,
	.option = option,
	.check = check,
	.json = json,
	.text = text,
};

const struct ph_cmd ph_cmd_top = {
	.name = "top",
	.summary = "List the objects that retain the most memory",
	.synopsis = "[-n N] [--offset N] [--sort retained|size] [--kind KIND [--by WHAT]] [--query TEXT] [--json] FILE",
	.description =
		"Lists objects by retained size, largest first: the memory that would be freed if the "
		"object went away (everything it alone keeps alive, by the dominator tree). Shows each "
		"object's address, type, shallow size, retained size and its share of the heap, and a "
		"preview of its value: the text of a str, the number of an int, the number of items of "
		"a container. --sort size orders by shallow size instead; --type and --query keep the "
		"objects of a kind and those whose value contains a text, and --offset pages through "
		"them. With --json, the document also gives the number of objects that match (total): "
		"it is the document `pyheap serve` answers at /api/objects.",
	.opts = opts,
	.examples = "$ pyheap top app.pyheap\n$ pyheap top -n 5 --type app.models.User app.pyheap\n"
		    "$ pyheap top --sort size --query secret --offset 20 app.pyheap",
	.setup = &setup,
};
