/* SPDX-License-Identifier: MIT */
/*
 * objects.c - sorted, filtered and paged objects (see objects.h).
 */
#include "analyze/objects.h"

#include <stdlib.h>
#include <string.h>

#include "common/error.h"

/* ---- the two orders ---- */

typedef bool before_fn(const struct ph_analysis *a, uint32_t x, uint32_t y);

static bool before_retained(const struct ph_analysis *a, uint32_t x, uint32_t y)
{
	if (a->r.size[x] != a->r.size[y])
		return a->r.size[x] > a->r.size[y];
	if (a->h->size[x] != a->h->size[y])
		return a->h->size[x] > a->h->size[y];
	return x < y;
}

static bool before_size(const struct ph_analysis *a, uint32_t x, uint32_t y)
{
	if (a->h->size[x] != a->h->size[y])
		return a->h->size[x] > a->h->size[y];
	if (a->r.size[x] != a->r.size[y])
		return a->r.size[x] > a->r.size[y];
	return x < y;
}

static bool before_kid(const struct ph_analysis *a, uint32_t x, uint32_t y)
{
	if (a->r.size[x] != a->r.size[y])
		return a->r.size[x] > a->r.size[y];
	return x < y;
}

/*
 * A bounded selection: the k rows that come first by `before`, kept in a
 * heap whose root is the last of them, then put in order.
 */
struct select {
	const struct ph_analysis *a;
	before_fn *before;
	uint32_t *heap;
	size_t n, k;
};

static void sift_down(struct select *s, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		uint32_t t;

		if (l < n && s->before(s->a, s->heap[m], s->heap[l]))
			m = l;
		if (r < n && s->before(s->a, s->heap[m], s->heap[r]))
			m = r;
		if (m == i)
			return;
		t = s->heap[i];
		s->heap[i] = s->heap[m];
		s->heap[m] = t;
		i = m;
	}
}

static void select_add(struct select *s, uint32_t v)
{
	if (s->n < s->k) {
		size_t i = s->n++;

		s->heap[i] = v;
		while (i) {
			size_t p = (i - 1) / 2;
			uint32_t t;

			if (!s->before(s->a, s->heap[p], s->heap[i]))
				break;
			t = s->heap[i];
			s->heap[i] = s->heap[p];
			s->heap[p] = t;
			i = p;
		}
	} else if (s->k && s->before(s->a, v, s->heap[0])) {
		s->heap[0] = v;
		sift_down(s, s->n, 0);
	}
}

/* Heap order to rank order, in place. */
static void select_finish(struct select *s)
{
	for (size_t m = s->n; m > 1; m--) {
		uint32_t t = s->heap[0];

		s->heap[0] = s->heap[m - 1];
		s->heap[m - 1] = t;
		sift_down(s, m - 1, 0);
	}
}

size_t ph_largest_retained(const struct ph_analysis *a, const uint32_t *ids, size_t n, size_t k,
			   uint32_t *out)
{
	struct select s = {a, before_kid, out, 0, k};

	for (size_t i = 0; i < n; i++)
		select_add(&s, ids[i]);
	select_finish(&s);
	return s.n;
}

/* ---- filters ---- */

/*
 * Whether hay[0..h) contains s[0..n) (1 <= n <= h). memchr for the first
 * byte, then a compare: values are short, and memmem's set-up for each of
 * millions of them costs more than the search.
 */
static bool find(const uint8_t *hay, size_t h, const char *s, size_t n)
{
	const uint8_t *p = hay, *last = hay + (h - n);

	while (p <= last) {
		p = memchr(p, (unsigned char)s[0], (size_t)(last - p) + 1);
		if (!p)
			return false;
		if (!memcmp(p, s, n))
			return true;
		p++;
	}
	return false;
}

bool ph_value_contains(const struct ph_heap *h, uint32_t id, const char *s, size_t n)
{
	struct ph_value v;

	if (!h->val_off[id])
		return false;
	ph_heap_value(h, id, &v);
	if (v.kind != PH_FMT_VAL_STR && v.kind != PH_FMT_VAL_BYTES && v.kind != PH_FMT_VAL_TEXT)
		return false;
	return v.data_len >= n && find(v.data, v.data_len, s, n);
}

