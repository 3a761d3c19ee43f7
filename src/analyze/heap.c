/* SPDX-License-Identifier: MIT */
/*
 * heap.c - loading a dump into compact arrays (see heap.h).
 *
 * Address lookup while loading: an open-addressing hash table of 12-byte
 * slots {address low, address high, object id}, at most 2/3 full, on huge
 * pages. It holds the whole address, so a lookup is one probe sequence,
 * usually one cache line, with no second access to addr[] to confirm the
 * hit. Inserts and lookups go in batches with each slot prefetched a few
 * ahead: latency-bound misses become overlapped ones (measured against
 * binary search in a sorted address array: bench/RESULTS.md). It lives
 * only during the load.
 *
 * Encoded values in `values` (written and read only here):
 *   u8 kind, u8 flags, then by kind
 *     str, bytes   v length, v data_len, data
 *     text         v data_len, data
 *     int          zigzag v
 *     big int      u8 sign, v bits, v data_len, data
 *     float        8 bytes
 *     bool         u8
 *     None         nothing
 */
#include "analyze/heap.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "common/error.h"
#include "common/hash.h"
#include "common/memavail.h"
#include "common/units.h"
#include "format/reader.h"
#include "format/xref.h"

/* ---- address -> id map ---- */

struct idslot {
	uint32_t lo, hi, id;
};

struct idmap {
	struct idslot *slots; /* mmap'ed (zero-filled), bytes long */
	size_t bytes;
	size_t mask;
	size_t count;
};

static void idmap_release(struct idmap *m)
{
	if (m->slots)
		munmap(m->slots, m->bytes);
	m->slots = NULL;
}

static int idmap_init(struct idmap *m, size_t n)
{
	size_t cap = 16;

	while (cap / 3 * 2 < n) {
		if (cap > SIZE_MAX / sizeof(struct idslot) / 4)
			return ph_error(PH_ENOMEM, "an address index for %zu objects is too large", n);
		cap *= 2;
	}
	m->bytes = cap * sizeof(*m->slots);
	m->slots = mmap(NULL, m->bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m->slots == MAP_FAILED) {
		m->slots = NULL;
		return ph_error(PH_ENOMEM, "cannot allocate an address index of %zu slots", cap);
	}
	/* random probes over hundreds of MiB: huge pages save most TLB misses */
	madvise(m->slots, m->bytes, MADV_HUGEPAGE);
	m->mask = cap - 1;
	m->count = 0;
	return 0;
}

static int idmap_grow(struct idmap *m)
{
	struct idmap bigger;
	int err = idmap_init(&bigger, (m->mask + 1) * 2 / 3 + 1);

	if (err)
		return err;
	for (size_t i = 0; i <= m->mask; i++) {
		struct idslot *s = &m->slots[i];
		uint64_t key = (uint64_t)s->hi << 32 | s->lo;
		size_t j;

		if (!key)
			continue;
		j = ph_mix64(key) & bigger.mask;
		while (bigger.slots[j].lo | bigger.slots[j].hi)
			j = (j + 1) & bigger.mask;
		bigger.slots[j] = *s;
	}
	bigger.count = m->count;
	idmap_release(m);
	*m = bigger;
	return 0;
}

/* Insert addr -> id; *dup receives the id already there, or PH_NO_ID. */
static int idmap_put(struct idmap *m, uint64_t addr, uint32_t id, uint32_t *dup)
{
	uint32_t lo = (uint32_t)addr, hi = (uint32_t)(addr >> 32);
	size_t i;

	if (m->count + 1 > (m->mask + 1) / 3 * 2) {
		int err = idmap_grow(m);

		if (err)
			return err;
	}
	i = ph_mix64(addr) & m->mask;
	for (;;) {
		struct idslot *s = &m->slots[i];

		if (!(s->lo | s->hi)) {
			s->lo = lo;
			s->hi = hi;
			s->id = id;
			m->count++;
			*dup = PH_NO_ID;
			return 0;
		}
		if (s->lo == lo && s->hi == hi) {
			*dup = s->id;
			return 0;
		}
		i = (i + 1) & m->mask;
	}
}

/* Hint that addr will be looked up or inserted soon. */
static inline void idmap_prefetch(const struct idmap *m, uint64_t addr)
{
	__builtin_prefetch(&m->slots[ph_mix64(addr) & m->mask]);
}

/* How many lookups ahead to prefetch: enough misses in flight to hide memory latency. */
#define PREFETCH_AHEAD 16

static inline uint32_t idmap_get(const struct idmap *m, uint64_t addr)
{
	uint32_t lo = (uint32_t)addr, hi = (uint32_t)(addr >> 32);
	size_t i = ph_mix64(addr) & m->mask;

	if (!addr)
		return PH_NO_ID;
	for (;;) {
		const struct idslot *s = &m->slots[i];

		if (s->lo == lo && s->hi == hi)
			return s->id;
		if (!(s->lo | s->hi))
			return PH_NO_ID;
		i = (i + 1) & m->mask;
	}
}

/* ---- load state ---- */

/* An edge as read, waiting for its addresses to be resolved in a batch. */
struct pend {
	uint64_t target, label;
	uint32_t src;
	uint8_t kind; /* PH_FMT_LABEL_* */
	uint8_t weak; /* PH_EDGE_WEAK or 0 */
};

#define PEND_MAX 4096

struct loader {
	struct ph_heap *h;
	struct ph_reader *r;
	struct idmap map;
	size_t cap_objects;
	/* references to strings and types seen before all of them were read, sizes */
	struct ph_xref xref;
	/* EDGES: order of sources; NATIVE: of ids */
	uint64_t last_src;
	bool have_src;
	/* SITES: the last object, tracebacks the TOC counts */
	uint64_t last_site, n_tracebacks;
	bool have_site;
	uint64_t last_native; /* UINT64_MAX before the first */
	uint32_t next_off; /* first object whose out_off is not yet set */
	struct pend *pend; /* edges read but not yet resolved (PEND_MAX) */
	size_t n_pend;
	ph_progress_fn *progress;
	void *ctx;
	uint64_t done, total;
};

