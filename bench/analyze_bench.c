/* SPDX-License-Identifier: MIT */
/*
 * analyze_bench.c - time the analysis pipeline on a dump: load, roots and
 * in-edges, dominators, retained sizes; print the figures and peak RSS.
 *
 *   analyze_bench FILE
 */
#include <stdio.h>
#include <sys/resource.h>

#include "analyze/analysis.h"
#include "common/error.h"

int main(int argc, char **argv)
{
	struct ph_analysis *a;
	struct rusage ru;
	int err;

	if (argc != 2) {
		fprintf(stderr, "usage: analyze_bench FILE\n");
		return 2;
	}
	err = ph_analysis_open(&a, argv[1], NULL, NULL);
	if (err) {
		fprintf(stderr, "analyze_bench: %s\n", ph_error_detail());
		return 1;
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("objects      %u\n", a->h->n_objects);
	printf("edges        %llu\n", (unsigned long long)a->h->n_edges);
	printf("roots        %zu (held %zu, static %zu)\n", a->g.roots.n, a->g.roots.n_held,
	       a->g.roots.n_static);
	printf("unreachable  %u objects\n", a->d.n_garbage);
	printf("total size   %llu\n", (unsigned long long)ph_analysis_total(a));
	printf("load         %.3f s\n", a->t_load);
	printf("roots+graph  %.3f s\n", a->t_graph);
	printf("dominators   %.3f s\n", a->t_dominators);
	printf("retained     %.3f s\n", a->t_retained);
	printf("total        %.3f s\n", a->t_load + a->t_graph + a->t_dominators + a->t_retained);
	printf("peak RSS     %.1f MiB\n", ru.ru_maxrss / 1024.0);
	ph_analysis_free(a);
	return 0;
}
