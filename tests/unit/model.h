/* SPDX-License-Identifier: MIT */
/*
 * model.h - a random heap held as plain arrays of records, for the format
 * tests: generate one from a seed, write it with struct ph_writer, read a
 * file back into a second model, and compare the two field by field.
 *
 * Header-only (static functions) so that each test binary includes it.
 * Memory: the model owns everything it points to; model_free() frees it.
 */
#ifndef PH_TEST_MODEL_H
#define PH_TEST_MODEL_H

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/error.h"
#include "format/codec.h"
#include "format/reader.h"
#include "format/writer.h"
#include "format_util.h"

struct mstr {
	uint8_t *s;
	uint64_t len;
};

struct mmeta {
	char key[32];
	uint8_t type;
	uint8_t *val;
	uint64_t len;
};

struct mthread {
	struct ph_thread_rec t; /* t.frames points to frames */
	struct ph_frame_rec *frames; /* each frames[j].locals is owned (malloc'ed) */
};

struct model {
	struct mstr *strings;
	size_t n_strings;
	struct ph_type_rec *types;
	size_t n_types;
	struct ph_object_rec *objects;
	size_t n_objects;
	uint8_t **values; /* owned value payloads, per object */
	struct ph_edge_rec **edges;
	size_t *n_edges;
	struct mthread *threads;
	size_t n_threads;
	struct ph_root_rec *roots;
	size_t n_roots;
	struct mmeta *meta;
	size_t n_meta;
	uint64_t n_native, native_total; /* NATIVE records and their bytes */
};

static inline void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		abort();
	return p;
}

static inline uint8_t *xdup(const void *p, size_t n)
{
	uint8_t *q = xcalloc(n + 1, 1);

	if (n)
		memcpy(q, p, n);
	return q;
}

/* A "interesting" 64-bit number: small, large, or at the extremes. */
static inline uint64_t rng_num(struct rng *r)
{
	switch (rng_below(r, 6)) {
	case 0:
		return rng_below(r, 2);
	case 1:
		return rng_below(r, 300);
	case 2:
		return UINT64_MAX - rng_below(r, 3);
	case 3:
		return (uint64_t)1 << rng_below(r, 64);
	default:
		return rng_next(r) >> rng_below(r, 64);
	}
}

static inline uint64_t rng_addr(struct rng *r, uint64_t *cursor)
{
	if (rng_below(r, 20) == 0)
		return rng_num(r) | 1; /* anywhere, never 0 */
	*cursor += 16 * (1 + rng_below(r, 8));
	if (*cursor == 0)
		*cursor = 16;
	return *cursor;
}

static inline void rng_bytes(struct rng *r, uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(rng_below(r, 4) ? 'a' + rng_below(r, 26) : rng_next(r));
}

