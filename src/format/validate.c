/* SPDX-License-Identifier: MIT */
/*
 * validate.c - deep validation of a dump (see validate.h).
 *
 * Two passes over the chunks, each chunk decoded once: pass 1 reads META,
 * STRINGS, TYPES and OBJECTS (collecting object addresses, and the largest
 * string and type references with where they were seen, since those
 * sections may come after their users); pass 2 reads EDGES, THREADS and
 * ROOTS, which need every object address.
 */
#include "format/validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/addrset.h"
#include "common/error.h"

#define BATCH 256

struct vstate {
	struct ph_reader *r;
	struct ph_validate_report *rep;
	struct ph_addrset addrs; /* object addresses */
	uint64_t *obj_addr;      /* object id -> address */
	size_t obj_cap;
	struct vtype {
		uint64_t base; /* base type id + 1 */
		uint64_t addr;
	} *types;
	size_t type_cap;
	/* largest references seen, and where (for the error message) */
	uint64_t max_sref, max_type;
	char max_sref_where[160], max_type_where[160];
	uint64_t last_src; /* EDGES: last source id seen in the section */
	bool have_src;
	void (*progress)(void *, uint64_t, uint64_t);
	void *ctx;
	uint64_t done;
	/*
	 * References waiting to be checked: looked up in batches, prefetching
	 * every slot first, so that the cache misses overlap.
	 */
	struct vref {
		uint64_t addr, source;
		bool label;
	} batch[BATCH];
	size_t n_batch;
	/* objects waiting to be added (pass 1), with the cursor position for errors */
	struct vpending {
		uint64_t addr, record;
	} pending[BATCH];
	size_t n_pending;
};

static void where(const struct ph_cursor *c, char *buf, size_t n)
{
	char kb[24];

	snprintf(buf, n, "chunk %zu (%s at offset %llu), record %llu", c->chunk_index,
		 ph_chunk_kind_name(c->chunk.kind, kb), (unsigned long long)c->chunk.offset,
		 (unsigned long long)c->record);
}

static void note_sref(struct vstate *v, const struct ph_cursor *c, uint64_t sref)
{
	if (sref > v->max_sref) {
		v->max_sref = sref;
		where(c, v->max_sref_where, sizeof(v->max_sref_where));
	}
}

static void note_type(struct vstate *v, const struct ph_cursor *c, uint64_t id)
{
	if (id + 1 > v->max_type) {
		v->max_type = id + 1;
		where(c, v->max_type_where, sizeof(v->max_type_where));
	}
}

static void dangling(struct vstate *v, uint64_t *counter, uint64_t src, uint64_t target,
		     const char *what)
{
	struct ph_validate_report *rep = v->rep;

	(*counter)++;
	if (rep->n_examples < PH_VALIDATE_EXAMPLES) {
		rep->examples[rep->n_examples].source = src;
		rep->examples[rep->n_examples].target = target;
		rep->examples[rep->n_examples].what = what;
		rep->n_examples++;
	}
}

static bool known(const struct vstate *v, uint64_t addr)
{
	return ph_addrset_has(&v->addrs, addr);
}

static void check_batch(struct vstate *v)
{
	for (size_t i = 0; i < v->n_batch; i++)
		ph_addrset_prefetch(&v->addrs, v->batch[i].addr);
	for (size_t i = 0; i < v->n_batch; i++) {
		const struct vref *b = &v->batch[i];

		if (!known(v, b->addr))
			dangling(v, b->label ? &v->rep->dangling_labels : &v->rep->dangling_edges,
				 b->source, b->addr, b->label ? "edge label" : "edge target");
	}
	v->n_batch = 0;
}

static void check_later(struct vstate *v, uint64_t addr, uint64_t source, bool label)
{
	if (v->n_batch == BATCH)
		check_batch(v);
	v->batch[v->n_batch].addr = addr;
	v->batch[v->n_batch].source = source;
	v->batch[v->n_batch].label = label;
	v->n_batch++;
}

