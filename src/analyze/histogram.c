/* SPDX-License-Identifier: MIT */
/*
 * histogram.c - partitions of the heap into kinds (see histogram.h).
 */
#include "analyze/histogram.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"

int ph_partition_parse(const char *s)
{
	if (!strcmp(s, "type"))
		return PH_BY_TYPE;
	if (!strcmp(s, "owner"))
		return PH_BY_OWNER;
	if (!strcmp(s, "module"))
		return PH_BY_MODULE;
	if (!strcmp(s, "via"))
		return PH_BY_VIA;
	if (!strcmp(s, "referrer"))
		return PH_BY_REFERRER;
	if (!strcmp(s, "size"))
		return PH_BY_SIZE;
	if (!strcmp(s, "site"))
		return PH_BY_SITE;
	return -1;
}

const char *ph_partition_name(enum ph_partition by)
{
	static const char *const names[] = {"type", "owner", "module", "via", "referrer", "size", "site"};

	return (unsigned)by < sizeof(names) / sizeof(names[0]) ? names[by] : "type";
}

static char *dupstr(const char *prefix, const char *s)
{
	size_t a = strlen(prefix), b = strlen(s);
	char *d = malloc(a + b + 1);

	if (d) {
		memcpy(d, prefix, a);
		memcpy(d + a, s, b + 1);
	}
	return d;
}

/* qsort_r order of type ids by module name (ctx: the heap), so that threads may share a heap */
static int by_module_name(const void *x, const void *y, void *ctx)
{
	const struct ph_heap *h = ctx;
	const char *a = ph_heap_str(h, h->types[*(const uint32_t *)x].module, NULL);
	const char *b = ph_heap_str(h, h->types[*(const uint32_t *)y].module, NULL);

	return strcmp(a ? a : "", b ? b : "");
}

static int by_kind_name(const void *x, const void *y, void *ctx)
{
	const struct ph_heap *h = ctx;
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
	int c = strcmp(ph_heap_type_name(h, a), ph_heap_type_name(h, b));

	return c ? c : (a > b) - (a < b);
}

/*
 * canon[t]: the lowest type id whose kind name is type t's. Two type objects
 * may share a name (classes made by one function: f.<locals>.C); a kind is a
 * name, so their objects count in one row.
 */
static int canonical_types(const struct ph_heap *h, uint32_t *canon)
{
	uint32_t *order = malloc(((size_t)h->n_types + 1) * sizeof(*order));

	if (!order)
		return ph_error(PH_ENOMEM, "cannot sort %u types", h->n_types);
	for (uint32_t t = 0; t < h->n_types; t++)
		order[t] = t;
	qsort_r(order, h->n_types, sizeof(*order), by_kind_name, (void *)h);
	for (uint32_t i = 0; i < h->n_types; i++)
		canon[order[i]] = i && !strcmp(ph_heap_type_name(h, order[i - 1]),
					       ph_heap_type_name(h, order[i]))
					  ? canon[order[i - 1]]
					  : order[i];
	free(order);
	return 0;
}