/* Generate a random model; size scales the number of records. */
static inline void model_random(struct model *m, uint64_t seed, size_t size)
{
	struct rng r = {seed * 0x9E3779B97F4A7C15ULL + 1};
	uint64_t cursor = 0x7f0000000000ULL + rng_below(&r, 1 << 20) * 16;

	memset(m, 0, sizeof(*m));
	m->n_strings = rng_below(&r, size + 1);
	m->strings = xcalloc(m->n_strings, sizeof(*m->strings));
	for (size_t i = 0; i < m->n_strings; i++) {
		uint64_t len = rng_below(&r, 10) ? rng_below(&r, 24) : rng_below(&r, 3000);
		uint8_t *s = xcalloc(len + 1, 1);

		rng_bytes(&r, s, len);
		m->strings[i].s = s;
		m->strings[i].len = len;
	}
	m->n_types = 1 + rng_below(&r, size / 4 + 1);
	m->types = xcalloc(m->n_types, sizeof(*m->types));
	for (size_t i = 0; i < m->n_types; i++) {
		struct ph_type_rec *t = &m->types[i];

		t->address = rng_addr(&r, &cursor);
		t->module = rng_below(&r, m->n_strings + 1);
		t->qualname = rng_below(&r, m->n_strings + 1);
		t->base = i ? rng_below(&r, i + 1) : 0; /* base id + 1 <= i: acyclic */
		t->basicsize = rng_num(&r);
		t->itemsize = rng_num(&r);
		t->flags = rng_num(&r);
	}
	m->n_objects = rng_below(&r, size * 4 + 1);
	m->objects = xcalloc(m->n_objects, sizeof(*m->objects));
	m->values = xcalloc(m->n_objects, sizeof(*m->values));
	m->edges = xcalloc(m->n_objects, sizeof(*m->edges));
	m->n_edges = xcalloc(m->n_objects, sizeof(*m->n_edges));
	for (size_t i = 0; i < m->n_objects; i++) {
		struct ph_object_rec *o = &m->objects[i];
		struct ph_value *v = &o->value;

		o->address = rng_addr(&r, &cursor);
		for (size_t j = 0; j < i; j++) /* keep addresses unique */
			if (m->objects[j].address == o->address) {
				o->address = (cursor += 16);
				j = (size_t)-1;
			}
		o->type = rng_below(&r, m->n_types);
		o->size = rng_num(&r) >> 20; /* sizes must add up to less than 2^64 (refcount keeps the extremes) */
		o->refcount = rng_num(&r);
		o->flags = (uint8_t)(rng_next(&r) & (PH_FMT_OBJ_GC | PH_FMT_OBJ_IMMORTAL |
						   PH_FMT_OBJ_STATIC));
		v->kind = (uint8_t)rng_below(&r, PH_FMT_VAL_MAX + 1);
		if (v->kind)
			o->flags |= PH_FMT_OBJ_VALUE;
		v->flags = v->kind ? (uint8_t)rng_below(&r, 4) : 0;
		switch (v->kind) {
		case PH_FMT_VAL_STR:
		case PH_FMT_VAL_BYTES:
		case PH_FMT_VAL_TEXT:
		case PH_FMT_VAL_BIGINT: {
			uint64_t n = rng_below(&r, 8) ? rng_below(&r, 40) : rng_below(&r, 5000);

			m->values[i] = xcalloc(n + 1, 1);
			rng_bytes(&r, m->values[i], n);
			v->data = m->values[i];
			v->data_len = n;
			if (v->kind != PH_FMT_VAL_TEXT)
				v->length = rng_num(&r);
			if (v->kind == PH_FMT_VAL_BIGINT)
				v->sign = (uint8_t)rng_below(&r, 2);
			break;
		}
		case PH_FMT_VAL_INT:
			v->i = (int64_t)rng_num(&r);
			break;
		case PH_FMT_VAL_FLOAT: {
			uint64_t bits = rng_next(&r);

			memcpy(&v->f, &bits, 8);
			break;
		}
		case PH_FMT_VAL_BOOL:
			v->b = rng_below(&r, 2);
			break;
		default:
			break;
		}
	}
	for (size_t i = 0; i < m->n_objects; i++) {
		size_t n = rng_below(&r, 4) ? rng_below(&r, 5) : rng_below(&r, 200);

		if (rng_below(&r, 500) == 0)
			n = 20000 + rng_below(&r, 40000); /* a long list: split records */
		m->n_edges[i] = n;
		m->edges[i] = xcalloc(n, sizeof(struct ph_edge_rec));
		for (size_t k = 0; k < n; k++) {
			struct ph_edge_rec *e = &m->edges[i][k];

			e->kind = (uint8_t)rng_below(&r, PH_FMT_LABEL_MAX + 1);
			e->flags = rng_below(&r, 8) ? 0 : PH_FMT_EDGE_WEAK;
			e->target = rng_below(&r, 10) ? m->objects[rng_below(&r, m->n_objects)].address
						      : rng_num(&r); /* may dangle */
			switch (e->kind) {
			case PH_FMT_LABEL_INDEX:
				e->label = rng_below(&r, 2) ? k : rng_num(&r);
				break;
			case PH_FMT_LABEL_FIELD:
			case PH_FMT_LABEL_INTERNAL:
				e->label = m->n_strings ? 1 + rng_below(&r, m->n_strings) : 0;
				if (!e->label)
					e->kind = PH_FMT_LABEL_NONE;
				break;
			case PH_FMT_LABEL_ATTR:
			case PH_FMT_LABEL_KEY:
			case PH_FMT_LABEL_ENTRY:
				e->label = m->objects[rng_below(&r, m->n_objects)].address;
				break;
			default:
				break;
			}
		}
	}
	m->n_threads = rng_below(&r, 4);
	m->threads = xcalloc(m->n_threads, sizeof(*m->threads));
	for (size_t i = 0; i < m->n_threads; i++) {
		struct mthread *t = &m->threads[i];

		t->t.ident = rng_num(&r);
		t->t.native_id = rng_num(&r);
		t->t.name = rng_below(&r, m->n_strings + 1);
		t->t.flags = (uint8_t)rng_below(&r, 4);
		t->t.n_frames = rng_below(&r, 30);
		t->frames = xcalloc(t->t.n_frames, sizeof(*t->frames));
		t->t.frames = t->frames;
		for (size_t j = 0; j < t->t.n_frames; j++) {
			struct ph_frame_rec *f = &t->frames[j];
			struct ph_local_rec *locals;

			f->function = rng_below(&r, m->n_strings + 1);
			f->filename = rng_below(&r, m->n_strings + 1);
			f->line = rng_num(&r);
			f->code = rng_num(&r);
			f->frame = rng_num(&r);
			f->n_locals = m->n_objects ? rng_below(&r, 12) : 0;
			locals = xcalloc(f->n_locals, sizeof(*locals));
			for (size_t k = 0; k < f->n_locals; k++) {
				locals[k].name = rng_below(&r, m->n_strings + 1);
				locals[k].address = m->objects[rng_below(&r, m->n_objects)].address;
			}
			f->locals = locals;
		}
	}
	m->n_roots = m->n_objects ? rng_below(&r, 10) : 0;
	m->roots = xcalloc(m->n_roots, sizeof(*m->roots));
	for (size_t i = 0; i < m->n_roots; i++) {
		m->roots[i].kind = (uint8_t)(1 + rng_below(&r, 4));
		m->roots[i].label = rng_below(&r, m->n_strings + 1);
		m->roots[i].address = m->objects[rng_below(&r, m->n_objects)].address;
	}
	m->n_meta = rng_below(&r, 8);
	m->meta = xcalloc(m->n_meta, sizeof(*m->meta));
	for (size_t i = 0; i < m->n_meta; i++) {
		struct mmeta *mm = &m->meta[i];
		uint8_t tmp[PH_VARINT_MAX];

		snprintf(mm->key, sizeof(mm->key), "key%zu", i);
		mm->type = (uint8_t)(1 + rng_below(&r, 5));
		switch (mm->type) {
		case PH_FMT_META_INT:
		case PH_FMT_META_UINT:
			mm->len = ph_varint_encode(tmp, rng_num(&r));
			mm->val = xdup(tmp, mm->len);
			break;
		case PH_FMT_META_FLOAT: {
			double d = (double)rng_num(&r) / 3.0;

			mm->len = 8;
			mm->val = xdup(&d, 8);
			break;
		}
		case PH_FMT_META_BOOL:
			mm->len = 1;
			mm->val = xdup("\1", 1);
			break;
		default:
			mm->len = rng_below(&r, 30);
			mm->val = xcalloc(mm->len + 1, 1);
			rng_bytes(&r, mm->val, mm->len);
		}
	}
}

