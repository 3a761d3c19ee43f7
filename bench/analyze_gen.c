/* SPDX-License-Identifier: MIT */
/*
 * analyze_gen.c - write a synthetic dump of about N objects shaped like a
 * Python application's heap, for bench/analyze.sh (used until `test-tool
 * synth` is available, and to compare with it).
 *
 *   analyze_gen N FILE [SEED]
 *
 * Shape: sys.modules -> modules -> module dicts holding functions (code,
 * consts, __globals__ back to the module dict), classes (__dict__, __mro__)
 * and global data structures: lists and dicts of instances (each instance
 * with a __dict__ of 3-8 attributes: shared small ints, own ints, strs,
 * floats, None, references to other instances, short lists of strs), linked
 * lists with back pointers (cycles), sets, lists of strings. Some structures
 * hang from instance attributes (nesting), some from thread locals, a few
 * from nothing (garbage cycles); some instances are watched by weakrefs.
 * Attribute names are interned strs shared by all dicts. Reference counts
 * equal the references written, plus one for interned strings (held by the
 * interned table, which is not an object). Addresses come in 4 KiB pools of
 * 64-byte slots, pools scattered; zstd-compressed chunks.
 *
 * It builds the whole graph in memory first (about 40 bytes per object),
 * then writes it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "format/codec.h"
#include "format/writer.h"

struct rng {
	uint64_t s;
};

static uint64_t rnd(struct rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545F4914F6CDD1DULL;
}

static uint64_t below(struct rng *r, uint64_t n)
{
	return n ? rnd(r) % n : 0;
}

enum { T_OBJECT, T_TYPE, T_DICT, T_LIST, T_TUPLE, T_STR, T_INT, T_FLOAT, T_FUNCTION, T_CODE,
       T_MODULE, T_SET, T_NONE, T_BOOL, T_WEAKREF, T_CELL, T_APP0 };
#define N_APP 300

static const char *const builtin_names[] = {"object", "type",  "dict",     "list", "tuple",
					    "str",    "int",   "float",    "function", "code",
					    "module", "set",   "NoneType", "bool",  "weakref.ReferenceType",
					    "cell"};

struct edge {
	uint32_t src, tgt;
	uint8_t kind;
	uint8_t weak;
	uint32_t label; /* index, or object id of the key/name, or field sref slot */
};

struct gen {
	struct rng r;
	uint32_t n, cap;
	uint16_t *type;
	uint32_t *size;
	uint8_t *flags;
	uint32_t *extra; /* references held from outside the dump */
	struct edge *e;
	size_t ne, cap_e;
	/* well-known objects */
	uint32_t none, bools[2], small_int0, attr0, n_attr;
	uint32_t sys_modules, builtins_dict;
	uint32_t *module_dicts;
	uint32_t n_modules;
	uint32_t *recent; /* recent instances, for cross references */
	uint32_t n_recent;
	uint32_t type_obj[T_APP0 + N_APP];
	/* threads: (local name index, object) */
	uint32_t locals[64];
	uint32_t n_locals;
};

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p) {
		fprintf(stderr, "analyze_gen: out of memory\n");
		exit(1);
	}
	return p;
}

static uint32_t obj(struct gen *g, unsigned type, uint32_t size)
{
	if (g->n == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 1 << 16;
		g->type = xrealloc(g->type, g->cap * sizeof(*g->type));
		g->size = xrealloc(g->size, g->cap * sizeof(*g->size));
		g->flags = xrealloc(g->flags, g->cap);
		g->extra = xrealloc(g->extra, g->cap * sizeof(*g->extra));
	}
	g->type[g->n] = (uint16_t)type;
	g->size[g->n] = size;
	g->flags[g->n] = (type == T_STR || type == T_INT || type == T_FLOAT) ? 0 : PH_FMT_OBJ_GC;
	g->extra[g->n] = 0;
	return g->n++;
}

static void edge(struct gen *g, uint32_t src, uint32_t tgt, uint8_t kind, uint32_t label)
{
	if (g->ne == g->cap_e) {
		g->cap_e = g->cap_e ? g->cap_e * 2 : 1 << 16;
		g->e = xrealloc(g->e, g->cap_e * sizeof(*g->e));
	}
	g->e[g->ne++] = (struct edge){src, tgt, kind, 0, label};
}

#define FIELD_DICT 0
#define FIELD_CODE 1
#define FIELD_GLOBALS 2
#define FIELD_MRO 3
#define FIELD_CONSTS 4
static const char *const field_names[] = {"__dict__", "__code__", "__globals__", "__mro__",
					  "co_consts"};

