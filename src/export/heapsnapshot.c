/* SPDX-License-Identifier: MIT */
/*
 * heapsnapshot.c - the analysis as a Chrome DevTools .heapsnapshot (see
 * export.h; the mapping is described in docs/export.md).
 *
 * The document is V8's: {"snapshot": {meta, node_count, edge_count},
 * "nodes": [...], "edges": [...], ..., "strings": [...]}, each node 7
 * numbers (type, name, id, self_size, edge_count, trace_node_id,
 * detachedness), each edge 3 (type, name_or_index, to_node), where to_node
 * is the target's ordinal times 7 and a node's edges follow those of the
 * node before it. Node ordinals:
 *
 *   0               the root (synthetic, named "")
 *   1               (GC roots)
 *   2..8            one synthetic node per kind of root (CAT_*)
 *   9               (unreachable)
 *   first_thread    one synthetic node per thread, then one per frame
 *   first_obj + i   object i of the dump
 *
 * so an object's ordinal is its object id plus a constant. Pass 1 names
 * every node (filling the string table, which is written last) and gives it
 * its id; pass 2 writes the nodes, then the edges, then the strings. What
 * stays in memory: the string table and 8 bytes per node.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/render.h"
#include "common/error.h"
#include "common/hash.h"
#include "common/json.h"
#include "export/export.h"
#include "export/nodeid.h"
#include "common/strtab.h"

/* V8's node and edge types, by their index in the meta's lists below. */
enum { NT_HIDDEN, NT_ARRAY, NT_STRING, NT_OBJECT, NT_CODE, NT_CLOSURE, NT_REGEXP, NT_NUMBER,
       NT_NATIVE, NT_SYNTHETIC };
enum { ET_CONTEXT, ET_ELEMENT, ET_PROPERTY, ET_INTERNAL, ET_HIDDEN, ET_SHORTCUT, ET_WEAK };

#define NODE_FIELDS 7
#define NAME_MAX_BYTES 256 /* a str node's name: at most this much of its value */

static const char meta[] =
	"{\"snapshot\":{\"meta\":{"
	"\"node_fields\":[\"type\",\"name\",\"id\",\"self_size\",\"edge_count\",\"trace_node_id\","
	"\"detachedness\"],"
	"\"node_types\":[[\"hidden\",\"array\",\"string\",\"object\",\"code\",\"closure\",\"regexp\","
	"\"number\",\"native\",\"synthetic\",\"concatenated string\",\"sliced string\",\"symbol\","
	"\"bigint\",\"object shape\"],\"string\",\"number\",\"number\",\"number\",\"number\","
	"\"number\"],"
	"\"edge_fields\":[\"type\",\"name_or_index\",\"to_node\"],"
	"\"edge_types\":[[\"context\",\"element\",\"property\",\"internal\",\"hidden\",\"shortcut\","
	"\"weak\"],\"string_or_number\",\"node\"],"
	"\"trace_function_info_fields\":[\"function_id\",\"name\",\"script_name\",\"script_id\","
	"\"line\",\"column\"],"
	"\"trace_node_fields\":[\"id\",\"function_info_index\",\"count\",\"size\",\"children\"],"
	"\"sample_fields\":[\"timestamp_us\",\"last_assigned_id\"],"
	"\"location_fields\":[\"object_index\",\"script_id\",\"line\",\"column\"]},";

/* The fixed synthetic nodes, in ordinal order; their ids are 2 * ordinal + 1. */
enum { N_ROOT, N_GC_ROOTS, CAT_MODULES, CAT_INTERP, CAT_THREAD_STATE, CAT_OTHER, CAT_THREADS,
       CAT_HELD, CAT_STATIC, N_UNREACHABLE, N_FIXED };
static const char *const fixed_names[N_FIXED] = {
	"", "(GC roots)", "(sys.modules)", "(interpreter)", "(thread states)", "(other roots)",
	"(threads)", "(held from outside the dump)", "(static objects)", "(unreachable)",
};
#define N_CATEGORIES (CAT_STATIC - CAT_MODULES + 1)