/* Add the pending object addresses; a duplicate is reported at the chunk being read. */
static int add_pending(struct vstate *v, const struct ph_cursor *c)
{
	int err = 0;

	for (size_t i = 0; i < v->n_pending; i++)
		ph_addrset_prefetch(&v->addrs, v->pending[i].addr);
	for (size_t i = 0; i < v->n_pending && !err; i++) {
		bool fresh;

		err = ph_addrset_add(&v->addrs, v->pending[i].addr, &fresh);
		if (!err && !fresh) {
			struct ph_cursor at = *c;

			at.record = v->pending[i].record;
			err = ph_cursor_corrupt(&at, __LINE__, "object address 0x%llx appears twice",
						(unsigned long long)v->pending[i].addr);
		}
	}
	v->n_pending = 0;
	return err;
}

static int pass1_chunk(struct vstate *v, struct ph_cursor *c)
{
	struct ph_validate_report *rep = v->rep;
	int err = 0;

	switch (c->chunk.kind) {
	case PH_FMT_KIND_META:
		while (!err && ph_cursor_more(c)) {
			struct ph_meta_rec m;

			err = ph_read_meta(c, &m);
			rep->meta++;
		}
		break;
	case PH_FMT_KIND_STRINGS:
		while (!err && ph_cursor_more(c)) {
			const uint8_t *s;
			uint64_t len;

			err = ph_read_string(c, &s, &len);
			rep->strings++;
		}
		break;
	case PH_FMT_KIND_TYPES:
		while (!err && ph_cursor_more(c)) {
			struct ph_type_rec t;

			err = ph_read_type(c, &t);
			if (err)
				break;
			note_sref(v, c, t.module);
			note_sref(v, c, t.qualname);
			if (t.base)
				note_type(v, c, t.base - 1);
			err = PH_ARRAY_RESERVE(v->types, v->type_cap, rep->types + 1);
			if (err)
				break;
			v->types[rep->types].base = t.base;
			v->types[rep->types].addr = t.address;
			rep->types++;
		}
		break;
	case PH_FMT_KIND_OBJECTS:
		while (!err && ph_cursor_more(c)) {
			struct ph_object_rec o;

			err = ph_read_object(c, &o);
			if (err)
				break;
			note_type(v, c, o.type);
			err = PH_ARRAY_RESERVE(v->obj_addr, v->obj_cap, rep->objects + 1);
			if (err)
				break;
			if (v->n_pending == BATCH)
				err = add_pending(v, c);
			v->pending[v->n_pending].addr = o.address;
			v->pending[v->n_pending++].record = c->record - 1;
			v->obj_addr[rep->objects++] = o.address;
		}
		if (!err)
			err = add_pending(v, c);
		break;
	default:
		return 0;
	}
	return err ? err : ph_cursor_finish(c);
}

