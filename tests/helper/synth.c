/* SPDX-License-Identifier: MIT */
/*
 * synth.c - `test-tool synth`: write a synthetic heap dump of about N objects
 * shaped like a real application's heap on CPython 3.12, for benchmarks and
 * analyzer tests. Deterministic for a given seed.
 *
 * The heap: builtin and application types; sys.modules with ~25 modules,
 * their dicts, functions and code objects; then "users", each a User
 * instance with str/int attributes, a list of Orders (each pointing back at
 * its User: cycles) holding a float and a tuple of shared SKU strings, an
 * Address with __slots__, sometimes a cache Entry (str key -> Entry with a
 * bytes payload) in a module-level dict, sometimes a weakref; about 1% of
 * units are unreachable garbage cycles. Two threads with frames and locals.
 *
 * Objects shared by many (types, interned attribute names, pools of strings
 * and small ints, modules, the registry list and the cache dict) get their
 * addresses up front and are written at the end, once their reference
 * counts are known; per-user objects are written as they are made. Every
 * reference count equals the strong references written to the object, plus
 * one for modules and types (held by the interpreter), so roots derived from
 * reference counts are meaningful.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>

#include "common/error.h"
#include "format/codec.h"
#include "format/writer.h"
#include "helper/tool.h"

struct rng {
	uint64_t s;
};

static uint64_t rnext(struct rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545F4914F6CDD1DULL;
}

static uint64_t rbelow(struct rng *r, uint64_t n)
{
	return n ? rnext(r) % n : 0;
}

/* A global object: address reserved early, written at the end. */
struct gobj {
	uint64_t addr;
	uint64_t type;
	uint64_t size;
	uint64_t refs; /* strong references written to it so far */
	uint8_t flags;
	const char *text; /* value: str text, or TEXT for modules/types */
	int value_kind;
	int64_t ival;
	struct ph_edge_rec *edges;
	size_t n_edges, cap_edges;
};

enum {
	T_TYPE, T_OBJECT, T_DICT, T_LIST, T_TUPLE, T_STR, T_INT, T_FLOAT, T_BYTES, T_MODULE,
	T_FUNCTION, T_CODE, T_NONETYPE, T_BOOL, T_WEAKREF, T_USER, T_ORDER, T_ENTRY, T_ADDRESS,
	T_COUNT
};

static const struct {
	const char *module, *qualname;
	uint64_t basicsize, itemsize;
	int base;
	bool heap;
} type_defs[T_COUNT] = {
	[T_TYPE] = {"builtins", "type", 920, 40, T_OBJECT, false},
	[T_OBJECT] = {"builtins", "object", 16, 0, -1, false},
	[T_DICT] = {"builtins", "dict", 48, 0, T_OBJECT, false},
	[T_LIST] = {"builtins", "list", 40, 0, T_OBJECT, false},
	[T_TUPLE] = {"builtins", "tuple", 24, 8, T_OBJECT, false},
	[T_STR] = {"builtins", "str", 64, 0, T_OBJECT, false},
	[T_INT] = {"builtins", "int", 24, 4, T_OBJECT, false},
	[T_FLOAT] = {"builtins", "float", 24, 0, T_OBJECT, false},
	[T_BYTES] = {"builtins", "bytes", 33, 1, T_OBJECT, false},
	[T_MODULE] = {"builtins", "module", 72, 0, T_OBJECT, false},
	[T_FUNCTION] = {"builtins", "function", 152, 0, T_OBJECT, false},
	[T_CODE] = {"builtins", "code", 200, 2, T_OBJECT, false},
	[T_NONETYPE] = {"builtins", "NoneType", 16, 0, T_OBJECT, false},
	[T_BOOL] = {"builtins", "bool", 24, 4, T_INT, false},
	[T_WEAKREF] = {"builtins", "weakref.ReferenceType", 64, 0, T_OBJECT, false},
	[T_USER] = {"app.models", "User", 16, 0, T_OBJECT, true},
	[T_ORDER] = {"app.models", "Order", 16, 0, T_OBJECT, true},
	[T_ENTRY] = {"app.cache", "Entry", 16, 0, T_OBJECT, true},
	[T_ADDRESS] = {"app.models", "Address", 32, 0, T_OBJECT, true},
};

#define N_CITIES 50
#define N_SKUS 500
#define N_SMALLINT 262 /* -5 .. 256 */
#define N_MODULES 25
#define FUNCS_PER_MODULE 12

static const char *const attr_names[] = {"name", "email", "id", "orders", "address", "user",
					 "amount", "items", "payload", "street", "city", "key"};
enum { A_NAME, A_EMAIL, A_ID, A_ORDERS, A_ADDRESS, A_USER, A_AMOUNT, A_ITEMS, A_PAYLOAD,
       A_STREET, A_CITY, A_KEY, A_COUNT };

