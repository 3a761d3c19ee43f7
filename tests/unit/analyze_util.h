/* SPDX-License-Identifier: MIT */
/*
 * analyze_util.h - hand-made heaps for the analyzer's tests.
 *
 * struct tb describes a heap as the test wants it (objects by index, typed
 * by kind name, edges with labels, ROOTS records, threads with frames and
 * locals); tb_write() turns it into a .pyheap file through struct ph_writer,
 * optionally with zstd, tiny chunks (so that long edge lists are split over
 * several records) and chunks reordered by kind (so that EDGES, THREADS and
 * ROOTS come before OBJECTS and TYPES). tb_analyze() writes a temporary
 * file and runs the analysis pipeline on it.
 *
 * Object i is at address TB_ADDR(i). Reference counts default to the
 * references the builder holds to the object (strong edges, entry keys,
 * ROOTS records, locals), so that nothing is "held from C" unless a test
 * says so with tb_refcount().
 *
 * Header-only (static functions); failures abort (these are tests).
 * Memory: the builder owns everything; tb_free() frees it.
 */
#ifndef PH_TEST_ANALYZE_UTIL_H
#define PH_TEST_ANALYZE_UTIL_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyze/analysis.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/hash.h"
#include "format/codec.h"
#include "format/writer.h"

#define TB_ADDR(i) (0x7f0000100000ULL + 0x40ULL * (uint64_t)(i))

struct tb_edge {
	uint32_t src;
	uint64_t target; /* address */
	uint8_t kind;    /* PH_FMT_LABEL_* */
	bool weak;
	uint64_t label;  /* index, or address of the name/key object */
	const char *name; /* field/internal */
};

struct tb_obj {
	uint32_t type;
	uint64_t size;
	int64_t refcount; /* -1: automatic */
	uint8_t flags;
	uint8_t vkind;
	int64_t ival;
	double fval;
	char *text; /* str/bytes/text value, owned */
	uint8_t *magnitude; /* big int: little-endian, owned */
	size_t magnitude_len;
	uint64_t bits;
	uint8_t sign;
};

struct tb_local {
	uint32_t frame;
	const char *name;
	uint64_t address;
};

struct tb_frame {
	uint32_t thread;
	const char *function, *file;
	uint64_t line;
};

struct tb_thread {
	const char *name;
	uint64_t ident;
	uint8_t flags;
};

struct tb_root {
	uint8_t kind;
	const char *label;
	uint64_t address;
};

struct tb_type {
	char *module, *qualname;
	uint64_t flags;
	uint32_t object; /* the type object, UINT32_MAX: not in the dump */
};

struct tb {
	struct tb_obj *obj;
	size_t n_obj, cap_obj;
	struct tb_edge *edge;
	size_t n_edge, cap_edge;
	struct tb_type *type;
	size_t n_type, cap_type;
	struct tb_root *root;
	size_t n_root, cap_root;
	struct tb_thread *thread;
	size_t n_thread, cap_thread;
	struct tb_frame *frame;
	size_t n_frame, cap_frame;
	struct tb_local *local;
	size_t n_local, cap_local;
	/* how to write */
	size_t chunk_size; /* 0: default */
	bool zstd;
	bool by_kind_desc; /* reorder chunks: ROOTS, THREADS, EDGES, OBJECTS, TYPES, STRINGS, META */
	bool meta;         /* write python_version and pid metadata */
	uint64_t shift;    /* added to every object address when written (another run's layout) */
};

#define TB_GROW(arr, n, cap)                                                                       \
	do {                                                                                       \
		if ((n) + 1 > (cap)) {                                                             \
			(cap) = (cap) ? 2 * (cap) : 16;                                            \
			(arr) = realloc((arr), (cap) * sizeof(*(arr)));                            \
			if (!(arr))                                                                \
				abort();                                                           \
		}                                                                                  \
	} while (0)

static inline void tb_init(struct tb *b)
{
	memset(b, 0, sizeof(*b));
	b->meta = true;
}

static inline char *tb_strdup(const char *s)
{
	char *d = strdup(s ? s : "");

	if (!d)
		abort();
	return d;
}

