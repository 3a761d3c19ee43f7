/* SPDX-License-Identifier: MIT */
/*
 * cmd_object.c - `pyheap object FILE ADDR`: one object in full: value, sizes,
 * reference count, roots, labelled referents and referrers, its dominator,
 * a path from the roots, and what it retains.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyze/paths.h"
#include "analyze/render.h"
#include "cli/analyze_cmd.h"
#include "cli/table.h"
#include "common/error.h"

static const struct ph_opt opts[] = {
	{"number", 'n', "N",
	 "Show at most N referents, referrers and retained children each (default 50; 0: all)."},
	PH_OPT_JSON,
	PH_OPT_HELP,
	PH_OPT_END,
};

/* One line of a referent or referrer list. */
struct ref {
	uint32_t node;
	uint64_t edge; /* in the source's edge arrays */
	uint32_t src;  /* the edge's source */
	bool weak;
};

struct lists {
	struct ref *out, *in;
	size_t n_out, n_in, cap_out, cap_in;
	uint32_t *kids;
	size_t n_kids;
};

static int add(struct ref **arr, size_t *n, size_t *cap, uint32_t node, uint32_t src, uint64_t e,
	       bool weak)
{
	int err = PH_ARRAY_RESERVE(*arr, *cap, *n + 1);

	if (err)
		return err;
	(*arr)[*n].node = node;
	(*arr)[*n].src = src;
	(*arr)[*n].edge = e;
	(*arr)[*n].weak = weak;
	(*n)++;
	return 0;
}

static const struct ph_analysis *sort_a;

static int by_retained(const void *x, const void *y)
{
	uint64_t a = sort_a->r.size[*(const uint32_t *)x], b = sort_a->r.size[*(const uint32_t *)y];

	if (a != b)
		return a > b ? -1 : 1;
	return *(const uint32_t *)x < *(const uint32_t *)y ? -1 : 1;
}

static int collect(struct ph_analysis *a, uint32_t v, struct lists *l)
{
	const struct ph_graph *g = &a->g;
	const struct ph_domtree *t;
	struct ph_edges e;
	uint32_t prev = PH_NO_ID;
	int err = 0;

	memset(l, 0, sizeof(*l));
	ph_graph_out(g, v, &e);
	for (uint64_t i = e.begin; i < e.end && !err; i++)
		err = add(&l->out, &l->n_out, &l->cap_out, e.tgt[i], v, i,
			  (e.kind[i] & PH_EDGE_WEAK) != 0);
	for (uint32_t i = g->in_off[v]; i < g->in_off[v + 1] && !err; i++) {
		uint32_t src = g->in_src[i] & PH_IN_SRC;

		if (src == prev)
			continue; /* each source once: its edges to v are listed together */
		prev = src;
		ph_graph_out(g, src, &e);
		for (uint64_t k = e.begin; k < e.end && !err; k++)
			if (e.tgt[k] == v)
				err = add(&l->in, &l->n_in, &l->cap_in, src, src, k,
					  (e.kind[k] & PH_EDGE_WEAK) != 0);
	}
	if (err)
		return err;
	t = ph_analysis_tree(a);
	if (!t)
		return ph_error_code();
	l->n_kids = t->off[v + 1] - t->off[v];
	l->kids = malloc((l->n_kids + 1) * sizeof(*l->kids));
	if (!l->kids)
		return ph_error(PH_ENOMEM, "cannot allocate %zu children", l->n_kids);
	memcpy(l->kids, t->kids + t->off[v], l->n_kids * sizeof(*l->kids));
	sort_a = a;
	qsort(l->kids, l->n_kids, sizeof(*l->kids), by_retained);
	return 0;
}

static void lists_free(struct lists *l)
{
	free(l->out);
	free(l->in);
	free(l->kids);
}