static uint32_t new_str(struct gen *g, uint32_t len)
{
	return obj(g, T_STR, 49 + len);
}

static uint32_t new_dict(struct gen *g, uint32_t entries)
{
	uint32_t size = entries <= 5 ? 232 : entries <= 10 ? 360 : 64 + 24 * entries * 3 / 2;

	return obj(g, T_DICT, size);
}

/* A value for an instance attribute. */
static uint32_t attr_value(struct gen *g)
{
	uint32_t v;

	switch (below(&g->r, 10)) {
	case 0:
	case 1:
		return g->small_int0 + (uint32_t)below(&g->r, 262);
	case 2:
		return obj(g, T_INT, 28);
	case 3:
	case 4:
		return new_str(g, 4 + (uint32_t)below(&g->r, 40));
	case 5:
		return obj(g, T_FLOAT, 24);
	case 6:
		return g->none;
	case 7:
		if (g->n_recent)
			return g->recent[below(&g->r, g->n_recent)];
		return g->none;
	case 8: {
		uint32_t k = (uint32_t)below(&g->r, 6);

		v = obj(g, T_LIST, 56 + 8 * k);
		for (uint32_t i = 0; i < k; i++)
			edge(g, v, new_str(g, 8 + (uint32_t)below(&g->r, 20)), PH_FMT_LABEL_INDEX, i);
		return v;
	}
	default:
		return g->bools[below(&g->r, 2)];
	}
}

static uint32_t instance(struct gen *g)
{
	unsigned cls = T_APP0 + (unsigned)below(&g->r, N_APP);
	uint32_t n_attr = 3 + (uint32_t)below(&g->r, 6);
	uint32_t o = obj(g, cls, 48), d = new_dict(g, n_attr);
	uint32_t first = (uint32_t)below(&g->r, g->n_attr - 8);

	edge(g, o, d, PH_FMT_LABEL_FIELD, FIELD_DICT);
	for (uint32_t i = 0; i < n_attr; i++)
		edge(g, d, attr_value(g), PH_FMT_LABEL_ENTRY, g->attr0 + first + i);
	g->recent[g->n_recent < 4096 ? g->n_recent++ : below(&g->r, 4096)] = o;
	return o;
}

static uint32_t structure(struct gen *g, uint32_t budget)
{
	uint32_t k = 1 + (uint32_t)(budget < 10 ? budget : below(&g->r, budget / 10 + 1));
	uint32_t c, prev = UINT32_MAX;

	switch (below(&g->r, 6)) {
	case 0:
	case 1: /* list of instances */
		c = obj(g, T_LIST, 56 + 8 * k);
		for (uint32_t i = 0; i < k; i++)
			edge(g, c, instance(g), PH_FMT_LABEL_INDEX, i);
		return c;
	case 2: /* dict str -> instance */
		c = new_dict(g, k);
		for (uint32_t i = 0; i < k; i++)
			edge(g, c, instance(g), PH_FMT_LABEL_ENTRY, new_str(g, 10));
		return c;
	case 3: /* doubly linked list of instances */
		c = instance(g);
		prev = c;
		for (uint32_t i = 1; i < k; i++) {
			uint32_t x = instance(g);

			edge(g, prev + 1, x, PH_FMT_LABEL_ENTRY, g->attr0 + 0); /* next */
			edge(g, x + 1, prev, PH_FMT_LABEL_ENTRY, g->attr0 + 1); /* prev */
			prev = x;
		}
		return c;
	case 4: /* set of strs */
		c = obj(g, T_SET, 216 + 16 * k);
		for (uint32_t i = 0; i < k; i++)
			edge(g, c, new_str(g, 12), PH_FMT_LABEL_KEYREF, 0);
		return c;
	default: /* list of strs */
		c = obj(g, T_LIST, 56 + 8 * k);
		for (uint32_t i = 0; i < k; i++)
			edge(g, c, new_str(g, 20 + (uint32_t)below(&g->r, 60)), PH_FMT_LABEL_INDEX, i);
		return c;
	}
}

