/* SPDX-License-Identifier: MIT */
/*
 * setpaths.c - the merged shortest paths of a set of objects (see setpaths.h).
 */
#include "analyze/setpaths.h"

#include <stdlib.h>
#include <string.h>

#include "analyze/objects.h"
#include "analyze/paths.h"
#include "common/addrmap.h"
#include "common/error.h"
#include "common/hash.h"
#include "common/strtab.h"

struct state {
	struct ph_analysis *a;
	struct ph_bfs bfs;
	uint32_t *edges;        /* by node: the tree's edge to it */
	struct ph_addrmap memo; /* hash of (parent, label) -> index in memos (probing on) */
	struct memo {
		uint32_t parent, pattern;
		uint64_t label;
	} *memos;
	size_t n_memos, cap_memos;
	struct ph_strtab patterns; /* pattern ids: the rows' indexes */
	struct ph_setpath_row *rows;
	size_t n_rows, cap_rows;
};

/* The label of the edge that reaches v, with indexes alike (they fold to [*]). */
static uint64_t label_of(const struct state *s, uint32_t v)
{
	const struct ph_graph *g = &s->a->g;
	uint32_t p = s->bfs.parent[v], e = s->edges[v];
	uint8_t kind;
	uint32_t val;

	if (p == PH_NO_ID || e == UINT32_MAX)
		return 0;
	if (p < g->n) {
		kind = g->h->out_kind[e] & PH_LABEL_MASK;
		val = g->h->out_val[e];
	} else {
		kind = g->syn_kind[e] & PH_LABEL_MASK;
		val = g->syn_val[e];
	}
	if (kind == PH_LABEL_INDEX)
		val = 0;
	return (uint64_t)kind << 32 | val;
}

/* The id of the pattern of v's path, rendered if no object with v's parent and label had it. */
static int pattern_of(struct state *s, uint32_t v, uint32_t *id)
{
	const struct ph_analysis *a = s->a;
	uint32_t parent = s->bfs.parent[v];
	uint64_t label = label_of(s, v);
	uint64_t key = ph_mix64((uint64_t)parent << 32 ^ ph_mix64(label)) | 1;
	uint64_t *slot;
	struct ph_path p = {NULL, 0};
	struct ph_buf b = PH_BUF_INIT;
	bool added;
	int err;

	/* rendered before for this parent and label? (probing past other pairs of the same hash) */
	for (;; key = ph_mix64(key) | 1) {
		if (!(slot = ph_addrmap_get(&s->memo, key)))
			break;
		if (s->memos[*slot].parent == parent && s->memos[*slot].label == label) {
			*id = s->memos[*slot].pattern;
			return 0;
		}
	}
	if ((err = ph_bfs_path_with(&s->bfs, a, s->edges, v, &p)))
		return err;
	err = p.len ? ph_path_expr(&b, &a->g, &p) : ph_buf_put(&b, "<roots>", 7);
	free(p.steps);
	if (err || (err = ph_buf_put(&b, "", 1))) {
		ph_buf_release(&b);
		return err;
	}
	ph_path_pattern((char *)b.data);
	/* one row per text */
	err = ph_strtab_cstr(&s->patterns, (char *)b.data, id);
	if (!err && *id == s->n_rows) {
		if ((err = ph_array_grow((void **)&s->rows, &s->cap_rows, s->n_rows + 1,
					 sizeof(*s->rows)))) {
			ph_buf_release(&b);
			return err;
		}
		s->rows[s->n_rows++] = (struct ph_setpath_row){(char *)b.data, 0, 0, PH_NO_ID};
		b.data = NULL;
	}
	ph_buf_release(&b);
	if (err)
		return err;
	if ((err = ph_array_grow((void **)&s->memos, &s->cap_memos, s->n_memos + 1, sizeof(*s->memos))))
		return err;
	s->memos[s->n_memos] = (struct memo){parent, *id, label};
	return ph_addrmap_put(&s->memo, key, s->n_memos++, &added, &slot);
}

