/* SPDX-License-Identifier: MIT */
/*
 * partitions.c - the partitions by how objects are referred to: via (the
 * labels of the references to an object), referrer (the kinds of the
 * objects that refer to it) and size (see histogram.h).
 *
 * One pass over every strong edge gives each object up to two distinct
 * references' "words" (a label, or a referrer's kind), in edge order, and
 * whether it has more; its kind is their names sorted and joined ("['name'],
 * .key", "{dict of app.Node, list}"), interned in a string table. A label
 * is rendered once per (kind of label, value): indexes are all [*], as are
 * the keys of dicts that are not an object's __dict__ (data keys); the keys
 * of a __dict__ name an attribute and are kept.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/histogram.h"
#include "analyze/render.h"
#include "common/addrmap.h"
#include "common/error.h"
#include "common/strtab.h"

#define NONE UINT32_MAX

struct part {
	const struct ph_analysis *a;
	enum ph_partition by;
	struct ph_strtab words; /* labels or referrer kinds */
	struct ph_addrmap label_ids; /* (label kind, value) + 1 -> word id */
	uint64_t *ns_dict;      /* bitmap: dicts that are an object's __dict__ */
	uint32_t *owner;        /* referrer: each object's kind by owner */
	char **owner_names;
	uint32_t n_owners;
	uint32_t *w1, *w2;      /* by object: its first two distinct words */
	uint64_t *more;         /* bitmap: more than two */
	struct ph_buf b;
};

/* The word of edge e of node src (a label, or the referrer's kind), its id in p->words. */
static int word_of(struct part *p, uint32_t src, uint64_t e, uint32_t *id)
{
	const struct ph_graph *g = &p->a->g;
	const struct ph_heap *h = g->h;
	uint8_t kind;
	uint32_t val;
	uint64_t key, *slot;
	bool added;
	int err;

	if (p->by == PH_BY_REFERRER) {
		const char *name = src >= g->n ? ph_node_kind(g, src) : p->owner_names[p->owner[src]];

		return ph_strtab_cstr(&p->words, name, id);
	}
	if (src < g->n) {
		kind = h->out_kind[e] & PH_LABEL_MASK;
		val = h->out_val[e];
		if (kind == PH_LABEL_INDEX || (kind == PH_LABEL_KEY && !ph_bit(p->ns_dict, src)))
			val = 0; /* [*] */
	} else {
		kind = g->syn_kind[e] & PH_LABEL_MASK;
		val = g->syn_val[e];
		if (kind == PH_LABEL_HELD || kind == PH_LABEL_STATIC || kind == PH_LABEL_THREAD ||
		    kind == PH_LABEL_FRAME || kind == PH_LABEL_UNREACHABLE)
			val = 0;
	}
	key = ((uint64_t)kind << 32 | val) + 1;
	if ((slot = ph_addrmap_get(&p->label_ids, key))) {
		*id = (uint32_t)*slot;
		return 0;
	}
	p->b.len = 0;
	if (src < g->n && (kind == PH_LABEL_INDEX || (kind == PH_LABEL_KEY && !val)))
		err = ph_buf_put(&p->b, "[*]", 3);
	else if (kind == PH_LABEL_NONE)
		err = ph_buf_put(&p->b, "(unnamed)", 9);
	else if (kind == PH_LABEL_HELD)
		err = ph_buf_put(&p->b, "<held from outside the dump>", 28);
	else if (kind == PH_LABEL_STATIC)
		err = ph_buf_put(&p->b, "<static>", 8);
	else if (kind == PH_LABEL_LOCAL)
		err = ph_buf_printf(&p->b, "local %s", ph_heap_str(h, h->locals[val].name, NULL) ?
						     ph_heap_str(h, h->locals[val].name, NULL) : "?");
	else
		err = ph_render_step(&p->b, g, src, e, PH_NO_ID, true);
	if (err || (err = ph_strtab_add(&p->words, p->b.data, p->b.len, id)))
		return err;
	return ph_addrmap_put(&p->label_ids, key, *id, &added, &slot);
}

static int note(struct part *p, uint32_t t, uint32_t w)
{
	if (p->w1[t] == NONE)
		p->w1[t] = w;
	else if (p->w1[t] != w && p->w2[t] == NONE)
		p->w2[t] = w;
	else if (p->w1[t] != w && p->w2[t] != w)
		ph_bit_set(p->more, t);
	return 0;
}

static int by_name(const void *x, const void *y, void *ctx)
{
	const struct ph_strtab *t = ctx;
	size_t la, lb;
	const uint8_t *a = ph_strtab_get(t, *(const uint32_t *)x, &la);
	const uint8_t *b = ph_strtab_get(t, *(const uint32_t *)y, &lb);
	int c = memcmp(a, b, la < lb ? la : lb);

	return c ? c : (la > lb) - (la < lb);
}