static const char *const module_names[N_MODULES] = {
	"builtins", "sys", "app", "app.models", "app.cache", "os", "posixpath", "re", "json",
	"json.decoder", "json.encoder", "collections", "functools", "itertools", "threading",
	"logging", "socket", "selectors", "asyncio", "typing", "enum", "io", "abc", "codecs",
	"encodings"};

struct synth {
	struct ph_writer *w;
	struct rng r;
	uint64_t next_addr;
	uint64_t written;   /* objects written */
	uint64_t target;
	uint64_t max_value_len;
	uint64_t type_ids[T_COUNT];
	struct gobj types[T_COUNT];
	struct gobj attr[A_COUNT];
	struct gobj cities[N_CITIES];
	struct gobj skus[N_SKUS];
	struct gobj smallint[N_SMALLINT];
	struct gobj none_obj, true_obj, false_obj;
	struct gobj modules[N_MODULES], module_dicts[N_MODULES], module_names_str[N_MODULES];
	struct gobj sys_modules, registry, cache, watchers;
	struct gobj dunder_dict, dunder_name;
	uint64_t sref_dict, sref_mro, sref_code, sref_globals, sref_name, sref_qualname;
	uint64_t users;
	char buf[256];
};

static uint64_t alloc(struct synth *s, uint64_t size)
{
	uint64_t a = s->next_addr;

	s->next_addr += (size + 15) & ~(uint64_t)15;
	if (rbelow(&s->r, 64) == 0) /* arenas are not contiguous */
		s->next_addr += 4096 * (1 + rbelow(&s->r, 16));
	return a;
}

static void gobj_init(struct synth *s, struct gobj *g, int type, uint64_t size, uint8_t flags)
{
	memset(g, 0, sizeof(*g));
	g->type = (uint64_t)type;
	g->size = size;
	g->flags = flags;
	g->addr = alloc(s, size);
}

static int gobj_edge(struct gobj *g, uint8_t kind, uint64_t label, uint64_t target)
{
	int err = PH_ARRAY_RESERVE(g->edges, g->cap_edges, g->n_edges + 1);

	if (err)
		return err;
	g->edges[g->n_edges].kind = kind;
	g->edges[g->n_edges].flags = 0;
	g->edges[g->n_edges].label = label;
	g->edges[g->n_edges].target = target;
	g->n_edges++;
	return 0;
}

static uint64_t str_size(size_t len)
{
	return 40 + len + 1; /* compact ASCII on 3.12 */
}

/* Write one object record with a str/bytes/int/float/TEXT value as given. */
static int put_object(struct synth *s, uint64_t addr, int type, uint64_t size, uint64_t refcount,
		      uint8_t flags, const struct ph_value *v)
{
	struct ph_object_rec o;

	memset(&o, 0, sizeof(o));
	o.address = addr;
	o.type = s->type_ids[type];
	o.size = size;
	o.refcount = refcount;
	o.flags = flags;
	if (v)
		o.value = *v;
	s->written++;
	return ph_writer_object(s->w, &o, NULL);
}

static struct ph_value str_value(struct synth *s, const char *text, uint8_t kind)
{
	struct ph_value v;
	size_t n = strlen(text);

	memset(&v, 0, sizeof(v));
	v.kind = kind;
	v.length = n;
	v.data = (const uint8_t *)text;
	v.data_len = n;
	if (kind != PH_FMT_VAL_TEXT && n > s->max_value_len) {
		v.data_len = s->max_value_len;
		v.flags = PH_FMT_VALF_TRUNCATED;
	}
	return v;
}

static int put_str(struct synth *s, uint64_t addr, const char *text, uint64_t refs)
{
	struct ph_value v = str_value(s, text, PH_FMT_VAL_STR);

	return put_object(s, addr, T_STR, str_size(strlen(text)), refs, 0, &v);
}

static int edge(struct synth *s, uint8_t kind, uint64_t label, uint64_t target)
{
	struct ph_edge_rec e = {.target = target, .kind = kind, .flags = 0, .label = label};

	return ph_writer_edge(s->w, &e);
}

static int weak_edge(struct synth *s, uint64_t target)
{
	struct ph_edge_rec e = {.target = target, .kind = PH_FMT_LABEL_NONE,
				.flags = PH_FMT_EDGE_WEAK, .label = 0};

	return ph_writer_edge(s->w, &e);
}

/* An instance attribute edge to target, labelled by the interned name. */
static int attr_edge(struct synth *s, int a, uint64_t target)
{
	s->attr[a].refs += 0; /* the name is held by the type's cached keys, counted there */
	return edge(s, PH_FMT_LABEL_ATTR, s->attr[a].addr, target);
}

