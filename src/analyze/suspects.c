/* SPDX-License-Identifier: MIT */
/*
 * suspects.c - finding leak suspects (see suspects.h).
 */
#include "analyze/suspects.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/histogram.h"
#include "analyze/paths.h"
#include "analyze/render.h"
#include "common/error.h"
#include "common/units.h"

struct ctx {
	struct ph_analysis *a;
	const struct ph_domtree *t;
	uint64_t total, big;
	uint64_t *hub_roots; /* bitmap: objects of ROOTS records for sys.modules and the interpreter */
	struct ph_suspect *s;
	size_t n, cap;
	uint64_t *kind_count; /* scratch, n_types + 1 */
};

static double pct(uint64_t part, uint64_t total)
{
	return total ? 100.0 * (double)part / (double)total : 0.0;
}

static bool is_hub(const struct ctx *c, uint32_t v)
{
	const struct ph_analysis *a = c->a;

	if (v == a->g.super)
		return true;
	if (v >= a->g.n)
		return false;
	return (a->h->flags[v] & (PH_FMT_OBJ_IMMORTAL | PH_FMT_OBJ_STATIC)) ||
	       ph_bit(c->hub_roots, v);
}

static uint32_t biggest_child(const struct ctx *c, uint32_t v)
{
	uint32_t best = PH_NO_ID;

	for (uint32_t i = c->t->off[v]; i < c->t->off[v + 1]; i++) {
		uint32_t k = c->t->kids[i];

		if (best == PH_NO_ID || c->a->r.size[k] > c->a->r.size[best])
			best = k;
	}
	return best;
}

/* Follow the largest child while it keeps at least 80% of its parent's retained size. */
static uint32_t accumulation(const struct ctx *c, uint32_t v)
{
	for (;;) {
		uint32_t k = biggest_child(c, v);

		if (k == PH_NO_ID || c->a->r.size[k] < c->a->r.size[v] - c->a->r.size[v] / 5)
			return v;
		v = k;
	}
}

/* The shortest path to v as an expression (caller frees); *named: whether it starts at a named root. */
static char *expr_named(const struct ph_analysis *a, uint32_t v, bool *named, int *err)
{
	struct ph_path *p = NULL;
	struct ph_buf b = PH_BUF_INIT;
	size_t n = 0;
	char *s = NULL;

	*named = false;
	*err = ph_paths_to(a, v, 1, &p, &n);
	if (!*err && n) {
		uint64_t e = p[0].steps[0].edge;
		uint8_t k = e == PH_EDGE_ADOPTED ? 0 : a->g.syn_kind[e] & PH_LABEL_MASK;

		*named = k == PH_LABEL_ROOT || k == PH_LABEL_THREAD;
	}
	if (!*err && n)
		*err = ph_path_expr(&b, &a->g, &p[0]);
	if (!*err && n && !(s = strdup(ph_buf_cstr(&b))))
		*err = ph_error(PH_ENOMEM, "cannot copy a path");
	ph_paths_free(p, n);
	ph_buf_release(&b);
	return s;
}

static char *expr_of(const struct ph_analysis *a, uint32_t v, int *err)
{
	bool named;

	return expr_named(a, v, &named, err);
}

/* The most common kind among node v's dominator-tree children: its name and share. */
static const char *child_kind(struct ctx *c, uint32_t v, double *share)
{
	const struct ph_analysis *a = c->a;
	uint32_t nt = a->h->n_types, best = PH_NO_ID;
	uint64_t n = c->t->off[v + 1] - c->t->off[v];

	*share = 0;
	if (!n)
		return NULL;
	for (uint32_t i = c->t->off[v]; i < c->t->off[v + 1]; i++) {
		uint32_t k = c->t->kids[i], slot = k < a->g.n ? a->h->type[k] : nt;

		if (++c->kind_count[slot] > (best == PH_NO_ID ? 0 : c->kind_count[best]))
			best = slot;
	}
	*share = (double)c->kind_count[best] / (double)n;
	for (uint32_t i = c->t->off[v]; i < c->t->off[v + 1]; i++) {
		uint32_t k = c->t->kids[i];

		c->kind_count[k < a->g.n ? a->h->type[k] : nt] = 0;
	}
	if (best == nt)
		return ph_graph_is_frame(&a->g, c->t->kids[c->t->off[v]]) ? "<frame>" : "<node>";
	return ph_heap_type_name(a->h, best);
}

