/* SPDX-License-Identifier: MIT */
/*
 * respin.c - `test-tool respin IN OUT [--seed S]`: rewrite a dump using the
 * freedoms docs/format.md gives a writer, as another implementation might,
 * so that the tests can check that pyheap reads it the same:
 *
 *   - chunks split at random record boundaries (the first record of a new
 *     OBJECTS or EDGES chunk gets its deltas from 0 again: absolute);
 *   - chunks of different kinds interleaved in a random order (each kind's
 *     chunks stay in their order: a section is its chunks in file order);
 *   - each chunk stored raw or as zstd at a random level (1..19), raw when
 *     zstd would not shrink it or would pass the ratio readers accept;
 *   - a chunk of an unknown kind without the must-understand bit (skipped
 *     by readers) between others, and an empty chunk of a known kind;
 *   - a META record for every key written before the real one with another
 *     value (the last record of a key counts).
 *
 * --drop KIND leaves out the chunks of a kind (--drop 8: a dump without its
 * NATIVE section, as a 1.0 writer made it).
 *
 * Written with tests/unit/filebuild.h (not with ph_writer, which decides
 * chunking and order itself).
 */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/hash.h"
#include "common/varint.h"
#include "format/format.h"
#include "format/reader.h"
#include "format/writer.h"
#include "helper/tool.h"
#include "unit/filebuild.h"

struct rng {
	uint64_t s;
};

static uint64_t rnext(struct rng *r)
{
	r->s ^= r->s << 13;
	r->s ^= r->s >> 7;
	r->s ^= r->s << 17;
	return r->s;
}

/* A chunk to write: kind, record count, raw payload and its compressed form (owned). */
struct piece {
	uint32_t kind;
	uint64_t count;
	struct ph_buf raw, stored;
};

/* A piece as stored: raw, or compressed at a random level when that is allowed. */
static int store(struct piece *p, struct rng *rng, struct fb_chunk *c)
{
	memset(c, 0, sizeof(*c));
	c->kind = p->kind;
	c->count = p->count;
	c->encoding = PH_FMT_ENC_RAW;
	c->payload = p->raw.data;
	c->stored_len = c->raw_len = p->raw.len;
	if (p->raw.len && rnext(rng) % 3) {
		size_t cap = ZSTD_compressBound(p->raw.len);
		size_t n;

		if (ph_buf_reserve(&p->stored, cap))
			return PH_ENOMEM;
		n = ZSTD_compress(p->stored.data, cap, p->raw.data, p->raw.len, 1 + (int)(rnext(rng) % 19));
		if (ZSTD_isError(n))
			return ph_error(PH_EIO, "zstd: %s", ZSTD_getErrorName(n));
		if (n < p->raw.len && p->raw.len <= PH_FMT_RAW_FOR_STORED(n)) {
			c->encoding = PH_FMT_ENC_ZSTD;
			c->payload = p->stored.data;
			c->stored_len = n;
		}
	}
	return 0;
}

/* Queues of pieces, one per kind (1..8, and 9 for the unknown kind). */
#define NQ 10
#define Q_UNKNOWN 9
struct queues {
	struct piece *q[NQ];
	size_t n[NQ], cap[NQ], next[NQ];
};

static struct piece *new_piece(struct queues *qs, int k, uint32_t kind)
{
	struct piece *p;

	if (PH_ARRAY_RESERVE(qs->q[k], qs->cap[k], qs->n[k] + 1))
		return NULL;
	p = &qs->q[k][qs->n[k]++];
	memset(p, 0, sizeof(*p));
	p->kind = kind;
	return p;
}

/*
 * Split one chunk of the input (decoded) into pieces at random record
 * boundaries. OBJECTS and EDGES records begin with deltas against the
 * previous record of their chunk: a piece's first record is re-encoded with
 * absolute values, the rest copied as they are.
 */