/* ---- one user and everything it owns ---- */

static int make_user(struct synth *s, uint64_t *user_out, uint64_t *entry_out, uint64_t *key_out)
{
	struct rng *r = &s->r;
	uint64_t id = s->users++;
	int n_orders = (int)rbelow(r, 5);
	bool cached = rbelow(r, 10) < 3;
	uint64_t user, name, email, idint, orders, address, street, entry = 0, key = 0, payload = 0;
	uint64_t order[5], amount[5], items[5], n_items[5], sku[5][3];
	uint64_t list_cap = n_orders ? (uint64_t)n_orders + (uint64_t)rbelow(r, 3) : 0;
	char name_s[32], email_s[64], street_s[64], key_s[32];
	struct ph_value v;
	int err;

	snprintf(name_s, sizeof(name_s), "user%" PRIu64, id);
	snprintf(email_s, sizeof(email_s), "user%" PRIu64 "@example.com", id);
	snprintf(street_s, sizeof(street_s), "%" PRIu64 " Main Street", rbelow(r, 9999));
	snprintf(key_s, sizeof(key_s), "user:%" PRIu64, id);

	user = alloc(s, 48);
	name = alloc(s, str_size(strlen(name_s)));
	email = alloc(s, str_size(strlen(email_s)));
	idint = alloc(s, 32);
	orders = alloc(s, 56 + 8 * list_cap);
	address = alloc(s, 48);
	street = alloc(s, str_size(strlen(street_s)));
	for (int i = 0; i < n_orders; i++) {
		order[i] = alloc(s, 48);
		amount[i] = alloc(s, 24);
		n_items[i] = 1 + rbelow(r, 3);
		items[i] = alloc(s, 24 + 8 * n_items[i]);
		for (uint64_t k = 0; k < n_items[i]; k++)
			sku[i][k] = rbelow(r, N_SKUS);
	}
	if (cached) {
		entry = alloc(s, 48);
		key = alloc(s, str_size(strlen(key_s)));
		payload = alloc(s, 33 + 200 + rbelow(r, 1800));
	}

	/* the user: held by the registry or the cache entry, and by its orders */
	err = put_object(s, user, T_USER, 48, 1 + (uint64_t)n_orders, PH_FMT_OBJ_GC, NULL);
	if (!err)
		err = attr_edge(s, A_NAME, name);
	if (!err)
		err = attr_edge(s, A_EMAIL, email);
	if (!err)
		err = attr_edge(s, A_ID, idint);
	if (!err)
		err = attr_edge(s, A_ORDERS, orders);
	if (!err)
		err = attr_edge(s, A_ADDRESS, address);
	if (!err)
		err = edge(s, PH_FMT_LABEL_NONE, 0, s->types[T_USER].addr);
	s->types[T_USER].refs++;
	if (!err)
		err = put_str(s, name, name_s, 1);
	if (!err)
		err = put_str(s, email, email_s, 1);
	if (!err) {
		memset(&v, 0, sizeof(v));
		v.kind = PH_FMT_VAL_INT;
		v.i = (int64_t)(1000 + id);
		err = put_object(s, idint, T_INT, 28, 1, 0, &v);
	}
	if (!err)
		err = put_object(s, orders, T_LIST, 56 + 8 * list_cap, 1, PH_FMT_OBJ_GC, NULL);
	for (int i = 0; !err && i < n_orders; i++)
		err = edge(s, PH_FMT_LABEL_INDEX, (uint64_t)i, order[i]);
	for (int i = 0; !err && i < n_orders; i++) {
		err = put_object(s, order[i], T_ORDER, 48, 1, PH_FMT_OBJ_GC, NULL);
		if (!err)
			err = attr_edge(s, A_USER, user);
		if (!err)
			err = attr_edge(s, A_AMOUNT, amount[i]);
		if (!err)
			err = attr_edge(s, A_ITEMS, items[i]);
		if (!err)
			err = edge(s, PH_FMT_LABEL_NONE, 0, s->types[T_ORDER].addr);
		s->types[T_ORDER].refs++;
		if (!err) {
			memset(&v, 0, sizeof(v));
			v.kind = PH_FMT_VAL_FLOAT;
			v.f = (double)rbelow(r, 100000) / 100.0;
			err = put_object(s, amount[i], T_FLOAT, 24, 1, 0, &v);
		}
		if (!err)
			err = put_object(s, items[i], T_TUPLE, 24 + 8 * n_items[i], 1, PH_FMT_OBJ_GC,
					 NULL);
		for (uint64_t k = 0; !err && k < n_items[i]; k++) {
			err = edge(s, PH_FMT_LABEL_INDEX, k, s->skus[sku[i][k]].addr);
			s->skus[sku[i][k]].refs++;
		}
	}
	if (!err)
		err = put_object(s, address, T_ADDRESS, 48, 1, PH_FMT_OBJ_GC, NULL);
	if (!err)
		err = attr_edge(s, A_STREET, street);
	if (!err) {
		uint64_t c = rbelow(r, N_CITIES);

		err = attr_edge(s, A_CITY, s->cities[c].addr);
		s->cities[c].refs++;
	}
	if (!err)
		err = edge(s, PH_FMT_LABEL_NONE, 0, s->types[T_ADDRESS].addr);
	s->types[T_ADDRESS].refs++;
	if (!err)
		err = put_str(s, street, street_s, 1);
	if (cached && !err) {
		/* held by the cache dict; its key str is shared by the dict and the entry */
		err = put_object(s, entry, T_ENTRY, 48, 1, PH_FMT_OBJ_GC, NULL);
		if (!err)
			err = attr_edge(s, A_KEY, key);
		if (!err)
			err = attr_edge(s, A_PAYLOAD, payload);
		if (!err)
			err = attr_edge(s, A_USER, user);
		if (!err)
			err = edge(s, PH_FMT_LABEL_NONE, 0, s->types[T_ENTRY].addr);
		s->types[T_ENTRY].refs++;
		if (!err)
			err = put_str(s, key, key_s, 2);
		if (!err) {
			static const char blob[64] = "\x89PNG\r\n\x1a\n binary payload bytes 0123456789";
			uint64_t len = 200 + rbelow(r, 1800);

			memset(&v, 0, sizeof(v));
			v.kind = PH_FMT_VAL_BYTES;
			v.length = len;
			v.data = (const uint8_t *)blob;
			v.data_len = s->max_value_len < 48 ? s->max_value_len : 48;
			v.flags = PH_FMT_VALF_TRUNCATED;
			err = put_object(s, payload, T_BYTES, 33 + len, 1, 0, &v);
		}
	}
	*user_out = user;
	*entry_out = entry;
	*key_out = key;
	return err;
}

