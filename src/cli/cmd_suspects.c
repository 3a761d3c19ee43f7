/* SPDX-License-Identifier: MIT */
/*
 * cmd_suspects.c - `pyheap suspects FILE`: leak suspects, MAT style.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "analyze/render.h"
#include "analyze/report.h"
#include "analyze/suspects.h"
#include "cli/analyze_cmd.h"
#include "common/error.h"

enum { OPT_THRESHOLD = 257 };

static const struct ph_opt opts[] = {
	{"threshold", OPT_THRESHOLD, "PCT",
	 "Report what retains at least PCT percent of the heap (default 10)."},
	PH_OPT_JSON,
	PH_OPT_MAX_MEMORY,
	PH_OPT_PYTHON_ONLY,
	PH_OPT_HELP,
	PH_OPT_END,
};

/* Objects no Python object refers to, which the dump found in pymalloc (suspects.h). */
static void print_held_from_c(const struct ph_analysis *a)
{
	struct ph_buf nb = PH_BUF_INIT, vb = PH_BUF_INIT;
	uint32_t ids[5];
	uint64_t count, retained;
	size_t n = ph_held_from_c(a, ids, 5, &count, &retained);
	char hb[32];

	if (!count)
		return;
	printf("\nHeld from C: %" PRIu64 " object%s that no Python object refers to retain %s (%.1f%%): "
	       "the interpreter's and extensions' own references, or references a C extension leaked.\n",
	       count, count == 1 ? "" : "s", ph_human_bytes(retained, hb),
	       ph_analysis_total(a) ? 100.0 * (double)retained / (double)ph_analysis_total(a) : 0);
	for (size_t i = 0; i < n; i++) {
		const char *value = ph_tmp_value(&vb, a, ids[i], 40);

		printf("  %s 0x%" PRIx64 " retains %s%s%s\n",
		       ph_cli_name(&nb, ph_heap_kind(a->h, ids[i]), strlen(ph_heap_kind(a->h, ids[i]))),
		       a->h->addr[ids[i]], ph_human_bytes(a->r.size[ids[i]], hb), *value ? ": " : "",
		       value);
	}
	ph_buf_release(&nb);
	ph_buf_release(&vb);
}

static void print_text(const struct ph_analysis *a, const struct ph_suspect *s, size_t n,
		       double threshold)
{
	struct ph_buf nb = PH_BUF_INIT;
	char hb[32];

	if (!n) {
		printf("No suspects: nothing retains %g%% of the heap (%" PRIu64 " bytes) or more.\n",
		       100 * threshold, ph_analysis_total(a));
		print_held_from_c(a);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (i)
			putchar('\n');
		if (s[i].what == PH_SUSPECT_KIND)
			printf("Suspect %zu: %" PRIu64 " objects of type %s retain %s (%.1f%%)\n", i + 1,
			       s[i].objects, ph_cli_name(&nb, s[i].type, strlen(s[i].type)),
			       ph_human_bytes(s[i].retained, hb),
			       100 * s[i].share);
		else if (s[i].node < a->g.n)
			printf("Suspect %zu: %s 0x%" PRIx64 " retains %s (%.1f%%)\n", i + 1,
			       ph_cli_name(&nb, s[i].type, strlen(s[i].type)),
			       a->h->addr[s[i].node], ph_human_bytes(s[i].retained, hb),
			       100 * s[i].share);
		else
			printf("Suspect %zu: %s retains %s (%.1f%%)\n", i + 1,
			       s[i].path ? s[i].path : ph_cli_name(&nb, s[i].type, strlen(s[i].type)),
			       ph_human_bytes(s[i].retained, hb), 100 * s[i].share);
		if (s[i].path)
			printf("  path:          %s\n", s[i].path);
		if (s[i].acc != PH_NO_ID) {
			if (s[i].acc == s[i].node)
				printf("  accumulation:  the suspect itself");
			else if (s[i].acc < a->g.n)
				printf("  accumulation:  %s 0x%" PRIx64 ", retains %s",
				       ph_cli_name(&nb, ph_node_kind(&a->g, s[i].acc),
						   strlen(ph_node_kind(&a->g, s[i].acc))),
				       a->h->addr[s[i].acc], ph_human_bytes(a->r.size[s[i].acc], hb));
			else
				printf("  accumulation:  %s, retains %s",
				       ph_cli_name(&nb, ph_node_kind(&a->g, s[i].acc),
						   strlen(ph_node_kind(&a->g, s[i].acc))),
				       ph_human_bytes(a->r.size[s[i].acc], hb));
			printf(", %" PRIu64 " children\n", s[i].acc_children);
			if (s[i].acc != s[i].node && s[i].acc_path)
				printf("                 %s\n", s[i].acc_path);
		}
		for (size_t k = 0; k < s[i].n_names; k++)
			printf("  %s %s, retains %s (%.1f%%)\n", k ? "              " : "held by names:",
			       s[i].names[k].path ? s[i].names[k].path : "?",
			       ph_human_bytes(s[i].names[k].retained, hb),
			       s[i].retained ? 100.0 * (double)s[i].names[k].retained / (double)s[i].retained : 0);
		putchar('\n');
		ph_print_wrapped(stdout, ph_cli_name(&nb, s[i].explanation, strlen(s[i].explanation)),
				 2);
	}
	print_held_from_c(a);
	ph_buf_release(&nb);
}

static int option(struct ph_run *r, int id, const char *arg)
{
	double *threshold = r->opts;
	char *end;
	double v = strtod(arg, &end);

	if (*end || end == arg || !(v > 0 && v <= 100))
		return ph_usage_error(r->cmd, "--threshold takes a percentage above 0 and at most 100, not '%s'",
				      arg);
	*threshold = v / 100;
	return 0;
}

static void init(void *own)
{
	*(double *)own = 0.10;
}

static int json(struct ph_run *r, struct ph_json *j)
{
	return ph_report_suspects(j, r->a, *(double *)r->opts);
}

static int text(struct ph_run *r)
{
	struct ph_suspect *s = NULL;
	size_t n = 0;
	int err = ph_suspects_find(r->a, *(double *)r->opts, &s, &n);

	if (!err)
		print_text(r->a, s, n, *(double *)r->opts);
	ph_suspects_free(s, n);
	return err;
}

static const struct ph_setup setup = {
	PH_SETUP_ONE_DUMP,
	.opts_size = sizeof(double), /* --threshold, a fraction */
	.init = init,
	.option = option,
	.json = json,
	.text = text,
};

const struct ph_cmd ph_cmd_suspects = {
	.name = "suspects",
	.summary = "Find leak suspects: what retains a large share of the heap, and where",
	.synopsis = "[--threshold PCT] [--json] FILE",
	.description =
		"Looks for memory leaks the way Eclipse MAT's leak suspects report does. An object "
		"suspect is a top-level holder - a module, a thread, an object held from outside the "
		"dump, the unreachable objects - that retains at least the threshold share of the "
		"heap (sys.modules, the interpreter's dicts and static objects are looked through, "
		"since everything hangs from them). Its accumulation point is where the memory stops "
		"being concentrated in one child of the dominator tree: the collection that holds it. "
		"A type suspect is a type whose objects together retain that share while no single "
		"object holds them. Each suspect is shown with its path from the roots, its "
		"accumulation point and an explanation.",
	.opts = opts,
	.examples = "$ pyheap suspects app.pyheap\n$ pyheap suspects --threshold 5 --json app.pyheap",
	.setup = &setup,
};
