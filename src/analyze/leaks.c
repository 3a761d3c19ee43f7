/* SPDX-License-Identifier: MIT */
/*
 * leaks.c - objects that leak across dumps of one process (see leaks.h).
 */
#include "analyze/leaks.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/paths.h"
#include "analyze/render.h"
#include "common/addrmap.h"
#include "common/error.h"
#include "common/hash.h"
#include "common/strtab.h"
#include "format/reader.h"

/* ---- TARGET's objects by address: open addressing over object ids ---- */

struct index {
	const struct ph_heap *h;
	uint32_t *slots; /* object ids, PH_NO_ID for empty */
	size_t mask;
};

static int index_build(struct index *ix, const struct ph_heap *h)
{
	size_t cap = 1024;

	while (cap < 2 * (size_t)h->n_objects)
		cap *= 2;
	ix->h = h;
	ix->mask = cap - 1;
	if (!(ix->slots = malloc(cap * sizeof(*ix->slots))))
		return ph_error(PH_ENOMEM, "cannot allocate an index of %u objects", h->n_objects);
	memset(ix->slots, 0xff, cap * sizeof(*ix->slots));
	for (uint32_t v = 0; v < h->n_objects; v++) {
		size_t i = ph_mix64(h->addr[v]) & ix->mask;

		while (ix->slots[i] != PH_NO_ID)
			i = (i + 1) & ix->mask;
		ix->slots[i] = v;
	}
	return 0;
}

static uint32_t index_find(const struct index *ix, uint64_t addr)
{
	for (size_t i = ph_mix64(addr) & ix->mask;; i = (i + 1) & ix->mask) {
		uint32_t v = ix->slots[i];

		if (v == PH_NO_ID || ix->h->addr[v] == addr)
			return v;
	}
}

/*
 * What must match besides the address and the type object: the value, and
 * the size of an object whose size its type fixes at creation (itemsize not
 * 0: int, str, bytes, tuple; a list's or a dict's size changes as it grows).
 * An address freed after BASE is soon reused by a new object of the same
 * size class, often of the same type; a different value or size tells them
 * apart. Objects without a value and of a type whose size changes cannot be
 * told apart: a new one at a reused address counts as the old one.
 */
static uint32_t sig(uint64_t size, uint64_t itemsize, const struct ph_value *v)
{
	uint64_t x = itemsize ? ph_mix64(size) : 0;

	if (v->kind) {
		uint64_t f;

		memcpy(&f, &v->f, sizeof(f));
		x ^= ph_mix64((uint64_t)v->kind << 32 | (uint64_t)v->sign << 8 | v->b) ^
		     ph_mix64(v->length + 0x9e3779b97f4a7c15ULL) ^ ph_mix64((uint64_t)v->i ^ f << 1);
		if (v->data_len)
			x ^= ph_xxh3(v->data, (size_t)v->data_len);
	}
	return (uint32_t)(x ^ x >> 32);
}

/* ---- what identifies a dump's process and moment ---- */

struct ident {
	const char *path;
	bool have_pid, have_start, have_time;
	uint64_t pid, start_ticks, time_ns;
	char boot_id[37];
};

static void ident_meta(struct ident *id, const char *key, size_t klen, uint8_t type, uint64_t u,
		       const uint8_t *value, uint64_t vlen)
{
	if (type != PH_FMT_META_UINT && type != PH_FMT_META_STR)
		return;
	if (klen == 3 && !memcmp(key, "pid", 3) && type == PH_FMT_META_UINT) {
		id->have_pid = true;
		id->pid = u;
	} else if (klen == 11 && !memcmp(key, "start_ticks", 11) && type == PH_FMT_META_UINT) {
		id->have_start = true;
		id->start_ticks = u;
	} else if (klen == 7 && !memcmp(key, "time_ns", 7) && type == PH_FMT_META_UINT) {
		id->have_time = true;
		id->time_ns = u;
	} else if (klen == 7 && !memcmp(key, "boot_id", 7) && type == PH_FMT_META_STR) {
		size_t n = vlen < 36 ? (size_t)vlen : 36;

		memcpy(id->boot_id, value, n);
		id->boot_id[n] = '\0';
	}
}

