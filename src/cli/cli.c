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
#include "analyze/render.h"
#include "common/buf.h"
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
		if (c == PH_OPT_PYTHON_ONLY_ID) {
			ph_heap_set_python_only(true);
			continue;
		}
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

/* ---- text output through ph_render_text ---- */

static FILE *raw_stdout;
static uint8_t held[4]; /* the start of a UTF-8 sequence the next write completes */
static size_t n_held;

/* Bytes at the end of p[0..n) that start a UTF-8 sequence n does not complete. */
static size_t incomplete_tail(const uint8_t *p, size_t n)
{
	for (size_t k = 1; k <= 3 && k <= n; k++) {
		uint8_t c = p[n - k];

		if ((c & 0xc0) == 0x80)
			continue; /* a continuation byte: look further back */
		if (c < 0xc2 || c > 0xf4)
			return 0;
		return k < (c >= 0xf0 ? 4u : c >= 0xe0 ? 3u : 2u) ? k : 0;
	}
	return 0;
}

static ssize_t escape_write(void *cookie, const char *p, size_t n)
{
	struct ph_buf in = PH_BUF_INIT, out = PH_BUF_INIT;
	size_t tail;
	ssize_t ret = (ssize_t)n;

	(void)cookie;
	if (ph_buf_put(&in, held, n_held) || ph_buf_put(&in, p, n))
		ret = -1;
	tail = ret < 0 ? 0 : incomplete_tail(in.data, in.len);
	if (ret >= 0 && ph_render_text(&out, in.data, in.len - tail, true))
		ret = -1;
	if (ret >= 0 && out.len && fwrite(out.data, 1, out.len, raw_stdout) != out.len)
		ret = -1;
	if (ret >= 0) {
		memcpy(held, in.data + in.len - tail, tail);
		n_held = tail;
		if (fflush(raw_stdout))
			ret = -1;
	}
	ph_buf_release(&in);
	ph_buf_release(&out);
	if (ret < 0)
		errno = EIO;
	return ret;
}

static int escape_close(void *cookie)
{
	struct ph_buf out = PH_BUF_INIT;
	int r = 0;

	(void)cookie;
	if (n_held) { /* a sequence never completed: shown as its bytes */
		r = ph_render_text(&out, held, n_held, true) ? -1 : 0;
		if (!r && fwrite(out.data, 1, out.len, raw_stdout) != out.len)
			r = -1;
		n_held = 0;
	}
	ph_buf_release(&out);
	return fflush(raw_stdout) || r ? -1 : 0;
}

void ph_cli_escape_stdout(void)
{
	cookie_io_functions_t io = {.write = escape_write, .close = escape_close};
	FILE *f;

	if (raw_stdout)
		return;
	f = fopencookie(NULL, "w", io);
	if (!f)
		return; /* out of memory at start: the checks below still hold for tables */
	setvbuf(f, NULL, isatty(STDOUT_FILENO) ? _IOLBF : _IOFBF, 1 << 16);
	raw_stdout = stdout;
	stdout = f;
}

FILE *ph_cli_raw_stdout(void)
{
	if (!raw_stdout)
		return stdout;
	fflush(stdout);
	return raw_stdout;
}

const char *ph_cli_name(struct ph_buf *b, const void *s, size_t n)
{
	b->len = 0;
	if (ph_render_text(b, s, n, false))
		return "?";
	return ph_buf_cstr(b);
}

int ph_fail(const struct ph_cmd *cmd, int err)
{
	struct ph_buf esc = PH_BUF_INIT;
	const char *d = ph_error_detail();

	/* a detail may quote the dump (a name) or the target (a path) */
	if (d && *d && ph_render_text(&esc, (const uint8_t *)d, strlen(d), false) == 0)
		d = ph_buf_cstr(&esc);

	fflush(stdout);
	if (d && *d && err == PH_ENOMEM)
		fprintf(stderr, "pyheap %s: out of memory: %s\n", cmd->name, d);
	else if (d && *d)
		fprintf(stderr, "pyheap %s: %s\n", cmd->name, d);
	else
		fprintf(stderr, "pyheap %s: %s\n", cmd->name, ph_strerror(err));
	ph_buf_release(&esc);
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
