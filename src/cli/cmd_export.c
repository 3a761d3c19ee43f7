/* SPDX-License-Identifier: MIT */
/*
 * cmd_export.c - `pyheap export --format heapsnapshot|jsonl [-o OUT] FILE`:
 * the analyzed dump in a format other tools read (src/export/export.h).
 * The output is written to a new unnamed file next to OUT and renamed over
 * it when whole (src/dump/outfile.h), or to standard output with `-o -`.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/analyze_cmd.h"
#include "common/error.h"
#include "dump/outfile.h"
#include "export/export.h"

enum { OPT_FORMAT = 'f', OPT_OUTPUT = 'o' };

static const struct ph_opt opts[] = {
	{"format", OPT_FORMAT, "FORMAT",
	 "heapsnapshot (default): a Chrome DevTools heap snapshot, for Chrome's Memory tab and VS "
	 "Code; jsonl: one JSON document a line (a header, each thread, each root, each object)."},
	{"output", OPT_OUTPUT, "OUT",
	 "Write to OUT ('-': standard output; a directory: the default name in it). An existing "
	 "file is replaced only when the export is complete. Default: FILE with its .pyheap "
	 "suffix replaced by .heapsnapshot or .jsonl."},
	PH_OPT_MAX_MEMORY,
	PH_OPT_PYTHON_ONLY,
	PH_OPT_HELP,
	PH_OPT_END,
};

/* FILE's name without its directory and .pyheap suffix, plus ext. Caller frees. */
static char *default_name(const char *file, const char *ext)
{
	const char *base = strrchr(file, '/');
	size_t n;
	char *out;

	base = base ? base + 1 : file;
	n = strlen(base);
	if (n > 7 && strcmp(base + n - 7, ".pyheap") == 0)
		n -= 7;
	if (asprintf(&out, "%.*s%s", (int)n, base, ext) < 0)
		return NULL;
	return out;
}

static int run(const struct ph_cmd *cmd, int argc, char **argv)
{
	const char *format = "heapsnapshot", *output = NULL, *arg;
	struct ph_outfile out = {.fd = -1, .dirfd = -1};
	struct ph_analysis *a = NULL;
	struct ph_sink sink;
	char *defname = NULL, *defpath = NULL;
	bool to_stdout;
	int c, err, status;

	while ((c = ph_getopt(cmd, argc, argv, &arg)) != -1) {
		if (c == OPT_FORMAT)
			format = arg;
		else if (c == OPT_OUTPUT)
			output = arg;
		else
			return 2;
	}
	if (optind + 1 != argc)
		return ph_usage_error(cmd, "expected one FILE");
	if (strcmp(format, "heapsnapshot") != 0 && strcmp(format, "jsonl") != 0)
		return ph_usage_error(cmd, "unknown format '%s' (heapsnapshot or jsonl)", format);
	defname = default_name(argv[optind], format[0] == 'h' ? ".heapsnapshot" : ".jsonl");
	if (!defname)
		return ph_fail(cmd, ph_error(PH_ENOMEM, "out of memory"));
	if (!output) {
		const char *slash = strrchr(argv[optind], '/');

		if (slash && asprintf(&defpath, "%.*s/%s", (int)(slash - argv[optind]), argv[optind],
				      defname) < 0) {
			free(defname);
			return ph_fail(cmd, ph_error(PH_ENOMEM, "out of memory"));
		}
		output = defpath ? defpath : defname;
	}
	to_stdout = strcmp(output, "-") == 0;
	/* the destination is checked before the (long) analysis */
	if (!to_stdout && (err = ph_outfile_create(&out, output, defname))) {
		status = ph_fail(cmd, err);
		goto out_free_names;
	}
	if ((status = ph_cli_analyze(cmd, argv[optind], &a)))
		goto out_abort;
	if ((err = ph_sink_init(&sink, to_stdout ? STDOUT_FILENO : out.fd,
				to_stdout ? "standard output" : out.path))) {
		status = ph_fail(cmd, err);
		goto out_abort;
	}
	err = format[0] == 'h' ? ph_export_heapsnapshot(&sink, a) : ph_export_jsonl(&sink, a);
	if (err)
		ph_sink_release(&sink);
	else
		err = ph_sink_finish(&sink);
	if (!err && !to_stdout)
		err = ph_outfile_commit(&out);
	if (err)
		status = ph_fail(cmd, err);
out_abort:
	if (!to_stdout)
		ph_outfile_abort(&out); /* after a commit: only closes */
	ph_analysis_free(a);
out_free_names:
	free(defname);
	free(defpath);
	return ph_cli_end(cmd, status);
}

const struct ph_cmd ph_cmd_export = {
	.name = "export",
	.summary = "Write a dump as a Chrome DevTools heap snapshot or as line-oriented JSON",
	.synopsis = "[--format heapsnapshot|jsonl] [-o OUT] FILE",
	.description =
		"Analyzes the dump (roots, dominators, retained sizes) and writes it in a format other "
		"tools read.\n\n"
		"heapsnapshot: a .heapsnapshot file that Chrome DevTools' Memory tab (Load profile) and "
		"VS Code open, with their summary, containment, retainers and comparison views. Node 0 "
		"is the root, with (GC roots) below it and a node per kind of root under that "
		"(sys.modules, interpreter, thread states, threads with their frames, objects held from "
		"outside the dump, static objects), and (unreachable) for garbage. Objects are "
		"'object' nodes named by their type, str 'string' nodes named by their value, numbers "
		"'number', functions 'closure', code 'code', lists and tuples 'array', interpreter "
		"internals 'hidden'; attributes and dict keys are 'property' edges, indexes 'element', "
		"other references 'internal', weak references 'weak'. Node ids are stable across dumps "
		"of one process for an object at the same address with the same type. DevTools computes "
		"the same retained sizes as pyheap.\n\n"
		"jsonl: a header line, a line per thread (with frames and locals), a line per root, "
		"and a line per object: address, kind, size, retained size, reference count, value, "
		"labelled references and immediate dominator. The schema is versioned (docs/export.md).\n\n"
		"The output is written to a new file renamed over OUT when complete, so OUT never "
		"holds a partial export: a full disk or any other error leaves it as it was.",
	.opts = opts,
	.examples = "$ pyheap export app.pyheap          # writes app.heapsnapshot\n"
		    "$ pyheap export --format jsonl -o - app.pyheap | jq -c 'select(.record == \"thread\")'",
	.run = run,
};
