/* SPDX-License-Identifier: MIT */
/*
 * Corrupt input: truncation at every chunk boundary and at random offsets,
 * every single-bit flip of a small file, each header field set to extremes
 * (with checksums recomputed, so that the field's own check is what fires),
 * lengths and counts that point past the end, a cycle where the format
 * requires none, decompression bombs, unknown and must-understand chunk
 * kinds. Every case must end in a clean error of the right kind - never a
 * crash (these tests also run under ASan/UBSan in `make asan`).
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <unistd.h>

#include "filebuild.h"
#include "analyze/heap.h"
#include "format/validate.h"
#include "model.h"

/* Outcome of reading buf both ways: seekable+validate, and stream+decode. */
struct outcome {
	int seek_err;
	int stream_err;
	char seek_msg[600];
};

static int stream_all(int fd)
{
	struct model m;
	int err = model_read_stream(&m, fd);

	model_free(&m);
	return err;
}

static struct outcome read_both(const uint8_t *p, size_t n)
{
	struct ph_buf b = {(uint8_t *)p, n, n};
	struct ph_validate_report rep;
	struct ph_reader *r = NULL;
	struct outcome o;
	char path[64];
	int fd;

	cr_assert_eq(write_temp(&b, path, sizeof(path)), 0);
	o.seek_err = ph_reader_open(&r, path);
	if (!o.seek_err)
		o.seek_err = ph_validate(r, &rep, NULL, NULL);
	snprintf(o.seek_msg, sizeof(o.seek_msg), "%s", ph_error_detail());
	ph_reader_free(r);
	fd = open(path, O_RDONLY);
	cr_assert(fd >= 0);
	o.stream_err = stream_all(fd);
	close(fd);
	unlink(path);
	return o;
}

static bool is_clean_error(int err)
{
	return err == PH_ECORRUPT || err == PH_ETRUNCATED || err == PH_ENOTDUMP ||
	       err == PH_EVERSION || err == PH_ELIMIT;
}

static void expect_rejected(const uint8_t *p, size_t n, const char *what)
{
	struct outcome o = read_both(p, n);

	cr_assert(is_clean_error(o.seek_err), "%s: seekable read gave %d (%s)", what, o.seek_err,
		  o.seek_msg);
	cr_assert(is_clean_error(o.stream_err), "%s: stream read gave %d", what, o.stream_err);
	cr_assert_neq(o.seek_msg[0], '\0', "%s: no error message", what);
}

/* A small valid file with several chunks of every kind. */
static void sample(struct ph_buf *b, uint64_t seed, bool zstd, size_t size, size_t chunk)
{
	struct model m;

	model_random(&m, seed, size);
	cr_assert_eq(model_to_buf(&m, b, zstd, chunk, seed), 0, "%s", ph_error_detail());
	model_free(&m);
	cr_assert_eq(read_both(b->data, b->len).seek_err, 0, "the sample itself must be valid");
}

Test(format_corrupt, truncation_at_every_boundary_and_random_offsets)
{
	for (int z = 0; z < 2; z++) {
		struct ph_buf b = PH_BUF_INIT;
		struct fb_layout l;
		struct rng r = {99};

		sample(&b, 11 + z, z, 25, 300);
		fb_scan(b.data, b.len, &l);
		cr_assert_gt(l.n, 5);
		for (size_t i = 0; i < l.n; i++) {
			uint64_t at = l.chunk[i], stored = ph_le64(b.data + at + 16);
			uint64_t cuts[] = {at, at + 1, at + 55, at + 56, at + 56 + stored / 2,
					   at + 56 + stored - 1};

			for (size_t k = 0; k < sizeof(cuts) / sizeof(cuts[0]); k++) {
				struct outcome o = read_both(b.data, cuts[k]);

				cr_assert_eq(o.seek_err, PH_ETRUNCATED, "cut at %llu: %d %s",
					     (unsigned long long)cuts[k], o.seek_err, o.seek_msg);
				cr_assert_eq(o.stream_err, PH_ETRUNCATED, "stream cut at %llu: %d",
					     (unsigned long long)cuts[k], o.stream_err);
			}
		}
		for (uint64_t cut = l.toc; cut < b.len; cut += 7) {
			struct outcome o = read_both(b.data, cut);

			cr_assert_eq(o.seek_err, PH_ETRUNCATED, "cut at %llu: %s",
				     (unsigned long long)cut, o.seek_msg);
			cr_assert_eq(o.stream_err, PH_ETRUNCATED, "stream cut at %llu",
				     (unsigned long long)cut);
		}
		for (int k = 0; k < 300; k++) {
			size_t cut = rng_below(&r, b.len);

			expect_rejected(b.data, cut, "random truncation");
		}
		ph_buf_release(&b);
	}
}

