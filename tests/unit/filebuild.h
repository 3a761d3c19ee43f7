/* SPDX-License-Identifier: MIT */
/*
 * filebuild.h - build .pyheap files byte by byte for the corrupt-input tests
 * (header, chunks with any payload/count/encoding, TOC, trailer, with correct
 * checksums unless told otherwise), and re-seal a file after editing one of
 * its fields so that checksums do not hide the check under test.
 */
#ifndef PH_TEST_FILEBUILD_H
#define PH_TEST_FILEBUILD_H

#include <stdint.h>
#include <string.h>
#include <zstd.h>

#include "common/buf.h"
#include "common/hash.h"
#include "format/format.h"
#include "format/writer.h"

struct fb_chunk {
	uint32_t kind;
	uint8_t encoding;
	uint64_t count;
	const uint8_t *payload; /* stored bytes */
	size_t stored_len;
	uint64_t raw_len;
};

static inline void fb_header(struct ph_buf *b, uint16_t major, uint16_t minor, uint64_t id)
{
	uint8_t h[PH_FMT_HEADER_SIZE] = {0};

	memcpy(h, PH_FMT_MAGIC, 8);
	ph_put_le16(h + 8, major);
	ph_put_le16(h + 10, minor);
	ph_put_le32(h + 12, PH_FMT_HEADER_SIZE);
	ph_put_le64(h + 16, id);
	ph_put_le64(h + 24, ph_xxh3(h, 24));
	ph_buf_put(b, h, sizeof(h));
}

/* A whole file from a list of chunks. */
static inline void fb_file(struct ph_buf *b, const struct fb_chunk *c, size_t n)
{
	struct ph_buf toc = PH_BUF_INIT;
	uint8_t hdr[PH_FMT_CHUNK_HEADER_SIZE], tr[PH_FMT_TRAILER_SIZE];
	uint64_t id = 0x1234567890abcdefULL, toc_at;

	fb_header(b, PH_FMT_MAJOR, PH_FMT_MINOR, id);
	for (size_t i = 0; i < n; i++) {
		uint8_t ent[PH_FMT_TOC_ENTRY_SIZE] = {0};
		uint64_t sum = ph_xxh3(c[i].payload, c[i].stored_len);

		ph_put_le64(ent, b->len);
		ph_put_le32(ent + 8, c[i].kind);
		ent[12] = c[i].encoding;
		ph_put_le64(ent + 16, c[i].stored_len);
		ph_put_le64(ent + 24, c[i].raw_len);
		ph_put_le64(ent + 32, c[i].count);
		ph_put_le64(ent + 40, sum);
		ph_buf_put(&toc, ent, sizeof(ent));
		ph_fmt_chunk_header(hdr, c[i].kind, c[i].encoding, c[i].stored_len, c[i].raw_len,
				    c[i].count, sum);
		ph_buf_put(b, hdr, sizeof(hdr));
		ph_buf_put(b, c[i].payload, c[i].stored_len);
	}
	toc_at = b->len;
	ph_fmt_chunk_header(hdr, PH_FMT_KIND_TOC, PH_FMT_ENC_RAW, toc.len, toc.len, n,
			    ph_xxh3(toc.data, toc.len));
	ph_buf_put(b, hdr, sizeof(hdr));
	ph_buf_put(b, toc.data, toc.len);
	ph_put_le64(tr, toc_at);
	ph_put_le64(tr + 8, id);
	ph_put_le64(tr + 16, ph_xxh3(tr, 16));
	memcpy(tr + 24, PH_FMT_END_MAGIC, 8);
	ph_buf_put(b, tr, sizeof(tr));
	ph_buf_release(&toc);
}

/* A raw chunk. */
static inline struct fb_chunk fb_raw(uint32_t kind, uint64_t count, const void *p, size_t n)
{
	struct fb_chunk c = {kind, PH_FMT_ENC_RAW, count, p, n, n};

	return c;
}

/* Layout of a file as written (offsets of chunks, TOC, trailer), read without the reader. */
struct fb_layout {
	uint64_t chunk[4096];
	size_t n;
	uint64_t toc, trailer;
};

static inline void fb_scan(const uint8_t *p, size_t len, struct fb_layout *l)
{
	uint64_t at = PH_FMT_HEADER_SIZE;

	l->n = 0;
	l->trailer = len - PH_FMT_TRAILER_SIZE;
	l->toc = ph_le64(p + l->trailer);
	while (at < l->toc && l->n < 4096) {
		l->chunk[l->n++] = at;
		at += PH_FMT_CHUNK_HEADER_SIZE + ph_le64(p + at + 16);
	}
}

/* Recompute the checksum of the file header. */
static inline void fb_seal_header(uint8_t *p)
{
	ph_put_le64(p + 24, ph_xxh3(p, 24));
}

/* Recompute the header checksum of the chunk header at off (not its payload's). */
static inline void fb_seal_chunk(uint8_t *p, uint64_t off)
{
	ph_put_le64(p + off + 48, ph_xxh3(p + off, 48));
}

/* Recompute the trailer's checksum (file of len bytes). */
static inline void fb_seal_trailer(uint8_t *p, size_t len)
{
	ph_put_le64(p + len - PH_FMT_TRAILER_SIZE + 16, ph_xxh3(p + len - PH_FMT_TRAILER_SIZE, 16));
}

/* Recompute the TOC chunk's payload and header checksums (the TOC found via the trailer). */
static inline void fb_seal_toc(uint8_t *p, size_t len)
{
	uint64_t toc = ph_le64(p + len - PH_FMT_TRAILER_SIZE);
	uint64_t n = ph_le64(p + toc + 16);

	ph_put_le64(p + toc + 40, ph_xxh3(p + toc + PH_FMT_CHUNK_HEADER_SIZE, n));
	fb_seal_chunk(p, toc);
}

/* Offset of TOC entry i. */
static inline uint64_t fb_toc_entry(const uint8_t *p, size_t len, size_t i)
{
	return ph_le64(p + len - PH_FMT_TRAILER_SIZE) + PH_FMT_CHUNK_HEADER_SIZE +
	       i * PH_FMT_TOC_ENTRY_SIZE;
}

#endif