/* Node types of Python kinds other than `object` (by kind name). */
static const struct {
	const char *kind;
	uint8_t type;
} kind_types[] = {
	{"str", NT_STRING},
	{"int", NT_NUMBER},
	{"float", NT_NUMBER},
	{"bool", NT_NUMBER},
	{"complex", NT_NUMBER},
	{"function", NT_CLOSURE},
	{"builtin_function_or_method", NT_CLOSURE},
	{"method", NT_CLOSURE},
	{"code", NT_CODE},
	{"list", NT_ARRAY},
	{"tuple", NT_ARRAY},
	/* interpreter internals */
	{"frame", NT_HIDDEN},
	{"cell", NT_HIDDEN},
	{"traceback", NT_HIDDEN},
	{"getset_descriptor", NT_HIDDEN},
	{"member_descriptor", NT_HIDDEN},
	{"wrapper_descriptor", NT_HIDDEN},
	{"method_descriptor", NT_HIDDEN},
	{"classmethod_descriptor", NT_HIDDEN},
	{"method-wrapper", NT_HIDDEN},
	{"mappingproxy", NT_HIDDEN},
	{"NoneType", NT_HIDDEN},
	{"NotImplementedType", NT_HIDDEN},
	{"ellipsis", NT_HIDDEN},
};

struct hs {
	const struct ph_analysis *a;
	const struct ph_heap *h;
	const struct ph_graph *g;
	struct ph_sink *s;
	struct ph_strtab st;
	struct ph_buf tmp;
	uint32_t first_thread, first_frame, first_obj, n_nodes;
	uint64_t n_edges;
	uint32_t fixed_edges[N_FIXED];
	uint32_t fixed_name[N_FIXED];
	uint8_t *type_nt;    /* by type id */
	uint32_t *type_name; /* by type id: string index of the kind name */
	uint32_t *name;      /* by ordinal - first_thread: string index */
	uint32_t *id;        /* by ordinal - first_thread */
	uint32_t s_ref, s_key, s_frame_object, s_code;
};

static uint32_t ordinal(const struct hs *x, uint32_t v)
{
	const struct ph_graph *g = x->g;

	if (v < g->n)
		return x->first_obj + v;
	if (v == g->super)
		return N_ROOT;
	if (v == g->unreachable)
		return N_UNREACHABLE;
	if (ph_graph_is_thread(g, v))
		return x->first_thread + (v - g->first_thread);
	return x->first_frame + (v - g->first_frame);
}

/* The category node of edge e of the super-root, or N_UNREACHABLE for its last edge. */
static unsigned category(const struct hs *x, uint64_t e)
{
	const struct ph_graph *g = x->g;

	switch (g->syn_kind[e] & PH_LABEL_MASK) {
	case PH_LABEL_ROOT: {
		uint8_t k = x->h->roots[g->syn_val[e]].kind;

		return k >= PH_FMT_ROOT_MODULES && k <= PH_FMT_ROOT_OTHER
			       ? CAT_MODULES + (k - PH_FMT_ROOT_MODULES)
			       : CAT_OTHER;
	}
	case PH_LABEL_THREAD:
		return CAT_THREADS;
	case PH_LABEL_HELD:
		return CAT_HELD;
	case PH_LABEL_STATIC:
		return CAT_STATIC;
	default:
		return N_UNREACHABLE;
	}
}

static int add_tmp(struct hs *x, uint32_t *index)
{
	return ph_strtab_add(&x->st, x->tmp.data, x->tmp.len, index);
}

/* ---- pass 1: names and ids ---- */

static void object_key(const void *ctx, uint32_t i, uint64_t k[2])
{
	const struct ph_heap *h = ctx;

	k[0] = h->addr[i];
	k[1] = h->types[h->type[i]].address;
}

static void synthetic_key(const void *ctx, uint32_t i, uint64_t k[2])
{
	const struct ph_heap *h = ctx;

	if (i < h->n_threads) {
		k[0] = h->threads[i].ident;
		k[1] = 0;
	} else {
		const struct ph_heap_frame *f = &h->frames[i - h->n_threads];

		k[0] = h->threads[f->thread].ident;
		k[1] = ph_mix64(f->code_addr) + f->depth + 1;
	}
}

/* The name of a str node: its value, cut at NAME_MAX_BYTES on a character boundary. */
static int str_name(struct hs *x, const struct ph_value *v)
{
	size_t n = v->data_len;
	bool cut = (v->flags & PH_FMT_VALF_TRUNCATED) != 0;

	if (n > NAME_MAX_BYTES) {
		n = NAME_MAX_BYTES;
		while (n > 0 && (v->data[n] & 0xc0) == 0x80)
			n--;
		cut = true;
	}
	x->tmp.len = 0;
	if (ph_buf_put(&x->tmp, v->data, n) || (cut && ph_buf_put(&x->tmp, "\xe2\x80\xa6", 3)))
		return PH_ENOMEM;
	return 0;
}

