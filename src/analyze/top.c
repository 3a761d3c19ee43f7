/* SPDX-License-Identifier: MIT */
/*
 * top.c - selecting the largest retainers (see top.h).
 */
#include "analyze/top.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"

/* a ranks before b */
static bool before(const struct ph_analysis *a, uint32_t x, uint32_t y)
{
	if (a->r.size[x] != a->r.size[y])
		return a->r.size[x] > a->r.size[y];
	if (a->h->size[x] != a->h->size[y])
		return a->h->size[x] > a->h->size[y];
	return x < y;
}

/* Min-heap on "before": the root is the weakest of the selection. */
static void sift_down(const struct ph_analysis *a, uint32_t *heap, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < n && before(a, heap[m], heap[l]))
			m = l;
		if (r < n && before(a, heap[m], heap[r]))
			m = r;
		if (m == i)
			return;
		uint32_t t = heap[i];

		heap[i] = heap[m];
		heap[m] = t;
		i = m;
	}
}

static void sift_up(const struct ph_analysis *a, uint32_t *heap, size_t i)
{
	while (i) {
		size_t p = (i - 1) / 2;

		if (!before(a, heap[p], heap[i]))
			return;
		uint32_t t = heap[i];

		heap[i] = heap[p];
		heap[p] = t;
		i = p;
	}
}

int ph_top_objects(const struct ph_analysis *a, size_t n, const char *kind, uint32_t **out,
		   size_t *count)
{
	const struct ph_heap *h = a->h;
	uint32_t *heap = malloc((n ? n : 1) * sizeof(*heap));
	uint8_t *match = NULL;
	size_t k = 0;

	*out = NULL;
	*count = 0;
	if (!heap)
		return ph_error(PH_ENOMEM, "cannot allocate %zu rows", n);
	if (kind) {
		match = calloc((size_t)h->n_types + 1, 1);
		if (!match) {
			free(heap);
			return ph_error(PH_ENOMEM, "cannot allocate %u flags", h->n_types);
		}
		for (uint32_t t = 0; t < h->n_types; t++)
			match[t] = strcmp(ph_heap_type_name(h, t), kind) == 0;
	}
	for (uint32_t v = 0; v < h->n_objects && n; v++) {
		if (match && !match[h->type[v]])
			continue;
		if (k < n) {
			heap[k] = v;
			sift_up(a, heap, k++);
		} else if (before(a, v, heap[0])) {
			heap[0] = v;
			sift_down(a, heap, k, 0);
		}
	}
	free(match);
	/* heap order to rank order */
	for (size_t m = k; m > 1; m--) {
		uint32_t t = heap[0];

		heap[0] = heap[m - 1];
		heap[m - 1] = t;
		sift_down(a, heap, m - 1, 0);
	}
	*out = heap;
	*count = k;
	return 0;
}