/* The label of a referrer: the step from it, prefixed by where a synthetic source is. */
static const char *ref_label(struct ph_buf *b, const struct ph_analysis *a, const struct ref *r,
			     uint32_t dst)
{
	b->len = 0;
	if (ph_graph_is_frame(&a->g, r->src))
		ph_render_node(b, &a->g, r->src);
	ph_render_step(b, &a->g, r->src, r->edge, dst, true);
	while (b->len && b->data[0] == ' ') {
		memmove(b->data, b->data + 1, b->len - 1);
		b->len--;
	}
	return ph_buf_cstr(b);
}

static void flags_text(uint8_t f, char *buf, size_t n)
{
	snprintf(buf, n, "%s%s%s%s", f & PH_FMT_OBJ_GC ? "gc " : "",
		 f & PH_FMT_OBJ_IMMORTAL ? "immortal " : "", f & PH_FMT_OBJ_STATIC ? "static " : "",
		 f & (PH_FMT_OBJ_GC | PH_FMT_OBJ_IMMORTAL | PH_FMT_OBJ_STATIC) ? "" : "-");
	if (n && buf[0] && buf[strlen(buf) - 1] == ' ')
		buf[strlen(buf) - 1] = 0;
}

static uint64_t strong_refs(const struct ph_analysis *a, uint32_t v)
{
	uint64_t n = 0;

	for (uint32_t i = a->g.in_off[v]; i < a->g.in_off[v + 1]; i++)
		n += !(a->g.in_src[i] & PH_IN_WEAK) && (a->g.in_src[i] & PH_IN_SRC) < a->g.n;
	return n;
}

/* The reasons v is a root, one per line or JSON string. */
static void roots_of(const struct ph_analysis *a, uint32_t v, struct ph_json *j)
{
	const struct ph_heap *h = a->h;
	struct ph_buf b = PH_BUF_INIT;
	char line[512];

	for (size_t i = 0; i < a->g.roots.n; i++) {
		const struct ph_root *r = &a->g.roots.list[i];

		if (r->object != v)
			continue;
		if (r->why == PH_LABEL_ROOT) {
			const char *lab = ph_heap_str(h, h->roots[r->val].label, NULL);
			static const char *const kinds[] = {"?", "sys.modules", "interpreter",
							    "thread state", "other"};

			snprintf(line, sizeof(line), "ROOTS record '%s' (%s)", lab ? lab : "",
				 kinds[h->roots[r->val].kind <= 4 ? h->roots[r->val].kind : 4]);
		} else if (r->why == PH_LABEL_HELD) {
			snprintf(line, sizeof(line),
				 "held from outside the dump: reference count %" PRIu64
				 ", %u reference%s not in the dump",
				 h->refcount[v], r->val, r->val == 1 ? "" : "s");
		} else {
			snprintf(line, sizeof(line), "%s object (a static root)",
				 h->flags[v] & PH_FMT_OBJ_IMMORTAL ? "immortal" : "statically allocated");
		}
		if (j)
			ph_json_str(j, line);
		else
			printf("  root:       %s\n", line);
	}
	for (size_t i = 0; i < h->n_locals; i++) {
		const struct ph_heap_local *lo = &h->locals[i];
		uint32_t f;

		if (lo->object != v)
			continue;
		for (f = 0; f < h->n_frames; f++)
			if (i >= h->frames[f].first_local &&
			    i < h->frames[f].first_local + h->frames[f].n_locals)
				break;
		b.len = 0;
		ph_render_node(&b, &a->g, a->g.first_frame + f);
		snprintf(line, sizeof(line), "local '%s' of %s",
			 ph_heap_str(h, lo->name, NULL) ? ph_heap_str(h, lo->name, NULL) : "?",
			 ph_buf_cstr(&b));
		if (j)
			ph_json_str(j, line);
		else
			printf("  root:       %s\n", line);
	}
	ph_buf_release(&b);
}

static size_t cap(size_t n, uint64_t limit)
{
	return limit && limit < n ? (size_t)limit : n;
}

