/* SPDX-License-Identifier: MIT */
/*
 * writer.c - streaming writer of .pyheap files (see writer.h, docs/format.md).
 *
 * Invariants: sect[k].buf holds only whole records of kind k, and at most
 * about opts.chunk_size bytes before it is flushed; the delta bases
 * (prev_addr, prev_id) describe the last record in sect[k].buf and restart at
 * 0 with each chunk. The current object's edges wait in cur_edges until the
 * next object, a flush of a long list, or close().
 */
#include "format/writer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "common/error.h"
#include "common/hash.h"

#define DEFAULT_CHUNK_SIZE ((size_t)1 << 20)

/* ---- sinks ---- */

static int fd_write(void *ctx, const void *p, size_t n)
{
	int fd = *(int *)ctx;
	const uint8_t *q = p;

	while (n) {
		ssize_t k = write(fd, q, n);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return ph_error_errno(PH_EIO, errno, "cannot write the dump");
		}
		q += k;
		n -= (size_t)k;
	}
	return 0;
}

void ph_sink_fd(struct ph_sink *s, int *fd)
{
	s->write = fd_write;
	s->ctx = fd;
}

static int buf_write(void *ctx, const void *p, size_t n)
{
	return ph_buf_put(ctx, p, n);
}

void ph_sink_buf(struct ph_sink *s, struct ph_buf *b)
{
	s->write = buf_write;
	s->ctx = b;
}

/* ---- low-level output ---- */

static int emit(struct ph_writer *w, const void *p, size_t n)
{
	int err = w->sink.write(w->sink.ctx, p, n);

	if (err) {
		w->failed = true;
		return err;
	}
	w->offset += n;
	return 0;
}

void ph_fmt_chunk_header(uint8_t *out, uint32_t kind, uint8_t encoding, uint64_t stored_len,
			 uint64_t raw_len, uint64_t count, uint64_t checksum)
{
	memset(out, 0, PH_FMT_CHUNK_HEADER_SIZE);
	memcpy(out, PH_FMT_CHUNK_MAGIC, 4);
	ph_put_le32(out + 4, kind);
	out[8] = encoding;
	ph_put_le64(out + 16, stored_len);
	ph_put_le64(out + 24, raw_len);
	ph_put_le64(out + 32, count);
	ph_put_le64(out + 40, checksum);
	ph_put_le64(out + 48, ph_xxh3(out, 48));
}

/* Write one chunk (header + payload) and its TOC entry. */
static int write_chunk(struct ph_writer *w, uint32_t kind, uint8_t encoding, const uint8_t *stored,
		       size_t stored_len, size_t raw_len, uint64_t count)
{
	uint8_t hdr[PH_FMT_CHUNK_HEADER_SIZE];
	uint8_t ent[PH_FMT_TOC_ENTRY_SIZE];
	uint64_t sum = ph_xxh3(stored, stored_len);
	uint64_t at = w->offset;
	int err;

	ph_fmt_chunk_header(hdr, kind, encoding, stored_len, raw_len, count, sum);
	if (kind == PH_FMT_KIND_TOC) /* the TOC lists every chunk but itself */
		goto write;
	memset(ent, 0, sizeof(ent));
	ph_put_le64(ent, at);
	ph_put_le32(ent + 8, kind);
	ent[12] = encoding;
	ph_put_le64(ent + 16, stored_len);
	ph_put_le64(ent + 24, raw_len);
	ph_put_le64(ent + 32, count);
	ph_put_le64(ent + 40, sum);
	err = ph_buf_put(&w->toc, ent, sizeof(ent));
	if (err)
		goto fail;
write:
	err = emit(w, hdr, sizeof(hdr));
	if (err)
		goto fail;
	err = emit(w, stored, stored_len);
	if (err)
		goto fail;
	return 0;
fail:
	w->failed = true;
	return err;
}

