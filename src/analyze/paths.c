/* SPDX-License-Identifier: MIT */
/*
 * paths.c - shortest paths from the roots (see paths.h).
 */
#include "analyze/paths.h"

#include <stdlib.h>
#include <string.h>

#include "analyze/render.h"
#include "common/error.h"

static bool named_root_edge(uint8_t kind)
{
	kind &= PH_LABEL_MASK;
	return kind == PH_LABEL_ROOT || kind == PH_LABEL_THREAD;
}

uint64_t ph_find_edge(const struct ph_analysis *a, uint32_t src, uint32_t dst)
{
	const struct ph_graph *g = &a->g;
	struct ph_edges e;
	uint64_t found = UINT64_MAX;

	if (src == g->unreachable)
		return PH_EDGE_ADOPTED;
	ph_graph_out(g, src, &e);
	for (uint64_t i = e.begin; i < e.end; i++) {
		if (e.tgt[i] != dst || (e.kind[i] & PH_EDGE_WEAK))
			continue;
		if (src != g->super || named_root_edge(e.kind[i]))
			return i;
		if (found == UINT64_MAX)
			found = i;
	}
	return found;
}

void ph_paths_free(struct ph_path *paths, size_t n)
{
	for (size_t i = 0; paths && i < n; i++)
		free(paths[i].steps);
	free(paths);
}

/* A path that starts with the root edge (first, e0) and follows next[] to the target. */
static int make_path(const struct ph_analysis *a, const uint32_t *next, uint32_t first,
		     uint64_t e0, uint32_t target, struct ph_path *p)
{
	size_t len = 1, cap;
	uint32_t v;

	for (v = first; v != target; v = next[v])
		len++;
	cap = len + 1;
	p->steps = malloc(cap * sizeof(*p->steps));
	if (!p->steps)
		return ph_error(PH_ENOMEM, "cannot allocate a path of %zu steps", len);
	p->len = 0;
	if (e0 == PH_EDGE_ADOPTED) { /* super -> unreachable -> entry */
		p->steps[p->len].node = a->g.unreachable;
		p->steps[p->len++].edge = ph_find_edge(a, a->g.super, a->g.unreachable);
	}
	p->steps[p->len].node = first;
	p->steps[p->len++].edge = e0;
	for (v = first; v != target; v = next[v]) {
		p->steps[p->len].node = next[v];
		p->steps[p->len++].edge = ph_find_edge(a, v, next[v]);
	}
	return 0;
}

/* Steps of a path that are references (not the hops to a thread and a frame). */
static size_t path_cost(const struct ph_graph *g, const struct ph_path *p)
{
	size_t n = p->len;

	for (size_t i = 0; i < p->len; i++)
		n -= ph_graph_is_thread(g, p->steps[i].node) || ph_graph_is_frame(g, p->steps[i].node);
	return n;
}

struct path_order {
	size_t cost;
	bool thread;
	size_t index; /* as found */
};

/* Shorter first; at equal length a ROOTS record before a thread's frame; else as found. */
static int by_cost(const void *x, const void *y)
{
	const struct path_order *a = x, *b = y;

	if (a->cost != b->cost)
		return a->cost < b->cost ? -1 : 1;
	if (a->thread != b->thread)
		return a->thread ? 1 : -1;
	return (a->index > b->index) - (a->index < b->index);
}

/* Order n paths by by_cost(); PH_ENOMEM. */
static int order_paths(const struct ph_graph *g, struct ph_path *paths, size_t n)
{
	struct path_order *o = malloc((n + 1) * sizeof(*o));
	struct ph_path *copy = malloc((n + 1) * sizeof(*copy));

	if (!o || !copy) {
		free(o);
		free(copy);
		return ph_error(PH_ENOMEM, "cannot order %zu paths", n);
	}
	for (size_t i = 0; i < n; i++) {
		o[i].cost = path_cost(g, &paths[i]);
		o[i].thread = paths[i].len && ph_graph_is_thread(g, paths[i].steps[0].node);
		o[i].index = i;
		copy[i] = paths[i];
	}
	qsort(o, n, sizeof(*o), by_cost);
	for (size_t i = 0; i < n; i++)
		paths[i] = copy[o[i].index];
	free(o);
	free(copy);
	return 0;
}

struct hits {
	struct ph_path *named, *other;
	size_t n_named, n_other, max;
};