static inline void model_free(struct model *m)
{
	for (size_t i = 0; i < m->n_strings; i++)
		free(m->strings[i].s);
	for (size_t i = 0; i < m->n_objects; i++) {
		free(m->values[i]);
		free(m->edges[i]);
	}
	for (size_t i = 0; i < m->n_threads; i++) {
		for (size_t j = 0; j < m->threads[i].t.n_frames; j++)
			free((void *)m->threads[i].frames[j].locals);
		free(m->threads[i].frames);
	}
	for (size_t i = 0; i < m->n_meta; i++)
		free(m->meta[i].val);
	free(m->strings);
	free(m->types);
	free(m->objects);
	free(m->values);
	free(m->edges);
	free(m->n_edges);
	free(m->threads);
	free(m->roots);
	free(m->meta);
	memset(m, 0, sizeof(*m));
}

/*
 * Write m with w (already open), interleaving sections in an order picked by
 * seed, then close. Returns 0 or the writer's error.
 */
/* The native parts model_write() gives object id: every third object owns some. */
static inline void model_native_of(uint64_t id, struct ph_native_rec *n)
{
	n->id = id;
	n->n_parts = 0;
	n->total = 0;
	if (id % 3 != 1)
		return;
	n->parts[n->n_parts].what = PH_FMT_NATIVE_NUMPY;
	n->parts[n->n_parts++].bytes = id * 8 + 8;
	if (id % 6 == 1) {
		n->parts[n->n_parts].what = PH_FMT_NATIVE_VALUES;
		n->parts[n->n_parts++].bytes = 40;
	}
	for (uint32_t i = 0; i < n->n_parts; i++)
		n->total += n->parts[i].bytes;
}