/* Compress (if a codec is set) and write a raw payload as one chunk. */
static int put_payload(struct ph_writer *w, uint32_t kind, const uint8_t *raw, size_t len,
		       uint64_t count)
{
	const struct ph_codec *c = w->opts.codec;
	size_t out;
	int err;

	if (len > PH_FMT_CHUNK_RAW_MAX) {
		w->failed = true;
		return ph_error(PH_ELIMIT, "a chunk of %zu bytes exceeds the format's limit", len);
	}
	if (!c || len == 0)
		return write_chunk(w, kind, PH_FMT_ENC_RAW, raw, len, len, count);
	w->scratch.len = 0;
	err = ph_buf_reserve(&w->scratch, c->bound(c->ctx, len));
	if (err)
		goto fail;
	err = c->compress(c->ctx, raw, len, w->scratch.data, w->scratch.cap, &out);
	if (err)
		goto fail;
	/* incompressible, or so compressible that readers would refuse it: store raw */
	if (out >= len || len > PH_FMT_RAW_FOR_STORED(out))
		return write_chunk(w, kind, PH_FMT_ENC_RAW, raw, len, len, count);
	return write_chunk(w, kind, c->encoding, w->scratch.data, out, len, count);
fail:
	w->failed = true;
	return err;
}

static int flush_section(struct ph_writer *w, uint32_t kind)
{
	struct ph_writer_section *s = &w->sect[kind];
	int err;

	if (!s->count)
		return 0;
	/* an EDGES chunk never comes before the OBJECTS chunk of its sources */
	if (kind == PH_FMT_KIND_EDGES) {
		err = flush_section(w, PH_FMT_KIND_OBJECTS);
		if (err)
			return err;
	}
	err = put_payload(w, kind, s->buf.data, s->buf.len, s->count);
	s->buf.len = 0;
	s->count = 0;
	s->prev_addr = 0;
	s->prev_id = 0;
	s->has_prev = false;
	return err;
}

/* Account for one record just appended to section kind; flush if full. */
static int record_done(struct ph_writer *w, uint32_t kind)
{
	struct ph_writer_section *s = &w->sect[kind];

	s->count++;
	s->total++;
	if (s->buf.len >= w->opts.chunk_size)
		return flush_section(w, kind);
	return 0;
}

static int check_usable(struct ph_writer *w)
{
	if (w->failed)
		return ph_error(PH_EINVAL, "the writer failed earlier");
	if (w->closed)
		return ph_error(PH_EINVAL, "the writer is closed");
	return 0;
}

/* Roll back a partly appended record after an allocation failure. */
static int fail_record(struct ph_writer *w, uint32_t kind, size_t mark, int err)
{
	w->sect[kind].buf.len = mark;
	w->failed = true;
	return err;
}

/* ---- open ---- */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int ph_writer_open(struct ph_writer *w, const struct ph_sink *sink,
		   const struct ph_writer_opts *opts)
{
	uint8_t hdr[PH_FMT_HEADER_SIZE];

	memset(w, 0, sizeof(*w));
	w->sink = *sink;
	if (opts)
		w->opts = *opts;
	if (!w->opts.chunk_size)
		w->opts.chunk_size = DEFAULT_CHUNK_SIZE;
	if (w->opts.chunk_size > PH_FMT_CHUNK_RAW_MAX / 4)
		w->opts.chunk_size = PH_FMT_CHUNK_RAW_MAX / 4;
	while (!w->opts.file_id) {
		uint64_t id = 0;

		if (getrandom(&id, sizeof(id), GRND_NONBLOCK) != sizeof(id))
			id = ph_mix64((uint64_t)getpid() ^ (uint64_t)(uintptr_t)w ^ now_ns());
		w->opts.file_id = id;
	}
	memset(hdr, 0, sizeof(hdr));
	memcpy(hdr, PH_FMT_MAGIC, 8);
	ph_put_le16(hdr + 8, PH_FMT_MAJOR);
	ph_put_le16(hdr + 10, PH_FMT_MINOR);
	ph_put_le32(hdr + 12, PH_FMT_HEADER_SIZE);
	ph_put_le64(hdr + 16, w->opts.file_id);
	ph_put_le64(hdr + 24, ph_xxh3(hdr, 24));
	return emit(w, hdr, sizeof(hdr));
}

/* ---- metadata ---- */

static int meta(struct ph_writer *w, const char *key, uint8_t type, const void *val, size_t len)
{
	struct ph_writer_section *s = &w->sect[PH_FMT_KIND_META];
	size_t mark = s->buf.len;
	size_t klen = strlen(key);
	int err = check_usable(w);

	if (err)
		return err;
	if (!klen)
		return ph_error(PH_EINVAL, "empty metadata key");
	if ((err = ph_buf_put_varint(&s->buf, klen)) || (err = ph_buf_put(&s->buf, key, klen)) ||
	    (err = ph_buf_put_u8(&s->buf, type)) || (err = ph_buf_put_varint(&s->buf, len)) ||
	    (err = ph_buf_put(&s->buf, val, len)))
		return fail_record(w, PH_FMT_KIND_META, mark, err);
	return record_done(w, PH_FMT_KIND_META);
}

