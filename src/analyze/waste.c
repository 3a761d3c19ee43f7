/* SPDX-License-Identifier: MIT */
/*
 * waste.c - duplicate values, empty containers and slack (see waste.h).
 *
 * Four passes over the heap, each linear:
 *  1. classes: objects with equal values get one class id. str, bytes and
 *     the scalars a tuple or frozenset holds are hashed by value; tuples and
 *     frozensets by the classes of their elements, in rounds until no more
 *     can be classed (a round classes every tuple whose elements are classed,
 *     so nesting depth d takes d rounds).
 *  2. roles: which objects are waste (a duplicate, an empty container, a
 *     container with slack) and so need a place.
 *  3. places: one forward pass over every edge gives each such object its
 *     first referrer and the step from it; equal places share an id.
 *  4. rows: duplicates by class, the others by (what, type, place).
 * The hash maps have 16-byte keys compared whole; a class map compares the
 * values themselves on equal hashes.
 */
#include "analyze/waste.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/histogram.h"
#include "analyze/render.h"
#include "common/error.h"
#include "common/hash.h"

#define UNCLASSED  UINT32_MAX       /* cls[]: not yet classed */
#define NEVER      (UINT32_MAX - 1) /* cls[]: cannot be classed */
#define NO_PLACE   UINT32_MAX       /* pl[]: needs no place */
#define WANT_PLACE (UINT32_MAX - 1) /* pl[]: needs one, none found yet */
#define MAX_ROUNDS 64

/* CPython's GC header before every object its collector tracks (64-bit builds). */
#define GC_HEAD 16

/* ---- a hash map with 16-byte keys ---- */

struct key {
	uint32_t k[4];
};

struct kslot {
	struct key key;
	uint32_t value; /* value + 1; 0 for an empty slot */
};

struct kmap {
	struct kslot *slots;
	size_t mask, count;
};

static uint64_t key_hash(const struct key *k)
{
	return ph_mix64(((uint64_t)k->k[0] << 32 | k->k[1]) ^ ph_mix64((uint64_t)k->k[2] << 32 | k->k[3]));
}

static int kmap_grow(struct kmap *m)
{
	size_t cap = m->slots ? (m->mask + 1) * 2 : 1024;
	struct kslot *s = calloc(cap, sizeof(*s));

	if (!s)
		return ph_error(PH_ENOMEM, "cannot allocate a table of %zu places", cap);
	for (size_t i = 0; m->slots && i <= m->mask; i++) {
		size_t j;

		if (!m->slots[i].value)
			continue;
		j = key_hash(&m->slots[i].key) & (cap - 1);
		while (s[j].value)
			j = (j + 1) & (cap - 1);
		s[j] = m->slots[i];
	}
	free(m->slots);
	m->slots = s;
	m->mask = cap - 1;
	return 0;
}

/* The value of key, inserting next (then *added is true) if it is absent. */
static int kmap_get(struct kmap *m, const struct key *k, uint32_t next, uint32_t *value, bool *added)
{
	size_t i;

	if ((!m->slots || 2 * (m->count + 1) > m->mask + 1) && kmap_grow(m))
		return PH_ENOMEM;
	for (i = key_hash(k) & m->mask; m->slots[i].value; i = (i + 1) & m->mask)
		if (!memcmp(&m->slots[i].key, k, sizeof(*k))) {
			*value = m->slots[i].value - 1;
			*added = false;
			return 0;
		}
	m->slots[i].key = *k;
	m->slots[i].value = next + 1;
	m->count++;
	*value = next;
	*added = true;
	return 0;
}

/* ---- state ---- */

enum family { F_OTHER, F_STR, F_BYTES, F_TUPLE, F_FROZENSET, F_DICT, F_LIST, F_SET };

struct cls {
	uint64_t hash;
	uint32_t first, type;
	uint64_t count, size;
};

struct place {
	uint32_t src, dst; /* an example: the step from src to dst */
	uint64_t e;
};

struct dup_place {
	uint32_t cls, place;
	uint64_t count;
};

