/* SPDX-License-Identifier: MIT */
/*
 * validate.c - deep validation of a dump (see validate.h).
 *
 * Two passes over the chunks, each chunk decoded once: pass 1 reads META,
 * STRINGS, TYPES and OBJECTS (collecting object addresses, and the largest
 * string and type references with where they were seen, since those
 * sections may come after their users); pass 2 reads EDGES, THREADS,
 * ROOTS and NATIVE, which need every object address or the object count.
 *
 * Each pass runs on up to MAX_WORKERS threads that take chunks in turn
 * (every chunk decodes on its own; a chunk's first object and type id come
 * from the TOC's record counts). Object addresses go into one address set,
 * sized up front and filled with compare-and-swap; pass 2 only reads it.
 * Results that depend on order (edge sources increasing across chunks, the
 * first dangling examples) are kept per chunk and merged in file order, so
 * the report does not depend on the number of threads. References are
 * looked up in batches, prefetching every slot first, so that the cache
 * misses of a big heap overlap.
 */
#include "format/validate.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/addrset.h"
#include "common/error.h"
#include "format/xref.h"

#define BATCH 256
#define MAX_WORKERS 4
/* Tables are sized from the TOC up to this many objects; beyond, one thread grows them. */
#define PRESIZE_MAX ((uint64_t)1 << 27)

/* What pass 2 learns about one EDGES (or NATIVE) chunk, merged in file order. */
struct vchunk {
	uint64_t first_src, last_src; /* source (NATIVE: object) ids; UINT64_MAX when no record */
	int n_examples;
	struct {
		uint64_t source, target;
		const char *what;
	} examples[PH_VALIDATE_EXAMPLES];
};

struct vshared {
	struct ph_reader *r;
	struct ph_addrset addrs;  /* object addresses */
	bool concurrent;          /* addrs was sized for every object: CAS inserts */
	uint64_t *obj_addr;       /* object id -> address */
	size_t obj_cap;           /* grown on demand when not sized up front */
	uint64_t n_objects;       /* from the TOC */
	uint64_t n_tracebacks;    /* from the TOC */
	uint64_t *chunk_base;     /* per chunk: id of its first record in its section */
	struct vchunk *chunks;
	struct vtype {
		uint64_t base; /* base type id + 1 */
		uint64_t addr;
	} *types;
	size_t type_cap;
	uint64_t n_types, n_strings;
	size_t next;              /* next chunk to take (atomic) */
	int pass;
	int stop;                 /* set when a worker fails (atomic) */
	uint64_t done;            /* chunks done (atomic), for progress */
	void (*progress)(void *, uint64_t, uint64_t);
	void *ctx;
};

struct vworker {
	struct vshared *sh;
	struct ph_chunk_buf buf;
	struct ph_cursor c;
	struct ph_validate_report rep; /* this worker's counts */
	struct ph_xref xref;           /* this worker's references and sizes */
	struct vref {
		uint64_t addr, source;
		bool label;
	} batch[BATCH];
	size_t n_batch;
	struct vpending {
		uint64_t addr, record;
	} pending[BATCH];
	size_t n_pending;
	struct vchunk *cur; /* the EDGES chunk being read (pass 2) */
	int err;
	size_t err_chunk;
	char err_msg[1024];
	pthread_t thread;
	bool reporter; /* the calling thread: reports progress */
};

/* A dangling reference found outside EDGES chunks (those keep examples per chunk). */
static void dangling(struct vworker *w, uint64_t *counter, uint64_t src, uint64_t target,
		     const char *what)
{
	struct ph_validate_report *rep = &w->rep;

	(*counter)++;
	if (rep->n_examples < PH_VALIDATE_EXAMPLES) {
		rep->examples[rep->n_examples].source = src;
		rep->examples[rep->n_examples].target = target;
		rep->examples[rep->n_examples].what = what;
		rep->n_examples++;
	}
}

static bool known(const struct vshared *sh, uint64_t addr)
{
	return ph_addrset_has(&sh->addrs, addr);
}

static void check_batch(struct vworker *w)
{
	const struct vshared *sh = w->sh;
	struct vchunk *vc = w->cur;

	for (size_t i = 0; i < w->n_batch; i++)
		ph_addrset_prefetch(&sh->addrs, w->batch[i].addr);
	for (size_t i = 0; i < w->n_batch; i++) {
		const struct vref *b = &w->batch[i];

		if (known(sh, b->addr))
			continue;
		if (b->label)
			w->rep.dangling_labels++;
		else
			w->rep.dangling_edges++;
		if (vc->n_examples < PH_VALIDATE_EXAMPLES) {
			vc->examples[vc->n_examples].source = b->source;
			vc->examples[vc->n_examples].target = b->addr;
			vc->examples[vc->n_examples].what = b->label ? "edge label" : "edge target";
			vc->n_examples++;
		}
	}
	w->n_batch = 0;
}

