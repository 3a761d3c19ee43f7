/* SPDX-License-Identifier: MIT */
/*
 * diff.c - comparing two dumps by kind and by path (see diff.h).
 */
#include "analyze/diff.h"

#include <stdlib.h>
#include <string.h>

#include "analyze/paths.h"
#include "analyze/render.h"
#include "analyze/top.h"
#include "common/error.h"

/* ---- kinds ---- */

static int by_name(const void *x, const void *y)
{
	return strcmp((*(const struct ph_hist_row *const *)x)->kind,
		      (*(const struct ph_hist_row *const *)y)->kind);
}

static int by_growth(const void *x, const void *y)
{
	const struct ph_diff_kind *a = x, *b = y;
	int64_t da = ph_delta(a->size_old, a->size_new), db = ph_delta(b->size_old, b->size_new);

	if (da != db)
		return da > db ? -1 : 1;
	da = ph_delta(a->count_old, a->count_new);
	db = ph_delta(b->count_old, b->count_new);
	if (da != db)
		return da > db ? -1 : 1;
	return strcmp(a->kind, b->kind);
}

static int diff_kinds(struct ph_diff *d, const struct ph_histogram *ho, const struct ph_histogram *hn)
{
	const struct ph_hist_row **o = malloc((ho->n + 1) * sizeof(*o));
	const struct ph_hist_row **n = malloc((hn->n + 1) * sizeof(*n));
	size_t i = 0, k = 0;
	int err = 0;

	d->kinds = calloc(ho->n + hn->n + 1, sizeof(*d->kinds));
	if (!o || !n || !d->kinds) {
		err = ph_error(PH_ENOMEM, "cannot allocate %zu kinds", ho->n + hn->n);
		goto out_free;
	}
	for (size_t x = 0; x < ho->n; x++)
		o[x] = &ho->rows[x];
	for (size_t x = 0; x < hn->n; x++)
		n[x] = &hn->rows[x];
	qsort(o, ho->n, sizeof(*o), by_name);
	qsort(n, hn->n, sizeof(*n), by_name);
	while (i < ho->n || k < hn->n) {
		int c = i == ho->n ? 1 : k == hn->n ? -1 : strcmp(o[i]->kind, n[k]->kind);
		struct ph_diff_kind *r = &d->kinds[d->n_kinds];

		r->kind = strdup(c <= 0 ? o[i]->kind : n[k]->kind);
		if (!r->kind) {
			err = ph_error(PH_ENOMEM, "cannot copy a kind name");
			goto out_free;
		}
		d->n_kinds++;
		if (c <= 0) {
			r->count_old = o[i]->count;
			r->size_old = o[i]->size;
			r->retained_old = o[i]->retained;
			i++;
		}
		if (c >= 0) {
			r->count_new = n[k]->count;
			r->size_new = n[k]->size;
			r->retained_new = n[k]->retained;
			k++;
		}
	}
	qsort(d->kinds, d->n_kinds, sizeof(*d->kinds), by_growth);
out_free:
	free(o);
	free(n);
	return err;
}

/* ---- matching steps by content ---- */

struct label {
	uint8_t kind;
	uint32_t val, tgt;
	uint64_t e;
};

static void get_label(const struct ph_graph *g, uint32_t src, uint64_t e, struct label *l)
{
	struct ph_edges es;

	ph_graph_out(g, src, &es);
	l->kind = es.kind[e] & PH_LABEL_MASK;
	l->val = es.val[e];
	l->tgt = es.tgt[e];
	l->e = e;
}

/* Two objects stand for the same key when their values are equal (objects without a value never). */
static bool same_value(const struct ph_heap *ha, uint32_t a, const struct ph_heap *hb, uint32_t b)
{
	struct ph_value va, vb;

	ph_heap_value(ha, a, &va);
	ph_heap_value(hb, b, &vb);
	if (!va.kind || va.kind != vb.kind || va.flags != vb.flags ||
	    (va.flags & PH_FMT_VALF_OMITTED))
		return false;
	switch (va.kind) {
	case PH_FMT_VAL_STR:
	case PH_FMT_VAL_BYTES:
	case PH_FMT_VAL_TEXT:
	case PH_FMT_VAL_BIGINT:
		return va.length == vb.length && va.sign == vb.sign && va.data_len == vb.data_len &&
		       !memcmp(va.data, vb.data, va.data_len);
	case PH_FMT_VAL_INT:
		return va.i == vb.i;
	case PH_FMT_VAL_FLOAT:
		return memcmp(&va.f, &vb.f, sizeof(va.f)) == 0;
	case PH_FMT_VAL_BOOL:
		return va.b == vb.b;
	default:
		return true; /* None */
	}
}