int ph_partition_refs(const struct ph_analysis *a, enum ph_partition by, uint32_t **kinds_out,
		      char ***names_out, uint32_t *n_out)
{
	const struct ph_graph *g = &a->g;
	const struct ph_heap *h = a->h;
	struct part p = {.a = a, .by = by, .label_ids = PH_ADDRMAP_INIT, .b = PH_BUF_INIT};
	struct ph_strtab kinds_tab;
	uint32_t *kinds = NULL;
	char **names = NULL;
	size_t words = ((size_t)g->n_nodes + 64) / 64;
	int err = 0;

	ph_strtab_init(&p.words);
	ph_strtab_init(&kinds_tab);
	*kinds_out = NULL;
	*names_out = NULL;
	*n_out = 0;
	if (by == PH_BY_SIZE || by == PH_BY_SITE) {
		if (!(kinds = malloc(((size_t)h->n_objects + 1) * sizeof(*kinds))))
			goto nomem;
		for (uint32_t v = 0; v < h->n_objects && !err; v++) {
			p.b.len = 0;
			err = by == PH_BY_SIZE ? ph_buf_printf(&p.b, "%" PRIu64 " bytes", h->size[v])
					       : ph_heap_site_name(&p.b, h, v);
			if (!err)
				err = ph_strtab_add(&kinds_tab, p.b.data, p.b.len, &kinds[v]);
		}
		goto names;
	}
	p.w1 = malloc(((size_t)g->n + 1) * sizeof(*p.w1));
	p.w2 = malloc(((size_t)g->n + 1) * sizeof(*p.w2));
	p.more = calloc(words, 8);
	p.ns_dict = calloc(words, 8);
	if (!p.w1 || !p.w2 || !p.more || !p.ns_dict)
		goto nomem;
	memset(p.w1, 0xff, ((size_t)g->n + 1) * sizeof(*p.w1));
	memset(p.w2, 0xff, ((size_t)g->n + 1) * sizeof(*p.w2));
	for (uint32_t v = 0; v < g->n && h->sref_dict; v++)
		for (uint32_t e = h->out_off[v]; e < h->out_off[v + 1]; e++)
			if ((h->out_kind[e] & PH_LABEL_MASK) == PH_LABEL_FIELD && h->out_val[e] == h->sref_dict)
				ph_bit_set(p.ns_dict, h->out_tgt[e]);
	if (by == PH_BY_REFERRER &&
	    (err = ph_partition_kinds(a, PH_BY_OWNER, &p.owner, &p.owner_names, &p.n_owners)))
		goto out;
	for (uint32_t u = 0; u < g->n_nodes && !err; u++) {
		struct ph_edges e;

		ph_graph_out(g, u, &e);
		for (uint64_t i = e.begin; i < e.end && !err; i++) {
			uint32_t t = e.tgt[i], w;

			if (t >= g->n || (e.kind[i] & PH_EDGE_WEAK) || u == g->super)
				continue; /* the super-root's edges are not references */
			if (!(err = word_of(&p, u, i, &w)))
				err = note(&p, t, w);
		}
	}
	/* the owner partition is done with: free it before the kinds are built */
	for (uint32_t k = 0; p.owner_names && k < p.n_owners; k++)
		free(p.owner_names[k]);
	free(p.owner_names);
	free(p.owner);
	p.owner_names = NULL;
	p.owner = NULL;
	/* each object's kind: its words sorted, joined; written over its first word */
	kinds = p.w1;
	p.w1 = NULL;
	for (uint32_t v = 0; v < h->n_objects && !err; v++) {
		uint32_t w[2] = {kinds[v], p.w2[v]};
		size_t n = (w[0] != NONE) + (w[1] != NONE);

		p.b.len = 0;
		if (n == 2 && by_name(&w[0], &w[1], &p.words) > 0) {
			uint32_t x = w[0];

			w[0] = w[1];
			w[1] = x;
		}
		err = ph_buf_put(&p.b, by == PH_BY_REFERRER ? "{" : "", by == PH_BY_REFERRER);
		for (size_t k = 0; k < n && !err; k++) {
			size_t len;
			const uint8_t *s = ph_strtab_get(&p.words, w[k], &len);

			if (k)
				err = ph_buf_put(&p.b, ", ", 2);
			if (!err)
				err = ph_buf_put(&p.b, s, len);
		}
		if (!err && ph_bit(p.more, v))
			err = ph_buf_put(&p.b, ", ...", 5);
		if (!err && !n)
			err = ph_buf_put(&p.b, "nothing refers to it", 21);
		if (!err && by == PH_BY_REFERRER && n)
			err = ph_buf_put(&p.b, "}", 1);
		if (!err)
			err = ph_strtab_add(&kinds_tab, p.b.data, p.b.len, &kinds[v]);
	}
	free(p.w2);
	p.w2 = NULL;
names:
	if (err)
		goto out;
	if (!(names = calloc(kinds_tab.n + 1, sizeof(*names))))
		goto nomem;
	for (size_t k = 0; k < kinds_tab.n; k++) {
		size_t len;
		const uint8_t *s = ph_strtab_get(&kinds_tab, k, &len);

		if (!(names[k] = malloc(len + 1)))
			goto nomem;
		memcpy(names[k], s, len);
		names[k][len] = '\0';
	}
	*kinds_out = kinds;
	*names_out = names;
	*n_out = (uint32_t)kinds_tab.n;
	kinds = NULL;
	names = NULL;
	goto out;
nomem:
	err = ph_error(PH_ENOMEM, "cannot allocate the kinds of %u objects", h->n_objects);
out:
	for (size_t k = 0; names && k < kinds_tab.n; k++)
		free(names[k]);
	free(names);
	free(kinds);
	ph_strtab_release(&kinds_tab);
	ph_strtab_release(&p.words);
	ph_addrmap_release(&p.label_ids);
	for (uint32_t k = 0; p.owner_names && k < p.n_owners; k++)
		free(p.owner_names[k]);
	free(p.owner_names);
	free(p.owner);
	free(p.w1);
	free(p.w2);
	free(p.more);
	free(p.ns_dict);
	ph_buf_release(&p.b);
	return err;
}