static struct ph_suspect *new_suspect(struct ctx *c, int *err)
{
	struct ph_suspect *s;

	if ((*err = PH_ARRAY_RESERVE(c->s, c->cap, c->n + 1)))
		return NULL;
	s = &c->s[c->n++];
	memset(s, 0, sizeof(*s));
	s->node = PH_NO_ID;
	s->acc = PH_NO_ID;
	return s;
}

/* At most this many names of a namespace, and those holding at least 1% of the suspect. */
#define MAX_NAMES 5

/*
 * The __dict__ of namespace v (a module or a class) when v dominates it, v
 * itself when it is the __dict__ of one; else PH_NO_ID.
 */
static uint32_t namespace_dict(const struct ph_analysis *a, uint32_t v)
{
	const struct ph_heap *h = a->h;

	if (v >= a->g.n || !h->sref_dict)
		return PH_NO_ID;
	if (ph_is_namespace(&a->g, v)) {
		for (uint32_t e = h->out_off[v]; e < h->out_off[v + 1]; e++)
			if ((h->out_kind[e] & PH_LABEL_MASK) == PH_LABEL_FIELD && h->out_val[e] == h->sref_dict &&
			    a->d.idom[h->out_tgt[e]] == v)
				return h->out_tgt[e];
		return PH_NO_ID;
	}
	if (!ph_heap_type_is(h, h->type[v], "dict"))
		return PH_NO_ID;
	for (uint32_t i = a->g.in_off[v]; i < a->g.in_off[v + 1]; i++) {
		uint32_t src = a->g.in_src[i] & PH_IN_SRC;
		uint64_t e;

		if (src >= a->g.n || !ph_is_namespace(&a->g, src))
			continue;
		e = ph_find_edge(a, src, v);
		if (e != UINT64_MAX && (h->out_kind[e] & PH_LABEL_MASK) == PH_LABEL_FIELD &&
		    h->out_val[e] == h->sref_dict)
			return v;
	}
	return PH_NO_ID;
}

/* The largest names of namespace dict d (its children in the dominator tree), with their paths. */
static int namespace_names(struct ctx *c, struct ph_suspect *s, uint32_t d)
{
	const struct ph_analysis *a = c->a;
	uint32_t best[MAX_NAMES];
	size_t n = 0;
	int err = 0;

	for (uint32_t i = c->t->off[d]; i < c->t->off[d + 1]; i++) {
		uint32_t k = c->t->kids[i];
		bool value = false;
		size_t j;

		if (a->r.size[k] * 100 < s->retained)
			continue;
		/* the values of names, not the names (the keys) themselves */
		for (uint32_t e = a->h->out_off[d]; e < a->h->out_off[d + 1] && !value; e++)
			value = a->h->out_tgt[e] == k && (a->h->out_kind[e] & PH_LABEL_MASK) == PH_LABEL_KEY;
		if (!value)
			continue;
		if (n == MAX_NAMES && a->r.size[k] <= a->r.size[best[n - 1]])
			continue;
		j = n < MAX_NAMES ? n++ : n - 1;
		for (; j > 0 && a->r.size[best[j - 1]] < a->r.size[k]; j--)
			best[j] = best[j - 1];
		best[j] = k;
	}
	if (!n)
		return 0;
	if (!(s->names = calloc(n, sizeof(*s->names))))
		return ph_error(PH_ENOMEM, "cannot allocate the names of a suspect");
	for (size_t i = 0; i < n && !err; i++) {
		s->names[i].node = best[i];
		s->names[i].retained = a->r.size[best[i]];
		s->names[i].path = expr_of(a, best[i], &err);
		s->n_names++;
	}
	return err;
}

