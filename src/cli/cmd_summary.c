/* SPDX-License-Identifier: MIT */
/*
 * cmd_summary.c - `pyheap summary FILE`: what the dump holds, at a glance.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "analyze/breakdown.h"
#include "analyze/histogram.h"
#include "analyze/report.h"
#include "analyze/suspects.h"
#include "analyze/top.h"
#include "cli/analyze_cmd.h"
#include "common/error.h"
#include "format/reader.h"

static const struct ph_opt opts[] = {
	{"number", 'n', "N", "Show the N largest types and retainers (default 10)."},
	PH_OPT_JSON,
	PH_OPT_MAX_MEMORY,
	PH_OPT_PYTHON_ONLY,
	PH_OPT_HELP,
	PH_OPT_END,
};

static const char *meta_str(const struct ph_heap *h, const char *key)
{
	const struct ph_heap_meta *m = ph_heap_meta(h, key);

	return m && m->type == PH_FMT_META_STR ? (const char *)m->value : NULL;
}

static size_t frames_with_locals(const struct ph_heap *h)
{
	size_t n = 0;

	for (size_t f = 0; f < h->n_frames; f++)
		n += h->frames[f].n_locals > 0;
	return n;
}

static void memory_line(const char *what, int64_t n, uint64_t total, const char *note)
{
	char hb[32], pb[16];

	printf("  %-26s %11s %6s%s%s\n", what, n < 0 ? "-" : ph_human_bytes((uint64_t)n, hb),
	       n < 0 ? "" : ph_pct(pb, (uint64_t)n, total), note ? "  " : "", note ? note : "");
}

/* The process's resident memory by what holds it (analyze/breakdown.h). */
static void print_memory(const struct ph_heap *h)
{
	struct ph_breakdown b;
	char hb[32];

	ph_breakdown_compute(h, &b);
	if (!b.have)
		return;
	printf("\nResident memory of the process: %s\n", ph_human_bytes(b.resident, hb));
	memory_line("Python objects", (int64_t)b.objects, b.resident, NULL);
	if (b.native)
		memory_line("native buffers", (int64_t)b.native, b.resident,
			    "(numpy arrays' data and the like, owned by objects)");
	memory_line("pymalloc free space", b.have_pymalloc ? (int64_t)b.pymalloc_free : -1, b.resident,
		    b.have_pymalloc ? NULL : "(not recorded: pymalloc is not in use)");
	memory_line("C allocator free space", (int64_t)b.malloc_free, b.resident, NULL);
	memory_line("files and libraries", (int64_t)b.files, b.resident, NULL);
	memory_line("thread stacks", (int64_t)b.stacks, b.resident, NULL);
	if (b.rest >= 0)
		memory_line("the rest", b.rest, b.resident,
			    "(interpreter state, extensions' buffers, allocator overhead)");
	else
		printf("  %-26s -%10s         (the parts above overlap: free space or objects not resident)\n",
		       "the rest", ph_human_bytes((uint64_t)-b.rest, hb));
}

