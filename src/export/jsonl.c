/* SPDX-License-Identifier: MIT */
/*
 * jsonl.c - the analysis as line-oriented JSON (see export.h; the schema is
 * in docs/export.md): a header line, a line per thread, a line per root,
 * then a line per object in object-id order. Each line is built in a small
 * buffer by the streaming JSON writer and handed to the sink; nothing is
 * kept per object.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/inspect.h"
#include "analyze/render.h"
#include "analyze/report.h"
#include "common/error.h"
#include "common/json.h"
#include "export/export.h"

struct jl {
	const struct ph_analysis *a;
	struct ph_sink *s;
	struct ph_json j;
	struct ph_buf line, tmp;
	struct ph_buf *kinds; /* by type id: the kind's name as a JSON string */
	int err;              /* sticky, while an object line is built */
};

static void begin(struct jl *x, const char *record)
{
	x->line.len = 0;
	ph_json_init_buf(&x->j, &x->line, false);
	ph_json_begin_object(&x->j);
	ph_json_key(&x->j, "record");
	ph_json_str(&x->j, record);
}

static int end(struct jl *x)
{
	ph_json_end_object(&x->j);
	if (ph_json_finish(&x->j) || x->j.error)
		return ph_error(PH_ENOMEM, "out of memory: cannot build a line of the export");
	ph_sink_buf(x->s, &x->line);
	return x->s->err;
}

static void key_uint(struct jl *x, const char *k, uint64_t v)
{
	ph_json_key(&x->j, k);
	ph_json_uint(&x->j, v);
}

static void key_sref(struct jl *x, const char *k, uint64_t sref)
{
	size_t len;
	const char *s = ph_heap_str(x->a->h, sref, &len);

	ph_json_key(&x->j, k);
	if (s)
		ph_json_strn(&x->j, s, len);
	else
		ph_json_null(&x->j);
}

/* An address, or null for 0. */
static void key_addr(struct jl *x, const char *k, uint64_t addr)
{
	ph_json_key(&x->j, k);
	if (addr)
		ph_json_addr(&x->j, addr);
	else
		ph_json_null(&x->j);
}

/* A node's key as the API writes it: "0x7f..", "root", "unreachable", "thread:N", "frame:N". */
static void key_node(struct jl *x, const char *k, uint32_t v)
{
	char buf[32];

	ph_json_key(&x->j, k);
	ph_json_str(&x->j, ph_node_key(x->a, v, buf));
}

static int header(struct jl *x)
{
	const struct ph_analysis *a = x->a;
	const struct ph_heap *h = a->h;
	const struct ph_heap_meta *m;

	begin(x, "header");
	ph_json_key(&x->j, "format");
	ph_json_str(&x->j, "pyheap-jsonl");
	key_uint(x, "version", PH_EXPORT_JSONL_VERSION);
	ph_json_key(&x->j, "file");
	ph_json_str(&x->j, h->path);
	ph_json_key(&x->j, "python_version");
	if ((m = ph_heap_meta(h, "python_version")) && m->type == PH_FMT_META_STR)
		ph_json_strn(&x->j, m->value, m->value_len);
	else
		ph_json_null(&x->j);
	ph_json_key(&x->j, "pid");
	if ((m = ph_heap_meta(h, "pid")) && m->type == PH_FMT_META_UINT)
		ph_json_uint(&x->j, m->u);
	else
		ph_json_null(&x->j);
	key_uint(x, "objects", h->n_objects);
	key_uint(x, "edges", h->n_edges);
	key_uint(x, "threads", h->n_threads);
	key_uint(x, "roots", a->g.roots.n);
	key_uint(x, "total_size", h->total_size);
	key_uint(x, "unreachable_objects", a->d.n_garbage);
	key_uint(x, "unreachable_size", a->d.garbage_size);
	return end(x);
}

