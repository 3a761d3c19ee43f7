/* SPDX-License-Identifier: MIT */
/*
 * cmd_info.c - `pyheap info FILE`: metadata and the section table, read from
 * the TOC and the META chunks only (fast on any size of dump).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/table.h"
#include "common/error.h"
#include "common/hash.h"
#include "common/json.h"
#include "format/reader.h"

enum { OPT_JSON = 256, OPT_CHUNKS };

static const struct ph_opt opts[] = {
	{"json", OPT_JSON, NULL, "Print one JSON document instead of text."},
	{"chunks", OPT_CHUNKS, NULL, "List every chunk, not only the totals per section."},
	PH_OPT_HELP,
	PH_OPT_END,
};

struct section_total {
	uint32_t kind;
	uint64_t chunks, records, stored, raw;
};

/* A string of the dump's metadata on one line of text (escaped: cli.h). */
static void text_name(FILE *f, const char *sep, const void *s, size_t n)
{
	struct ph_buf b = PH_BUF_INIT;

	fprintf(f, "%s%s", sep, ph_cli_name(&b, s, n));
	ph_buf_release(&b);
}

/* Print one metadata value as text or JSON. */
static void meta_value(const struct ph_meta_rec *m, struct ph_json *j, FILE *f)
{
	switch (m->type) {
	case PH_FMT_META_STR:
		if (j)
			ph_json_strn(j, m->value, m->value_len);
		else
			text_name(f, "", m->value, m->value_len);
		break;
	case PH_FMT_META_INT:
		if (j)
			ph_json_int(j, m->i);
		else
			fprintf(f, "%" PRId64, m->i);
		break;
	case PH_FMT_META_UINT:
	case PH_FMT_META_BOOL:
		if (j && m->type == PH_FMT_META_BOOL)
			ph_json_bool(j, m->u != 0);
		else if (j)
			ph_json_uint(j, m->u);
		else if (m->type == PH_FMT_META_BOOL)
			fputs(m->u ? "true" : "false", f);
		else
			fprintf(f, "%" PRIu64, m->u);
		break;
	case PH_FMT_META_FLOAT:
		if (j)
			ph_json_double(j, m->f);
		else
			fprintf(f, "%g", m->f);
		break;
	case PH_FMT_META_STRLIST: {
		uint64_t pos = 0, len;
		const uint8_t *s;
		bool first = true;

		if (j)
			ph_json_begin_array(j);
		while (ph_meta_strlist_next(m, &pos, &s, &len) == 1) {
			if (j)
				ph_json_strn(j, s, len);
			else
				text_name(f, first ? "" : " ", s, len);
			first = false;
		}
		if (j)
			ph_json_end_array(j);
		break;
	}
	default:
		if (j)
			ph_json_null(j);
		else
			fprintf(f, "(value of unknown type %u, %" PRIu64 " bytes)", m->type,
				m->value_len);
	}
}

/* One metadata key: the hash of its text, how many records have it, how many were seen. */
struct meta_key {
	uint64_t hash;
	uint64_t total, seen;
};

static int by_hash(const void *x, const void *y)
{
	const struct meta_key *a = x, *b = y;

	return (a->hash > b->hash) - (a->hash < b->hash);
}

/* Call fn (when given) for each metadata record in file order; note each key in *keys. */
static int read_meta(struct ph_reader *r, void (*fn)(void *, const struct ph_meta_rec *), void *ctx,
		     struct meta_key **keys, size_t *n, size_t *cap)
{
	struct ph_cursor c;
	int err = 0;

	memset(&c, 0, sizeof(c));
	for (size_t i = 0; i < r->n_chunks && !err; i++) {
		const uint8_t *data;
		size_t len;

		if (r->chunks[i].kind != PH_FMT_KIND_META)
			continue;
		err = ph_reader_load(r, i, &data, &len);
		if (err)
			break;
		ph_cursor_init(&c, &r->chunks[i], i, data, len);
		while (!err && ph_cursor_more(&c)) {
			struct ph_meta_rec m;
			struct meta_key k = {0}, *at;

			err = ph_read_meta(&c, &m);
			if (err)
				break;
			k.hash = ph_xxh3(m.key, m.key_len);
			if (!fn) {
				if ((err = PH_ARRAY_RESERVE(*keys, *cap, *n + 1)))
					break;
				(*keys)[(*n)++] = k;
				continue;
			}
			at = bsearch(&k, *keys, *n, sizeof(k), by_hash);
			if (at && ++at->seen == at->total)
				fn(ctx, &m); /* the last record of a key is the one that counts */
		}
		if (!err)
			err = ph_cursor_finish(&c);
	}
	ph_cursor_release(&c);
	return err;
}

/*
 * Call fn for each metadata key, with its last record (the one that counts
 * when a key is repeated: docs/format.md), in the order of those records.
 */