static inline int model_write(const struct model *m, struct ph_writer *w, uint64_t seed)
{
	struct ph_native_rec nr;
	struct rng r = {seed ^ 0xabcdef12345ULL};
	size_t si = 0, ti = 0, oi = 0, thi = 0, ri = 0, mi = 0;
	int err = 0;

	while (!err && (si < m->n_strings || ti < m->n_types || oi < m->n_objects ||
			thi < m->n_threads || ri < m->n_roots || mi < m->n_meta)) {
		switch (rng_below(&r, 6)) {
		case 0:
			if (si < m->n_strings) {
				uint64_t sref;

				err = ph_writer_string_new(w, m->strings[si].s, m->strings[si].len, &sref);
				if (!err && sref != si + 1)
					err = ph_error(PH_EINVAL, "sref %llu for string %zu",
						       (unsigned long long)sref, si);
				si++;
			}
			break;
		case 1:
			if (ti < m->n_types) {
				uint64_t id;

				err = ph_writer_type(w, &m->types[ti], &id);
				if (!err && id != ti)
					err = ph_error(PH_EINVAL, "type id %llu for type %zu",
						       (unsigned long long)id, ti);
				ti++;
			}
			break;
		case 2:
		case 3:
			if (oi < m->n_objects) {
				uint64_t id;

				err = ph_writer_object(w, &m->objects[oi], &id);
				for (size_t k = 0; !err && k < m->n_edges[oi]; k++)
					err = ph_writer_edge(w, &m->edges[oi][k]);
				model_native_of(id, &nr);
				if (!err && nr.n_parts)
					err = ph_writer_native(w, &nr);
				oi++;
			}
			break;
		case 4:
			if (thi < m->n_threads)
				err = ph_writer_thread(w, &m->threads[thi++].t);
			if (!err && ri < m->n_roots)
				err = ph_writer_root(w, &m->roots[ri++]);
			break;
		case 5:
			if (mi < m->n_meta) {
				struct ph_meta_rec mr;

				memset(&mr, 0, sizeof(mr));
				mr.key = (const uint8_t *)m->meta[mi].key;
				mr.key_len = strlen(m->meta[mi].key);
				mr.type = m->meta[mi].type;
				mr.value = m->meta[mi].val;
				mr.value_len = m->meta[mi].len;
				err = ph_writer_meta_raw(w, &mr);
				mi++;
			}
			break;
		}
	}
	return err ? err : ph_writer_close(w);
}

/* Write m to a buffer, raw or zstd, with the given chunk size. */
static inline int model_to_buf(const struct model *m, struct ph_buf *out, bool zstd,
			       size_t chunk_size, uint64_t seed)
{
	struct ph_writer_opts o = {0};
	struct ph_codec *codec = zstd ? ph_zstd_codec_new(1) : NULL;
	struct ph_writer w;
	struct ph_sink sink;
	int err;

	o.codec = codec;
	o.chunk_size = chunk_size;
	o.file_id = seed + 1;
	ph_sink_buf(&sink, out);
	err = ph_writer_open(&w, &sink, &o);
	if (!err)
		err = model_write(m, &w, seed);
	ph_writer_release(&w);
	ph_zstd_codec_free(codec);
	return err;
}