/* Unreachable garbage: two dicts referencing each other, and a list in the cycle. */
static int make_garbage(struct synth *s)
{
	uint64_t a = alloc(s, 232), b = alloc(s, 232), l = alloc(s, 72);
	int err;

	s->attr[A_USER].refs++; /* the dicts hold their keys */
	s->attr[A_ITEMS].refs++;
	err = put_object(s, a, T_DICT, 232, 1, PH_FMT_OBJ_GC, NULL);
	if (!err)
		err = edge(s, PH_FMT_LABEL_ENTRY, s->attr[A_USER].addr, b);
	if (!err)
		err = put_object(s, b, T_DICT, 232, 1, PH_FMT_OBJ_GC, NULL);
	if (!err)
		err = edge(s, PH_FMT_LABEL_ENTRY, s->attr[A_ITEMS].addr, l);
	if (!err)
		err = put_object(s, l, T_LIST, 72, 1, PH_FMT_OBJ_GC, NULL);
	if (!err)
		err = edge(s, PH_FMT_LABEL_INDEX, 0, a);
	return err;
}

/* ---- globals ---- */

static int put_gobj(struct synth *s, struct gobj *g, uint64_t extra_refs)
{
	struct ph_value v;
	int err;

	memset(&v, 0, sizeof(v));
	if (g->value_kind == PH_FMT_VAL_STR || g->value_kind == PH_FMT_VAL_TEXT)
		v = str_value(s, g->text, (uint8_t)g->value_kind);
	else if (g->value_kind == PH_FMT_VAL_INT) {
		v.kind = PH_FMT_VAL_INT;
		v.i = g->ival;
	} else if (g->value_kind) {
		v.kind = (uint8_t)g->value_kind;
		v.b = g->ival != 0;
	}
	err = put_object(s, g->addr, (int)g->type, g->size, g->refs + extra_refs, g->flags,
			 g->value_kind ? &v : NULL);
	for (size_t i = 0; !err && i < g->n_edges; i++)
		err = ph_writer_edge(s->w, &g->edges[i]);
	free(g->edges);
	g->edges = NULL;
	g->n_edges = g->cap_edges = 0;
	return err;
}

static void gstr(struct synth *s, struct gobj *g, const char *text)
{
	gobj_init(s, g, T_STR, str_size(strlen(text)), 0);
	g->text = text;
	g->value_kind = PH_FMT_VAL_STR;
}

/* A reference from g to target (a gobj whose count is bumped). */
static int gref(struct gobj *g, uint8_t kind, uint64_t label, struct gobj *target)
{
	target->refs++;
	return gobj_edge(g, kind, label, target->addr);
}