/* Type id of kind ("dict", "app.Node", "app.models.User"): created on first use. */
static inline uint32_t tb_type(struct tb *b, const char *kind)
{
	const char *dot = strrchr(kind, '.');
	char *module, *qual;

	if (dot) {
		module = strndup(kind, (size_t)(dot - kind));
		qual = tb_strdup(dot + 1);
	} else {
		module = tb_strdup("builtins");
		qual = tb_strdup(kind);
	}
	for (size_t i = 0; i < b->n_type; i++)
		if (!strcmp(b->type[i].module, module) && !strcmp(b->type[i].qualname, qual)) {
			free(module);
			free(qual);
			return (uint32_t)i;
		}
	TB_GROW(b->type, b->n_type, b->cap_type);
	b->type[b->n_type].module = module;
	b->type[b->n_type].qualname = qual;
	b->type[b->n_type].flags = dot ? (1u << 9) : 0; /* classes of modules are heap types */
	b->type[b->n_type].object = UINT32_MAX;
	return (uint32_t)b->n_type++;
}

/* Make object obj the type object of kind (the TYPES record gets its address). */
static inline void tb_type_object(struct tb *b, const char *kind, uint32_t obj)
{
	b->type[tb_type(b, kind)].object = obj;
}

static inline uint32_t tb_obj(struct tb *b, const char *kind, uint64_t size)
{
	struct tb_obj *o;

	TB_GROW(b->obj, b->n_obj, b->cap_obj);
	o = &b->obj[b->n_obj];
	memset(o, 0, sizeof(*o));
	o->type = tb_type(b, kind);
	o->size = size;
	o->refcount = -1;
	o->flags = PH_FMT_OBJ_GC;
	return (uint32_t)b->n_obj++;
}

static inline uint32_t tb_str(struct tb *b, const char *s)
{
	uint32_t i = tb_obj(b, "str", 49 + strlen(s));

	b->obj[i].flags = 0;
	b->obj[i].vkind = PH_FMT_VAL_STR;
	b->obj[i].text = tb_strdup(s);
	return i;
}

static inline uint32_t tb_int(struct tb *b, int64_t v)
{
	uint32_t i = tb_obj(b, "int", 28);

	b->obj[i].flags = 0;
	b->obj[i].vkind = PH_FMT_VAL_INT;
	b->obj[i].ival = v;
	return i;
}

/* A big int: sign (1 negative), bit length, little-endian magnitude. */
static inline uint32_t tb_bigint(struct tb *b, uint8_t sign, uint64_t bits, const uint8_t *mag, size_t n)
{
	uint32_t i = tb_obj(b, "int", 24 + 4 * ((bits + 29) / 30));

	b->obj[i].flags = 0;
	b->obj[i].vkind = PH_FMT_VAL_BIGINT;
	b->obj[i].sign = sign;
	b->obj[i].bits = bits;
	b->obj[i].magnitude = malloc(n ? n : 1);
	if (!b->obj[i].magnitude)
		abort();
	memcpy(b->obj[i].magnitude, mag, n);
	b->obj[i].magnitude_len = n;
	return i;
}

static inline void tb_value_text(struct tb *b, uint32_t i, uint8_t vkind, const char *s)
{
	free(b->obj[i].text);
	b->obj[i].vkind = vkind;
	b->obj[i].text = tb_strdup(s);
}

static inline void tb_refcount(struct tb *b, uint32_t i, int64_t rc)
{
	b->obj[i].refcount = rc;
}

static inline void tb_flags(struct tb *b, uint32_t i, uint8_t flags)
{
	b->obj[i].flags = flags;
}

static inline void tb_edge_full(struct tb *b, uint32_t src, uint64_t target, uint8_t kind,
				uint64_t label, const char *name, bool weak)
{
	struct tb_edge *e;

	TB_GROW(b->edge, b->n_edge, b->cap_edge);
	e = &b->edge[b->n_edge++];
	e->src = src;
	e->target = target;
	e->kind = kind;
	e->label = label;
	e->name = name;
	e->weak = weak;
}

static inline void tb_ref(struct tb *b, uint32_t src, uint32_t dst)
{
	tb_edge_full(b, src, TB_ADDR(dst), PH_FMT_LABEL_NONE, 0, NULL, false);
}