/* Strings equal by content; "none" equals "none". */
static bool same_str(const struct ph_heap *ha, uint64_t a, const struct ph_heap *hb, uint64_t b)
{
	size_t la, lb;
	const char *sa = ph_heap_str(ha, a, &la), *sb = ph_heap_str(hb, b, &lb);

	if (!sa || !sb)
		return !sa && !sb;
	return la == lb && !memcmp(sa, sb, la);
}

static bool same_step(const struct ph_graph *gn, uint32_t sn, const struct label *ln,
		      const struct ph_graph *go, uint32_t so, const struct label *lo)
{
	const struct ph_heap *hn = gn->h, *ho = go->h;

	if (ln->kind != lo->kind)
		return false;
	switch (ln->kind) {
	case PH_LABEL_INDEX: {
		uint64_t a = ln->val == PH_VAL_WIDE ? ph_heap_wide(hn, ln->e) : ln->val;
		uint64_t b = lo->val == PH_VAL_WIDE ? ph_heap_wide(ho, lo->e) : lo->val;

		return a == b;
	}
	case PH_LABEL_ATTR:
	case PH_LABEL_KEY:
		return ln->val != PH_VAL_WIDE && lo->val != PH_VAL_WIDE &&
		       same_value(hn, ln->val, ho, lo->val);
	case PH_LABEL_KEYREF:
		return same_value(hn, ln->tgt, ho, lo->tgt);
	case PH_LABEL_FIELD:
	case PH_LABEL_INTERNAL:
		return same_str(hn, ln->val, ho, lo->val);
	case PH_LABEL_NONE:
		return ln->tgt < gn->n && lo->tgt < go->n &&
		       !strcmp(ph_heap_kind(hn, ln->tgt), ph_heap_kind(ho, lo->tgt));
	case PH_LABEL_ROOT:
		return hn->roots[ln->val].kind == ho->roots[lo->val].kind &&
		       same_str(hn, hn->roots[ln->val].label, ho, ho->roots[lo->val].label);
	case PH_LABEL_THREAD:
		return same_str(hn, hn->threads[ln->val].name, ho, ho->threads[lo->val].name);
	case PH_LABEL_FRAME: {
		const struct ph_heap_frame *a = &hn->frames[ln->val], *b = &ho->frames[lo->val];

		return a->depth == b->depth && same_str(hn, a->function, ho, b->function);
	}
	case PH_LABEL_LOCAL:
		return same_str(hn, hn->locals[ln->val].name, ho, ho->locals[lo->val].name);
	case PH_LABEL_FRAME_OBJECT:
	case PH_LABEL_FRAME_CODE:
		return true;
	default:
		return false; /* held, static, unreachable: no name that survives a restart */
	}
}

/* Whether a key object can be recognized in another dump: by a whole value. */
static bool has_identity(const struct ph_heap *h, uint32_t v)
{
	struct ph_value val;

	ph_heap_value(h, v, &val);
	return val.kind && val.kind != PH_FMT_VAL_TEXT &&
	       !(val.flags & (PH_FMT_VALF_OMITTED | PH_FMT_VALF_TRUNCATED));
}

/* Whether a step can be followed in another dump at all (same_step can only say no otherwise). */
static bool comparable(const struct ph_graph *g, const struct label *l)
{
	switch (l->kind) {
	case PH_LABEL_INDEX:
	case PH_LABEL_FIELD:
	case PH_LABEL_INTERNAL:
	case PH_LABEL_ROOT:
	case PH_LABEL_THREAD:
	case PH_LABEL_FRAME:
	case PH_LABEL_LOCAL:
	case PH_LABEL_FRAME_OBJECT:
	case PH_LABEL_FRAME_CODE:
		return true;
	case PH_LABEL_NONE:
		return l->tgt < g->n;
	case PH_LABEL_ATTR:
	case PH_LABEL_KEY:
		return l->val != PH_VAL_WIDE && has_identity(g->h, l->val);
	case PH_LABEL_KEYREF:
		return has_identity(g->h, l->tgt);
	default:
		return false;
	}
}

/*
 * Several edges of one object may carry equal labels (unnamed references to
 * objects of one kind, or anything in a damaged dump): an edge is the k-th
 * of its source's strong edges with its label, and is matched with the k-th
 * such edge in the other dump.
 */
static uint64_t step_rank(const struct ph_graph *g, uint32_t src, const struct label *l)
{
	struct ph_edges es;
	struct label o;
	uint64_t rank = 0;

	ph_graph_out(g, src, &es);
	for (uint64_t e = es.begin; e < l->e; e++) {
		if (es.kind[e] & PH_EDGE_WEAK)
			continue;
		get_label(g, src, e, &o);
		rank += same_step(g, src, l, g, src, &o);
	}
	return rank;
}