Test(format_corrupt, every_single_bit_flip_is_detected)
{
	struct ph_buf b = PH_BUF_INIT;
	struct fb_layout l;

	/* the first small sample (fixed seeds) that has several chunks */
	for (uint64_t seed = 1;; seed++) {
		cr_assert_lt(seed, 500);
		sample(&b, seed, true, 3, 60);
		fb_scan(b.data, b.len, &l);
		if (b.len < 2500 && l.n >= 5)
			break;
		ph_buf_release(&b);
	}
	for (size_t i = 0; i < b.len; i++) {
		for (int bit = 0; bit < 8; bit++) {
			char what[64];

			b.data[i] ^= (uint8_t)(1 << bit);
			snprintf(what, sizeof(what), "flip of bit %d of byte %zu", bit, i);
			expect_rejected(b.data, b.len, what);
			b.data[i] ^= (uint8_t)(1 << bit);
		}
	}
	ph_buf_release(&b);
}

Test(format_corrupt, random_multi_byte_damage)
{
	struct ph_buf b = PH_BUF_INIT;
	struct rng r = {7};

	sample(&b, 77, false, 40, 400);
	for (int k = 0; k < 500; k++) {
		uint8_t *copy = malloc(b.len);
		size_t at = rng_below(&r, b.len), n = 1 + rng_below(&r, 16);

		memcpy(copy, b.data, b.len);
		for (size_t j = at; j < at + n && j < b.len; j++)
			copy[j] = (uint8_t)rng_next(&r);
		if (memcmp(copy, b.data, b.len))
			expect_rejected(copy, b.len, "random damage");
		free(copy);
	}
	ph_buf_release(&b);
}

static const uint64_t extremes[] = {0, 1, 0x7f, 0xff, 0x7fffffffULL, 0xffffffffULL,
				    0x7fffffffffffffffULL, 0x8000000000000000ULL, UINT64_MAX};

static void put_field(uint8_t *p, size_t size, uint64_t v)
{
	if (size == 1)
		*p = (uint8_t)v;
	else if (size == 2)
		ph_put_le16(p, (uint16_t)v);
	else if (size == 4)
		ph_put_le32(p, (uint32_t)v);
	else
		ph_put_le64(p, v);
}

Test(format_corrupt, file_header_fields_at_extremes)
{
	struct ph_buf b = PH_BUF_INIT;

	sample(&b, 21, true, 10, 200);
	for (size_t e = 0; e < sizeof(extremes) / sizeof(extremes[0]); e++) {
		uint64_t v = extremes[e];
		uint8_t *c = malloc(b.len);
		struct outcome o;

		/* major version: 0 is corrupt, above 1 needs a newer pyheap */
		memcpy(c, b.data, b.len);
		put_field(c + 8, 2, v);
		fb_seal_header(c);
		o = read_both(c, b.len);
		if ((uint16_t)v == 1)
			cr_assert_eq(o.seek_err, 0);
		else if ((uint16_t)v == 0)
			cr_assert_eq(o.seek_err, PH_ECORRUPT, "%s", o.seek_msg);
		else {
			cr_assert_eq(o.seek_err, PH_EVERSION, "%s", o.seek_msg);
			cr_assert(strstr(o.seek_msg, "newer pyheap"), "%s", o.seek_msg);
			cr_assert_eq(o.stream_err, PH_EVERSION);
		}
		/* minor version: any value is readable (compatibility rule) */
		memcpy(c, b.data, b.len);
		put_field(c + 10, 2, v);
		fb_seal_header(c);
		o = read_both(c, b.len);
		cr_assert_eq(o.seek_err, 0, "minor %llu: %s", (unsigned long long)v, o.seek_msg);
		cr_assert_eq(o.stream_err, 0);
		/* header size */
		memcpy(c, b.data, b.len);
		put_field(c + 12, 4, v);
		fb_seal_header(c);
		if ((uint32_t)v != PH_FMT_HEADER_SIZE)
			expect_rejected(c, b.len, "header size");
		/* file id: 0 is invalid, anything else no longer matches the trailer */
		memcpy(c, b.data, b.len);
		put_field(c + 16, 8, v);
		fb_seal_header(c);
		o = read_both(c, b.len);
		cr_assert_eq(o.seek_err, PH_ECORRUPT, "file id %llu: %s", (unsigned long long)v,
			     o.seek_msg);
		cr_assert(is_clean_error(o.stream_err));
		free(c);
	}
	ph_buf_release(&b);
}

/*
 * Chunk header fields, edited consistently in the chunk header and its TOC
 * entry (both resealed), so that only the field's meaning is at stake.
 */