static void accumulation_text(struct ph_buf *b, const struct ctx *c, const struct ph_suspect *s)
{
	const struct ph_analysis *a = c->a;
	char hb[32];
	uint64_t acc_ret = a->r.size[s->acc];

	if (s->n_names) {
		ph_buf_printf(b, " %s is a namespace, where names live, not a collection: the memory "
				 "is held by the names in it, the largest ",
			      s->acc == s->node ? "It" : s->acc_path ? s->acc_path : "Its accumulation point");
		for (size_t i = 0; i < s->n_names; i++)
			ph_buf_printf(b, "%s%s (%s, %.1f%%)", i ? ", " : "",
				      s->names[i].path ? s->names[i].path : "?",
				      ph_human_bytes(s->names[i].retained, hb),
				      pct(s->names[i].retained, s->retained));
		ph_buf_printf(b, ": look at what each of them holds.");
		return;
	}
	if (s->acc == s->node) {
		ph_buf_printf(b, " The memory is accumulated in this %s itself",
			      s->node < a->g.n ? "object" : "node");
	} else if (s->acc >= a->g.n) {
		struct ph_buf nb = PH_BUF_INIT;

		ph_render_node(&nb, &a->g, s->acc);
		ph_buf_printf(b, " Most of it (%.1f%%) is held by %s", pct(acc_ret, s->retained),
			      ph_buf_cstr(&nb));
		ph_buf_release(&nb);
	} else {
		ph_buf_printf(b, " Most of it (%.1f%%) is accumulated in the %s at %s",
			      pct(acc_ret, s->retained), ph_node_kind(&a->g, s->acc),
			      s->acc_path ? s->acc_path : "?");
	}
	if (s->acc_children) {
		uint32_t big = biggest_child(c, s->acc);

		ph_buf_printf(b, ", which has %" PRIu64 " %s in the dominator tree", s->acc_children,
			      s->acc_children == 1 ? "child" : "children");
		if (s->acc_children >= 10 && s->acc_child_kind)
			ph_buf_printf(b, ", %s %s (%.0f%%), %s each on average",
				      s->acc_child_kind_share > 0.5 ? "mostly" : "of many kinds, most often",
				      s->acc_child_kind, 100.0 * s->acc_child_kind_share,
				      ph_human_bytes(acc_ret / s->acc_children, hb));
		if (big < a->g.n)
			ph_buf_printf(b, "; the largest is the %s 0x%" PRIx64 " with %s (%.1f%%).",
				      ph_heap_kind(a->h, big), a->h->addr[big],
				      ph_human_bytes(a->r.size[big], hb), pct(a->r.size[big], acc_ret));
		else
			ph_buf_printf(b, ".");
	} else {
		ph_buf_printf(b, ".");
	}
	if (s->acc < a->g.n && s->acc_children >= 100 && s->acc_child_kind_share >= 0.5)
		ph_buf_printf(b, " A collection that keeps growing - a cache without eviction, a registry "
				 "that is never cleared, a queue that nobody drains - is the usual cause: "
				 "look at what adds to it and what should take things out.");
}

