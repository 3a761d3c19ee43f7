/* SPDX-License-Identifier: MIT */
/*
 * cmd_object.c - `pyheap object FILE ADDR`: one object in full: value, sizes,
 * reference count, roots, labelled referents and referrers, its dominator,
 * a path from the roots, and what it retains.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyze/inspect.h"
#include "analyze/render.h"
#include "analyze/report.h"
#include "cli/analyze_cmd.h"
#include "cli/table.h"
#include "common/error.h"

static const struct ph_opt opts[] = {
	{"number", 'n', "N",
	 "Show at most N roots, referents, referrers and retained children each (default 50; 0: all)."},
	PH_OPT_JSON,
	PH_OPT_MAX_MEMORY,
	PH_OPT_PYTHON_ONLY,
	PH_OPT_HELP,
	PH_OPT_END,
};

static int print_text(const struct ph_analysis *a, uint32_t v, const struct ph_inspect *o)
{
	static const struct ph_table_col rcols[] = {
		{"Label", PH_ALIGN_LEFT, 80},  {"Address", PH_ALIGN_LEFT, 0},
		{"Type", PH_ALIGN_LEFT, 40},   {"Size", PH_ALIGN_RIGHT, 0},
		{"Retained", PH_ALIGN_RIGHT, 0}, {"Value", PH_ALIGN_LEFT, 40},
	};
	static const struct ph_table_col kcols[] = {
		{"Address", PH_ALIGN_LEFT, 0},  {"Type", PH_ALIGN_LEFT, 40},
		{"Size", PH_ALIGN_RIGHT, 0},    {"Retained", PH_ALIGN_RIGHT, 0},
		{"%", PH_ALIGN_RIGHT, 0},       {"Value", PH_ALIGN_LEFT, 40},
	};
	const struct ph_heap *h = a->h;
	struct ph_buf b = PH_BUF_INIT, b2 = PH_BUF_INIT;
	char fb[64], pb[16];
	uint32_t d = a->d.idom[v];
	int err = 0;

	printf("object 0x%" PRIx64 " (%s)\n", h->addr[v],
	       ph_cli_name(&b, ph_heap_kind(h, v), strlen(ph_heap_kind(h, v))));
	printf("  size:       %" PRIu64 "\n", h->size[v]);
	if (o->native) {
		printf("  native:     %" PRIu64 " (", o->native);
		for (size_t k = 0; k < o->n_native_kinds; k++)
			printf("%s%s", k ? ", " : "", o->native_kinds[k]);
		printf(")%s\n", h->python_only ? ", left out of the retained size (--python-only)" : "");
	}
	printf("  retained:   %" PRIu64 " (%u objects, %s of the heap)\n", a->r.size[v], a->r.count[v],
	       ph_pct(pb, a->r.size[v], ph_analysis_total(a)));
	printf("  refcount:   %" PRIu64 " (%" PRIu64 " strong reference%s in the dump)\n",
	       h->refcount[v], o->strong_refs, o->strong_refs == 1 ? "" : "s");
	printf("  flags:      %s\n", ph_flags_text(h->flags[v], fb, sizeof(fb)));
	if (*ph_tmp_value(&b, a, v, 200))
		printf("  value:      %s\n", ph_buf_cstr(&b));
	for (size_t i = 0; i < o->n_roots; i++)
		printf("  root:       %s\n", o->roots[i]);
	if (o->total_roots > o->n_roots)
		printf("  root:       ... %" PRIu64 " more (-n 0 shows all)\n", o->total_roots - o->n_roots);
	printf("  status:     %s\n",
	       ph_bit(a->d.garbage, v) ? "unreachable (garbage awaiting collection)" : "reachable");
	printf("  dominator:  %s\n", ph_tmp_node(&b, a, d));
	printf("  path:       %s\n", o->path ? o->path : "-");
	if (h->site && h->site[v]) {
		/* tracemalloc's order: the most recent call first */
		for (uint32_t f = h->tb_off[h->site[v] - 1]; f < h->tb_off[h->site[v]]; f++) {
			size_t len;
			const char *file = ph_heap_str(h, h->tb_frames[f].filename, &len);

			printf("  %-11s %s:%" PRIu64 "\n", f == h->tb_off[h->site[v] - 1] ? "allocated:" : "",
			       ph_cli_name(&b, file ? file : "?", file ? len : 1), h->tb_frames[f].line);
		}
	}
	for (int list = 0; list < 2 && !err; list++) {
		const struct ph_ref *rs = list ? o->in : o->out;
		uint64_t n = list ? o->total_in : o->total_out;
		size_t shown = list ? o->n_in : o->n_out;
		struct ph_table t;

		printf("\n%s (%" PRIu64 "%s):\n", list ? "referrers" : "referents", n,
		       shown < n ? ", first shown" : "");
		if (!n)
			continue;
		ph_table_init(&t, rcols, 6);
		for (size_t i = 0; i < shown && !err; i++) {
			const struct ph_ref *r = &rs[i];
			const char *lab = ph_inspect_label(&b, a, r, v);

			err = ph_table_row(&t);
			if (!err)
				err = ph_table_cell(&t, "%s%s", lab, r->weak ? " (weak)" : "");
			if (r->node < a->g.n) {
				if (!err)
					err = ph_table_cell(&t, "0x%" PRIx64, h->addr[r->node]);
				if (!err)
					err = ph_table_cell(&t, "%s", ph_heap_kind(h, r->node));
				if (!err)
					err = ph_table_cell(&t, "%" PRIu64, h->size[r->node]);
				if (!err)
					err = ph_table_cell(&t, "%" PRIu64, a->r.size[r->node]);
				if (!err)
					err = ph_table_cell(&t, "%s", ph_tmp_value(&b2, a, r->node, 40));
			} else {
				if (!err)
					err = ph_table_cell(&t, "-");
				if (!err)
					err = ph_table_cell(&t, "%s", ph_node_kind(&a->g, r->node));
				if (!err)
					err = ph_table_cell(&t, "-");
				if (!err)
					err = ph_table_cell(&t, "%" PRIu64, a->r.size[r->node]);
				if (!err)
					err = ph_table_cell(&t, "%s", "");
			}
		}
		if (!err)
			err = ph_table_print(&t, stdout);
		ph_table_release(&t);
	}
	if (!err) {
		size_t shown = o->n_kids;
		struct ph_table t;

		printf("\nretains (%" PRIu64 " dominator-tree children%s):\n", o->total_kids,
		       shown < o->total_kids ? ", largest shown" : "");
		ph_table_init(&t, kcols, 6);
		for (size_t i = 0; i < shown && !err; i++) {
			uint32_t k = o->kids[i];

			err = ph_table_row(&t);
			if (!err)
				err = ph_table_cell(&t, "0x%" PRIx64, h->addr[k]);
			if (!err)
				err = ph_table_cell(&t, "%s", ph_heap_kind(h, k));
			if (!err)
				err = ph_table_cell(&t, "%" PRIu64, h->size[k]);
			if (!err)
				err = ph_table_cell(&t, "%" PRIu64, a->r.size[k]);
			if (!err)
				err = ph_table_cell(&t, "%s", ph_pct(pb, a->r.size[k], a->r.size[v]));
			if (!err)
				err = ph_table_cell(&t, "%s", ph_tmp_value(&b2, a, k, 40));
		}
		if (!err && shown)
			err = ph_table_print(&t, stdout);
		ph_table_release(&t);
	}
	ph_buf_release(&b);
	ph_buf_release(&b2);
	return err;
}