static int put_value(struct ph_buf *b, const struct ph_value *v)
{
	int err = ph_buf_put_u8(b, v->kind);

	if (!err)
		err = ph_buf_put_u8(b, v->flags);
	switch (v->kind) {
	case PH_FMT_VAL_STR:
	case PH_FMT_VAL_BYTES:
		if (!err)
			err = ph_buf_put_varint(b, v->length);
		/* fall through */
	case PH_FMT_VAL_TEXT:
		if (!err)
			err = ph_buf_put_varint(b, v->data_len);
		if (!err)
			err = ph_buf_put(b, v->data, v->data_len);
		break;
	case PH_FMT_VAL_INT:
		if (!err)
			err = ph_buf_put_svarint(b, v->i);
		break;
	case PH_FMT_VAL_BIGINT:
		if (!err)
			err = ph_buf_put_u8(b, v->sign);
		if (!err)
			err = ph_buf_put_varint(b, v->length);
		if (!err)
			err = ph_buf_put_varint(b, v->data_len);
		if (!err)
			err = ph_buf_put(b, v->data, v->data_len);
		break;
	case PH_FMT_VAL_FLOAT:
		if (!err)
			err = ph_buf_put(b, &v->f, 8);
		break;
	case PH_FMT_VAL_BOOL:
		if (!err)
			err = ph_buf_put_u8(b, v->b);
		break;
	default:
		break;
	}
	return err;
}

static uint64_t get_varint(const uint8_t **p)
{
	uint64_t v = 0;

	ph_varint_decode(p, *p + PH_VARINT_MAX, &v); /* written by put_value: well formed */
	return v;
}

void ph_heap_value(const struct ph_heap *h, uint32_t id, struct ph_value *v)
{
	const uint8_t *p;

	memset(v, 0, sizeof(*v));
	if (id >= h->n_objects || !h->val_off[id])
		return;
	p = h->values.data + h->val_off[id];
	v->kind = *p++;
	v->flags = *p++;
	switch (v->kind) {
	case PH_FMT_VAL_STR:
	case PH_FMT_VAL_BYTES:
		v->length = get_varint(&p);
		/* fall through */
	case PH_FMT_VAL_TEXT:
		v->data_len = get_varint(&p);
		v->data = p;
		break;
	case PH_FMT_VAL_INT:
		v->i = ph_unzigzag(get_varint(&p));
		break;
	case PH_FMT_VAL_BIGINT:
		v->sign = *p++;
		v->length = get_varint(&p);
		v->data_len = get_varint(&p);
		v->data = p;
		break;
	case PH_FMT_VAL_FLOAT:
		memcpy(&v->f, p, 8);
		break;
	case PH_FMT_VAL_BOOL:
		v->b = *p != 0;
		break;
	default:
		break;
	}
}

/* Length of string i: strings are stored back to back, each followed by a NUL. */
static inline size_t str_len(const struct ph_heap *h, uint64_t i)
{
	uint64_t end = i + 1 < h->n_strings ? h->str_off[i + 1] : h->strings.len;

	return end - h->str_off[i] - 1;
}

/* ---- pass 1: META, STRINGS, TYPES, OBJECTS ---- */

static int take_meta(struct loader *l, const struct ph_meta_rec *m)
{
	struct ph_heap *h = l->h;
	struct ph_heap_meta *hm;
	int err = PH_ARRAY_RESERVE(h->meta, h->cap_meta, h->n_meta + 1);

	if (err)
		return err;
	hm = &h->meta[h->n_meta];
	memset(hm, 0, sizeof(*hm));
	hm->key = malloc(m->key_len + 1);
	hm->value = malloc(m->value_len + 1);
	if (!hm->key || !hm->value) {
		free(hm->key);
		free(hm->value);
		return ph_error(PH_ENOMEM, "cannot copy a metadata record");
	}
	memcpy(hm->key, m->key, m->key_len);
	hm->key[m->key_len] = 0;
	if (m->value_len)
		memcpy(hm->value, m->value, m->value_len);
	hm->value[m->value_len] = 0;
	hm->value_len = m->value_len;
	hm->type = m->type;
	hm->i = m->i;
	hm->u = m->u;
	hm->f = m->f;
	h->n_meta++;
	return 0;
}

static int take_object(struct loader *l, const struct ph_cursor *c, const struct ph_object_rec *o)
{
	struct ph_heap *h = l->h;
	uint32_t id = h->n_objects;
	int err;

	if (id >= PH_HEAP_MAX_OBJECTS)
		return ph_error(PH_ELIMIT, "%s: more than %u objects: more than pyheap can analyze",
				h->path, PH_HEAP_MAX_OBJECTS);
	if (id >= l->cap_objects) /* the reader checked each chunk's count against the TOC */
		return ph_cursor_corrupt(c, __LINE__, "more objects than the table of contents lists");
	if ((err = ph_xref_size(&l->xref, c, o->size)))
		return err;
	ph_xref_type(&l->xref, c, o->type);
	h->addr[id] = o->address;
	h->type[id] = (uint32_t)(o->type < UINT32_MAX ? o->type : UINT32_MAX);
	h->size[id] = o->size;
	h->refcount[id] = o->refcount;
	h->flags[id] = o->flags & PH_FMT_OBJ_KNOWN; /* the rest is for in-memory flags */
	h->val_off[id] = 0;
	h->total_size += o->size;
	if (o->value.kind) {
		h->val_off[id] = h->values.len;
		err = put_value(&h->values, &o->value);
		if (err)
			return err;
	}
	h->n_objects = id + 1;
	return 0;
}

/* Add objects first..end-1 (one chunk's) to the address index, prefetching ahead. */
static int index_objects(struct loader *l, const struct ph_cursor *c, uint32_t first, uint32_t end)
{
	const uint64_t *addr = l->h->addr;

	for (uint32_t id = first; id < end; id++) {
		uint32_t dup;
		int err;

		if (id + PREFETCH_AHEAD < end)
			idmap_prefetch(&l->map, addr[id + PREFETCH_AHEAD]);
		if ((err = idmap_put(&l->map, addr[id], id, &dup)))
			return err;
		if (dup != PH_NO_ID)
			return ph_cursor_corrupt(c, __LINE__,
						 "object address 0x%llx appears twice (objects %u and %u)",
						 (unsigned long long)addr[id], dup, id);
	}
	return 0;
}

