/* SPDX-License-Identifier: MIT */
/*
 * craft.c - `test-tool craft SHAPE -o FILE [-n N]`: hostile or extreme dumps
 * for the tests of bounded memory and output (tests/integration/
 * test_analyze_bounds.py). Each is valid unless its name says otherwise;
 * all are small files that stand for far more.
 *
 *   chain N      N tiny objects, each referring to the next, the first held
 *                by sys.modules: a long chain compresses a thousandfold
 *   strings N    N strings of 1 MiB each (mostly one byte repeated):
 *                gigabytes of strings in a few megabytes
 *   values N     the same as the str values of N objects
 *   deep N       a chain of N lists under a module dict, a thread whose
 *                five frames each hold the last one as 'x', and a
 *                1000-deep second chain: paths to the end are N steps long
 *   label N      an object whose field label and str value are N bytes long
 *                (diff and object print them)
 *   toc-lie      a TOC (and chunk headers) claiming 2^31 objects that the
 *                chunks do not hold (their payloads are not zstd): corrupt
 *   size-wrap    object sizes whose sum passes 2^64: corrupt
 *   twins        N instances each of two classes of one name
 *                (app.make.<locals>.C, as a function that defines a class
 *                makes), with metadata keys written twice (pid, argv: the
 *                dumper appends what only it knows)
 */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/error.h"
#include "common/hash.h"
#include "format/codec.h"
#include "format/format.h"
#include "format/writer.h"
#include "helper/tool.h"
#include "unit/filebuild.h"

#define BASE 0x7f0000000000ULL

struct crafter {
	struct ph_writer w;
	uint64_t t_list, t_dict, t_str, t_module;
};

static int types(struct crafter *c)
{
	static const char *const names[] = {"list", "dict", "str", "module"};
	uint64_t *ids[] = {&c->t_list, &c->t_dict, &c->t_str, &c->t_module};
	uint64_t builtins;
	int err = ph_writer_string(&c->w, "builtins", 8, &builtins);

	for (int i = 0; i < 4 && !err; i++) {
		struct ph_type_rec t = {0};

		t.address = BASE - 0x10000 + 0x400 * (uint64_t)i;
		t.module = builtins;
		err = ph_writer_string(&c->w, names[i], strlen(names[i]), &t.qualname);
		t.basicsize = 16;
		if (!err)
			err = ph_writer_type(&c->w, &t, ids[i]);
	}
	return err;
}

static int object(struct crafter *c, uint64_t addr, uint64_t type, uint64_t size, uint64_t rc,
		  const struct ph_value *v)
{
	struct ph_object_rec o = {0};

	o.address = addr;
	o.type = type;
	o.size = size;
	o.refcount = rc;
	o.flags = PH_FMT_OBJ_GC;
	if (v)
		o.value = *v;
	return ph_writer_object(&c->w, &o, NULL);
}

static int edge(struct crafter *c, uint8_t kind, uint64_t label, uint64_t target)
{
	struct ph_edge_rec e = {0};

	e.kind = kind;
	e.label = label;
	e.target = target;
	return ph_writer_edge(&c->w, &e);
}

static int root(struct crafter *c, uint64_t addr)
{
	struct ph_root_rec r = {0};
	int err = ph_writer_string(&c->w, "sys.modules", 11, &r.label);

	r.kind = PH_FMT_ROOT_MODULES;
	r.address = addr;
	return err ? err : ph_writer_root(&c->w, &r);
}

/*
 * A chain of n list objects from first: each refers to the next by index 0.
 * A rare size of 40 and index 1 (1 in 64, pseudo-random) keep zstd below the ratio
 * readers accept (a writer stores a chunk raw rather than exceed it).
 */
static int chain(struct crafter *c, uint64_t first, uint64_t n)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	int err = 0;

	for (uint64_t i = 0; i < n && !err; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		err = object(c, first + 32 * i, c->t_list, x % 64 ? 32 : 40, 1, NULL);
		if (!err && i + 1 < n)
			err = edge(c, PH_FMT_LABEL_INDEX, x % 61 ? 0 : 1, first + 32 * (i + 1));
	}
	return err;
}

static int craft_chain(struct crafter *c, uint64_t n)
{
	int err = types(c);

	if (!err)
		err = chain(c, BASE, n);
	return err ? err : root(c, BASE);
}

/*
 * n records of 1 MiB of text: STRINGS records, or (values) str values of n
 * objects in a list. A letter in 512 changes, so that zstd stays below the
 * ratio readers accept.
 */