static inline void tb_weak(struct tb *b, uint32_t src, uint32_t dst)
{
	tb_edge_full(b, src, TB_ADDR(dst), PH_FMT_LABEL_NONE, 0, NULL, true);
}

static inline void tb_index(struct tb *b, uint32_t src, uint32_t dst, uint64_t i)
{
	tb_edge_full(b, src, TB_ADDR(dst), PH_FMT_LABEL_INDEX, i, NULL, false);
}

static inline void tb_attr(struct tb *b, uint32_t src, uint32_t dst, uint32_t name_str)
{
	tb_edge_full(b, src, TB_ADDR(dst), PH_FMT_LABEL_ATTR, TB_ADDR(name_str), NULL, false);
}

static inline void tb_key(struct tb *b, uint32_t src, uint32_t dst, uint32_t key)
{
	tb_edge_full(b, src, TB_ADDR(dst), PH_FMT_LABEL_KEY, TB_ADDR(key), NULL, false);
}

static inline void tb_entry(struct tb *b, uint32_t dict, uint32_t key, uint32_t value)
{
	tb_edge_full(b, dict, TB_ADDR(value), PH_FMT_LABEL_ENTRY, TB_ADDR(key), NULL, false);
}

static inline void tb_field(struct tb *b, uint32_t src, uint32_t dst, const char *name)
{
	tb_edge_full(b, src, TB_ADDR(dst), PH_FMT_LABEL_FIELD, 0, name, false);
}

static inline void tb_internal(struct tb *b, uint32_t src, uint32_t dst, const char *name)
{
	tb_edge_full(b, src, TB_ADDR(dst), PH_FMT_LABEL_INTERNAL, 0, name, false);
}

static inline void tb_keyref(struct tb *b, uint32_t src, uint32_t dst)
{
	tb_edge_full(b, src, TB_ADDR(dst), PH_FMT_LABEL_KEYREF, 0, NULL, false);
}

static inline void tb_dangling(struct tb *b, uint32_t src, uint64_t address)
{
	tb_edge_full(b, src, address, PH_FMT_LABEL_NONE, 0, NULL, false);
}

static inline void tb_root(struct tb *b, uint32_t obj, uint8_t kind, const char *label)
{
	TB_GROW(b->root, b->n_root, b->cap_root);
	b->root[b->n_root].kind = kind;
	b->root[b->n_root].label = label;
	b->root[b->n_root].address = TB_ADDR(obj);
	b->n_root++;
}

static inline uint32_t tb_thread(struct tb *b, const char *name, uint64_t ident, uint8_t flags)
{
	TB_GROW(b->thread, b->n_thread, b->cap_thread);
	b->thread[b->n_thread].name = name;
	b->thread[b->n_thread].ident = ident;
	b->thread[b->n_thread].flags = flags;
	return (uint32_t)b->n_thread++;
}

/* Frames of a thread are added innermost first. */
static inline uint32_t tb_frame(struct tb *b, uint32_t thread, const char *function,
				const char *file, uint64_t line)
{
	TB_GROW(b->frame, b->n_frame, b->cap_frame);
	b->frame[b->n_frame].thread = thread;
	b->frame[b->n_frame].function = function;
	b->frame[b->n_frame].file = file;
	b->frame[b->n_frame].line = line;
	return (uint32_t)b->n_frame++;
}

static inline void tb_local(struct tb *b, uint32_t frame, const char *name, uint32_t obj)
{
	TB_GROW(b->local, b->n_local, b->cap_local);
	b->local[b->n_local].frame = frame;
	b->local[b->n_local].name = name;
	b->local[b->n_local].address = TB_ADDR(obj);
	b->n_local++;
}

static inline void tb_free(struct tb *b)
{
	for (size_t i = 0; i < b->n_obj; i++) {
		free(b->obj[i].text);
		free(b->obj[i].magnitude);
	}
	for (size_t i = 0; i < b->n_type; i++) {
		free(b->type[i].module);
		free(b->type[i].qualname);
	}
	free(b->obj);
	free(b->edge);
	free(b->type);
	free(b->root);
	free(b->thread);
	free(b->frame);
	free(b->local);
	memset(b, 0, sizeof(*b));
}

