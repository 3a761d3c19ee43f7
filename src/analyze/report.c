/* SPDX-License-Identifier: MIT */
/*
 * report.c - the JSON documents of the analysis (see report.h).
 */
#include "analyze/report.h"

#include "analyze/breakdown.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/diff.h"
#include "analyze/inspect.h"
#include "analyze/paths.h"
#include "analyze/render.h"
#include "analyze/suspects.h"
#include "analyze/top.h"
#include "common/error.h"
#include "format/reader.h"

/* ---- pieces ---- */

static void node_addr(struct ph_json *j, const struct ph_analysis *a, uint32_t v)
{
	if (v < a->g.n)
		ph_json_addr(j, a->h->addr[v]);
	else
		ph_json_null(j);
}

/*
 * A preview of an object's value (at most about max characters). A preview
 * that could not be made (out of memory) fails the document (j->error), so
 * that no document with a value left out is printed.
 */
static void value_str(struct ph_json *j, struct ph_buf *b, const struct ph_analysis *a, uint32_t v,
		      size_t max)
{
	b->len = 0;
	if (ph_render_value(b, &a->g, v, max))
		j->error = true;
	ph_json_str(j, ph_buf_cstr(b));
}

static void node_name(struct ph_json *j, struct ph_buf *b, const struct ph_analysis *a, uint32_t v)
{
	b->len = 0;
	if (ph_render_node(b, &a->g, v))
		j->error = true;
	ph_json_str(j, ph_buf_cstr(b));
}

/* Rows of objects: address, type, size, retained, retained_objects, value. */
/* The dump's native bytes: total, objects that own some, by kind; Python-only or not. */
static void native_totals(struct ph_json *j, const struct ph_heap *h)
{
	ph_json_begin_object(j);
	ph_json_key_uint(j, "total", h->total_native);
	ph_json_key_uint(j, "objects", h->n_native);
	ph_json_key(j, "by_kind");
	ph_json_begin_object(j);
	for (unsigned k = 1; k <= PH_FMT_NATIVE_MAX; k++)
		if (h->native_by_kind[k])
			ph_json_key_uint(j, ph_native_kind_name(k), h->native_by_kind[k]);
	ph_json_end_object(j);
	ph_json_key(j, "in_retained");
	ph_json_bool(j, !h->python_only);
	ph_json_end_object(j);
}

static void object_rows(struct ph_json *j, const struct ph_analysis *a, const uint32_t *ids,
			size_t n)
{
	struct ph_buf b = PH_BUF_INIT;

	ph_json_begin_array(j);
	for (size_t i = 0; i < n; i++) {
		uint32_t v = ids[i];

		ph_json_begin_object(j);
		ph_json_key(j, "address");
		ph_json_addr(j, a->h->addr[v]);
		ph_json_key_str(j, "type", ph_heap_kind(a->h, v));
		ph_json_key_uint(j, "size", a->h->size[v]);
		ph_json_key_uint(j, "native", ph_heap_native(a->h, v));
		ph_json_key_uint(j, "retained", a->r.size[v]);
		ph_json_key_uint(j, "retained_objects", a->r.count[v]);
		ph_json_key(j, "value");
		value_str(j, &b, a, v, 200);
		ph_json_end_object(j);
	}
	ph_json_end_array(j);
	ph_buf_release(&b);
}

/* Rows of a histogram: kind, count, size, retained. */
static void hist_rows(struct ph_json *j, const struct ph_histogram *hist, size_t n)
{
	ph_json_begin_array(j);
	for (size_t i = 0; i < n; i++) {
		const struct ph_hist_row *r = &hist->rows[i];

		ph_json_begin_object(j);
		ph_json_key_str(j, "kind", r->kind);
		ph_json_key_uint(j, "count", r->count);
		ph_json_key_uint(j, "size", r->size);
		ph_json_key_uint(j, "retained", r->retained);
		ph_json_end_object(j);
	}
	ph_json_end_array(j);
}

/* ---- summary ---- */