static int pass1_chunk(struct loader *l, struct ph_cursor *c)
{
	struct ph_heap *h = l->h;
	int err = 0;

	switch (c->chunk.kind) {
	case PH_FMT_KIND_META:
		while (!err && ph_cursor_more(c)) {
			struct ph_meta_rec m;

			err = ph_read_meta(c, &m);
			if (!err)
				err = take_meta(l, &m);
		}
		break;
	case PH_FMT_KIND_STRINGS:
		while (!err && ph_cursor_more(c)) {
			const uint8_t *s;
			uint64_t len;

			err = ph_read_string(c, &s, &len);
			if (err)
				break;
			if (h->n_strings >= UINT32_MAX - 1)
				return ph_error(PH_ELIMIT, "%s: more strings than pyheap can analyze",
						h->path);
			if ((err = PH_ARRAY_RESERVE(h->str_off, h->cap_strings, h->n_strings + 1)))
				break;
			h->str_off[h->n_strings] = h->strings.len;
			if ((err = ph_buf_put(&h->strings, s, len)) ||
			    (err = ph_buf_put_u8(&h->strings, 0)))
				break;
			h->n_strings++;
		}
		break;
	case PH_FMT_KIND_TYPES:
		while (!err && ph_cursor_more(c)) {
			struct ph_type_rec t;
			struct ph_heap_type *ht;

			err = ph_read_type(c, &t);
			if (err)
				break;
			if (h->n_types >= PH_HEAP_MAX_OBJECTS)
				return ph_error(PH_ELIMIT, "%s: more types than pyheap can analyze",
						h->path);
			if ((err = PH_ARRAY_RESERVE(h->types, h->cap_types, (size_t)h->n_types + 1)))
				break;
			ph_xref_sref(&l->xref, c, t.module);
			ph_xref_sref(&l->xref, c, t.qualname);
			if (t.base)
				ph_xref_type(&l->xref, c, t.base - 1);
			ht = &h->types[h->n_types++];
			memset(ht, 0, sizeof(*ht));
			ht->address = t.address;
			ht->object = PH_NO_ID;
			ht->base = t.base && t.base - 1 < UINT32_MAX ? (uint32_t)(t.base - 1) : PH_NO_ID;
			ht->module = t.module;
			ht->qualname = t.qualname;
			ht->basicsize = t.basicsize;
			ht->itemsize = t.itemsize;
			ht->flags = t.flags;
		}
		break;
	case PH_FMT_KIND_OBJECTS: {
		uint32_t first = h->n_objects;

		while (!err && ph_cursor_more(c)) {
			struct ph_object_rec o;

			err = ph_read_object(c, &o);
			if (!err)
				err = take_object(l, c, &o);
		}
		if (!err)
			err = index_objects(l, c, first, h->n_objects);
		break;
	}
	default:
		return 0;
	}
	return err ? err : ph_cursor_finish(c);
}

/* ---- pass 2: EDGES, THREADS, ROOTS ---- */

static int add_wide(struct ph_heap *h, uint64_t edge, uint64_t value)
{
	int err = PH_ARRAY_RESERVE(h->wide, h->cap_wide, h->n_wide + 1);

	if (err)
		return err;
	h->wide[h->n_wide].edge = (uint32_t)edge;
	h->wide[h->n_wide].value = value;
	h->n_wide++;
	return 0;
}

static int reserve_edges(struct ph_heap *h, uint64_t need)
{
	size_t cap;
	int err;

	if (need <= h->cap_edges)
		return 0;
	if (need >= UINT32_MAX)
		return ph_error(PH_ELIMIT, "%s: more than %u edges: more than pyheap can analyze",
				h->path, UINT32_MAX - 1);
	cap = h->cap_edges;
	if ((err = PH_ARRAY_RESERVE(h->out_tgt, cap, need)))
		return err;
	cap = h->cap_edges;
	if ((err = PH_ARRAY_RESERVE(h->out_kind, cap, need)))
		return err;
	cap = h->cap_edges;
	if ((err = PH_ARRAY_RESERVE(h->out_val, cap, need)))
		return err;
	h->cap_edges = cap;
	return 0;
}

static inline void push_edge(struct ph_heap *h, uint32_t target, uint8_t kind, uint32_t val)
{
	uint64_t e = h->n_edges++;

	h->out_tgt[e] = target;
	h->out_kind[e] = kind;
	h->out_val[e] = val;
}