/* Refuse b unless it is a dump of a's process; compare their moments with order (-1: b first). */
static int same_process(const struct ident *a, const struct ident *b, int order, bool *start_checked)
{
	if (!a->have_pid || !b->have_pid)
		return ph_error(PH_EINVAL, "%s records no process id: it cannot be matched with %s",
				a->have_pid ? b->path : a->path, a->have_pid ? a->path : b->path);
	if (a->pid != b->pid)
		return ph_error(PH_EINVAL,
				"%s and %s are dumps of different processes (pid %" PRIu64 " and %" PRIu64 ")",
				b->path, a->path, b->pid, a->pid);
	if (a->have_start && b->have_start) {
		if (a->start_ticks != b->start_ticks || strcmp(a->boot_id, b->boot_id))
			return ph_error(PH_EINVAL,
					"%s and %s are dumps of different processes: pid %" PRIu64
					" started at %" PRIu64 " and at %" PRIu64 " clock ticks after boot%s",
					b->path, a->path, a->pid, b->start_ticks, a->start_ticks,
					strcmp(a->boot_id, b->boot_id) ? ", in different boots" : "");
	} else {
		*start_checked = false;
	}
	if (a->have_time && b->have_time && (order < 0 ? b->time_ns >= a->time_ns : b->time_ns <= a->time_ns))
		return ph_error(PH_EINVAL, "%s was taken %s %s: give BASE, TARGET and FINAL in the order they were taken",
				b->path, order < 0 ? "after" : "before", a->path);
	return 0;
}

/*
 * Read the dump at path: its identity, and a bit in seen (by object of the
 * target) for each of its objects that is the target's object at the same
 * address with the same type object. *objects receives its object count.
 */
static int scan(const char *path, const struct index *ix, uint64_t *seen, struct ident *id,
		uint64_t *objects)
{
	const struct ph_heap *h = ix->h;
	uint32_t next = 0;
	struct ph_reader *r;
	struct ph_cursor c;
	struct {
		uint64_t address, itemsize;
	} *types = NULL;
	size_t n_types = 0, cap_types = 0;
	int err = ph_reader_open(&r, path);

	if (err)
		return err;
	memset(&c, 0, sizeof(c));
	*objects = 0;
	/* pass 0: metadata and types (which objects refer to by index); pass 1: objects */
	for (int pass = 0; pass < 2 && !err; pass++) {
		for (size_t i = 0; i < r->n_chunks && !err; i++) {
			const struct ph_chunk_info *ci = &r->chunks[i];
			const uint8_t *data;
			size_t len;

			if (ci->kind > PH_FMT_KIND_ROOTS && (ci->kind & PH_FMT_KIND_MUST_UNDERSTAND)) {
				char kb[24];

				err = ph_error(PH_EVERSION,
					       "%s: chunk %zu has %s, which this pyheap does not know but must understand: it needs a newer pyheap",
					       path, i, ph_chunk_kind_name(ci->kind, kb));
				break;
			}
			if (pass == 0 ? ci->kind != PH_FMT_KIND_META && ci->kind != PH_FMT_KIND_TYPES
				      : ci->kind != PH_FMT_KIND_OBJECTS)
				continue;
			if ((err = ph_reader_load(r, i, &data, &len)))
				break;
			ph_cursor_init(&c, ci, i, data, len);
			while (!err && ph_cursor_more(&c)) {
				if (ci->kind == PH_FMT_KIND_META) {
					struct ph_meta_rec m;

					if (!(err = ph_read_meta(&c, &m)))
						ident_meta(id, (const char *)m.key, (size_t)m.key_len, m.type, m.u,
							   m.value, m.value_len);
				} else if (ci->kind == PH_FMT_KIND_TYPES) {
					struct ph_type_rec tr;

					if (!(err = ph_read_type(&c, &tr)) &&
					    !(err = ph_array_grow((void **)&types, &cap_types, n_types + 1,
								  sizeof(*types)))) {
						types[n_types].address = tr.address;
						types[n_types++].itemsize = tr.itemsize;
					}
				} else {
					struct ph_object_rec o;
					uint32_t v;

					if ((err = ph_read_object(&c, &o)))
						break;
					if (o.type >= n_types) {
						err = ph_cursor_corrupt(&c, __LINE__, "object of type %" PRIu64 " of %zu types",
									o.type, n_types);
						break;
					}
					++*objects;
					/* the agent walks a heap in much the same order each time: the
					   object after the last one found is the likeliest */
					v = next < h->n_objects && h->addr[next] == o.address
						    ? next : index_find(ix, o.address);
					next = v == PH_NO_ID ? next : v + 1;
					if (v != PH_NO_ID && h->types[h->type[v]].address == types[o.type].address) {
						struct ph_value val;

						ph_heap_value(h, v, &val);
						if (sig(h->size[v], h->types[h->type[v]].itemsize, &val) ==
						    sig(o.size, types[o.type].itemsize, &o.value))
							ph_bit_set(seen, v);
					}
				}
			}
			if (!err)
				err = ph_cursor_finish(&c);
		}
	}
	ph_cursor_release(&c);
	free(types);
	ph_reader_free(r);
	return err;
}