/* Accumulates records decoded from a file, in section order. */
struct model_reader {
	struct model *m;
	size_t cap_strings, cap_types, cap_objects, cap_threads, cap_roots, cap_meta;
	uint64_t last_src;
	bool have_src;
};

static inline int model_take_chunk(struct model_reader *mr, struct ph_cursor *c)
{
	struct model *m = mr->m;
	int err = 0;

	while (!err && ph_cursor_more(c)) {
		switch (c->chunk.kind) {
		case PH_FMT_KIND_STRINGS: {
			const uint8_t *s;
			uint64_t len;

			err = ph_read_string(c, &s, &len);
			if (err || (err = PH_ARRAY_RESERVE(m->strings, mr->cap_strings, m->n_strings + 1)))
				break;
			m->strings[m->n_strings].s = xdup(s, len);
			m->strings[m->n_strings++].len = len;
			break;
		}
		case PH_FMT_KIND_TYPES:
			if ((err = PH_ARRAY_RESERVE(m->types, mr->cap_types, m->n_types + 1)))
				break;
			err = ph_read_type(c, &m->types[m->n_types]);
			if (!err)
				m->n_types++;
			break;
		case PH_FMT_KIND_OBJECTS: {
			struct ph_object_rec o;
			size_t old = mr->cap_objects;

			err = ph_read_object(c, &o);
			if (err || (err = PH_ARRAY_RESERVE(m->objects, mr->cap_objects, m->n_objects + 1)))
				break;
			if (mr->cap_objects != old) {
				m->values = realloc(m->values, mr->cap_objects * sizeof(*m->values));
				m->edges = realloc(m->edges, mr->cap_objects * sizeof(*m->edges));
				m->n_edges = realloc(m->n_edges, mr->cap_objects * sizeof(*m->n_edges));
				if (!m->values || !m->edges || !m->n_edges)
					abort();
			}
			m->values[m->n_objects] = NULL;
			m->edges[m->n_objects] = NULL;
			m->n_edges[m->n_objects] = 0;
			if (o.value.data) {
				m->values[m->n_objects] = xdup(o.value.data, o.value.data_len);
				o.value.data = m->values[m->n_objects];
			}
			m->objects[m->n_objects++] = o;
			break;
		}
		case PH_FMT_KIND_EDGES: {
			uint64_t src, saddr, n;

			err = ph_read_edges(c, &src, &saddr, &n);
			if (err)
				break;
			if (src >= m->n_objects || m->objects[src].address != saddr ||
			    (mr->have_src && src < mr->last_src)) {
				err = ph_error(PH_ECORRUPT, "edge source %llu does not fit",
					       (unsigned long long)src);
				break;
			}
			mr->last_src = src;
			mr->have_src = true;
			m->edges[src] = realloc(m->edges[src],
						(m->n_edges[src] + n) * sizeof(struct ph_edge_rec));
			if (!m->edges[src])
				abort();
			for (uint64_t k = 0; !err && k < n; k++)
				err = ph_read_edge(c, &m->edges[src][m->n_edges[src]++]);
			break;
		}
		case PH_FMT_KIND_THREADS: {
			struct ph_thread_rec t;
			struct mthread *mt;

			err = ph_read_thread(c, &t);
			if (err || (err = PH_ARRAY_RESERVE(m->threads, mr->cap_threads, m->n_threads + 1)))
				break;
			mt = &m->threads[m->n_threads++];
			mt->t = t;
			mt->frames = xcalloc(t.n_frames, sizeof(*mt->frames));
			mt->t.frames = mt->frames;
			for (size_t j = 0; j < t.n_frames; j++) {
				struct ph_local_rec *locals = xcalloc(t.frames[j].n_locals,
								      sizeof(*locals));

				mt->frames[j] = t.frames[j];
				if (t.frames[j].n_locals)
					memcpy(locals, t.frames[j].locals,
					       t.frames[j].n_locals * sizeof(*locals));
				mt->frames[j].locals = locals;
			}
			break;
		}
		case PH_FMT_KIND_ROOTS:
			if ((err = PH_ARRAY_RESERVE(m->roots, mr->cap_roots, m->n_roots + 1)))
				break;
			err = ph_read_root(c, &m->roots[m->n_roots]);
			if (!err)
				m->n_roots++;
			break;
		case PH_FMT_KIND_META: {
			struct ph_meta_rec rec;
			struct mmeta *mm;

			err = ph_read_meta(c, &rec);
			if (err || (err = PH_ARRAY_RESERVE(m->meta, mr->cap_meta, m->n_meta + 1)))
				break;
			mm = &m->meta[m->n_meta++];
			memset(mm, 0, sizeof(*mm));
			snprintf(mm->key, sizeof(mm->key), "%.*s", (int)rec.key_len,
				 (const char *)rec.key);
			mm->type = rec.type;
			mm->val = xdup(rec.value, rec.value_len);
			mm->len = rec.value_len;
			break;
		}
		case PH_FMT_KIND_NATIVE: {
			struct ph_native_rec nr;

			err = ph_read_native(c, &nr);
			if (!err) {
				m->n_native++;
				m->native_total += nr.total;
			}
			break;
		}
		default:
			return ph_error(PH_EINVAL, "unexpected chunk kind %u", c->chunk.kind);
		}
	}
	return err ? err : ph_cursor_finish(c);
}