/* Resolve the pending edges (in file order) into the CSR, prefetching their slots ahead. */
static int flush_edges(struct loader *l)
{
	struct ph_heap *h = l->h;
	size_t n = l->n_pend;
	int err;

	if (!n)
		return 0;
	if ((err = reserve_edges(h, h->n_edges + 2 * n)))
		return err;
	for (size_t i = 0; i < n; i++) {
		const struct pend *p = &l->pend[i];
		uint32_t t, lab = 0;
		bool wide = false;
		uint64_t wide_val = 0;

		if (i + PREFETCH_AHEAD < n) {
			const struct pend *q = &l->pend[i + PREFETCH_AHEAD];

			idmap_prefetch(&l->map, q->target);
			if (q->kind == PH_FMT_LABEL_ATTR || q->kind == PH_FMT_LABEL_KEY ||
			    q->kind == PH_FMT_LABEL_ENTRY)
				idmap_prefetch(&l->map, q->label);
		}
		for (; l->next_off <= p->src; l->next_off++)
			h->out_off[l->next_off] = (uint32_t)h->n_edges;
		switch (p->kind) {
		case PH_FMT_LABEL_INDEX:
			if (p->label < PH_VAL_WIDE)
				lab = (uint32_t)p->label;
			else
				wide = true, wide_val = p->label;
			break;
		case PH_FMT_LABEL_FIELD:
		case PH_FMT_LABEL_INTERNAL:
			lab = (uint32_t)p->label; /* checked when read */
			break;
		case PH_FMT_LABEL_ATTR:
		case PH_FMT_LABEL_KEY:
		case PH_FMT_LABEL_ENTRY:
			lab = idmap_get(&l->map, p->label);
			if (lab == PH_NO_ID) {
				h->dangling_labels++;
				wide = true;
				wide_val = p->label;
				lab = PH_VAL_WIDE;
			}
			break;
		default:
			break;
		}
		if (p->kind == PH_FMT_LABEL_ENTRY && !wide) {
			/* the dict holds the key too */
			push_edge(h, lab, PH_LABEL_KEYREF | p->weak, 0);
			if (p->weak)
				h->n_weak++;
		}
		t = idmap_get(&l->map, p->target);
		if (t == PH_NO_ID) {
			h->dangling_edges++;
			continue;
		}
		if (wide) {
			if ((err = add_wide(h, h->n_edges, wide_val)))
				return err;
			lab = PH_VAL_WIDE;
		}
		push_edge(h, t, (uint8_t)((p->kind == PH_FMT_LABEL_ENTRY ? PH_LABEL_KEY : p->kind) | p->weak),
			  lab);
		if (p->weak)
			h->n_weak++;
	}
	l->n_pend = 0;
	return 0;
}

/* One EDGES record: checked, and its edges queued for flush_edges(). */
static int take_edges(struct loader *l, struct ph_cursor *c)
{
	struct ph_heap *h = l->h;
	uint64_t src, saddr, n;
	int err = ph_read_edges(c, &src, &saddr, &n);

	if (err)
		return err;
	if ((err = ph_xref_source(c, src, saddr, h->addr, h->n_objects,
				  l->have_src ? l->last_src : UINT64_MAX)))
		return err;
	l->last_src = src;
	l->have_src = true;
	h->edge_records++;
	for (uint64_t i = 0; i < n; i++) {
		struct ph_edge_rec e;
		struct pend *p;

		if ((err = ph_read_edge(c, &e)))
			return err;
		if ((err = ph_xref_label(&l->xref, c, &e)))
			return err;
		if (l->n_pend == PEND_MAX && (err = flush_edges(l)))
			return err;
		p = &l->pend[l->n_pend++];
		p->target = e.target;
		p->label = e.label;
		p->src = (uint32_t)src;
		p->kind = e.kind;
		p->weak = e.flags & PH_FMT_EDGE_WEAK ? PH_EDGE_WEAK : 0;
	}
	return 0;
}

static int take_thread(struct loader *l, struct ph_cursor *c, const struct ph_thread_rec *t)
{
	struct ph_heap *h = l->h;
	struct ph_heap_thread *ht;
	int err;

	ph_xref_sref(&l->xref, c, t->name);
	if ((err = PH_ARRAY_RESERVE(h->threads, h->cap_threads, h->n_threads + 1)) ||
	    (err = PH_ARRAY_RESERVE(h->frames, h->cap_frames, h->n_frames + t->n_frames)))
		return err;
	if (h->n_threads + h->n_frames + t->n_frames >= PH_HEAP_MAX_NODES_EXTRA)
		return ph_error(PH_ELIMIT, "%s: more threads and frames than pyheap can analyze",
				h->path);
	ht = &h->threads[h->n_threads];
	ht->ident = t->ident;
	ht->native_id = t->native_id;
	ht->name = t->name;
	ht->flags = t->flags;
	ht->first_frame = h->n_frames;
	ht->n_frames = t->n_frames;
	for (uint64_t i = 0; i < t->n_frames; i++) {
		const struct ph_frame_rec *f = &t->frames[i];
		struct ph_heap_frame *hf = &h->frames[h->n_frames + i];

		ph_xref_sref(&l->xref, c, f->function);
		ph_xref_sref(&l->xref, c, f->filename);
		if ((err = PH_ARRAY_RESERVE(h->locals, h->cap_locals, h->n_locals + f->n_locals)))
			return err;
		hf->function = f->function;
		hf->filename = f->filename;
		hf->line = f->line;
		hf->code_addr = f->code;
		hf->frame_addr = f->frame;
		hf->code = f->code ? idmap_get(&l->map, f->code) : PH_NO_ID;
		hf->frame = f->frame ? idmap_get(&l->map, f->frame) : PH_NO_ID;
		if (f->code && hf->code == PH_NO_ID)
			h->dangling_other++;
		if (f->frame && hf->frame == PH_NO_ID)
			h->dangling_other++;
		hf->thread = (uint32_t)h->n_threads;
		hf->depth = (uint32_t)i;
		hf->first_local = h->n_locals;
		hf->n_locals = f->n_locals;
		for (uint64_t j = 0; j < f->n_locals; j++) {
			struct ph_heap_local *lo = &h->locals[h->n_locals++];

			ph_xref_sref(&l->xref, c, f->locals[j].name);
			lo->name = f->locals[j].name;
			lo->address = f->locals[j].address;
			lo->object = idmap_get(&l->map, lo->address);
			if (lo->object == PH_NO_ID)
				h->dangling_other++;
		}
	}
	h->n_frames += t->n_frames;
	h->n_threads++;
	return 0;
}

static int take_traceback(struct loader *l, struct ph_cursor *c)
{
	struct ph_heap *h = l->h;
	struct ph_traceback_rec t;
	uint32_t at = h->n_tracebacks ? h->tb_off[h->n_tracebacks] : 0;
	int err = ph_read_traceback(c, &t);

	if (err)
		return err;
	if (t.n_frames > UINT32_MAX - at)
		return ph_error(PH_ELIMIT, "%s: more than 2^32 traceback frames", h->path);
	if ((err = PH_ARRAY_RESERVE(h->tb_off, h->cap_tb, (size_t)h->n_tracebacks + 2)) ||
	    (err = PH_ARRAY_RESERVE(h->tb_frames, h->cap_tb_frames, (size_t)at + t.n_frames)))
		return err;
	for (uint64_t i = 0; i < t.n_frames; i++) {
		ph_xref_sref(&l->xref, c, t.frames[i].filename);
		h->tb_frames[at + i] = t.frames[i];
	}
	h->tb_off[h->n_tracebacks] = at;
	h->tb_off[++h->n_tracebacks] = at + (uint32_t)t.n_frames;
	return 0;
}