static int each_meta(struct ph_reader *r, void (*fn)(void *, const struct ph_meta_rec *), void *ctx)
{
	struct meta_key *keys = NULL;
	size_t n = 0, cap = 0, m = 0;
	int err = read_meta(r, NULL, NULL, &keys, &n, &cap);

	if (!err) {
		qsort(keys, n, sizeof(*keys), by_hash);
		for (size_t i = 0; i < n; i++) { /* one entry a key, with its count */
			if (m && keys[m - 1].hash == keys[i].hash) {
				keys[m - 1].total++;
				continue;
			}
			keys[m] = keys[i];
			keys[m++].total = 1;
		}
		err = read_meta(r, fn, ctx, &keys, &m, &cap);
	}
	free(keys);
	return err;
}

static void meta_text(void *ctx, const struct ph_meta_rec *m)
{
	struct ph_buf b = PH_BUF_INIT;

	printf("  %-18s ", ph_cli_name(&b, m->key, m->key_len));
	ph_buf_release(&b);
	meta_value(m, NULL, stdout);
	putchar('\n');
}

static void meta_json(void *ctx, const struct ph_meta_rec *m)
{
	struct ph_json *j = ctx;
	char key[256];

	snprintf(key, sizeof(key), "%.*s", (int)m->key_len, (const char *)m->key);
	ph_json_key(j, key);
	meta_value(m, j, NULL);
}

static size_t totals(const struct ph_reader *r, struct section_total *t, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n_chunks; i++) {
		const struct ph_chunk_info *ci = &r->chunks[i];
		size_t k;

		for (k = 0; k < n && t[k].kind != ci->kind; k++)
			;
		if (k == n) {
			if (n == max)
				continue;
			memset(&t[n], 0, sizeof(t[n]));
			t[n++].kind = ci->kind;
		}
		t[k].chunks++;
		t[k].records += ci->count;
		t[k].stored += ci->stored_len;
		t[k].raw += ci->raw_len;
	}
	return n;
}

static int info_json(struct ph_reader *r, bool chunks)
{
	struct section_total t[32];
	size_t n = totals(r, t, 32);
	struct ph_json j;
	char kb[24];
	int err;

	ph_json_init_file(&j, ph_cli_raw_stdout(), true);
	ph_json_begin_object(&j);
	ph_json_key(&j, "file");
	ph_json_str(&j, r->name);
	ph_json_key(&j, "size");
	ph_json_uint(&j, r->file_size);
	ph_json_key(&j, "format_version");
	{
		char v[16];

		snprintf(v, sizeof(v), "%u.%u", r->major, r->minor);
		ph_json_str(&j, v);
	}
	ph_json_key(&j, "file_id");
	ph_json_addr(&j, r->file_id);
	ph_json_key(&j, "metadata");
	ph_json_begin_object(&j);
	err = each_meta(r, meta_json, &j);
	ph_json_end_object(&j);
	ph_json_key(&j, "sections");
	ph_json_begin_array(&j);
	for (size_t i = 0; i < n; i++) {
		ph_json_begin_object(&j);
		ph_json_key(&j, "kind");
		ph_json_str(&j, ph_chunk_kind_name(t[i].kind, kb));
		ph_json_key(&j, "chunks");
		ph_json_uint(&j, t[i].chunks);
		ph_json_key(&j, "records");
		ph_json_uint(&j, t[i].records);
		ph_json_key(&j, "stored_bytes");
		ph_json_uint(&j, t[i].stored);
		ph_json_key(&j, "raw_bytes");
		ph_json_uint(&j, t[i].raw);
		ph_json_end_object(&j);
	}
	ph_json_end_array(&j);
	if (chunks) {
		ph_json_key(&j, "chunks");
		ph_json_begin_array(&j);
		for (size_t i = 0; i < r->n_chunks; i++) {
			const struct ph_chunk_info *ci = &r->chunks[i];

			ph_json_begin_object(&j);
			ph_json_key(&j, "offset");
			ph_json_uint(&j, ci->offset);
			ph_json_key(&j, "kind");
			ph_json_str(&j, ph_chunk_kind_name(ci->kind, kb));
			ph_json_key(&j, "encoding");
			ph_json_str(&j, ci->encoding == PH_FMT_ENC_ZSTD ? "zstd" : "raw");
			ph_json_key(&j, "records");
			ph_json_uint(&j, ci->count);
			ph_json_key(&j, "stored_bytes");
			ph_json_uint(&j, ci->stored_len);
			ph_json_key(&j, "raw_bytes");
			ph_json_uint(&j, ci->raw_len);
			ph_json_end_object(&j);
		}
		ph_json_end_array(&j);
	}
	ph_json_end_object(&j);
	if (err)
		return err;
	return ph_json_finish(&j);
}

