/* SPDX-License-Identifier: MIT */
/*
 * cmd_diff.c - `pyheap diff OLD NEW`: what grew between two dumps, by kind
 * and by path from the roots.
 */
#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

#include "analyze/diff.h"
#include "analyze/report.h"
#include "cli/analyze_cmd.h"
#include "cli/table.h"
#include "common/error.h"

enum { OPT_BY = 257, OPT_ALL };

static const struct ph_opt opts[] = {
	{"by", OPT_BY, "WHAT", "Group objects by 'type' (the default), 'owner' or 'module', as histogram does."},
	{"number", 'n', "N", "Show the N kinds and N paths that grew most (default 20; 0: all)."},
	{"all", OPT_ALL, NULL, "List kinds that shrank or stayed the same too."},
	PH_OPT_JSON,
	PH_OPT_MAX_MEMORY,
	PH_OPT_PYTHON_ONLY,
	PH_OPT_HELP,
	PH_OPT_END,
};

static int print_text(const struct ph_diff *d, size_t nk, size_t np, bool all)
{
	static const struct ph_table_col kcols[] = {
		{"Count old", PH_ALIGN_RIGHT, 0}, {"Count new", PH_ALIGN_RIGHT, 0},
		{"+Count", PH_ALIGN_RIGHT, 0},    {"Size old", PH_ALIGN_RIGHT, 0},
		{"Size new", PH_ALIGN_RIGHT, 0},  {"+Size", PH_ALIGN_RIGHT, 0},
		{"+Retained", PH_ALIGN_RIGHT, 0}, {"Kind", PH_ALIGN_LEFT, 0},
	};
	static const struct ph_table_col pcols[] = {
		{"Retained old", PH_ALIGN_RIGHT, 0}, {"Retained new", PH_ALIGN_RIGHT, 0},
		{"+Retained", PH_ALIGN_RIGHT, 0},    {"Objects old", PH_ALIGN_RIGHT, 0},
		{"Objects new", PH_ALIGN_RIGHT, 0},  {"Type", PH_ALIGN_LEFT, 30},
		{"Path", PH_ALIGN_LEFT, 0},
	};
	struct ph_table t;
	size_t shown = 0;
	int err = 0;

	printf("objects: %" PRIu64 " -> %" PRIu64 " (%+" PRId64 "), size: %" PRIu64 " -> %" PRIu64
	       " (%+" PRId64 " bytes)\n\n",
	       d->objects_old, d->objects_new, ph_delta(d->objects_old, d->objects_new), d->total_old,
	       d->total_new, ph_delta(d->total_old, d->total_new));
	ph_table_init(&t, kcols, 8);
	for (size_t i = 0; i < d->n_kinds && shown < nk && !err; i++) {
		const struct ph_diff_kind *k = &d->kinds[i];

		if (!all && !ph_diff_grew(k))
			continue;
		shown++;
		err = ph_table_row(&t);
		if (!err)
			err = ph_table_cell(&t, "%" PRIu64, k->count_old);
		if (!err)
			err = ph_table_cell(&t, "%" PRIu64, k->count_new);
		if (!err)
			err = ph_table_cell(&t, "%+" PRId64, ph_delta(k->count_old, k->count_new));
		if (!err)
			err = ph_table_cell(&t, "%" PRIu64, k->size_old);
		if (!err)
			err = ph_table_cell(&t, "%" PRIu64, k->size_new);
		if (!err)
			err = ph_table_cell(&t, "%+" PRId64, ph_delta(k->size_old, k->size_new));
		if (!err)
			err = ph_table_cell(&t, "%+" PRId64, ph_delta(k->retained_old, k->retained_new));
		if (!err)
			err = ph_table_cell(&t, "%s", k->kind);
	}
	printf("Kinds that grew%s:\n", all ? " or shrank" : "");
	if (!err && shown)
		err = ph_table_print(&t, stdout);
	else if (!err)
		printf("(none)\n");
	ph_table_release(&t);
	if (err)
		return err;
	printf("\nWhere it grew (paths from the roots, the same in both dumps):\n");
	if (!np) {
		printf("(no growing path among the largest retainers)\n");
		return 0;
	}
	ph_table_init(&t, pcols, 7);
	for (size_t i = 0; i < np && !err; i++) {
		const struct ph_diff_path *p = &d->paths[i];

		err = ph_table_row(&t);
		if (!err)
			err = p->address_old ? ph_table_cell(&t, "%" PRIu64, p->retained_old)
					     : ph_table_cell(&t, "%s", "-");
		if (!err)
			err = ph_table_cell(&t, "%" PRIu64, p->retained_new);
		if (!err)
			err = ph_table_cell(&t, "%+" PRId64, ph_delta(p->retained_old, p->retained_new));
		if (!err)
			err = p->address_old ? ph_table_cell(&t, "%" PRIu64, p->count_old)
					     : ph_table_cell(&t, "%s", "-");
		if (!err)
			err = ph_table_cell(&t, "%" PRIu64, p->count_new);
		if (!err)
			err = ph_table_cell(&t, "%s", p->type_new);
		if (!err)
			err = ph_table_cell(&t, "%s", p->path);
	}
	if (!err)
		err = ph_table_print(&t, stdout);
	ph_table_release(&t);
	return err;
}