static void meta_value(struct ph_json *j, const struct ph_heap_meta *m)
{
	switch (m->type) {
	case PH_FMT_META_STR:
		ph_json_strn(j, m->value, m->value_len);
		break;
	case PH_FMT_META_INT:
		ph_json_int(j, m->i);
		break;
	case PH_FMT_META_UINT:
		ph_json_uint(j, m->u);
		break;
	case PH_FMT_META_FLOAT:
		ph_json_double(j, m->f);
		break;
	case PH_FMT_META_BOOL:
		ph_json_bool(j, m->u != 0);
		break;
	case PH_FMT_META_STRLIST: {
		struct ph_meta_rec r = {0};
		uint64_t pos = 0, len;
		const uint8_t *s;

		r.type = m->type;
		r.value = m->value;
		r.value_len = m->value_len;
		ph_json_begin_array(j);
		while (ph_meta_strlist_next(&r, &pos, &s, &len) == 1)
			ph_json_strn(j, s, len);
		ph_json_end_array(j);
		break;
	}
	default:
		ph_json_null(j);
	}
}
/* "held_from_c": {objects, retained, largest: [{address, type, retained}]} (suspects.h). */
static void held_from_c_json(struct ph_json *j, const struct ph_analysis *a)
{
	uint32_t ids[10];
	uint64_t count, retained;
	size_t n = ph_held_from_c(a, ids, 10, &count, &retained);

	ph_json_key(j, "held_from_c");
	ph_json_begin_object(j);
	ph_json_key_uint(j, "objects", count);
	ph_json_key_uint(j, "retained", retained);
	ph_json_key(j, "largest");
	ph_json_begin_array(j);
	for (size_t i = 0; i < n; i++) {
		ph_json_begin_object(j);
		ph_json_key(j, "address");
		ph_json_addr(j, a->h->addr[ids[i]]);
		ph_json_key_str(j, "type", ph_heap_kind(a->h, ids[i]));
		ph_json_key_uint(j, "retained", a->r.size[ids[i]]);
		ph_json_end_object(j);
	}
	ph_json_end_array(j);
	ph_json_end_object(j);
}


static void summary_json(struct ph_json *j, const struct ph_analysis *a,
			 const struct ph_histogram *hist, size_t nt, const uint32_t *top,
			 size_t ntop)
{
	const struct ph_heap *h = a->h;
	const struct ph_roots *r = &a->g.roots;
	const struct ph_heap_meta *m;
	char v[16];

	ph_json_begin_object(j);
	ph_json_key_str(j, "file", h->path);
	snprintf(v, sizeof(v), "%u.%u", h->major, h->minor);
	ph_json_key_str(j, "format_version", v);
	ph_json_key(j, "python_version");
	if ((m = ph_heap_meta(h, "python_version")) && m->type == PH_FMT_META_STR)
		ph_json_strn(j, m->value, m->value_len);
	else
		ph_json_null(j);
	ph_json_key(j, "pid");
	if ((m = ph_heap_meta(h, "pid")) && m->type == PH_FMT_META_UINT)
		ph_json_uint(j, m->u);
	else
		ph_json_null(j);
	ph_json_key(j, "metadata");
	ph_json_begin_object(j);
	for (size_t i = 0; i < h->n_meta; i++) {
		if (ph_heap_meta(h, h->meta[i].key) != &h->meta[i])
			continue; /* a later record with the same key counts */
		ph_json_key(j, h->meta[i].key);
		meta_value(j, &h->meta[i]);
	}
	ph_json_end_object(j);
	ph_json_key_uint(j, "objects", h->n_objects);
	ph_json_key_uint(j, "edges", h->n_edges);
	ph_json_key_uint(j, "weak_edges", h->n_weak);
	ph_json_key_uint(j, "dangling_edges", h->dangling_edges);
	ph_json_key_uint(j, "total_size", h->total_size);
	ph_json_key_uint(j, "types", h->n_types);
	ph_json_key_uint(j, "threads", h->n_threads);
	ph_json_key_uint(j, "frames", h->n_frames);
	ph_json_key(j, "roots");
	ph_json_begin_object(j);
	ph_json_key_uint(j, "total", r->n + r->n_locals);
	ph_json_key_uint(j, "sys_modules", r->by_kind[PH_FMT_ROOT_MODULES]);
	ph_json_key_uint(j, "interpreter", r->by_kind[PH_FMT_ROOT_INTERP]);
	ph_json_key_uint(j, "thread_state", r->by_kind[PH_FMT_ROOT_THREAD]);
	ph_json_key_uint(j, "other", r->by_kind[PH_FMT_ROOT_OTHER]);
	ph_json_key_uint(j, "frame_locals", r->n_locals);
	ph_json_key_uint(j, "held", r->n_held);
	ph_json_key_uint(j, "static", r->n_static);
	ph_json_end_object(j);
	held_from_c_json(j, a);
	ph_json_key(j, "reachable");
	ph_json_begin_object(j);
	ph_json_key_uint(j, "objects", h->n_objects - a->d.n_garbage);
	ph_json_key_uint(j, "size", h->total_size - a->d.garbage_size);
	ph_json_key_uint(j, "native", h->total_native - a->d.garbage_native);
	ph_json_end_object(j);
	ph_json_key(j, "unreachable");
	ph_json_begin_object(j);
	ph_json_key_uint(j, "objects", a->d.n_garbage);
	ph_json_key_uint(j, "size", a->d.garbage_size);
	ph_json_key_uint(j, "native", a->d.garbage_native);
	ph_json_end_object(j);
	ph_json_key(j, "native");
	native_totals(j, h);
	ph_json_key(j, "memory");
	ph_breakdown_json(j, h);
	ph_json_key(j, "top_types");
	hist_rows(j, hist, nt);
	ph_json_key(j, "top_retainers");
	object_rows(j, a, top, ntop);
	ph_json_end_object(j);
}