static int row_cmp(const void *x, const void *y)
{
	const struct ph_setpath_row *a = x, *b = y;

	if (a->retained != b->retained)
		return a->retained > b->retained ? -1 : 1;
	if (a->objects != b->objects)
		return a->objects > b->objects ? -1 : 1;
	return strcmp(a->pattern, b->pattern);
}

int ph_setpaths_compute(struct ph_setpaths *sp, struct ph_analysis *a, enum ph_partition by,
			const char *kind, size_t keep, size_t n_paths)
{
	const struct ph_graph *g = &a->g;
	const struct ph_dominators *d = &a->d;
	struct state s = {.a = a, .memo = PH_ADDRMAP_INIT};
	uint32_t *kinds = NULL, n_kinds = 0, want = PH_NO_ID, *members = NULL;
	char **names = NULL;
	uint64_t *inside = NULL; /* by node: an object of the set is on its dominator chain */
	size_t n_members = 0;
	int err;

	memset(sp, 0, sizeof(*sp));
	ph_strtab_init(&s.patterns);
	if ((err = ph_partition_kinds(a, by, &kinds, &names, &n_kinds)))
		return err;
	for (uint32_t k = 0; k < n_kinds && want == PH_NO_ID; k++)
		if (names[k] && !strcmp(names[k], kind))
			want = k;
	if (want == PH_NO_ID) {
		err = ph_error(PH_ENOTFOUND, "no object is of kind '%s' (by %s) in %s", kind,
			       ph_partition_name(by), a->h->path);
		goto out;
	}
	for (uint32_t v = 0; v < g->n; v++)
		n_members += kinds[v] == want;
	inside = calloc(((size_t)g->n_nodes + 64) / 64, 8);
	members = malloc((n_members + 1) * sizeof(*members));
	if (!inside || !members) {
		err = ph_error(PH_ENOMEM, "cannot allocate the set of %zu objects", n_members);
		goto out;
	}
	n_members = 0;
	for (uint32_t v = 0; v < g->n; v++)
		if (kinds[v] == want) {
			members[n_members++] = v;
			ph_bit_set(inside, v);
		}
	/* the partition is no longer needed: free it before the search tree is built */
	for (uint32_t k = 0; k < n_kinds; k++)
		free(names[k]);
	free(names);
	free(kinds);
	names = NULL;
	kinds = NULL;
	/* dominator preorder, idom first: a member counts its retained size unless one is above
	   it; inside then marks the members and everything below one */
	for (uint32_t i = 1; i < d->n_nodes; i++) {
		uint32_t v = d->order[i];

		if (ph_bit(inside, d->idom[v]))
			ph_bit_set(inside, v);
	}
	if ((err = ph_bfs_build(&s.bfs, a)) || (err = ph_bfs_edges(&s.bfs, a, &s.edges)))
		goto out;
	for (size_t i = 0; i < n_members && !err; i++) {
		uint32_t v = members[i], id;
		struct ph_setpath_row *r;

		if ((err = pattern_of(&s, v, &id)))
			break;
		r = &s.rows[id];
		r->objects++;
		if (v == g->super || !ph_bit(inside, d->idom[v]))
			r->retained += a->r.size[v];
		if (r->example == PH_NO_ID || a->r.size[v] > a->r.size[r->example])
			r->example = v;
	}
	if (err)
		goto out;
	for (size_t i = 0; i < s.n_rows; i++) {
		sp->objects += s.rows[i].objects;
		sp->retained += s.rows[i].retained;
	}
	qsort(s.rows, s.n_rows, sizeof(*s.rows), row_cmp);
	sp->rows = s.rows;
	sp->n = sp->n_rows = s.n_rows;
	s.rows = NULL;
	s.n_rows = 0;
	if (keep && keep < sp->n) {
		for (size_t i = keep; i < sp->n; i++)
			free(sp->rows[i].pattern);
		sp->n = keep;
	}
	/* the objects that retain the most, each with its own path */
	if (n_paths) {
		sp->largest = malloc(n_paths * sizeof(*sp->largest));
		sp->paths = calloc(n_paths, sizeof(*sp->paths));
		if (!sp->largest || !sp->paths) {
			err = ph_error(PH_ENOMEM, "cannot allocate %zu paths", n_paths);
			goto out;
		}
		sp->n_largest = ph_largest_retained(a, members, n_members, n_paths, sp->largest);
		for (size_t i = 0; i < sp->n_largest && !err; i++) {
			struct ph_path p = {NULL, 0};
			struct ph_buf b = PH_BUF_INIT;

			if (!(err = ph_bfs_path_with(&s.bfs, a, s.edges, sp->largest[i], &p)) &&
			    !(err = p.len ? ph_path_expr(&b, g, &p) : ph_buf_put(&b, "<roots>", 7)) &&
			    !(err = ph_buf_put(&b, "", 1))) {
				sp->paths[i] = (char *)b.data;
				b.data = NULL;
			}
			free(p.steps);
			ph_buf_release(&b);
		}
	}
out:
	if (err)
		ph_setpaths_free(sp);
	for (size_t i = 0; i < s.n_rows; i++)
		free(s.rows[i].pattern);
	free(s.rows);
	ph_addrmap_release(&s.memo);
	free(s.memos);
	ph_strtab_release(&s.patterns);
	free(s.edges);
	ph_bfs_release(&s.bfs);
	free(inside);
	free(members);
	for (uint32_t k = 0; names && k < n_kinds; k++)
		free(names[k]);
	free(names);
	free(kinds);
	return err;
}

