/* SPDX-License-Identifier: MIT */
/*
 * cmd_top.c - `pyheap top FILE [-n N] [--type KIND]`: the objects that retain
 * the most.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "analyze/render.h"
#include "analyze/top.h"
#include "cli/analyze_cmd.h"
#include "cli/table.h"
#include "common/error.h"

enum { OPT_TYPE = 257 };

static const struct ph_opt opts[] = {
	{"number", 'n', "N", "Show N objects (default 20)."},
	{"type", OPT_TYPE, "KIND", "Only objects of this kind (module.QualName; bare for builtins)."},
	PH_OPT_JSON,
	PH_OPT_HELP,
	PH_OPT_END,
};

int ph_top_table(const struct ph_analysis *a, const uint32_t *ids, size_t n, FILE *f)
{
	static const struct ph_table_col cols[] = {
		{"Address", PH_ALIGN_LEFT, 0},  {"Type", PH_ALIGN_LEFT, 40},
		{"Size", PH_ALIGN_RIGHT, 0},    {"Retained", PH_ALIGN_RIGHT, 0},
		{"%", PH_ALIGN_RIGHT, 0},       {"Value", PH_ALIGN_LEFT, 60},
	};
	struct ph_buf b = PH_BUF_INIT;
	struct ph_table t;
	uint64_t total = ph_analysis_total(a);
	char pb[16];
	int err = 0;

	ph_table_init(&t, cols, 6);
	for (size_t i = 0; i < n && !err; i++) {
		uint32_t v = ids[i];

		err = ph_table_row(&t);
		if (!err)
			err = ph_table_cell(&t, "0x%" PRIx64, a->h->addr[v]);
		if (!err)
			err = ph_table_cell(&t, "%s", ph_heap_kind(a->h, v));
		if (!err)
			err = ph_table_cell(&t, "%" PRIu64, a->h->size[v]);
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

void ph_top_json(struct ph_json *j, const struct ph_analysis *a, const uint32_t *ids, size_t n)
{
	struct ph_buf b = PH_BUF_INIT;

	ph_json_begin_array(j);
	for (size_t i = 0; i < n; i++) {
		uint32_t v = ids[i];

		ph_json_begin_object(j);
		ph_json_key(j, "address");
		ph_json_addr(j, a->h->addr[v]);
		ph_json_key(j, "type");
		ph_json_str(j, ph_heap_kind(a->h, v));
		ph_json_key(j, "size");
		ph_json_uint(j, a->h->size[v]);
		ph_json_key(j, "retained");
		ph_json_uint(j, a->r.size[v]);
		ph_json_key(j, "retained_objects");
		ph_json_uint(j, a->r.count[v]);
		ph_json_key(j, "value");
		ph_json_str(j, ph_tmp_value(&b, a, v, 200));
		ph_json_end_object(j);
	}
	ph_json_end_array(j);
	ph_buf_release(&b);
}

static int run(const struct ph_cmd *cmd, int argc, char **argv)
{
	uint64_t limit = 20;
	const char *kind = NULL, *arg;
	bool json = false;
	struct ph_analysis *a;
	uint32_t *ids;
	size_t n;
	int c, err, status;

	while ((c = ph_getopt(cmd, argc, argv, &arg)) != -1) {
		switch (c) {
		case 'n':
			if (ph_parse_u64(cmd, "--number", arg, &limit))
				return 2;
			break;
		case OPT_TYPE:
			kind = arg;
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
	if (limit > 10000000)
		return ph_usage_error(cmd, "--number %" PRIu64 " is too large", limit);
	if ((status = ph_cli_analyze(cmd, argv[optind], &a)))
		return status;
	err = ph_top_objects(a, (size_t)limit, kind, &ids, &n);
	if (err) {
		ph_analysis_free(a);
		return ph_fail(cmd, err);
	}
	if (json) {
		struct ph_json j;
		struct ph_buf jb = PH_BUF_INIT;

		ph_cli_json_start(&j, &jb);
		ph_json_begin_object(&j);
		ph_json_key(&j, "total_size");
		ph_json_uint(&j, ph_analysis_total(a));
		ph_json_key(&j, "rows");
		ph_top_json(&j, a, ids, n);
		ph_json_end_object(&j);
		status = ph_cli_json_finish(cmd, &j, &jb);
	} else if (!n && kind) {
		printf("No objects of kind '%s'.\n", kind);
	} else {
		err = ph_top_table(a, ids, n, stdout);
		status = err ? ph_fail(cmd, err) : 0;
	}
	free(ids);
	ph_analysis_free(a);
	return ph_cli_end(cmd, status);
}

const struct ph_cmd ph_cmd_top = {
	.name = "top",
	.summary = "List the objects that retain the most memory",
	.synopsis = "[-n N] [--type KIND] [--json] FILE",
	.description =
		"Lists objects by retained size, largest first: the memory that would be freed if the "
		"object went away (everything it alone keeps alive, by the dominator tree). Shows each "
		"object's address, type, shallow size, retained size and its share of the heap, and a "
		"preview of its value: the text of a str, the number of an int, the number of items of "
		"a container.",
	.opts = opts,
	.examples = "$ pyheap top app.pyheap\n$ pyheap top -n 5 --type app.models.User app.pyheap",
	.run = run,
};