static void check_later(struct vworker *w, uint64_t addr, uint64_t source, bool label)
{
	if (w->n_batch == BATCH)
		check_batch(w);
	w->batch[w->n_batch].addr = addr;
	w->batch[w->n_batch].source = source;
	w->batch[w->n_batch].label = label;
	w->n_batch++;
}

/* Add the pending object addresses; a duplicate is reported at its record. */
static int add_pending(struct vworker *w, const struct ph_cursor *c)
{
	struct vshared *sh = w->sh;
	int err = 0;

	for (size_t i = 0; i < w->n_pending; i++)
		ph_addrset_prefetch(&sh->addrs, w->pending[i].addr);
	for (size_t i = 0; i < w->n_pending && !err; i++) {
		bool fresh;

		if (sh->concurrent)
			err = ph_addrset_add_concurrent(&sh->addrs, w->pending[i].addr, &fresh);
		else
			err = ph_addrset_add(&sh->addrs, w->pending[i].addr, &fresh);
		if (!err && !fresh) {
			struct ph_cursor at = *c;

			at.record = w->pending[i].record;
			err = ph_cursor_corrupt(&at, __LINE__, "object address 0x%llx appears twice",
						(unsigned long long)w->pending[i].addr);
		}
	}
	w->n_pending = 0;
	return err;
}

static int pass1_chunk(struct vworker *w, struct ph_cursor *c)
{
	struct vshared *sh = w->sh;
	uint64_t base = sh->chunk_base[c->chunk_index];
	int err = 0;

	switch (c->chunk.kind) {
	case PH_FMT_KIND_META:
		while (!err && ph_cursor_more(c)) {
			struct ph_meta_rec m;

			err = ph_read_meta(c, &m);
			w->rep.meta++;
		}
		break;
	case PH_FMT_KIND_STRINGS:
		while (!err && ph_cursor_more(c)) {
			const uint8_t *s;
			uint64_t len;

			err = ph_read_string(c, &s, &len);
			w->rep.strings++;
		}
		break;
	case PH_FMT_KIND_TYPES:
		while (!err && ph_cursor_more(c)) {
			struct ph_type_rec t;
			uint64_t id = base + c->record;

			err = ph_read_type(c, &t);
			if (!err && !sh->concurrent)
				err = PH_ARRAY_RESERVE(sh->types, sh->type_cap, id + 1);
			if (err)
				break;
			ph_xref_sref(&w->xref, c, t.module);
			ph_xref_sref(&w->xref, c, t.qualname);
			if (t.base)
				ph_xref_type(&w->xref, c, t.base - 1);
			sh->types[id].base = t.base;
			sh->types[id].addr = t.address;
			w->rep.types++;
		}
		break;
	case PH_FMT_KIND_OBJECTS:
		while (!err && ph_cursor_more(c)) {
			struct ph_object_rec o;
			uint64_t id = base + c->record;

			err = ph_read_object(c, &o);
			if (!err)
				err = ph_xref_size(&w->xref, c, o.size);
			if (!err && !sh->concurrent)
				err = PH_ARRAY_RESERVE(sh->obj_addr, sh->obj_cap, id + 1);
			if (err)
				break;
			ph_xref_type(&w->xref, c, o.type);
			if (w->n_pending == BATCH)
				err = add_pending(w, c);
			w->pending[w->n_pending].addr = o.address;
			w->pending[w->n_pending++].record = c->record - 1;
			sh->obj_addr[id] = o.address;
			w->rep.objects++;
		}
		if (!err)
			err = add_pending(w, c);
		break;
	default:
		return 0;
	}
	return err ? err : ph_cursor_finish(c);
}