struct scan_job {
	const char *path;
	const struct index *ix;
	uint64_t *seen;
	struct ident *id;
	uint64_t objects;
	int err;
	struct ph_error_saved saved; /* errors are per thread: carried to the caller */
};

static void *scan_thread(void *arg)
{
	struct scan_job *j = arg;

	if ((j->err = scan(j->path, j->ix, j->seen, j->id, &j->objects)))
		ph_error_save(&j->saved);
	return NULL;
}

/* ---- paths as patterns ---- */

static char *holder_path(const struct ph_analysis *a, const struct ph_bfs *bfs,
			 const uint32_t *edges, uint32_t v)
{
	struct ph_buf b = PH_BUF_INIT;
	struct ph_path p = {NULL, 0};
	int err;

	if (v == a->g.super)
		err = ph_buf_put(&b, "<roots>", 7);
	else if (!(err = ph_bfs_path_with(bfs, a, edges, v, &p)))
		err = ph_path_expr(&b, &a->g, &p);
	free(p.steps);
	if (err || ph_buf_put(&b, "", 1)) {
		ph_buf_release(&b);
		return NULL;
	}
	ph_path_pattern((char *)b.data);
	return (char *)b.data;
}

/* ---- the leaks ---- */

struct holder {
	uint32_t node;
	uint64_t count, size, retained;
};

static int holder_cmp(const void *x, const void *y)
{
	const struct holder *a = x, *b = y;

	if (a->size != b->size)
		return a->size > b->size ? -1 : 1;
	return (a->node > b->node) - (a->node < b->node);
}

static int row_cmp(const void *x, const void *y)
{
	const struct ph_leak_row *a = x, *b = y;

	if (a->size != b->size)
		return a->size > b->size ? -1 : 1;
	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	return strcmp(a->path, b->path);
}

/* Merge the holders (sorted, the largest first) into rows by their path patterns. */
static int merge(struct ph_leaks *l, const struct ph_analysis *a, const struct holder *hs, size_t n)
{
	struct ph_strtab paths; /* path ids: the rows' indexes */
	struct ph_bfs bfs = {NULL};
	uint32_t *edges = NULL;
	size_t cap = 0;
	int err = ph_bfs_build(&bfs, a);

	ph_strtab_init(&paths);
	if (!err)
		err = ph_bfs_edges(&bfs, a, &edges);
	for (size_t i = 0; i < n && !err; i++) {
		char *path = holder_path(a, &bfs, edges, hs[i].node);
		uint32_t id;
		struct ph_leak_row *r;

		if (!path) {
			err = ph_error(PH_ENOMEM, "cannot render a path");
			break;
		}
		if ((err = ph_strtab_cstr(&paths, path, &id)) ||
		    (id == l->n && (err = ph_array_grow((void **)&l->rows, &cap, l->n + 1, sizeof(*l->rows))))) {
			free(path);
			break;
		}
		if (id == l->n)
			l->rows[l->n++] = (struct ph_leak_row){path, hs[i].node, 0, 0, 0, 0};
		else
			free(path);
		r = &l->rows[id];
		r->holders++;
		r->count += hs[i].count;
		r->size += hs[i].size;
		r->retained += hs[i].retained;
	}
	free(edges);
	ph_bfs_release(&bfs);
	ph_strtab_release(&paths);
	return err;
}

/*
 * Whether object v of the target, at an address where the other dump has an
 * object of its type, value and size (a bit in other), is the same object
 * there. One with a value is. One without (a list, an instance) is when one
 * of its children that has a value is there too, or it has no such child: a
 * new list at the address of a freed one (a new instance's list, a cache's
 * entry replaced) holds new values of its own, which the other dump does not
 * have. Only children that are new (not in base) count when other is the
 * final dump; static and immortal children never count. Returns 1 (same),
 * 0 (not), or -1 when children with values exist and none is there.
 */
static int same(const struct ph_heap *h, uint32_t v, const uint64_t *other, const uint64_t *base)
{
	bool any = false;

	if (h->flags[v] & PH_FMT_OBJ_VALUE)
		return 1;
	for (uint32_t e = h->out_off[v]; e < h->out_off[v + 1]; e++) {
		uint32_t w = h->out_tgt[e];

		if (!(h->flags[w] & PH_FMT_OBJ_VALUE) || (base && ph_bit(base, w)) ||
		    (h->flags[w] & (PH_FMT_OBJ_STATIC | PH_FMT_OBJ_IMMORTAL)))
			continue;
		if (ph_bit(other, w))
			return 1;
		any = true;
	}
	return any ? -1 : 1;
}