static int setup(struct synth *s)
{
	int err = 0;

	for (int t = 0; t < T_COUNT && !err; t++) {
		struct ph_type_rec tr;
		uint64_t mod, qual;

		gobj_init(s, &s->types[t], T_TYPE, type_defs[t].heap ? 1064 : 920,
			  type_defs[t].heap ? PH_FMT_OBJ_GC : PH_FMT_OBJ_STATIC);
		s->types[t].value_kind = PH_FMT_VAL_TEXT;
		s->types[t].text = type_defs[t].qualname;
		err = ph_writer_string(s->w, type_defs[t].module, strlen(type_defs[t].module), &mod);
		if (!err)
			err = ph_writer_string(s->w, type_defs[t].qualname,
					       strlen(type_defs[t].qualname), &qual);
		if (err)
			break;
		memset(&tr, 0, sizeof(tr));
		tr.address = s->types[t].addr;
		tr.module = mod;
		tr.qualname = qual;
		tr.base = type_defs[t].base >= 0 ? (uint64_t)type_defs[t].base + 1 : 0;
		tr.basicsize = type_defs[t].basicsize;
		tr.itemsize = type_defs[t].itemsize;
		tr.flags = type_defs[t].heap ? (1u << 9) | (1u << 14) : 0;
		err = ph_writer_type(s->w, &tr, &s->type_ids[t]);
	}
	/* type ids equal the enum because types are written first, in order */
	for (int a = 0; a < A_COUNT; a++)
		gstr(s, &s->attr[a], attr_names[a]);
	for (int i = 0; i < N_CITIES; i++) {
		static char cities[N_CITIES][16];

		snprintf(cities[i], sizeof(cities[i]), "City%02d", i);
		gstr(s, &s->cities[i], cities[i]);
	}
	for (int i = 0; i < N_SKUS; i++) {
		static char skus[N_SKUS][16];

		snprintf(skus[i], sizeof(skus[i]), "SKU-%05d", i * 7919 % 100000);
		gstr(s, &s->skus[i], skus[i]);
	}
	for (int i = 0; i < N_SMALLINT; i++) {
		gobj_init(s, &s->smallint[i], T_INT, i == 5 ? 24 : 28, PH_FMT_OBJ_STATIC);
		s->smallint[i].value_kind = PH_FMT_VAL_INT;
		s->smallint[i].ival = i - 5;
	}
	gobj_init(s, &s->none_obj, T_NONETYPE, 16, PH_FMT_OBJ_STATIC);
	s->none_obj.value_kind = PH_FMT_VAL_NONE;
	gobj_init(s, &s->true_obj, T_BOOL, 28, PH_FMT_OBJ_STATIC);
	s->true_obj.value_kind = PH_FMT_VAL_BOOL;
	s->true_obj.ival = 1;
	gobj_init(s, &s->false_obj, T_BOOL, 24, PH_FMT_OBJ_STATIC);
	s->false_obj.value_kind = PH_FMT_VAL_BOOL;
	gstr(s, &s->dunder_dict, "__dict__");
	gstr(s, &s->dunder_name, "__name__");
	gobj_init(s, &s->sys_modules, T_DICT, 2272, PH_FMT_OBJ_GC);
	for (int m = 0; m < N_MODULES; m++) {
		gobj_init(s, &s->modules[m], T_MODULE, 72, PH_FMT_OBJ_GC);
		s->modules[m].value_kind = PH_FMT_VAL_TEXT;
		s->modules[m].text = module_names[m];
		gobj_init(s, &s->module_dicts[m], T_DICT, 1200, PH_FMT_OBJ_GC);
		gstr(s, &s->module_names_str[m], module_names[m]);
	}
	gobj_init(s, &s->registry, T_LIST, 56, PH_FMT_OBJ_GC);
	gobj_init(s, &s->cache, T_DICT, 64, PH_FMT_OBJ_GC);
	gobj_init(s, &s->watchers, T_LIST, 56, PH_FMT_OBJ_GC);
	if (!err)
		err = ph_writer_string(s->w, "__dict__", 8, &s->sref_dict);
	if (!err)
		err = ph_writer_string(s->w, "__mro__", 7, &s->sref_mro);
	if (!err)
		err = ph_writer_string(s->w, "__code__", 8, &s->sref_code);
	if (!err)
		err = ph_writer_string(s->w, "__globals__", 11, &s->sref_globals);
	if (!err)
		err = ph_writer_string(s->w, "__name__", 8, &s->sref_name);
	if (!err)
		err = ph_writer_string(s->w, "__qualname__", 12, &s->sref_qualname);
	return err;
}