Test(format_corrupt, chunk_header_and_toc_fields_at_extremes)
{
	static const struct {
		size_t hoff, toff, size;
		const char *name;
	} fields[] = {
		{16, 16, 8, "stored length"},
		{24, 24, 8, "raw length"},
		{32, 32, 8, "record count"},
		{8, 12, 1, "encoding"},
	};
	struct ph_buf b = PH_BUF_INIT;
	struct fb_layout l;

	sample(&b, 31, true, 12, 150);
	fb_scan(b.data, b.len, &l);
	for (size_t ci = 0; ci < l.n; ci += l.n / 3 ? l.n / 3 : 1) {
		for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++) {
			for (size_t e = 0; e < sizeof(extremes) / sizeof(extremes[0]); e++) {
				uint8_t *c = malloc(b.len);
				uint64_t ent = fb_toc_entry(b.data, b.len, ci);
				uint64_t old = f == 3 ? b.data[l.chunk[ci] + 8]
						      : ph_le64(b.data + l.chunk[ci] + fields[f].hoff);
				char what[96];

				if ((fields[f].size == 1 ? (uint8_t)extremes[e] : extremes[e]) == old) {
					free(c);
					continue;
				}
				memcpy(c, b.data, b.len);
				put_field(c + l.chunk[ci] + fields[f].hoff, fields[f].size, extremes[e]);
				put_field(c + ent + fields[f].toff, fields[f].size, extremes[e]);
				fb_seal_chunk(c, l.chunk[ci]);
				fb_seal_toc(c, b.len);
				snprintf(what, sizeof(what), "chunk %zu %s = %llu", ci, fields[f].name,
					 (unsigned long long)extremes[e]);
				expect_rejected(c, b.len, what);
				free(c);
			}
		}
	}
	ph_buf_release(&b);
}

Test(format_corrupt, trailer_and_toc_pointers_at_extremes)
{
	struct ph_buf b = PH_BUF_INIT;

	sample(&b, 41, false, 10, 200);
	for (size_t e = 0; e < sizeof(extremes) / sizeof(extremes[0]); e++) {
		uint8_t *c = malloc(b.len);
		uint64_t tr = b.len - PH_FMT_TRAILER_SIZE;

		memcpy(c, b.data, b.len);
		if (extremes[e] != ph_le64(c + tr)) {
			put_field(c + tr, 8, extremes[e]);
			fb_seal_trailer(c, b.len);
			expect_rejected(c, b.len, "TOC offset in the trailer");
		}
		memcpy(c, b.data, b.len);
		if (extremes[e] != ph_le64(c + fb_toc_entry(c, b.len, 1))) {
			put_field(c + fb_toc_entry(c, b.len, 1), 8, extremes[e]);
			fb_seal_toc(c, b.len);
			expect_rejected(c, b.len, "chunk offset in the TOC");
		}
		memcpy(c, b.data, b.len);
		if (extremes[e] != ph_le64(c + ph_le64(c + tr) + 32)) {
			put_field(c + ph_le64(c + tr) + 32, 8, extremes[e]); /* TOC's record count */
			fb_seal_chunk(c, ph_le64(c + tr));
			expect_rejected(c, b.len, "TOC record count");
		}
		free(c);
	}
	ph_buf_release(&b);
}

Test(format_corrupt, wrong_magic_is_not_a_dump)
{
	struct ph_buf b = PH_BUF_INIT;
	struct outcome o;

	sample(&b, 51, false, 5, 200);
	b.data[3] = 'X';
	o = read_both(b.data, b.len);
	cr_assert_eq(o.seek_err, PH_ENOTDUMP);
	cr_assert_eq(o.stream_err, PH_ENOTDUMP);
	cr_assert(strstr(o.seek_msg, "not a pyheap dump"), "%s", o.seek_msg);
	ph_buf_release(&b);
}