static int pass2_chunk(struct vstate *v, struct ph_cursor *c)
{
	struct ph_validate_report *rep = v->rep;
	int err = 0;

	switch (c->chunk.kind) {
	case PH_FMT_KIND_EDGES:
		while (!err && ph_cursor_more(c)) {
			uint64_t src, saddr, n;

			err = ph_read_edges(c, &src, &saddr, &n);
			if (err)
				break;
			if (src >= rep->objects)
				return ph_cursor_corrupt(c, __LINE__, "edge source id %llu, but there are %llu objects",
							 (unsigned long long)src,
							 (unsigned long long)rep->objects);
			if (v->have_src && src < v->last_src)
				return ph_cursor_corrupt(c, __LINE__, "edge source id %llu after %llu: out of order",
							 (unsigned long long)src,
							 (unsigned long long)v->last_src);
			if (v->obj_addr[src] != saddr)
				return ph_cursor_corrupt(c, __LINE__,
							 "edge source id %llu at address 0x%llx, but that object is at 0x%llx",
							 (unsigned long long)src, (unsigned long long)saddr,
							 (unsigned long long)v->obj_addr[src]);
			v->last_src = src;
			v->have_src = true;
			rep->edge_records++;
			for (uint64_t i = 0; i < n && !err; i++) {
				struct ph_edge_rec e;

				err = ph_read_edge(c, &e);
				if (err)
					break;
				rep->edges++;
				if (e.kind == PH_FMT_LABEL_FIELD || e.kind == PH_FMT_LABEL_INTERNAL) {
					if (e.label == 0)
						return ph_cursor_corrupt(c, __LINE__, "edge label names no string");
					note_sref(v, c, e.label);
				}
				if (e.kind == PH_FMT_LABEL_ATTR || e.kind == PH_FMT_LABEL_KEY ||
				    e.kind == PH_FMT_LABEL_ENTRY)
					check_later(v, e.label, saddr, true);
				check_later(v, e.target, saddr, false);
			}
		}
		break;
	case PH_FMT_KIND_THREADS:
		while (!err && ph_cursor_more(c)) {
			struct ph_thread_rec t;

			err = ph_read_thread(c, &t);
			if (err)
				break;
			rep->threads++;
			note_sref(v, c, t.name);
			for (uint64_t i = 0; i < t.n_frames; i++) {
				const struct ph_frame_rec *f = &t.frames[i];

				rep->frames++;
				note_sref(v, c, f->function);
				note_sref(v, c, f->filename);
				if (f->code && !known(v, f->code))
					dangling(v, &rep->dangling_other, 0, f->code, "frame code");
				if (f->frame && !known(v, f->frame))
					dangling(v, &rep->dangling_other, 0, f->frame, "frame object");
				for (uint64_t j = 0; j < f->n_locals; j++) {
					rep->locals++;
					note_sref(v, c, f->locals[j].name);
					if (!known(v, f->locals[j].address))
						dangling(v, &rep->dangling_other, 0, f->locals[j].address,
							 "frame local");
				}
			}
		}
		break;
	case PH_FMT_KIND_ROOTS:
		while (!err && ph_cursor_more(c)) {
			struct ph_root_rec rr;

			err = ph_read_root(c, &rr);
			if (err)
				break;
			rep->roots++;
			note_sref(v, c, rr.label);
			if (!known(v, rr.address))
				dangling(v, &rep->dangling_other, 0, rr.address, "root");
		}
		break;
	default:
		return 0;
	}
	return err ? err : ph_cursor_finish(c);
}

static int run_pass(struct vstate *v, int pass, struct ph_cursor *c)
{
	struct ph_reader *r = v->r;

	for (size_t i = 0; i < r->n_chunks; i++) {
		const struct ph_chunk_info *ci = &r->chunks[i];
		bool mine;
		const uint8_t *data;
		size_t len;
		int err;

		switch (ci->kind) {
		case PH_FMT_KIND_EDGES:
		case PH_FMT_KIND_THREADS:
		case PH_FMT_KIND_ROOTS:
			mine = pass == 2;
			break;
		case PH_FMT_KIND_META:
		case PH_FMT_KIND_STRINGS:
		case PH_FMT_KIND_TYPES:
		case PH_FMT_KIND_OBJECTS:
			mine = pass == 1;
			break;
		default:
			if (pass == 1 && (ci->kind & PH_FMT_KIND_MUST_UNDERSTAND)) {
				char kb[24];

				return ph_error(PH_EVERSION,
						"%s: chunk %zu has %s, which this pyheap does not know but must understand: it needs a newer pyheap",
						r->name, i, ph_chunk_kind_name(ci->kind, kb));
			}
			if (pass == 1)
				v->rep->unknown_chunks++;
			mine = pass == 1; /* still checksum-check it */
		}
		if (!mine)
			continue;
		err = ph_reader_load(r, i, &data, &len);
		if (err)
			return err;
		ph_cursor_init(c, ci, i, data, len);
		err = pass == 1 ? pass1_chunk(v, c) : pass2_chunk(v, c);
		check_batch(v);
		if (err)
			return err;
		if (v->progress)
			v->progress(v->ctx, ++v->done, r->n_chunks);
	}
	return 0;
}

