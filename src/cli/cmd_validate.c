/* SPDX-License-Identifier: MIT */
/*
 * cmd_validate.c - `pyheap validate FILE`: a deep check of every chunk,
 * record and cross-reference of a dump.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/error.h"
#include "common/json.h"
#include "format/validate.h"

enum { OPT_JSON = 256, OPT_QUIET, OPT_STRICT };

static const struct ph_opt opts[] = {
	{"json", OPT_JSON, NULL, "Print one JSON document instead of text."},
	{"strict", OPT_STRICT, NULL,
	 "Also fail (exit status 3) when references point to addresses that are not in the dump."},
	{"quiet", 'q', NULL, "Print nothing; the exit status says whether the dump is valid."},
	PH_OPT_HELP,
	PH_OPT_END,
};

static void progress(void *ctx, uint64_t done, uint64_t total)
{
	if (done == total || done % 16 == 0)
		fprintf(stderr, "\rvalidating: chunk %" PRIu64 " of %" PRIu64, done, total);
	if (done == total)
		fputs("\r\033[K", stderr);
}

static void report_json(const char *file, int err, const struct ph_validate_report *v)
{
	struct ph_json j;

	ph_json_init_file(&j, ph_cli_raw_stdout(), true);
	ph_json_begin_object(&j);
	ph_json_key(&j, "file");
	ph_json_str(&j, file);
	ph_json_key(&j, "valid");
	ph_json_bool(&j, err == 0);
	if (err) {
		ph_json_key(&j, "error");
		ph_json_str(&j, ph_error_detail());
	}
#define F(name)                                                                                    \
	ph_json_key(&j, #name);                                                                    \
	ph_json_uint(&j, v->name);
	F(chunks)
	F(unknown_chunks)
	F(stored_bytes)
	F(raw_bytes)
	F(meta)
	F(strings)
	F(types)
	F(objects)
	F(edges)
	F(threads)
	F(frames)
	F(locals)
	F(roots)
	F(dangling_edges)
	F(dangling_labels)
	F(dangling_other)
#undef F
	ph_json_key(&j, "dangling_examples");
	ph_json_begin_array(&j);
	for (int i = 0; i < v->n_examples; i++) {
		ph_json_begin_object(&j);
		ph_json_key(&j, "what");
		ph_json_str(&j, v->examples[i].what);
		ph_json_key(&j, "source");
		if (v->examples[i].source)
			ph_json_addr(&j, v->examples[i].source);
		else
			ph_json_null(&j);
		ph_json_key(&j, "address");
		ph_json_addr(&j, v->examples[i].target);
		ph_json_end_object(&j);
	}
	ph_json_end_array(&j);
	ph_json_end_object(&j);
	ph_json_finish(&j);
}

static int run(const struct ph_cmd *cmd, int argc, char **argv)
{
	bool json = false, quiet = false, strict = false;
	struct ph_validate_report rep;
	struct ph_reader *r = NULL;
	const char *arg, *file;
	uint64_t dangling;
	int c, err;

	while ((c = ph_getopt(cmd, argc, argv, &arg)) != -1) {
		switch (c) {
		case OPT_JSON:
			json = true;
			break;
		case 'q':
			quiet = true;
			break;
		case OPT_STRICT:
			strict = true;
			break;
		default:
			return 2;
		}
	}
	if (optind + 1 != argc)
		return ph_usage_error(cmd, "expected one FILE");
	file = argv[optind];
	memset(&rep, 0, sizeof(rep));
	err = ph_reader_open(&r, file);
	if (!err)
		err = ph_validate(r, &rep, !quiet && !json && ph_stderr_tty() ? progress : NULL, NULL);
	ph_reader_free(r);
	dangling = rep.dangling_edges + rep.dangling_labels + rep.dangling_other;
	if (json && !quiet) {
		report_json(file, err, &rep);
		return err ? ph_exit_status(err) : strict && dangling ? 3 : 0;
	}
	if (err)
		return quiet ? ph_exit_status(err) : ph_fail(cmd, err);
	if (!quiet) {
		printf("%s: valid pyheap dump\n", file);
		printf("  %" PRIu64 " objects, %" PRIu64 " edges, %" PRIu64 " types, %" PRIu64
		       " strings, %" PRIu64 " threads (%" PRIu64 " frames, %" PRIu64 " locals), %" PRIu64
		       " roots\n",
		       rep.objects, rep.edges, rep.types, rep.strings, rep.threads, rep.frames,
		       rep.locals, rep.roots);
		printf("  %" PRIu64 " chunks, %" PRIu64 " bytes stored, %" PRIu64 " bytes decoded\n",
		       rep.chunks, rep.stored_bytes, rep.raw_bytes);
		if (rep.unknown_chunks)
			printf("  %" PRIu64 " chunks of kinds this pyheap does not know were skipped\n",
			       rep.unknown_chunks);
		if (dangling) {
			printf("  warning: %" PRIu64 " edge targets, %" PRIu64 " edge labels and %" PRIu64
			       " other references point to addresses that are not in the dump\n",
			       rep.dangling_edges, rep.dangling_labels, rep.dangling_other);
			for (int i = 0; i < rep.n_examples; i++)
				printf("    %s 0x%" PRIx64 "%s\n", rep.examples[i].what,
				       rep.examples[i].target, "");
		}
	}
	return strict && dangling ? 3 : 0;
}

const struct ph_cmd ph_cmd_validate = {
	.name = "validate",
	.summary = "Check every chunk, record and reference of a dump",
	.synopsis = "[--json] [--strict] [-q] FILE",
	.description =
		"Decodes the whole file and checks checksums, lengths, ids, the order of records, and "
		"that no structure that must be acyclic loops. References to addresses that are not "
		"objects of the dump are reported as warnings (analysis ignores them); --strict makes "
		"them errors. On the first real problem it stops and says what is wrong and where: the "
		"chunk, its file offset and the record.",
	.opts = opts,
	.examples = "$ pyheap validate app.pyheap",
	.run = run,
};