int ph_report_summary(struct ph_json *j, struct ph_analysis *a, size_t n)
{
	struct ph_histogram hist;
	uint32_t *top = NULL;
	size_t ntop = 0;
	int err = ph_histogram_compute(&hist, a, PH_BY_TYPE);

	if (err)
		return err;
	err = ph_top_objects(a, n, NULL, &top, &ntop);
	if (!err)
		summary_json(j, a, &hist, n < hist.n ? n : hist.n, top, ntop);
	free(top);
	ph_histogram_free(&hist);
	return err;
}

/* ---- histogram ---- */

int ph_report_histogram(struct ph_json *j, struct ph_analysis *a, enum ph_partition by, size_t n)
{
	return ph_report_histogram_of(j, a, by, n, NULL, PH_BY_TYPE);
}

int ph_report_histogram_of(struct ph_json *j, struct ph_analysis *a, enum ph_partition by, size_t n,
			   const char *kind, enum ph_partition kind_by)
{
	struct ph_histogram hist;
	uint64_t *set = NULL, n_set = 0;
	int err = kind ? ph_partition_set(a, kind_by, kind, &set, &n_set) : 0;

	if (!err)
		err = ph_histogram_of(&hist, a, by, set);
	free(set);
	if (err)
		return err;
	ph_json_begin_object(j);
	ph_json_key(j, "of");
	if (kind) {
		ph_json_begin_object(j);
		ph_json_key_str(j, "kind", kind);
		ph_json_key_str(j, "by", ph_partition_name(kind_by));
		ph_json_end_object(j);
	} else {
		ph_json_null(j);
	}
	ph_json_key_str(j, "by", ph_partition_name(hist.by));
	ph_json_key_uint(j, "objects", hist.total_count);
	ph_json_key_uint(j, "size", hist.total_size);
	ph_json_key_uint(j, "kinds", hist.n);
	if (by == PH_BY_SITE || (kind && kind_by == PH_BY_SITE)) {
		struct ph_buf b = PH_BUF_INIT;

		ph_json_key_str(j, "note", ph_heap_sites_note(a->h, &b)); /* null when there are sites */
		ph_buf_release(&b);
	}
	ph_json_key(j, "rows");
	hist_rows(j, &hist, n && n < hist.n ? n : hist.n);
	ph_json_end_object(j);
	ph_histogram_free(&hist);
	return 0;
}

/* ---- objects ---- */

int ph_report_objects(struct ph_json *j, const struct ph_analysis *a, struct ph_objects_index *ix,
		      const struct ph_objects_query *q)
{
	struct ph_objects_page page;
	int err = ix ? ph_objects_index_query(ix, q, &page) : ph_objects_query(a, q, &page);

	if (err)
		return err;
	ph_json_begin_object(j);
	ph_json_key_uint(j, "total_size", ph_analysis_total(a));
	ph_json_key_str(j, "sort", q->sort == PH_SORT_SIZE ? "size" : "retained");
	ph_json_key_str(j, "by", ph_partition_name(q->by));
	ph_json_key_str(j, "kind", q->kind && *q->kind ? q->kind : NULL);
	ph_json_key_str(j, "q", q->q && *q->q ? q->q : NULL);
	ph_json_key_uint(j, "offset", q->offset);
	ph_json_key_uint(j, "limit", q->limit);
	ph_json_key_uint(j, "total", page.total);
	ph_json_key(j, "rows");
	object_rows(j, a, page.ids, page.n);
	ph_json_end_object(j);
	free(page.ids);
	return 0;
}