static int craft_strings(struct crafter *c, uint64_t n, bool values)
{
	size_t len = (size_t)1 << 20;
	char *s = malloc(len);
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	int err = s ? types(c) : ph_error(PH_ENOMEM, "no memory");

	if (s)
		memset(s, 'x', len);
	if (!err)
		err = object(c, BASE, c->t_list, 64, 1, NULL);
	for (uint64_t i = 0; values && i < n && !err; i++)
		err = edge(c, PH_FMT_LABEL_INDEX, i, BASE + 0x100 + 0x100 * i);
	for (uint64_t i = 0; i < n && !err; i++) {
		struct ph_value v = {0};
		uint64_t sref;

		for (size_t k = 0; k < len; k += 512) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			s[k] = (char)('a' + x % 26);
		}
		v.kind = PH_FMT_VAL_STR;
		v.data = (const uint8_t *)s;
		v.data_len = v.length = len;
		if (values)
			err = object(c, BASE + 0x100 + 0x100 * i, c->t_str, 49 + len, 1, &v);
		else
			err = ph_writer_string_new(&c->w, s, len, &sref);
	}
	free(s);
	return err ? err : root(c, BASE);
}

static int craft_deep(struct crafter *c, uint64_t n)
{
	uint64_t mdict = BASE, key = BASE + 0x100, first = BASE + 0x1000, other = first + 32 * n;
	struct ph_value kv = {0};
	struct ph_thread_rec t = {0};
	struct ph_frame_rec f[5];
	struct ph_local_rec l = {0};
	int err = types(c);

	memset(f, 0, sizeof(f));
	kv.kind = PH_FMT_VAL_STR;
	kv.data = (const uint8_t *)"head";
	kv.data_len = kv.length = 4;
	if (!err)
		err = object(c, mdict, c->t_dict, 640, 1, NULL);
	if (!err)
		err = edge(c, PH_FMT_LABEL_ENTRY, key, first);
	if (!err)
		err = edge(c, PH_FMT_LABEL_ENTRY, key, other);
	if (!err)
		err = object(c, key, c->t_str, 53, 2, &kv);
	if (!err)
		err = chain(c, first, n);
	if (!err)
		err = chain(c, other, 1000);
	if (!err)
		err = root(c, mdict);
	l.address = first + 32 * (n - 1);
	if (!err)
		err = ph_writer_string(&c->w, "x", 1, &l.name);
	for (int i = 0; i < 5 && !err; i++) { /* five frames, each with the last list as 'x' */
		f[i].line = (uint64_t)i + 1;
		f[i].n_locals = 1;
		f[i].locals = &l;
		err = ph_writer_string(&c->w, "main", 4, &f[i].function);
		if (!err)
			err = ph_writer_string(&c->w, "deep.py", 7, &f[i].filename);
	}
	t.ident = 1;
	t.flags = PH_FMT_THREAD_MAIN;
	t.n_frames = 5;
	t.frames = f;
	if (!err)
		err = ph_writer_string(&c->w, "MainThread", 10, &t.name);
	return err ? err : ph_writer_thread(&c->w, &t);
}

static int craft_label(struct crafter *c, uint64_t n)
{
	char *s = malloc(n + 1);
	struct ph_value v = {0};
	uint64_t sref;
	int err = s ? types(c) : ph_error(PH_ENOMEM, "no memory");

	if (!s)
		return err;
	for (uint64_t i = 0; i < n; i++)
		s[i] = (char)('a' + i % 26);
	v.kind = PH_FMT_VAL_STR;
	v.data = (const uint8_t *)s;
	v.data_len = v.length = n;
	if (!err)
		err = ph_writer_string_new(&c->w, s, n, &sref);
	if (!err)
		err = object(c, BASE, c->t_dict, 64, 1, NULL);
	if (!err)
		err = edge(c, PH_FMT_LABEL_FIELD, sref, BASE + 0x100);
	if (!err)
		err = object(c, BASE + 0x100, c->t_str, 49 + n, 1, &v);
	free(s);
	return err ? err : root(c, BASE);
}

static int craft_twins(struct crafter *c, uint64_t n)
{
	static const char *const argv1[] = {"python3", "app.py"}, *const argv2[] = {"/usr/bin/python3"};
	uint64_t ids[2];
	int err = types(c);

	for (int k = 0; k < 2 && !err; k++) {
		struct ph_type_rec t = {0};

		t.address = BASE - 0x20000 + 0x400 * (uint64_t)k;
		t.basicsize = 48;
		err = ph_writer_string(&c->w, "app", 3, &t.module);
		if (!err)
			err = ph_writer_string(&c->w, "make.<locals>.C", 15, &t.qualname);
		if (!err)
			err = ph_writer_type(&c->w, &t, &ids[k]);
	}
	if (!err)
		err = object(c, BASE, c->t_list, 64, 1, NULL);
	for (uint64_t i = 0; i < 2 * n && !err; i++)
		err = edge(c, PH_FMT_LABEL_INDEX, i, BASE + 0x100 + 64 * i);
	for (uint64_t i = 0; i < 2 * n && !err; i++)
		err = object(c, BASE + 0x100 + 64 * i, ids[i % 2], 48, 1, NULL);
	if (!err)
		err = ph_writer_meta_uint(&c->w, "pid", 1);
	if (!err)
		err = ph_writer_meta_strlist(&c->w, "argv", argv1, 2);
	if (!err)
		err = ph_writer_meta_uint(&c->w, "pid", 2);
	if (!err)
		err = ph_writer_meta_strlist(&c->w, "argv", argv2, 1);
	return err ? err : root(c, BASE);
}