static int pass2_chunk(struct vworker *w, struct ph_cursor *c)
{
	struct vshared *sh = w->sh;
	struct ph_validate_report *rep = &w->rep;
	int err = 0;

	switch (c->chunk.kind) {
	case PH_FMT_KIND_EDGES: {
		struct vchunk *vc = &sh->chunks[c->chunk_index];

		w->cur = vc;
		while (!err && ph_cursor_more(c)) {
			uint64_t src, saddr, n;

			err = ph_read_edges(c, &src, &saddr, &n);
			if (err)
				break;
			if ((err = ph_xref_source(c, src, saddr, sh->obj_addr, sh->n_objects,
						  vc->last_src)))
				return err;
			if (vc->first_src == UINT64_MAX)
				vc->first_src = src;
			vc->last_src = src;
			rep->edge_records++;
			for (uint64_t i = 0; i < n && !err; i++) {
				struct ph_edge_rec e;

				err = ph_read_edge(c, &e);
				if (err)
					break;
				rep->edges++;
				if ((err = ph_xref_label(&w->xref, c, &e)))
					return err;
				if (e.kind == PH_FMT_LABEL_ATTR || e.kind == PH_FMT_LABEL_KEY ||
				    e.kind == PH_FMT_LABEL_ENTRY)
					check_later(w, e.label, saddr, true);
				check_later(w, e.target, saddr, false);
			}
		}
		check_batch(w);
		break;
	}
	case PH_FMT_KIND_THREADS:
		while (!err && ph_cursor_more(c)) {
			struct ph_thread_rec t;

			err = ph_read_thread(c, &t);
			if (err)
				break;
			rep->threads++;
			ph_xref_sref(&w->xref, c, t.name);
			for (uint64_t i = 0; i < t.n_frames; i++) {
				const struct ph_frame_rec *f = &t.frames[i];

				rep->frames++;
				ph_xref_sref(&w->xref, c, f->function);
				ph_xref_sref(&w->xref, c, f->filename);
				if (f->code && !known(sh, f->code))
					dangling(w, &rep->dangling_other, 0, f->code, "frame code");
				if (f->frame && !known(sh, f->frame))
					dangling(w, &rep->dangling_other, 0, f->frame, "frame object");
				for (uint64_t j = 0; j < f->n_locals; j++) {
					rep->locals++;
					ph_xref_sref(&w->xref, c, f->locals[j].name);
					if (!known(sh, f->locals[j].address))
						dangling(w, &rep->dangling_other, 0, f->locals[j].address,
							 "frame local");
				}
			}
		}
		break;
	case PH_FMT_KIND_NATIVE: {
		struct vchunk *vc = &sh->chunks[c->chunk_index];
		struct ph_native_rec nr;

		while (!err && ph_cursor_more(c)) {
			err = ph_read_native(c, &nr);
			if (!err)
				err = ph_xref_native(&w->xref, c, &nr, sh->n_objects, vc->last_src);
			if (err)
				break;
			if (vc->first_src == UINT64_MAX)
				vc->first_src = nr.id;
			vc->last_src = nr.id;
			rep->native++;
		}
		break;
	}
	case PH_FMT_KIND_ROOTS:
		while (!err && ph_cursor_more(c)) {
			struct ph_root_rec rr;

			err = ph_read_root(c, &rr);
			if (err)
				break;
			rep->roots++;
			ph_xref_sref(&w->xref, c, rr.label);
			if (!known(sh, rr.address))
				dangling(w, &rep->dangling_other, 0, rr.address, "root");
		}
		break;
	case PH_FMT_KIND_TRACEBACKS:
		while (!err && ph_cursor_more(c)) {
			struct ph_traceback_rec t;

			err = ph_read_traceback(c, &t);
			for (uint64_t i = 0; !err && i < t.n_frames; i++)
				ph_xref_sref(&w->xref, c, t.frames[i].filename);
			rep->tracebacks++;
		}
		break;
	case PH_FMT_KIND_SITES: {
		struct vchunk *vc = &sh->chunks[c->chunk_index];

		while (!err && ph_cursor_more(c)) {
			struct ph_site_rec s;

			if (!(err = ph_read_site(c, &s)))
				err = ph_xref_site(c, &s, sh->n_objects, sh->n_tracebacks);
			if (err)
				break;
			if (vc->first_src == UINT64_MAX)
				vc->first_src = s.object;
			vc->last_src = s.object;
			rep->sites++;
		}
		break;
	}
	default:
		return 0;
	}
	return err ? err : ph_cursor_finish(c);
}

static bool in_pass(uint32_t kind, int pass)
{
	switch (kind) {
	case PH_FMT_KIND_EDGES:
	case PH_FMT_KIND_THREADS:
	case PH_FMT_KIND_ROOTS:
	case PH_FMT_KIND_TRACEBACKS:
	case PH_FMT_KIND_SITES:
	case PH_FMT_KIND_NATIVE:
		return pass == 2;
	default: /* unknown kinds are checksum-checked in pass 1 */
		return pass == 1;
	}
}