/* Read a whole dump file (seekable) into m. */
static inline int model_read_file(struct model *m, const char *path)
{
	struct model_reader mr = {.m = m};
	struct ph_reader *r;
	struct ph_cursor c;
	int err;

	memset(m, 0, sizeof(*m));
	memset(&c, 0, sizeof(c));
	err = ph_reader_open(&r, path);
	for (size_t i = 0; !err && i < r->n_chunks; i++) {
		const uint8_t *data;
		size_t len;

		err = ph_reader_load(r, i, &data, &len);
		if (err)
			break;
		ph_cursor_init(&c, &r->chunks[i], i, data, len);
		err = model_take_chunk(&mr, &c);
	}
	ph_cursor_release(&c);
	ph_reader_free(r);
	return err;
}

/* Read a dump front to back from fd into m. */
static inline int model_read_stream(struct model *m, int fd)
{
	struct model_reader mr = {.m = m};
	struct ph_reader *r;
	struct ph_cursor c;
	int err, k;

	memset(m, 0, sizeof(*m));
	memset(&c, 0, sizeof(c));
	err = ph_reader_open_stream(&r, fd, "stream");
	while (!err) {
		struct ph_chunk_info ci;
		const uint8_t *data;
		size_t len;

		k = ph_reader_next(r, &ci, &data, &len);
		if (k <= 0) {
			err = k;
			break;
		}
		ph_cursor_init(&c, &ci, r->n_chunks - 1, data, len);
		err = model_take_chunk(&mr, &c);
	}
	ph_cursor_release(&c);
	ph_reader_free(r);
	return err;
}