static int take_site(struct loader *l, struct ph_cursor *c)
{
	struct ph_heap *h = l->h;
	struct ph_site_rec s;
	int err = ph_read_site(c, &s);

	if (err || (err = ph_xref_site(c, &s, h->n_objects, l->n_tracebacks)))
		return err;
	if (l->have_site && s.object <= l->last_site) {
		char where[160];

		ph_cursor_where(c, where, sizeof(where));
		return ph_error(PH_ECORRUPT, "%s: %s: the site of object %llu after object %llu's",
				h->path, where, (unsigned long long)s.object,
				(unsigned long long)l->last_site);
	}
	l->last_site = s.object;
	l->have_site = true;
	if (!h->site && !(h->site = calloc((size_t)h->n_objects + 1, sizeof(*h->site))))
		return ph_error(PH_ENOMEM, "cannot allocate the allocation sites");
	h->site[s.object] = (uint32_t)s.traceback + 1;
	return 0;
}

/* One NATIVE record: checked (xref.h), and the object's native bytes kept. */
static int take_native(struct loader *l, struct ph_cursor *c, const struct ph_native_rec *n)
{
	struct ph_heap *h = l->h;
	int err = ph_xref_native(&l->xref, c, n, h->n_objects, l->last_native);

	if (!err)
		err = ph_xref_total(h->total_size, l->xref.total_native, h->path);
	if (err)
		return err;
	l->last_native = n->id;
	if (!h->native) {
		h->native = calloc(h->n_objects ? h->n_objects : 1, sizeof(*h->native));
		h->native_kinds = calloc(h->n_objects ? h->n_objects : 1, 1);
		if (!h->native || !h->native_kinds)
			return ph_error(PH_ENOMEM, "cannot allocate native sizes for %u objects",
					h->n_objects);
	}
	h->native[n->id] = n->total;
	for (uint32_t i = 0; i < n->n_parts; i++) {
		unsigned k = n->parts[i].what <= PH_FMT_NATIVE_MAX ? n->parts[i].what
								    : PH_FMT_NATIVE_OTHER;

		h->native_kinds[n->id] |= (uint8_t)(1u << (k - 1));
		h->native_by_kind[k] += n->parts[i].bytes;
	}
	h->total_native += n->total;
	h->n_native++;
	return 0;
}

static int pass2_chunk(struct loader *l, struct ph_cursor *c)
{
	struct ph_heap *h = l->h;
	int err = 0;

	switch (c->chunk.kind) {
	case PH_FMT_KIND_EDGES:
		while (!err && ph_cursor_more(c))
			err = take_edges(l, c);
		if (!err)
			err = flush_edges(l);
		break;
	case PH_FMT_KIND_THREADS:
		while (!err && ph_cursor_more(c)) {
			struct ph_thread_rec t;

			err = ph_read_thread(c, &t);
			if (!err)
				err = take_thread(l, c, &t);
		}
		break;
	case PH_FMT_KIND_NATIVE:
		while (!err && ph_cursor_more(c)) {
			struct ph_native_rec n;

			err = ph_read_native(c, &n);
			if (!err)
				err = take_native(l, c, &n);
		}
		break;
	case PH_FMT_KIND_ROOTS:
		while (!err && ph_cursor_more(c)) {
			struct ph_root_rec rr;
			struct ph_heap_root *hr;

			err = ph_read_root(c, &rr);
			if (!err)
				ph_xref_sref(&l->xref, c, rr.label);
			if (err || (err = PH_ARRAY_RESERVE(h->roots, h->cap_roots, h->n_roots + 1)))
				break;
			hr = &h->roots[h->n_roots++];
			hr->kind = rr.kind;
			hr->label = rr.label;
			hr->address = rr.address;
			hr->object = idmap_get(&l->map, rr.address);
			if (hr->object == PH_NO_ID)
				h->dangling_other++;
		}
		break;
	case PH_FMT_KIND_TRACEBACKS:
		while (!err && ph_cursor_more(c))
			err = take_traceback(l, c);
		break;
	case PH_FMT_KIND_SITES:
		while (!err && ph_cursor_more(c))
			err = take_site(l, c);
		break;
	default:
		return 0;
	}
	return err ? err : ph_cursor_finish(c);
}

/*
 * Pass 1 or 2 over the chunks (see heap.h); pass 0 decodes every chunk of
 * a known kind, one at a time, keeping nothing (run before a dump is refused
 * as too big, so that a corrupt one is called corrupt).
 */
static int run_pass(struct loader *l, int pass, struct ph_cursor *c)
{
	struct ph_reader *r = l->r;

	for (size_t i = 0; i < r->n_chunks; i++) {
		const struct ph_chunk_info *ci = &r->chunks[i];
		const uint8_t *data;
		size_t len;
		bool mine;
		int err;

		switch (ci->kind) {
		case PH_FMT_KIND_EDGES:
		case PH_FMT_KIND_THREADS:
		case PH_FMT_KIND_ROOTS:
		case PH_FMT_KIND_TRACEBACKS:
		case PH_FMT_KIND_SITES:
		case PH_FMT_KIND_NATIVE:
			mine = pass != 1;
			break;
		case PH_FMT_KIND_META:
		case PH_FMT_KIND_STRINGS:
		case PH_FMT_KIND_TYPES:
		case PH_FMT_KIND_OBJECTS:
			mine = pass != 2;
			break;
		default:
			if (ci->kind & PH_FMT_KIND_MUST_UNDERSTAND) {
				char kb[24];

				return ph_error(PH_EVERSION,
						"%s: chunk %zu has %s, which this pyheap does not know but must understand: it needs a newer pyheap",
						r->name, i, ph_chunk_kind_name(ci->kind, kb));
			}
			mine = false; /* skipped: a newer minor version's addition */
		}
		if (!mine)
			continue;
		err = ph_reader_load(r, i, &data, &len);
		if (err)
			return err;
		ph_cursor_init(c, ci, i, data, len);
		err = pass == 0 ? ph_read_all(c, NULL, NULL) : pass == 1 ? pass1_chunk(l, c) : pass2_chunk(l, c);
		if (err)
			return err;
		if (l->progress && pass)
			l->progress(l->ctx, "reading", ++l->done, l->total);
		else if (l->progress)
			l->progress(l->ctx, "checking", i + 1, r->n_chunks);
	}
	return 0;
}