static void build(struct gen *g, uint32_t target)
{
	g->recent = xrealloc(NULL, 4096 * sizeof(*g->recent));
	for (unsigned t = 0; t < T_APP0 + N_APP; t++) {
		g->type_obj[t] = obj(g, T_TYPE, t < T_APP0 ? 400 : 1064);
		if (t < T_APP0)
			g->flags[g->type_obj[t]] |= PH_FMT_OBJ_STATIC;
	}
	g->none = obj(g, T_NONE, 16);
	g->flags[g->none] = PH_FMT_OBJ_STATIC | PH_FMT_OBJ_IMMORTAL;
	g->bools[0] = obj(g, T_BOOL, 24);
	g->bools[1] = obj(g, T_BOOL, 28);
	g->flags[g->bools[0]] = g->flags[g->bools[1]] = PH_FMT_OBJ_STATIC | PH_FMT_OBJ_IMMORTAL;
	g->small_int0 = g->n;
	for (int i = 0; i < 262; i++)
		g->flags[obj(g, T_INT, 28)] = PH_FMT_OBJ_STATIC | PH_FMT_OBJ_IMMORTAL;
	g->n_attr = 2000;
	g->attr0 = g->n;
	for (uint32_t i = 0; i < g->n_attr; i++)
		g->extra[new_str(g, 8)] = 1; /* interned */
	g->sys_modules = new_dict(g, 64);
	g->builtins_dict = new_dict(g, 150);
	for (int i = 0; i < 150; i++)
		edge(g, g->builtins_dict, obj(g, T_FUNCTION, 72), PH_FMT_LABEL_ENTRY, g->attr0 + 100 + i);
	g->n_modules = 10 + target / 50000;
	g->module_dicts = xrealloc(NULL, g->n_modules * sizeof(*g->module_dicts));
	for (uint32_t m = 0; m < g->n_modules; m++) {
		uint32_t mod = obj(g, T_MODULE, 72), d = new_dict(g, 40);

		g->module_dicts[m] = d;
		edge(g, mod, d, PH_FMT_LABEL_FIELD, FIELD_DICT);
		edge(g, g->sys_modules, mod, PH_FMT_LABEL_ENTRY, new_str(g, 12));
		for (int f = 0; f < 20; f++) {
			uint32_t fn = obj(g, T_FUNCTION, 144), code = obj(g, T_CODE, 200);
			uint32_t consts = obj(g, T_TUPLE, 64);

			edge(g, fn, code, PH_FMT_LABEL_FIELD, FIELD_CODE);
			edge(g, fn, d, PH_FMT_LABEL_FIELD, FIELD_GLOBALS);
			edge(g, code, consts, PH_FMT_LABEL_FIELD, FIELD_CONSTS);
			edge(g, consts, g->none, PH_FMT_LABEL_INDEX, 0);
			edge(g, consts, new_str(g, 30), PH_FMT_LABEL_INDEX, 1);
			edge(g, consts, new_str(g, 10), PH_FMT_LABEL_INDEX, 2);
			edge(g, d, fn, PH_FMT_LABEL_ENTRY, g->attr0 + 300 + f);
		}
	}
	for (unsigned t = T_APP0; t < T_APP0 + N_APP; t++) {
		uint32_t d = g->module_dicts[(t - T_APP0) % g->n_modules];
		uint32_t cls = g->type_obj[t], cd = new_dict(g, 8), mro = obj(g, T_TUPLE, 56);

		edge(g, cls, cd, PH_FMT_LABEL_FIELD, FIELD_DICT);
		edge(g, cls, mro, PH_FMT_LABEL_FIELD, FIELD_MRO);
		edge(g, mro, cls, PH_FMT_LABEL_INDEX, 0);
		edge(g, mro, g->type_obj[T_OBJECT], PH_FMT_LABEL_INDEX, 1);
		for (int f = 0; f < 5; f++)
			edge(g, cd, obj(g, T_FUNCTION, 144), PH_FMT_LABEL_ENTRY, g->attr0 + 400 + f);
		edge(g, d, cls, PH_FMT_LABEL_ENTRY, g->attr0 + 500 + (t - T_APP0) % 1000);
	}
	/* data */
	while (g->n < target) {
		uint32_t left = target - g->n;
		uint32_t s = structure(g, left < 20000 ? left : 20000);

		switch (below(&g->r, 20)) {
		case 0: /* garbage: a cycle with nothing pointing at it */
			edge(g, s, s, PH_FMT_LABEL_NONE, 0);
			break;
		case 1:
			if (g->n_locals < 64) {
				g->locals[g->n_locals++] = s;
				break;
			}
			/* fall through */
		case 2:
		case 3:
		case 4:
		case 5:
		case 6: /* nested: an attribute of a recent instance */
			if (g->n_recent) {
				uint32_t holder = g->recent[below(&g->r, g->n_recent)];

				if (holder != s) {
					edge(g, holder + 1, s, PH_FMT_LABEL_ENTRY,
					     g->attr0 + 600 + (uint32_t)below(&g->r, 100));
					break;
				}
			}
			/* fall through */
		default:
			edge(g, g->module_dicts[below(&g->r, g->n_modules)], s, PH_FMT_LABEL_ENTRY,
			     new_str(g, 16));
		}
		if (below(&g->r, 50) == 0 && g->n_recent) { /* a weakref to an instance */
			uint32_t w = obj(g, T_WEAKREF, 80);

			edge(g, w, g->recent[below(&g->r, g->n_recent)], PH_FMT_LABEL_NONE, 0);
			g->e[g->ne - 1].weak = 1;
			edge(g, g->module_dicts[below(&g->r, g->n_modules)], w, PH_FMT_LABEL_ENTRY,
			     new_str(g, 16));
		}
	}
}