/* The base chain of every type ends (no cycles) and every base is a type. */
static int check_types(struct vstate *v)
{
	uint64_t n = v->rep->types;
	uint8_t *color;
	int err = 0;

	if (v->max_type > n)
		return ph_error(PH_ECORRUPT, "%s: %s refers to type id %llu, but there are %llu types",
				v->r->name, v->max_type_where, (unsigned long long)(v->max_type - 1),
				(unsigned long long)n);
	if (v->max_sref > v->rep->strings)
		return ph_error(PH_ECORRUPT, "%s: %s refers to string %llu, but there are %llu strings",
				v->r->name, v->max_sref_where, (unsigned long long)(v->max_sref - 1),
				(unsigned long long)v->rep->strings);
	color = calloc(n ? n : 1, 1); /* 0 new, 1 on the current chain, 2 done */
	if (!color)
		return ph_error(PH_ENOMEM, "cannot allocate %llu bytes", (unsigned long long)n);
	for (uint64_t i = 0; i < n && !err; i++) {
		uint64_t t = i;

		while (color[t] == 0) {
			color[t] = 1;
			if (!v->types[t].base)
				break;
			t = v->types[t].base - 1;
			if (color[t] == 1) {
				err = ph_error(PH_ECORRUPT,
					       "%s: the base chain of type %llu loops back to type %llu",
					       v->r->name, (unsigned long long)i, (unsigned long long)t);
				break;
			}
		}
		for (t = i; color[t] == 1;) {
			color[t] = 2;
			if (!v->types[t].base)
				break;
			t = v->types[t].base - 1;
		}
	}
	for (uint64_t i = 0; i < n && !err; i++)
		if (!known(v, v->types[i].addr))
			dangling(v, &v->rep->dangling_other, 0, v->types[i].addr, "type object");
	free(color);
	return err;
}

int ph_validate(struct ph_reader *r, struct ph_validate_report *rep,
		void (*progress)(void *ctx, uint64_t done, uint64_t total), void *ctx)
{
	struct vstate v;
	struct ph_cursor c;
	uint64_t n_objects = 0;
	int err;

	memset(rep, 0, sizeof(*rep));
	memset(&v, 0, sizeof(v));
	memset(&c, 0, sizeof(c));
	v.r = r;
	v.rep = rep;
	v.progress = progress;
	v.ctx = ctx;
	rep->chunks = r->n_chunks;
	for (size_t i = 0; i < r->n_chunks; i++) {
		rep->stored_bytes += r->chunks[i].stored_len;
		rep->raw_bytes += r->chunks[i].raw_len;
		if (r->chunks[i].kind == PH_FMT_KIND_OBJECTS)
			n_objects += r->chunks[i].count;
	}
	/*
	 * Size the tables once from the TOC's record counts (checked against
	 * each chunk's size, so they are bounded by the file).
	 */
	err = ph_addrset_reserve(&v.addrs, n_objects < (1u << 26) ? n_objects : (1u << 26));
	if (!err && n_objects)
		err = PH_ARRAY_RESERVE(v.obj_addr, v.obj_cap,
				       n_objects < (1u << 26) ? n_objects : (1u << 26));
	if (err)
		goto out;
	err = run_pass(&v, 1, &c);
	if (!err)
		err = check_types(&v);
	if (!err)
		err = run_pass(&v, 2, &c);
out:
	ph_cursor_release(&c);
	ph_addrset_release(&v.addrs);
	free(v.obj_addr);
	free(v.types);
	return err;
}