int ph_writer_meta_str(struct ph_writer *w, const char *key, const char *value)
{
	return meta(w, key, PH_FMT_META_STR, value, strlen(value));
}

int ph_writer_meta_int(struct ph_writer *w, const char *key, int64_t value)
{
	uint8_t tmp[PH_VARINT_MAX];

	return meta(w, key, PH_FMT_META_INT, tmp, ph_varint_encode(tmp, ph_zigzag(value)));
}

int ph_writer_meta_uint(struct ph_writer *w, const char *key, uint64_t value)
{
	uint8_t tmp[PH_VARINT_MAX];

	return meta(w, key, PH_FMT_META_UINT, tmp, ph_varint_encode(tmp, value));
}

int ph_writer_meta_float(struct ph_writer *w, const char *key, double value)
{
	uint8_t tmp[8];

	memcpy(tmp, &value, 8);
	return meta(w, key, PH_FMT_META_FLOAT, tmp, 8);
}

int ph_writer_meta_bool(struct ph_writer *w, const char *key, bool value)
{
	uint8_t b = value ? 1 : 0;

	return meta(w, key, PH_FMT_META_BOOL, &b, 1);
}

int ph_writer_meta_strlist(struct ph_writer *w, const char *key, const char *const *v, size_t n)
{
	struct ph_buf tmp = PH_BUF_INIT;
	int err = 0;

	for (size_t i = 0; i < n && !err; i++) {
		size_t len = strlen(v[i]);

		err = ph_buf_put_varint(&tmp, len);
		if (!err)
			err = ph_buf_put(&tmp, v[i], len);
	}
	if (!err)
		err = meta(w, key, PH_FMT_META_STRLIST, tmp.data, tmp.len);
	else
		w->failed = true;
	ph_buf_release(&tmp);
	return err;
}

int ph_writer_meta_raw(struct ph_writer *w, const struct ph_meta_rec *m)
{
	char key[256];

	if (m->key_len == 0 || m->key_len >= sizeof(key))
		return ph_error(PH_EINVAL, "metadata key of %llu bytes", (unsigned long long)m->key_len);
	memcpy(key, m->key, m->key_len);
	key[m->key_len] = '\0';
	return meta(w, key, m->type, m->value, m->value_len);
}

/* ---- strings ---- */

static int strtab_grow(struct ph_strtab *t)
{
	size_t cap = t->slots ? (t->mask + 1) * 2 : 256;
	struct ph_strtab_slot *slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return ph_error(PH_ENOMEM, "cannot allocate the string table");
	for (size_t i = 0; t->slots && i <= t->mask; i++) {
		struct ph_strtab_slot *s = &t->slots[i];
		size_t j;

		if (!s->sref)
			continue;
		j = s->hash & (cap - 1);
		while (slots[j].sref)
			j = (j + 1) & (cap - 1);
		slots[j] = *s;
	}
	free(t->slots);
	t->slots = slots;
	t->mask = cap - 1;
	return 0;
}

int ph_writer_string_new(struct ph_writer *w, const void *s, size_t len, uint64_t *sref)
{
	struct ph_writer_section *sec = &w->sect[PH_FMT_KIND_STRINGS];
	size_t mark = sec->buf.len;
	int err = check_usable(w);

	if (err)
		return err;
	if (len > PH_FMT_CHUNK_RAW_MAX / 2)
		return ph_error(PH_ELIMIT, "string of %zu bytes is too long", len);
	if ((err = ph_buf_put_varint(&sec->buf, len)) || (err = ph_buf_put(&sec->buf, s, len)))
		return fail_record(w, PH_FMT_KIND_STRINGS, mark, err);
	*sref = sec->total + 1;
	return record_done(w, PH_FMT_KIND_STRINGS);
}