static int loaded(struct ph_run *r)
{
	return ph_cli_object(r->cmd, r->a, r->args[1], r->opts);
}

static int json(struct ph_run *r, struct ph_json *j)
{
	return ph_report_object(j, r->a, *(uint32_t *)r->opts, (size_t)r->limit);
}

static int text(struct ph_run *r)
{
	uint32_t v = *(uint32_t *)r->opts;
	struct ph_inspect o;
	int err = ph_inspect_object(&o, r->a, v, (size_t)r->limit);

	if (!err) {
		err = print_text(r->a, v, &o);
		ph_inspect_release(&o);
	}
	return err;
}

static const struct ph_setup setup = {
	.min_args = 2,
	.max_args = 2,
	.operands = "FILE and ADDR",
	.load = PH_LOAD(0),
	.limit = 50,
	.max_limit = 100000000,
	.opts_size = sizeof(uint32_t), /* the object's id */
	.loaded = loaded,
	.json = json,
	.text = text,
};

const struct ph_cmd ph_cmd_object = {
	.name = "object",
	.summary = "Show one object: value, sizes, referents, referrers, what it retains",
	.synopsis = "[-n N] [--json] FILE ADDR",
	.description =
		"Shows the object at address ADDR (0x7f..., as other commands print it): its type, "
		"value, shallow and retained size, reference count against the strong references "
		"the dump found to it, why it is a root if it is one, whether it is reachable, its "
		"immediate dominator, a shortest path from the roots, the objects it refers to and "
		"those that refer to it (each with the label of the reference: .attr, ['key'], [3], "
		"<key>), and the objects it retains directly (its children in the dominator tree), "
		"largest first. When the target ran with tracemalloc on, also where it was allocated: "
		"tracemalloc's traceback of its memory, the most recent call first (as deep as "
		"tracemalloc was told to record: PYTHONTRACEMALLOC=25 keeps 25 frames).",
	.opts = opts,
	.examples = "$ pyheap object app.pyheap 0x7f3a2c1b9e40",
	.setup = &setup,
};