static int split(struct queues *qs, struct rng *rng, const struct ph_chunk_info *ci, size_t index,
		 const uint8_t *data, size_t len)
{
	struct ph_cursor c;
	struct piece *p = NULL;
	uint64_t per = 1 + rnext(rng) % 7; /* records per piece, about */
	int err = 0;

	memset(&c, 0, sizeof(c));
	ph_cursor_init(&c, ci, index, data, len);
	while (!err && ph_cursor_more(&c)) {
		const uint8_t *start = c.p;
		bool fresh = !p || p->count >= per;

		switch (ci->kind) {
		case PH_FMT_KIND_EDGES: {
			uint64_t src, saddr, n;
			struct ph_edge_rec e;

			err = ph_read_edges(&c, &src, &saddr, &n);
			for (uint64_t i = 0; !err && i < n; i++)
				err = ph_read_edge(&c, &e);
			if (err)
				break;
			if (fresh && !(p = new_piece(qs, ci->kind, ci->kind)))
				return PH_ENOMEM;
			if (!p->count) { /* deltas from 0 */
				const uint8_t *q = start;
				uint64_t d, ad;

				ph_varint_decode(&q, c.end, &d);
				ph_varint_decode(&q, c.end, &ad);
				if (ph_buf_put_varint(&p->raw, src) ||
				    ph_buf_put_svarint(&p->raw, (int64_t)saddr) ||
				    ph_buf_put(&p->raw, q, (size_t)(c.p - q)))
					return PH_ENOMEM;
			} else if (ph_buf_put(&p->raw, start, (size_t)(c.p - start))) {
				return PH_ENOMEM;
			}
			break;
		}
		case PH_FMT_KIND_OBJECTS: {
			struct ph_object_rec o;
			const uint8_t *q = start;
			uint64_t d;

			err = ph_read_object(&c, &o);
			if (err)
				break;
			if (fresh && !(p = new_piece(qs, ci->kind, ci->kind)))
				return PH_ENOMEM;
			ph_varint_decode(&q, c.end, &d);
			if (!p->count) {
				if (ph_buf_put_svarint(&p->raw, (int64_t)o.address) ||
				    ph_buf_put(&p->raw, q, (size_t)(c.p - q)))
					return PH_ENOMEM;
			} else if (ph_buf_put(&p->raw, start, (size_t)(c.p - start))) {
				return PH_ENOMEM;
			}
			break;
		}
		case PH_FMT_KIND_NATIVE: {
			struct ph_native_rec nr;
			const uint8_t *q = start;
			uint64_t d;

			err = ph_read_native(&c, &nr);
			if (err)
				break;
			if (fresh && !(p = new_piece(qs, ci->kind, ci->kind)))
				return PH_ENOMEM;
			ph_varint_decode(&q, c.end, &d);
			if (!p->count) { /* the id from 0 */
				if (ph_buf_put_varint(&p->raw, nr.id) ||
				    ph_buf_put(&p->raw, q, (size_t)(c.p - q)))
					return PH_ENOMEM;
			} else if (ph_buf_put(&p->raw, start, (size_t)(c.p - start))) {
				return PH_ENOMEM;
			}
			break;
		}
		default: {
			/* the other kinds have no deltas: read one record, copy its bytes */
			union {
				struct ph_meta_rec m;
				struct ph_type_rec t;
				struct ph_thread_rec th;
				struct ph_root_rec r;
			} u;
			const uint8_t *sp;
			uint64_t sl;

			if (ci->kind == PH_FMT_KIND_META)
				err = ph_read_meta(&c, &u.m);
			else if (ci->kind == PH_FMT_KIND_STRINGS)
				err = ph_read_string(&c, &sp, &sl);
			else if (ci->kind == PH_FMT_KIND_TYPES)
				err = ph_read_type(&c, &u.t);
			else if (ci->kind == PH_FMT_KIND_THREADS)
				err = ph_read_thread(&c, &u.th);
			else
				err = ph_read_root(&c, &u.r);
			if (err)
				break;
			if (fresh && !(p = new_piece(qs, ci->kind, ci->kind)))
				return PH_ENOMEM;
			if (ph_buf_put(&p->raw, start, (size_t)(c.p - start)))
				return PH_ENOMEM;
			break;
		}
		}
		if (!err)
			p->count++;
	}
	if (!err)
		err = ph_cursor_finish(&c);
	ph_cursor_release(&c);
	return err;
}

/* META: every key once more before the real records, with a value of another type. */
static int decoy_meta(struct queues *qs, const uint8_t *data, size_t len,
		      const struct ph_chunk_info *ci, size_t index)
{
	struct ph_cursor c;
	struct piece *p = new_piece(qs, PH_FMT_KIND_META, PH_FMT_KIND_META);
	int err = p ? 0 : PH_ENOMEM;

	memset(&c, 0, sizeof(c));
	ph_cursor_init(&c, ci, index, data, len);
	while (!err && ph_cursor_more(&c)) {
		struct ph_meta_rec m;

		err = ph_read_meta(&c, &m);
		if (err)
			break;
		if (ph_buf_put_varint(&p->raw, m.key_len) || ph_buf_put(&p->raw, m.key, m.key_len) ||
		    ph_buf_put_u8(&p->raw, PH_FMT_META_STR) || ph_buf_put_varint(&p->raw, 5) ||
		    ph_buf_put(&p->raw, "decoy", 5))
			return PH_ENOMEM;
		p->count++;
	}
	ph_cursor_release(&c);
	return err;
}