static int emit_object(struct ctx *c, uint32_t v, uint32_t acc)
{
	struct ph_analysis *a = c->a;
	const struct ph_heap *h = a->h;
	struct ph_buf b = PH_BUF_INIT;
	char hb[32];
	int err;
	struct ph_suspect *s = new_suspect(c, &err);
	const char *ck;
	bool named = false;

	if (!s)
		return err;
	s->what = PH_SUSPECT_OBJECT;
	s->node = v;
	s->type = strdup(ph_node_kind(&a->g, v));
	s->retained = a->r.size[v];
	s->objects = a->r.count[v];
	s->share = c->total ? (double)s->retained / (double)c->total : 0;
	s->acc = acc;
	s->acc_children = c->t->off[acc + 1] - c->t->off[acc];
	ck = child_kind(c, acc, &s->acc_child_kind_share);
	s->acc_child_kind = ck ? strdup(ck) : NULL;
	s->path = expr_named(a, v, &named, &err);
	if (!err)
		s->acc_path = expr_of(a, acc, &err);
	if (err || !s->type || (ck && !s->acc_child_kind))
		return err ? err : ph_error(PH_ENOMEM, "cannot describe a suspect");
	{
		uint32_t d = namespace_dict(a, acc);

		if (d != PH_NO_ID && (err = namespace_names(c, s, d)))
			return err;
	}
	if (v == a->g.unreachable) {
		ph_buf_printf(&b, "%s (%.1f%% of the heap, %" PRIu64 " objects) is unreachable: garbage "
				  "that no root refers to any more, waiting for the cyclic garbage collector. If "
				  "it does not go away, the collector may be disabled (gc.disable()) or its "
				  "thresholds raised, or the objects are being finalized.",
			      ph_human_bytes(s->retained, hb), 100 * s->share, s->objects);
	} else if (ph_graph_is_thread(&a->g, v) || ph_graph_is_frame(&a->g, v)) {
		struct ph_buf nb = PH_BUF_INIT;

		ph_render_node(&nb, &a->g, v);
		ph_buf_printf(&b, "%s keeps %s (%.1f%% of the heap, %" PRIu64 " objects) alive through "
				  "local variables.",
			      ph_buf_cstr(&nb), ph_human_bytes(s->retained, hb), 100 * s->share, s->objects);
		ph_buf_release(&nb);
	} else {
		bool held = false;

		for (size_t i = 0; i < a->g.roots.n && !named; i++)
			held |= a->g.roots.list[i].object == v && a->g.roots.list[i].why == PH_LABEL_HELD;
		ph_buf_printf(&b, "The %s 0x%" PRIx64 " %s%s retains %s (%.1f%% of the heap, %" PRIu64
				  " objects).",
			      s->type, h->addr[v], held ? "" : "at ", held ? "(held from outside the dump: its reference count shows that C code, an extension or the C stack holds it)" : s->path ? s->path : "?",
			      ph_human_bytes(s->retained, hb), 100 * s->share, s->objects);
	}
	accumulation_text(&b, c, s);
	s->explanation = strdup(ph_buf_cstr(&b));
	ph_buf_release(&b);
	return s->explanation ? 0 : ph_error(PH_ENOMEM, "cannot describe a suspect");
}

/* Report v, or its two or three big children when its memory splits between them. */
static int process(struct ctx *c, uint32_t v)
{
	uint32_t *work = NULL;
	size_t n = 0, cap = 0;
	int err = PH_ARRAY_RESERVE(work, cap, 1);

	if (err)
		return err;
	work[n++] = v;
	while (n && !err) {
		uint32_t s = work[--n], acc = accumulation(c, s), nbig = 0;

		for (uint32_t i = c->t->off[acc]; i < c->t->off[acc + 1]; i++)
			nbig += c->a->r.size[c->t->kids[i]] >= c->big;
		if (nbig < 2 || nbig > 3) {
			err = emit_object(c, s, acc);
			continue;
		}
		if ((err = PH_ARRAY_RESERVE(work, cap, n + nbig)))
			break;
		for (uint32_t i = c->t->off[acc + 1]; i-- > c->t->off[acc];) /* largest first when popped */
			if (c->a->r.size[c->t->kids[i]] >= c->big)
				work[n++] = c->t->kids[i];
	}
	free(work);
	return err;
}

static int object_suspects(struct ctx *c)
{
	uint32_t *hubs = NULL;
	size_t n = 0, cap = 0;
	int err = PH_ARRAY_RESERVE(hubs, cap, 1);

	if (err)
		return err;
	hubs[n++] = c->a->g.super;
	while (n && !err) {
		uint32_t hv = hubs[--n];

		for (uint32_t i = c->t->off[hv]; i < c->t->off[hv + 1] && !err; i++) {
			uint32_t k = c->t->kids[i];

			if (c->a->r.size[k] < c->big)
				continue;
			if (is_hub(c, k)) {
				if (!(err = PH_ARRAY_RESERVE(hubs, cap, n + 1)))
					hubs[n++] = k;
			} else {
				err = process(c, k);
			}
		}
	}
	free(hubs);
	return err;
}