int ph_writer_string(struct ph_writer *w, const void *s, size_t len, uint64_t *sref)
{
	struct ph_strtab *t = &w->strtab;
	uint64_t h = ph_xxh3(s, len);
	struct ph_strtab_slot *slot;
	size_t i;
	int err;

	if (!t->slots || (t->count + 1) * 2 > t->mask + 1) {
		err = strtab_grow(t);
		if (err) {
			w->failed = true;
			return err;
		}
	}
	for (i = h & t->mask;; i = (i + 1) & t->mask) {
		slot = &t->slots[i];
		if (!slot->sref)
			break;
		if (slot->hash == h && slot->len == len &&
		    memcmp(t->arena.data + slot->off, s, len) == 0) {
			*sref = slot->sref;
			return 0;
		}
	}
	err = ph_buf_put(&t->arena, s, len);
	if (err) {
		w->failed = true;
		return err;
	}
	err = ph_writer_string_new(w, s, len, sref);
	if (err)
		return err;
	slot->hash = h;
	slot->sref = *sref;
	slot->off = t->arena.len - len;
	slot->len = len;
	t->count++;
	return 0;
}

/* ---- types ---- */

int ph_writer_type(struct ph_writer *w, const struct ph_type_rec *t, uint64_t *id)
{
	struct ph_writer_section *s = &w->sect[PH_FMT_KIND_TYPES];
	size_t mark = s->buf.len;
	int err = check_usable(w);

	if (err)
		return err;
	if ((err = ph_buf_put_varint(&s->buf, t->address)) ||
	    (err = ph_buf_put_varint(&s->buf, t->module)) ||
	    (err = ph_buf_put_varint(&s->buf, t->qualname)) ||
	    (err = ph_buf_put_varint(&s->buf, t->base)) ||
	    (err = ph_buf_put_varint(&s->buf, t->basicsize)) ||
	    (err = ph_buf_put_varint(&s->buf, t->itemsize)) ||
	    (err = ph_buf_put_varint(&s->buf, t->flags)))
		return fail_record(w, PH_FMT_KIND_TYPES, mark, err);
	if (id)
		*id = s->total;
	return record_done(w, PH_FMT_KIND_TYPES);
}

/* ---- objects and edges ---- */

/* Emit the current object's pending edges as one EDGES record. */
static int flush_edges(struct ph_writer *w)
{
	struct ph_writer_section *s = &w->sect[PH_FMT_KIND_EDGES];
	size_t mark = s->buf.len;
	int err;

	if (!w->cur_nedges)
		return 0;
	if ((err = ph_buf_put_varint(&s->buf, w->cur_id - s->prev_id)) ||
	    (err = ph_buf_put_svarint(&s->buf, (int64_t)(w->cur_addr - s->prev_addr))) ||
	    (err = ph_buf_put_varint(&s->buf, w->cur_nedges)) ||
	    (err = ph_buf_put(&s->buf, w->cur_edges.data, w->cur_edges.len)))
		return fail_record(w, PH_FMT_KIND_EDGES, mark, err);
	s->prev_id = w->cur_id;
	s->prev_addr = w->cur_addr;
	w->cur_nedges = 0;
	w->cur_edges.len = 0;
	return record_done(w, PH_FMT_KIND_EDGES);
}

static int put_value(struct ph_buf *b, const struct ph_value *v)
{
	int err;

	if ((err = ph_buf_put_u8(b, v->kind)) || (err = ph_buf_put_u8(b, v->flags)))
		return err;
	switch (v->kind) {
	case PH_FMT_VAL_STR:
	case PH_FMT_VAL_BYTES:
		if ((err = ph_buf_put_varint(b, v->length)))
			return err;
		/* fall through */
	case PH_FMT_VAL_TEXT:
		if ((err = ph_buf_put_varint(b, v->data_len)))
			return err;
		return ph_buf_put(b, v->data, v->data_len);
	case PH_FMT_VAL_INT:
		return ph_buf_put_svarint(b, v->i);
	case PH_FMT_VAL_BIGINT:
		if ((err = ph_buf_put_u8(b, v->sign ? 1 : 0)) ||
		    (err = ph_buf_put_varint(b, v->length)) ||
		    (err = ph_buf_put_varint(b, v->data_len)))
			return err;
		return ph_buf_put(b, v->data, v->data_len);
	case PH_FMT_VAL_FLOAT: {
		uint8_t tmp[8];

		memcpy(tmp, &v->f, 8);
		return ph_buf_put(b, tmp, 8);
	}
	case PH_FMT_VAL_BOOL:
		return ph_buf_put_u8(b, v->b ? 1 : 0);
	case PH_FMT_VAL_NONE:
		return 0;
	default:
		return ph_error(PH_EINVAL, "unknown value kind %u", v->kind);
	}
}

