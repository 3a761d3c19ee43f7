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
#include "cli/cli.h"
#include "common/buf.h"
#include "common/json.h"

/* Options common to the analysis commands. */
#define PH_OPT_JSON {"json", 256, NULL, "Print one JSON document instead of a table."}
#define PH_OPT_JSON_ID 256

/*
 * Parse the options of a command that has only -n/--number (limit may be
 * NULL when it has none) and --json, then check that nargs operands follow.
 * operands names them in the usage error ("one FILE"). Returns 0, or 2 after
 * a usage error; optind is the first operand.
 */
int ph_cli_simple_opts(const struct ph_cmd *cmd, int argc, char **argv, uint64_t *limit,
		       bool *json, int nargs, const char *operands);

/*
 * Open and analyze a dump for cmd, with progress on stderr when it is a
 * terminal. Returns 0, or (after reporting the error) the exit status to
 * return, with *out NULL.
 */
int ph_cli_analyze(const struct ph_cmd *cmd, const char *path, struct ph_analysis **out);
/* The same with the heap and its graph only (ph_analysis_open_graph()). */
int ph_cli_analyze_graph(const struct ph_cmd *cmd, const char *path, struct ph_analysis **out);

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
 * JSON documents (report.h) are built in memory (b, borrowed) and printed
 * by ph_cli_json_finish() only when whole, so that a failure half-way never
 * leaves half a document on stdout. err is what the report returned: when
 * it is an error, nothing is printed. finish releases b; it returns 0 or
 * (after reporting the error) the exit status.
 */
void ph_cli_json_start(struct ph_json *j, struct ph_buf *b);
int ph_cli_json_finish(const struct ph_cmd *cmd, struct ph_json *j, struct ph_buf *b, int err);

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