/* The kind id of name under a partition's names, or UINT32_MAX. */
static uint32_t kind_named(const struct ph_heap *h, char *const *names, uint32_t n_kinds,
			   const char *name)
{
	for (uint32_t k = 0; k < n_kinds; k++)
		if (!strcmp(names ? names[k] : ph_heap_type_name(h, k), name))
			return k;
	return UINT32_MAX;
}

static before_fn *order_of(enum ph_sort sort)
{
	return sort == PH_SORT_SIZE ? before_size : before_retained;
}

/* Rows offset + limit, clamped to what a heap can hold. */
static size_t rows_wanted(const struct ph_objects_query *q)
{
	uint64_t k = q->offset + q->limit;

	return k < q->offset || k > PH_HEAP_MAX_OBJECTS ? PH_HEAP_MAX_OBJECTS : (size_t)k;
}

/*
 * One pass over the objects: those of kind `want` (kind_of: a kind per
 * object, h->type for types; want UINT32_MAX: all) whose value contains
 * text (NULL: any), the page of them selected in q's order. With only,
 * the pass is over only[0..n_only) (ids in ascending order) instead.
 */
static int scan(const struct ph_analysis *a, const struct ph_objects_query *q,
		const uint32_t *kind_of, uint32_t want, const uint32_t *only, size_t n_only,
		struct ph_objects_page *page)
{
	const struct ph_heap *h = a->h;
	const char *text = q->q && *q->q ? q->q : NULL;
	size_t tlen = text ? strlen(text) : 0;
	struct select s = {a, order_of(q->sort), NULL, 0, rows_wanted(q)};
	size_t first;

	s.heap = malloc((s.k ? s.k : 1) * sizeof(*s.heap));
	if (!s.heap)
		return ph_error(PH_ENOMEM, "cannot allocate %zu rows", s.k);
	for (size_t i = 0, n = only ? n_only : h->n_objects; i < n; i++) {
		uint32_t v = only ? only[i] : (uint32_t)i;

		if (want != UINT32_MAX && kind_of[v] != want)
			continue;
		if (text && !ph_value_contains(h, v, text, tlen))
			continue;
		page->total++;
		select_add(&s, v);
	}
	select_finish(&s);
	first = q->offset < s.n ? (size_t)q->offset : s.n;
	memmove(s.heap, s.heap + first, (s.n - first) * sizeof(*s.heap));
	page->ids = s.heap;
	page->n = s.n - first;
	return 0;
}

static void page_init(struct ph_objects_page *page)
{
	page->ids = NULL;
	page->n = 0;
	page->total = 0;
}

int ph_objects_query(const struct ph_analysis *a, const struct ph_objects_query *q,
		     struct ph_objects_page *page)
{
	const struct ph_heap *h = a->h;
	uint32_t *kind_of = NULL, want = UINT32_MAX;
	char **names = NULL;
	uint32_t n_kinds = 0;
	int err = 0;

	page_init(page);
	if (q->kind && *q->kind) {
		if (q->by != PH_BY_TYPE) {
			err = ph_partition_kinds(a, q->by, &kind_of, &names, &n_kinds);
			if (err)
				return err;
		}
		want = kind_named(h, names, names ? n_kinds : h->n_types, q->kind);
		if (want == UINT32_MAX)
			goto out_free; /* no such kind: nothing matches */
	}
	err = scan(a, q, kind_of ? kind_of : h->type, want, NULL, 0, page);
out_free:
	for (uint32_t k = 0; names && k < n_kinds; k++)
		free(names[k]);
	free(names);
	free(kind_of);
	return err;
}

/* ---- the index ---- */

/* A sort key, stored in 32 bits when every key fits (half the memory). */
static inline uint64_t kget(const void *k, size_t i, bool wide)
{
	return wide ? ((const uint64_t *)k)[i] : ((const uint32_t *)k)[i];
}

static inline void kset(void *k, size_t i, uint64_t v, bool wide)
{
	if (wide)
		((uint64_t *)k)[i] = v;
	else
		((uint32_t *)k)[i] = (uint32_t)v;
}