static void *worker_run(void *p)
{
	struct vworker *w = p;
	struct vshared *sh = w->sh;
	struct ph_reader *r = sh->r;

	for (;;) {
		size_t i = __atomic_fetch_add(&sh->next, 1, __ATOMIC_RELAXED);
		const struct ph_chunk_info *ci;
		const uint8_t *data;
		size_t len;
		int err;

		if (i >= r->n_chunks || __atomic_load_n(&sh->stop, __ATOMIC_RELAXED))
			break;
		ci = &r->chunks[i];
		if (!in_pass(ci->kind, sh->pass))
			continue;
		err = ph_reader_load_buf(r, i, &w->buf, &data, &len);
		if (!err) {
			ph_cursor_init(&w->c, ci, i, data, len);
			err = sh->pass == 1 ? pass1_chunk(w, &w->c) : pass2_chunk(w, &w->c);
		}
		if (err) {
			w->err = err;
			w->err_chunk = i;
			snprintf(w->err_msg, sizeof(w->err_msg), "%s", ph_error_detail());
			__atomic_store_n(&sh->stop, 1, __ATOMIC_RELAXED);
			break;
		}
		__atomic_add_fetch(&sh->done, 1, __ATOMIC_RELAXED);
		if (w->reporter && sh->progress)
			sh->progress(sh->ctx, __atomic_load_n(&sh->done, __ATOMIC_RELAXED),
				     r->n_chunks);
	}
	return NULL;
}

/* Run one pass on n workers (worker 0 on the calling thread). */
static int run_pass(struct vshared *sh, struct vworker *ws, int n, int pass)
{
	int err = 0, started = 1;
	size_t err_chunk = SIZE_MAX;

	sh->pass = pass;
	sh->next = 0;
	for (int k = 1; k < n; k++) {
		if (pthread_create(&ws[k].thread, NULL, worker_run, &ws[k]) != 0)
			break;
		started++;
	}
	ws[0].reporter = true;
	worker_run(&ws[0]);
	for (int k = 1; k < started; k++)
		pthread_join(ws[k].thread, NULL);
	for (int k = 0; k < n; k++) { /* report the failure found at the earliest chunk */
		if (ws[k].err && ws[k].err_chunk < err_chunk) {
			err = ws[k].err;
			err_chunk = ws[k].err_chunk;
			ph_error(err, "%s", ws[k].err_msg);
		}
		ws[k].err = 0;
	}
	return err;
}

static uint64_t vtype_base(const void *ctx, uint64_t i)
{
	const struct vshared *sh = ctx;

	return sh->types[i].base;
}

/* Every type and string reference resolves, the base chains end; types whose object is missing. */
static int check_types(struct vshared *sh, const struct ph_xref *x, struct ph_validate_report *rep)
{
	int err = ph_xref_check(x, sh->r->name, sh->n_types, sh->n_strings);

	if (!err)
		err = ph_xref_bases(sh->r->name, sh->n_types, vtype_base, sh);
	for (uint64_t i = 0; i < sh->n_types && !err; i++) {
		if (known(sh, sh->types[i].addr))
			continue;
		rep->dangling_other++;
		if (rep->n_examples < PH_VALIDATE_EXAMPLES) {
			rep->examples[rep->n_examples].source = 0;
			rep->examples[rep->n_examples].target = sh->types[i].addr;
			rep->examples[rep->n_examples].what = "type object";
			rep->n_examples++;
		}
	}
	return err;
}

static void add_report(struct ph_validate_report *to, const struct ph_validate_report *from)
{
	to->meta += from->meta;
	to->strings += from->strings;
	to->types += from->types;
	to->objects += from->objects;
	to->edge_records += from->edge_records;
	to->edges += from->edges;
	to->threads += from->threads;
	to->frames += from->frames;
	to->locals += from->locals;
	to->roots += from->roots;
	to->native += from->native;
	to->dangling_edges += from->dangling_edges;
	to->dangling_labels += from->dangling_labels;
	to->dangling_other += from->dangling_other;
	for (int i = 0; i < from->n_examples && to->n_examples < PH_VALIDATE_EXAMPLES; i++)
		to->examples[to->n_examples++] = from->examples[i];
}