Test(format_corrupt, lengths_and_counts_past_the_end)
{
	static const uint8_t str_too_long[] = {5, 'a', 'b'};          /* length 5, 2 bytes */
	static const uint8_t two_strings[] = {1, 'a', 1, 'b'};        /* 2 records */
	static const uint8_t varint_cut[] = {0x80, 0x80};             /* varint runs off */
	static const uint8_t varint_long[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
					      0xff, 0xff, 0xff, 0x7f}; /* > 64 bits */
	static const uint8_t frames_lie[] = {1, 0, 0, 0, 100};        /* 100 frames, no bytes */
	static const uint8_t edges_lie[] = {0, 2, 100, 0, 2};          /* 100 edges, 2 bytes */
	struct {
		struct fb_chunk c;
		const char *expect;
	} cases[] = {
		{fb_raw(PH_FMT_KIND_STRINGS, 1, str_too_long, sizeof(str_too_long)), "runs past"},
		{fb_raw(PH_FMT_KIND_STRINGS, 3, two_strings, sizeof(two_strings)), "runs past"},
		{fb_raw(PH_FMT_KIND_STRINGS, 1, two_strings, sizeof(two_strings)), "left over"},
		{fb_raw(PH_FMT_KIND_STRINGS, 1, varint_cut, sizeof(varint_cut)), "runs past"},
		{fb_raw(PH_FMT_KIND_STRINGS, 1, varint_long, sizeof(varint_long)), "malformed varint"},
		{fb_raw(PH_FMT_KIND_THREADS, 1, frames_lie, sizeof(frames_lie)), "cannot fit"},
		{fb_raw(PH_FMT_KIND_EDGES, 1, edges_lie, sizeof(edges_lie)), "cannot fit"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ph_buf b = PH_BUF_INIT;
		struct outcome o;

		fb_file(&b, &cases[i].c, 1);
		o = read_both(b.data, b.len);
		cr_assert_eq(o.seek_err, PH_ECORRUPT, "case %zu: %d %s", i, o.seek_err, o.seek_msg);
		cr_assert(strstr(o.seek_msg, cases[i].expect), "case %zu: %s", i, o.seek_msg);
		cr_assert(strstr(o.seek_msg, "chunk 0"), "case %zu names no chunk: %s", i, o.seek_msg);
		cr_assert(is_clean_error(o.stream_err), "case %zu stream: %d", i, o.stream_err);
		ph_buf_release(&b);
	}
}

static size_t put_type(uint8_t *p, uint64_t addr, uint64_t base)
{
	size_t n = 0;

	n += ph_varint_encode(p + n, addr);
	n += ph_varint_encode(p + n, 0);
	n += ph_varint_encode(p + n, 0);
	n += ph_varint_encode(p + n, base);
	n += ph_varint_encode(p + n, 16);
	n += ph_varint_encode(p + n, 0);
	n += ph_varint_encode(p + n, 0);
	return n;
}

/* An OBJECTS record of type 0, refcount 1, no flags, at delta from the previous address. */
static size_t put_object(uint8_t *p, int64_t delta, uint64_t size)
{
	size_t n = 0;

	n += ph_varint_encode(p + n, ph_zigzag(delta));
	p[n++] = 0; /* type */
	n += ph_varint_encode(p + n, size);
	p[n++] = 1; /* refcount */
	p[n++] = 0; /* flags */
	return n;
}

Test(format_corrupt, cycle_in_the_type_base_chain)
{
	uint8_t types[64];
	size_t n = 0;
	struct ph_buf b = PH_BUF_INIT;
	struct fb_chunk c;
	struct outcome o;

	/* type 0 -> base 1 -> base 2 -> base 0 */
	n += put_type(types + n, 0x1000, 2);
	n += put_type(types + n, 0x2000, 3);
	n += put_type(types + n, 0x3000, 1);
	c = fb_raw(PH_FMT_KIND_TYPES, 3, types, n);
	fb_file(&b, &c, 1);
	o = read_both(b.data, b.len);
	cr_assert_eq(o.seek_err, PH_ECORRUPT, "%s", o.seek_msg);
	cr_assert(strstr(o.seek_msg, "loops"), "%s", o.seek_msg);
	ph_buf_release(&b);

	/* a type that is its own base */
	n = put_type(types, 0x1000, 1);
	c = fb_raw(PH_FMT_KIND_TYPES, 1, types, n);
	fb_file(&b, &c, 1);
	o = read_both(b.data, b.len);
	cr_assert_eq(o.seek_err, PH_ECORRUPT, "%s", o.seek_msg);
	ph_buf_release(&b);

	/* a base past the last type */
	n = put_type(types, 0x1000, 7);
	c = fb_raw(PH_FMT_KIND_TYPES, 1, types, n);
	fb_file(&b, &c, 1);
	o = read_both(b.data, b.len);
	cr_assert_eq(o.seek_err, PH_ECORRUPT, "%s", o.seek_msg);
	ph_buf_release(&b);
}

Test(format_corrupt, decompression_bombs)
{
	size_t big = (size_t)64 << 20;
	uint8_t *zeros = calloc(big + 1, 1);
	size_t cap = ZSTD_compressBound(big);
	uint8_t *z = malloc(cap);
	size_t zn = ZSTD_compress(z, cap, zeros, big, 3);
	struct ph_buf b = PH_BUF_INIT;
	struct fb_chunk c;
	struct outcome o;

	cr_assert(!ZSTD_isError(zn));
	/* 64 MiB of empty strings from a few KB: refused by the ratio limit, before decoding */
	c = (struct fb_chunk){PH_FMT_KIND_STRINGS, PH_FMT_ENC_ZSTD, big, z, zn, big};
	fb_file(&b, &c, 1);
	o = read_both(b.data, b.len);
	cr_assert_eq(o.seek_err, PH_ELIMIT, "%d %s", o.seek_err, o.seek_msg);
	cr_assert(strstr(o.seek_msg, "decompression bomb"), "%s", o.seek_msg);
	cr_assert_eq(o.stream_err, PH_ELIMIT);
	ph_buf_release(&b);

	/* a chunk declaring more than 64 MiB */
	c = (struct fb_chunk){PH_FMT_KIND_STRINGS, PH_FMT_ENC_ZSTD, 1, z, zn, big + 1};
	fb_file(&b, &c, 1);
	o = read_both(b.data, b.len);
	cr_assert_eq(o.seek_err, PH_ELIMIT, "%s", o.seek_msg);
	ph_buf_release(&b);

	/* a frame that decodes to more than the header says */
	zn = ZSTD_compress(z, cap, zeros, 100000, 1);
	c = (struct fb_chunk){PH_FMT_KIND_STRINGS, PH_FMT_ENC_ZSTD, 1000, z, zn, 1000};
	fb_file(&b, &c, 1);
	o = read_both(b.data, b.len);
	cr_assert_eq(o.seek_err, PH_ECORRUPT, "%s", o.seek_msg);
	cr_assert_eq(o.stream_err, PH_ECORRUPT);
	ph_buf_release(&b);

	/* a zstd chunk that is not zstd */
	c = (struct fb_chunk){PH_FMT_KIND_STRINGS, PH_FMT_ENC_ZSTD, 1, zeros, 100, 1000};
	fb_file(&b, &c, 1);
	o = read_both(b.data, b.len);
	cr_assert_eq(o.seek_err, PH_ECORRUPT, "%s", o.seek_msg);
	ph_buf_release(&b);
	free(z);
	free(zeros);
}

Test(format_corrupt, unknown_kinds_skipped_must_understand_refused)
{
	static const uint8_t payload[] = {1, 2, 3, 4};
	struct ph_buf b = PH_BUF_INIT;
	struct ph_validate_report rep;
	struct ph_reader *r;
	struct fb_chunk c;
	struct outcome o;
	char path[64];

	c = fb_raw(42, 1, payload, sizeof(payload));
	fb_file(&b, &c, 1);
	cr_assert_eq(write_temp(&b, path, sizeof(path)), 0);
	cr_assert_eq(ph_reader_open(&r, path), 0, "%s", ph_error_detail());
	cr_assert_eq(ph_validate(r, &rep, NULL, NULL), 0, "%s", ph_error_detail());
	cr_assert_eq(rep.unknown_chunks, 1);
	ph_reader_free(r);
	unlink(path);
	ph_buf_release(&b);

	c = fb_raw(42 | PH_FMT_KIND_MUST_UNDERSTAND, 1, payload, sizeof(payload));
	fb_file(&b, &c, 1);
	o = read_both(b.data, b.len);
	cr_assert_eq(o.seek_err, PH_EVERSION, "%s", o.seek_msg);
	cr_assert(strstr(o.seek_msg, "newer pyheap"), "%s", o.seek_msg);
	ph_buf_release(&b);
}

/* The analysis loader's verdict on a file image (PH_OK or the error), message in msg. */
static int load_heap(const struct ph_buf *b, char *msg, size_t n)
{
	struct ph_heap *h = NULL;
	char path[64];
	int err;

	cr_assert_eq(write_temp(b, path, sizeof(path)), 0);
	err = ph_heap_load(&h, path, NULL, NULL);
	snprintf(msg, n, "%s", err ? ph_error_detail() : "");
	ph_heap_free(h);
	unlink(path);
	return err;
}

/* The seekable reader with validation and the analysis loader refuse b with code, text in the message. */
static void expect_refused_by_all(const struct ph_buf *b, int code, const char *text)
{
	struct outcome o = read_both(b->data, b->len);
	char msg[1024];

	cr_assert_eq(o.seek_err, code, "%s", o.seek_msg);
	cr_assert(strstr(o.seek_msg, text), "'%s' not in: %s", text, o.seek_msg);
	cr_assert_eq(load_heap(b, msg, sizeof(msg)), code, "%s", msg);
	cr_assert(strstr(msg, text), "'%s' not in: %s", text, msg);
}

/* A kind is all 32 bits: OBJECTS with bit 31 set is an unknown kind to understand, not OBJECTS. */
Test(format_corrupt, must_understand_bit_makes_another_kind)
{
	uint8_t types[32], objs[16];
	size_t nt = put_type(types, 0x1000, 0), no = 0;
	struct ph_buf b = PH_BUF_INIT;
	struct fb_chunk c[2];

	no += put_object(objs, 0x2000, 16);
	c[0] = fb_raw(PH_FMT_KIND_TYPES, 1, types, nt);
	c[1] = fb_raw(PH_FMT_KIND_OBJECTS | PH_FMT_KIND_MUST_UNDERSTAND, 1, objs, no);
	fb_file(&b, c, 2);
	expect_refused_by_all(&b, PH_EVERSION, "chunk 1 has kind 2147483652, which this pyheap does not know but must understand");
	ph_buf_release(&b);
}

/* A chunk's count is bounded by its raw length over the smallest record of its kind. */
Test(format_corrupt, record_count_beyond_the_smallest_records)
{
	static const struct {
		uint32_t kind;
		size_t min;
	} kinds[] = {
		{PH_FMT_KIND_META, 4},    {PH_FMT_KIND_STRINGS, 1}, {PH_FMT_KIND_TYPES, 7},
		{PH_FMT_KIND_OBJECTS, 5}, {PH_FMT_KIND_EDGES, 5},   {PH_FMT_KIND_THREADS, 5},
		{PH_FMT_KIND_ROOTS, 3},   {PH_FMT_KIND_TRACEBACKS, 3}, {PH_FMT_KIND_SITES, 2},
	};
	uint8_t payload[70] = {0};

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		struct ph_buf b = PH_BUF_INIT;
		struct fb_chunk c = fb_raw(kinds[i].kind, sizeof(payload) / kinds[i].min + 1, payload,
					   sizeof(payload));

		fb_file(&b, &c, 1);
		expect_refused_by_all(&b, PH_ECORRUPT, "cannot fit in 70 bytes");
		cr_assert_eq(read_both(b.data, b.len).stream_err, PH_ECORRUPT, "the stream reader too");
		ph_buf_release(&b);
	}
}