static void print_text(const struct ph_analysis *a, const struct ph_histogram *hist, size_t nt,
		       const uint32_t *top, size_t ntop)
{
	const struct ph_heap *h = a->h;
	const struct ph_roots *r = &a->g.roots;
	struct ph_buf nb = PH_BUF_INIT;
	const char *s;
	char hb[32], hb2[32], pb[16];
	uint64_t u;

	printf("file:         %s (%s, format %u.%u)\n", h->path, ph_human_bytes(h->file_size, hb),
	       h->major, h->minor);
	if ((s = meta_str(h, "python_version")))
		printf("python:       %s\n", ph_cli_name(&nb, s, strlen(s)));
	if (ph_heap_meta_uint(h, "pid", &u)) {
		printf("process:      pid %" PRIu64, u);
		if ((s = meta_str(h, "hostname")))
			printf(" on %s", ph_cli_name(&nb, s, strlen(s)));
		putchar('\n');
	}
	if (ph_heap_meta_uint(h, "time_ns", &u)) {
		time_t t = (time_t)(u / 1000000000);
		struct tm tm;
		char tb[64];

		gmtime_r(&t, &tm);
		strftime(tb, sizeof(tb), "%Y-%m-%d %H:%M:%S UTC", &tm);
		printf("taken:        %s", tb);
		if (ph_heap_meta_uint(h, "pause_ns", &u))
			printf(", target paused %.3f s", (double)u / 1e9);
		putchar('\n');
	}
	printf("objects:      %u (%" PRIu64 " bytes, %s)\n", h->n_objects, h->total_size,
	       ph_human_bytes(h->total_size, hb));
	if (h->n_native) {
		printf("native:       %" PRIu64 " bytes (%s) owned by %" PRIu64 " object%s beyond their size:",
		       h->total_native, ph_human_bytes(h->total_native, hb), h->n_native,
		       h->n_native == 1 ? "" : "s");
		for (unsigned k = 1, first = 1; k <= PH_FMT_NATIVE_MAX; k++)
			if (h->native_by_kind[k]) {
				printf("%s %s %s", first ? "" : ",", ph_native_kind_name(k),
				       ph_human_bytes(h->native_by_kind[k], hb2));
				first = 0;
			}
		printf("%s\n", h->python_only ? "; left out of retained sizes (--python-only)"
					      : "; counted in retained sizes");
	}
	printf("edges:        %" PRIu64 " (%" PRIu64 " weak); %" PRIu64 " reference%s to addresses "
	       "not in the dump ignored\n",
	       h->n_edges, h->n_weak, h->dangling_edges, h->dangling_edges == 1 ? "" : "s");
	printf("roots:        %zu from ROOTS records (sys.modules %zu, interpreter %zu, thread state %zu, "
	       "other %zu), %zu held from outside the dump, %zu static\n",
	       r->n_record, r->by_kind[PH_FMT_ROOT_MODULES], r->by_kind[PH_FMT_ROOT_INTERP],
	       r->by_kind[PH_FMT_ROOT_THREAD], r->by_kind[PH_FMT_ROOT_OTHER], r->n_held, r->n_static);
	{
		uint64_t count, retained;

		ph_held_from_c(a, NULL, 0, &count, &retained);
		if (count)
			printf("held from C:  %" PRIu64 " object%s no Python object refers to, retaining %s "
			       "(pyheap suspects lists the largest)\n",
			       count, count == 1 ? "" : "s", ph_human_bytes(retained, hb));
	}
	printf("threads:      %zu, %zu frames (%zu with locals), %zu locals\n", h->n_threads,
	       h->n_frames, frames_with_locals(h), r->n_locals);
	printf("reachable:    %u objects, %" PRIu64 " bytes (%s)\n", h->n_objects - a->d.n_garbage,
	       h->total_size - a->d.garbage_size, ph_human_bytes(h->total_size - a->d.garbage_size, hb));
	printf("unreachable:  %u objects, %" PRIu64 " bytes (%s, %s of the heap): garbage awaiting "
	       "collection\n",
	       a->d.n_garbage, a->d.garbage_size, ph_human_bytes(a->d.garbage_size, hb2),
	       ph_pct(pb, a->d.garbage_size, h->total_size));
	print_memory(h);
	printf("\nLargest types by size:\n");
	ph_histogram_table(hist, nt, false, stdout);
	printf("\nLargest retainers:\n");
	ph_top_table(a, top, ntop, stdout);
	ph_buf_release(&nb);
}

static int json(struct ph_run *r, struct ph_json *j)
{
	return ph_report_summary(j, r->a, (size_t)r->limit);
}

static int text(struct ph_run *r)
{
	struct ph_histogram hist;
	uint32_t *top = NULL;
	size_t ntop = 0;
	int err = ph_histogram_compute(&hist, r->a, PH_BY_TYPE);

	if (err)
		return err;
	err = ph_top_objects(r->a, (size_t)r->limit, NULL, &top, &ntop);
	if (!err)
		print_text(r->a, &hist, r->limit < hist.n ? (size_t)r->limit : hist.n, top, ntop);
	free(top);
	ph_histogram_free(&hist);
	return err;
}

static const struct ph_setup setup = {
	PH_SETUP_ONE_DUMP,
	.limit = 10,
	.max_limit = 100000,
	.json = json,
	.text = text,
};

const struct ph_cmd ph_cmd_summary = {
	.name = "summary",
	.summary = "Summarize a dump: process, counts, roots, unreachable objects, largest types",
	.synopsis = "[-n N] [--json] FILE",
	.description =
		"Loads the dump, derives its roots and computes the dominator tree, then prints what "
		"was dumped (Python version, process, time), how many objects and references it "
		"holds, where the roots come from (ROOTS records such as sys.modules, objects whose "
		"reference count shows that something outside the dump holds them, immortal and static "
		"objects, thread frames), how much is unreachable (garbage awaiting collection), and "
		"the largest types and retainers.",
	.opts = opts,
	.examples = "$ pyheap summary app.pyheap\n$ pyheap summary --json app.pyheap | jq .unreachable",
	.setup = &setup,
};