/* Compare two models; returns NULL if equal, else a static description. */
static inline const char *model_diff(const struct model *a, const struct model *b)
{
	static char why[256];

#define DIFF(...) (snprintf(why, sizeof(why), __VA_ARGS__), why)
	if (a->n_strings != b->n_strings)
		return DIFF("strings: %zu vs %zu", a->n_strings, b->n_strings);
	for (size_t i = 0; i < a->n_strings; i++)
		if (a->strings[i].len != b->strings[i].len ||
		    memcmp(a->strings[i].s, b->strings[i].s, a->strings[i].len))
			return DIFF("string %zu differs", i);
	if (a->n_types != b->n_types)
		return DIFF("types: %zu vs %zu", a->n_types, b->n_types);
	if (a->n_types && memcmp(a->types, b->types, a->n_types * sizeof(*a->types)))
		return DIFF("a type differs");
	if (a->n_objects != b->n_objects)
		return DIFF("objects: %zu vs %zu", a->n_objects, b->n_objects);
	{ /* b was read back from what model_write() made of a: its NATIVE records */
		struct ph_native_rec nr;
		uint64_t n = 0, total = 0;

		for (size_t i = 0; i < a->n_objects; i++) {
			model_native_of(i, &nr);
			n += nr.n_parts != 0;
			total += nr.total;
		}
		if (b->n_native != n || b->native_total != total)
			return DIFF("native: %llu records of %llu bytes vs %llu of %llu",
				    (unsigned long long)n, (unsigned long long)total,
				    (unsigned long long)b->n_native, (unsigned long long)b->native_total);
	}
	for (size_t i = 0; i < a->n_objects; i++) {
		const struct ph_object_rec *x = &a->objects[i], *y = &b->objects[i];
		const struct ph_value *u = &x->value, *v = &y->value;

		if (x->address != y->address || x->type != y->type || x->size != y->size ||
		    x->refcount != y->refcount || x->flags != y->flags)
			return DIFF("object %zu header differs", i);
		if (u->kind != v->kind || u->flags != v->flags || u->length != v->length ||
		    u->data_len != v->data_len || u->i != v->i || u->b != v->b ||
		    u->sign != v->sign || memcmp(&u->f, &v->f, 8) ||
		    (u->data_len && memcmp(u->data, v->data, u->data_len)))
			return DIFF("object %zu value differs (kind %u)", i, u->kind);
		if (a->n_edges[i] != b->n_edges[i])
			return DIFF("object %zu: %zu vs %zu edges", i, a->n_edges[i], b->n_edges[i]);
		for (size_t k = 0; k < a->n_edges[i]; k++) {
			const struct ph_edge_rec *e = &a->edges[i][k], *f = &b->edges[i][k];

			if (e->kind != f->kind || e->flags != f->flags || e->label != f->label ||
			    e->target != f->target)
				return DIFF("object %zu edge %zu differs", i, k);
		}
	}
	if (a->n_threads != b->n_threads)
		return DIFF("threads: %zu vs %zu", a->n_threads, b->n_threads);
	for (size_t i = 0; i < a->n_threads; i++) {
		const struct ph_thread_rec *x = &a->threads[i].t, *y = &b->threads[i].t;

		if (x->ident != y->ident || x->native_id != y->native_id || x->name != y->name ||
		    x->flags != y->flags || x->n_frames != y->n_frames)
			return DIFF("thread %zu differs", i);
		for (size_t j = 0; j < x->n_frames; j++) {
			const struct ph_frame_rec *f = &a->threads[i].frames[j];
			const struct ph_frame_rec *g = &b->threads[i].frames[j];

			if (f->function != g->function || f->filename != g->filename ||
			    f->line != g->line || f->code != g->code || f->frame != g->frame ||
			    f->n_locals != g->n_locals ||
			    (f->n_locals &&
			     memcmp(f->locals, g->locals, f->n_locals * sizeof(*f->locals))))
				return DIFF("thread %zu frame %zu differs", i, j);
		}
	}
	if (a->n_roots != b->n_roots)
		return DIFF("roots: %zu vs %zu", a->n_roots, b->n_roots);
	for (size_t i = 0; i < a->n_roots; i++)
		if (a->roots[i].kind != b->roots[i].kind || a->roots[i].label != b->roots[i].label ||
		    a->roots[i].address != b->roots[i].address)
			return DIFF("root %zu differs", i);
	if (a->n_meta != b->n_meta)
		return DIFF("meta: %zu vs %zu", a->n_meta, b->n_meta);
	for (size_t i = 0; i < a->n_meta; i++)
		if (strcmp(a->meta[i].key, b->meta[i].key) || a->meta[i].type != b->meta[i].type ||
		    a->meta[i].len != b->meta[i].len ||
		    (a->meta[i].len && memcmp(a->meta[i].val, b->meta[i].val, a->meta[i].len)))
			return DIFF("meta %zu differs", i);
#undef DIFF
	return NULL;
}

/* Write buf to a fresh temporary file; returns its path (static buffer per call site). */
static inline int write_temp(const struct ph_buf *b, char *path, size_t n)
{
	FILE *f;
	int fd;

	snprintf(path, n, "/tmp/pyheap-test-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return PH_EIO;
	f = fdopen(fd, "wb");
	if (!f)
		return PH_EIO;
	if (b->len && fwrite(b->data, 1, b->len, f) != b->len) {
		fclose(f);
		return PH_EIO;
	}
	return fclose(f) ? PH_EIO : 0;
}

#endif
