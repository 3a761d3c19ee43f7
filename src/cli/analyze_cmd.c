/* SPDX-License-Identifier: MIT */
/*
 * analyze_cmd.c - shared parts of the analysis commands (see analyze_cmd.h).
 */
#include "cli/analyze_cmd.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
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

int ph_cli_end(const struct ph_cmd *cmd, int status)
{
	if (status == 0 && ph_error_code() != PH_OK)
		return ph_fail(cmd, ph_error_code());
	if (status == 0 && (fflush(stdout) || ferror(stdout) || fflush(ph_cli_raw_stdout()) ||
			    ferror(ph_cli_raw_stdout())))
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

/*
 * JSON documents (report.h) are built in memory (b, borrowed) and printed
 * by json_finish() only when whole, so that a failure half-way never
 * leaves half a document on stdout. err is what the report returned: when
 * it is an error, nothing is printed. finish releases b; it returns 0 or
 * (after reporting the error) the exit status.
 */
static void json_start(struct ph_json *j, struct ph_buf *b)
{
	b->len = 0;
	ph_json_init_buf(j, b, true);
}

static int json_finish(const struct ph_cmd *cmd, struct ph_json *j, struct ph_buf *b, int err)
{
	int status = 0;

	if (err)
		status = ph_fail(cmd, err);
	else if (ph_json_finish(j) || j->error)
		status = ph_fail(cmd, ph_error_code() == PH_ENOMEM
					      ? PH_ENOMEM
					      : ph_error(PH_ENOMEM, "out of memory: cannot build the JSON document"));
	else if (b->len && fwrite(b->data, 1, b->len, ph_cli_raw_stdout()) != b->len)
		status = ph_fail(cmd, ph_error(PH_EIO, "cannot write the output"));
	ph_buf_release(b);
	return status;
}

int ph_cli_partition(const struct ph_cmd *cmd, const char *opt, const char *arg,
		     enum ph_partition *by)
{
	int v = ph_partition_parse(arg);

	if (v < 0)
		return ph_usage_error(cmd, "%s takes " PH_PARTITIONS ", not '%s'", opt, arg);
	*by = (enum ph_partition)v;
	return 0;
}

/* Options and operands into r: 0, or 2 after a usage error. */
static int parse(struct ph_run *r, const struct ph_setup *s, int argc, char **argv)
{
	const char *arg;
	int c;

	while ((c = ph_getopt(r->cmd, argc, argv, &arg)) != -1) {
		if (c == -2)
			return 2;
		if (c == 'n') {
			if (ph_parse_u64(r->cmd, "--number", arg, &r->limit))
				return 2;
			if (r->limit > s->max_limit)
				return ph_usage_error(r->cmd, "--number %" PRIu64 " is too large (at most %" PRIu64 ")",
						      r->limit, s->max_limit);
		} else if (c == PH_OPT_JSON_ID) {
			r->json = true;
		} else if (!s->option || s->option(r, c, arg)) {
			return 2;
		}
	}
	r->args = argv + optind;
	r->nargs = argc - optind;
	if (s->check && s->check(r))
		return 2;
	if (r->nargs < r->min_args || r->nargs > r->max_args)
		return ph_usage_error(r->cmd, "expected %s", r->operands);
	return 0;
}

static int load(struct ph_run *r)
{
	for (int i = 0; i < r->nargs; i++) {
		int status = 0;

		if (r->load & PH_LOAD(i))
			status = analyze(r->cmd, r->args[i], &r->dump[i], false);
		else if (r->load_graph & PH_LOAD(i))
			status = analyze(r->cmd, r->args[i], &r->dump[i], true);
		if (status)
			return status;
		if (!r->a)
			r->a = r->dump[i];
	}
	return 0;
}

int ph_cli_run_setup(const struct ph_cmd *cmd, int argc, char **argv)
{
	const struct ph_setup *s = cmd->setup;
	struct ph_run r = {
		.cmd = cmd,
		.limit = s->limit,
		.min_args = s->min_args,
		.max_args = s->max_args,
		.operands = s->operands,
		.load = s->load,
		.load_graph = s->load_graph,
	};
	bool loaded = false;
	int status;

	if (s->opts_size && !(r.opts = calloc(1, s->opts_size))) {
		fprintf(stderr, "pyheap %s: out of memory\n", cmd->name);
		return 1;
	}
	if (s->init)
		s->init(r.opts);
	status = parse(&r, s, argc, argv);
	if (!status)
		status = load(&r);
	if (!status && s->loaded) {
		status = s->loaded(&r);
		loaded = !status;
	}
	if (!status && r.json) {
		struct ph_json j;
		struct ph_buf jb = PH_BUF_INIT;

		json_start(&j, &jb);
		status = json_finish(cmd, &j, &jb, s->json(&r, &j));
	} else if (!status) {
		int err = s->text(&r);

		status = err ? ph_fail(cmd, err) : 0;
	}
	if (loaded && s->release)
		s->release(&r);
	for (int i = 0; i < PH_RUN_MAX_ARGS; i++)
		ph_analysis_free(r.dump[i]);
	free(r.opts);
	return ph_cli_end(cmd, status);
}