/*
 * Stable LSD radix sort of ids[0..n) by key[id] descending, 11 bits a pass,
 * passes over digits that are the same in every key skipped. tmp: n ids.
 * Temporaries: 8 bytes an id (16 when a key needs more than 32 bits).
 */
static int radix_desc(uint32_t *ids, size_t n, const uint64_t *key, uint32_t *tmp)
{
	enum { BITS = 11, RADIX = 1 << BITS };
	uint64_t all_or = 0, all_and = ~(uint64_t)0, max = 0;
	size_t *count = malloc(RADIX * sizeof(*count));
	uint32_t *src = ids, *dst = tmp;
	unsigned width;
	bool wide;
	void *k1, *k2;

	for (size_t i = 0; i < n; i++)
		max = key[ids[i]] > max ? key[ids[i]] : max;
	wide = max > UINT32_MAX;
	width = wide ? 64 : 32;
	k1 = malloc(n * (wide ? 8 : 4) + 1);
	k2 = malloc(n * (wide ? 8 : 4) + 1);
	if (!k1 || !k2 || !count) {
		free(k1);
		free(k2);
		free(count);
		return ph_error(PH_ENOMEM, "cannot allocate a sort of %zu objects", n);
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t k = ~key[ids[i]] & (wide ? ~(uint64_t)0 : UINT32_MAX);

		kset(k1, i, k, wide);
		all_or |= k;
		all_and &= k;
	}
	for (unsigned shift = 0; shift < width; shift += BITS) {
		void *t;
		uint32_t *u;
		size_t sum = 0;

		if ((((all_or ^ all_and) >> shift) & (RADIX - 1)) == 0)
			continue; /* every key has this digit */
		memset(count, 0, RADIX * sizeof(*count));
		for (size_t i = 0; i < n; i++)
			count[(kget(k1, i, wide) >> shift) & (RADIX - 1)]++;
		for (size_t d = 0; d < RADIX; d++) {
			size_t c = count[d];

			count[d] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++) {
			uint64_t k = kget(k1, i, wide);
			size_t p = count[(k >> shift) & (RADIX - 1)]++;

			kset(k2, p, k, wide);
			dst[p] = src[i];
		}
		t = k1, k1 = k2, k2 = t;
		u = src, src = dst, dst = u;
	}
	if (src != ids)
		memcpy(ids, src, n * sizeof(*ids));
	free(k1);
	free(k2);
	free(count);
	return 0;
}

/* qsort_r order of ids by shallow size, larger first, then lower id (ctx: the heap). */
static int by_size_then_id(const void *x, const void *y, void *ctx)
{
	const struct ph_heap *h = ctx;
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;

	if (h->size[a] != h->size[b])
		return h->size[a] > h->size[b] ? -1 : 1;
	return a < b ? -1 : 1;
}

/*
 * Every object in retained order (before_retained): a radix sort by retained
 * size, then each run of equal retained sizes put in order by shallow size
 * (most runs are in order already: objects of one kind and size).
 */
static int retained_order(uint32_t **out, const struct ph_analysis *a, uint32_t *tmp)
{
	size_t n = a->h->n_objects;
	uint32_t *ids = malloc((n ? n : 1) * sizeof(*ids));
	int err;

	*out = NULL;
	if (!ids)
		return ph_error(PH_ENOMEM, "cannot allocate an order of %zu objects", n);
	for (size_t i = 0; i < n; i++)
		ids[i] = (uint32_t)i;
	err = radix_desc(ids, n, a->r.size, tmp);
	if (err) {
		free(ids);
		return err;
	}
	for (size_t i = 0, j; i < n; i = j) {
		bool sorted = true;

		for (j = i + 1; j < n && a->r.size[ids[j]] == a->r.size[ids[i]]; j++)
			sorted = sorted && !before_retained(a, ids[j], ids[j - 1]);
		if (!sorted)
			qsort_r(ids + i, j - i, sizeof(*ids), by_size_then_id, (void *)a->h);
	}
	*out = ids;
	return 0;
}