/* Object sizes that add up to 2^64 or more (2^64 - 1 is fine): corrupt, at the record that passes it. */
Test(format_corrupt, sizes_that_wrap)
{
	uint8_t types[32], objs[64];
	size_t nt = put_type(types, 0x1000, 0), no = 0;
	struct ph_buf b = PH_BUF_INIT;
	struct fb_chunk c[2];

	for (int i = 0; i < 3; i++)
		no += put_object(objs + no, 0x2000, i == 1 ? UINT64_MAX / 2 + 1 : UINT64_MAX / 2);
	c[0] = fb_raw(PH_FMT_KIND_TYPES, 1, types, nt);
	c[1] = fb_raw(PH_FMT_KIND_OBJECTS, 3, objs, no);
	fb_file(&b, c, 2);
	expect_refused_by_all(&b, PH_ECORRUPT, "record 2: object size 9223372036854775807 makes");
	ph_buf_release(&b);
}

Test(format_corrupt, duplicate_addresses_and_bad_cross_references)
{
	uint8_t objs[64], edges[64], types[32];
	size_t no = 0, ne = 0, nt;
	struct ph_buf b = PH_BUF_INIT;
	struct fb_chunk c[3];
	struct outcome o;

	size_t one, type_at;

	nt = put_type(types, 0x1000, 0);
	/* two objects at 0x2000 */
	for (int i = 0; i < 2; i++) {
		no += ph_varint_encode(objs + no, ph_zigzag(i == 0 ? 0x2000 : 0));
		if (i == 0)
			type_at = no;
		objs[no++] = 0; /* type */
		objs[no++] = 16; /* size */
		objs[no++] = 1; /* refcount */
		objs[no++] = 0; /* flags */
		if (i == 0)
			one = no;
	}
	c[0] = fb_raw(PH_FMT_KIND_TYPES, 1, types, nt);
	c[1] = fb_raw(PH_FMT_KIND_OBJECTS, 2, objs, no);
	fb_file(&b, c, 2);
	o = read_both(b.data, b.len);
	cr_assert_eq(o.seek_err, PH_ECORRUPT, "%s", o.seek_msg);
	cr_assert(strstr(o.seek_msg, "appears twice"), "%s", o.seek_msg);
	ph_buf_release(&b);

	/* an object of type 5 when there is one type */
	objs[type_at] = 5;
	c[1] = fb_raw(PH_FMT_KIND_OBJECTS, 1, objs, one);
	fb_file(&b, c, 2);
	o = read_both(b.data, b.len);
	cr_assert_eq(o.seek_err, PH_ECORRUPT, "%s", o.seek_msg);
	cr_assert(strstr(o.seek_msg, "type id 5"), "%s", o.seek_msg);
	ph_buf_release(&b);

	/* an edge record whose source address is not its object's */
	objs[type_at] = 0;
	ne += ph_varint_encode(edges + ne, 0);               /* source id 0 */
	ne += ph_varint_encode(edges + ne, ph_zigzag(0x3000)); /* but address 0x3000 */
	edges[ne++] = 1;                                     /* one edge */
	edges[ne++] = PH_FMT_LABEL_NONE;
	ne += ph_varint_encode(edges + ne, ph_zigzag(0));
	c[1] = fb_raw(PH_FMT_KIND_OBJECTS, 1, objs, one);
	c[2] = fb_raw(PH_FMT_KIND_EDGES, 1, edges, ne);
	fb_file(&b, c, 3);
	o = read_both(b.data, b.len);
	cr_assert_eq(o.seek_err, PH_ECORRUPT, "%s", o.seek_msg);
	cr_assert(strstr(o.seek_msg, "0x3000"), "%s", o.seek_msg);
	ph_buf_release(&b);
}