static int name_object(struct hs *x, uint32_t i, uint32_t *index)
{
	const struct ph_heap *h = x->h;
	uint32_t t = h->type[i];
	struct ph_value v;
	int err;

	switch (x->type_nt[t]) {
	case NT_STRING:
	case NT_NUMBER:
	case NT_CLOSURE:
	case NT_CODE:
		ph_heap_value(h, i, &v);
		if (!v.kind)
			break;
		if ((v.kind == PH_FMT_VAL_STR || v.kind == PH_FMT_VAL_TEXT) &&
		    !(v.flags & PH_FMT_VALF_OMITTED))
			err = str_name(x, &v);
		else {
			x->tmp.len = 0;
			err = ph_render_value(&x->tmp, x->g, i, 64);
		}
		return err ? err : add_tmp(x, index);
	default:
		break;
	}
	*index = x->type_name[t];
	return 0;
}

static int name_frame(struct hs *x, uint32_t f, uint32_t *index)
{
	const struct ph_heap_frame *fr = &x->h->frames[f];
	const char *fn = ph_heap_str(x->h, fr->function, NULL);
	const char *file = ph_heap_str(x->h, fr->filename, NULL);

	x->tmp.len = 0;
	if (ph_buf_printf(&x->tmp, "%s (%s:%" PRIu64 ")", fn ? fn : "?", file ? file : "?", fr->line))
		return PH_ENOMEM;
	return add_tmp(x, index);
}

static int pass1(struct hs *x)
{
	const struct ph_heap *h = x->h;
	const struct ph_graph *g = x->g;
	const struct ph_dominators *d = &x->a->d;
	uint32_t n_syn = x->first_obj - x->first_thread;
	int err = 0;

	x->type_nt = malloc((h->n_types ? h->n_types : 1) * sizeof(*x->type_nt));
	x->type_name = malloc((h->n_types ? h->n_types : 1) * sizeof(*x->type_name));
	x->name = malloc(((size_t)n_syn + g->n + 1) * sizeof(*x->name));
	x->id = malloc(((size_t)n_syn + g->n + 1) * sizeof(*x->id));
	if (!x->type_nt || !x->type_name || !x->name || !x->id)
		return ph_error(PH_ENOMEM, "out of memory: node names and ids of %u nodes", x->n_nodes);
	for (unsigned i = 0; i < N_FIXED && !err; i++)
		err = ph_strtab_cstr(&x->st, fixed_names[i], &x->fixed_name[i]);
	if (!err)
		err = ph_strtab_cstr(&x->st, "<ref>", &x->s_ref);
	if (!err)
		err = ph_strtab_cstr(&x->st, "<key>", &x->s_key);
	if (!err)
		err = ph_strtab_cstr(&x->st, "<frame object>", &x->s_frame_object);
	if (!err)
		err = ph_strtab_cstr(&x->st, "<code>", &x->s_code);
	for (uint32_t t = 0; t < h->n_types && !err; t++) {
		const char *kind = ph_heap_type_name(h, t);

		x->type_nt[t] = NT_OBJECT;
		for (size_t k = 0; k < sizeof(kind_types) / sizeof(kind_types[0]); k++)
			if (strcmp(kind, kind_types[k].kind) == 0)
				x->type_nt[t] = kind_types[k].type;
		err = ph_strtab_cstr(&x->st, kind, &x->type_name[t]);
	}
	/* edges of the fixed nodes */
	x->fixed_edges[N_ROOT] = 2;
	x->fixed_edges[N_GC_ROOTS] = N_CATEGORIES;
	for (uint64_t e = g->syn_off[g->super - g->n]; e < g->syn_off[g->super - g->n + 1]; e++) {
		unsigned c = category(x, e);

		if (c != N_UNREACHABLE)
			x->fixed_edges[c]++;
	}
	for (uint32_t w = 0; w < (g->n + 63) / 64; w++)
		x->fixed_edges[N_UNREACHABLE] += (uint32_t)__builtin_popcountll(d->entry[w]);
	x->n_edges = h->n_edges + g->syn_off[g->n_nodes - g->n] - g->syn_off[g->first_thread - g->n];
	for (unsigned i = 0; i < N_FIXED; i++)
		x->n_edges += x->fixed_edges[i];
	/* threads, frames */
	for (uint32_t t = 0; t < h->n_threads && !err; t++) {
		x->tmp.len = 0;
		err = ph_render_node(&x->tmp, g, g->first_thread + t);
		if (!err)
			err = add_tmp(x, &x->name[t]);
	}
	for (uint32_t f = 0; f < h->n_frames && !err; f++)
		err = name_frame(x, f, &x->name[h->n_threads + f]);
	if (!err)
		err = ph_nodeids_assign(x->id, n_syn, 0, synthetic_key, h);
	/* objects */
	for (uint32_t i = 0; i < g->n && !err; i++)
		err = name_object(x, i, &x->name[n_syn + i]);
	if (!err)
		err = ph_nodeids_assign(x->id + n_syn, g->n, 1, object_key, h);
	return err;
}

