/* SPDX-License-Identifier: MIT */
/*
 * cli.h - the command line: subcommand table, option parsing and help.
 *
 * Each subcommand is a struct ph_cmd defined in src/cli/cmd_NAME.c and listed
 * in src/cli/commands.h. Its options table (struct ph_opt) drives both the
 * parser (getopt_long) and the help text, and `pyheap help --man` renders
 * the same tables as the man page, so help, parser and man page cannot
 * disagree.
 *
 * Exit statuses (documented in the man page): 0 success; 1 failure; 2 usage
 * error; 3 the dump file is invalid, corrupt or too new; 4 the target process
 * cannot be dumped (not found, not Python, unsupported version, permission,
 * traced, finalizing, exited); 5 timeout; 130 interrupted.
 */
#ifndef PH_CLI_H
#define PH_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "common/units.h"

struct ph_opt {
	const char *name;  /* long name, without "--" */
	int id;            /* returned by ph_getopt(): the short option letter, or >= 256 */
	const char *arg;   /* NULL for a flag; else the argument's name in help ("FILE") */
	const char *help;  /* one or more sentences */
};

struct ph_cmd {
	const char *name;
	const char *summary;     /* one line, no final period */
	const char *synopsis;    /* arguments after "pyheap NAME", e.g. "[OPTIONS] FILE" */
	const char *description; /* paragraphs separated by "\n\n" */
	const struct ph_opt *opts; /* ends with an entry whose name is NULL */
	const char *examples;    /* lines "$ pyheap ..." with optional comments; may be NULL */
	/*
	 * Either run does everything, or setup describes an analysis command
	 * and ph_cli_run_setup() (analyze_cmd.h) parses its options, loads its
	 * dumps, prints its result and frees it all, as git's RUN_SETUP does.
	 */
	int (*run)(const struct ph_cmd *cmd, int argc, char **argv);
	const struct ph_setup *setup;
};

/*
 * --python-only, for the commands that analyze a dump: handled by ph_getopt()
 * itself (ph_heap_set_python_only of analyze/heap.h).
 */
#define PH_OPT_PYTHON_ONLY_ID 401
#define PH_OPT_PYTHON_ONLY                                                                         \
	{"python-only", PH_OPT_PYTHON_ONLY_ID, NULL,                                              \
	 "Retained sizes of Python objects alone: leave out the native bytes objects own (a "      \
	 "numpy array's data, an mmap's mapping, an instance's values array), which they count "   \
	 "by default."}

/* Options every command accepts, handled by ph_getopt() itself. */
#define PH_OPT_HELP {"help", 'h', NULL, "Show this help and exit."}
#define PH_OPT_END {NULL, 0, NULL, NULL}

/*
 * --max-memory, for the commands that load a dump for analysis: handled by
 * ph_getopt() itself (it sets the budget of analyze/heap.h).
 */
#define PH_OPT_MAX_MEMORY_ID 400
#define PH_OPT_MAX_MEMORY                                                                          \
	{"max-memory", PH_OPT_MAX_MEMORY_ID, "SIZE",                                               \
	 "Refuse a dump whose analysis needs more memory than SIZE (512M, 4G; 'none' for no "      \
	 "limit), checked from its counts before anything is allocated. Default: the memory "      \
	 "available to the process (MemAvailable, RLIMIT_AS and RLIMIT_DATA, the cgroup's "      \
	 "memory limit), the smallest."}

/*
 * Parse the next option of argv by cmd->opts (getopt_long; argv[0] is the
 * command name). Returns the option's id with *arg set for options that take
 * one, -1 when options end (optind is the first operand), or -2 after
 * printing a usage error (the caller returns exit status 2). --help prints
 * the command's help and exits 0.
 */
int ph_getopt(const struct ph_cmd *cmd, int argc, char **argv, const char **arg);

/* Print "pyheap NAME: msg" and "Try 'pyheap NAME --help'" to stderr; returns 2. */
int ph_usage_error(const struct ph_cmd *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Report the current error (ph_error_detail) for cmd and return its exit status. */
int ph_fail(const struct ph_cmd *cmd, int err);

/* Parse a non-negative integer option value; on error prints usage and returns -2. */
int ph_parse_u64(const struct ph_cmd *cmd, const char *opt, const char *s, uint64_t *out);

void ph_print_cmd_help(const struct ph_cmd *cmd, bool to_stderr);

/* The command table (defined in main.c). */
extern const struct ph_cmd *const ph_commands[];
const struct ph_cmd *ph_find_cmd(const char *name);

/* Whether stderr is a terminal (for progress output). */
bool ph_stderr_tty(void);

/*
 * Text output is safe for a terminal: main() makes stdout a stream that
 * passes everything written to it through ph_render_text() (newlines and
 * tabs kept), so no string from a dump - a class, module, function, file,
 * local or label name, the metadata - writes a raw escape sequence or
 * control character, whichever printf prints it. ph_cli_raw_stdout() is the
 * stream as it was, flushed of text first: JSON (exact, and escaped by the
 * JSON writer) and binary output go there. Both streams stay owned by stdio.
 */
void ph_cli_escape_stdout(void);
FILE *ph_cli_raw_stdout(void);

/*
 * A name from a dump made one line for text output (ph_render_text, line
 * breaks escaped too): b (borrowed, emptied first) holds it; "?" if out of
 * memory. For names printed inside a line of text.
 */
struct ph_buf;
const char *ph_cli_name(struct ph_buf *b, const void *s, size_t n);

#endif
