/* SPDX-License-Identifier: MIT */
/*
 * inspect.c - one object in full (see inspect.h).
 */
#include "analyze/inspect.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/objects.h"
#include "analyze/paths.h"
#include "analyze/render.h"
#include "common/error.h"

static size_t cap(uint64_t n, size_t limit)
{
	return limit && limit < n ? limit : (size_t)n;
}

static int refs_alloc(struct ph_ref **arr, size_t n)
{
	*arr = malloc((n ? n : 1) * sizeof(**arr));
	return *arr ? 0 : ph_error(PH_ENOMEM, "cannot allocate %zu references", n);
}

static void ref_set(struct ph_ref *r, uint32_t node, uint32_t src, uint64_t e, uint8_t kind)
{
	r->node = node;
	r->src = src;
	r->edge = e;
	r->weak = (kind & PH_EDGE_WEAK) != 0;
}

static int collect_refs(struct ph_inspect *o, const struct ph_graph *g, uint32_t v, size_t limit)
{
	struct ph_edges e;
	uint32_t prev = PH_NO_ID;
	int err;

	ph_graph_out(g, v, &e);
	o->total_out = e.end - e.begin;
	err = refs_alloc(&o->out, cap(o->total_out, limit));
	for (uint64_t i = e.begin; !err && o->n_out < cap(o->total_out, limit); i++)
		ref_set(&o->out[o->n_out++], e.tgt[i], v, i, e.kind[i]);
	o->total_in = g->in_off[v + 1] - g->in_off[v];
	if (!err)
		err = refs_alloc(&o->in, cap(o->total_in, limit));
	for (uint32_t i = g->in_off[v]; !err && i < g->in_off[v + 1]; i++) {
		uint32_t src = g->in_src[i] & PH_IN_SRC;

		if (o->n_in == cap(o->total_in, limit))
			break;
		if (src == prev)
			continue; /* each source once: its edges to v are listed together */
		prev = src;
		ph_graph_out(g, src, &e);
		for (uint64_t k = e.begin; k < e.end && o->n_in < cap(o->total_in, limit); k++)
			if (e.tgt[k] == v)
				ref_set(&o->in[o->n_in++], src, src, k, e.kind[k]);
	}
	return err;
}

static int collect_kids(struct ph_inspect *o, struct ph_analysis *a, uint32_t v, size_t limit)
{
	const struct ph_domtree *t = ph_analysis_tree(a);

	if (!t)
		return ph_error_code();
	o->total_kids = t->off[v + 1] - t->off[v];
	o->kids = malloc((cap(o->total_kids, limit) + 1) * sizeof(*o->kids));
	if (!o->kids)
		return ph_error(PH_ENOMEM, "cannot allocate %zu children", cap(o->total_kids, limit));
	o->n_kids = ph_largest_retained(a, t->kids + t->off[v], (size_t)o->total_kids,
					cap(o->total_kids, limit), o->kids);
	return 0;
}

static int add_root(struct ph_inspect *o, size_t limit, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int add_root(struct ph_inspect *o, size_t limit, const char *fmt, ...)
{
	char **r;
	va_list ap;
	int n;

	o->total_roots++;
	if (limit && o->n_roots >= limit)
		return 0; /* counted, not kept */
	r = realloc(o->roots, (o->n_roots + 1) * sizeof(*r));
	if (!r)
		return ph_error(PH_ENOMEM, "cannot allocate a root");
	o->roots = r;
	va_start(ap, fmt);
	n = vasprintf(&r[o->n_roots], fmt, ap);
	va_end(ap);
	if (n < 0)
		return ph_error(PH_ENOMEM, "cannot allocate a root");
	o->n_roots++;
	return 0;
}

/* The frame that holds local i: frames list their locals in order. */
static uint32_t frame_of_local(const struct ph_heap *h, size_t i)
{
	size_t lo = 0, hi = h->n_frames;

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (h->frames[mid].first_local <= i)
			lo = mid;
		else
			hi = mid;
	}
	/* frames without locals share first_local with the next: take the one that holds i */
	while (lo < h->n_frames && i >= h->frames[lo].first_local + h->frames[lo].n_locals)
		lo++;
	return (uint32_t)lo;
}