/* Functions of module m: function -> code -> name/file strs, consts tuple. */
static int make_functions(struct synth *s, int m)
{
	struct gobj *md = &s->module_dicts[m];
	int err = 0;

	for (int f = 0; f < FUNCS_PER_MODULE && !err; f++) {
		char fname[40], file[64];
		uint64_t fn = alloc(s, 152), code = alloc(s, 220), name = 0, filename = alloc(s, 80);
		uint64_t consts = alloc(s, 48);

		snprintf(fname, sizeof(fname), "func_%d_%d", m, f);
		snprintf(file, sizeof(file), "/usr/lib/python3.12/%s.py", module_names[m]);
		name = alloc(s, str_size(strlen(fname)));
		/* the module dict holds the function under its name (refcount 2 on the name) */
		err = gobj_edge(md, PH_FMT_LABEL_ENTRY, name, fn);
		if (!err)
			err = put_object(s, fn, T_FUNCTION, 152, 1, PH_FMT_OBJ_GC, NULL);
		if (!err)
			err = edge(s, PH_FMT_LABEL_FIELD, s->sref_code, code);
		if (!err)
			err = edge(s, PH_FMT_LABEL_FIELD, s->sref_globals, md->addr);
		md->refs++;
		if (!err)
			err = edge(s, PH_FMT_LABEL_FIELD, s->sref_name, name);
		if (!err) {
			struct ph_value t = str_value(s, fname, PH_FMT_VAL_TEXT);

			err = put_object(s, code, T_CODE, 220, 1, 0, &t);
		}
		if (!err)
			err = edge(s, PH_FMT_LABEL_FIELD, s->sref_name, name);
		if (!err)
			err = edge(s, PH_FMT_LABEL_INTERNAL, s->sref_qualname, filename);
		if (!err)
			err = edge(s, PH_FMT_LABEL_INTERNAL, s->sref_dict, consts);
		if (!err)
			err = put_str(s, name, fname, 3); /* dict key, function and code names */
		if (!err)
			err = put_str(s, filename, file, 1);
		if (!err)
			err = put_object(s, consts, T_TUPLE, 48, 1, 0, NULL);
		if (!err) {
			err = edge(s, PH_FMT_LABEL_INDEX, 0, s->none_obj.addr);
			s->none_obj.refs++;
		}
		if (!err) {
			err = edge(s, PH_FMT_LABEL_INDEX, 1, s->smallint[5 + f].addr);
			s->smallint[5 + f].refs++;
		}
	}
	return err;
}

static int finish(struct synth *s, uint64_t n_users)
{
	int err = 0;

	/* modules: sys.modules[name] -> module -> __dict__ -> {'__name__': name, ...} */
	for (int m = 0; m < N_MODULES && !err; m++) {
		err = gref(&s->sys_modules, PH_FMT_LABEL_ENTRY, s->module_names_str[m].addr,
			   &s->modules[m]);
		s->module_names_str[m].refs++;
		if (!err)
			err = gref(&s->modules[m], PH_FMT_LABEL_FIELD, s->sref_dict, &s->module_dicts[m]);
		if (!err) {
			err = gref(&s->module_dicts[m], PH_FMT_LABEL_ENTRY, s->dunder_name.addr,
				   &s->module_names_str[m]);
			s->dunder_name.refs++;
		}
		if (!err)
			err = make_functions(s, m);
	}
	/* app.models: users (the registry), the classes, _watchers; app.cache: _cache */
	if (!err)
		err = gref(&s->module_dicts[3], PH_FMT_LABEL_ENTRY, s->attr[A_USER].addr, &s->registry);
	if (!err)
		err = gref(&s->module_dicts[3], PH_FMT_LABEL_ENTRY, s->attr[A_ITEMS].addr,
			   &s->watchers);
	if (!err)
		err = gref(&s->module_dicts[3], PH_FMT_LABEL_ENTRY, s->attr[A_NAME].addr,
			   &s->types[T_USER]);
	if (!err)
		err = gref(&s->module_dicts[3], PH_FMT_LABEL_ENTRY, s->attr[A_AMOUNT].addr,
			   &s->types[T_ORDER]);
	if (!err)
		err = gref(&s->module_dicts[4], PH_FMT_LABEL_ENTRY, s->attr[A_KEY].addr, &s->cache);
	if (!err)
		err = gref(&s->module_dicts[4], PH_FMT_LABEL_ENTRY, s->attr[A_PAYLOAD].addr,
			   &s->types[T_ENTRY]);
	s->attr[A_USER].refs++;
	s->attr[A_ITEMS].refs++;
	s->attr[A_NAME].refs++;
	s->attr[A_AMOUNT].refs++;
	s->attr[A_KEY].refs++;
	s->attr[A_PAYLOAD].refs++;
	/* heap types: __dict__ (their names), __mro__; attribute names live in cached keys */
	for (int t = T_USER; t < T_COUNT && !err; t++) {
		for (int a = 0; a < A_COUNT && !err; a++)
			err = gref(&s->types[t], PH_FMT_LABEL_INTERNAL, s->sref_dict, &s->attr[a]);
		if (!err)
			err = gref(&s->types[t], PH_FMT_LABEL_FIELD, s->sref_mro, &s->types[T_OBJECT]);
	}
	s->registry.size = 56 + 8 * (n_users + n_users / 8);
	s->cache.size = 64 + 40 * (n_users / 2 + 8);
	/* +1 each: the frame locals 'users', 'cache' and 'self' (threads_and_roots) */
	if (!err)
		err = put_gobj(s, &s->registry, 1);
	if (!err)
		err = put_gobj(s, &s->cache, 1);
	if (!err)
		err = put_gobj(s, &s->watchers, 1);
	for (int m = 0; m < N_MODULES && !err; m++) {
		err = put_gobj(s, &s->module_dicts[m], 0);
		if (!err)
			err = put_gobj(s, &s->modules[m], 1); /* +1: held by the import machinery */
		if (!err)
			err = put_gobj(s, &s->module_names_str[m], 0);
	}
	if (!err)
		err = put_gobj(s, &s->sys_modules, 1);
	for (int t = 0; t < T_COUNT && !err; t++)
		err = put_gobj(s, &s->types[t], 1);
	for (int a = 0; a < A_COUNT && !err; a++)
		err = put_gobj(s, &s->attr[a], 0);
	for (int i = 0; i < N_CITIES && !err; i++)
		err = put_gobj(s, &s->cities[i], 0);
	for (int i = 0; i < N_SKUS && !err; i++)
		err = put_gobj(s, &s->skus[i], 0);
	for (int i = 0; i < N_SMALLINT && !err; i++)
		err = put_gobj(s, &s->smallint[i], 1000);
	if (!err)
		err = put_gobj(s, &s->none_obj, 5000);
	if (!err)
		err = put_gobj(s, &s->true_obj, 100);
	if (!err)
		err = put_gobj(s, &s->false_obj, 100);
	if (!err)
		err = put_gobj(s, &s->dunder_dict, 0);
	if (!err)
		err = put_gobj(s, &s->dunder_name, 0);
	return err;
}