static int print_text(const struct ph_analysis *a, uint32_t v, const struct lists *l,
		      const char *path, uint64_t limit)
{
	static const struct ph_table_col rcols[] = {
		{"Label", PH_ALIGN_LEFT, 80},  {"Address", PH_ALIGN_LEFT, 0},
		{"Type", PH_ALIGN_LEFT, 40},   {"Size", PH_ALIGN_RIGHT, 0},
		{"Retained", PH_ALIGN_RIGHT, 0}, {"Value", PH_ALIGN_LEFT, 40},
	};
	static const struct ph_table_col kcols[] = {
		{"Address", PH_ALIGN_LEFT, 0},  {"Type", PH_ALIGN_LEFT, 40},
		{"Size", PH_ALIGN_RIGHT, 0},    {"Retained", PH_ALIGN_RIGHT, 0},
		{"%", PH_ALIGN_RIGHT, 0},       {"Value", PH_ALIGN_LEFT, 40},
	};
	const struct ph_heap *h = a->h;
	struct ph_buf b = PH_BUF_INIT, b2 = PH_BUF_INIT;
	char fb[64], pb[16];
	uint32_t d = a->d.idom[v];
	int err = 0;

	printf("object 0x%" PRIx64 " (%s)\n", h->addr[v], ph_heap_kind(h, v));
	printf("  size:       %" PRIu64 "\n", h->size[v]);
	printf("  retained:   %" PRIu64 " (%u objects, %s of the heap)\n", a->r.size[v], a->r.count[v],
	       ph_pct(pb, a->r.size[v], ph_analysis_total(a)));
	printf("  refcount:   %" PRIu64 " (%" PRIu64 " strong reference%s in the dump)\n",
	       h->refcount[v], strong_refs(a, v), strong_refs(a, v) == 1 ? "" : "s");
	flags_text(h->flags[v], fb, sizeof(fb));
	printf("  flags:      %s\n", fb);
	if (*ph_tmp_value(&b, a, v, 200))
		printf("  value:      %s\n", ph_buf_cstr(&b));
	roots_of(a, v, NULL);
	printf("  status:     %s\n",
	       ph_bit(a->d.garbage, v) ? "unreachable (garbage awaiting collection)" : "reachable");
	printf("  dominator:  %s\n", ph_tmp_node(&b, a, d));
	printf("  path:       %s\n", path ? path : "-");
	for (int list = 0; list < 2 && !err; list++) {
		const struct ref *rs = list ? l->in : l->out;
		size_t n = list ? l->n_in : l->n_out, shown = cap(n, limit);
		struct ph_table t;

		printf("\n%s (%zu%s):\n", list ? "referrers" : "referents", n,
		       shown < n ? ", first shown" : "");
		if (!n)
			continue;
		ph_table_init(&t, rcols, 6);
		for (size_t i = 0; i < shown && !err; i++) {
			const struct ref *r = &rs[i];
			const char *lab = ref_label(&b, a, r, list ? v : r->node);

			err = ph_table_row(&t);
			if (!err)
				err = ph_table_cell(&t, "%s%s", lab, r->weak ? " (weak)" : "");
			if (r->node < a->g.n) {
				if (!err)
					err = ph_table_cell(&t, "0x%" PRIx64, h->addr[r->node]);
				if (!err)
					err = ph_table_cell(&t, "%s", ph_heap_kind(h, r->node));
				if (!err)
					err = ph_table_cell(&t, "%" PRIu64, h->size[r->node]);
				if (!err)
					err = ph_table_cell(&t, "%" PRIu64, a->r.size[r->node]);
				if (!err)
					err = ph_table_cell(&t, "%s", ph_tmp_value(&b2, a, r->node, 40));
			} else {
				if (!err)
					err = ph_table_cell(&t, "-");
				if (!err)
					err = ph_table_cell(&t, "%s", ph_node_kind(&a->g, r->node));
				if (!err)
					err = ph_table_cell(&t, "-");
				if (!err)
					err = ph_table_cell(&t, "%" PRIu64, a->r.size[r->node]);
				if (!err)
					err = ph_table_cell(&t, "%s", "");
			}
		}
		if (!err)
			err = ph_table_print(&t, stdout);
		ph_table_release(&t);
	}
	if (!err) {
		size_t shown = cap(l->n_kids, limit);
		struct ph_table t;

		printf("\nretains (%zu dominator-tree children%s):\n", l->n_kids,
		       shown < l->n_kids ? ", largest shown" : "");
		ph_table_init(&t, kcols, 6);
		for (size_t i = 0; i < shown && !err; i++) {
			uint32_t k = l->kids[i];

			err = ph_table_row(&t);
			if (!err)
				err = ph_table_cell(&t, "0x%" PRIx64, h->addr[k]);
			if (!err)
				err = ph_table_cell(&t, "%s", ph_heap_kind(h, k));
			if (!err)
				err = ph_table_cell(&t, "%" PRIu64, h->size[k]);
			if (!err)
				err = ph_table_cell(&t, "%" PRIu64, a->r.size[k]);
			if (!err)
				err = ph_table_cell(&t, "%s", ph_pct(pb, a->r.size[k], a->r.size[v]));
			if (!err)
				err = ph_table_cell(&t, "%s", ph_tmp_value(&b2, a, k, 40));
		}
		if (!err && shown)
			err = ph_table_print(&t, stdout);
		ph_table_release(&t);
	}
	ph_buf_release(&b);
	ph_buf_release(&b2);
	return err;
}