struct state {
	const struct ph_analysis *a;
	const struct ph_heap *h;
	uint8_t *family;      /* per type id */
	uint32_t *cls;        /* per object: class id, UNCLASSED or NEVER */
	uint32_t *pl;         /* per object: place id, NO_PLACE or WANT_PLACE */
	struct cls *classes;
	size_t n_classes, cap_classes;
	struct {
		uint32_t *slots; /* class id + 1 */
		size_t mask, count;
	} cmap;
	uint32_t *owner;      /* owner kind of every object (histogram.h, by owner) */
	char **owner_names;
	uint32_t n_owners;
	struct kmap places_map;
	struct place *places;
	size_t n_places, cap_places;
	/* scratch: the elements of two containers */
	uint32_t *ea, *eb;
	size_t cap_ea, cap_eb;
};

static int grow(void *pp, size_t *cap, size_t need, size_t size)
{
	return ph_array_grow((void **)pp, cap, need, size);
}

/* The family of a type: by its own name or that of the nearest builtin base. */
static enum family type_family(const struct ph_heap *h, uint32_t t)
{
	static const struct {
		const char *name;
		enum family f;
	} names[] = {
		{"str", F_STR},   {"bytes", F_BYTES}, {"tuple", F_TUPLE}, {"frozenset", F_FROZENSET},
		{"dict", F_DICT}, {"list", F_LIST},   {"set", F_SET},
	};

	for (int depth = 0; t != PH_NO_ID && t < h->n_types && depth < 64; depth++) {
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (ph_heap_type_is(h, t, names[i].name))
				return names[i].f;
		t = h->types[t].base;
	}
	return F_OTHER;
}

static bool value_whole(const struct ph_value *v)
{
	return v->kind && !(v->flags & PH_FMT_VALF_KNOWN);
}

static bool scalar_kind(uint8_t kind)
{
	return kind == PH_FMT_VAL_STR || kind == PH_FMT_VAL_BYTES || kind == PH_FMT_VAL_INT ||
	       kind == PH_FMT_VAL_BIGINT || kind == PH_FMT_VAL_FLOAT || kind == PH_FMT_VAL_BOOL ||
	       kind == PH_FMT_VAL_NONE;
}

static uint64_t scalar_hash(const struct ph_value *v, uint32_t type)
{
	uint64_t x = ph_mix64((uint64_t)type << 8 | v->kind) ^ ph_mix64(v->length ^ (uint64_t)v->sign << 63);
	uint64_t f;

	memcpy(&f, &v->f, sizeof(f));
	x ^= ph_mix64((uint64_t)v->i + 0x9e3779b97f4a7c15ULL) ^ ph_mix64(f ^ 0x1234567ULL) ^ v->b;
	if (v->data_len)
		x ^= ph_xxh3(v->data, (size_t)v->data_len);
	return x;
}

static bool scalar_equal(const struct ph_heap *h, uint32_t x, uint32_t y)
{
	struct ph_value a, b;

	ph_heap_value(h, x, &a);
	ph_heap_value(h, y, &b);
	return a.kind == b.kind && a.sign == b.sign && a.length == b.length && a.i == b.i &&
	       !memcmp(&a.f, &b.f, sizeof(a.f)) && a.b == b.b && a.data_len == b.data_len &&
	       (!a.data_len || !memcmp(a.data, b.data, (size_t)a.data_len));
}

static int cmp_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;

	return (a > b) - (a < b);
}

/*
 * The classes of the elements of container v (a tuple in index order, a
 * frozenset sorted) into *out. Returns the count, or -1 when an element
 * cannot be classed (or the tuple's items are not all in the dump), -2 when
 * one is not classed yet, -3 when out of memory.
 */
static long elements(struct state *s, uint32_t v, uint32_t **out, size_t *cap)
{
	const struct ph_heap *h = s->h;
	bool tuple = s->family[h->type[v]] == F_TUPLE;
	uint64_t n = 0, begin = h->out_off[v], end = h->out_off[v + 1];

	if (grow(out, cap, end - begin + 1, sizeof(**out)))
		return -3;
	for (uint64_t e = begin; e < end; e++) {
		uint8_t k = h->out_kind[e] & PH_LABEL_MASK;
		uint32_t c;

		if (k != (tuple ? PH_LABEL_INDEX : PH_LABEL_KEYREF))
			continue;
		if (tuple && h->out_val[e] != n)
			return -1; /* tp_traverse lists a tuple's items in order, all of them */
		c = s->cls[h->out_tgt[e]];
		if (c == NEVER)
			return -1;
		if (c == UNCLASSED)
			return -2;
		(*out)[n++] = c;
	}
	if (tuple) {
		const struct ph_heap_type *t = &h->types[h->type[v]];

		if (t->itemsize && h->size[v] != GC_HEAD + t->basicsize + n * t->itemsize)
			return -1; /* an item missing from the dump */
	} else {
		qsort(*out, (size_t)n, sizeof(**out), cmp_u32);
	}
	return (long)n;
}