int ph_paths_to(const struct ph_analysis *a, uint32_t target, size_t max, struct ph_path **paths,
		size_t *n)
{
	const struct ph_graph *g = &a->g;
	const struct ph_dominators *d = &a->d;
	size_t words = ((size_t)g->n_nodes >> 6) + 1, head = 0, tail = 0;
	uint32_t *next = malloc((size_t)g->n_nodes * sizeof(*next));
	uint32_t *queue = malloc((size_t)g->n_nodes * sizeof(*queue));
	/* threads and frames reached, searched before the queue goes on (0-1 BFS) */
	uint32_t *zq = malloc(((size_t)g->n_nodes - g->first_thread + 1) * sizeof(*zq));
	size_t zhead = 0, ztail = 0;
	uint64_t *seen = calloc(words, sizeof(*seen));
	struct hits h = {NULL, NULL, 0, 0, max};
	int err = 0;

	*paths = NULL;
	*n = 0;
	/* named paths of the last level searched beyond max: ties, ordered below */
	size_t named_cap = 2 * max + 16, level_end;

	h.named = calloc(named_cap + 1, sizeof(*h.named));
	h.other = calloc(max + 1, sizeof(*h.other));
	if (!next || !queue || !zq || !seen || !h.named || !h.other) {
		err = ph_error(PH_ENOMEM, "cannot allocate a path search over %u nodes", g->n_nodes);
		goto out_free;
	}
	ph_bit_set(seen, target);
	queue[tail++] = target;
	level_end = tail;
	while ((zhead < ztail || head < tail) && !err) {
		uint32_t u;

		if (zhead == ztail && head == level_end) { /* a level searched */
			if (h.n_named >= max)
				break;
			level_end = tail;
		}
		u = zhead < ztail ? zq[zhead++] : queue[head++];
		bool live = u >= g->n || !ph_bit(d->garbage, u);
		bool super_done = false;

		if (u < g->n && !live && ph_bit(d->entry, u) && h.n_other < max)
			err = make_path(a, next, u, PH_EDGE_ADOPTED, target, &h.other[h.n_other++]);
		for (uint32_t i = g->in_off[u]; i < g->in_off[u + 1] && !err; i++) {
			uint32_t src = g->in_src[i] & PH_IN_SRC;

			if (g->in_src[i] & PH_IN_WEAK)
				continue;
			if (src == g->super) {
				struct ph_edges e;

				if (super_done)
					continue;
				super_done = true;
				ph_graph_out(g, g->super, &e);
				for (uint64_t k = e.begin; k < e.end && !err; k++) {
					bool named = named_root_edge(e.kind[k]);

					if (e.tgt[k] != u)
						continue;
					if (named && h.n_named < named_cap)
						err = make_path(a, next, u, k, target,
								&h.named[h.n_named++]);
					else if (!named && h.n_other < max)
						err = make_path(a, next, u, k, target,
								&h.other[h.n_other++]);
				}
				continue;
			}
			if (live && src < g->n && ph_bit(d->garbage, src))
				continue; /* garbage keeps nothing live */
			if (ph_bit(seen, src))
				continue;
			ph_bit_set(seen, src);
			next[src] = u;
			/*
			 * threads and frames are how a local is rooted, not steps a
			 * program takes: a hop through one costs nothing, so they are
			 * searched before the nodes queued one step further
			 */
			if (ph_graph_is_thread(g, src) || ph_graph_is_frame(g, src))
				zq[ztail++] = src;
			else
				queue[tail++] = src;
		}
	}
	if (err)
		goto out_free;
	/* found in order of cost already; this orders the ties, and keeps max */
	if ((err = order_paths(g, h.named, h.n_named)))
		goto out_free;
	while (h.n_named > max)
		free(h.named[--h.n_named].steps);
	for (size_t i = 0; i < h.n_other && h.n_named < max; i++) {
		h.named[h.n_named++] = h.other[i];
		h.other[i].steps = NULL;
	}
	*paths = h.named;
	*n = h.n_named;
	h.named = NULL;
out_free:
	ph_paths_free(h.named, h.n_named);
	ph_paths_free(h.other, h.n_other);
	free(next);
	free(queue);
	free(zq);
	free(seen);
	return err;
}

void ph_path_elision(const struct ph_path *p, size_t *from, size_t *to)
{
	*from = *to = p->len;
	if (p->len > 2 * PH_PATH_KEEP + 1) {
		*from = PH_PATH_KEEP;
		*to = p->len - PH_PATH_KEEP;
	}
}