int ph_writer_object(struct ph_writer *w, const struct ph_object_rec *o, uint64_t *id)
{
	struct ph_writer_section *s = &w->sect[PH_FMT_KIND_OBJECTS];
	size_t mark = s->buf.len;
	uint8_t flags = o->flags & (PH_FMT_OBJ_KNOWN & ~PH_FMT_OBJ_VALUE);
	int err = check_usable(w);

	if (err)
		return err;
	if (!o->address)
		return ph_error(PH_EINVAL, "object at address 0");
	if (o->value.kind && o->value.data_len > PH_FMT_CHUNK_RAW_MAX / 2)
		return ph_error(PH_ELIMIT, "value of %llu bytes is too long",
				(unsigned long long)o->value.data_len);
	err = flush_edges(w);
	if (err)
		return err;
	if (o->value.kind)
		flags |= PH_FMT_OBJ_VALUE;
	if ((err = ph_buf_put_svarint(&s->buf, (int64_t)(o->address - s->prev_addr))) ||
	    (err = ph_buf_put_varint(&s->buf, o->type)) ||
	    (err = ph_buf_put_varint(&s->buf, o->size)) ||
	    (err = ph_buf_put_varint(&s->buf, o->refcount)) ||
	    (err = ph_buf_put_u8(&s->buf, flags)) ||
	    (o->value.kind && (err = put_value(&s->buf, &o->value))))
		return fail_record(w, PH_FMT_KIND_OBJECTS, mark, err);
	s->prev_addr = o->address;
	w->have_object = true;
	w->cur_id = s->total;
	w->cur_addr = o->address;
	if (id)
		*id = s->total;
	return record_done(w, PH_FMT_KIND_OBJECTS);
}

int ph_writer_edge(struct ph_writer *w, const struct ph_edge_rec *e)
{
	struct ph_buf *b = &w->cur_edges;
	size_t mark = b->len;
	int err = check_usable(w);

	if (err)
		return err;
	if (!w->have_object)
		return ph_error(PH_EINVAL, "edge before any object");
	if (e->kind > PH_FMT_LABEL_MAX)
		return ph_error(PH_EINVAL, "unknown edge label kind %u", e->kind);
	if ((err = ph_buf_put_u8(b, (uint8_t)(e->kind | (e->flags & PH_FMT_EDGE_WEAK)))))
		goto fail;
	switch (e->kind) {
	case PH_FMT_LABEL_INDEX:
	case PH_FMT_LABEL_FIELD:
	case PH_FMT_LABEL_INTERNAL:
		err = ph_buf_put_varint(b, e->label);
		break;
	case PH_FMT_LABEL_ATTR:
	case PH_FMT_LABEL_KEY:
	case PH_FMT_LABEL_ENTRY:
		err = ph_buf_put_svarint(b, (int64_t)(e->label - w->cur_addr));
		break;
	default:
		break;
	}
	if (err || (err = ph_buf_put_svarint(b, (int64_t)(e->target - w->cur_addr))))
		goto fail;
	w->cur_nedges++;
	w->n_edges++;
	if (b->len >= w->opts.chunk_size / 2)
		return flush_edges(w);
	return 0;
fail:
	b->len = mark;
	w->failed = true;
	return err;
}

/* ---- threads and roots ---- */