/*
 * Allocation sites that name an object or a traceback that does not exist,
 * give one object two sites, go back, or hold a traceback of no frame: corrupt,
 * for the validator and the analysis loader alike. A good pair loads.
 */
Test(format_corrupt, allocation_sites_checked)
{
	static const struct {
		uint8_t tb[8];
		size_t ntb;
		uint8_t sites[8];
		size_t nsites, count, chunks; /* chunks: the sites split in two chunks of one */
		const char *text;
	} cases[] = {
		{{1, 0, 7}, 3, {0, 0}, 2, 1, 1, NULL}, /* object 0 at traceback 0: fine */
		{{1, 0, 7}, 3, {2, 0}, 2, 1, 1, "site of object id 2, but there are 2 objects"},
		{{1, 0, 7}, 3, {0, 1}, 2, 1, 1, "traceback id 1, but there are 1 tracebacks"},
		{{1, 0, 7}, 3, {0, 0, 0, 0}, 4, 2, 1, "two sites for object 0"},
		{{1, 0, 7}, 3, {1, 0, 0, 0}, 4, 2, 2, "the site of object 0 after object 1"},
		{{0, 0, 0}, 3, {0, 0}, 2, 1, 1, "traceback with no frame"},
	};
	uint8_t types[32], objs[32];
	size_t nt = put_type(types, 0x1000, 0), no = 0;

	no += put_object(objs, 0x2000, 16);
	no += put_object(objs + no, 0x100, 16); /* the next object, 0x100 further */
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ph_buf b = PH_BUF_INIT;
		struct fb_chunk c[5];
		size_t n = 0;

		c[n++] = fb_raw(PH_FMT_KIND_TYPES, 1, types, nt);
		c[n++] = fb_raw(PH_FMT_KIND_OBJECTS, 2, objs, no);
		c[n++] = fb_raw(PH_FMT_KIND_TRACEBACKS, 1, cases[i].tb, cases[i].ntb);
		if (cases[i].chunks == 2) {
			c[n++] = fb_raw(PH_FMT_KIND_SITES, 1, cases[i].sites, 2);
			c[n++] = fb_raw(PH_FMT_KIND_SITES, 1, cases[i].sites + 2, 2);
		} else {
			c[n++] = fb_raw(PH_FMT_KIND_SITES, cases[i].count, cases[i].sites, cases[i].nsites);
		}
		fb_file(&b, c, n);
		if (cases[i].text) {
			expect_refused_by_all(&b, PH_ECORRUPT, cases[i].text);
		} else {
			char msg[1024];
			struct outcome o = read_both(b.data, b.len);

			cr_assert_eq(o.seek_err, 0, "%s", o.seek_msg);
			cr_assert_eq(load_heap(&b, msg, sizeof(msg)), 0, "%s", msg);
		}
		ph_buf_release(&b);
	}
}