/* ---- object ---- */

static void ref_rows(struct ph_json *j, const struct ph_analysis *a, uint32_t v,
		     const struct ph_ref *rs, size_t n)
{
	struct ph_buf b = PH_BUF_INIT;

	ph_json_begin_array(j);
	for (size_t i = 0; i < n; i++) {
		const struct ph_ref *r = &rs[i];

		ph_json_begin_object(j);
		ph_json_key_str(j, "label", ph_inspect_label(&b, a, r, v));
		ph_json_key(j, "address");
		node_addr(j, a, r->node);
		ph_json_key_str(j, "type", ph_node_kind(&a->g, r->node));
		ph_json_key_uint(j, "size", r->node < a->g.n ? a->h->size[r->node] : 0);
		ph_json_key_uint(j, "native", ph_heap_native(a->h, r->node));
		ph_json_key_uint(j, "retained", a->r.size[r->node]);
		ph_json_key(j, "weak");
		ph_json_bool(j, r->weak);
		ph_json_end_object(j);
	}
	ph_json_end_array(j);
	ph_buf_release(&b);
}

int ph_report_object(struct ph_json *j, struct ph_analysis *a, uint32_t v, size_t limit)
{
	const struct ph_heap *h = a->h;
	struct ph_buf b = PH_BUF_INIT;
	struct ph_inspect o;
	uint32_t d = a->d.idom[v];
	int err = ph_inspect_object(&o, a, v, limit);

	if (err)
		return err;
	ph_json_begin_object(j);
	ph_json_key(j, "address");
	ph_json_addr(j, h->addr[v]);
	ph_json_key_str(j, "type", ph_heap_kind(h, v));
	ph_json_key_uint(j, "size", h->size[v]);
	ph_json_key_uint(j, "native", o.native);
	ph_json_key(j, "native_kinds");
	ph_json_begin_array(j);
	for (size_t i = 0; i < o.n_native_kinds; i++)
		ph_json_str(j, o.native_kinds[i]);
	ph_json_end_array(j);
	ph_json_key_uint(j, "retained", a->r.size[v]);
	ph_json_key_uint(j, "retained_objects", a->r.count[v]);
	ph_json_key_uint(j, "refcount", h->refcount[v]);
	ph_json_key_uint(j, "strong_references", o.strong_refs);
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
	value_str(j, &b, a, v, 1000);
	ph_json_key(j, "reachable");
	ph_json_bool(j, !ph_bit(a->d.garbage, v));
	ph_json_key(j, "roots");
	ph_json_begin_array(j);
	for (size_t i = 0; i < o.n_roots; i++)
		ph_json_str(j, o.roots[i]);
	ph_json_end_array(j);
	ph_json_key_uint(j, "n_roots", o.total_roots);
	ph_json_key(j, "dominator");
	ph_json_begin_object(j);
	ph_json_key(j, "address");
	node_addr(j, a, d);
	ph_json_key_str(j, "type", ph_node_kind(&a->g, d));
	ph_json_key(j, "name");
	node_name(j, &b, a, d);
	ph_json_end_object(j);
	ph_json_key_str(j, "path", o.path);
	ph_json_key(j, "allocated");
	if (h->site && h->site[v]) {
		ph_json_begin_array(j);
		for (uint32_t f = h->tb_off[h->site[v] - 1]; f < h->tb_off[h->site[v]]; f++) {
			size_t len;
			const char *file = ph_heap_str(h, h->tb_frames[f].filename, &len);

			ph_json_begin_object(j);
			ph_json_key(j, "file");
			ph_json_strn(j, file ? file : "?", file ? len : 1);
			ph_json_key_uint(j, "line", h->tb_frames[f].line);
			ph_json_end_object(j);
		}
		ph_json_end_array(j);
	} else {
		ph_json_null(j);
	}
	ph_json_key_uint(j, "n_referents", o.total_out);
	ph_json_key(j, "referents");
	ref_rows(j, a, v, o.out, o.n_out);
	ph_json_key_uint(j, "n_referrers", o.total_in);
	ph_json_key(j, "referrers");
	ref_rows(j, a, v, o.in, o.n_in);
	ph_json_key_uint(j, "n_retains", o.total_kids);
	ph_json_key(j, "retains");
	ph_json_begin_array(j);
	for (size_t i = 0; i < o.n_kids; i++) {
		uint32_t k = o.kids[i];

		ph_json_begin_object(j);
		ph_json_key(j, "address");
		ph_json_addr(j, h->addr[k]);
		ph_json_key_str(j, "type", ph_heap_kind(h, k));
		ph_json_key_uint(j, "size", h->size[k]);
		ph_json_key_uint(j, "native", ph_heap_native(h, k));
		ph_json_key_uint(j, "retained", a->r.size[k]);
		ph_json_end_object(j);
	}
	ph_json_end_array(j);
	ph_json_end_object(j);
	ph_inspect_release(&o);
	ph_buf_release(&b);
	return 0;
}