/* Class id of object v (hash x), found among the existing classes or added. */
static int classify(struct state *s, uint32_t v, uint64_t x, bool container, long n)
{
	__typeof__(s->cmap) *m = &s->cmap;
	size_t i;

	if (!m->slots || 2 * (m->count + 1) > m->mask + 1) {
		size_t cap = m->slots ? (m->mask + 1) * 2 : 1024;
		uint32_t *slots = calloc(cap, sizeof(*slots));

		if (!slots)
			return ph_error(PH_ENOMEM, "cannot allocate a table of %zu values", cap);
		for (size_t j = 0; m->slots && j <= m->mask; j++) {
			size_t k;

			if (!m->slots[j])
				continue;
			k = s->classes[m->slots[j] - 1].hash & (cap - 1);
			while (slots[k])
				k = (k + 1) & (cap - 1);
			slots[k] = m->slots[j];
		}
		free(m->slots);
		m->slots = slots;
		m->mask = cap - 1;
	}
	for (i = x & m->mask; m->slots[i]; i = (i + 1) & m->mask) {
		struct cls *c = &s->classes[m->slots[i] - 1];

		if (c->hash != x || c->type != s->h->type[v])
			continue;
		if (container) {
			long nb = elements(s, c->first, &s->eb, &s->cap_eb);

			if (nb == -3)
				return PH_ENOMEM;
			if (nb != n || memcmp(s->ea, s->eb, (size_t)n * sizeof(*s->ea)))
				continue;
		} else if (!scalar_equal(s->h, c->first, v)) {
			continue;
		}
		s->cls[v] = m->slots[i] - 1;
		c->count++;
		c->size += s->h->size[v];
		return 0;
	}
	if (grow(&s->classes, &s->cap_classes, s->n_classes + 1, sizeof(*s->classes)))
		return PH_ENOMEM;
	s->classes[s->n_classes] = (struct cls){x, v, s->h->type[v], 1, s->h->size[v]};
	m->slots[i] = (uint32_t)++s->n_classes;
	m->count++;
	s->cls[v] = (uint32_t)(s->n_classes - 1);
	return 0;
}

/* Pass 1. */
static int classes(struct state *s, uint64_t *not_compared)
{
	const struct ph_heap *h = s->h;
	uint32_t *pending = NULL;
	size_t n_pending = 0;
	int err = 0;

	/* the elements of tuples and frozensets are classed too, whatever their type */
	for (uint32_t v = 0; v < h->n_objects; v++) {
		uint8_t f = s->family[h->type[v]];

		s->cls[v] = f == F_STR || f == F_BYTES ? UNCLASSED : NEVER;
		if (f == F_TUPLE || f == F_FROZENSET)
			n_pending++;
	}
	for (uint32_t v = 0; v < h->n_objects; v++) {
		uint8_t f = s->family[h->type[v]];

		if (f != F_TUPLE && f != F_FROZENSET)
			continue;
		for (uint64_t e = h->out_off[v]; e < h->out_off[v + 1]; e++)
			if (s->cls[h->out_tgt[e]] == NEVER)
				s->cls[h->out_tgt[e]] = UNCLASSED;
	}
	if (n_pending && !(pending = malloc(n_pending * sizeof(*pending))))
		return ph_error(PH_ENOMEM, "cannot allocate %zu tuples", n_pending);
	n_pending = 0;
	for (uint32_t v = 0; v < h->n_objects && !err; v++) {
		uint8_t f = s->family[h->type[v]];
		struct ph_value val;

		if (f == F_TUPLE || f == F_FROZENSET) {
			pending[n_pending++] = v;
			s->cls[v] = UNCLASSED;
			continue;
		}
		if (s->cls[v] != UNCLASSED)
			continue;
		ph_heap_value(h, v, &val);
		if (!scalar_kind(val.kind) || !value_whole(&val)) {
			s->cls[v] = NEVER;
			if ((f == F_STR || f == F_BYTES) && val.kind && (val.flags & PH_FMT_VALF_TRUNCATED))
				++*not_compared;
			continue;
		}
		err = classify(s, v, scalar_hash(&val, h->type[v]), false, 0);
	}
	/* rounds: each classes the containers whose elements are all classed */
	for (int round = 0; round < MAX_ROUNDS && n_pending && !err; round++) {
		size_t kept = 0;

		for (size_t i = 0; i < n_pending && !err; i++) {
			uint32_t v = pending[i];
			long n = elements(s, v, &s->ea, &s->cap_ea);

			if (n == -3) {
				err = PH_ENOMEM;
			} else if (n == -2) {
				pending[kept++] = v;
			} else if (n == -1) {
				s->cls[v] = NEVER;
			} else {
				uint64_t x = ph_mix64((uint64_t)h->type[v] << 32 | (uint64_t)n) ^
					     (n ? ph_xxh3(s->ea, (size_t)n * sizeof(*s->ea)) : 0);

				err = classify(s, v, x, true, n);
			}
		}
		if (kept == n_pending)
			break; /* a cycle through a container: never classed */
		n_pending = kept;
	}
	for (size_t i = 0; i < n_pending; i++)
		if (s->cls[pending[i]] == UNCLASSED)
			s->cls[pending[i]] = NEVER;
	free(pending);
	return err;
}

