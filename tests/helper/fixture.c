/* SPDX-License-Identifier: MIT */
/*
 * fixture.c - `test-tool fixture NAME -o FILE`: small hand-made dumps whose
 * analysis is known exactly, for the analysis commands' integration tests
 * (tests/integration/test_analyze_cli.py spells out every expected number
 * and how it follows from the heap below).
 *
 *   app          a module 'app' whose __dict__ holds a list 'cache' of three
 *                app.Node instances (each a __dict__ with a bytes payload and
 *                an int id), a weakref to the first node, a dangling entry;
 *                a thread with two frames whose locals hold the second node
 *                and a list; a garbage cycle; a dict held from outside the
 *                dump; interned attribute names; an immortal None
 *   app-grown    the same process later: two more nodes in the cache, a new
 *                global list 'extra', every address moved
 *   bad-version  'app' with major version 2 in its header
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helper/tool.h"
#include "unit/analyze_util.h"

static uint32_t bytes_obj(struct tb *b, const char *text, uint64_t size)
{
	uint32_t i = tb_obj(b, "bytes", size);

	tb_flags(b, i, 0);
	tb_value_text(b, i, PH_FMT_VAL_BYTES, text);
	return i;
}

static uint32_t node(struct tb *b, uint32_t k_payload, uint32_t k_id, int n)
{
	char text[32];
	uint32_t o = tb_obj(b, "app.Node", 48), d = tb_obj(b, "dict", 104), p, v;

	snprintf(text, sizeof(text), "payload-%d", n);
	p = bytes_obj(b, text, 1033);
	v = tb_int(b, 1000 + n);
	tb_field(b, o, d, "__dict__");
	tb_entry(b, d, k_payload, p);
	tb_entry(b, d, k_id, v);
	return o;
}

static void build_app(struct tb *b, bool grown)
{
	uint32_t sysmod, k_app, mod, mdict, k_cache, cache, k_payload, k_id, k_w, wref, local_list,
		hello, g1, g2, held, k_ghost, none, nodes[5];
	uint32_t t, f_inner, f_main;

	tb_init(b);
	sysmod = tb_obj(b, "dict", 1000);          /* 0 */
	k_app = tb_str(b, "app");                  /* 1: 52 */
	mod = tb_obj(b, "module", 72);             /* 2 */
	tb_value_text(b, mod, PH_FMT_VAL_TEXT, "app");
	mdict = tb_obj(b, "dict", 640);            /* 3 */
	k_cache = tb_str(b, "cache");              /* 4: 54 */
	cache = tb_obj(b, "list", grown ? 136 : 120); /* 5 */
	k_payload = tb_str(b, "payload");          /* 6: 56 */
	k_id = tb_str(b, "id");                    /* 7: 51 */
	for (int i = 0; i < 3; i++)
		nodes[i] = node(b, k_payload, k_id, i); /* 8..19 */
	k_w = tb_str(b, "w");                      /* 20: 50 */
	wref = tb_obj(b, "weakref.ReferenceType", 80);
	local_list = tb_obj(b, "list", 88);
	hello = tb_str(b, "hello");                /* 54 */
	g1 = tb_obj(b, "list", 200);
	g2 = tb_obj(b, "dict", 300);
	held = tb_obj(b, "dict", 500);
	k_ghost = tb_str(b, "ghost");              /* 54 */
	none = tb_obj(b, "NoneType", 16);
	tb_flags(b, none, PH_FMT_OBJ_IMMORTAL | PH_FMT_OBJ_STATIC);
	b->obj[none].vkind = PH_FMT_VAL_NONE;
	tb_refcount(b, none, 4294967295LL);

	tb_entry(b, sysmod, k_app, mod);
	tb_field(b, mod, mdict, "__dict__");
	tb_entry(b, mdict, k_cache, cache);
	tb_entry(b, mdict, k_w, wref);
	tb_edge_full(b, mdict, 0xdead0000, PH_FMT_LABEL_ENTRY, TB_ADDR(k_ghost), NULL, false);
	for (int i = 0; i < 3; i++)
		tb_index(b, cache, nodes[i], (uint64_t)i);
	tb_weak(b, wref, nodes[0]);
	tb_index(b, local_list, hello, 0);
	tb_ref(b, g1, g2);
	tb_ref(b, g2, g1);
	if (grown) {
		uint32_t k_extra, extra, e;

		for (int i = 3; i < 5; i++) {
			nodes[i] = node(b, k_payload, k_id, i);
			tb_index(b, cache, nodes[i], (uint64_t)i);
		}
		k_extra = tb_str(b, "extra");      /* 54 */
		extra = tb_obj(b, "list", 64);
		e = tb_str(b, "e");                /* 50 */
		tb_index(b, extra, e, 0);
		tb_entry(b, mdict, k_extra, extra);
		b->shift = 0x10000000;
	}
	tb_root(b, sysmod, PH_FMT_ROOT_MODULES, "sys.modules");
	t = tb_thread(b, "MainThread", 1, PH_FMT_THREAD_MAIN);
	f_inner = tb_frame(b, t, "inner", "app.py", 30);
	f_main = tb_frame(b, t, "main", "app.py", 12);
	tb_local(b, f_inner, "y", nodes[1]);
	tb_local(b, f_main, "x", local_list);
	/* interned: the interpreter's table of interned strings holds one more reference */
	tb_refcount(b, k_payload, grown ? 6 : 4);
	tb_refcount(b, k_id, grown ? 6 : 4);
	tb_refcount(b, held, 1); /* nothing in the dump refers to it */
}

static int run(int argc, char **argv)
{
	static const struct option longs[] = {
		{"output", required_argument, NULL, 'o'},
		{NULL, 0, NULL, 0},
	};
	const char *out = NULL, *name;
	struct ph_buf buf = PH_BUF_INIT;
	struct tb b;
	FILE *f;
	int c, err;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:", longs, NULL)) != -1) {
		if (c != 'o')
			return 2;
		out = optarg;
	}
	if (!out || optind + 1 != argc) {
		fprintf(stderr, "usage: test-tool fixture app|app-grown|bad-version -o FILE\n");
		return 2;
	}
	name = argv[optind];
	if (!strcmp(name, "app") || !strcmp(name, "bad-version")) {
		build_app(&b, false);
	} else if (!strcmp(name, "app-grown")) {
		build_app(&b, true);
	} else {
		fprintf(stderr, "test-tool fixture: no fixture '%s'\n", name);
		return 2;
	}
	err = tb_write_buf(&b, &buf);
	tb_free(&b);
	if (err) {
		fprintf(stderr, "test-tool fixture: %s\n", ph_error_detail());
		return 1;
	}
	if (!strcmp(name, "bad-version")) {
		ph_put_le16(buf.data + 8, 2);
		ph_put_le64(buf.data + 24, ph_xxh3(buf.data, 24));
	}
	f = fopen(out, "wb");
	if (!f || fwrite(buf.data, 1, buf.len, f) != buf.len || fclose(f)) {
		perror(out);
		ph_buf_release(&buf);
		return 1;
	}
	ph_buf_release(&buf);
	return 0;
}

const struct tool tool_fixture = {"fixture", "write a hand-made dump with known analysis (app, app-grown, bad-version)", run};