/* ---- between the passes ---- */

static int name_types(struct loader *l)
{
	struct ph_heap *h = l->h;
	int err = ph_buf_put_u8(&h->names, 0);

	for (uint32_t i = 0; i < h->n_types && !err; i++) {
		struct ph_heap_type *t = &h->types[i];
		size_t mlen = 0, qlen = 0;
		const char *m = ph_heap_str(h, t->module, &mlen);
		const char *q = ph_heap_str(h, t->qualname, &qlen);

		t->name = (uint32_t)h->names.len;
		if (h->names.len > UINT32_MAX - 4096)
			return ph_error(PH_ELIMIT, "%s: type names too long", h->path);
		if (m && !(mlen == 8 && memcmp(m, "builtins", 8) == 0) && mlen < 1024) {
			err = ph_buf_put(&h->names, m, mlen);
			if (!err)
				err = ph_buf_put_u8(&h->names, '.');
		}
		if (!err && q)
			err = ph_buf_put(&h->names, q, qlen < 1024 ? qlen : 1024);
		else if (!err)
			err = ph_buf_printf(&h->names, "<type 0x%" PRIx64 ">", t->address);
		if (!err)
			err = ph_buf_put_u8(&h->names, 0);
	}
	return err;
}

static uint64_t heap_type_base(const void *ctx, uint64_t i)
{
	const struct ph_heap *h = ctx;

	return h->types[i].base == PH_NO_ID ? 0 : (uint64_t)h->types[i].base + 1;
}

static int check_pass1(struct loader *l)
{
	struct ph_heap *h = l->h;
	int err = ph_xref_check(&l->xref, h->path, h->n_types, h->n_strings);

	if (!err)
		err = ph_xref_bases(h->path, h->n_types, heap_type_base, h);
	if (err)
		return err;
	for (uint32_t i = 0; i < h->n_types; i++) {
		struct ph_heap_type *t = &h->types[i];

		t->object = idmap_get(&l->map, t->address);
		if (t->object == PH_NO_ID)
			h->dangling_other++;
		else
			h->flags[t->object] |= PH_OBJ_TYPE;
	}
	for (uint32_t i = 0; i < h->n_objects; i++) {
		h->types[h->type[i]].count++;
		h->types[h->type[i]].total_size += h->size[i];
	}
	for (uint64_t i = 0; i < h->n_strings; i++)
		if (str_len(h, i) == 8 && memcmp(h->strings.data + h->str_off[i], "__dict__", 8) == 0) {
			h->sref_dict = i + 1;
			break;
		}
	return name_types(l);
}

/* Sum of the record counts (or of the raw lengths) the TOC gives for a kind. */
static uint64_t toc_count(const struct ph_reader *r, uint32_t kind, bool raw)
{
	uint64_t n = 0;

	for (size_t i = 0; i < r->n_chunks; i++)
		if (r->chunks[i].kind == kind)
			n += raw ? r->chunks[i].raw_len : r->chunks[i].count;
	return n;
}

/* ---- the memory budget ---- */

static uint64_t budget_set;       /* ph_heap_set_budget(); 0: the memory available */
static bool python_only;          /* ph_heap_set_python_only() */

void ph_heap_set_python_only(bool on)
{
	python_only = on;
}
static uint64_t budget_committed; /* needs of the heaps loaded and not yet freed */