/* Stable counting sort of order[] by kind into a group array. */
static int group_by_kind(uint32_t **out, const uint32_t *order, size_t n, const uint32_t *kind_of,
			 const uint64_t *off, uint32_t n_kinds)
{
	uint64_t *pos = malloc(((size_t)n_kinds + 1) * sizeof(*pos));
	uint32_t *g = malloc((n ? n : 1) * sizeof(*g));

	*out = NULL;
	if (!pos || !g) {
		free(pos);
		free(g);
		return ph_error(PH_ENOMEM, "cannot allocate the kinds of %zu objects", n);
	}
	memcpy(pos, off, ((size_t)n_kinds + 1) * sizeof(*pos));
	for (size_t i = 0; i < n; i++)
		g[pos[kind_of[order[i]]]++] = order[i];
	free(pos);
	*out = g;
	return 0;
}

static void groups_release(struct ph_objects_groups *gr)
{
	for (uint32_t k = 0; gr->names && k < gr->n_kinds; k++)
		free(gr->names[k]);
	free(gr->names);
	free(gr->kind_of);
	free(gr->off);
	free(gr->by_retained);
	free(gr->by_size);
	memset(gr, 0, sizeof(*gr));
}

static int groups_build(struct ph_objects_index *ix, enum ph_partition by)
{
	const struct ph_heap *h = ix->a->h;
	struct ph_objects_groups *gr = &ix->groups[by];
	const uint32_t *kind_of = h->type;
	size_t n = h->n_objects;
	int err = 0;

	if (by == PH_BY_TYPE) {
		gr->n_kinds = h->n_types;
	} else {
		err = ph_partition_kinds(ix->a, by, &gr->kind_of, &gr->names, &gr->n_kinds);
		if (err)
			return err;
		kind_of = gr->kind_of;
	}
	gr->off = calloc((size_t)gr->n_kinds + 1, sizeof(*gr->off));
	if (!gr->off) {
		err = ph_error(PH_ENOMEM, "cannot allocate %u kinds", gr->n_kinds);
		goto out_free;
	}
	for (size_t v = 0; v < n; v++)
		gr->off[kind_of[v] + 1]++;
	for (uint32_t k = 0; k < gr->n_kinds; k++)
		gr->off[k + 1] += gr->off[k];
	err = group_by_kind(&gr->by_retained, ix->by_retained, n, kind_of, gr->off, gr->n_kinds);
	if (!err)
		err = group_by_kind(&gr->by_size, ix->by_size, n, kind_of, gr->off, gr->n_kinds);
	if (!err) {
		gr->built = true;
		return 0;
	}
out_free:
	groups_release(gr);
	return err;
}

/* The objects with a text value, in id order: all that a search looks at. */
static int text_objects(struct ph_objects_index *ix)
{
	const struct ph_heap *h = ix->a->h;
	size_t cap = 0;

	for (int pass = 0; pass < 2; pass++) {
		if (pass) {
			ix->text_ids = malloc((cap ? cap : 1) * sizeof(*ix->text_ids));
			if (!ix->text_ids)
				return ph_error(PH_ENOMEM, "cannot allocate %zu ids", cap);
		}
		for (uint32_t v = 0; v < h->n_objects; v++) {
			struct ph_value val;

			if (!h->val_off[v])
				continue;
			ph_heap_value(h, v, &val);
			if (val.kind != PH_FMT_VAL_STR && val.kind != PH_FMT_VAL_BYTES &&
			    val.kind != PH_FMT_VAL_TEXT)
				continue;
			if (pass)
				ix->text_ids[ix->n_text_ids++] = v;
			else
				cap++;
		}
	}
	return 0;
}