int ph_partition_kinds(const struct ph_analysis *a, enum ph_partition by, uint32_t **kinds_out,
		       char ***names_out, uint32_t *n_out)
{
	const struct ph_heap *h = a->h;
	uint32_t n_types = h->n_types, n_kinds = by == PH_BY_OWNER ? 2 * n_types : n_types;
	uint32_t *kinds = malloc(((size_t)h->n_objects + 1) * sizeof(*kinds));
	char **names = calloc((size_t)n_kinds + 1, sizeof(*names));
	uint32_t *group = NULL, *order = NULL;
	int err = 0;

	if (by == PH_BY_VIA || by == PH_BY_REFERRER || by == PH_BY_SIZE || by == PH_BY_SITE) {
		free(kinds);
		free(names);
		return ph_partition_refs(a, by, kinds_out, names_out, n_out);
	}
	if (!kinds || !names)
		goto out_nomem;
	group = malloc(((size_t)n_types + 1) * sizeof(*group));
	if (!group || canonical_types(h, group))
		goto out_nomem;
	for (uint32_t v = 0; v < h->n_objects; v++)
		kinds[v] = by == PH_BY_MODULE ? h->type[v] : group[h->type[v]];
	if (by == PH_BY_TYPE || by == PH_BY_OWNER) {
		for (uint32_t t = 0; t < n_types; t++)
			if (!(names[t] = dupstr("", ph_heap_type_name(h, t))))
				goto out_nomem;
	}
	if (by == PH_BY_OWNER) {
		for (uint32_t t = 0; t < n_types; t++)
			if (!(names[n_types + t] = dupstr("dict of ", ph_heap_type_name(h, t))))
				goto out_nomem;
		for (uint32_t v = 0; v < h->n_objects && h->sref_dict; v++)
			for (uint32_t e = h->out_off[v]; e < h->out_off[v + 1]; e++) {
				uint32_t d = h->out_tgt[e];

				if ((h->out_kind[e] & PH_LABEL_MASK) != PH_LABEL_FIELD ||
				    h->out_val[e] != h->sref_dict || kinds[d] >= n_types ||
				    !ph_heap_type_is(h, h->type[d], "dict"))
					continue;
				kinds[d] = n_types + group[h->type[v]];
			}
	}
	if (by == PH_BY_MODULE) {
		uint32_t g = 0;

		order = malloc(((size_t)n_types + 1) * sizeof(*order));
		if (!order)
			goto out_nomem;
		for (uint32_t t = 0; t < n_types; t++)
			order[t] = t;
		qsort_r(order, n_types, sizeof(*order), by_module_name, (void *)h);
		for (uint32_t i = 0; i < n_types; i++) {
			const char *m = ph_heap_str(h, h->types[order[i]].module, NULL);

			if (i && by_module_name(&order[i - 1], &order[i], (void *)h) != 0)
				g++;
			group[order[i]] = g;
			if (!names[g] && !(names[g] = dupstr("", m ? m : "<no module>")))
				goto out_nomem;
		}
		n_kinds = n_types ? g + 1 : 0;
		for (uint32_t v = 0; v < h->n_objects; v++)
			kinds[v] = group[kinds[v]];
	}
	free(group);
	free(order);
	*kinds_out = kinds;
	*names_out = names;
	*n_out = n_kinds;
	return 0;
out_nomem:
	err = ph_error(PH_ENOMEM, "cannot allocate the kinds of %u objects", h->n_objects);
	free(group);
	free(order);
	free(kinds);
	for (uint32_t k = 0; names && k < n_kinds; k++)
		free(names[k]);
	free(names);
	return err;
}

/* retained[k] += retained size of each object of kind k with no dominator of kind k. */
static int kind_retained(struct ph_analysis *a, const uint32_t *kinds, uint32_t n_kinds,
			 uint64_t *retained)
{
	const struct ph_domtree *t = ph_analysis_tree(a);
	uint32_t *active = calloc((size_t)n_kinds + 1, sizeof(*active));
	struct frame {
		uint32_t node, next; /* next: index into t->kids */
	} *stack = NULL;
	size_t top = 0, cap = 0;
	int err = 0;

	if (!t || !active) {
		free(active);
		return t ? ph_error(PH_ENOMEM, "cannot allocate kind counters") : ph_error_code();
	}
	if ((err = PH_ARRAY_RESERVE(stack, cap, 64)))
		goto out_free;
	stack[top].node = a->g.super;
	stack[top++].next = t->off[a->g.super];
	while (top) {
		struct frame *f = &stack[top - 1];

		if (f->next < t->off[f->node + 1]) {
			uint32_t c = t->kids[f->next++];

			if (c < a->g.n) {
				uint32_t k = kinds[c];

				if (!active[k]++)
					retained[k] += a->r.size[c];
			}
			if ((err = PH_ARRAY_RESERVE(stack, cap, top + 1)))
				goto out_free;
			stack[top].node = c;
			stack[top++].next = t->off[c];
		} else {
			if (f->node < a->g.n)
				active[kinds[f->node]]--;
			top--;
		}
	}
out_free:
	free(stack);
	free(active);
	return err;
}