static inline uint64_t tb_sref(struct ph_writer *w, const char *s)
{
	uint64_t sref = 0;

	if (s && ph_writer_string(w, s, strlen(s), &sref))
		abort();
	return sref;
}

/* Index of the object at address a, or SIZE_MAX. */
static inline size_t tb_index_of(const struct tb *b, uint64_t a)
{
	if (a < TB_ADDR(0) || (a - TB_ADDR(0)) % 0x40)
		return SIZE_MAX;
	a = (a - TB_ADDR(0)) / 0x40;
	return a < b->n_obj ? (size_t)a : SIZE_MAX;
}

/* The reference counts a test heap gives its objects unless told otherwise (caller frees). */
static inline uint64_t *tb_auto_refcounts(const struct tb *b)
{
	uint64_t *n = calloc(b->n_obj + 1, sizeof(*n));
	size_t i;

	if (!n)
		abort();
	for (size_t k = 0; k < b->n_edge; k++) {
		const struct tb_edge *e = &b->edge[k];

		if (!e->weak && (i = tb_index_of(b, e->target)) != SIZE_MAX)
			n[i]++;
		if (e->kind == PH_FMT_LABEL_ENTRY && (i = tb_index_of(b, e->label)) != SIZE_MAX)
			n[i]++;
	}
	for (size_t k = 0; k < b->n_root; k++)
		if ((i = tb_index_of(b, b->root[k].address)) != SIZE_MAX)
			n[i]++;
	for (size_t k = 0; k < b->n_local; k++)
		if ((i = tb_index_of(b, b->local[k].address)) != SIZE_MAX)
			n[i]++;
	return n;
}

/* Edge indexes grouped by source, in the order they were added (caller frees). */
static inline size_t *tb_edge_order(const struct tb *b, size_t **first)
{
	size_t *start = calloc(b->n_obj + 2, sizeof(*start));
	size_t *order = malloc((b->n_edge + 1) * sizeof(*order));

	if (!start || !order)
		abort();
	for (size_t k = 0; k < b->n_edge; k++)
		start[b->edge[k].src + 2]++;
	for (size_t i = 0; i < b->n_obj; i++)
		start[i + 2] += start[i + 1];
	for (size_t k = 0; k < b->n_edge; k++)
		order[start[b->edge[k].src + 1]++] = k;
	*first = start; /* edges of object i: order[start[i]] .. order[start[i + 1] - 1] */
	return order;
}

/* Chunks of a file sorted by kind, highest first (a stable sort), with a new TOC and trailer. */
static inline void tb_reorder_chunks(struct ph_buf *file)
{
	struct chunk {
		size_t off, len;
		uint32_t kind;
	} ch[4096];
	size_t n = 0, pos = PH_FMT_HEADER_SIZE;
	struct ph_buf out = PH_BUF_INIT, toc = PH_BUF_INIT;
	uint8_t hdr[PH_FMT_CHUNK_HEADER_SIZE], trailer[PH_FMT_TRAILER_SIZE];
	uint64_t file_id = ph_le64(file->data + 16), toc_off;

	for (;;) {
		uint32_t kind = ph_le32(file->data + pos + 4);
		uint64_t stored = ph_le64(file->data + pos + 16);

		if (kind == PH_FMT_KIND_TOC)
			break;
		if (n == 4096)
			abort();
		ch[n].off = pos;
		ch[n].len = PH_FMT_CHUNK_HEADER_SIZE + stored;
		ch[n].kind = kind;
		n++;
		pos += PH_FMT_CHUNK_HEADER_SIZE + stored;
	}
	for (size_t i = 1; i < n; i++) /* insertion sort: stable */
		for (size_t j = i; j > 0 && ch[j - 1].kind < ch[j].kind; j--) {
			struct chunk t = ch[j];

			ch[j] = ch[j - 1];
			ch[j - 1] = t;
		}
	if (ph_buf_put(&out, file->data, PH_FMT_HEADER_SIZE))
		abort();
	for (size_t i = 0; i < n; i++) {
		const uint8_t *h = file->data + ch[i].off;

		if (ph_buf_put_le64(&toc, out.len) || ph_buf_put(&toc, h + 4, 4) ||
		    ph_buf_put(&toc, h + 8, 1) || ph_buf_put(&toc, "\0\0\0", 3) ||
		    ph_buf_put(&toc, h + 16, 8) || ph_buf_put(&toc, h + 24, 8) ||
		    ph_buf_put(&toc, h + 32, 8) || ph_buf_put(&toc, h + 40, 8))
			abort();
		if (ph_buf_put(&out, h, ch[i].len))
			abort();
	}
	toc_off = out.len;
	ph_fmt_chunk_header(hdr, PH_FMT_KIND_TOC, PH_FMT_ENC_RAW, toc.len, toc.len, n,
			    ph_xxh3(toc.data, toc.len));
	if (ph_buf_put(&out, hdr, sizeof(hdr)) || ph_buf_put(&out, toc.data, toc.len))
		abort();
	ph_put_le64(trailer, toc_off);
	ph_put_le64(trailer + 8, file_id);
	ph_put_le64(trailer + 16, ph_xxh3(trailer, 16));
	memcpy(trailer + 24, PH_FMT_END_MAGIC, 8);
	if (ph_buf_put(&out, trailer, sizeof(trailer)))
		abort();
	ph_buf_release(file);
	ph_buf_release(&toc);
	*file = out;
}

