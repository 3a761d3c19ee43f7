/* SPDX-License-Identifier: MIT */
/*
 * analyze_cmd.h - what the analysis commands (summary, histogram, top,
 * object, paths, threads, diff, suspects) share: opening a dump with
 * progress on stderr, and small formatting helpers.
 */
#ifndef PH_CLI_ANALYZE_CMD_H
#define PH_CLI_ANALYZE_CMD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "analyze/analysis.h"
#include "analyze/histogram.h"
#include "cli/cli.h"
#include "common/buf.h"
#include "common/json.h"

/* Options common to the analysis commands. */
#define PH_OPT_JSON {"json", 256, NULL, "Print one JSON document instead of a table."}
#define PH_OPT_JSON_ID 256

/*
 * The setup an analysis command shares, described by its struct ph_setup
 * and done by ph_cli_run_setup(): parse the options (-n and --json here,
 * the command's own through option()), check the operands, load the dumps
 * named by load (with progress), then print either the JSON document
 * (json()) or the text (text()), release everything, and return the exit
 * status (ph_cli_end()).
 */
#define PH_RUN_MAX_ARGS 4
#define PH_LOAD(i) (1u << (i)) /* operand i is a dump to analyze */

struct ph_run {
	const struct ph_cmd *cmd;
	char **args; /* the operands */
	int nargs;
	struct ph_analysis *dump[PH_RUN_MAX_ARGS]; /* by operand, those loaded */
	struct ph_analysis *a;                     /* the first dump loaded */
	uint64_t limit;                            /* -n, when the command has it */
	bool json;
	void *opts; /* the command's own options: setup->opts_size bytes, zeroed */
	/* What check() may change: the operands expected and what is loaded. */
	int min_args, max_args;
	const char *operands; /* for "expected %s" */
	unsigned load, load_graph; /* PH_LOAD() bits: full analysis; heap and graph only */
};

struct ph_setup {
	int min_args, max_args;
	const char *operands;      /* "one FILE", "FILE and ADDR" */
	unsigned load, load_graph; /* as in struct ph_run */
	uint64_t limit, max_limit; /* -n's default and largest value (when opts has 'n') */
	size_t opts_size;
	void (*init)(void *opts); /* defaults; may be NULL */
	/* An option of the command's own (id from its ph_opt table): 0, or 2 after a usage error. */
	int (*option)(struct ph_run *r, int id, const char *arg);
	/* After the options, before the operands are counted: 0, or 2 after a usage error. */
	int (*check)(struct ph_run *r);
	/* After the load: 0, or the exit status after reporting (an address not in the dump). */
	int (*loaded)(struct ph_run *r);
	/* The result: 0 or an error (reported by the runner). json may be NULL: no --json. */
	int (*json)(struct ph_run *r, struct ph_json *j);
	int (*text)(struct ph_run *r);
	void (*release)(struct ph_run *r); /* what loaded() kept in opts; may be NULL */
};

int ph_cli_run_setup(const struct ph_cmd *cmd, int argc, char **argv);

/* The most common setup: one operand, a dump analyzed in full. */
#define PH_SETUP_ONE_DUMP .min_args = 1, .max_args = 1, .operands = "one FILE", .load = PH_LOAD(0)

/* --by and --kind-by: a partition name into *by (0), or a usage error (2). */
int ph_cli_partition(const struct ph_cmd *cmd, const char *opt, const char *arg,
		     enum ph_partition *by);

/*
 * Open and analyze a dump for cmd, with progress on stderr when it is a
 * terminal. Returns 0, or (after reporting the error) the exit status to
 * return, with *out NULL.
 */
int ph_cli_analyze(const struct ph_cmd *cmd, const char *path, struct ph_analysis **out);

/* Parse an object address argument and find it; reports the error itself (returns exit status or 0). */
int ph_cli_object(const struct ph_cmd *cmd, const struct ph_analysis *a, const char *arg,
		  uint32_t *id);

/* "12.3%" of part in total (one decimal), into buf. */
const char *ph_pct(char buf[16], uint64_t part, uint64_t total);

/* Integer percent, as heapy prints it (rounded down). */
unsigned ph_ipct(uint64_t part, uint64_t total);

/* Temporary text: the buffer's content as a C string (reset before each use). */
const char *ph_tmp_value(struct ph_buf *b, const struct ph_analysis *a, uint32_t id, size_t max);
const char *ph_tmp_node(struct ph_buf *b, const struct ph_analysis *a, uint32_t v);

/* Print a paragraph wrapped at 78 columns with an indent. */
void ph_print_wrapped(FILE *f, const char *text, int indent);

/*
 * The exit status of a command that computed status: an error recorded
 * since the dump was analyzed (an allocation that failed while formatting,
 * say) turns success into that error, reported.
 */
int ph_cli_end(const struct ph_cmd *cmd, int status);

/* Tables shared by commands: the heapy-like histogram (cmd_histogram.c), top objects (cmd_top.c). */
struct ph_histogram;
int ph_histogram_table(const struct ph_histogram *hist, size_t n, bool with_index, FILE *f);
int ph_top_table(const struct ph_analysis *a, const uint32_t *ids, size_t n, FILE *f);

#endif