/* Items of a container: entries of a dict, members of a set, items of a list. */
static uint64_t items(const struct ph_heap *h, uint32_t v, enum family f)
{
	uint8_t want = f == F_DICT ? PH_LABEL_KEY : f == F_SET ? PH_LABEL_KEYREF : PH_LABEL_INDEX;
	uint64_t n = 0;

	for (uint64_t e = h->out_off[v]; e < h->out_off[v + 1]; e++)
		n += (h->out_kind[e] & PH_LABEL_MASK) == want;
	return n;
}

/*
 * Bytes of slack in a list or set with n items: what a copy would not have
 * (l[:], set(s)). A list's free slots; the part of a set's table beyond the
 * table set(s) builds: none up to 4 items (the 8 slots inside the set), else
 * the smallest power of two above 2n (set_merge, set_table_resize).
 */
static uint64_t slack(const struct ph_heap *h, uint32_t v, enum family f, uint64_t n)
{
	const struct ph_heap_type *t = &h->types[h->type[v]];
	uint64_t head = GC_HEAD + t->basicsize, slots, want = 8;

	if (h->size[v] <= head)
		return 0;
	if (f == F_LIST) {
		slots = (h->size[v] - head) / 8;
		return slots > n ? (slots - n) * 8 : 0;
	}
	slots = (h->size[v] - head) / 16; /* a table outside the object (8 slots inside) */
	if (5 * n >= 21) /* set_merge: (fill + n) * 5 >= mask * 3 resizes for 2n */
		while (want <= 2 * n)
			want <<= 1;
	if (want == 8)
		want = 0; /* the small table inside the set does */
	return slots > want ? (slots - want) * 16 : 0;
}

/* Pass 3: the first referrer of every object that wants a place. */
static int place_of(struct state *s, uint32_t src, uint64_t e, uint32_t dst)
{
	const struct ph_graph *g = &s->a->g;
	struct key k = {{0, 0, 0, 0}};
	uint8_t kind;
	uint32_t val, id;
	bool added;

	if (src < g->n) {
		kind = s->h->out_kind[e] & PH_LABEL_MASK;
		val = s->h->out_val[e];
		k.k[0] = s->owner[src];
	} else {
		kind = g->syn_kind[e] & PH_LABEL_MASK;
		val = g->syn_val[e];
		/* a frame is a place of its own; the other synthetic nodes are one each */
		k.k[0] = s->n_owners + (ph_graph_is_frame(g, src) ? src - g->n : 0) + 1;
		k.k[3] = ph_graph_is_frame(g, src) ? 0 : src - g->n + 1;
	}
	k.k[1] = kind;
	switch (kind) {
	case PH_LABEL_INDEX:
	case PH_LABEL_NONE:
	case PH_LABEL_KEYREF:
	case PH_LABEL_HELD:
	case PH_LABEL_STATIC:
	case PH_LABEL_UNREACHABLE:
		val = 0;
		break;
	case PH_LABEL_KEY:
		/* keys of a namespace or an instance's __dict__ name the place; data keys do not */
		if (src >= g->n || strncmp(s->owner_names[s->owner[src]], "dict of ", 8))
			val = 0;
		else if (val != PH_VAL_WIDE && s->cls[val] < NEVER)
			val = s->cls[val]; /* equal keys, one place */
		break;
	default:
		break;
	}
	k.k[2] = val;
	if (kmap_get(&s->places_map, &k, (uint32_t)s->n_places, &id, &added))
		return PH_ENOMEM;
	if (added) {
		if (grow(&s->places, &s->cap_places, s->n_places + 1, sizeof(*s->places)))
			return PH_ENOMEM;
		s->places[s->n_places++] = (struct place){src, dst, e};
	}
	s->pl[dst] = id;
	return 0;
}