static int threads_and_roots(struct synth *s)
{
	uint64_t main_name, worker_name, f_module, f_serve, f_run, file_main, file_server,
		file_threading, l_users, l_cache, l_self;
	struct ph_local_rec main_locals[2], worker_locals[1];
	struct ph_frame_rec main_frames[2], worker_frames[1];
	struct ph_thread_rec t;
	struct ph_root_rec root;
	uint64_t label;
	int err = 0;

#define S(var, text) (err = err ? err : ph_writer_string(s->w, text, strlen(text), &var))
	S(main_name, "MainThread");
	S(worker_name, "worker-1");
	S(f_module, "<module>");
	S(f_serve, "Server.serve");
	S(f_run, "Worker.run");
	S(file_main, "/srv/app/main.py");
	S(file_server, "/srv/app/server.py");
	S(file_threading, "/srv/app/worker.py");
	S(l_users, "users");
	S(l_cache, "cache");
	S(l_self, "self");
	if (err)
		return err;
	main_locals[0] = (struct ph_local_rec){l_users, s->registry.addr};
	main_locals[1] = (struct ph_local_rec){l_cache, s->cache.addr};
	main_frames[0] = (struct ph_frame_rec){f_serve, file_server, 88, 0, 0, 2, main_locals};
	main_frames[1] = (struct ph_frame_rec){f_module, file_main, 12, 0, 0, 0, NULL};
	t = (struct ph_thread_rec){1, 1000, main_name, PH_FMT_THREAD_MAIN, 2, main_frames};
	err = ph_writer_thread(s->w, &t);
	worker_locals[0] = (struct ph_local_rec){l_self, s->watchers.addr};
	worker_frames[0] = (struct ph_frame_rec){f_run, file_threading, 40, 0, 0, 1, worker_locals};
	t = (struct ph_thread_rec){2, 1001, worker_name, PH_FMT_THREAD_DAEMON, 1, worker_frames};
	if (!err)
		err = ph_writer_thread(s->w, &t);
	S(label, "sys.modules");
	root = (struct ph_root_rec){PH_FMT_ROOT_MODULES, label, s->sys_modules.addr};
	if (!err)
		err = ph_writer_root(s->w, &root);
	S(label, "interp.builtins");
	root = (struct ph_root_rec){PH_FMT_ROOT_INTERP, label, s->module_dicts[0].addr};
	if (!err)
		err = ph_writer_root(s->w, &root);
#undef S
	return err;
}