int ph_objects_index_build(struct ph_objects_index *ix, const struct ph_analysis *a)
{
	size_t n = a->h->n_objects;
	uint32_t *tmp = malloc((n ? n : 1) * sizeof(*tmp));
	int err;

	memset(ix, 0, sizeof(*ix));
	ix->a = a;
	pthread_mutex_init(&ix->lock, NULL);
	if (!tmp) {
		pthread_mutex_destroy(&ix->lock);
		return ph_error(PH_ENOMEM, "cannot allocate an order of %zu objects", n);
	}
	/* the address order first: its keys are 64 bits, so its sort needs the most room */
	ix->by_addr = malloc((n ? n : 1) * sizeof(*ix->by_addr));
	if (!ix->by_addr) {
		err = ph_error(PH_ENOMEM, "cannot allocate an order of %zu objects", n);
	} else {
		/* radix_desc sorts descending: ph_objects_index_find searches it so */
		for (size_t i = 0; i < n; i++)
			ix->by_addr[i] = (uint32_t)i;
		err = radix_desc(ix->by_addr, n, a->h->addr, tmp);
	}
	if (!err)
		err = retained_order(&ix->by_retained, a, tmp);
	if (!err) {
		/* by size: a stable sort of the retained order, whose ties are then in order */
		ix->by_size = malloc((n ? n : 1) * sizeof(*ix->by_size));
		if (!ix->by_size)
			err = ph_error(PH_ENOMEM, "cannot allocate an order of %zu objects", n);
		else
			memcpy(ix->by_size, ix->by_retained, n * sizeof(*ix->by_size));
	}
	if (!err)
		err = radix_desc(ix->by_size, n, a->h->size, tmp);
	free(tmp);
	if (!err)
		err = text_objects(ix);
	if (!err)
		err = groups_build(ix, PH_BY_TYPE);
	if (err)
		ph_objects_index_release(ix);
	return err;
}

void ph_objects_index_release(struct ph_objects_index *ix)
{
	for (int by = 0; by < 3; by++)
		groups_release(&ix->groups[by]);
	free(ix->by_retained);
	free(ix->by_size);
	free(ix->by_addr);
	free(ix->text_ids);
	pthread_mutex_destroy(&ix->lock);
	memset(ix, 0, sizeof(*ix));
}

uint32_t ph_objects_index_find(const struct ph_objects_index *ix, uint64_t addr)
{
	const uint64_t *a = ix->a->h->addr;
	size_t lo = 0, hi = ix->a->h->n_objects;

	/* by_addr is in descending address order */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint64_t m = a[ix->by_addr[mid]];

		if (m == addr)
			return ix->by_addr[mid];
		if (m > addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return PH_NO_ID;
}

int ph_objects_index_query(struct ph_objects_index *ix, const struct ph_objects_query *q,
			   struct ph_objects_page *page)
{
	const struct ph_heap *h = ix->a->h;
	struct ph_objects_groups *gr = &ix->groups[q->by];
	const uint32_t *cand;
	uint64_t n_cand, end;
	uint32_t k = UINT32_MAX;
	uint32_t *rows;
	size_t n = 0;
	int err;

	page_init(page);
	if (q->kind && *q->kind) {
		pthread_mutex_lock(&ix->lock);
		err = gr->built ? 0 : groups_build(ix, q->by);
		pthread_mutex_unlock(&ix->lock);
		if (err)
			return err;
		k = kind_named(h, gr->names, gr->n_kinds, q->kind);
		if (k == UINT32_MAX)
			return 0; /* no such kind: nothing matches */
	}
	if (q->q && *q->q) /* a substring: a pass over the values in the order they lie in memory */
		return scan(ix->a, q, gr->kind_of ? gr->kind_of : h->type, k, ix->text_ids,
			    ix->n_text_ids, page);
	if (k != UINT32_MAX) {
		cand = gr->by_retained + gr->off[k];
		n_cand = gr->off[k + 1] - gr->off[k];
	} else {
		cand = ix->by_retained;
		n_cand = h->n_objects;
	}
	if (q->sort == PH_SORT_SIZE)
		cand = k != UINT32_MAX ? gr->by_size + gr->off[k] : ix->by_size;
	end = q->offset + q->limit < q->offset ? UINT64_MAX : q->offset + q->limit;
	rows = malloc((size_t)(q->limit < n_cand ? q->limit : n_cand) * sizeof(*rows) + 1);
	if (!rows)
		return ph_error(PH_ENOMEM, "cannot allocate %llu rows", (unsigned long long)q->limit);
	for (uint64_t i = q->offset; i < end && i < n_cand; i++)
		rows[n++] = cand[i];
	page->ids = rows;
	page->n = n;
	page->total = n_cand;
	return 0;
}
