/* SPDX-License-Identifier: MIT */
/*
 * analyze_cmd.c - shared parts of the analysis commands (see analyze_cmd.h).
 */
#include "cli/analyze_cmd.h"

#include <getopt.h>
#include <inttypes.h>
#include <string.h>

#include "analyze/render.h"
#include "common/error.h"

struct progress {
	const char *stage;
	uint64_t last;
};

static void progress(void *ctx, const char *stage, uint64_t done, uint64_t total)
{
	struct progress *p = ctx;

	if (p->stage != stage || done == total || done - p->last >= 8 || done < p->last) {
		if (total > 1)
			fprintf(stderr, "\r\033[Kpyheap: %s %" PRIu64 "/%" PRIu64, stage, done, total);
		else
			fprintf(stderr, "\r\033[Kpyheap: %s", stage);
		p->stage = stage;
		p->last = done;
	}
}

int ph_cli_simple_opts(const struct ph_cmd *cmd, int argc, char **argv, uint64_t *limit,
		       bool *json, int nargs, const char *operands)
{
	const char *arg;
	int c;

	while ((c = ph_getopt(cmd, argc, argv, &arg)) != -1) {
		if (c == 'n' && limit) {
			if (ph_parse_u64(cmd, "--number", arg, limit))
				return 2;
		} else if (c == PH_OPT_JSON_ID) {
			*json = true;
		} else {
			return 2;
		}
	}
	if (optind + nargs != argc)
		return ph_usage_error(cmd, "expected %s", operands);
	return 0;
}

static int analyze(const struct ph_cmd *cmd, const char *path, struct ph_analysis **out,
		   bool graph_only)
{
	struct progress p = {NULL, 0};
	bool tty = ph_stderr_tty();
	int err = (graph_only ? ph_analysis_open_graph : ph_analysis_open)(out, path,
									   tty ? progress : NULL, &p);

	if (tty)
		fputs("\r\033[K", stderr);
	if (err) {
		*out = NULL;
		return ph_fail(cmd, err);
	}
	ph_error_clear(); /* from here on any error recorded is a failure: see ph_cli_end() */
	return 0;
}

int ph_cli_analyze(const struct ph_cmd *cmd, const char *path, struct ph_analysis **out)
{
	return analyze(cmd, path, out, false);
}

int ph_cli_analyze_graph(const struct ph_cmd *cmd, const char *path, struct ph_analysis **out)
{
	return analyze(cmd, path, out, true);
}

int ph_cli_end(const struct ph_cmd *cmd, int status)
{
	if (status == 0 && ph_error_code() != PH_OK)
		return ph_fail(cmd, ph_error_code());
	if (status == 0 && (fflush(stdout) || ferror(stdout)))
		return ph_fail(cmd, ph_error(PH_EIO, "cannot write the output"));
	return status;
}

int ph_cli_object(const struct ph_cmd *cmd, const struct ph_analysis *a, const char *arg,
		  uint32_t *id)
{
	uint64_t addr;

	if (!ph_parse_addr(arg, &addr))
		return ph_usage_error(cmd, "'%s' is not an address (0x7f... or decimal)", arg);
	*id = ph_heap_find(a->h, addr);
	if (*id == PH_NO_ID)
		return ph_fail(cmd, ph_error(PH_ENOTFOUND, "no object at address 0x%" PRIx64 " in %s",
					     addr, a->h->path));
	return 0;
}

const char *ph_pct(char buf[16], uint64_t part, uint64_t total)
{
	snprintf(buf, 16, "%.1f%%", total ? 100.0 * (double)part / (double)total : 0.0);
	return buf;
}

unsigned ph_ipct(uint64_t part, uint64_t total)
{
	return total ? (unsigned)((long double)part * 100 / total) : 0;
}

const char *ph_tmp_value(struct ph_buf *b, const struct ph_analysis *a, uint32_t id, size_t max)
{
	b->len = 0;
	ph_render_value(b, &a->g, id, max);
	return ph_buf_cstr(b);
}

const char *ph_tmp_node(struct ph_buf *b, const struct ph_analysis *a, uint32_t v)
{
	b->len = 0;
	ph_render_node(b, &a->g, v);
	return ph_buf_cstr(b);
}

void ph_print_wrapped(FILE *f, const char *text, int indent)
{
	int col = 0;
	const char *p = text;

	while (*p) {
		size_t n;

		while (*p == ' ')
			p++;
		n = strcspn(p, " ");
		if (!n)
			break;
		if (col > indent && col + 1 + (int)n > 78) {
			fputc('\n', f);
			col = 0;
		}
		if (col == 0) {
			fprintf(f, "%*s", indent, "");
			col = indent;
		} else {
			fputc(' ', f);
			col++;
		}
		fwrite(p, 1, n, f);
		col += (int)n;
		p += n;
	}
	if (col)
		fputc('\n', f);
}

void ph_cli_json_start(struct ph_json *j, struct ph_buf *b)
{
	b->len = 0;
	ph_json_init_buf(j, b, true);
}

int ph_cli_json_finish(const struct ph_cmd *cmd, struct ph_json *j, struct ph_buf *b, int err)
{
	int status = 0;

	if (err)
		status = ph_fail(cmd, err);
	else if (ph_json_finish(j) || j->error)
		status = ph_fail(cmd, ph_error_code() == PH_ENOMEM
					      ? PH_ENOMEM
					      : ph_error(PH_ENOMEM, "out of memory: cannot build the JSON document"));
	else if (b->len && fwrite(b->data, 1, b->len, stdout) != b->len)
		status = ph_fail(cmd, ph_error(PH_EIO, "cannot write the output"));
	ph_buf_release(b);
	return status;
}