struct dopts {
	struct ph_diff_opts o;
	bool all;
};

static int option(struct ph_run *r, int id, const char *arg)
{
	struct dopts *o = r->opts;

	if (id == OPT_ALL) {
		o->all = true;
		return 0;
	}
	return id == OPT_BY ? ph_cli_partition(r->cmd, "--by", arg, &o->o.by) : 2;
}

static int json(struct ph_run *r, struct ph_json *j)
{
	const struct dopts *o = r->opts;

	return ph_report_diff(j, r->dump[0], r->dump[1], o->o.by, (size_t)r->limit, o->all);
}

static int text(struct ph_run *r)
{
	const struct dopts *o = r->opts;
	struct ph_diff d;
	int err = ph_diff_compute(&d, r->dump[0], r->dump[1], &o->o);

	if (!err) {
		size_t nk = r->limit ? (size_t)r->limit : d.n_kinds;
		size_t np = r->limit && r->limit < d.n_paths ? (size_t)r->limit : d.n_paths;

		err = print_text(&d, nk, np, o->all);
		ph_diff_release(&d);
	}
	return err;
}

static const struct ph_setup setup = {
	.min_args = 2,
	.max_args = 2,
	.operands = "OLD and NEW",
	.load = PH_LOAD(0) | PH_LOAD(1),
	.limit = 20,
	.max_limit = UINT32_MAX,
	.opts_size = sizeof(struct dopts),
	.option = option,
	.json = json,
	.text = text,
};

const struct ph_cmd ph_cmd_diff = {
	.name = "diff",
	.summary = "Compare two dumps of a process: what grew, by kind and by path",
	.synopsis = "[--by type|owner|module] [-n N] [--all] [--json] OLD NEW",
	.description =
		"Compares an older and a newer dump of the same program. First by kind: how many "
		"objects of each kind there are, their size and what they retain, before and after, "
		"largest growth first. Then by path: addresses change between dumps but paths from "
		"the roots do not, so the largest retainers of NEW are found again in OLD by their "
		"path (sys.modules['app'].__dict__['cache'] in both) and listed with their retained "
		"size and object count before and after, where the growth is. A path is dropped when "
		"a longer one below it explains its growth. Paths start at named roots (modules, "
		"interpreter state, thread frames): objects held only from outside the dump have no "
		"name that survives between dumps.",
	.opts = opts,
	.examples = "$ pyheap diff before.pyheap after.pyheap\n"
		    "$ pyheap diff --json before.pyheap after.pyheap | jq '.paths[0]'",
	.setup = &setup,
};