/* ---- kinds ---- */

struct kind_stats {
	uint64_t retained, count, unreported;
	uint32_t largest; /* its largest top-level object */
};

/* Who refers to objects: the kinds of the sources of strong edges into them. */
static void referrer_text(struct ph_buf *b, const struct ph_analysis *a, const uint32_t *objs,
			  size_t n, uint64_t *refs)
{
	const struct ph_heap *h = a->h;
	uint32_t k1 = PH_NO_ID, k2 = PH_NO_ID;
	uint64_t total = 0;

	for (size_t i = 0; i < n; i++)
		for (uint32_t e = a->g.in_off[objs[i]]; e < a->g.in_off[objs[i] + 1]; e++) {
			uint32_t src = a->g.in_src[e];

			if (!(src & PH_IN_WEAK) && src < a->g.n) {
				refs[h->type[src]]++;
				total++;
			}
		}
	for (uint32_t t = 0; t < h->n_types; t++) {
		if (!refs[t])
			continue;
		if (k1 == PH_NO_ID || refs[t] > refs[k1]) {
			k2 = k1;
			k1 = t;
		} else if (k2 == PH_NO_ID || refs[t] > refs[k2]) {
			k2 = t;
		}
	}
	if (k1 == PH_NO_ID) {
		ph_buf_printf(b, " No object of the dump refers to them: they are held only from outside "
				 "it (C code, an extension, the C stack) or are roots themselves.");
	} else if (refs[k1] * 2 >= total) {
		ph_buf_printf(b, " They are referred to mostly from %s objects (%.0f%% of the references",
			      ph_heap_type_name(h, k1), pct(refs[k1], total));
		if (k2 != PH_NO_ID)
			ph_buf_printf(b, "; then %s, %.0f%%", ph_heap_type_name(h, k2),
				      pct(refs[k2], total));
		ph_buf_printf(b, ").");
	} else {
		ph_buf_printf(b, " They are referred to from objects of many kinds, most often %s (%.0f%% "
				 "of the references)",
			      ph_heap_type_name(h, k1), pct(refs[k1], total));
		if (k2 != PH_NO_ID)
			ph_buf_printf(b, " and %s (%.0f%%)", ph_heap_type_name(h, k2),
				      pct(refs[k2], total));
		ph_buf_printf(b, ".");
	}
	for (uint32_t t = 0; t < h->n_types; t++)
		refs[t] = 0;
}

static int emit_kind(struct ctx *c, uint32_t ty, const struct kind_stats *st, const uint32_t *tops,
		     size_t n_tops)
{
	struct ph_analysis *a = c->a;
	const struct ph_heap *h = a->h;
	uint32_t *objs = malloc((st->count + 1) * sizeof(*objs));
	struct ph_buf b = PH_BUF_INIT;
	char hb[32], hb2[32];
	size_t n = 0;
	int err = 0;
	struct ph_suspect *s;

	if (!objs)
		return ph_error(PH_ENOMEM, "cannot allocate a kind suspect");
	for (size_t i = 0; i < n_tops; i++)
		if (h->type[tops[i]] == ty)
			objs[n++] = tops[i];
	if ((s = new_suspect(c, &err)) == NULL)
		goto out_free;
	s->what = PH_SUSPECT_KIND;
	s->type = strdup(ph_heap_type_name(h, ty));
	s->retained = st->retained;
	s->objects = st->count;
	s->share = c->total ? (double)st->retained / (double)c->total : 0;
	if (!s->type) {
		err = ph_error(PH_ENOMEM, "cannot describe a suspect");
		goto out_free;
	}
	{
		char *largest = expr_of(a, st->largest, &err);

		if (err)
			goto out_free;
		ph_buf_printf(&b, "%" PRIu64 " objects of type %s together retain %s (%.1f%% of the "
				  "heap), but no single object holds them: each is kept alive on its own, "
				  "from more than one place or from a root. The largest, at %s, retains %s.",
			      s->objects, s->type, ph_human_bytes(s->retained, hb), 100 * s->share,
			      largest ? largest : "?", ph_human_bytes(a->r.size[st->largest], hb2));
		free(largest);
	}
	referrer_text(&b, a, objs, n, c->kind_count);
	ph_buf_printf(&b, " Look at where %s objects are created and what keeps each of them.", s->type);
	s->explanation = strdup(ph_buf_cstr(&b));
	if (!s->explanation)
		err = ph_error(PH_ENOMEM, "cannot describe a suspect");
out_free:
	ph_buf_release(&b);
	free(objs);
	return err;
}