static int places(struct state *s)
{
	const struct ph_graph *g = &s->a->g;

	for (uint32_t v = 0; v < g->n_nodes; v++) {
		struct ph_edges ed;

		ph_graph_out(g, v, &ed);
		for (uint64_t e = ed.begin; e < ed.end; e++) {
			uint32_t t = ed.tgt[e];

			if (t < g->n && s->pl[t] == WANT_PLACE && !(ed.kind[e] & PH_EDGE_WEAK) &&
			    place_of(s, v, e, t))
				return PH_ENOMEM;
		}
	}
	return 0;
}

/* The text of place p: its holder's kind and the step, indexes folded to [*]. */
static char *place_text(struct state *s, uint32_t p)
{
	const struct ph_graph *g = &s->a->g;
	const struct place *pl = &s->places[p];
	struct ph_buf b = PH_BUF_INIT;
	uint8_t kind = pl->src < g->n ? s->h->out_kind[pl->e] & PH_LABEL_MASK
				      : g->syn_kind[pl->e] & PH_LABEL_MASK;
	int err = 0;
	char *out;

	if (pl->src < g->n) {
		err = ph_buf_put(&b, s->owner_names[s->owner[pl->src]],
				    strlen(s->owner_names[s->owner[pl->src]]));
		if (!err && (kind == PH_LABEL_INDEX ||
			     (kind == PH_LABEL_KEY && strncmp(s->owner_names[s->owner[pl->src]],
							      "dict of ", 8))))
			err = ph_buf_put(&b, "[*]", 3);
		else if (!err)
			err = ph_render_step(&b, g, pl->src, pl->e, pl->dst, true);
	} else if (kind == PH_LABEL_HELD) {
		err = ph_buf_put(&b, "<held from outside the dump>", 28);
	} else if (kind == PH_LABEL_STATIC) {
		err = ph_buf_put(&b, "<static>", 8);
	} else {
		if (ph_graph_is_frame(g, pl->src))
			err = ph_render_node(&b, g, pl->src);
		if (!err)
			err = ph_render_step(&b, g, pl->src, pl->e, pl->dst, true);
	}
	if (err || ph_buf_put(&b, "", 1)) {
		ph_buf_release(&b);
		return NULL;
	}
	out = (char *)b.data;
	return out;
}

/* ---- rows ---- */

static int row_cmp(const void *x, const void *y)
{
	const struct ph_waste_row *a = x, *b = y;

	if (a->saving != b->saving)
		return a->saving > b->saving ? -1 : 1;
	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	if (a->what != b->what)
		return a->what < b->what ? -1 : 1;
	return a->example < b->example ? -1 : a->example > b->example;
}

static int add_row(struct ph_waste *w, size_t *cap, const struct ph_waste_row *r)
{
	if (grow(&w->rows, cap, w->n + 1, sizeof(*w->rows)))
		return PH_ENOMEM;
	w->rows[w->n++] = *r;
	return 0;
}