/* The old node at the end of edge (sn -> ...) labelled like ln, from old node so; PH_NO_ID if none. */
static uint32_t follow(const struct ph_graph *gn, uint32_t sn, const struct label *ln,
		       const struct ph_graph *go, uint32_t so)
{
	struct ph_edges es;
	struct label lo;
	uint64_t rank = step_rank(gn, sn, ln);

	ph_graph_out(go, so, &es);
	for (uint64_t e = es.begin; e < es.end; e++) {
		if (es.kind[e] & PH_EDGE_WEAK)
			continue;
		get_label(go, so, e, &lo);
		if (same_step(gn, sn, ln, go, so, &lo) && rank-- == 0)
			return lo.tgt;
	}
	return PH_NO_ID;
}

#define UNSET (PH_NO_ID - 1)
#define INCOMPARABLE (PH_NO_ID - 2) /* the path has a step with no name that survives a restart */

/* The old node at new node v's tree path, memoized in old_of[]. */
static int resolve(const struct ph_analysis *an, const struct ph_bfs *bfs,
		   const struct ph_analysis *ao, uint32_t *old_of, uint32_t v, uint32_t *out)
{
	struct ph_path p;
	uint32_t prev = an->g.super, cur = ao->g.super;
	int err = ph_bfs_path(bfs, an, v, &p);

	if (err)
		return err;
	for (size_t i = 0; i < p.len && cur != PH_NO_ID && cur != INCOMPARABLE; i++) {
		uint32_t c = p.steps[i].node;

		if (old_of[c] == UNSET) {
			struct label ln;

			if (p.steps[i].edge == PH_EDGE_ADOPTED || p.steps[i].edge == UINT64_MAX) {
				old_of[c] = INCOMPARABLE;
			} else {
				get_label(&an->g, prev, p.steps[i].edge, &ln);
				old_of[c] = comparable(&an->g, &ln) ? follow(&an->g, prev, &ln, &ao->g, cur)
								    : INCOMPARABLE;
			}
		}
		cur = old_of[c];
		prev = c;
	}
	*out = p.len ? cur : PH_NO_ID;
	free(p.steps);
	return 0;
}

/* Whether the tree path of v starts at a named root. */
static bool named_path(const struct ph_analysis *a, const struct ph_bfs *bfs, uint32_t v)
{
	uint32_t u = v;

	while (bfs->parent[u] != a->g.super && bfs->parent[u] != PH_NO_ID)
		u = bfs->parent[u];
	if (bfs->parent[u] != a->g.super || u == a->g.unreachable)
		return false;
	if (u >= a->g.n)
		return true; /* a thread */
	for (size_t i = 0; i < a->g.roots.n; i++)
		if (a->g.roots.list[i].object == u && a->g.roots.list[i].why == PH_LABEL_ROOT)
			return true;
	return false;
}

static bool is_ancestor(const struct ph_bfs *bfs, uint32_t anc, uint32_t v)
{
	for (uint32_t u = bfs->parent[v]; u != PH_NO_ID; u = bfs->parent[u])
		if (u == anc)
			return true;
	return false;
}

struct cand {
	uint32_t node_new, node_old;
	uint64_t old_ret, new_ret, old_cnt, new_cnt;
	bool drop;
};

static int cand_cmp(const void *x, const void *y)
{
	const struct cand *a = x, *b = y;
	int64_t da = ph_delta(a->old_ret, a->new_ret), db = ph_delta(b->old_ret, b->new_ret);

	if (da != db)
		return da > db ? -1 : 1;
	return a->node_new < b->node_new ? -1 : a->node_new > b->node_new;
}