/*
 * Whether v is part of the program's definitions rather than its data:
 * modules, classes, functions, code, descriptors, and the __dict__ of a
 * module or class. Python keeps these alive from many places, so they are
 * top-level objects by nature, not a leak; kind suspects leave them out.
 */
static bool is_definition(const struct ph_analysis *a, uint32_t v)
{
	static const char *const kinds[] = {
		"module", "type", "function", "code", "cell", "builtin_function_or_method",
		"method_descriptor", "wrapper_descriptor", "getset_descriptor",
		"member_descriptor", "classmethod_descriptor", "classmethod", "staticmethod",
		"property", "method-wrapper", "mappingproxy", "abc.ABCMeta", "enum.EnumType",
	};
	const struct ph_heap *h = a->h;
	const char *k = ph_heap_kind(h, v);

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(k, kinds[i]))
			return true;
	if (ph_is_namespace(&a->g, v))
		return true; /* a class whatever its metaclass */
	return namespace_dict(a, v) == v; /* the __dict__ of a module or class */
}

/*
 * Top-level objects: the children of hubs (looked through as for object
 * suspects), definitions and garbage left out (garbage is the unreachable
 * node's).
 */
static int top_level(struct ctx *c, uint32_t **out, size_t *n_out)
{
	uint32_t *hubs = NULL, *tops = NULL;
	size_t n = 0, cap = 0, nt = 0, cap_t = 0;
	int err = PH_ARRAY_RESERVE(hubs, cap, 1);

	if (err)
		return err;
	hubs[n++] = c->a->g.super;
	while (n && !err) {
		uint32_t hv = hubs[--n];

		for (uint32_t i = c->t->off[hv]; i < c->t->off[hv + 1] && !err; i++) {
			uint32_t k = c->t->kids[i];

			if (is_hub(c, k)) {
				if (!(err = PH_ARRAY_RESERVE(hubs, cap, n + 1)))
					hubs[n++] = k;
			} else if (k < c->a->g.n && !is_definition(c->a, k)) {
				if (!(err = PH_ARRAY_RESERVE(tops, cap_t, nt + 1)))
					tops[nt++] = k;
			}
		}
	}
	free(hubs);
	if (err) {
		free(tops);
		return err;
	}
	*out = tops;
	*n_out = nt;
	return 0;
}

static int kind_suspects(struct ctx *c)
{
	const struct ph_analysis *a = c->a;
	const struct ph_heap *h = a->h;
	struct kind_stats *ks = calloc((size_t)h->n_types + 1, sizeof(*ks));
	uint8_t *reported = calloc((size_t)a->g.n_nodes + 1, 1);
	uint32_t *tops = NULL;
	size_t nt = 0;
	int err = 0;

	if (!ks || !reported) {
		err = ph_error(PH_ENOMEM, "cannot allocate kind statistics");
		goto out_free;
	}
	for (size_t i = 0; i < c->n; i++)
		if (c->s[i].node != PH_NO_ID)
			reported[c->s[i].node] = 1;
	if ((err = top_level(c, &tops, &nt)))
		goto out_free;
	for (size_t i = 0; i < nt; i++) {
		uint32_t v = tops[i];
		struct kind_stats *k = &ks[h->type[v]];

		k->retained += a->r.size[v];
		if (!k->count++ || a->r.size[v] > a->r.size[k->largest])
			k->largest = v;
		if (!reported[v])
			k->unreported += a->r.size[v];
	}
	for (uint32_t t = 0; t < h->n_types && !err; t++)
		if (ks[t].count >= 2 && ks[t].unreported >= c->big)
			err = emit_kind(c, t, &ks[t], tops, nt);
out_free:
	free(tops);
	free(ks);
	free(reported);
	return err;
}

