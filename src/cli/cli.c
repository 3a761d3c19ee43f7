/* SPDX-License-Identifier: MIT */
/*
 * cli.c - option parsing from struct ph_opt tables, help printing, and
 * small helpers shared by the subcommands.
 */
#include "cli/cli.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyze/heap.h"
#include "common/error.h"

#define MAX_OPTS 64

int ph_getopt(const struct ph_cmd *cmd, int argc, char **argv, const char **arg)
{
	struct option longs[MAX_OPTS + 1];
	char shorts[MAX_OPTS * 2 + 3];
	size_t n = 0, k = 0;
	int c;

	/*
	 * Options may come after the operands (pyheap top app.pyheap -n 5): getopt
	 * permutes them to the front; "--" ends the options. One command runs per
	 * process, so getopt's state starts fresh.
	 */
	shorts[k++] = ':'; /* report a missing argument as ':' */
	for (const struct ph_opt *o = cmd->opts; o && o->name && n < MAX_OPTS; o++, n++) {
		longs[n].name = o->name;
		longs[n].has_arg = o->arg ? required_argument : no_argument;
		longs[n].flag = NULL;
		longs[n].val = o->id;
		if (o->id > 0 && o->id < 256) {
			shorts[k++] = (char)o->id;
			if (o->arg)
				shorts[k++] = ':';
		}
	}
	memset(&longs[n], 0, sizeof(longs[n]));
	shorts[k] = '\0';
	opterr = 0;
	for (;;) {
		uint64_t budget;

		c = getopt_long(argc, argv, shorts, longs, NULL);
		*arg = optarg;
		if (c != PH_OPT_MAX_MEMORY_ID)
			break;
		if (!strcmp(optarg, "none")) {
			budget = UINT64_MAX;
		} else if (!ph_parse_size(optarg, &budget) || !budget) {
			ph_usage_error(cmd, "--max-memory takes a size (512M, 4G) or 'none', not '%s'",
				       optarg);
			return -2;
		}
		ph_heap_set_budget(budget);
	}
	if (c == -1)
		return -1;
	if (c == 'h') {
		ph_print_cmd_help(cmd, false);
		exit(0);
	}
	if (c == ':')
		return ph_usage_error(cmd, "option '%s' needs an argument", argv[optind - 1]) ? -2 : -2;
	if (c == '?') {
		if (optopt)
			ph_usage_error(cmd, "unknown option '-%c'", optopt);
		else
			ph_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
		return -2;
	}
	return c;
}

int ph_usage_error(const struct ph_cmd *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "pyheap %s: ", cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: pyheap %s %s\nTry 'pyheap %s --help' for more.\n", cmd->name,
		cmd->synopsis, cmd->name);
	return 2;
}

int ph_fail(const struct ph_cmd *cmd, int err)
{
	const char *d = ph_error_detail();

	fflush(stdout);
	if (d && *d && err == PH_ENOMEM)
		fprintf(stderr, "pyheap %s: out of memory: %s\n", cmd->name, d);
	else if (d && *d)
		fprintf(stderr, "pyheap %s: %s\n", cmd->name, d);
	else
		fprintf(stderr, "pyheap %s: %s\n", cmd->name, ph_strerror(err));
	return ph_exit_status(err);
}

int ph_parse_u64(const struct ph_cmd *cmd, const char *opt, const char *s, uint64_t *out)
{
	if (ph_parse_uint(s, false, out))
		return 0;
	ph_usage_error(cmd, "%s needs a non-negative integer, not '%s'", opt, s ? s : "");
	return -2;
}

/* Print text wrapped at 78 columns with the given indent; paragraphs kept. */
static void wrap(FILE *f, const char *text, int indent)
{
	int col = 0;
	const char *p = text;

	while (*p) {
		const char *w = p;
		size_t n;

		if (*p == '\n') {
			fputc('\n', f);
			col = 0;
			p++;
			continue;
		}
		while (*w == ' ')
			w++;
		n = strcspn(w, " \n");
		if (col > indent && col + 1 + (int)n > 78) {
			fputc('\n', f);
			col = 0;
		}
		if (col == 0) {
			fprintf(f, "%*s", indent, "");
			col = indent;
		} else if (w != p || col > indent) {
			fputc(' ', f);
			col++;
		}
		fwrite(w, 1, n, f);
		col += (int)n;
		p = w + n;
	}
	if (col)
		fputc('\n', f);
}

void ph_print_cmd_help(const struct ph_cmd *cmd, bool to_stderr)
{
	FILE *f = to_stderr ? stderr : stdout;

	fprintf(f, "usage: pyheap %s %s\n\n", cmd->name, cmd->synopsis);
	wrap(f, cmd->summary, 0);
	if (cmd->description) {
		fputc('\n', f);
		wrap(f, cmd->description, 0);
	}
	if (cmd->opts && cmd->opts->name) {
		fputs("\noptions:\n", f);
		for (const struct ph_opt *o = cmd->opts; o->name; o++) {
			char head[80];

			if (o->id > 0 && o->id < 256)
				snprintf(head, sizeof(head), "  -%c, --%s%s%s", o->id, o->name,
					 o->arg ? " " : "", o->arg ? o->arg : "");
			else
				snprintf(head, sizeof(head), "      --%s%s%s", o->name, o->arg ? " " : "",
					 o->arg ? o->arg : "");
			fprintf(f, "%s\n", head);
			wrap(f, o->help, 10);
		}
	}
	if (cmd->examples)
		fprintf(f, "\nexamples:\n%s\n", cmd->examples);
}

bool ph_stderr_tty(void)
{
	return isatty(STDERR_FILENO) == 1;
}