/* ---- paths ---- */

int ph_report_paths(struct ph_json *j, const struct ph_analysis *a, uint32_t v, size_t n)
{
	struct ph_path *paths = NULL;
	struct ph_buf b = PH_BUF_INIT;
	size_t np = 0;
	int err = ph_paths_to(a, v, n, &paths, &np);

	if (err)
		return err;
	ph_json_begin_object(j);
	ph_json_key(j, "address");
	ph_json_addr(j, a->h->addr[v]);
	ph_json_key_str(j, "type", ph_heap_kind(a->h, v));
	ph_json_key(j, "reachable");
	ph_json_bool(j, !ph_bit(a->d.garbage, v));
	ph_json_key(j, "paths");
	ph_json_begin_array(j);
	for (size_t i = 0; i < np; i++) {
		const struct ph_path *p = &paths[i];
		uint32_t prev = a->g.super;
		size_t from, to;

		ph_path_elision(p, &from, &to);
		ph_json_begin_object(j);
		b.len = 0;
		ph_path_expr(&b, &a->g, p);
		ph_json_key_str(j, "expr", ph_buf_cstr(&b));
		ph_json_key_uint(j, "length", p->len);
		ph_json_key_uint(j, "steps_left_out", to - from);
		ph_json_key(j, "steps");
		ph_json_begin_array(j);
		for (size_t k = 0; k < p->len; k++) {
			uint32_t node = p->steps[k].node;
			const char *lab;

			if (k >= from && k < to) { /* the middle of a long path */
				prev = p->steps[to - 1].node;
				k = to - 1;
				continue;
			}

			ph_json_begin_object(j);
			ph_json_key(j, "address");
			node_addr(j, a, node);
			ph_json_key_str(j, "type", ph_node_kind(&a->g, node));
			b.len = 0;
			ph_render_step(&b, &a->g, prev, p->steps[k].edge, node, false);
			lab = ph_buf_cstr(&b);
			ph_json_key_str(j, "label", lab + strspn(lab, " ")); /* steps stand alone */
			ph_json_end_object(j);
			prev = node;
		}
		ph_json_end_array(j);
		ph_json_end_object(j);
	}
	ph_json_end_array(j);
	ph_json_end_object(j);
	ph_paths_free(paths, np);
	ph_buf_release(&b);
	return 0;
}

/* ---- threads ---- */

static const char *s_or(const struct ph_heap *h, uint64_t sref, const char *none)
{
	const char *s = ph_heap_str(h, sref, NULL);

	return s ? s : none;
}

static void locals_json(struct ph_json *j, struct ph_buf *b, const struct ph_analysis *a,
			const struct ph_heap_frame *fr)
{
	const struct ph_heap *h = a->h;

	ph_json_begin_array(j);
	for (size_t l = fr->first_local; l < fr->first_local + fr->n_locals; l++) {
		const struct ph_heap_local *lo = &h->locals[l];

		ph_json_begin_object(j);
		ph_json_key_str(j, "name", s_or(h, lo->name, "?"));
		ph_json_key(j, "address");
		ph_json_addr(j, lo->address);
		ph_json_key_str(j, "type", lo->object != PH_NO_ID ? ph_heap_kind(h, lo->object) : NULL);
		ph_json_key_uint(j, "retained", lo->object != PH_NO_ID ? a->r.size[lo->object] : 0);
		ph_json_key(j, "value");
		if (lo->object != PH_NO_ID)
			value_str(j, b, a, lo->object, 60);
		else
			ph_json_null(j);
		ph_json_end_object(j);
	}
	ph_json_end_array(j);
}