static int by_retained(const void *x, const void *y)
{
	const struct ph_suspect *a = x, *b = y;

	if (a->retained != b->retained)
		return a->retained > b->retained ? -1 : 1;
	return a->what - b->what;
}

int ph_suspects_find(struct ph_analysis *a, double threshold, struct ph_suspect **out, size_t *n)
{
	struct ctx c;
	int err = 0;

	*out = NULL;
	*n = 0;
	memset(&c, 0, sizeof(c));
	c.a = a;
	c.t = ph_analysis_tree(a);
	if (!c.t)
		return ph_error_code();
	c.total = ph_analysis_total(a);
	c.big = (uint64_t)((double)c.total * threshold);
	if (c.big == 0)
		c.big = 1;
	c.hub_roots = calloc(((size_t)a->g.n >> 6) + 1, sizeof(uint64_t));
	c.kind_count = calloc((size_t)a->h->n_types + 2, sizeof(uint64_t));
	if (!c.hub_roots || !c.kind_count) {
		err = ph_error(PH_ENOMEM, "cannot allocate the suspect search");
		goto out_free;
	}
	for (size_t i = 0; i < a->g.roots.n; i++) {
		const struct ph_root *r = &a->g.roots.list[i];

		if (r->why == PH_LABEL_ROOT && (a->h->roots[r->val].kind == PH_FMT_ROOT_MODULES ||
						a->h->roots[r->val].kind == PH_FMT_ROOT_INTERP))
			ph_bit_set(c.hub_roots, r->object);
	}
	err = object_suspects(&c);
	if (!err)
		err = kind_suspects(&c);
	if (err)
		goto out_free;
	if (c.n)
		qsort(c.s, c.n, sizeof(*c.s), by_retained);
	*out = c.s;
	*n = c.n;
	c.s = NULL;
	c.n = 0;
out_free:
	ph_suspects_free(c.s, c.n);
	free(c.hub_roots);
	free(c.kind_count);
	return err;
}

void ph_suspects_free(struct ph_suspect *s, size_t n)
{
	for (size_t i = 0; s && i < n; i++) {
		free(s[i].type);
		free(s[i].path);
		free(s[i].acc_path);
		free(s[i].acc_child_kind);
		for (size_t k = 0; k < s[i].n_names; k++)
			free(s[i].names[k].path);
		free(s[i].names);
		free(s[i].explanation);
	}
	free(s);
}

size_t ph_held_from_c(const struct ph_analysis *a, uint32_t *ids, size_t max, uint64_t *count,
		      uint64_t *retained)
{
	const struct ph_heap *h = a->h;
	size_t n = 0;

	*count = *retained = 0;
	for (size_t i = 0; i < h->n_roots; i++) {
		const struct ph_heap_root *r = &h->roots[i];
		const char *label;
		size_t len, k;
		uint32_t v = r->object;

		if (v == PH_NO_ID || !(label = ph_heap_str(h, r->label, &len)) ||
		    len != sizeof(PH_ROOT_LABEL_HELD_C) - 1 || memcmp(label, PH_ROOT_LABEL_HELD_C, len))
			continue;
		++*count;
		*retained += a->r.size[v];
		/* keep the largest max, in decreasing order (insertion: max is small) */
		for (k = n; k > 0 && a->r.size[ids[k - 1]] < a->r.size[v]; k--)
			if (k < max)
				ids[k] = ids[k - 1];
		if (k < max) {
			ids[k] = v;
			if (n < max)
				n++;
		}
	}
	return n;
}