static uint64_t address(uint32_t id)
{
	uint64_t pool = id >> 6, slot = id & 63;

	return 0x7f0000000000ULL + ((pool * 0x9E3779B1ULL) & ((1ULL << 26) - 1)) * 4096 + slot * 64;
}

static int write_heap(struct gen *g, const char *path)
{
	struct ph_codec *codec = ph_zstd_codec_new(0);
	struct ph_writer_opts o = {0};
	struct ph_writer w;
	struct ph_sink sink;
	uint32_t *refs = calloc(g->n, sizeof(*refs));
	size_t *start = calloc((size_t)g->n + 2, sizeof(*start));
	struct edge *sorted = malloc(g->ne * sizeof(*sorted));
	uint64_t fsref[5], tsref[T_APP0 + N_APP][2], sref_main, sref_name, sref_file, sref_fn;
	char buf[128];
	FILE *f = fopen(path, "wb");
	int fd, err;

	if (!f || !refs || !start || !sorted || !codec) {
		fprintf(stderr, "analyze_gen: cannot set up %s\n", path);
		return 1;
	}
	fd = fileno(f);
	for (size_t i = 0; i < g->ne; i++) {
		if (!g->e[i].weak)
			refs[g->e[i].tgt]++;
		if (g->e[i].kind == PH_FMT_LABEL_ENTRY)
			refs[g->e[i].label]++;
		start[g->e[i].src + 2]++;
	}
	for (uint32_t i = 0; i < g->n; i++)
		start[i + 2] += start[i + 1];
	for (size_t i = 0; i < g->ne; i++)
		sorted[start[g->e[i].src + 1]++] = g->e[i];
	for (uint32_t i = 0; i < g->n_locals; i++)
		refs[g->locals[i]]++;
	refs[g->sys_modules]++;
	refs[g->builtins_dict]++;
	for (uint32_t i = 0; i < g->n; i++) /* each instance holds its class */
		if (g->type[i] >= T_APP0)
			refs[g->type_obj[g->type[i]]]++;
	ph_sink_fd(&sink, &fd);
	o.codec = codec;
	err = ph_writer_open(&w, &sink, &o);
	err = err ? err : ph_writer_meta_str(&w, "python_version", "3.11.9 (synthetic)");
	err = err ? err : ph_writer_meta_uint(&w, "pid", 1);
	err = err ? err : ph_writer_meta_str(&w, "writer", "analyze_gen");
	for (int i = 0; i < 5 && !err; i++)
		err = ph_writer_string(&w, field_names[i], strlen(field_names[i]), &fsref[i]);
	for (unsigned t = 0; t < T_APP0 + N_APP && !err; t++) {
		if (t < T_APP0) {
			const char *nm = builtin_names[t], *dot = strrchr(nm, '.');

			if (dot) {
				err = ph_writer_string(&w, nm, (size_t)(dot - nm), &tsref[t][0]);
				nm = dot + 1;
			} else {
				err = ph_writer_string(&w, "builtins", 8, &tsref[t][0]);
			}
			err = err ? err : ph_writer_string(&w, nm, strlen(nm), &tsref[t][1]);
		} else {
			snprintf(buf, sizeof(buf), "app.mod%u", (t - T_APP0) / 7);
			err = ph_writer_string(&w, buf, strlen(buf), &tsref[t][0]);
			snprintf(buf, sizeof(buf), "Class%u", t - T_APP0);
			err = err ? err : ph_writer_string(&w, buf, strlen(buf), &tsref[t][1]);
		}
	}
	for (unsigned t = 0; t < T_APP0 + N_APP && !err; t++) {
		struct ph_type_rec tr = {address(g->type_obj[t]), tsref[t][0], tsref[t][1],
					 t == T_OBJECT ? 0 : 1, 16, 0, t >= T_APP0 ? 1u << 9 : 0};

		err = ph_writer_type(&w, &tr, NULL);
	}
	for (uint32_t i = 0; i < g->n && !err; i++) {
		struct ph_object_rec rec;
		uint8_t text[64];

		memset(&rec, 0, sizeof(rec));
		rec.address = address(i);
		rec.type = g->type[i];
		rec.size = g->size[i];
		rec.refcount = (uint64_t)refs[i] + g->extra[i];
		rec.flags = g->flags[i];
		if (rec.flags & PH_FMT_OBJ_IMMORTAL)
			rec.refcount = 0xffffffffULL;
		switch (g->type[i]) {
		case T_STR: {
			uint32_t len = g->size[i] - 49;

			if (i >= g->attr0 && i < g->attr0 + g->n_attr)
				snprintf((char *)text, sizeof(text), "attr_%u", i - g->attr0);
			else
				snprintf((char *)text, sizeof(text), "%-*u", len < 50 ? (int)len : 50, i);
			rec.value.kind = PH_FMT_VAL_STR;
			rec.value.data = text;
			rec.value.data_len = strlen((char *)text);
			rec.value.length = rec.value.data_len;
			break;
		}
		case T_INT:
			rec.value.kind = PH_FMT_VAL_INT;
			rec.value.i = i >= g->small_int0 && i < g->small_int0 + 262
					      ? (int64_t)(i - g->small_int0) - 5
					      : (int64_t)i * 7;
			break;
		case T_FLOAT:
			rec.value.kind = PH_FMT_VAL_FLOAT;
			rec.value.f = i / 3.0;
			break;
		case T_NONE:
			rec.value.kind = PH_FMT_VAL_NONE;
			break;
		case T_BOOL:
			rec.value.kind = PH_FMT_VAL_BOOL;
			rec.value.b = i == g->bools[1];
			break;
		default:
			break;
		}
		err = ph_writer_object(&w, &rec, NULL);
		for (size_t k = start[i]; k < start[i + 1] && !err; k++) {
			const struct edge *e = &sorted[k];
			struct ph_edge_rec er = {address(e->tgt), e->kind, e->weak ? PH_FMT_EDGE_WEAK : 0,
						 e->label};

			if (e->kind == PH_FMT_LABEL_ENTRY || e->kind == PH_FMT_LABEL_ATTR)
				er.label = address(e->label);
			else if (e->kind == PH_FMT_LABEL_FIELD)
				er.label = fsref[e->label];
			err = ph_writer_edge(&w, &er);
		}
	}
	err = err ? err : ph_writer_string(&w, "MainThread", 10, &sref_main);
	err = err ? err : ph_writer_string(&w, "data", 4, &sref_name);
	err = err ? err : ph_writer_string(&w, "app/main.py", 11, &sref_file);
	err = err ? err : ph_writer_string(&w, "main", 4, &sref_fn);
	if (!err) {
		struct ph_local_rec lr[64];
		struct ph_frame_rec fr = {sref_fn, sref_file, 42, 0, 0, g->n_locals, lr};
		struct ph_thread_rec tr = {1, 1, sref_main, PH_FMT_THREAD_MAIN, 1, &fr};

		for (uint32_t i = 0; i < g->n_locals; i++) {
			lr[i].name = sref_name;
			lr[i].address = address(g->locals[i]);
		}
		err = ph_writer_thread(&w, &tr);
	}
	if (!err) {
		uint64_t s1, s2;
		struct ph_root_rec r1, r2;

		err = ph_writer_string(&w, "sys.modules", 11, &s1);
		err = err ? err : ph_writer_string(&w, "interp.builtins", 15, &s2);
		r1 = (struct ph_root_rec){PH_FMT_ROOT_MODULES, s1, address(g->sys_modules)};
		r2 = (struct ph_root_rec){PH_FMT_ROOT_INTERP, s2, address(g->builtins_dict)};
		err = err ? err : ph_writer_root(&w, &r1);
		err = err ? err : ph_writer_root(&w, &r2);
	}
	err = err ? err : ph_writer_close(&w);
	ph_writer_release(&w);
	ph_zstd_codec_free(codec);
	free(refs);
	free(start);
	free(sorted);
	if (err || fclose(f)) {
		fprintf(stderr, "analyze_gen: %s: %s\n", path, err ? ph_error_detail() : "write failed");
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct gen g;
	uint32_t n;

	if (argc < 3) {
		fprintf(stderr, "usage: analyze_gen N FILE [SEED]\n");
		return 2;
	}
	memset(&g, 0, sizeof(g));
	n = (uint32_t)strtoul(argv[1], NULL, 10);
	g.r.s = argc > 3 ? strtoull(argv[3], NULL, 10) * 0x9E3779B97F4A7C15ULL + 1 : 12345;
	build(&g, n);
	fprintf(stderr, "analyze_gen: %u objects, %zu edge records\n", g.n, g.ne);
	return write_heap(&g, argv[2]);
}