static int threads(struct jl *x)
{
	const struct ph_analysis *a = x->a;
	const struct ph_heap *h = a->h;
	int err = 0;

	for (uint32_t t = 0; t < h->n_threads && !err; t++) {
		const struct ph_heap_thread *th = &h->threads[t];

		begin(x, "thread");
		key_uint(x, "index", t);
		key_uint(x, "id", th->ident);
		key_uint(x, "native_id", th->native_id);
		key_sref(x, "name", th->name);
		ph_json_key(&x->j, "daemon");
		ph_json_bool(&x->j, (th->flags & PH_FMT_THREAD_DAEMON) != 0);
		ph_json_key(&x->j, "main");
		ph_json_bool(&x->j, (th->flags & PH_FMT_THREAD_MAIN) != 0);
		key_uint(x, "retained", a->r.size[a->g.first_thread + t]);
		ph_json_key(&x->j, "frames");
		ph_json_begin_array(&x->j);
		for (size_t f = th->first_frame; f < th->first_frame + th->n_frames; f++) {
			const struct ph_heap_frame *fr = &h->frames[f];

			ph_json_begin_object(&x->j);
			key_uint(x, "index", f);
			key_sref(x, "function", fr->function);
			key_sref(x, "file", fr->filename);
			key_uint(x, "line", fr->line);
			key_uint(x, "retained", a->r.size[a->g.first_frame + f]);
			key_addr(x, "code", fr->code_addr);
			key_addr(x, "frame_object", fr->frame_addr);
			ph_json_key(&x->j, "locals");
			ph_json_begin_array(&x->j);
			for (size_t l = fr->first_local; l < fr->first_local + fr->n_locals; l++) {
				ph_json_begin_object(&x->j);
				key_sref(x, "name", h->locals[l].name);
				ph_json_key(&x->j, "address");
				ph_json_addr(&x->j, h->locals[l].address);
				ph_json_end_object(&x->j);
			}
			ph_json_end_array(&x->j);
			ph_json_end_object(&x->j);
		}
		ph_json_end_array(&x->j);
		err = end(x);
	}
	return err;
}

static int roots(struct jl *x)
{
	const struct ph_analysis *a = x->a;
	const struct ph_roots *r = &a->g.roots;
	static const char *const kinds[] = {"other", "sys.modules", "interpreter", "thread_state",
					    "other"};
	int err = 0;

	for (size_t i = 0; i < r->n && !err; i++) {
		const struct ph_root *rt = &r->list[i];

		begin(x, "root");
		ph_json_key(&x->j, "kind");
		if (rt->why == PH_LABEL_ROOT) {
			const struct ph_heap_root *hr = &a->h->roots[rt->val];

			ph_json_str(&x->j, kinds[hr->kind <= PH_FMT_ROOT_OTHER ? hr->kind : 0]);
			key_sref(x, "label", hr->label);
		} else {
			ph_json_str(&x->j, rt->why == PH_LABEL_HELD ? "held" : "static");
			if (rt->why == PH_LABEL_HELD)
				key_uint(x, "missing_references", rt->val);
		}
		key_node(x, "address", rt->object);
		err = end(x);
	}
	return err;
}

/*
 * Object lines are most of the output, so they are written without the JSON
 * writer's printf: fixed keys as text, numbers and addresses by hand, the
 * kind's escaped name once per type.
 */
static void put(struct jl *x, const char *text)
{
	if (!x->err)
		x->err = ph_buf_put(&x->line, text, strlen(text));
}

static void put_u64(struct jl *x, uint64_t v)
{
	char tmp[24];
	char *p = ph_fmt_u64(tmp + sizeof(tmp), v);

	if (!x->err)
		x->err = ph_buf_put(&x->line, p, (size_t)(tmp + sizeof(tmp) - p));
}

/* "0x..." with the quotes */
static void put_addr(struct jl *x, uint64_t a)
{
	char tmp[24];
	size_t i = sizeof(tmp);

	tmp[--i] = '"';
	do {
		tmp[--i] = "0123456789abcdef"[a & 15];
		a >>= 4;
	} while (a);
	tmp[--i] = 'x';
	tmp[--i] = '0';
	tmp[--i] = '"';
	if (!x->err)
		x->err = ph_buf_put(&x->line, tmp + i, sizeof(tmp) - i);
}

/* A JSON string of text[0..n). */
static void put_str(struct jl *x, const void *text, size_t n)
{
	if (!x->err)
		x->err = ph_buf_put_u8(&x->line, '"');
	if (!x->err)
		x->err = ph_json_escape(&x->line, text, n);
	if (!x->err)
		x->err = ph_buf_put_u8(&x->line, '"');
}