/* ---- pass 2: the document ---- */

static void put_node(struct ph_sink *s, bool first, unsigned type, uint32_t name, uint32_t id,
		     uint64_t size, uint64_t edges)
{
	char buf[96];
	char *p = buf + sizeof(buf);
	uint64_t vals[5] = {type, name, id, size, edges};

	/* written backwards: ",0,0\n" then the five numbers */
	*--p = '\n';
	*--p = '0';
	*--p = ',';
	*--p = '0';
	for (int k = 4; k >= 0; k--) {
		*--p = ',';
		p = ph_fmt_u64(p, vals[k]);
	}
	if (!first)
		*--p = ',';
	ph_sink_put(s, p, (size_t)(buf + sizeof(buf) - p));
}

static void put_edge(struct hs *x, unsigned type, uint64_t name_or_index, uint32_t to)
{
	char buf[64];
	char *p = buf + sizeof(buf);
	uint64_t vals[3] = {type, name_or_index, (uint64_t)to * NODE_FIELDS};

	*--p = '\n';
	for (int k = 2; k >= 0; k--) {
		p = ph_fmt_u64(p, vals[k]);
		*--p = ',';
	}
	if (x->n_edges++ == 0)
		p++; /* no comma before the first edge */
	ph_sink_put(x->s, p, (size_t)(buf + sizeof(buf) - p));
}

static int write_nodes(struct hs *x)
{
	const struct ph_heap *h = x->h;
	const struct ph_graph *g = x->g;
	uint32_t n_syn = x->first_obj - x->first_thread;

	for (unsigned i = 0; i < N_FIXED; i++)
		put_node(x->s, i == 0, NT_SYNTHETIC, x->fixed_name[i], 2 * i + 1, 0, x->fixed_edges[i]);
	for (uint32_t k = 0; k < n_syn; k++) {
		uint32_t v = g->first_thread + k;

		put_node(x->s, false, NT_SYNTHETIC, x->name[k], x->id[k], 0,
			 g->syn_off[v - g->n + 1] - g->syn_off[v - g->n]);
	}
	for (uint32_t i = 0; i < g->n && !x->s->err; i++) {
		uint64_t size = ph_heap_owned(h, i); /* a node's self size: its own bytes and its native ones */

		size = size == 0 ? 1 : size > UINT32_MAX ? UINT32_MAX : size;
		put_node(x->s, false, x->type_nt[h->type[i]], x->name[n_syn + i], x->id[n_syn + i], size,
			 h->out_off[i + 1] - h->out_off[i]);
	}
	return x->s->err;
}

/* An edge's name from its rendered label (ph_render_step), without the leading '.' of an attribute. */
static int label_name(struct hs *x, uint32_t src, uint64_t e, uint32_t tgt, uint32_t *index)
{
	int err;

	x->tmp.len = 0;
	if ((err = ph_render_step(&x->tmp, x->g, src, e, tgt, true)))
		return err;
	if (x->tmp.len > 1 && x->tmp.data[0] == '.')
		memmove(x->tmp.data, x->tmp.data + 1, --x->tmp.len);
	if (!x->tmp.len) {
		*index = x->s_ref;
		return 0;
	}
	return add_tmp(x, index);
}