void ph_setpaths_free(struct ph_setpaths *sp)
{
	for (size_t i = 0; i < sp->n; i++)
		free(sp->rows[i].pattern);
	for (size_t i = 0; sp->paths && i < sp->n_largest; i++)
		free(sp->paths[i]);
	free(sp->rows);
	free(sp->paths);
	free(sp->largest);
	memset(sp, 0, sizeof(*sp));
}

int ph_report_setpaths(struct ph_json *j, struct ph_analysis *a, enum ph_partition by,
		       const char *kind, size_t rows, size_t paths)
{
	struct ph_setpaths sp;
	int err = ph_setpaths_compute(&sp, a, by, kind, rows, paths);

	if (err)
		return err;
	ph_json_begin_object(j);
	ph_json_key_str(j, "kind", kind);
	ph_json_key_str(j, "by", ph_partition_name(by));
	ph_json_key_uint(j, "objects", sp.objects);
	ph_json_key_uint(j, "retained", sp.retained);
	ph_json_key_uint(j, "patterns", sp.n_rows);
	ph_json_key(j, "rows");
	ph_json_begin_array(j);
	for (size_t i = 0; i < sp.n; i++) {
		ph_json_begin_object(j);
		ph_json_key_str(j, "path", sp.rows[i].pattern);
		ph_json_key_uint(j, "objects", sp.rows[i].objects);
		ph_json_key_uint(j, "retained", sp.rows[i].retained);
		ph_json_key(j, "example");
		ph_json_addr(j, a->h->addr[sp.rows[i].example]);
		ph_json_end_object(j);
	}
	ph_json_end_array(j);
	ph_json_key(j, "paths");
	ph_json_begin_array(j);
	for (size_t i = 0; i < sp.n_largest; i++) {
		ph_json_begin_object(j);
		ph_json_key(j, "address");
		ph_json_addr(j, a->h->addr[sp.largest[i]]);
		ph_json_key_uint(j, "retained", a->r.size[sp.largest[i]]);
		ph_json_key_str(j, "expr", sp.paths[i]);
		ph_json_end_object(j);
	}
	ph_json_end_array(j);
	ph_json_key_uint(j, "more_paths", sp.objects - sp.n_largest);
	ph_json_end_object(j);
	ph_setpaths_free(&sp);
	return 0;
}