int ph_path_expr(struct ph_buf *b, const struct ph_graph *g, const struct ph_path *p)
{
	uint32_t prev = g->super;
	size_t from, to;
	int err = 0;

	ph_path_elision(p, &from, &to);
	for (size_t i = 0; i < p->len && !err; i++) {
		uint64_t e = p->steps[i].edge;

		if (i >= from && i < to) {
			err = ph_buf_printf(b, "...<%zu steps>...", to - i);
			prev = p->steps[to - 1].node;
			i = to - 1;
			continue;
		}

		/* obj.__dict__['name'] is obj.name, except for modules and classes */
		if (i + 1 < p->len && prev < g->n && e != PH_EDGE_ADOPTED &&
		    (g->h->out_kind[e] & PH_LABEL_MASK) == PH_LABEL_FIELD && g->h->sref_dict &&
		    g->h->out_val[e] == g->h->sref_dict && !ph_is_namespace(g, prev) &&
		    ph_render_dict_attr(b, g, p->steps[i].node, p->steps[i + 1].edge)) {
			prev = p->steps[i + 1].node;
			i++;
			continue;
		}
		/* the unreachable node says "<unreachable>" itself; its adopted entry follows */
		err = ph_render_step(b, g, prev, e, p->steps[i].node, false);
		prev = p->steps[i].node;
	}
	return err;
}

/* ---- the forward tree ---- */

static void bfs_from(const struct ph_analysis *a, uint32_t *parent, uint32_t *queue, size_t *tail,
		     size_t head, bool garbage_only)
{
	const struct ph_graph *g = &a->g;

	while (head < *tail) {
		uint32_t v = queue[head++];
		struct ph_edges e;

		ph_graph_out(g, v, &e);
		for (uint64_t i = e.begin; i < e.end; i++) {
			uint32_t w = e.tgt[i];

			if ((e.kind[i] & PH_EDGE_WEAK) || parent[w] != PH_NO_ID || w == g->super)
				continue;
			if (garbage_only && (w >= g->n || !ph_bit(a->d.garbage, w)))
				continue;
			parent[w] = v;
			queue[(*tail)++] = w;
		}
	}
}

int ph_bfs_build(struct ph_bfs *t, const struct ph_analysis *a)
{
	const struct ph_graph *g = &a->g;
	uint32_t *queue;
	size_t tail = 0, head;
	struct ph_edges e;

	t->parent = malloc((size_t)g->n_nodes * sizeof(*t->parent));
	queue = malloc((size_t)g->n_nodes * sizeof(*queue));
	if (!t->parent || !queue) {
		free(queue);
		ph_bfs_release(t);
		return ph_error(PH_ENOMEM, "cannot allocate a search tree of %u nodes", g->n_nodes);
	}
	memset(t->parent, 0xff, (size_t)g->n_nodes * sizeof(*t->parent));
	ph_graph_out(g, g->super, &e);
	for (int pass = 0; pass < 2; pass++) {
		head = tail;
		for (uint64_t i = e.begin; i < e.end; i++) {
			uint32_t w = e.tgt[i];

			if (named_root_edge(e.kind[i]) != (pass == 0) || t->parent[w] != PH_NO_ID ||
			    w == g->unreachable)
				continue;
			t->parent[w] = g->super;
			if (ph_graph_is_thread(g, w))
				continue; /* expanded below */
			queue[tail++] = w;
		}
		/*
		 * a thread's and a frame's hops cost nothing (as in ph_paths_to): what
		 * its frames hold is one step from the roots, after the ROOTS records
		 */
		for (uint32_t th = g->first_thread; pass == 0 && th < g->first_frame; th++) {
			struct ph_edges fe;

			if (t->parent[th] != g->super)
				continue;
			ph_graph_out(g, th, &fe);
			for (uint64_t i = fe.begin; i < fe.end; i++) {
				uint32_t f = fe.tgt[i];
				struct ph_edges le;

				if (t->parent[f] != PH_NO_ID)
					continue;
				t->parent[f] = th;
				ph_graph_out(g, f, &le);
				for (uint64_t k = le.begin; k < le.end; k++) {
					uint32_t w = le.tgt[k];

					if ((le.kind[k] & PH_EDGE_WEAK) || t->parent[w] != PH_NO_ID)
						continue;
					t->parent[w] = f;
					queue[tail++] = w;
				}
			}
		}
		bfs_from(a, t->parent, queue, &tail, head, false);
	}
	t->parent[g->unreachable] = g->super;
	head = tail;
	for (uint32_t v = 0; v < g->n; v++)
		if (ph_bit(a->d.entry, v)) {
			t->parent[v] = g->unreachable;
			queue[tail++] = v;
		}
	bfs_from(a, t->parent, queue, &tail, head, true);
	free(queue);
	return 0;
}