void ph_heap_set_budget(uint64_t bytes)
{
	budget_set = bytes;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t sat_mul(uint64_t a, uint64_t b)
{
	return b && a > UINT64_MAX / b ? UINT64_MAX : a * b;
}

uint64_t ph_heap_need(const struct ph_reader *r)
{
	uint64_t n = sat_mul(toc_count(r, PH_FMT_KIND_OBJECTS, false), PH_HEAP_NEED_PER_OBJECT);
	uint64_t objects, raw;

	/* an EDGES record holds one edge at least */
	n = sat_add(n, sat_mul(toc_count(r, PH_FMT_KIND_EDGES, false), PH_HEAP_NEED_PER_EDGE));
	/* native sizes: 9 bytes an object as soon as one record exists */
	if (toc_count(r, PH_FMT_KIND_NATIVE, false))
		n = sat_add(n, sat_mul(toc_count(r, PH_FMT_KIND_OBJECTS, false), 9));
	/* the strings are kept whole, with an offset each */
	n = sat_add(n, toc_count(r, PH_FMT_KIND_STRINGS, true));
	n = sat_add(n, sat_mul(toc_count(r, PH_FMT_KIND_STRINGS, false), 9));
	/*
	 * so are the objects' values: at least what OBJECTS records hold beyond
	 * their other fields (41 bytes at most: four varints and the flags)
	 */
	objects = toc_count(r, PH_FMT_KIND_OBJECTS, false);
	/* allocation sites: an id per object, 16 bytes per frame (2 bytes of the file at least) */
	if (toc_count(r, PH_FMT_KIND_SITES, false))
		n = sat_add(n, sat_mul(objects, 4));
	n = sat_add(n, sat_mul(toc_count(r, PH_FMT_KIND_TRACEBACKS, true), 8));
	raw = toc_count(r, PH_FMT_KIND_OBJECTS, true);
	if (raw > sat_mul(objects, 41))
		n = sat_add(n, raw - objects * 41);
	return n;
}

/* Compare what the dump's counts need with the budget, before allocating anything for them. */
static int check_budget(struct loader *l, struct ph_cursor *c, uint64_t *need_out)
{
	const struct ph_reader *r = l->r;
	uint64_t need = ph_heap_need(r), budget = budget_set, objects;
	char what[64], nb[32], bb[32];
	int err;

	*need_out = need;
	objects = toc_count(r, PH_FMT_KIND_OBJECTS, false);
	if (budget == UINT64_MAX && objects <= PH_HEAP_MAX_OBJECTS)
		return 0;
	if (budget) {
		snprintf(what, sizeof(what), "--max-memory");
		budget = budget > budget_committed ? budget - budget_committed : 0;
	} else {
		budget = ph_mem_available(what, sizeof(what));
	}
	if (need <= budget && objects <= PH_HEAP_MAX_OBJECTS)
		return 0;
	/* decode every chunk once, keeping nothing: a TOC that lies about the counts is corrupt */
	if ((err = run_pass(l, 0, c)))
		return err;
	if (objects > PH_HEAP_MAX_OBJECTS)
		return ph_error(PH_ELIMIT, "%s: %llu objects: more than pyheap can analyze (%u)",
				l->h->path, (unsigned long long)objects, PH_HEAP_MAX_OBJECTS);
	return ph_error(PH_ENOMEM,
			"%s: analyzing it needs at least %s (%llu objects, %llu edge records, %llu strings), more than the memory budget of %s (%s%s)%s",
			l->h->path, ph_human_bytes(need, nb), (unsigned long long)objects,
			(unsigned long long)toc_count(r, PH_FMT_KIND_EDGES, false),
			(unsigned long long)toc_count(r, PH_FMT_KIND_STRINGS, false),
			ph_human_bytes(budget, bb), what[0] ? what : "memory available",
			budget_set && budget_committed ? ", less the dumps already loaded" : "",
			budget_set ? "" : "; --max-memory sets another");
}

static int reserve_objects(struct loader *l, uint64_t n)
{
	struct ph_heap *h = l->h;

	if (n > PH_HEAP_MAX_OBJECTS)
		return ph_error(PH_ELIMIT, "%s: %llu objects: more than pyheap can analyze (%u)",
				h->path, (unsigned long long)n, PH_HEAP_MAX_OBJECTS);
	if (!n)
		n = 1;
	h->addr = malloc(n * sizeof(*h->addr));
	h->type = malloc(n * sizeof(*h->type));
	h->size = malloc(n * sizeof(*h->size));
	h->refcount = malloc(n * sizeof(*h->refcount));
	h->flags = malloc(n * sizeof(*h->flags));
	h->val_off = malloc(n * sizeof(*h->val_off));
	if (!h->addr || !h->type || !h->size || !h->refcount || !h->flags || !h->val_off)
		return ph_error(PH_ENOMEM, "cannot allocate memory for %llu objects",
				(unsigned long long)n);
	l->cap_objects = n;
	return 0;
}

int ph_heap_load(struct ph_heap **out, const char *path, ph_progress_fn *progress, void *ctx)
{
	struct loader l;
	struct ph_cursor c;
	struct ph_heap *h;
	uint64_t n_obj;
	int err;

	*out = NULL;
	memset(&l, 0, sizeof(l));
	memset(&c, 0, sizeof(c));
	h = calloc(1, sizeof(*h));
	if (!h)
		return ph_error(PH_ENOMEM, "cannot allocate a heap");
	l.h = h;
	l.progress = progress;
	l.ctx = ctx;
	h->path = strdup(path);
	if (!h->path) {
		err = ph_error(PH_ENOMEM, "cannot copy a path");
		goto out_free_heap;
	}
	err = ph_reader_open(&l.r, path);
	if (err)
		goto out_free_heap;
	h->file_size = l.r->file_size;
	h->file_id = l.r->file_id;
	h->major = l.r->major;
	h->minor = l.r->minor;
	for (size_t i = 0; i < l.r->n_chunks; i++) {
		uint32_t k = l.r->chunks[i].kind;

		l.total += (k >= PH_FMT_KIND_META && k <= PH_FMT_KIND_NATIVE) ||
			   k == PH_FMT_KIND_TRACEBACKS || k == PH_FMT_KIND_SITES;
	}
	if ((err = check_budget(&l, &c, &h->need)))
		goto out_free_reader;
	n_obj = toc_count(l.r, PH_FMT_KIND_OBJECTS, false);
	l.n_tracebacks = toc_count(l.r, PH_FMT_KIND_TRACEBACKS, false);
	if (l.n_tracebacks >= UINT32_MAX) {
		err = ph_error(PH_ELIMIT, "%s: more than 2^32 tracebacks", l.r->name);
		goto out_free_reader;
	}
	if ((err = reserve_objects(&l, n_obj)) || (err = idmap_init(&l.map, n_obj)) ||
	    (err = ph_buf_put_u8(&h->values, 0)))
		goto out_free_reader;
	err = run_pass(&l, 1, &c);
	if (!err)
		err = check_pass1(&l);
	if (err)
		goto out_free_map;
	h->out_off = malloc(((size_t)h->n_objects + 1) * sizeof(*h->out_off));
	l.pend = malloc(PEND_MAX * sizeof(*l.pend));
	if (!h->out_off || !l.pend) {
		err = ph_error(PH_ENOMEM, "cannot allocate the edge index");
		goto out_free_map;
	}
	memset(&l.xref, 0, sizeof(l.xref)); /* pass 2 notes string references again */
	l.last_native = UINT64_MAX;
	h->python_only = python_only;
	err = run_pass(&l, 2, &c);
	if (!err)
		err = ph_xref_check(&l.xref, h->path, h->n_types, h->n_strings);
	if (err)
		goto out_free_map;
	for (; l.next_off <= h->n_objects; l.next_off++)
		h->out_off[l.next_off] = (uint32_t)h->n_edges;
out_free_map:
	free(l.pend);
	idmap_release(&l.map);
out_free_reader:
	ph_cursor_release(&c);
	ph_reader_free(l.r);
out_free_heap:
	if (err) {
		ph_heap_free(h);
		return err;
	}
	budget_committed = sat_add(budget_committed, h->need);
	h->committed = true;
	*out = h;
	return 0;
}

void ph_heap_free(struct ph_heap *h)
{
	if (!h)
		return;
	if (h->committed)
		budget_committed -= h->need < budget_committed ? h->need : budget_committed;
	free(h->path);
	free(h->addr);
	free(h->type);
	free(h->size);
	free(h->refcount);
	free(h->flags);
	free(h->val_off);
	free(h->native);
	free(h->native_kinds);
	ph_buf_release(&h->values);
	free(h->out_off);
	free(h->out_tgt);
	free(h->out_kind);
	free(h->out_val);
	free(h->wide);
	free(h->str_off);
	ph_buf_release(&h->strings);
	free(h->types);
	ph_buf_release(&h->names);
	free(h->threads);
	free(h->tb_off);
	free(h->tb_frames);
	free(h->site);
	free(h->frames);
	free(h->locals);
	free(h->roots);
	for (size_t i = 0; i < h->n_meta; i++) {
		free(h->meta[i].key);
		free(h->meta[i].value);
	}
	free(h->meta);
	free(h);
}

/* ---- accessors ---- */

uint32_t ph_heap_find(const struct ph_heap *h, uint64_t addr)
{
	for (uint32_t i = 0; i < h->n_objects; i++)
		if (h->addr[i] == addr)
			return i;
	return PH_NO_ID;
}

const char *ph_heap_str(const struct ph_heap *h, uint64_t sref, size_t *len)
{
	if (!sref || sref > h->n_strings) {
		if (len)
			*len = 0;
		return NULL;
	}
	if (len)
		*len = str_len(h, sref - 1);
	return (const char *)h->strings.data + h->str_off[sref - 1];
}

const char *ph_heap_type_name(const struct ph_heap *h, uint32_t type)
{
	if (type >= h->n_types)
		return "?";
	return (const char *)h->names.data + h->types[type].name;
}

bool ph_heap_type_is(const struct ph_heap *h, uint32_t type, const char *name)
{
	return type < h->n_types && strcmp(ph_heap_type_name(h, type), name) == 0;
}

uint64_t ph_heap_wide(const struct ph_heap *h, uint64_t e)
{
	size_t lo = 0, hi = h->n_wide;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (h->wide[mid].edge < e)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < h->n_wide && h->wide[lo].edge == e ? h->wide[lo].value : 0;
}

const struct ph_heap_meta *ph_heap_meta(const struct ph_heap *h, const char *key)
{
	for (size_t i = h->n_meta; i-- > 0;)
		if (strcmp(h->meta[i].key, key) == 0)
			return &h->meta[i];
	return NULL;
}

bool ph_heap_meta_uint(const struct ph_heap *h, const char *key, uint64_t *out)
{
	const struct ph_heap_meta *m = ph_heap_meta(h, key);

	if (!m || m->type != PH_FMT_META_UINT)
		return false;
	*out = m->u;
	return true;
}

size_t ph_heap_memory(const struct ph_heap *h)
{
	size_t n = h->n_objects;

	return n * (8 + 4 + 8 + 8 + 1 + 8) + h->values.cap + (n + 1) * 4 + h->cap_edges * 9 +
	       h->cap_wide * sizeof(*h->wide) + h->cap_strings * 8 + h->strings.cap +
	       h->cap_types * sizeof(*h->types) + h->names.cap +
	       h->cap_threads * sizeof(*h->threads) + h->cap_frames * sizeof(*h->frames) +
	       h->cap_locals * sizeof(*h->locals) + h->cap_roots * sizeof(*h->roots) +
	       (h->native ? n * 9 : 0);
}

const char *ph_native_kind_name(unsigned kind)
{
	switch (kind) {
	case PH_FMT_NATIVE_NUMPY:
		return "numpy";
	case PH_FMT_NATIVE_MMAP:
		return "mmap";
	case PH_FMT_NATIVE_VALUES:
		return "values";
	default:
		return "other";
	}
}

int ph_heap_site_name(struct ph_buf *b, const struct ph_heap *h, uint32_t v)
{
	const struct ph_site_frame *f;
	const char *file;
	size_t len;

	if (!h->site || !h->site[v])
		return ph_buf_printf(b, "(no allocation site)");
	f = &h->tb_frames[h->tb_off[h->site[v] - 1]];
	file = ph_heap_str(h, f->filename, &len);
	return ph_buf_printf(b, "%.*s:%" PRIu64, (int)len, file ? file : "?", f->line);
}

const char *ph_heap_sites_note(const struct ph_heap *h, struct ph_buf *b)
{
	const struct ph_heap_meta *m = ph_heap_meta(h, "tracemalloc");
	int n = m && m->type == PH_FMT_META_STR && m->value_len < 200 ? (int)m->value_len : 0;
	int err;

	if (h->site)
		return NULL;
	b->len = 0;
	if (n == 3 && !memcmp(m->value, "off", 3))
		err = ph_buf_printf(b, "This dump has no allocation sites: tracemalloc was off in the "
				       "target. Start the program with PYTHONTRACEMALLOC=25 (or call "
				       "tracemalloc.start(25) in it) and dump it again.");
	else if (n > 13 && !memcmp(m->value, "unavailable: ", 13))
		err = ph_buf_printf(b, "This dump has no allocation sites: tracemalloc's table could "
				       "not be read (%.*s).", n - 13, (const char *)m->value + 13);
	else if (n == 2 && !memcmp(m->value, "on", 2))
		err = ph_buf_printf(b, "This dump has no allocation sites: tracemalloc was on but "
				       "traced none of the objects dumped.");
	else
		err = ph_buf_printf(b, "This dump has no allocation sites (it was written by a pyheap "
				       "that did not record them, or without tracemalloc on).");
	if (!err)
		err = ph_buf_put_u8(b, 0);
	return err ? "This dump has no allocation sites." : (const char *)b->data;
}