/* Pass 4. keep: rows to keep (0: all). */
static int rows(struct state *s, struct ph_waste *w, size_t keep)
{
	const struct ph_heap *h = s->h;
	struct kmap rowmap = {0}, dupmap = {0};
	struct dup_place *dp = NULL;
	size_t n_dp = 0, cap_dp = 0, cap_rows = 0;
	uint32_t *dup_row = NULL;
	int err = 0;

	/* one row per class of duplicates */
	if (s->n_classes && !(dup_row = malloc(s->n_classes * sizeof(*dup_row))))
		return ph_error(PH_ENOMEM, "cannot allocate %zu classes", s->n_classes);
	for (size_t c = 0; c < s->n_classes && !err; c++) {
		const struct cls *k = &s->classes[c];
		uint8_t f = s->family[k->type];

		dup_row[c] = UINT32_MAX;
		if (k->count < 2 || f == F_OTHER)
			continue;
		dup_row[c] = (uint32_t)w->n;
		err = add_row(w, &cap_rows,
			      &(struct ph_waste_row){PH_WASTE_DUPLICATE, k->type, k->first, k->count,
						     k->size, k->size - k->size / k->count, NULL, 0, 0});
	}
	for (uint32_t v = 0; v < h->n_objects && !err; v++) {
		enum family f = s->family[h->type[v]];
		struct ph_waste_row r = {0};
		uint32_t id, p = s->pl[v];
		bool added;

		if (p == NO_PLACE)
			continue;
		if (s->cls[v] < NEVER && dup_row[s->cls[v]] != UINT32_MAX) {
			/* count the copies held at each place */
			struct key k = {{s->cls[v], p, 0, 0}};

			if (p == WANT_PLACE)
				continue;
			if ((err = kmap_get(&dupmap, &k, (uint32_t)n_dp, &id, &added)))
				break;
			if (added) {
				if ((err = grow(&dp, &cap_dp, n_dp + 1, sizeof(*dp))))
					break;
				dp[n_dp++] = (struct dup_place){s->cls[v], p, 0};
			}
			dp[id].count++;
			continue;
		}
		if (f != F_DICT && f != F_LIST && f != F_SET)
			continue;
		{
			uint64_t n = items(h, v, f);

			if (n && f == F_DICT)
				continue; /* a dict's table size is not measured (yet) */

			r.what = n ? PH_WASTE_SLACK : PH_WASTE_EMPTY;
			r.saving = n ? slack(h, v, f, n) : h->size[v];
		}
		if (!r.saving)
			continue;
		{
			struct key k = {{r.what, h->type[v], p, 0}};

			if ((err = kmap_get(&rowmap, &k, (uint32_t)w->n, &id, &added)))
				break;
		}
		if (added) {
			r.type = h->type[v];
			r.example = v;
			r.where_count = p == WANT_PLACE ? 0 : 1;
			r.places = p == WANT_PLACE ? 0 : 1;
			r.where = p == WANT_PLACE ? NULL : NULL;
			r.place = p == WANT_PLACE ? 0 : p + 1;
			r.count = 1;
			r.size = h->size[v];
			err = add_row(w, &cap_rows, &r);
		} else {
			w->rows[id].count++;
			w->rows[id].size += h->size[v];
			w->rows[id].saving += r.saving;
			w->rows[id].where_count += p != WANT_PLACE;
		}
	}
	/* the place holding most copies of each duplicate */
	for (size_t i = 0; i < n_dp && !err; i++) {
		struct ph_waste_row *r = &w->rows[dup_row[dp[i].cls]];

		r->places++;
		if (dp[i].count > r->where_count) {
			r->where_count = dp[i].count;
			r->place = dp[i].place + 1;
		}
	}
	free(dup_row);
	free(dp);
	free(rowmap.slots);
	free(dupmap.slots);
	if (err) {
		w->n = 0; /* no text yet: nothing to free */
		return err;
	}
	for (size_t i = 0; i < w->n; i++) {
		w->total_saving += w->rows[i].saving;
		w->saving[w->rows[i].what] += w->rows[i].saving;
	}
	qsort(w->rows, w->n, sizeof(*w->rows), row_cmp);
	if (keep && keep < w->n)
		w->n = keep;
	for (size_t i = 0; i < w->n; i++) {
		uint32_t p = w->rows[i].place;

		if (p && !(w->rows[i].where = place_text(s, p - 1)))
			return ph_error(PH_ENOMEM, "cannot render a place");
	}
	return 0;
}