/*
 * Clear the bits that same() does not confirm. Against BASE (base NULL), an
 * object whose every value is new is still the old one when something old
 * refers to it (a root, or an object in BASE): a cache whose entries were all
 * replaced; a new list at a reused address is referred to by new objects.
 */
static int confirm(const struct ph_graph *g, uint64_t *bits, const uint64_t *base)
{
	const struct ph_heap *h = g->h;
	size_t words = ((size_t)h->n_objects + 64) / 64;
	uint64_t *drop = calloc(words, 8);

	if (!drop)
		return ph_error(PH_ENOMEM, "cannot allocate a bitmap of %u objects", h->n_objects);
	for (uint32_t v = 0; v < h->n_objects; v++) {
		int r;
		bool old = false;

		if (!ph_bit(bits, v) || (r = same(h, v, bits, base)) == 1)
			continue;
		for (uint32_t i = g->in_off[v]; !base && r < 0 && !old && i < g->in_off[v + 1]; i++) {
			uint32_t src = g->in_src[i] & PH_IN_SRC;

			old = !(g->in_src[i] & PH_IN_WEAK) && (src >= g->n || ph_bit(bits, src));
		}
		if (!old)
			ph_bit_set(drop, v);
	}
	for (size_t i = 0; i < words; i++)
		bits[i] &= ~drop[i];
	free(drop);
	return 0;
}

int ph_leaks_compute(struct ph_leaks *l, struct ph_analysis *a, const char *base,
		     const char *final, size_t keep)
{
	const struct ph_heap *h = a->h;
	const struct ph_graph *g = &a->g;
	const struct ph_dominators *d = &a->d;
	struct ident ti = {h->path}, bi = {base}, fi = {final};
	size_t words = ((size_t)h->n_objects + 64) / 64;
	uint64_t *in_base = calloc(words, 8), *in_final = final ? calloc(words, 8) : NULL;
	struct index ix = {NULL, NULL, 0};
	uint32_t *acc = NULL;
	struct ph_addrmap hmap = PH_ADDRMAP_INIT;
	struct holder *hs = NULL;
	size_t n_hs = 0, cap_hs = 0;
	int err = 0;

	memset(l, 0, sizeof(*l));
	l->have_final = final != NULL;
	l->same_start = true;
	if (!in_base || (final && !in_final)) {
		err = ph_error(PH_ENOMEM, "cannot allocate an index of %u objects", h->n_objects);
		goto out;
	}
	for (size_t i = 0; i < h->n_meta; i++)
		ident_meta(&ti, h->meta[i].key, strlen(h->meta[i].key), h->meta[i].type, h->meta[i].u,
			   h->meta[i].value, h->meta[i].value_len);
	if ((err = index_build(&ix, h)))
		goto out;
	/* BASE in a thread of its own while FINAL is read here */
	{
		struct scan_job jb = {base, &ix, in_base, &bi, 0, 0, {0, ""}};
		struct scan_job jf = {final, &ix, in_final, &fi, 0, 0, {0, ""}};
		pthread_t th;
		bool threaded = final && pthread_create(&th, NULL, scan_thread, &jb) == 0;

		if (!threaded)
			scan_thread(&jb);
		if (final)
			scan_thread(&jf);
		if (threaded)
			pthread_join(th, NULL);
		l->base_objects = jb.objects;
		l->final_objects = jf.objects;
		if ((err = jb.err) || (err = jf.err)) {
			ph_error_restore(jb.err ? &jb.saved : &jf.saved);
			goto out;
		}
	}
	if ((err = same_process(&ti, &bi, -1, &l->same_start)) ||
	    (final && (err = same_process(&ti, &fi, 1, &l->same_start))))
		goto out;
	if ((err = confirm(g, in_base, NULL)) || (final && (err = confirm(g, in_final, in_base))))
		goto out;
	free(ix.slots);
	ix.slots = NULL;
	/* the dominators only now: the index above and their work memory are never needed at once */
	if ((err = ph_analysis_complete(a, NULL, NULL)))
		goto out;

	/* each candidate's holder: the nearest dominator that is not a candidate (preorder: idom first) */
	if (!(acc = malloc(((size_t)g->n_nodes + 1) * sizeof(*acc)))) {
		err = ph_error(PH_ENOMEM, "cannot allocate %u holders", g->n_nodes);
		goto out;
	}
	acc[g->super] = PH_NO_ID;
	for (uint32_t i = 1; i < d->n_live; i++) {
		uint32_t v = d->order[i], p = d->idom[v];
		/* static and immortal objects (small ints, ...) were never allocated: not new */
		bool fresh = v < g->n && !ph_bit(in_base, v) &&
			     !(h->flags[v] & (PH_FMT_OBJ_STATIC | PH_FMT_OBJ_IMMORTAL));
		bool cand = fresh && (!final || ph_bit(in_final, v));
		bool top;
		uint64_t *slot;
		bool added;

		acc[v] = PH_NO_ID;
		l->new_objects += fresh;
		if (!cand)
			continue;
		top = acc[p] == PH_NO_ID; /* p is not a candidate */
		acc[v] = top ? p : acc[p];
		if ((err = ph_addrmap_put(&hmap, (uint64_t)acc[v] + 1, n_hs, &added, &slot)))
			goto out;
		if (added) {
			if ((err = ph_array_grow((void **)&hs, &cap_hs, n_hs + 1, sizeof(*hs))))
				goto out;
			hs[n_hs++] = (struct holder){acc[v], 0, 0, 0};
		}
		hs[*slot].count++;
		hs[*slot].size += h->size[v];
		if (top)
			hs[*slot].retained += a->r.size[v];
		l->count++;
		l->size += h->size[v];
	}
	l->holders = n_hs;
	qsort(hs, n_hs, sizeof(*hs), holder_cmp);
	for (size_t i = PH_LEAKS_MAX_HOLDERS; i < n_hs; i++) {
		l->other_holders++;
		l->other_count += hs[i].count;
		l->other_size += hs[i].size;
	}
	if ((err = merge(l, a, hs, n_hs < PH_LEAKS_MAX_HOLDERS ? n_hs : PH_LEAKS_MAX_HOLDERS)))
		goto out;
	qsort(l->rows, l->n, sizeof(*l->rows), row_cmp);
	if (keep && keep < l->n) {
		for (size_t i = keep; i < l->n; i++)
			free(l->rows[i].path);
		l->n = keep;
	}
out:
	if (err)
		ph_leaks_free(l);
	ph_addrmap_release(&hmap);
	free(hs);
	free(acc);
	free(ix.slots);
	free(in_base);
	free(in_final);
	return err;
}