/* A label object that is a str: its node's name is the text (see name_object). */
static bool str_label(const struct hs *x, uint32_t val)
{
	return val != PH_VAL_WIDE && x->type_nt[x->h->type[val]] == NT_STRING;
}

static int object_edges(struct hs *x, uint32_t v)
{
	const struct ph_heap *h = x->h;
	const uint64_t *garbage = x->a->d.garbage;
	uint32_t n_syn = x->first_obj - x->first_thread;
	bool dead = ph_bit(garbage, v);
	int err = 0;

	for (uint64_t e = h->out_off[v]; e < h->out_off[v + 1] && !err; e++) {
		uint32_t tgt = h->out_tgt[e], val = h->out_val[e], name = 0;
		uint8_t kind = h->out_kind[e];

		if ((kind & PH_EDGE_WEAK) || (dead && !ph_bit(garbage, tgt))) {
			/* a weak reference, or garbage's reference to a live object: keeps nothing alive */
			err = label_name(x, v, e, tgt, &name);
			put_edge(x, ET_WEAK, name, x->first_obj + tgt);
			continue;
		}
		switch (kind & PH_LABEL_MASK) {
		case PH_LABEL_INDEX:
			if (val != PH_VAL_WIDE) {
				put_edge(x, ET_ELEMENT, val, x->first_obj + tgt);
				continue;
			}
			err = label_name(x, v, e, tgt, &name);
			put_edge(x, ET_PROPERTY, name, x->first_obj + tgt);
			continue;
		case PH_LABEL_ATTR:
		case PH_LABEL_KEY:
			if (str_label(x, val))
				name = x->name[n_syn + val];
			else
				err = label_name(x, v, e, tgt, &name);
			put_edge(x, ET_PROPERTY, name, x->first_obj + tgt);
			continue;
		case PH_LABEL_FIELD: {
			size_t len;
			const char *s = ph_heap_str(h, val, &len);

			if (s)
				err = ph_strtab_add(&x->st, s, len, &name);
			else
				name = x->s_ref;
			put_edge(x, ET_PROPERTY, name, x->first_obj + tgt);
			continue;
		}
		case PH_LABEL_KEYREF:
			put_edge(x, ET_INTERNAL, x->s_key, x->first_obj + tgt);
			continue;
		case PH_LABEL_INTERNAL:
			err = label_name(x, v, e, tgt, &name);
			put_edge(x, ET_INTERNAL, name, x->first_obj + tgt);
			continue;
		default:
			put_edge(x, ET_INTERNAL, x->s_ref, x->first_obj + tgt);
			continue;
		}
	}
	return err;
}

/* Edges of a thread or frame node. */
static int synthetic_edges(struct hs *x, uint32_t v)
{
	const struct ph_graph *g = x->g;
	const struct ph_heap *h = x->h;
	int err = 0;

	for (uint64_t e = g->syn_off[v - g->n]; e < g->syn_off[v - g->n + 1] && !err; e++) {
		uint32_t tgt = g->syn_tgt[e], name = 0;

		switch (g->syn_kind[e] & PH_LABEL_MASK) {
		case PH_LABEL_FRAME:
			put_edge(x, ET_ELEMENT, h->frames[g->syn_val[e]].depth, ordinal(x, tgt));
			break;
		case PH_LABEL_LOCAL: {
			size_t len;
			const char *s = ph_heap_str(h, h->locals[g->syn_val[e]].name, &len);

			if (s)
				err = ph_strtab_add(&x->st, s, len, &name);
			else
				name = x->s_ref;
			put_edge(x, ET_PROPERTY, name, ordinal(x, tgt));
			break;
		}
		case PH_LABEL_FRAME_OBJECT:
			put_edge(x, ET_INTERNAL, x->s_frame_object, ordinal(x, tgt));
			break;
		case PH_LABEL_FRAME_CODE:
			put_edge(x, ET_INTERNAL, x->s_code, ordinal(x, tgt));
			break;
		default:
			put_edge(x, ET_INTERNAL, x->s_ref, ordinal(x, tgt));
			break;
		}
	}
	return err;
}