static void json_refs(struct ph_json *j, const struct ph_analysis *a, uint32_t v,
		      const struct ref *rs, size_t n, bool in)
{
	struct ph_buf b = PH_BUF_INIT;

	ph_json_begin_array(j);
	for (size_t i = 0; i < n; i++) {
		const struct ref *r = &rs[i];

		ph_json_begin_object(j);
		ph_json_key(j, "label");
		ph_json_str(j, ref_label(&b, a, r, in ? v : r->node));
		ph_json_key(j, "address");
		ph_json_node_addr(j, a, r->node);
		ph_json_key(j, "type");
		ph_json_str(j, ph_node_kind(&a->g, r->node));
		ph_json_key(j, "size");
		ph_json_uint(j, r->node < a->g.n ? a->h->size[r->node] : 0);
		ph_json_key(j, "retained");
		ph_json_uint(j, a->r.size[r->node]);
		ph_json_key(j, "weak");
		ph_json_bool(j, r->weak);
		ph_json_end_object(j);
	}
	ph_json_end_array(j);
	ph_buf_release(&b);
}

static void print_json(struct ph_json *j, const struct ph_analysis *a, uint32_t v,
		       const struct lists *l, const char *path, uint64_t limit)
{
	const struct ph_heap *h = a->h;
	struct ph_buf b = PH_BUF_INIT;
	uint32_t d = a->d.idom[v];

	ph_json_begin_object(j);
	ph_json_key(j, "address");
	ph_json_addr(j, h->addr[v]);
	ph_json_key(j, "type");
	ph_json_str(j, ph_heap_kind(h, v));
	ph_json_key(j, "size");
	ph_json_uint(j, h->size[v]);
	ph_json_key(j, "retained");
	ph_json_uint(j, a->r.size[v]);
	ph_json_key(j, "retained_objects");
	ph_json_uint(j, a->r.count[v]);
	ph_json_key(j, "refcount");
	ph_json_uint(j, h->refcount[v]);
	ph_json_key(j, "strong_references");
	ph_json_uint(j, strong_refs(a, v));
	ph_json_key(j, "flags");
	ph_json_begin_array(j);
	if (h->flags[v] & PH_FMT_OBJ_GC)
		ph_json_str(j, "gc");
	if (h->flags[v] & PH_FMT_OBJ_IMMORTAL)
		ph_json_str(j, "immortal");
	if (h->flags[v] & PH_FMT_OBJ_STATIC)
		ph_json_str(j, "static");
	ph_json_end_array(j);
	ph_json_key(j, "value");
	ph_json_str(j, ph_tmp_value(&b, a, v, 1000));
	ph_json_key(j, "reachable");
	ph_json_bool(j, !ph_bit(a->d.garbage, v));
	ph_json_key(j, "roots");
	ph_json_begin_array(j);
	roots_of(a, v, j);
	ph_json_end_array(j);
	ph_json_key(j, "dominator");
	ph_json_begin_object(j);
	ph_json_key(j, "address");
	ph_json_node_addr(j, a, d);
	ph_json_key(j, "type");
	ph_json_str(j, ph_node_kind(&a->g, d));
	ph_json_key(j, "name");
	ph_json_str(j, ph_tmp_node(&b, a, d));
	ph_json_end_object(j);
	ph_json_key(j, "path");
	if (path)
		ph_json_str(j, path);
	else
		ph_json_null(j);
	ph_json_key(j, "n_referents");
	ph_json_uint(j, l->n_out);
	ph_json_key(j, "referents");
	json_refs(j, a, v, l->out, cap(l->n_out, limit), false);
	ph_json_key(j, "n_referrers");
	ph_json_uint(j, l->n_in);
	ph_json_key(j, "referrers");
	json_refs(j, a, v, l->in, cap(l->n_in, limit), true);
	ph_json_key(j, "n_retains");
	ph_json_uint(j, l->n_kids);
	ph_json_key(j, "retains");
	ph_json_begin_array(j);
	for (size_t i = 0; i < cap(l->n_kids, limit); i++) {
		uint32_t k = l->kids[i];

		ph_json_begin_object(j);
		ph_json_key(j, "address");
		ph_json_addr(j, h->addr[k]);
		ph_json_key(j, "type");
		ph_json_str(j, ph_heap_kind(h, k));
		ph_json_key(j, "size");
		ph_json_uint(j, h->size[k]);
		ph_json_key(j, "retained");
		ph_json_uint(j, a->r.size[k]);
		ph_json_end_object(j);
	}
	ph_json_end_array(j);
	ph_json_end_object(j);
	ph_buf_release(&b);
}