/* Section positions of every chunk, from the TOC; and the layout checks that need them. */
static int plan(struct vshared *sh, struct ph_validate_report *rep)
{
	struct ph_reader *r = sh->r;
	uint64_t next_obj = 0, next_type = 0, next_str = 0;

	sh->chunk_base = calloc(r->n_chunks ? r->n_chunks : 1, sizeof(*sh->chunk_base));
	sh->chunks = calloc(r->n_chunks ? r->n_chunks : 1, sizeof(*sh->chunks));
	if (!sh->chunk_base || !sh->chunks)
		return ph_error(PH_ENOMEM, "cannot allocate the chunk plan");
	for (size_t i = 0; i < r->n_chunks; i++) {
		const struct ph_chunk_info *ci = &r->chunks[i];

		rep->stored_bytes += ci->stored_len;
		rep->raw_bytes += ci->raw_len;
		sh->chunks[i].first_src = sh->chunks[i].last_src = UINT64_MAX;
		switch (ci->kind) {
		case PH_FMT_KIND_OBJECTS:
			sh->chunk_base[i] = next_obj;
			next_obj += ci->count;
			break;
		case PH_FMT_KIND_TYPES:
			sh->chunk_base[i] = next_type;
			next_type += ci->count;
			break;
		case PH_FMT_KIND_STRINGS:
			next_str += ci->count;
			break;
		case PH_FMT_KIND_TRACEBACKS:
			sh->n_tracebacks += ci->count;
			break;
		case PH_FMT_KIND_SITES:
		case PH_FMT_KIND_META:
		case PH_FMT_KIND_EDGES:
		case PH_FMT_KIND_THREADS:
		case PH_FMT_KIND_ROOTS:
		case PH_FMT_KIND_NATIVE:
			break;
		default:
			if (ci->kind & PH_FMT_KIND_MUST_UNDERSTAND) {
				char kb[24];

				return ph_error(PH_EVERSION,
						"%s: chunk %zu has %s, which this pyheap does not know but must understand: it needs a newer pyheap",
						r->name, i, ph_chunk_kind_name(ci->kind, kb));
			}
			rep->unknown_chunks++;
		}
	}
	/* counts come from chunk headers whose count <= raw length <= 64 MiB each */
	sh->n_objects = next_obj;
	sh->n_types = next_type;
	sh->n_strings = next_str;
	/*
	 * Size the tables up front (and let several threads fill them) only when
	 * the counts are plausible for the file: a record takes at least a byte
	 * of it. Otherwise the tables grow as records really arrive, on one
	 * thread, so that a lying TOC cannot make us allocate anything.
	 */
	if (next_obj <= r->file_size && next_obj <= PRESIZE_MAX && next_type <= r->file_size) {
		int err;

		sh->obj_cap = next_obj ? next_obj : 1;
		sh->type_cap = next_type ? next_type : 1;
		sh->obj_addr = malloc(sh->obj_cap * sizeof(uint64_t));
		sh->types = malloc(sh->type_cap * sizeof(*sh->types));
		if (!sh->obj_addr || !sh->types)
			return ph_error(PH_ENOMEM, "%s: cannot allocate tables for %llu objects",
					r->name, (unsigned long long)next_obj);
		err = ph_addrset_reserve(&sh->addrs, next_obj);
		if (err)
			return err;
		sh->concurrent = true;
	}
	return 0;
}

/* NATIVE chunks in file order: each one's first id above the previous one's last. */
static int native_order(const struct ph_reader *r, const struct vchunk *chunks)
{
	uint64_t last = 0;
	bool have = false;

	for (size_t i = 0; i < r->n_chunks; i++) {
		const struct vchunk *vc = &chunks[i];

		if (r->chunks[i].kind != PH_FMT_KIND_NATIVE || vc->first_src == UINT64_MAX)
			continue;
		if (have && vc->first_src <= last)
			return ph_error(PH_ECORRUPT,
					"%s: chunk %zu (NATIVE at offset %llu): native record for object id %llu after %llu: out of order or twice",
					r->name, i, (unsigned long long)r->chunks[i].offset,
					(unsigned long long)vc->first_src, (unsigned long long)last);
		last = vc->last_src;
		have = true;
	}
	return 0;
}

static int workers_for(const struct ph_reader *r, bool concurrent)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int n = cpus > 1 ? (int)cpus : 1;

	if (n > MAX_WORKERS)
		n = MAX_WORKERS;
	if (!concurrent || r->n_chunks < 4)
		n = 1;
	return n;
}