/* An address as written: object addresses moved by b->shift, others unchanged. */
static inline uint64_t tb_out_addr(const struct tb *b, uint64_t a)
{
	return tb_index_of(b, a) != SIZE_MAX ? a + b->shift : a;
}

/* Write the heap into *out (a .pyheap file image). 0 or an error. */
static inline int tb_write_buf(struct tb *b, struct ph_buf *out)
{
	struct ph_writer_opts o = {0};
	struct ph_codec *codec = b->zstd ? ph_zstd_codec_new(1) : NULL;
	struct ph_writer w;
	struct ph_sink sink;
	uint64_t *autorc = tb_auto_refcounts(b);
	size_t *first, *order = tb_edge_order(b, &first);
	int err;

	o.codec = codec;
	o.chunk_size = b->chunk_size;
	o.file_id = 42;
	ph_sink_buf(&sink, out);
	err = ph_writer_open(&w, &sink, &o);
	if (err)
		goto out;
	if (b->meta) {
		if ((err = ph_writer_meta_str(&w, "python_version", "3.11.4 (test)")) ||
		    (err = ph_writer_meta_uint(&w, "pid", 4242)))
			goto out;
	}
	for (size_t i = 0; i < b->n_obj && !err; i++) {
		const struct tb_obj *t = &b->obj[i];
		struct ph_object_rec o2;

		memset(&o2, 0, sizeof(o2));
		o2.address = TB_ADDR(i) + b->shift;
		o2.type = t->type;
		o2.size = t->size;
		o2.refcount = t->refcount >= 0 ? (uint64_t)t->refcount : autorc[i];
		o2.flags = t->flags;
		o2.value.kind = t->vkind;
		switch (t->vkind) {
		case PH_FMT_VAL_STR:
		case PH_FMT_VAL_BYTES:
		case PH_FMT_VAL_TEXT:
			o2.value.data = (const uint8_t *)t->text;
			o2.value.data_len = strlen(t->text);
			o2.value.length = strlen(t->text);
			break;
		case PH_FMT_VAL_INT:
			o2.value.i = t->ival;
			break;
		case PH_FMT_VAL_BIGINT:
			o2.value.sign = t->sign;
			o2.value.length = t->bits;
			o2.value.data = t->magnitude;
			o2.value.data_len = t->magnitude_len;
			break;
		case PH_FMT_VAL_FLOAT:
			o2.value.f = t->fval;
			break;
		case PH_FMT_VAL_BOOL:
			o2.value.b = t->ival != 0;
			break;
		default:
			break;
		}
		err = ph_writer_object(&w, &o2, NULL);
		for (size_t k = first[i]; k < first[i + 1] && !err; k++) {
			const struct tb_edge *e = &b->edge[order[k]];
			struct ph_edge_rec er;

			er.target = tb_out_addr(b, e->target);
			er.kind = e->kind;
			er.flags = e->weak ? PH_FMT_EDGE_WEAK : 0;
			er.label = e->label;
			if (e->kind == PH_FMT_LABEL_ATTR || e->kind == PH_FMT_LABEL_KEY ||
			    e->kind == PH_FMT_LABEL_ENTRY)
				er.label = tb_out_addr(b, e->label);
			if (e->kind == PH_FMT_LABEL_FIELD || e->kind == PH_FMT_LABEL_INTERNAL)
				er.label = tb_sref(&w, e->name);
			err = ph_writer_edge(&w, &er);
		}
	}
	/* types after the objects, so that TYPES chunks may follow OBJECTS chunks */
	for (size_t i = 0; i < b->n_type && !err; i++) {
		struct ph_type_rec t;

		memset(&t, 0, sizeof(t));
		t.address = b->type[i].object != UINT32_MAX ? TB_ADDR(b->type[i].object) + b->shift
							     : 0x5500000000ULL + 0x400 * i;
		t.module = tb_sref(&w, b->type[i].module);
		t.qualname = tb_sref(&w, b->type[i].qualname);
		t.flags = b->type[i].flags;
		err = ph_writer_type(&w, &t, NULL);
	}
	for (size_t t = 0; t < b->n_thread && !err; t++) {
		struct ph_thread_rec tr;
		struct ph_frame_rec fr[64];
		struct ph_local_rec lr[64][16];
		size_t nf = 0;

		memset(&tr, 0, sizeof(tr));
		tr.ident = b->thread[t].ident;
		tr.name = tb_sref(&w, b->thread[t].name);
		tr.flags = b->thread[t].flags;
		for (size_t f = 0; f < b->n_frame; f++) {
			if (b->frame[f].thread != t)
				continue;
			if (nf == 64)
				abort();
			memset(&fr[nf], 0, sizeof(fr[nf]));
			fr[nf].function = tb_sref(&w, b->frame[f].function);
			fr[nf].filename = tb_sref(&w, b->frame[f].file);
			fr[nf].line = b->frame[f].line;
			fr[nf].locals = lr[nf];
			for (size_t l = 0; l < b->n_local; l++) {
				if (b->local[l].frame != f)
					continue;
				if (fr[nf].n_locals == 16)
					abort();
				lr[nf][fr[nf].n_locals].name = tb_sref(&w, b->local[l].name);
				lr[nf][fr[nf].n_locals].address = tb_out_addr(b, b->local[l].address);
				fr[nf].n_locals++;
			}
			nf++;
		}
		tr.n_frames = nf;
		tr.frames = fr;
		err = ph_writer_thread(&w, &tr);
	}
	for (size_t i = 0; i < b->n_root && !err; i++) {
		struct ph_root_rec rr;

		rr.kind = b->root[i].kind;
		rr.label = tb_sref(&w, b->root[i].label);
		rr.address = tb_out_addr(b, b->root[i].address);
		err = ph_writer_root(&w, &rr);
	}
	if (!err)
		err = ph_writer_close(&w);
out:
	ph_writer_release(&w);
	ph_zstd_codec_free(codec);
	free(autorc);
	free(first);
	free(order);
	if (!err && b->by_kind_desc)
		tb_reorder_chunks(out);
	return err;
}

/* Write the heap to a new temporary file; its name goes to path (64 bytes). */
static inline int tb_write(struct tb *b, char *path)
{
	struct ph_buf buf = PH_BUF_INIT;
	FILE *f;
	int fd, err = tb_write_buf(b, &buf);

	if (err)
		return err;
	snprintf(path, 64, "/tmp/pyheap-analyze-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		abort();
	f = fdopen(fd, "wb");
	if (!f || fwrite(buf.data, 1, buf.len, f) != buf.len || fclose(f))
		abort();
	ph_buf_release(&buf);
	return 0;
}

/* Write, analyze, remove the file. *a is freed by the caller (ph_analysis_free). */
static inline int tb_analyze(struct tb *b, struct ph_analysis **a)
{
	char path[64];
	int err = tb_write(b, path);

	if (err)
		return err;
	err = ph_analysis_open(a, path, NULL, NULL);
	unlink(path);
	return err;
}

#endif