Test(format_corrupt, dangling_references_are_reported_not_fatal)
{
	uint8_t objs[16], edges[32], types[32];
	size_t no = 0, ne = 0, nt;
	struct ph_buf b = PH_BUF_INIT;
	struct ph_validate_report rep;
	struct ph_reader *r;
	struct fb_chunk c[3];
	char path[64];

	nt = put_type(types, 0x2000, 0); /* the type object is the object itself */
	no += ph_varint_encode(objs + no, ph_zigzag(0x2000));
	objs[no++] = 0;
	objs[no++] = 16;
	objs[no++] = 1;
	objs[no++] = 0;
	ne += ph_varint_encode(edges + ne, 0);
	ne += ph_varint_encode(edges + ne, ph_zigzag(0x2000));
	edges[ne++] = 2;
	edges[ne++] = PH_FMT_LABEL_NONE;
	ne += ph_varint_encode(edges + ne, ph_zigzag(0x100)); /* 0x2100: not an object */
	edges[ne++] = PH_FMT_LABEL_NONE | PH_FMT_EDGE_WEAK;
	ne += ph_varint_encode(edges + ne, ph_zigzag(0));     /* itself */
	c[0] = fb_raw(PH_FMT_KIND_TYPES, 1, types, nt);
	c[1] = fb_raw(PH_FMT_KIND_OBJECTS, 1, objs, no);
	c[2] = fb_raw(PH_FMT_KIND_EDGES, 1, edges, ne);
	fb_file(&b, c, 3);
	cr_assert_eq(write_temp(&b, path, sizeof(path)), 0);
	cr_assert_eq(ph_reader_open(&r, path), 0);
	cr_assert_eq(ph_validate(r, &rep, NULL, NULL), 0, "%s", ph_error_detail());
	cr_assert_eq(rep.edges, 2);
	cr_assert_eq(rep.dangling_edges, 1);
	cr_assert_eq(rep.n_examples, 1);
	cr_assert_eq(rep.examples[0].target, 0x2100);
	cr_assert_eq(rep.examples[0].source, 0x2000);
	ph_reader_free(r);
	unlink(path);
	ph_buf_release(&b);
}

/* A NATIVE record: id delta, then (kind, bytes) parts. */
static size_t put_native(uint8_t *p, uint64_t delta, int n, const uint8_t *kinds,
			 const uint64_t *bytes)
{
	size_t k = 0;

	k += ph_varint_encode(p + k, delta);
	k += ph_varint_encode(p + k, (uint64_t)n);
	for (int i = 0; i < n; i++) {
		p[k++] = kinds[i];
		k += ph_varint_encode(p + k, bytes[i]);
	}
	return k;
}

/* Three objects of 16 bytes at 0x2000, 0x3000, 0x4000 and NATIVE chunks nat[0..nn). */
static void native_file(struct ph_buf *b, const struct fb_chunk *nat, size_t nn, uint64_t size1)
{
	static uint8_t types[32], objs[64];
	size_t nt = put_type(types, 0x1000, 0), no = 0;
	struct fb_chunk c[8];

	for (int i = 0; i < 3; i++)
		no += put_object(objs + no, i ? 0x1000 : 0x2000, i == 1 ? size1 : 16);
	c[0] = fb_raw(PH_FMT_KIND_TYPES, 1, types, nt);
	c[1] = fb_raw(PH_FMT_KIND_OBJECTS, 3, objs, no);
	for (size_t i = 0; i < nn; i++)
		c[2 + i] = nat[i];
	fb_file(b, c, 2 + nn);
}