static int run(const struct ph_cmd *cmd, int argc, char **argv)
{
	uint64_t limit = 50;
	bool json = false;
	struct ph_analysis *a;
	struct lists l;
	struct ph_path *paths = NULL;
	struct ph_buf pb = PH_BUF_INIT;
	size_t np = 0;
	uint32_t v;
	int err, status;

	if ((status = ph_cli_simple_opts(cmd, argc, argv, &limit, &json, 2, "FILE and ADDR")))
		return status;
	if ((status = ph_cli_analyze(cmd, argv[optind], &a)))
		return status;
	if ((status = ph_cli_object(cmd, a, argv[optind + 1], &v))) {
		ph_analysis_free(a);
		return status;
	}
	err = collect(a, v, &l);
	if (!err)
		err = ph_paths_to(a, v, 1, &paths, &np);
	if (!err && np)
		err = ph_path_expr(&pb, &a->g, &paths[0]);
	if (!err) {
		const char *path = np ? ph_buf_cstr(&pb) : NULL;

		if (json) {
			struct ph_json j;
			struct ph_buf jb = PH_BUF_INIT;

			ph_cli_json_start(&j, &jb);
			print_json(&j, a, v, &l, path, limit);
			status = ph_cli_json_finish(cmd, &j, &jb);
		} else {
			err = print_text(a, v, &l, path, limit);
		}
	}
	if (err)
		status = ph_fail(cmd, err);
	ph_paths_free(paths, np);
	ph_buf_release(&pb);
	lists_free(&l);
	ph_analysis_free(a);
	return ph_cli_end(cmd, status);
}

const struct ph_cmd ph_cmd_object = {
	.name = "object",
	.summary = "Show one object: value, sizes, referents, referrers, what it retains",
	.synopsis = "[-n N] [--json] FILE ADDR",
	.description =
		"Shows the object at address ADDR (0x7f..., as other commands print it): its type, "
		"value, shallow and retained size, reference count against the strong references "
		"the dump found to it, why it is a root if it is one, whether it is reachable, its "
		"immediate dominator, a shortest path from the roots, the objects it refers to and "
		"those that refer to it (each with the label of the reference: .attr, ['key'], [3], "
		"<key>), and the objects it retains directly (its children in the dominator tree), "
		"largest first.",
	.opts = opts,
	.examples = "$ pyheap object app.pyheap 0x7f3a2c1b9e40",
	.run = run,
};
