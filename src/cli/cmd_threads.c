/* SPDX-License-Identifier: MIT */
/*
 * cmd_threads.c - `pyheap threads FILE`: threads, their frames and locals,
 * with what each keeps alive.
 */
#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

#include "analyze/render.h"
#include "analyze/report.h"
#include "cli/analyze_cmd.h"
#include "cli/table.h"
#include "common/error.h"

static const struct ph_opt opts[] = {
	PH_OPT_JSON,
	PH_OPT_MAX_MEMORY,
	PH_OPT_PYTHON_ONLY,
	PH_OPT_HELP,
	PH_OPT_END,
};

static const char *s_or(const struct ph_heap *h, uint64_t sref, const char *none)
{
	const char *s = ph_heap_str(h, sref, NULL);

	return s ? s : none;
}

static int print_text(const struct ph_analysis *a)
{
	static const struct ph_table_col cols[] = {
		{"Thread / frame / local", PH_ALIGN_LEFT, 70}, {"Address", PH_ALIGN_LEFT, 0},
		{"Type", PH_ALIGN_LEFT, 40},                   {"Retained", PH_ALIGN_RIGHT, 0},
		{"Value", PH_ALIGN_LEFT, 40},
	};
	const struct ph_heap *h = a->h;
	struct ph_buf b = PH_BUF_INIT;
	struct ph_table t;
	int err = 0;

	if (!h->n_threads) {
		printf("The dump has no threads.\n");
		return 0;
	}
	ph_table_init(&t, cols, 5);
	for (size_t i = 0; i < h->n_threads && !err; i++) {
		const struct ph_heap_thread *th = &h->threads[i];

		err = ph_table_row(&t);
		if (!err)
			err = ph_table_cell(&t, "%s id %" PRIu64 "%s%s", ph_tmp_node(&b, a, a->g.first_thread + (uint32_t)i),
					    th->ident, th->flags & PH_FMT_THREAD_MAIN ? ", main" : "",
					    th->flags & PH_FMT_THREAD_DAEMON ? ", daemon" : "");
		if (!err)
			err = ph_table_cell(&t, "%s", "");
		if (!err)
			err = ph_table_cell(&t, "%s", "");
		if (!err)
			err = ph_table_cell(&t, "%" PRIu64, a->r.size[a->g.first_thread + i]);
		for (size_t f = th->first_frame; f < th->first_frame + th->n_frames && !err; f++) {
			const struct ph_heap_frame *fr = &h->frames[f];

			err = ph_table_row(&t);
			if (!err)
				err = ph_table_cell(&t, "  %s  %s:%" PRIu64, s_or(h, fr->function, "?"),
						    s_or(h, fr->filename, "?"), fr->line);
			if (!err)
				err = ph_table_cell(&t, "%s", "");
			if (!err)
				err = ph_table_cell(&t, "%s", "");
			if (!err)
				err = ph_table_cell(&t, "%" PRIu64, a->r.size[a->g.first_frame + f]);
			for (size_t l = fr->first_local; l < fr->first_local + fr->n_locals && !err; l++) {
				const struct ph_heap_local *lo = &h->locals[l];
				bool known = lo->object != PH_NO_ID;

				err = ph_table_row(&t);
				if (!err)
					err = ph_table_cell(&t, "    %s", s_or(h, lo->name, "?"));
				if (!err)
					err = ph_table_cell(&t, "0x%" PRIx64, lo->address);
				if (!err)
					err = ph_table_cell(&t, "%s",
							    known ? ph_heap_kind(h, lo->object) : "(not in the dump)");
				if (!err)
					err = ph_table_cell(&t, "%" PRIu64, known ? a->r.size[lo->object] : 0);
				if (!err)
					err = ph_table_cell(&t, "%s",
							    known ? ph_tmp_value(&b, a, lo->object, 40) : "");
			}
		}
	}
	if (!err)
		err = ph_table_print(&t, stdout);
	ph_table_release(&t);
	ph_buf_release(&b);
	if (!err)
		printf("\nA thread's (frame's) retained size is what only it keeps alive: what would be "
		       "freed if it went away.\nA local's is the object's own retained size.\n");
	return err;
}

static int json(struct ph_run *r, struct ph_json *j)
{
	return ph_report_threads(j, r->a);
}

static int text(struct ph_run *r)
{
	return print_text(r->a);
}

static const struct ph_setup setup = {
	PH_SETUP_ONE_DUMP,
	.json = json,
	.text = text,
};

const struct ph_cmd ph_cmd_threads = {
	.name = "threads",
	.summary = "List threads, their frames and local variables, with retained sizes",
	.synopsis = "[--json] FILE",
	.description =
		"Lists every Python thread of the dump (name, id, main or daemon) with its frames, "
		"innermost first (function, file and line), and each frame's local variables (name, "
		"address, type, value). Each thread and frame is given the retained size of what only "
		"it keeps alive - what would become free if that thread or frame went away - and each "
		"local the retained size of its object.",
	.opts = opts,
	.examples = "$ pyheap threads app.pyheap",
	.setup = &setup,
};