int ph_writer_thread(struct ph_writer *w, const struct ph_thread_rec *t)
{
	struct ph_writer_section *s = &w->sect[PH_FMT_KIND_THREADS];
	struct ph_buf *b = &s->buf;
	size_t mark = b->len;
	int err = check_usable(w);

	if (err)
		return err;
	if ((err = ph_buf_put_varint(b, t->ident)) || (err = ph_buf_put_varint(b, t->native_id)) ||
	    (err = ph_buf_put_varint(b, t->name)) ||
	    (err = ph_buf_put_u8(b, t->flags & PH_FMT_THREAD_KNOWN)) ||
	    (err = ph_buf_put_varint(b, t->n_frames)))
		goto fail;
	for (uint64_t i = 0; i < t->n_frames; i++) {
		const struct ph_frame_rec *f = &t->frames[i];

		if ((err = ph_buf_put_varint(b, f->function)) ||
		    (err = ph_buf_put_varint(b, f->filename)) ||
		    (err = ph_buf_put_varint(b, f->line)) || (err = ph_buf_put_varint(b, f->code)) ||
		    (err = ph_buf_put_varint(b, f->frame)) ||
		    (err = ph_buf_put_varint(b, f->n_locals)))
			goto fail;
		for (uint64_t j = 0; j < f->n_locals; j++)
			if ((err = ph_buf_put_varint(b, f->locals[j].name)) ||
			    (err = ph_buf_put_varint(b, f->locals[j].address)))
				goto fail;
	}
	if (b->len - mark > PH_FMT_CHUNK_RAW_MAX / 2) {
		err = ph_error(PH_ELIMIT, "thread record of %zu bytes is too long", b->len - mark);
		goto fail;
	}
	return record_done(w, PH_FMT_KIND_THREADS);
fail:
	return fail_record(w, PH_FMT_KIND_THREADS, mark, err);
}

int ph_writer_root(struct ph_writer *w, const struct ph_root_rec *r)
{
	struct ph_writer_section *s = &w->sect[PH_FMT_KIND_ROOTS];
	size_t mark = s->buf.len;
	int err = check_usable(w);

	if (err)
		return err;
	if (!r->address)
		return ph_error(PH_EINVAL, "root at address 0");
	if ((err = ph_buf_put_u8(&s->buf, r->kind)) || (err = ph_buf_put_varint(&s->buf, r->label)) ||
	    (err = ph_buf_put_varint(&s->buf, r->address)))
		return fail_record(w, PH_FMT_KIND_ROOTS, mark, err);
	return record_done(w, PH_FMT_KIND_ROOTS);
}

int ph_writer_native(struct ph_writer *w, const struct ph_native_rec *n)
{
	struct ph_writer_section *s = &w->sect[PH_FMT_KIND_NATIVE];
	size_t mark = s->buf.len;
	int err = check_usable(w);

	if (err)
		return err;
	if (s->total && n->id <= w->native_last)
		return ph_error(PH_EINVAL, "native record for object %llu after %llu",
				(unsigned long long)n->id, (unsigned long long)w->native_last);
	if (!n->n_parts || n->n_parts > PH_NATIVE_PARTS_MAX)
		return ph_error(PH_EINVAL, "native record with %u parts", n->n_parts);
	for (uint32_t i = 0; i < n->n_parts; i++)
		if (!n->parts[i].what || (i && n->parts[i].what <= n->parts[i - 1].what))
			return ph_error(PH_EINVAL, "native part kinds must increase from 1");
	if ((err = ph_buf_put_varint(&s->buf, n->id - s->prev_id)) ||
	    (err = ph_buf_put_varint(&s->buf, n->n_parts)))
		return fail_record(w, PH_FMT_KIND_NATIVE, mark, err);
	for (uint32_t i = 0; i < n->n_parts; i++)
		if ((err = ph_buf_put_u8(&s->buf, n->parts[i].what)) ||
		    (err = ph_buf_put_varint(&s->buf, n->parts[i].bytes)))
			return fail_record(w, PH_FMT_KIND_NATIVE, mark, err);
	s->prev_id = n->id;
	w->native_last = n->id;
	return record_done(w, PH_FMT_KIND_NATIVE);
}

/* ---- allocation sites ---- */

int ph_writer_traceback(struct ph_writer *w, const struct ph_traceback_rec *t, uint64_t *id)
{
	struct ph_writer_section *s = &w->sect[PH_FMT_KIND_TRACEBACKS];
	size_t mark = s->buf.len;
	int err = check_usable(w);

	if (err)
		return err;
	if (!t->n_frames || t->n_frames > 65535)
		return ph_error(PH_EINVAL, "a traceback of %llu frames", (unsigned long long)t->n_frames);
	if ((err = ph_buf_put_varint(&s->buf, t->n_frames)))
		return fail_record(w, PH_FMT_KIND_TRACEBACKS, mark, err);
	for (uint64_t i = 0; i < t->n_frames; i++)
		if ((err = ph_buf_put_varint(&s->buf, t->frames[i].filename)) ||
		    (err = ph_buf_put_varint(&s->buf, t->frames[i].line)))
			return fail_record(w, PH_FMT_KIND_TRACEBACKS, mark, err);
	if (id)
		*id = s->total;
	return record_done(w, PH_FMT_KIND_TRACEBACKS);
}