static int generate(struct synth *s)
{
	uint64_t n_users = 0;
	int err = setup(s);

	while (!err && s->written < s->target) {
		uint64_t user, entry, key;

		if (rbelow(&s->r, 100) == 0) {
			err = make_garbage(s);
			continue;
		}
		err = make_user(s, &user, &entry, &key);
		if (err)
			break;
		n_users++;
		if (entry) {
			err = gobj_edge(&s->cache, PH_FMT_LABEL_ENTRY, key, entry);
		} else {
			err = gobj_edge(&s->registry, PH_FMT_LABEL_INDEX, s->registry.n_edges, user);
		}
		if (!err && n_users % 10 == 0) {
			uint64_t wr = alloc(s, 64);

			err = gobj_edge(&s->watchers, PH_FMT_LABEL_INDEX, s->watchers.n_edges, wr);
			if (!err)
				err = put_object(s, wr, T_WEAKREF, 64, 1, PH_FMT_OBJ_GC, NULL);
			if (!err)
				err = weak_edge(s, user);
		}
	}
	if (!err)
		err = finish(s, n_users);
	if (!err)
		err = threads_and_roots(s);
	return err;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int run(int argc, char **argv)
{
	static const struct option longs[] = {
		{"objects", required_argument, NULL, 'n'}, {"seed", required_argument, NULL, 's'},
		{"output", required_argument, NULL, 'o'},  {"level", required_argument, NULL, 'l'},
		{"raw", no_argument, NULL, 'r'},	   {"max-value-len", required_argument, NULL, 'm'},
		{"quiet", no_argument, NULL, 'q'},	   {NULL, 0, NULL, 0},
	};
	struct synth s;
	struct ph_writer w;
	struct ph_writer_opts o = {0};
	struct ph_codec *codec = NULL;
	struct ph_sink sink;
	const char *out = NULL;
	uint64_t n = 100000, seed = 1, t0, t1;
	int level = 0, c, fd, err;
	bool raw = false, quiet = false;

	memset(&s, 0, sizeof(s));
	s.max_value_len = 64;
	optind = 1;
	while ((c = getopt_long(argc, argv, "n:s:o:l:rm:q", longs, NULL)) != -1) {
		switch (c) {
		case 'n':
			n = strtoull(optarg, NULL, 10);
			break;
		case 's':
			seed = strtoull(optarg, NULL, 10);
			break;
		case 'o':
			out = optarg;
			break;
		case 'l':
			level = atoi(optarg);
			break;
		case 'r':
			raw = true;
			break;
		case 'm':
			s.max_value_len = strtoull(optarg, NULL, 10);
			break;
		case 'q':
			quiet = true;
			break;
		default:
			return 2;
		}
	}
	if (!out) {
		fprintf(stderr, "usage: test-tool synth [--objects N] [--seed S] [--level L | --raw] "
				"[--max-value-len N] [-q] -o FILE\n");
		return 2;
	}
	fd = strcmp(out, "-") ? open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) : 1;
	if (fd < 0) {
		perror(out);
		return 1;
	}
	if (!raw) {
		codec = ph_zstd_codec_new(level);
		o.codec = codec;
	}
	ph_sink_fd(&sink, &fd);
	s.w = &w;
	s.r.s = seed * 0x9E3779B97F4A7C15ULL + 7;
	s.next_addr = 0x7f3a00000000ULL;
	s.target = n;
	t0 = now_ns();
	err = ph_writer_open(&w, &sink, &o);
	if (!err)
		err = ph_writer_meta_str(&w, "python_version", "3.12.1 (synthetic heap)");
	if (!err)
		err = ph_writer_meta_uint(&w, "python_hexversion", 0x030c01f0);
	if (!err)
		err = ph_writer_meta_uint(&w, "pid", 4242);
	if (!err)
		err = ph_writer_meta_str(&w, "writer", "pyheap test-tool synth");
	if (!err)
		err = generate(&s);
	if (!err)
		err = ph_writer_close(&w);
	t1 = now_ns();
	if (!err && !quiet) {
		uint64_t edges = ph_writer_count(&w, PH_FMT_KIND_EDGES);
		double secs = (double)(t1 - t0) / 1e9;

		fprintf(stderr,
			"synth: %" PRIu64 " objects, %" PRIu64 " edges, %" PRIu64
			" bytes (%.2f bytes/object), %.3f s (%.2f M objects/s)\n",
			s.written, edges, w.offset, (double)w.offset / (double)s.written, secs,
			(double)s.written / secs / 1e6);
	}
	ph_writer_release(&w);
	ph_zstd_codec_free(codec);
	if (fd != 1 && close(fd) && !err)
		err = ph_error_errno(PH_EIO, errno, "close %s", out);
	if (err) {
		fprintf(stderr, "synth: %s\n", ph_error_detail());
		return 1;
	}
	return 0;
}

const struct tool tool_synth = {
	"synth", "write a synthetic heap dump (--objects N --seed S -o FILE)", run};
