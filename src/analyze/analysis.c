/* SPDX-License-Identifier: MIT */
/*
 * analysis.c - the analysis pipeline (see analysis.h).
 */
#include "analyze/analysis.h"

#include <stdlib.h>
#include <time.h>

#include "common/error.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int analysis_open(struct ph_analysis **out, const char *path, ph_progress_fn *progress,
			 void *ctx, bool graph_only)
{
	struct ph_analysis *a = calloc(1, sizeof(*a));
	double t0, t1;
	int err;

	*out = NULL;
	if (!a)
		return ph_error(PH_ENOMEM, "cannot allocate an analysis");
	t0 = now();
	err = ph_heap_load(&a->h, path, progress, ctx);
	if (err)
		goto out_free;
	t1 = now();
	a->t_load = t1 - t0;
	t0 = t1;
	if (progress)
		progress(ctx, "roots", 0, 1);
	err = ph_graph_build(&a->g, a->h);
	if (err)
		goto out_free;
	t1 = now();
	a->t_graph = t1 - t0;
	if (!graph_only && (err = ph_analysis_complete(a, progress, ctx)))
		goto out_free;
	*out = a;
	return 0;
out_free:
	ph_analysis_free(a);
	return err;
}

int ph_analysis_complete(struct ph_analysis *a, ph_progress_fn *progress, void *ctx)
{
	double t0 = now(), t1;
	int err;

	if (a->d.idom)
		return 0;
	err = ph_dominators_compute(&a->d, &a->g, progress, ctx);
	if (err)
		return err;
	t1 = now();
	a->t_dominators = t1 - t0;
	err = ph_retained_compute(&a->r, &a->g, &a->d);
	if (err) {
		ph_dominators_release(&a->d);
		return err;
	}
	a->t_retained = now() - t1;
	return 0;
}

int ph_analysis_open(struct ph_analysis **out, const char *path, ph_progress_fn *progress,
		     void *ctx)
{
	return analysis_open(out, path, progress, ctx, false);
}

int ph_analysis_open_graph(struct ph_analysis **out, const char *path, ph_progress_fn *progress,
			   void *ctx)
{
	return analysis_open(out, path, progress, ctx, true);
}

void ph_analysis_free(struct ph_analysis *a)
{
	if (!a)
		return;
	ph_domtree_release(&a->t);
	ph_retained_release(&a->r);
	ph_dominators_release(&a->d);
	ph_graph_release(&a->g);
	ph_heap_free(a->h);
	free(a);
}

const struct ph_domtree *ph_analysis_tree(struct ph_analysis *a)
{
	if (!a->have_tree) {
		if (ph_domtree_build(&a->t, &a->d))
			return NULL;
		a->have_tree = true;
	}
	return &a->t;
}