static int write_edges(struct hs *x)
{
	const struct ph_graph *g = x->g;
	uint64_t sup = g->super - g->n;
	uint64_t expect = x->n_edges;
	int err = 0;

	x->n_edges = 0;
	put_edge(x, ET_ELEMENT, 1, N_GC_ROOTS);
	put_edge(x, ET_ELEMENT, 2, N_UNREACHABLE);
	for (unsigned c = CAT_MODULES; c <= CAT_STATIC; c++)
		put_edge(x, ET_ELEMENT, c - CAT_MODULES + 1, c);
	for (unsigned c = CAT_MODULES; c <= CAT_STATIC && !err; c++) {
		uint32_t k = 0;

		for (uint64_t e = g->syn_off[sup]; e < g->syn_off[sup + 1] && !err; e++) {
			uint32_t tgt = g->syn_tgt[e], name;

			if (category(x, e) != c)
				continue;
			if ((g->syn_kind[e] & PH_LABEL_MASK) == PH_LABEL_ROOT) {
				x->tmp.len = 0;
				err = ph_render_step(&x->tmp, g, g->super, e, tgt, true);
				if (!err)
					err = add_tmp(x, &name);
				put_edge(x, ET_PROPERTY, name, ordinal(x, tgt));
			} else {
				put_edge(x, ET_ELEMENT, k++, ordinal(x, tgt));
			}
		}
	}
	{
		uint32_t k = 0;

		for (uint32_t i = 0; i < g->n; i++)
			if (ph_bit(x->a->d.entry, i))
				put_edge(x, ET_ELEMENT, k++, x->first_obj + i);
	}
	for (uint32_t v = g->first_thread; v < g->n_nodes && !err; v++)
		err = synthetic_edges(x, v);
	for (uint32_t v = 0; v < g->n && !err && !x->s->err; v++)
		err = object_edges(x, v);
	if (!err && !x->s->err && x->n_edges != expect)
		err = ph_error(PH_EINVAL, "internal error: %" PRIu64 " edges written, %" PRIu64 " counted",
			       x->n_edges, expect);
	return err ? err : x->s->err;
}

static int write_strings(struct hs *x)
{
	for (size_t i = 0; i < x->st.n && !x->s->err; i++) {
		size_t len;
		const uint8_t *p = ph_strtab_get(&x->st, i, &len);

		x->tmp.len = 0;
		if (ph_buf_put(&x->tmp, i ? ",\n\"" : "\"", i ? 3 : 1) || ph_json_escape(&x->tmp, p, len) ||
		    ph_buf_put_u8(&x->tmp, '"'))
			return ph_error(PH_ENOMEM, "out of memory");
		ph_sink_buf(x->s, &x->tmp);
	}
	return x->s->err;
}

int ph_export_heapsnapshot(struct ph_sink *s, const struct ph_analysis *a)
{
	struct hs x;
	int err;

	memset(&x, 0, sizeof(x));
	x.a = a;
	x.h = a->h;
	x.g = &a->g;
	x.s = s;
	ph_strtab_init(&x.st);
	x.first_thread = N_FIXED;
	x.first_frame = x.first_thread + (uint32_t)a->h->n_threads;
	x.first_obj = x.first_frame + (uint32_t)a->h->n_frames;
	x.n_nodes = x.first_obj + a->g.n;
	err = pass1(&x);
	if (!err && (uint64_t)x.n_nodes * NODE_FIELDS > UINT32_MAX)
		err = ph_error(PH_ELIMIT, "%u nodes: too many for a .heapsnapshot (edges name a node by "
					  "its index times 7, at most 2^32 - 1)", x.n_nodes);
	if (!err) {
		ph_sink_str(s, meta);
		ph_sink_str(s, "\"node_count\":");
		ph_sink_u64(s, x.n_nodes);
		ph_sink_str(s, ",\"edge_count\":");
		ph_sink_u64(s, x.n_edges);
		ph_sink_str(s, ",\"trace_function_count\":0},\n\"nodes\":[");
		err = write_nodes(&x);
	}
	if (!err) {
		ph_sink_str(s, "],\n\"edges\":[");
		err = write_edges(&x);
	}
	if (!err) {
		ph_sink_str(s, "],\n\"trace_function_infos\":[],\n\"trace_tree\":[],\n\"samples\":[],"
			       "\n\"locations\":[],\n\"strings\":[");
		err = write_strings(&x);
	}
	if (!err) {
		ph_sink_str(s, "]}\n");
		err = s->err;
	}
	ph_buf_release(&x.tmp);
	ph_strtab_release(&x.st);
	free(x.type_nt);
	free(x.type_name);
	free(x.name);
	free(x.id);
	return err;
}