int ph_report_threads(struct ph_json *j, const struct ph_analysis *a)
{
	const struct ph_heap *h = a->h;
	struct ph_buf b = PH_BUF_INIT;

	ph_json_begin_object(j);
	ph_json_key(j, "threads");
	ph_json_begin_array(j);
	for (size_t t = 0; t < h->n_threads; t++) {
		const struct ph_heap_thread *th = &h->threads[t];

		ph_json_begin_object(j);
		ph_json_key_uint(j, "id", th->ident);
		ph_json_key_uint(j, "native_id", th->native_id);
		ph_json_key_str(j, "name", ph_heap_str(h, th->name, NULL));
		ph_json_key(j, "daemon");
		ph_json_bool(j, th->flags & PH_FMT_THREAD_DAEMON);
		ph_json_key(j, "main");
		ph_json_bool(j, th->flags & PH_FMT_THREAD_MAIN);
		ph_json_key_uint(j, "retained", a->r.size[a->g.first_thread + t]);
		ph_json_key(j, "frames");
		ph_json_begin_array(j);
		for (size_t f = th->first_frame; f < th->first_frame + th->n_frames; f++) {
			const struct ph_heap_frame *fr = &h->frames[f];

			ph_json_begin_object(j);
			ph_json_key_str(j, "function", s_or(h, fr->function, "?"));
			ph_json_key_str(j, "file", s_or(h, fr->filename, "?"));
			ph_json_key_uint(j, "line", fr->line);
			ph_json_key_uint(j, "retained", a->r.size[a->g.first_frame + f]);
			ph_json_key(j, "locals");
			locals_json(j, &b, a, fr);
			ph_json_end_object(j);
		}
		ph_json_end_array(j);
		ph_json_end_object(j);
	}
	ph_json_end_array(j);
	ph_json_end_object(j);
	ph_buf_release(&b);
	return 0;
}

/* ---- suspects ---- */

static void suspect_json(struct ph_json *j, const struct ph_analysis *a, const struct ph_suspect *s)
{
	ph_json_begin_object(j);
	ph_json_key_str(j, "kind", s->what == PH_SUSPECT_KIND ? "type" : "object");
	ph_json_key(j, "address");
	if (s->node != PH_NO_ID)
		node_addr(j, a, s->node);
	else
		ph_json_null(j);
	ph_json_key_str(j, "type", s->type);
	ph_json_key_uint(j, "retained", s->retained);
	ph_json_key(j, "share");
	ph_json_double(j, s->share);
	ph_json_key_uint(j, "objects", s->objects);
	ph_json_key_str(j, "path", s->path);
	ph_json_key(j, "accumulation");
	if (s->acc == PH_NO_ID) {
		ph_json_null(j);
	} else {
		ph_json_begin_object(j);
		ph_json_key(j, "address");
		node_addr(j, a, s->acc);
		ph_json_key_str(j, "type", ph_node_kind(&a->g, s->acc));
		ph_json_key_uint(j, "retained", a->r.size[s->acc]);
		ph_json_key_str(j, "path", s->acc_path);
		ph_json_key_uint(j, "children", s->acc_children);
		ph_json_key_str(j, "children_kind", s->acc_child_kind);
		ph_json_end_object(j);
	}
	ph_json_key(j, "names");
	ph_json_begin_array(j);
	for (size_t i = 0; i < s->n_names; i++) {
		ph_json_begin_object(j);
		ph_json_key_str(j, "path", s->names[i].path);
		ph_json_key(j, "address");
		node_addr(j, a, s->names[i].node);
		ph_json_key_str(j, "type", ph_node_kind(&a->g, s->names[i].node));
		ph_json_key_uint(j, "retained", s->names[i].retained);
		ph_json_end_object(j);
	}
	ph_json_end_array(j);
	ph_json_key_str(j, "explanation", s->explanation);
	ph_json_end_object(j);
}

int ph_report_suspects(struct ph_json *j, struct ph_analysis *a, double threshold)
{
	struct ph_suspect *s = NULL;
	size_t n = 0;
	int err = ph_suspects_find(a, threshold, &s, &n);

	if (err)
		return err;
	ph_json_begin_object(j);
	ph_json_key_uint(j, "total_size", ph_analysis_total(a));
	ph_json_key(j, "suspects");
	ph_json_begin_array(j);
	for (size_t i = 0; i < n; i++)
		suspect_json(j, a, &s[i]);
	ph_json_end_array(j);
	held_from_c_json(j, a);
	ph_json_end_object(j);
	ph_suspects_free(s, n);
	return 0;
}

/* ---- diff ---- */