void ph_bfs_release(struct ph_bfs *t)
{
	free(t->parent);
	t->parent = NULL;
}

int ph_bfs_edges(const struct ph_bfs *t, const struct ph_analysis *a, uint32_t **out)
{
	const struct ph_graph *g = &a->g;
	uint32_t *edges = malloc(((size_t)g->n_nodes + 1) * sizeof(*edges));

	*out = NULL;
	if (!edges)
		return ph_error(PH_ENOMEM, "cannot allocate the edges of %u nodes", g->n_nodes);
	memset(edges, 0xff, ((size_t)g->n_nodes + 1) * sizeof(*edges));
	for (uint32_t u = 0; u < g->n_nodes; u++) {
		struct ph_edges e;

		if (u == g->unreachable)
			continue; /* its entries are adopted: PH_EDGE_ADOPTED */
		ph_graph_out(g, u, &e);
		for (uint64_t i = e.begin; i < e.end; i++) {
			uint32_t w = e.tgt[i];

			if (t->parent[w] != u || edges[w] != UINT32_MAX || (e.kind[i] & PH_EDGE_WEAK))
				continue;
			/* the super-root prefers named roots: ph_find_edge() decides */
			edges[w] = (uint32_t)(u == g->super ? ph_find_edge(a, u, w) : i);
		}
	}
	*out = edges;
	return 0;
}

int ph_bfs_path_with(const struct ph_bfs *t, const struct ph_analysis *a, const uint32_t *edges,
		     uint32_t v, struct ph_path *p)
{
	const struct ph_graph *g = &a->g;
	size_t len = 0;

	p->steps = NULL;
	p->len = 0;
	for (uint32_t u = v; u != g->super && u != PH_NO_ID; u = t->parent[u])
		len++;
	if (!len)
		return 0;
	if (!(p->steps = malloc(len * sizeof(*p->steps))))
		return ph_error(PH_ENOMEM, "cannot allocate a path of %zu steps", len);
	p->len = len;
	for (uint32_t u = v; u != g->super && u != PH_NO_ID; u = t->parent[u]) {
		p->steps[--len].node = u;
		p->steps[len].edge = edges[u] == UINT32_MAX ? PH_EDGE_ADOPTED : edges[u];
	}
	return 0;
}

void ph_path_pattern(char *s)
{
	char *w = s;

	for (const char *p = s; *p;) {
		if (*p == '[') {
			const char *q = p + 1;
			bool keep = (p - s >= 8 && !strncmp(p - 8, "__dict__", 8)) ||
				    (p - s >= 11 && !strncmp(p - 11, "sys.modules", 11));

			if (*q == '\'' || *q == '"' || (*q == 'b' && (q[1] == '\'' || q[1] == '"'))) {
				char quote;

				q += *q == 'b';
				quote = *q++;
				while (*q && *q != quote)
					q += *q == '\\' && q[1] ? 2 : 1;
				q += *q == quote;
			} else {
				while (*q == '-' || (*q >= '0' && *q <= '9'))
					q++;
			}
			if (*q == ']' && q > p + 1) {
				size_t k = (size_t)(q + 1 - p);

				if (keep) {
					memmove(w, p, k);
					w += k;
				} else {
					memcpy(w, "[*]", 3);
					w += 3;
				}
				p = q + 1;
				continue;
			}
		}
		*w++ = *p++;
	}
	*w = '\0';
}

int ph_bfs_path(const struct ph_bfs *t, const struct ph_analysis *a, uint32_t v, struct ph_path *p)
{
	const struct ph_graph *g = &a->g;
	size_t len = 0;
	uint32_t prev;

	p->steps = NULL;
	p->len = 0;
	for (uint32_t u = v; u != g->super && u != PH_NO_ID; u = t->parent[u])
		len++;
	if (!len)
		return 0;
	p->steps = malloc(len * sizeof(*p->steps));
	if (!p->steps)
		return ph_error(PH_ENOMEM, "cannot allocate a path of %zu steps", len);
	p->len = len;
	for (uint32_t u = v; u != g->super && u != PH_NO_ID; u = t->parent[u])
		p->steps[--len].node = u;
	prev = g->super;
	for (size_t i = 0; i < p->len; i++) {
		p->steps[i].edge = ph_find_edge(a, prev, p->steps[i].node);
		prev = p->steps[i].node;
	}
	return 0;
}