int ph_writer_site(struct ph_writer *w, const struct ph_site_rec *r)
{
	struct ph_writer_section *s = &w->sect[PH_FMT_KIND_SITES];
	size_t mark = s->buf.len;
	int err = check_usable(w);

	if (err)
		return err;
	if (s->has_prev && r->object <= s->prev_id)
		return ph_error(PH_EINVAL, "site of object %llu after object %llu",
				(unsigned long long)r->object, (unsigned long long)s->prev_id);
	if ((err = ph_buf_put_varint(&s->buf, r->object - s->prev_id)) ||
	    (err = ph_buf_put_varint(&s->buf, r->traceback)))
		return fail_record(w, PH_FMT_KIND_SITES, mark, err);
	s->prev_id = r->object;
	s->has_prev = true;
	return record_done(w, PH_FMT_KIND_SITES);
}

/* ---- pass-through chunks, close, release ---- */

int ph_writer_put_chunk(struct ph_writer *w, uint32_t kind, uint64_t count, const uint8_t *payload,
			size_t len)
{
	uint32_t k = kind; /* all 32 bits: 0x80000004 is a kind of its own, not OBJECTS */
	int err = check_usable(w);

	if (err)
		return err;
	if (k == PH_FMT_KIND_TOC)
		return ph_error(PH_EINVAL, "a TOC chunk cannot be copied");
	if (k == PH_FMT_KIND_EDGES || k == PH_FMT_KIND_OBJECTS) {
		err = flush_edges(w);
		if (!err)
			err = flush_section(w, PH_FMT_KIND_EDGES);
		w->have_object = false;
		if (err)
			return err;
	}
	if (k < PH_WRITER_NSECT) {
		err = flush_section(w, k);
		if (err)
			return err;
		w->sect[k].total += count;
	}
	return put_payload(w, kind, payload, len, count);
}

int ph_writer_close(struct ph_writer *w)
{
	uint8_t tr[PH_FMT_TRAILER_SIZE];
	uint64_t toc_at;
	int err = check_usable(w);

	if (err)
		return err;
	err = flush_edges(w);
	for (uint32_t k = 1; !err && k < PH_WRITER_NSECT; k++)
		err = flush_section(w, k);
	if (err)
		return err;
	toc_at = w->offset;
	err = write_chunk(w, PH_FMT_KIND_TOC, PH_FMT_ENC_RAW, w->toc.data, w->toc.len, w->toc.len,
			  w->toc.len / PH_FMT_TOC_ENTRY_SIZE);
	if (err)
		return err;
	ph_put_le64(tr, toc_at);
	ph_put_le64(tr + 8, w->opts.file_id);
	ph_put_le64(tr + 16, ph_xxh3(tr, 16));
	memcpy(tr + 24, PH_FMT_END_MAGIC, 8);
	err = emit(w, tr, sizeof(tr));
	if (!err)
		w->closed = true;
	return err;
}

void ph_writer_release(struct ph_writer *w)
{
	for (int k = 0; k < PH_WRITER_NSECT; k++)
		ph_buf_release(&w->sect[k].buf);
	ph_buf_release(&w->toc);
	ph_buf_release(&w->scratch);
	ph_buf_release(&w->cur_edges);
	ph_buf_release(&w->strtab.arena);
	free(w->strtab.slots);
	w->strtab.slots = NULL;
}

uint64_t ph_writer_count(const struct ph_writer *w, uint32_t kind)
{
	if (kind == PH_FMT_KIND_EDGES)
		return w->n_edges;
	return kind < PH_WRITER_NSECT ? w->sect[kind].total : 0;
}

size_t ph_writer_memory(const struct ph_writer *w)
{
	size_t n = w->toc.cap + w->scratch.cap + w->cur_edges.cap + w->strtab.arena.cap;

	for (int k = 0; k < PH_WRITER_NSECT; k++)
		n += w->sect[k].buf.cap;
	if (w->strtab.slots)
		n += (w->strtab.mask + 1) * sizeof(*w->strtab.slots);
	return n;
}