static void diff_json(struct ph_json *j, const struct ph_diff *d, size_t nk, size_t np, bool all)
{
	ph_json_begin_object(j);
	ph_json_key_uint(j, "objects_old", d->objects_old);
	ph_json_key_uint(j, "objects_new", d->objects_new);
	ph_json_key_uint(j, "size_old", d->total_old);
	ph_json_key_uint(j, "size_new", d->total_new);
	ph_json_key(j, "rows");
	ph_json_begin_array(j);
	for (size_t i = 0, shown = 0; i < d->n_kinds && shown < nk; i++) {
		const struct ph_diff_kind *k = &d->kinds[i];

		if (!all && !ph_diff_grew(k))
			continue;
		shown++;
		ph_json_begin_object(j);
		ph_json_key_str(j, "kind", k->kind);
		ph_json_key_uint(j, "count_old", k->count_old);
		ph_json_key_uint(j, "count_new", k->count_new);
		ph_json_key_uint(j, "size_old", k->size_old);
		ph_json_key_uint(j, "size_new", k->size_new);
		ph_json_key_uint(j, "retained_old", k->retained_old);
		ph_json_key_uint(j, "retained_new", k->retained_new);
		ph_json_end_object(j);
	}
	ph_json_end_array(j);
	ph_json_key(j, "paths");
	ph_json_begin_array(j);
	for (size_t i = 0; i < np; i++) {
		const struct ph_diff_path *p = &d->paths[i];

		ph_json_begin_object(j);
		ph_json_key_str(j, "path", p->path);
		ph_json_key_str(j, "type", p->type_new);
		ph_json_key(j, "address_old");
		if (p->address_old)
			ph_json_addr(j, p->address_old);
		else
			ph_json_null(j);
		ph_json_key(j, "address_new");
		ph_json_addr(j, p->address_new);
		ph_json_key_uint(j, "retained_old", p->retained_old);
		ph_json_key_uint(j, "retained_new", p->retained_new);
		ph_json_key_uint(j, "objects_old", p->count_old);
		ph_json_key_uint(j, "objects_new", p->count_new);
		ph_json_end_object(j);
	}
	ph_json_end_array(j);
	ph_json_end_object(j);
}

int ph_report_diff(struct ph_json *j, struct ph_analysis *old, struct ph_analysis *new_,
		   enum ph_partition by, size_t n, bool all)
{
	struct ph_diff_opts o = {by, 0};
	struct ph_diff d;
	int err = ph_diff_compute(&d, old, new_, &o);

	if (err)
		return err;
	diff_json(j, &d, n ? n : d.n_kinds, n && n < d.n_paths ? n : d.n_paths, all);
	ph_diff_release(&d);
	return 0;
}

/* ---- tree ---- */

const char *ph_node_key(const struct ph_analysis *a, uint32_t v, char buf[32])
{
	const struct ph_graph *g = &a->g;

	if (v < g->n)
		snprintf(buf, 32, "0x%" PRIx64, a->h->addr[v]);
	else if (v == g->super)
		snprintf(buf, 32, "root");
	else if (v == g->unreachable)
		snprintf(buf, 32, "unreachable");
	else if (ph_graph_is_thread(g, v))
		snprintf(buf, 32, "thread:%u", v - g->first_thread);
	else
		snprintf(buf, 32, "frame:%u", v - g->first_frame);
	return buf;
}

/* A kind's share of a node's children that are not listed one by one. */
struct group {
	const char *kind;
	uint64_t count, retained;
};

static int by_group_retained(const void *x, const void *y)
{
	const struct group *a = x, *b = y;

	if (a->retained != b->retained)
		return a->retained > b->retained ? -1 : 1;
	return strcmp(a->kind, b->kind);
}

static void tree_node_head(struct ph_json *j, struct ph_buf *b, const struct ph_analysis *a,
			   uint32_t v)
{
	char key[32];

	ph_json_key_str(j, "id", ph_node_key(a, v, key));
	ph_json_key(j, "address");
	node_addr(j, a, v);
	ph_json_key_str(j, "type", ph_node_kind(&a->g, v));
	ph_json_key(j, "name");
	node_name(j, b, a, v);
	ph_json_key(j, "value");
	if (v < a->g.n)
		value_str(j, b, a, v, 60);
	else
		ph_json_null(j);
	ph_json_key_uint(j, "size", v < a->g.n ? a->h->size[v] : 0);
	ph_json_key_uint(j, "native", ph_heap_native(a->h, v));
	ph_json_key_uint(j, "retained", a->r.size[v]);
	ph_json_key_uint(j, "objects", a->r.count[v]);
}

