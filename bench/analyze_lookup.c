/* SPDX-License-Identifier: MIT */
/*
 * analyze_lookup.c - address -> object id, measured: the lookups the loader
 * makes (every edge target, in file order) against the addresses of a real
 * dump, with the structures one could use.
 *
 *   analyze_lookup FILE
 *
 *   hash        open addressing, 12-byte slots {addr lo, addr hi, id}, <= 2/3
 *               full, one probe sequence per lookup (what heap.c uses)
 *   hash+pf     the same, prefetching the slot 16 lookups ahead (heap.c)
 *   sorted      (addr, id) pairs sorted by address, binary search
 *   sorted+pf   binary search interleaved over 16 lookups at a time
 *
 * Prints build and lookup times and the memory of each.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "analyze/heap.h"
#include "common/error.h"
#include "common/hash.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct slot {
	uint32_t lo, hi, id;
};

struct pair {
	uint64_t addr;
	uint32_t id;
};

static int by_addr(const void *x, const void *y)
{
	uint64_t a = ((const struct pair *)x)->addr, b = ((const struct pair *)y)->addr;

	return a < b ? -1 : a > b;
}

static inline uint32_t hget(const struct slot *s, size_t mask, uint64_t a)
{
	uint32_t lo = (uint32_t)a, hi = (uint32_t)(a >> 32);

	for (size_t i = ph_mix64(a) & mask;; i = (i + 1) & mask) {
		if (s[i].lo == lo && s[i].hi == hi)
			return s[i].id;
		if (!(s[i].lo | s[i].hi))
			return PH_NO_ID;
	}
}

static inline uint32_t bsearch_id(const struct pair *p, size_t n, uint64_t a)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (p[mid].addr < a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && p[lo].addr == a ? p[lo].id : PH_NO_ID;
}

int main(int argc, char **argv)
{
	struct ph_heap *h;
	uint64_t *q, sum;
	size_t n, nq, cap = 16, mask;
	struct slot *s;
	struct pair *p;
	double t0, t1;

	if (argc != 2 || ph_heap_load(&h, argv[1], NULL, NULL)) {
		fprintf(stderr, "usage: analyze_lookup FILE (%s)\n", ph_error_detail());
		return 2;
	}
	n = h->n_objects;
	nq = h->n_edges;
	q = malloc(nq * sizeof(*q));
	for (size_t e = 0; e < nq; e++)
		q[e] = h->addr[h->out_tgt[e]];
	printf("%zu objects, %zu lookups (edge targets in file order)\n", n, nq);

	while (cap / 3 * 2 < n)
		cap *= 2;
	mask = cap - 1;
	s = mmap(NULL, cap * sizeof(*s), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	madvise(s, cap * sizeof(*s), MADV_HUGEPAGE);
	t0 = now();
	for (size_t v = 0; v < n; v++) {
		uint64_t a = h->addr[v];
		size_t i = ph_mix64(a) & mask;

		if (v + 16 < n)
			__builtin_prefetch(&s[ph_mix64(h->addr[v + 16]) & mask]);
		while (s[i].lo | s[i].hi)
			i = (i + 1) & mask;
		s[i].lo = (uint32_t)a;
		s[i].hi = (uint32_t)(a >> 32);
		s[i].id = (uint32_t)v;
	}
	t1 = now();
	printf("hash        build %.3f s, %zu MiB\n", t1 - t0, cap * sizeof(*s) >> 20);
	sum = 0;
	t0 = now();
	for (size_t i = 0; i < nq; i++)
		sum += hget(s, mask, q[i]);
	t1 = now();
	printf("hash        lookups %.3f s (%.0f ns each) [%" PRIu64 "]\n", t1 - t0, (t1 - t0) * 1e9 / nq, sum);
	sum = 0;
	t0 = now();
	for (size_t i = 0; i < nq; i++) {
		if (i + 16 < nq)
			__builtin_prefetch(&s[ph_mix64(q[i + 16]) & mask]);
		sum += hget(s, mask, q[i]);
	}
	t1 = now();
	printf("hash+pf     lookups %.3f s (%.0f ns each) [%" PRIu64 "]\n", t1 - t0, (t1 - t0) * 1e9 / nq, sum);
	munmap(s, cap * sizeof(*s));

	p = malloc(n * sizeof(*p));
	t0 = now();
	for (size_t v = 0; v < n; v++) {
		p[v].addr = h->addr[v];
		p[v].id = (uint32_t)v;
	}
	qsort(p, n, sizeof(*p), by_addr);
	t1 = now();
	printf("sorted      build %.3f s (qsort), %zu MiB\n", t1 - t0, n * sizeof(*p) >> 20);
	sum = 0;
	t0 = now();
	for (size_t i = 0; i < nq; i++)
		sum += bsearch_id(p, n, q[i]);
	t1 = now();
	printf("sorted      lookups %.3f s (%.0f ns each) [%" PRIu64 "]\n", t1 - t0, (t1 - t0) * 1e9 / nq, sum);
	sum = 0;
	t0 = now();
	for (size_t i = 0; i < nq; i += 16) { /* 16 binary searches in lockstep */
		size_t lo[16], hi[16], k = nq - i < 16 ? nq - i : 16;
		bool live = true;

		for (size_t j = 0; j < k; j++)
			lo[j] = 0, hi[j] = n;
		while (live) {
			live = false;
			for (size_t j = 0; j < k; j++)
				if (lo[j] < hi[j])
					__builtin_prefetch(&p[lo[j] + (hi[j] - lo[j]) / 2]);
			for (size_t j = 0; j < k; j++) {
				size_t mid;

				if (lo[j] >= hi[j])
					continue;
				mid = lo[j] + (hi[j] - lo[j]) / 2;
				if (p[mid].addr < q[i + j])
					lo[j] = mid + 1;
				else
					hi[j] = mid;
				live |= lo[j] < hi[j];
			}
		}
		for (size_t j = 0; j < k; j++)
			sum += lo[j] < n && p[lo[j]].addr == q[i + j] ? p[lo[j]].id : PH_NO_ID;
	}
	t1 = now();
	printf("sorted+pf   lookups %.3f s (%.0f ns each) [%" PRIu64 "]\n", t1 - t0, (t1 - t0) * 1e9 / nq, sum);
	free(p);
	free(q);
	ph_heap_free(h);
	return 0;
}