static int compute(struct ph_waste *w, const struct ph_analysis *a, size_t keep)
{
	const struct ph_heap *h = a->h;
	struct state s = {.a = a, .h = h};
	int err;

	memset(w, 0, sizeof(*w));
	s.family = malloc((size_t)h->n_types + 1);
	s.cls = malloc(((size_t)h->n_objects + 1) * sizeof(*s.cls));
	s.pl = malloc(((size_t)h->n_objects + 1) * sizeof(*s.pl));
	if (!s.family || !s.cls || !s.pl) {
		err = ph_error(PH_ENOMEM, "cannot allocate the state for %u objects", h->n_objects);
		goto out;
	}
	for (uint32_t t = 0; t < h->n_types; t++)
		s.family[t] = (uint8_t)type_family(h, t);
	if ((err = classes(&s, &w->not_compared)))
		goto out;
	/* pass 2: who needs a place (the class sizes are final now) */
	for (uint32_t v = 0; v < h->n_objects; v++) {
		enum family f = s.family[h->type[v]];
		bool dup = s.cls[v] < NEVER && s.classes[s.cls[v]].count > 1 && f != F_OTHER;

		s.pl[v] = dup || f == F_DICT || f == F_LIST || f == F_SET ? WANT_PLACE : NO_PLACE;
	}
	if ((err = ph_partition_kinds(a, PH_BY_OWNER, &s.owner, &s.owner_names, &s.n_owners)))
		goto out;
	if ((err = places(&s)) || (err = rows(&s, w, keep)))
		goto out;
out:
	if (err)
		ph_waste_free(w);
	for (uint32_t k = 0; s.owner_names && k < s.n_owners; k++)
		free(s.owner_names[k]);
	free(s.owner_names);
	free(s.owner);
	free(s.places_map.slots);
	free(s.places);
	free(s.cmap.slots);
	free(s.classes);
	free(s.ea);
	free(s.eb);
	free(s.family);
	free(s.cls);
	free(s.pl);
	return err;
}

int ph_waste_compute(struct ph_waste *w, const struct ph_analysis *a, size_t n)
{
	return compute(w, a, n);
}

void ph_waste_free(struct ph_waste *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->rows[i].where);
	free(w->rows);
	memset(w, 0, sizeof(*w));
}

const char *ph_waste_what_name(enum ph_waste_what what)
{
	return what == PH_WASTE_DUPLICATE ? "duplicate" : what == PH_WASTE_EMPTY ? "empty" : "slack";
}

int ph_report_waste(struct ph_json *j, const struct ph_analysis *a, size_t n)
{
	struct ph_waste w;
	struct ph_buf b = PH_BUF_INIT;
	int err = ph_waste_compute(&w, a, n);

	if (err)
		return err;
	ph_json_begin_object(j);
	ph_json_key_uint(j, "total_size", a->h->total_size);
	ph_json_key_uint(j, "saving", w.total_saving);
	for (int k = 0; k < 3; k++) {
		char key[32];

		snprintf(key, sizeof(key), "saving_%s", ph_waste_what_name((enum ph_waste_what)k));
		ph_json_key(j, key);
		ph_json_uint(j, w.saving[k]);
	}
	ph_json_key_uint(j, "not_compared", w.not_compared);
	ph_json_key(j, "rows");
	ph_json_begin_array(j);
	for (size_t i = 0; i < w.n; i++) {
		const struct ph_waste_row *r = &w.rows[i];

		ph_json_begin_object(j);
		ph_json_key_str(j, "what", ph_waste_what_name(r->what));
		ph_json_key_str(j, "type", ph_heap_type_name(a->h, r->type));
		ph_json_key_uint(j, "count", r->count);
		ph_json_key_uint(j, "size", r->size);
		ph_json_key_uint(j, "saving", r->saving);
		ph_json_key(j, "example");
		ph_json_addr(j, a->h->addr[r->example]);
		ph_json_key(j, "value");
		if (r->what == PH_WASTE_DUPLICATE) {
			b.len = 0;
			ph_render_value(&b, &a->g, r->example, 200);
			ph_json_str(j, ph_buf_cstr(&b));
		} else {
			ph_json_null(j);
		}
		ph_json_key_str(j, "where", r->where);
		ph_json_key_uint(j, "where_count", r->where_count);
		ph_json_key_uint(j, "places", r->places);
		ph_json_end_object(j);
	}
	ph_json_end_array(j);
	ph_json_end_object(j);
	ph_buf_release(&b);
	ph_waste_free(&w);
	return 0;
}