/*
 * The groups of the children of v not among the shown ones, largest first.
 * groups: a zeroed array with room for every kind (types, then the
 * synthetic kinds), returned sorted, *ng of them.
 */
static void tree_groups(const struct ph_analysis *a, const uint32_t *kids, size_t n,
			const uint32_t *shown, size_t n_shown, struct group *groups, size_t *ng)
{
	const struct ph_graph *g = &a->g;
	uint32_t n_types = a->h->n_types;
	size_t k = 0;

	uint32_t last = n_shown ? shown[n_shown - 1] : 0;

	for (size_t i = 0; i < n; i++) {
		uint32_t c = kids[i];
		size_t slot;

		/* shown: the largest by (retained desc, id asc), up to and with the last shown */
		if (n_shown && (a->r.size[c] > a->r.size[last] ||
				(a->r.size[c] == a->r.size[last] && c <= last)))
			continue;
		if (c < g->n)
			slot = a->h->type[c];
		else
			slot = n_types + (ph_graph_is_thread(g, c) ? 0 : c == g->unreachable ? 1 : 2);
		groups[slot].kind = ph_node_kind(g, c);
		groups[slot].count++;
		groups[slot].retained += a->r.size[c];
	}
	for (size_t s = 0; s < (size_t)n_types + 3; s++)
		if (groups[s].count)
			groups[k++] = groups[s];
	qsort(groups, k, sizeof(*groups), by_group_retained);
	*ng = k;
}

static int tree_json(struct ph_json *j, struct ph_buf *b, const struct ph_analysis *a,
		     const struct ph_domtree *t, uint32_t v, unsigned depth, size_t limit, bool top)
{
	const uint32_t *kids = t->kids + t->off[v];
	size_t n = t->off[v + 1] - t->off[v], n_shown, ng;
	uint32_t *shown = NULL;
	struct group *groups = NULL;
	uint64_t rest_count = 0, rest_retained = 0;
	int err = 0;

	ph_json_begin_object(j);
	tree_node_head(j, b, a, v);
	if (top) {
		char key[32];

		ph_json_key_str(j, "dominator", v == a->g.super ? NULL : ph_node_key(a, a->d.idom[v], key));
	}
	ph_json_key_uint(j, "children_count", n);
	if (!depth) {
		ph_json_end_object(j);
		return 0;
	}
	shown = malloc((limit + 1) * sizeof(*shown));
	groups = calloc((size_t)a->h->n_types + 3, sizeof(*groups));
	if (!shown || !groups) {
		err = ph_error(PH_ENOMEM, "cannot allocate the children of a tree node");
		goto out_free;
	}
	n_shown = ph_largest_retained(a, kids, n, limit, shown);
	ph_json_key(j, "children");
	ph_json_begin_array(j);
	for (size_t i = 0; i < n_shown && !err; i++)
		err = tree_json(j, b, a, t, shown[i], depth - 1, limit, false);
	ph_json_end_array(j);
	tree_groups(a, kids, n, shown, n_shown, groups, &ng);
	ph_json_key(j, "groups");
	ph_json_begin_array(j);
	for (size_t i = 0; i < ng; i++) {
		if (i >= limit) {
			rest_count += groups[i].count;
			rest_retained += groups[i].retained;
			continue;
		}
		ph_json_begin_object(j);
		ph_json_key_str(j, "kind", groups[i].kind);
		ph_json_key_uint(j, "count", groups[i].count);
		ph_json_key_uint(j, "retained", groups[i].retained);
		ph_json_end_object(j);
	}
	if (rest_count) {
		ph_json_begin_object(j);
		ph_json_key_str(j, "kind", NULL);
		ph_json_key_uint(j, "count", rest_count);
		ph_json_key_uint(j, "retained", rest_retained);
		ph_json_end_object(j);
	}
	ph_json_end_array(j);
	ph_json_end_object(j);
out_free:
	free(shown);
	free(groups);
	return err;
}

int ph_report_tree(struct ph_json *j, struct ph_analysis *a, uint32_t v, unsigned depth,
		   size_t limit)
{
	const struct ph_domtree *t = ph_analysis_tree(a);
	struct ph_buf b = PH_BUF_INIT;
	int err;

	if (!t)
		return ph_error_code();
	err = tree_json(j, &b, a, t, v, depth, limit, true);
	ph_buf_release(&b);
	return err;
}