static int diff_paths(struct ph_diff *d, struct ph_analysis *ao, struct ph_analysis *an,
		      size_t k)
{
	struct ph_bfs bfs = {NULL};
	uint32_t *top = NULL, *old_of = NULL;
	struct cand *c = NULL;
	size_t n_top = 0, nc = 0;
	struct ph_buf b = PH_BUF_INIT;
	int err;

	if ((err = ph_bfs_build(&bfs, an)) || (err = ph_top_objects(an, k, NULL, &top, &n_top)))
		goto out_free;
	old_of = malloc((size_t)an->g.n_nodes * sizeof(*old_of));
	c = calloc(n_top + 1, sizeof(*c));
	d->paths = calloc(n_top + 1, sizeof(*d->paths));
	if (!old_of || !c || !d->paths) {
		err = ph_error(PH_ENOMEM, "cannot allocate the path comparison");
		goto out_free;
	}
	for (uint32_t v = 0; v < an->g.n_nodes; v++)
		old_of[v] = UNSET;
	for (size_t i = 0; i < n_top && !err; i++) {
		uint32_t v = top[i], o = PH_NO_ID;

		if (ph_bit(an->d.garbage, v) || !named_path(an, &bfs, v))
			continue;
		err = resolve(an, &bfs, ao, old_of, v, &o);
		if (o == INCOMPARABLE)
			continue;
		c[nc].node_new = v;
		c[nc].node_old = o;
		c[nc].new_ret = an->r.size[v];
		c[nc].new_cnt = an->r.count[v];
		c[nc].old_ret = o != PH_NO_ID ? ao->r.size[o] : 0;
		c[nc].old_cnt = o != PH_NO_ID ? ao->r.count[o] : 0;
		if (c[nc].new_ret > c[nc].old_ret)
			nc++;
	}
	if (err)
		goto out_free;
	/* a path whose growth a longer path explains is dropped */
	for (size_t i = 0; i < nc; i++)
		for (size_t j = 0; j < nc && !c[i].drop; j++) {
			uint64_t gi = c[i].new_ret - c[i].old_ret, gj = c[j].new_ret - c[j].old_ret;

			if (i != j && gj >= gi - gi / 10 && is_ancestor(&bfs, c[i].node_new, c[j].node_new))
				c[i].drop = true;
		}
	/* what is new below a path that is listed is part of that path's growth */
	for (size_t j = 0; j < nc; j++)
		for (size_t i = 0; i < nc && c[j].node_old == PH_NO_ID && !c[j].drop; i++)
			if (i != j && !c[i].drop && is_ancestor(&bfs, c[i].node_new, c[j].node_new))
				c[j].drop = true;
	qsort(c, nc, sizeof(*c), cand_cmp);
	for (size_t i = 0; i < nc && !err; i++) {
		struct ph_diff_path *p = &d->paths[d->n_paths];
		struct ph_path path;

		if (c[i].drop)
			continue;
		if ((err = ph_bfs_path(&bfs, an, c[i].node_new, &path)))
			break;
		b.len = 0;
		err = ph_path_expr(&b, &an->g, &path);
		free(path.steps);
		if (!err) {
			p->path = strdup(ph_buf_cstr(&b));
			p->type_new = strdup(ph_heap_kind(an->h, c[i].node_new));
			if (!p->path || !p->type_new) {
				free(p->path);
				free(p->type_new);
				err = ph_error(PH_ENOMEM, "cannot copy a path");
				break;
			}
		}
		p->address_new = an->h->addr[c[i].node_new];
		p->address_old = c[i].node_old < ao->g.n ? ao->h->addr[c[i].node_old] : 0;
		p->retained_old = c[i].old_ret;
		p->retained_new = c[i].new_ret;
		p->count_old = c[i].old_cnt;
		p->count_new = c[i].new_cnt;
		d->n_paths++;
	}
out_free:
	ph_buf_release(&b);
	ph_bfs_release(&bfs);
	free(top);
	free(old_of);
	free(c);
	return err;
}

int ph_diff_compute(struct ph_diff *d, struct ph_analysis *old, struct ph_analysis *new_,
		    const struct ph_diff_opts *opts)
{
	struct ph_histogram ho, hn;
	int err;

	memset(d, 0, sizeof(*d));
	memset(&ho, 0, sizeof(ho));
	memset(&hn, 0, sizeof(hn));
	d->total_old = old->h->total_size;
	d->total_new = new_->h->total_size;
	d->objects_old = old->h->n_objects;
	d->objects_new = new_->h->n_objects;
	if ((err = ph_histogram_compute(&ho, old, opts->by)) ||
	    (err = ph_histogram_compute(&hn, new_, opts->by)) || (err = diff_kinds(d, &ho, &hn)))
		goto out_free;
	err = diff_paths(d, old, new_, opts->candidates ? opts->candidates : 300);
out_free:
	ph_histogram_free(&ho);
	ph_histogram_free(&hn);
	if (err)
		ph_diff_release(d);
	return err;
}

void ph_diff_release(struct ph_diff *d)
{
	for (size_t i = 0; i < d->n_kinds; i++)
		free(d->kinds[i].kind);
	for (size_t i = 0; i < d->n_paths; i++) {
		free(d->paths[i].path);
		free(d->paths[i].type_new);
	}
	free(d->kinds);
	free(d->paths);
	memset(d, 0, sizeof(*d));
}