static int respin(struct ph_reader *r, struct rng *rng, uint32_t drop, struct ph_buf *out)
{
	struct queues qs;
	struct fb_chunk *chunks = NULL;
	size_t left = 0, n = 0;
	int err = 0;
	bool decoys = false;

	memset(&qs, 0, sizeof(qs));
	for (size_t i = 0; i < r->n_chunks && !err; i++) {
		const struct ph_chunk_info *ci = &r->chunks[i];
		const uint8_t *data;
		size_t len;

		if (ci->kind < PH_FMT_KIND_META || ci->kind > PH_FMT_KIND_NATIVE || ci->kind == drop)
			continue;
		err = ph_reader_load(r, i, &data, &len);
		if (!err && ci->kind == PH_FMT_KIND_META && !decoys) {
			err = decoy_meta(&qs, data, len, ci, i);
			decoys = true;
		}
		if (!err)
			err = split(&qs, rng, ci, i, data, len);
	}
	if (!err) { /* an unknown kind to skip, an empty TYPES chunk */
		struct piece *u = new_piece(&qs, Q_UNKNOWN, 0x4242);
		struct piece *e = new_piece(&qs, PH_FMT_KIND_TYPES, PH_FMT_KIND_TYPES);

		if (!u || !e || ph_buf_put(&u->raw, "future", 6))
			err = PH_ENOMEM;
		else
			u->count = 1;
		/* the empty TYPES piece goes first among TYPES: swap it to the front */
		if (!err) {
			struct piece t = qs.q[PH_FMT_KIND_TYPES][qs.n[PH_FMT_KIND_TYPES] - 1];

			memmove(&qs.q[PH_FMT_KIND_TYPES][1], &qs.q[PH_FMT_KIND_TYPES][0],
				(qs.n[PH_FMT_KIND_TYPES] - 1) * sizeof(t));
			qs.q[PH_FMT_KIND_TYPES][0] = t;
		}
	}
	for (int k = 0; k < NQ; k++)
		left += qs.n[k];
	chunks = calloc(left + 1, sizeof(*chunks));
	if (!chunks)
		err = PH_ENOMEM;
	while (!err && left) { /* a random merge of the queues */
		int k = (int)(rnext(rng) % NQ);

		if (qs.next[k] == qs.n[k])
			continue;
		err = store(&qs.q[k][qs.next[k]++], rng, &chunks[n++]);
		left--;
	}
	if (!err)
		fb_file(out, chunks, n);
	free(chunks);
	for (int k = 0; k < NQ; k++) {
		for (size_t i = 0; i < qs.n[k]; i++) {
			ph_buf_release(&qs.q[k][i].raw);
			ph_buf_release(&qs.q[k][i].stored);
		}
		free(qs.q[k]);
	}
	return err;
}

static int run(int argc, char **argv)
{
	static const struct option longs[] = {
		{"seed", required_argument, NULL, 's'},
		{"drop", required_argument, NULL, 'd'},
		{NULL, 0, NULL, 0},
	};
	struct rng rng = {0x9e3779b97f4a7c15ULL};
	uint32_t drop = 0;
	struct ph_buf out = PH_BUF_INIT;
	struct ph_reader *r = NULL;
	FILE *f;
	int c, err;

	optind = 1;
	while ((c = getopt_long(argc, argv, "s:d:", longs, NULL)) != -1) {
		if (c == 'd') {
			drop = (uint32_t)strtoul(optarg, NULL, 10);
			continue;
		}
		if (c != 's')
			return 2;
		rng.s ^= strtoull(optarg, NULL, 10) * 0x2545F4914F6CDD1DULL;
	}
	if (optind + 2 != argc) {
		fprintf(stderr, "usage: test-tool respin IN OUT [--seed S] [--drop KIND]\n");
		return 2;
	}
	err = ph_reader_open(&r, argv[optind]);
	if (!err)
		err = respin(r, &rng, drop, &out);
	if (!err) {
		f = fopen(argv[optind + 1], "wb");
		if (!f || fwrite(out.data, 1, out.len, f) != out.len || fclose(f))
			err = ph_error(PH_EIO, "cannot write %s", argv[optind + 1]);
	}
	ph_reader_free(r);
	ph_buf_release(&out);
	if (err) {
		fprintf(stderr, "respin: %s\n", ph_error_detail());
		return 1;
	}
	return 0;
}

const struct tool tool_respin = {"respin", "rewrite a dump with the freedoms the format allows", run};