int ph_validate(struct ph_reader *r, struct ph_validate_report *rep,
		void (*progress)(void *ctx, uint64_t done, uint64_t total), void *ctx)
{
	struct vshared sh;
	struct vworker *ws;
	uint64_t objects_size = 0;
	int n, err;

	memset(rep, 0, sizeof(*rep));
	memset(&sh, 0, sizeof(sh));
	sh.r = r;
	sh.progress = progress;
	sh.ctx = ctx;
	rep->chunks = r->n_chunks;
	ws = calloc(MAX_WORKERS, sizeof(*ws));
	if (!ws)
		return ph_error(PH_ENOMEM, "cannot allocate validation workers");
	err = plan(&sh, rep);
	n = workers_for(r, sh.concurrent);
	for (int k = 0; k < MAX_WORKERS; k++)
		ws[k].sh = &sh;
	if (!err)
		err = run_pass(&sh, ws, n, 1);
	if (!err) {
		struct ph_xref x;

		memset(&x, 0, sizeof(x));
		objects_size = 0;
		for (int k = 0; k < n; k++) {
			if (!err)
				err = ph_xref_merge(&x, &ws[k].xref, r->name);
			add_report(rep, &ws[k].rep);
			memset(&ws[k].rep, 0, sizeof(ws[k].rep));
			/* pass 2 notes string references only: strings are checked again after it */
			memset(&ws[k].xref, 0, sizeof(ws[k].xref));
		}
		if (!err)
			err = check_types(&sh, &x, rep);
		objects_size = x.total_size;
	}
	if (!err)
		err = run_pass(&sh, ws, n, 2);
	if (!err) {
		struct ph_xref x;
		uint64_t last = 0;
		bool have = false;

		memset(&x, 0, sizeof(x));
		for (int k = 0; k < n; k++) {
			/* pass 2's sizes are native bytes only */
			if (!err)
				err = ph_xref_merge(&x, &ws[k].xref, r->name);
			add_report(rep, &ws[k].rep);
		}
		if (!err)
			err = ph_xref_total(objects_size, x.total_native, r->name);
		rep->native_bytes = x.total_native;
		if (!err)
			err = ph_xref_check(&x, r->name, sh.n_types, sh.n_strings);
		if (!err)
			err = native_order(r, sh.chunks);
		/* SITES chunks in file order: objects increase (one site each) */
		for (size_t i = 0; !err && i < r->n_chunks; i++) {
			const struct vchunk *vc = &sh.chunks[i];

			if (r->chunks[i].kind != PH_FMT_KIND_SITES || vc->first_src == UINT64_MAX)
				continue;
			if (have && vc->first_src <= last)
				err = ph_error(PH_ECORRUPT, "%s: chunk %zu (SITES at offset %llu): the site of object %llu after object %llu's: out of order",
					       r->name, i, (unsigned long long)r->chunks[i].offset,
					       (unsigned long long)vc->first_src, (unsigned long long)last);
			last = vc->last_src;
			have = true;
		}
		have = false;
		/* EDGES chunks in file order: sources never decrease; examples merged in order */
		for (size_t i = 0; !err && i < r->n_chunks; i++) {
			const struct vchunk *vc = &sh.chunks[i];

			if (r->chunks[i].kind != PH_FMT_KIND_EDGES || vc->first_src == UINT64_MAX)
				continue;
			if (have && vc->first_src < last) {
				char kb[24];

				err = ph_error(PH_ECORRUPT,
					       "%s: chunk %zu (%s at offset %llu): edge source id %llu after %llu: out of order",
					       r->name, i, ph_chunk_kind_name(r->chunks[i].kind, kb),
					       (unsigned long long)r->chunks[i].offset,
					       (unsigned long long)vc->first_src, (unsigned long long)last);
				break;
			}
			last = vc->last_src;
			have = true;
			for (int e = 0; e < vc->n_examples && rep->n_examples < PH_VALIDATE_EXAMPLES; e++) {
				rep->examples[rep->n_examples].source = vc->examples[e].source;
				rep->examples[rep->n_examples].target = vc->examples[e].target;
				rep->examples[rep->n_examples].what = vc->examples[e].what;
				rep->n_examples++;
			}
		}
	}
	for (int k = 0; k < MAX_WORKERS; k++) {
		ph_chunk_buf_release(&ws[k].buf);
		ph_cursor_release(&ws[k].c);
	}
	free(ws);
	ph_addrset_release(&sh.addrs);
	free(sh.obj_addr);
	free(sh.types);
	free(sh.chunk_base);
	free(sh.chunks);
	return err;
}