/* The reasons v is a root (the first limit, 0: all; all counted). */
static int collect_roots(struct ph_inspect *o, const struct ph_analysis *a, uint32_t v,
			 size_t limit)
{
	static const char *const kinds[] = {"?", "sys.modules", "interpreter", "thread state",
					    "other"};
	const struct ph_heap *h = a->h;
	struct ph_buf b = PH_BUF_INIT;
	int err = 0;

	for (size_t i = 0; i < a->g.roots.n && !err; i++) {
		const struct ph_root *r = &a->g.roots.list[i];

		if (r->object != v)
			continue;
		if (r->why == PH_LABEL_ROOT) {
			const char *lab = ph_heap_str(h, h->roots[r->val].label, NULL);

			err = add_root(o, limit, "ROOTS record '%s' (%s)", lab ? lab : "",
				       kinds[h->roots[r->val].kind <= 4 ? h->roots[r->val].kind : 4]);
		} else if (r->why == PH_LABEL_HELD) {
			err = add_root(o, limit,
				       "held from outside the dump: reference count %" PRIu64
				       ", %u reference%s not in the dump",
				       h->refcount[v], r->val, r->val == 1 ? "" : "s");
		} else {
			err = add_root(o, limit, "%s object (a static root)",
				       h->flags[v] & PH_FMT_OBJ_IMMORTAL ? "immortal"
									 : "statically allocated");
		}
	}
	for (size_t i = 0; i < h->n_locals && !err; i++) {
		const struct ph_heap_local *lo = &h->locals[i];
		const char *name = ph_heap_str(h, lo->name, NULL);
		uint32_t f;

		if (lo->object != v)
			continue;
		if (limit && o->n_roots >= limit) {
			o->total_roots++;
			continue;
		}
		f = frame_of_local(h, i);
		b.len = 0;
		err = ph_render_node(&b, &a->g, a->g.first_frame + f);
		if (!err)
			err = add_root(o, limit, "local '%s' of %s", name ? name : "?", ph_buf_cstr(&b));
	}
	ph_buf_release(&b);
	return err;
}

static int collect_path(struct ph_inspect *o, const struct ph_analysis *a, uint32_t v)
{
	struct ph_path *paths = NULL;
	struct ph_buf b = PH_BUF_INIT;
	size_t np = 0;
	int err = ph_paths_to(a, v, 1, &paths, &np);

	if (!err && np)
		err = ph_path_expr(&b, &a->g, &paths[0]);
	if (!err && np) {
		o->path = strdup(ph_buf_cstr(&b));
		if (!o->path)
			err = ph_error(PH_ENOMEM, "cannot allocate a path");
	}
	ph_paths_free(paths, np);
	ph_buf_release(&b);
	return err;
}

int ph_inspect_object(struct ph_inspect *o, struct ph_analysis *a, uint32_t v, size_t limit)
{
	const struct ph_graph *g = &a->g;
	int err;

	memset(o, 0, sizeof(*o));
	o->id = v;
	o->native = ph_heap_native(a->h, v);
	for (unsigned k = 1; a->h->native_kinds && v < a->h->n_objects && k <= PH_FMT_NATIVE_MAX; k++)
		if (a->h->native_kinds[v] & (1u << (k - 1)))
			o->native_kinds[o->n_native_kinds++] = ph_native_kind_name(k);
	for (uint32_t i = g->in_off[v]; i < g->in_off[v + 1]; i++)
		o->strong_refs += !(g->in_src[i] & PH_IN_WEAK) && (g->in_src[i] & PH_IN_SRC) < g->n;
	err = collect_refs(o, g, v, limit);
	if (!err)
		err = collect_kids(o, a, v, limit);
	if (!err)
		err = collect_roots(o, a, v, limit);
	if (!err)
		err = collect_path(o, a, v);
	if (err)
		ph_inspect_release(o);
	return err;
}

void ph_inspect_release(struct ph_inspect *o)
{
	free(o->out);
	free(o->in);
	free(o->kids);
	for (size_t i = 0; i < o->n_roots; i++)
		free(o->roots[i]);
	free(o->roots);
	free(o->path);
	memset(o, 0, sizeof(*o));
}

const char *ph_inspect_label(struct ph_buf *b, const struct ph_analysis *a, const struct ph_ref *r,
			     uint32_t v)
{
	size_t skip = 0;

	b->len = 0;
	if (ph_graph_is_frame(&a->g, r->src))
		ph_render_node(b, &a->g, r->src);
	ph_render_step(b, &a->g, r->src, r->edge, r->src == v ? r->node : v, true);
	while (skip < b->len && b->data[skip] == ' ')
		skip++;
	if (skip) /* an empty label has no buffer yet: no memmove from NULL */
		memmove(b->data, b->data + skip, b->len - skip);
	b->len -= skip;
	return ph_buf_cstr(b);
}

const char *ph_flags_text(uint8_t f, char *buf, size_t n)
{
	snprintf(buf, n, "%s%s%s%s", f & PH_FMT_OBJ_GC ? "gc " : "",
		 f & PH_FMT_OBJ_IMMORTAL ? "immortal " : "", f & PH_FMT_OBJ_STATIC ? "static " : "",
		 f & (PH_FMT_OBJ_GC | PH_FMT_OBJ_IMMORTAL | PH_FMT_OBJ_STATIC) ? "" : "-");
	if (n && buf[0] && buf[strlen(buf) - 1] == ' ')
		buf[strlen(buf) - 1] = 0;
	return buf;
}