Test(format_corrupt, native_records_load_and_python_only)
{
	static const uint8_t kinds[] = {PH_FMT_NATIVE_NUMPY, PH_FMT_NATIVE_VALUES, 200};
	static const uint64_t bytes[] = {1000, 40, 7};
	uint8_t n1[32], n2[32];
	size_t k1 = put_native(n1, 1, 2, kinds, bytes), k2 = put_native(n2, 2, 1, kinds + 2, bytes + 2);
	struct ph_buf b = PH_BUF_INIT;
	struct fb_chunk nat[2] = {fb_raw(PH_FMT_KIND_NATIVE, 1, n1, k1),
				  fb_raw(PH_FMT_KIND_NATIVE, 1, n2, k2)};
	struct outcome o;
	struct ph_heap *h;
	char path[64];

	native_file(&b, nat, 2, 16);
	o = read_both(b.data, b.len);
	cr_assert_eq(o.seek_err, 0, "%s", o.seek_msg);
	cr_assert_eq(o.stream_err, 0);
	cr_assert_eq(write_temp(&b, path, sizeof(path)), 0);
	for (int python_only = 0; python_only < 2; python_only++) {
		ph_heap_set_python_only(python_only);
		cr_assert_eq(ph_heap_load(&h, path, NULL, NULL), 0, "%s", ph_error_detail());
		cr_assert_eq(h->n_native, 2);
		cr_assert_eq(ph_heap_native(h, 0), 0);
		cr_assert_eq(ph_heap_native(h, 1), 1040);
		cr_assert_eq(ph_heap_native(h, 2), 7); /* a kind this reader does not know: other */
		cr_assert_eq(h->total_native, 1047);
		cr_assert_eq(h->native_by_kind[PH_FMT_NATIVE_NUMPY], 1000);
		cr_assert_eq(h->native_by_kind[PH_FMT_NATIVE_VALUES], 40);
		cr_assert_eq(h->native_by_kind[PH_FMT_NATIVE_OTHER], 7);
		cr_assert_eq(h->native_kinds[1], (1u << (PH_FMT_NATIVE_NUMPY - 1)) |
						 (1u << (PH_FMT_NATIVE_VALUES - 1)));
		cr_assert_eq(ph_heap_owned(h, 1), python_only ? 16 : 1056);
		ph_heap_free(h);
	}
	ph_heap_set_python_only(false);
	unlink(path);
	ph_buf_release(&b);
}

/* A file whose one NATIVE chunk holds count records rec[0..n) is refused by all with msg. */
static void refuse_native(const uint8_t *rec, size_t n, uint64_t count, uint64_t size1,
			  const char *msg)
{
	struct ph_buf b = PH_BUF_INIT;
	struct fb_chunk nat = fb_raw(PH_FMT_KIND_NATIVE, count, rec, n);

	native_file(&b, &nat, 1, size1);
	expect_refused_by_all(&b, PH_ECORRUPT, msg);
	ph_buf_release(&b);
}

Test(format_corrupt, hostile_native_records)
{
	static const uint8_t k_ok[] = {PH_FMT_NATIVE_NUMPY, PH_FMT_NATIVE_MMAP};
	static const uint8_t k_down[] = {PH_FMT_NATIVE_MMAP, PH_FMT_NATIVE_NUMPY};
	static const uint8_t k_zero[] = {0};
	static const uint64_t small[] = {8, 8};
	static const uint64_t huge[] = {UINT64_MAX / 2 + 1, UINT64_MAX / 2 + 1};
	uint8_t n1[64];
	size_t k1;
	struct ph_buf b = PH_BUF_INIT;
	struct fb_chunk nat[2];

	k1 = put_native(n1, 3, 1, k_ok, small);
	refuse_native(n1, k1, 1, 16, "native record for object id 3, but there are 3 objects");
	/* the same id twice in a chunk (a delta of 0) */
	k1 = put_native(n1, 1, 1, k_ok, small);
	k1 += put_native(n1 + k1, 0, 1, k_ok, small);
	refuse_native(n1, k1, 2, 16, "native record for object id 1 again");
	/* parts whose kinds go down, or a kind 0 */
	k1 = put_native(n1, 1, 2, k_down, small);
	refuse_native(n1, k1, 1, 16, "kinds must increase from 1");
	k1 = put_native(n1, 1, 1, k_zero, small);
	refuse_native(n1, k1, 1, 16, "kinds must increase from 1");
	/* no part (padded, so that the record count fits the smallest record) */
	k1 = put_native(n1, 1, 0, k_ok, small);
	n1[k1++] = 0;
	n1[k1++] = 0;
	refuse_native(n1, k1, 1, 16, "native record with 0 parts");
	/* parts that wrap in one record; native bytes that wrap with the objects' sizes */
	k1 = put_native(n1, 1, 2, k_ok, huge);
	refuse_native(n1, k1, 1, 16, "add up to 2^64 bytes or more");
	k1 = put_native(n1, 1, 1, k_ok, huge);
	refuse_native(n1, k1, 1, UINT64_MAX / 2 + 1, "add up to 2^64 bytes or more");

	/* the same id in two chunks */
	k1 = put_native(n1, 1, 1, k_ok, small);
	nat[0] = fb_raw(PH_FMT_KIND_NATIVE, 1, n1, k1);
	nat[1] = nat[0];
	native_file(&b, nat, 2, 16);
	expect_refused_by_all(&b, PH_ECORRUPT, "out of order or twice");
	ph_buf_release(&b);
}