static int row_cmp(const void *x, const void *y)
{
	const struct ph_hist_row *a = x, *b = y;

	if (a->size != b->size)
		return a->size > b->size ? -1 : 1;
	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	return strcmp(a->kind, b->kind);
}

int ph_partition_set(const struct ph_analysis *a, enum ph_partition by, const char *kind,
		     uint64_t **set, uint64_t *n)
{
	uint32_t *kinds, n_kinds, want = PH_NO_ID;
	char **names;
	int err = ph_partition_kinds(a, by, &kinds, &names, &n_kinds);

	*set = NULL;
	*n = 0;
	if (err)
		return err;
	for (uint32_t k = 0; k < n_kinds && want == PH_NO_ID; k++)
		if (names[k] && !strcmp(names[k], kind))
			want = k;
	if (want == PH_NO_ID)
		err = ph_error(PH_ENOTFOUND, "no object is of kind '%s' (by %s) in %s", kind,
			       ph_partition_name(by), a->h->path);
	else if (!(*set = calloc(((size_t)a->h->n_objects + 64) / 64, 8)))
		err = ph_error(PH_ENOMEM, "cannot allocate a set of %u objects", a->h->n_objects);
	for (uint32_t v = 0; !err && v < a->h->n_objects; v++)
		if (kinds[v] == want) {
			ph_bit_set(*set, v);
			++*n;
		}
	for (uint32_t k = 0; k < n_kinds; k++)
		free(names[k]);
	free(names);
	free(kinds);
	return err;
}

int ph_histogram_compute(struct ph_histogram *hist, struct ph_analysis *a, enum ph_partition by)
{
	return ph_histogram_of(hist, a, by, NULL);
}

int ph_histogram_of(struct ph_histogram *hist, struct ph_analysis *a, enum ph_partition by,
		    const uint64_t *set)
{
	const struct ph_heap *h = a->h;
	uint32_t *kinds, n_kinds;
	char **names;
	struct ph_hist_row *rows;
	int err;

	memset(hist, 0, sizeof(*hist));
	hist->by = by;
	err = ph_partition_kinds(a, by, &kinds, &names, &n_kinds);
	if (err)
		return err;
	/* objects outside the set go to a last kind of their own, left out of the rows */
	for (uint32_t v = 0; set && v < h->n_objects; v++)
		if (!ph_bit(set, v))
			kinds[v] = n_kinds;
	rows = calloc((size_t)n_kinds + 1, sizeof(*rows));
	if (!rows) {
		err = ph_error(PH_ENOMEM, "cannot allocate %u histogram rows", n_kinds);
		goto out_free;
	}
	for (uint32_t v = 0; v < h->n_objects; v++) {
		rows[kinds[v]].count++;
		rows[kinds[v]].size += h->size[v];
	}
	{
		uint64_t *ret = calloc((size_t)n_kinds + 1, sizeof(*ret));

		if (!ret) {
			err = ph_error(PH_ENOMEM, "cannot allocate %u histogram rows", n_kinds);
			goto out_free;
		}
		err = kind_retained(a, kinds, n_kinds, ret);
		for (uint32_t k = 0; k < n_kinds; k++)
			rows[k].retained = ret[k];
		free(ret);
		if (err)
			goto out_free;
	}
	for (uint32_t k = 0; k < n_kinds; k++) {
		if (!rows[k].count)
			continue;
		rows[hist->n] = rows[k];
		rows[hist->n++].kind = names[k];
		names[k] = NULL;
		hist->total_count += rows[k].count;
		hist->total_size += rows[k].size;
	}
	qsort(rows, hist->n, sizeof(*rows), row_cmp);
	hist->rows = rows;
	rows = NULL;
out_free:
	free(rows);
	for (uint32_t k = 0; k < n_kinds; k++)
		free(names[k]);
	free(names);
	free(kinds);
	return err;
}

void ph_histogram_free(struct ph_histogram *hist)
{
	for (size_t i = 0; i < hist->n; i++)
		free(hist->rows[i].kind);
	free(hist->rows);
	memset(hist, 0, sizeof(*hist));
}