static int craft_size_wrap(struct crafter *c)
{
	int err = types(c);

	if (!err)
		err = object(c, BASE, c->t_list, UINT64_MAX - 100, 1, NULL);
	if (!err)
		err = edge(c, PH_FMT_LABEL_INDEX, 0, BASE + 32);
	if (!err)
		err = object(c, BASE + 32, c->t_list, 1000, 1, NULL);
	return err ? err : root(c, BASE);
}

/*
 * 160 OBJECTS chunks, each claiming as many records as 64 MiB can hold
 * (13421772 of 5 bytes: 2^31 in all) from 64 KiB stored (the largest ratio
 * allowed), whose payloads are zeros, not zstd. Every header, TOC entry and
 * checksum is right. Written by hand: the writer would not lie.
 */
static int craft_toc_lie(struct ph_buf *out)
{
	const uint64_t n_chunks = 160, raw = PH_FMT_CHUNK_RAW_MAX;
	struct fb_chunk c[160];
	uint8_t *payload = calloc(1, 65536);

	if (!payload)
		return ph_error(PH_ENOMEM, "no memory");
	for (uint64_t i = 0; i < n_chunks; i++) {
		c[i].kind = PH_FMT_KIND_OBJECTS;
		c[i].encoding = PH_FMT_ENC_ZSTD;
		c[i].count = raw / 5;
		c[i].payload = payload;
		c[i].stored_len = 65536;
		c[i].raw_len = raw;
	}
	fb_file(out, c, n_chunks);
	free(payload);
	return 0;
}

static int write_all(int fd, const void *p, size_t n)
{
	const char *q = p;

	while (n) {
		ssize_t k = write(fd, q, n);

		if (k <= 0)
			return -1;
		q += k;
		n -= (size_t)k;
	}
	return 0;
}

static int run(int argc, char **argv)
{
	static const struct option longs[] = {
		{"output", required_argument, NULL, 'o'},
		{"number", required_argument, NULL, 'n'},
		{NULL, 0, NULL, 0},
	};
	const char *out = NULL, *shape;
	struct ph_writer_opts o = {0};
	struct ph_codec *codec = NULL;
	struct crafter c;
	struct ph_sink sink;
	uint64_t n = 1000;
	int ch, fd, err;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "o:n:", longs, NULL)) != -1) {
		if (ch == 'o')
			out = optarg;
		else if (ch == 'n')
			n = strtoull(optarg, NULL, 10);
		else
			return 2;
	}
	if (!out || optind + 1 != argc || !n) {
		fprintf(stderr, "usage: test-tool craft chain|strings|values|deep|label|toc-lie|size-wrap|twins "
				"-o FILE [-n N]\n");
		return 2;
	}
	shape = argv[optind];
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		perror(out);
		return 1;
	}
	if (!strcmp(shape, "toc-lie")) {
		struct ph_buf b = PH_BUF_INIT;

		err = craft_toc_lie(&b);
		if (!err && write_all(fd, b.data, b.len))
			err = ph_error(PH_EIO, "cannot write %s", out);
		ph_buf_release(&b);
		goto out;
	}
	codec = ph_zstd_codec_new(strcmp(shape, "strings") && strcmp(shape, "values") ? 19 : 3);
	o.codec = codec;
	o.chunk_size = PH_FMT_CHUNK_RAW_MAX;
	ph_sink_fd(&sink, &fd);
	memset(&c, 0, sizeof(c));
	err = codec ? ph_writer_open(&c.w, &sink, &o) : ph_error(PH_ENOMEM, "no codec");
	if (!err)
		err = ph_writer_meta_str(&c.w, "python_version", "3.12.0 (crafted)");
	if (err)
		;
	else if (!strcmp(shape, "chain"))
		err = craft_chain(&c, n);
	else if (!strcmp(shape, "strings"))
		err = craft_strings(&c, n, false);
	else if (!strcmp(shape, "values"))
		err = craft_strings(&c, n, true);
	else if (!strcmp(shape, "deep"))
		err = craft_deep(&c, n);
	else if (!strcmp(shape, "label"))
		err = craft_label(&c, n);
	else if (!strcmp(shape, "twins"))
		err = craft_twins(&c, n);
	else if (!strcmp(shape, "size-wrap"))
		err = craft_size_wrap(&c);
	else
		err = ph_error(PH_EINVAL, "no shape '%s'", shape);
	if (!err)
		err = ph_writer_close(&c.w);
	ph_writer_release(&c.w);
	ph_zstd_codec_free(codec);
out:
	if (close(fd) && !err)
		err = ph_error(PH_EIO, "cannot write %s", out);
	if (err) {
		fprintf(stderr, "test-tool craft: %s\n", ph_error_detail());
		return 1;
	}
	return 0;
}

const struct tool tool_craft = {"craft", "write a hostile or extreme dump (chain, strings, values, deep, label, toc-lie, size-wrap, twins)", run};