static int info_text(struct ph_reader *r, bool chunks)
{
	static const struct ph_table_col cols[] = {
		{"section", PH_ALIGN_LEFT, 0},    {"chunks", PH_ALIGN_RIGHT, 0},
		{"records", PH_ALIGN_RIGHT, 0},   {"stored", PH_ALIGN_RIGHT, 0},
		{"decoded", PH_ALIGN_RIGHT, 0},
	};
	static const struct ph_table_col ccols[] = {
		{"offset", PH_ALIGN_RIGHT, 0},  {"section", PH_ALIGN_LEFT, 0},
		{"encoding", PH_ALIGN_LEFT, 0}, {"records", PH_ALIGN_RIGHT, 0},
		{"stored", PH_ALIGN_RIGHT, 0},  {"decoded", PH_ALIGN_RIGHT, 0},
	};
	struct section_total t[32];
	size_t n = totals(r, t, 32);
	struct ph_table tab;
	char hb[32], kb[24];
	int err;

	printf("file:     %s\n", r->name);
	printf("size:     %" PRIu64 " bytes (%s)\n", r->file_size, ph_human_bytes(r->file_size, hb));
	printf("format:   %u.%u, file id %016" PRIx64 "\n", r->major, r->minor, r->file_id);
	printf("metadata:\n");
	fflush(stdout);
	err = each_meta(r, meta_text, NULL);
	if (err)
		return err;
	putchar('\n');
	ph_table_init(&tab, cols, 5);
	for (size_t i = 0; i < n && !err; i++) {
		err = ph_table_row(&tab);
		if (!err)
			err = ph_table_cell(&tab, "%s", ph_chunk_kind_name(t[i].kind, kb));
		if (!err)
			err = ph_table_cell(&tab, "%" PRIu64, t[i].chunks);
		if (!err)
			err = ph_table_cell(&tab, "%" PRIu64, t[i].records);
		if (!err)
			err = ph_table_cell(&tab, "%s", ph_human_bytes(t[i].stored, hb));
		if (!err)
			err = ph_table_cell(&tab, "%s", ph_human_bytes(t[i].raw, hb));
	}
	if (!err)
		err = ph_table_print(&tab, stdout);
	ph_table_release(&tab);
	if (err || !chunks)
		return err;
	putchar('\n');
	ph_table_init(&tab, ccols, 6);
	for (size_t i = 0; i < r->n_chunks && !err; i++) {
		const struct ph_chunk_info *ci = &r->chunks[i];

		err = ph_table_row(&tab);
		if (!err)
			err = ph_table_cell(&tab, "%" PRIu64, ci->offset);
		if (!err)
			err = ph_table_cell(&tab, "%s", ph_chunk_kind_name(ci->kind, kb));
		if (!err)
			err = ph_table_cell(&tab, "%s", ci->encoding == PH_FMT_ENC_ZSTD ? "zstd" : "raw");
		if (!err)
			err = ph_table_cell(&tab, "%" PRIu64, ci->count);
		if (!err)
			err = ph_table_cell(&tab, "%" PRIu64, ci->stored_len);
		if (!err)
			err = ph_table_cell(&tab, "%" PRIu64, ci->raw_len);
	}
	if (!err)
		err = ph_table_print(&tab, stdout);
	ph_table_release(&tab);
	return err;
}

static int run(const struct ph_cmd *cmd, int argc, char **argv)
{
	bool json = false, chunks = false;
	struct ph_reader *r;
	const char *arg;
	int c, err;

	while ((c = ph_getopt(cmd, argc, argv, &arg)) != -1) {
		switch (c) {
		case OPT_JSON:
			json = true;
			break;
		case OPT_CHUNKS:
			chunks = true;
			break;
		default:
			return 2;
		}
	}
	if (optind + 1 != argc)
		return ph_usage_error(cmd, "expected one FILE");
	err = ph_reader_open(&r, argv[optind]);
	if (err)
		return ph_fail(cmd, err);
	err = json ? info_json(r, chunks) : info_text(r, chunks);
	ph_reader_free(r);
	return err ? ph_fail(cmd, err) : 0;
}

const struct ph_cmd ph_cmd_info = {
	.name = "info",
	.summary = "Show a dump's metadata and its table of sections",
	.synopsis = "[--json] [--chunks] FILE",
	.description =
		"Reads only the table of contents and the metadata, so it answers at once on a dump of "
		"any size. The metadata says which Python was dumped, when, from which process, and how "
		"long the target was paused. Use 'pyheap validate' for a check of every byte.",
	.opts = opts,
	.examples = "$ pyheap info app.pyheap\n$ pyheap info --json app.pyheap | jq .metadata",
	.run = run,
};