static int object(struct jl *x, uint32_t v)
{
	const struct ph_analysis *a = x->a;
	const struct ph_heap *h = a->h;
	const struct ph_buf *kind = &x->kinds[h->type[v]];
	char fb[64], key[32];

	x->line.len = 0;
	put(x, "{\"record\":\"object\",\"address\":");
	put_addr(x, h->addr[v]);
	put(x, ",\"kind\":");
	if (!x->err)
		x->err = ph_buf_put(&x->line, kind->data, kind->len);
	put(x, ",\"size\":");
	put_u64(x, h->size[v]);
	put(x, ",\"native\":");
	put_u64(x, ph_heap_native(h, v));
	put(x, ",\"retained\":");
	put_u64(x, a->r.size[v]);
	put(x, ",\"retained_objects\":");
	put_u64(x, a->r.count[v]);
	put(x, ",\"refcount\":");
	put_u64(x, h->refcount[v]);
	put(x, ",\"flags\":\"");
	put(x, ph_flags_text(h->flags[v], fb, sizeof(fb)));
	put(x, "\",\"value\":");
	x->tmp.len = 0;
	if (!x->err)
		x->err = ph_render_value(&x->tmp, &a->g, v, 200);
	if (x->tmp.len)
		put_str(x, x->tmp.data, x->tmp.len);
	else
		put(x, "null");
	put(x, ph_bit(a->d.garbage, v) ? ",\"reachable\":false,\"dominator\":\""
				       : ",\"reachable\":true,\"dominator\":\"");
	put(x, ph_node_key(a, a->d.idom[v], key));
	put(x, "\",\"refs\":[");
	for (uint64_t e = h->out_off[v]; e < h->out_off[v + 1] && !x->err; e++) {
		uint32_t tgt = h->out_tgt[e];
		uint8_t k = h->out_kind[e];

		put(x, e == h->out_off[v] ? "{\"label\":" : ",{\"label\":");
		if ((k & PH_LABEL_MASK) == PH_LABEL_INDEX && h->out_val[e] != PH_VAL_WIDE) {
			put(x, "\"[");
			put_u64(x, h->out_val[e]);
			put(x, "]\"");
		} else {
			x->tmp.len = 0;
			x->err = ph_render_step(&x->tmp, &a->g, v, e, tgt, true);
			put_str(x, x->tmp.data, x->tmp.len);
		}
		put(x, ",\"to\":");
		put_addr(x, h->addr[tgt]);
		put(x, k & PH_EDGE_WEAK ? ",\"weak\":true}" : "}");
	}
	put(x, "]}\n");
	if (x->err)
		return ph_error(PH_ENOMEM, "out of memory: cannot build a line of the export");
	ph_sink_buf(x->s, &x->line);
	return x->s->err;
}

int ph_export_jsonl(struct ph_sink *s, const struct ph_analysis *a)
{
	struct jl x;
	int err;

	memset(&x, 0, sizeof(x));
	x.a = a;
	x.s = s;
	x.kinds = calloc(a->h->n_types ? a->h->n_types : 1, sizeof(*x.kinds));
	if (!x.kinds)
		return ph_error(PH_ENOMEM, "out of memory");
	for (uint32_t t = 0; t < a->h->n_types && !x.err; t++) {
		const char *kind = ph_heap_type_name(a->h, t);

		x.line.len = 0;
		put_str(&x, kind, strlen(kind));
		if (!x.err)
			x.err = ph_buf_put(&x.kinds[t], x.line.data, x.line.len);
	}
	err = x.err ? ph_error(PH_ENOMEM, "out of memory") : header(&x);
	if (!err)
		err = threads(&x);
	if (!err)
		err = roots(&x);
	for (uint32_t v = 0; v < a->g.n && !err; v++)
		err = object(&x, v);
	for (uint32_t t = 0; t < a->h->n_types; t++)
		ph_buf_release(&x.kinds[t]);
	free(x.kinds);
	ph_buf_release(&x.line);
	ph_buf_release(&x.tmp);
	return err;
}