void ph_leaks_free(struct ph_leaks *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->rows[i].path);
	free(l->rows);
	memset(l, 0, sizeof(*l));
}

int ph_report_leaks(struct ph_json *j, struct ph_analysis *a, const char *base,
		    const char *final, size_t n)
{
	struct ph_leaks l;
	int err = ph_leaks_compute(&l, a, base, final, n);

	if (err)
		return err;
	ph_json_begin_object(j);
	ph_json_key_str(j, "base", base);
	ph_json_key_str(j, "target", a->h->path);
	ph_json_key_str(j, "final", final);
	ph_json_key(j, "same_start");
	ph_json_bool(j, l.same_start);
	ph_json_key_uint(j, "objects_base", l.base_objects);
	ph_json_key_uint(j, "objects_target", a->h->n_objects);
	ph_json_key(j, "objects_final");
	if (final)
		ph_json_uint(j, l.final_objects);
	else
		ph_json_null(j);
	ph_json_key_uint(j, "new_objects", l.new_objects);
	ph_json_key_uint(j, "count", l.count);
	ph_json_key_uint(j, "size", l.size);
	ph_json_key_uint(j, "holders", l.holders);
	ph_json_key(j, "other");
	ph_json_begin_object(j);
	ph_json_key_uint(j, "holders", l.other_holders);
	ph_json_key_uint(j, "count", l.other_count);
	ph_json_key_uint(j, "size", l.other_size);
	ph_json_end_object(j);
	ph_json_key(j, "rows");
	ph_json_begin_array(j);
	for (size_t i = 0; i < l.n; i++) {
		const struct ph_leak_row *r = &l.rows[i];

		ph_json_begin_object(j);
		ph_json_key_str(j, "path", r->path);
		ph_json_key_uint(j, "holders", r->holders);
		ph_json_key(j, "example");
		if (r->example < a->g.n)
			ph_json_addr(j, a->h->addr[r->example]);
		else
			ph_json_null(j);
		ph_json_key_str(j, "example_type", ph_node_kind(&a->g, r->example));
		ph_json_key_uint(j, "count", r->count);
		ph_json_key_uint(j, "size", r->size);
		ph_json_key_uint(j, "retained", r->retained);
		ph_json_end_object(j);
	}
	ph_json_end_array(j);
	ph_json_end_object(j);
	ph_leaks_free(&l);
	return 0;
}
