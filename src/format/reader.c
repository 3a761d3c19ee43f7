/* SPDX-License-Identifier: MIT */
/*
 * reader.c - validating reader of .pyheap files (see reader.h and
 * docs/format.md).
 *
 * Where a check fails, the error detail says where: the chunk (index, kind,
 * file offset), the record, the byte inside the decoded payload, and this
 * file's line of the check (like sqlite's SQLITE_CORRUPT_BKPT).
 */
#include "format/reader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "common/error.h"
#include "common/hash.h"
#include "format/format.h"

const char *ph_chunk_kind_name(uint32_t kind, char buf[24])
{
	switch (kind) {
	case PH_FMT_KIND_META:
		return "META";
	case PH_FMT_KIND_STRINGS:
		return "STRINGS";
	case PH_FMT_KIND_TYPES:
		return "TYPES";
	case PH_FMT_KIND_OBJECTS:
		return "OBJECTS";
	case PH_FMT_KIND_EDGES:
		return "EDGES";
	case PH_FMT_KIND_THREADS:
		return "THREADS";
	case PH_FMT_KIND_ROOTS:
		return "ROOTS";
	case PH_FMT_KIND_NATIVE:
		return "NATIVE";
	case PH_FMT_KIND_TRACEBACKS:
		return "TRACEBACKS";
	case PH_FMT_KIND_SITES:
		return "SITES";
	case PH_FMT_KIND_TOC:
		return "TOC";
	default:
		snprintf(buf, 24, "kind %u", kind);
		return buf;
	}
}

/*
 * Fuzz builds (libFuzzer's convention) accept any checksum, so that the
 * fuzzer reaches the record decoders behind them.
 */
static bool sum_ok(uint64_t stored, uint64_t computed)
{
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
	(void)stored;
	(void)computed;
	return true;
#else
	return stored == computed;
#endif
}

/* ---- file-level errors ---- */

#define BAD(r, code, ...) file_error((r), (code), __LINE__, __VA_ARGS__)

static int file_error(const struct ph_reader *r, int code, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int file_error(const struct ph_reader *r, int code, int line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return ph_error(code, "%s: %s [reader.c:%d]", r->name ? r->name : "dump", msg, line);
}

/* ---- raw input ---- */

static int read_at(const struct ph_reader *r, uint64_t off, void *p, size_t n)
{
	uint8_t *q = p;

	while (n) {
		ssize_t k = pread(r->fd, q, n, (off_t)off);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return ph_error_errno(PH_EIO, errno, "%s: cannot read at offset %llu", r->name,
					      (unsigned long long)off);
		}
		if (k == 0)
			return BAD(r, PH_ETRUNCATED, "file ends at offset %llu, inside data expected there",
				   (unsigned long long)off);
		q += k;
		off += (uint64_t)k;
		n -= (size_t)k;
	}
	return 0;
}

/* Stream: read exactly n bytes; *got (may be NULL) receives how many arrived before EOF. */
static int read_stream(struct ph_reader *r, void *p, size_t n, size_t *got)
{
	uint8_t *q = p;
	size_t have = 0;

	while (have < n) {
		ssize_t k = read(r->fd, q + have, n - have);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return ph_error_errno(PH_EIO, errno, "%s: cannot read", r->name);
		}
		if (k == 0)
			break;
		have += (size_t)k;
	}
	r->pos += have;
	if (got)
		*got = have;
	if (have < n)
		return BAD(r, PH_ETRUNCATED, "stream ends at offset %llu, inside data expected there",
			   (unsigned long long)r->pos);
	return 0;
}

/* ---- header, chunk headers, trailer ---- */

static int check_header(struct ph_reader *r, const uint8_t *h, size_t have)
{
	if (have < 8 || memcmp(h, PH_FMT_MAGIC, 8) != 0)
		return BAD(r, PH_ENOTDUMP, "not a pyheap dump (bad magic)");
	if (have < PH_FMT_HEADER_SIZE)
		return BAD(r, PH_ETRUNCATED, "file ends inside the file header (%zu bytes)", have);
	r->major = ph_le16(h + 8);
	r->minor = ph_le16(h + 10);
	if (!sum_ok(ph_le64(h + 24), ph_xxh3(h, 24)))
		return BAD(r, PH_ECORRUPT, "file header checksum mismatch at offset 0");
	if (r->major == 0)
		return BAD(r, PH_ECORRUPT, "format major version 0 is invalid");
	if (r->major > PH_FMT_MAJOR)
		return BAD(r, PH_EVERSION,
			   "written in format %u.%u; this pyheap reads format %u.x: it needs a newer pyheap",
			   r->major, r->minor, PH_FMT_MAJOR);
	if (ph_le32(h + 12) != PH_FMT_HEADER_SIZE)
		return BAD(r, PH_ECORRUPT, "file header size %u, expected %u", ph_le32(h + 12),
			   PH_FMT_HEADER_SIZE);
	r->file_id = ph_le64(h + 16);
	if (!r->file_id)
		return BAD(r, PH_ECORRUPT, "file id is zero");
	return 0;
}

/*
 * The fewest bytes a record of a kind can take (docs/format.md, "record
 * count"): every field is at least one byte, an EDGES record holds one edge
 * at least. Kinds this reader does not know: one byte.
 */
static uint64_t min_record_size(uint32_t kind)
{
	switch (kind) {
	case PH_FMT_KIND_META:
		return 4; /* key length, a key byte, type, value length */
	case PH_FMT_KIND_TYPES:
		return 7;
	case PH_FMT_KIND_OBJECTS:
		return 5;
	case PH_FMT_KIND_EDGES:
		return 5; /* source, address, count, one edge of tag and target */
	case PH_FMT_KIND_THREADS:
		return 5;
	case PH_FMT_KIND_ROOTS:
		return 3;
	case PH_FMT_KIND_NATIVE:
		return 4; /* id, part count, one part of kind and bytes */
	case PH_FMT_KIND_TRACEBACKS:
		return 3; /* frame count, one frame of file and line */
	case PH_FMT_KIND_SITES:
		return 2;
	default:
		return 1;
	}
}

/* Lengths, encoding and count of a chunk (from its header or its TOC entry) within limits. */
static int check_sizes(const struct ph_reader *r, const struct ph_chunk_info *ci)
{
	if (ci->raw_len > PH_FMT_CHUNK_RAW_MAX)
		return BAD(r, PH_ELIMIT,
			   "chunk at offset %llu declares %llu decoded bytes; the limit is %llu",
			   (unsigned long long)ci->offset, (unsigned long long)ci->raw_len,
			   (unsigned long long)PH_FMT_CHUNK_RAW_MAX);
	if (ci->encoding == PH_FMT_ENC_RAW) {
		if (ci->stored_len != ci->raw_len)
			return BAD(r, PH_ECORRUPT,
				   "raw chunk at offset %llu: stored length %llu != raw length %llu",
				   (unsigned long long)ci->offset, (unsigned long long)ci->stored_len,
				   (unsigned long long)ci->raw_len);
	} else if (ci->encoding == PH_FMT_ENC_ZSTD) {
		if (ci->stored_len > PH_FMT_STORED_MAX(ci->raw_len))
			return BAD(r, PH_ECORRUPT,
				   "chunk at offset %llu: stored length %llu is too large for raw length %llu",
				   (unsigned long long)ci->offset, (unsigned long long)ci->stored_len,
				   (unsigned long long)ci->raw_len);
		if (ci->raw_len > PH_FMT_RAW_FOR_STORED(ci->stored_len))
			return BAD(r, PH_ELIMIT,
				   "chunk at offset %llu: %llu stored bytes claim to decode to %llu (more than %dx): refusing a decompression bomb",
				   (unsigned long long)ci->offset, (unsigned long long)ci->stored_len,
				   (unsigned long long)ci->raw_len, PH_FMT_RATIO_MAX);
	} else {
		return BAD(r, PH_ECORRUPT, "chunk at offset %llu has unknown encoding %u",
			   (unsigned long long)ci->offset, ci->encoding);
	}
	if (ci->count > ci->raw_len / min_record_size(ci->kind)) {
		char kb[24];

		return BAD(r, PH_ECORRUPT,
			   "chunk at offset %llu: %llu records of %s cannot fit in %llu bytes (each takes %llu at least)",
			   (unsigned long long)ci->offset, (unsigned long long)ci->count,
			   ph_chunk_kind_name(ci->kind, kb), (unsigned long long)ci->raw_len,
			   (unsigned long long)min_record_size(ci->kind));
	}
	if (ci->kind == PH_FMT_KIND_TOC &&
	    (ci->encoding != PH_FMT_ENC_RAW || ci->raw_len != ci->count * PH_FMT_TOC_ENTRY_SIZE))
		return BAD(r, PH_ECORRUPT, "TOC chunk at offset %llu has a bad size or encoding",
			   (unsigned long long)ci->offset);
	return 0;
}

/* Parse and check a chunk header found at file offset off. */
static int parse_chunk_header(const struct ph_reader *r, const uint8_t *h, uint64_t off,
			      struct ph_chunk_info *ci)
{
	if (memcmp(h, PH_FMT_CHUNK_MAGIC, 4) != 0)
		return BAD(r, PH_ECORRUPT, "no chunk header at offset %llu (bad chunk magic)",
			   (unsigned long long)off);
	if (!sum_ok(ph_le64(h + 48), ph_xxh3(h, 48)))
		return BAD(r, PH_ECORRUPT, "chunk header checksum mismatch at offset %llu",
			   (unsigned long long)off);
	ci->offset = off;
	ci->kind = ph_le32(h + 4);
	ci->encoding = h[8];
	ci->stored_len = ph_le64(h + 16);
	ci->raw_len = ph_le64(h + 24);
	ci->count = ph_le64(h + 32);
	ci->checksum = ph_le64(h + 40);
	for (int i = 9; i < 16; i++)
		if (h[i])
			return BAD(r, PH_ECORRUPT, "reserved bytes of the chunk header at offset %llu are not zero",
				   (unsigned long long)off);
	return check_sizes(r, ci);
}

static int parse_toc_entry(struct ph_reader *r, const uint8_t *e, size_t i,
			   struct ph_chunk_info *ci)
{
	ci->offset = ph_le64(e);
	ci->kind = ph_le32(e + 8);
	ci->encoding = e[12];
	ci->stored_len = ph_le64(e + 16);
	ci->raw_len = ph_le64(e + 24);
	ci->count = ph_le64(e + 32);
	ci->checksum = ph_le64(e + 40);
	if (e[13] || e[14] || e[15])
		return BAD(r, PH_ECORRUPT, "TOC entry %zu: reserved bytes are not zero", i);
	if (ci->kind == PH_FMT_KIND_TOC)
		return BAD(r, PH_ECORRUPT, "TOC entry %zu lists a TOC chunk", i);
	return check_sizes(r, ci);
}

static bool same_chunk(const struct ph_chunk_info *a, const struct ph_chunk_info *b)
{
	return a->offset == b->offset && a->kind == b->kind && a->encoding == b->encoding &&
	       a->stored_len == b->stored_len && a->raw_len == b->raw_len &&
	       a->count == b->count && a->checksum == b->checksum;
}

static int check_trailer(struct ph_reader *r, const uint8_t *t, uint64_t *toc_at)
{
	if (memcmp(t + 24, PH_FMT_END_MAGIC, 8) != 0 || !sum_ok(ph_le64(t + 16), ph_xxh3(t, 16)))
		return BAD(r, PH_ETRUNCATED,
			   "no valid trailer at the end: the file is truncated or its writer did not finish");
	if (ph_le64(t + 8) != r->file_id)
		return BAD(r, PH_ECORRUPT, "trailer belongs to another file (file id mismatch)");
	*toc_at = ph_le64(t);
	return 0;
}

/* Check that chunks (whose TOC chunk starts at toc_at) are contiguous from the header on. */
static int check_layout(struct ph_reader *r, uint64_t toc_at)
{
	uint64_t at = PH_FMT_HEADER_SIZE;

	for (size_t i = 0; i < r->n_chunks; i++) {
		const struct ph_chunk_info *ci = &r->chunks[i];

		if (ci->offset != at)
			return BAD(r, PH_ECORRUPT, "TOC entry %zu: chunk at offset %llu, expected %llu", i,
				   (unsigned long long)ci->offset, (unsigned long long)at);
		if (ci->stored_len > toc_at || toc_at - ci->stored_len < at + PH_FMT_CHUNK_HEADER_SIZE ||
		    ci->offset > toc_at - PH_FMT_CHUNK_HEADER_SIZE)
			return BAD(r, PH_ECORRUPT,
				   "TOC entry %zu: chunk at offset %llu (%llu bytes) extends past the TOC at %llu",
				   i, (unsigned long long)ci->offset, (unsigned long long)ci->stored_len,
				   (unsigned long long)toc_at);
		at += PH_FMT_CHUNK_HEADER_SIZE + ci->stored_len;
	}
	if (at != toc_at)
		return BAD(r, PH_ECORRUPT, "chunks end at offset %llu but the TOC is at %llu",
			   (unsigned long long)at, (unsigned long long)toc_at);
	return 0;
}

static int add_chunk(struct ph_reader *r, const struct ph_chunk_info *ci)
{
	int err = PH_ARRAY_RESERVE(r->chunks, r->cap_chunks, r->n_chunks + 1);

	if (err)
		return err;
	r->chunks[r->n_chunks++] = *ci;
	return 0;
}

static struct ph_reader *reader_new(const char *name)
{
	struct ph_reader *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->fd = -1;
	r->name = strdup(name ? name : "dump");
	if (!r->name) {
		free(r);
		return NULL;
	}
	return r;
}

int ph_reader_open(struct ph_reader **out, const char *path)
{
	uint8_t hdr[PH_FMT_HEADER_SIZE], tr[PH_FMT_TRAILER_SIZE], ch[PH_FMT_CHUNK_HEADER_SIZE];
	struct ph_chunk_info toc;
	struct ph_reader *r;
	struct stat st;
	uint64_t toc_at;
	uint8_t *ents = NULL;
	ssize_t got;
	int err;

	*out = NULL;
	r = reader_new(path);
	if (!r)
		return ph_error(PH_ENOMEM, "cannot allocate a reader");
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0) {
		err = ph_error_errno(errno == ENOENT ? PH_ENOTFOUND : PH_EIO, errno, "cannot open %s",
				     path);
		goto out_free;
	}
	r->own_fd = true;
	if (fstat(r->fd, &st) < 0) {
		err = ph_error_errno(PH_EIO, errno, "cannot stat %s", path);
		goto out_free;
	}
	if (!S_ISREG(st.st_mode)) {
		err = ph_error(PH_EINVAL, "%s is not a regular file", path);
		goto out_free;
	}
	r->file_size = (uint64_t)st.st_size;
	do
		got = pread(r->fd, hdr, sizeof(hdr), 0);
	while (got < 0 && errno == EINTR);
	if (got < 0) {
		err = ph_error_errno(PH_EIO, errno, "cannot read %s", path);
		goto out_free;
	}
	if (got == 0) {
		err = BAD(r, PH_ENOTDUMP, "the file is empty");
		goto out_free;
	}
	err = check_header(r, hdr, (size_t)got);
	if (err)
		goto out_free;
	if (r->file_size < PH_FMT_HEADER_SIZE + PH_FMT_CHUNK_HEADER_SIZE + PH_FMT_TRAILER_SIZE) {
		err = BAD(r, PH_ETRUNCATED, "file of %llu bytes is too short to hold a dump",
			  (unsigned long long)r->file_size);
		goto out_free;
	}
	err = read_at(r, r->file_size - PH_FMT_TRAILER_SIZE, tr, sizeof(tr));
	if (!err)
		err = check_trailer(r, tr, &toc_at);
	if (err)
		goto out_free;
	if (toc_at < PH_FMT_HEADER_SIZE ||
	    toc_at > r->file_size - PH_FMT_TRAILER_SIZE - PH_FMT_CHUNK_HEADER_SIZE) {
		err = BAD(r, PH_ECORRUPT, "trailer points to a TOC at offset %llu, outside the file",
			  (unsigned long long)toc_at);
		goto out_free;
	}
	err = read_at(r, toc_at, ch, sizeof(ch));
	if (!err)
		err = parse_chunk_header(r, ch, toc_at, &toc);
	if (err)
		goto out_free;
	if (toc.kind != PH_FMT_KIND_TOC) {
		err = BAD(r, PH_ECORRUPT, "trailer points to offset %llu, which is not the TOC",
			  (unsigned long long)toc_at);
		goto out_free;
	}
	if (toc_at + PH_FMT_CHUNK_HEADER_SIZE + toc.stored_len + PH_FMT_TRAILER_SIZE != r->file_size) {
		err = BAD(r, PH_ECORRUPT, "TOC at offset %llu (%llu bytes) does not end where the trailer starts",
			  (unsigned long long)toc_at, (unsigned long long)toc.stored_len);
		goto out_free;
	}
	ents = malloc(toc.stored_len ? toc.stored_len : 1);
	if (!ents) {
		err = ph_error(PH_ENOMEM, "cannot allocate the TOC");
		goto out_free;
	}
	err = read_at(r, toc_at + PH_FMT_CHUNK_HEADER_SIZE, ents, toc.stored_len);
	if (err)
		goto out_free;
	if (!sum_ok(toc.checksum, ph_xxh3(ents, toc.stored_len))) {
		err = BAD(r, PH_ECORRUPT, "TOC checksum mismatch at offset %llu",
			  (unsigned long long)toc_at);
		goto out_free;
	}
	r->chunks = calloc(toc.count ? toc.count : 1, sizeof(*r->chunks));
	if (!r->chunks) {
		err = ph_error(PH_ENOMEM, "cannot allocate the chunk table");
		goto out_free;
	}
	r->cap_chunks = toc.count;
	for (uint64_t i = 0; i < toc.count; i++) {
		err = parse_toc_entry(r, ents + i * PH_FMT_TOC_ENTRY_SIZE, i, &r->chunks[i]);
		if (err)
			goto out_free;
		r->n_chunks++;
	}
	err = check_layout(r, toc_at);
	if (err)
		goto out_free;
	r->toc_offset = toc_at;
	free(ents);
	*out = r;
	return 0;
out_free:
	free(ents);
	ph_reader_free(r);
	return err;
}

int ph_reader_open_stream(struct ph_reader **out, int fd, const char *name)
{
	uint8_t hdr[PH_FMT_HEADER_SIZE];
	struct ph_reader *r;
	size_t got;
	int err;

	*out = NULL;
	r = reader_new(name);
	if (!r)
		return ph_error(PH_ENOMEM, "cannot allocate a reader");
	r->fd = fd;
	r->stream = true;
	err = read_stream(r, hdr, sizeof(hdr), &got);
	if (err && got == 0)
		err = BAD(r, PH_ENOTDUMP, "the stream is empty");
	else if (err && got >= 8 && memcmp(hdr, PH_FMT_MAGIC, 8) != 0)
		err = BAD(r, PH_ENOTDUMP, "not a pyheap dump (bad magic)");
	else if (!err)
		err = check_header(r, hdr, got);
	if (err) {
		ph_reader_free(r);
		return err;
	}
	*out = r;
	return 0;
}

void ph_reader_free(struct ph_reader *r)
{
	if (!r)
		return;
	if (r->own_fd && r->fd >= 0)
		close(r->fd);
	ph_chunk_buf_release(&r->buf);
	free(r->chunks);
	free(r->name);
	free(r);
}

/* ---- chunk payloads ---- */

void ph_chunk_buf_release(struct ph_chunk_buf *b)
{
	ZSTD_freeDCtx(b->zstd);
	b->zstd = NULL;
	ph_buf_release(&b->stored);
	ph_buf_release(&b->raw);
}

/* Verify the stored payload in b->stored and decode it into *data and *len. */
static int decode_payload(const struct ph_reader *r, struct ph_chunk_buf *b,
			  const struct ph_chunk_info *ci, size_t index, const uint8_t **data,
			  size_t *len)
{
	char kb[24];
	size_t n;

	if (!sum_ok(ci->checksum, ph_xxh3(b->stored.data, ci->stored_len)))
		return BAD(r, PH_ECORRUPT, "chunk %zu (%s at offset %llu): payload checksum mismatch",
			   index, ph_chunk_kind_name(ci->kind, kb), (unsigned long long)ci->offset);
	if (ci->encoding == PH_FMT_ENC_RAW) {
		*data = b->stored.data;
		*len = ci->stored_len;
		return 0;
	}
	if (!b->zstd) {
		b->zstd = ZSTD_createDCtx();
		if (!b->zstd)
			return ph_error(PH_ENOMEM, "cannot create a zstd context");
	}
	b->raw.len = 0;
	if (ph_buf_reserve(&b->raw, ci->raw_len ? ci->raw_len : 1))
		return PH_ENOMEM;
	{
		unsigned long long fcs = ZSTD_getFrameContentSize(b->stored.data, ci->stored_len);

		if (fcs == ZSTD_CONTENTSIZE_ERROR)
			return BAD(r, PH_ECORRUPT, "chunk %zu (%s at offset %llu): not a zstd frame",
				   index, ph_chunk_kind_name(ci->kind, kb),
				   (unsigned long long)ci->offset);
		if (fcs != ZSTD_CONTENTSIZE_UNKNOWN && fcs != ci->raw_len)
			return BAD(r, PH_ECORRUPT,
				   "chunk %zu (%s at offset %llu): zstd frame holds %llu bytes, the header says %llu",
				   index, ph_chunk_kind_name(ci->kind, kb),
				   (unsigned long long)ci->offset, fcs, (unsigned long long)ci->raw_len);
	}
	n = ZSTD_decompressDCtx(b->zstd, b->raw.data, ci->raw_len, b->stored.data, ci->stored_len);
	if (ZSTD_isError(n))
		return BAD(r, PH_ECORRUPT, "chunk %zu (%s at offset %llu): zstd: %s", index,
			   ph_chunk_kind_name(ci->kind, kb), (unsigned long long)ci->offset,
			   ZSTD_getErrorName(n));
	if (n != ci->raw_len)
		return BAD(r, PH_ECORRUPT,
			   "chunk %zu (%s at offset %llu): decodes to %zu bytes, the header says %llu",
			   index, ph_chunk_kind_name(ci->kind, kb), (unsigned long long)ci->offset, n,
			   (unsigned long long)ci->raw_len);
	*data = b->raw.data;
	*len = n;
	return 0;
}

int ph_reader_load(struct ph_reader *r, size_t i, const uint8_t **data, size_t *len)
{
	return ph_reader_load_buf(r, i, &r->buf, data, len);
}

int ph_reader_load_buf(const struct ph_reader *r, size_t i, struct ph_chunk_buf *b,
		       const uint8_t **data, size_t *len)
{
	uint8_t h[PH_FMT_CHUNK_HEADER_SIZE];
	struct ph_chunk_info ci;
	char kb[24];
	int err;

	if (r->stream || i >= r->n_chunks)
		return ph_error(PH_EINVAL, "no chunk %zu", i);
	err = read_at(r, r->chunks[i].offset, h, sizeof(h));
	if (!err)
		err = parse_chunk_header(r, h, r->chunks[i].offset, &ci);
	if (err)
		return err;
	if (!same_chunk(&ci, &r->chunks[i]))
		return BAD(r, PH_ECORRUPT, "chunk %zu (%s at offset %llu) differs from its TOC entry", i,
			   ph_chunk_kind_name(r->chunks[i].kind, kb),
			   (unsigned long long)r->chunks[i].offset);
	if (ci.kind == PH_FMT_KIND_TOC)
		return BAD(r, PH_ECORRUPT, "chunk %zu is a second TOC", i);
	b->stored.len = 0;
	if (ph_buf_reserve(&b->stored, ci.stored_len ? ci.stored_len : 1))
		return PH_ENOMEM;
	err = read_at(r, ci.offset + PH_FMT_CHUNK_HEADER_SIZE, b->stored.data, ci.stored_len);
	if (err)
		return err;
	return decode_payload(r, b, &ci, i, data, len);
}

static int stream_finish(struct ph_reader *r, const struct ph_chunk_info *toc)
{
	uint8_t tr[PH_FMT_TRAILER_SIZE], extra;
	const uint8_t *ents = r->buf.stored.data;
	uint64_t toc_at;
	size_t got;
	int err;

	if (toc->count != r->n_chunks)
		return BAD(r, PH_ECORRUPT, "TOC lists %llu chunks, the stream had %zu",
			   (unsigned long long)toc->count, r->n_chunks);
	for (size_t i = 0; i < r->n_chunks; i++) {
		struct ph_chunk_info e;

		err = parse_toc_entry(r, ents + i * PH_FMT_TOC_ENTRY_SIZE, i, &e);
		if (err)
			return err;
		if (!same_chunk(&e, &r->chunks[i]))
			return BAD(r, PH_ECORRUPT, "TOC entry %zu differs from the chunk at offset %llu",
				   i, (unsigned long long)r->chunks[i].offset);
	}
	err = read_stream(r, tr, sizeof(tr), NULL);
	if (!err)
		err = check_trailer(r, tr, &toc_at);
	if (err)
		return err;
	if (toc_at != toc->offset)
		return BAD(r, PH_ECORRUPT, "trailer points to offset %llu, the TOC is at %llu",
			   (unsigned long long)toc_at, (unsigned long long)toc->offset);
	err = read_stream(r, &extra, 1, &got);
	if (got)
		return BAD(r, PH_ECORRUPT, "data after the trailer at offset %llu",
			   (unsigned long long)(r->pos - 1));
	r->file_size = r->pos;
	r->toc_offset = toc_at;
	r->stream_done = true;
	ph_error_clear();
	return 0;
}

int ph_reader_next(struct ph_reader *r, struct ph_chunk_info *info, const uint8_t **data,
		   size_t *len)
{
	uint8_t h[PH_FMT_CHUNK_HEADER_SIZE];
	uint64_t at = r->pos;
	int err;

	if (!r->stream)
		return ph_error(PH_EINVAL, "not a stream reader");
	if (r->stream_done)
		return 0;
	err = read_stream(r, h, sizeof(h), NULL);
	if (!err)
		err = parse_chunk_header(r, h, at, info);
	if (err)
		return err;
	r->buf.stored.len = 0;
	if (ph_buf_reserve(&r->buf.stored, info->stored_len ? info->stored_len : 1))
		return PH_ENOMEM;
	err = read_stream(r, r->buf.stored.data, info->stored_len, NULL);
	if (err)
		return err;
	if (info->kind == PH_FMT_KIND_TOC) {
		if (!sum_ok(info->checksum, ph_xxh3(r->buf.stored.data, info->stored_len)))
			return BAD(r, PH_ECORRUPT, "TOC checksum mismatch at offset %llu",
				   (unsigned long long)at);
		return stream_finish(r, info);
	}
	err = decode_payload(r, &r->buf, info, r->n_chunks, data, len);
	if (err)
		return err;
	err = add_chunk(r, info);
	return err ? err : 1;
}

/* ---- record decoding ---- */

void ph_cursor_where(const struct ph_cursor *c, char *buf, size_t n)
{
	char kb[24];

	snprintf(buf, n, "chunk %zu (%s at offset %llu), record %llu", c->chunk_index,
		 ph_chunk_kind_name(c->chunk.kind, kb), (unsigned long long)c->chunk.offset,
		 (unsigned long long)c->record);
}

void ph_cursor_init(struct ph_cursor *c, const struct ph_chunk_info *ci, size_t index,
		    const uint8_t *data, size_t len)
{
	c->start = c->p = data;
	c->end = data + len;
	c->chunk = *ci;
	c->chunk_index = index;
	c->record = 0;
	c->prev_addr = 0;
	c->prev_id = 0;
	c->edges_left = 0;
	c->src_addr = 0;
}

void ph_cursor_release(struct ph_cursor *c)
{
	free(c->frames);
	free(c->locals);
	free(c->sframes);
	c->frames = NULL;
	c->locals = NULL;
	c->sframes = NULL;
	c->frames_cap = c->locals_cap = c->sframes_cap = 0;
}

static int cursor_vcorrupt(const struct ph_cursor *c, int line, const char *fmt, va_list ap)
{
	char msg[384], kb[24];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	return ph_error(PH_ECORRUPT,
			"chunk %zu (%s at offset %llu), record %llu, byte %zu of its payload: %s [reader.c:%d]",
			c->chunk_index, ph_chunk_kind_name(c->chunk.kind, kb),
			(unsigned long long)c->chunk.offset, (unsigned long long)c->record,
			(size_t)(c->p - c->start), msg, line);
}

int ph_cursor_corrupt(const struct ph_cursor *c, int line, const char *fmt, ...)
{
	va_list ap;
	int err;

	va_start(ap, fmt);
	err = cursor_vcorrupt(c, line, fmt, ap);
	va_end(ap);
	return err;
}

#define CORRUPT(c, ...) ph_cursor_corrupt((c), __LINE__, __VA_ARGS__)

static int get_v(struct ph_cursor *c, uint64_t *v, const char *what, int line)
{
	int k;

	*v = 0;
	k = ph_varint_decode(&c->p, c->end, v);
	if (k == 0)
		return 0;
	return ph_cursor_corrupt(c, line, "%s: %s", what,
				 k == -1 ? "record runs past the end of the chunk"
					 : "malformed varint (longer than 64 bits)");
}

static int get_s(struct ph_cursor *c, int64_t *v, const char *what, int line)
{
	uint64_t u;
	int err = get_v(c, &u, what, line);

	if (!err)
		*v = ph_unzigzag(u);
	return err;
}

static int get_u8(struct ph_cursor *c, uint8_t *v, const char *what, int line)
{
	*v = 0;
	if (c->p >= c->end)
		return ph_cursor_corrupt(c, line, "%s: record runs past the end of the chunk", what);
	*v = *c->p++;
	return 0;
}

static int get_bytes(struct ph_cursor *c, const uint8_t **s, uint64_t *len, const char *what,
		     int line)
{
	int err = get_v(c, len, what, line);

	if (err)
		return err;
	if (*len > (uint64_t)(c->end - c->p))
		return ph_cursor_corrupt(c, line, "%s: length %llu runs past the end of the chunk",
					 what, (unsigned long long)*len);
	*s = c->p;
	c->p += *len;
	return 0;
}

#define V(c, out, what) get_v((c), (out), (what), __LINE__)
#define S(c, out, what) get_s((c), (out), (what), __LINE__)
#define U8(c, out, what) get_u8((c), (out), (what), __LINE__)
#define BYTES(c, s, len, what) get_bytes((c), (s), (len), (what), __LINE__)

static int begin_record(struct ph_cursor *c, uint32_t kind)
{
	if (c->chunk.kind != kind)
		return ph_error(PH_EINVAL, "decoding a record of the wrong kind");
	if (c->edges_left)
		return CORRUPT(c, "%llu edges of the previous record not read",
			       (unsigned long long)c->edges_left);
	if (c->record >= c->chunk.count)
		return CORRUPT(c, "more records read than the chunk's count %llu",
			       (unsigned long long)c->chunk.count);
	return 0;
}

int ph_cursor_finish(struct ph_cursor *c)
{
	if (c->edges_left)
		return CORRUPT(c, "chunk ends inside an edge list");
	if (c->record != c->chunk.count)
		return CORRUPT(c, "chunk holds %llu records, its header says %llu",
			       (unsigned long long)c->record, (unsigned long long)c->chunk.count);
	if (c->p != c->end)
		return CORRUPT(c, "%zu bytes left over after the last record",
			       (size_t)(c->end - c->p));
	return 0;
}

int ph_read_meta(struct ph_cursor *c, struct ph_meta_rec *m)
{
	int err = begin_record(c, PH_FMT_KIND_META);

	if (err || (err = BYTES(c, &m->key, &m->key_len, "metadata key")) ||
	    (err = U8(c, &m->type, "metadata type")) ||
	    (err = BYTES(c, &m->value, &m->value_len, "metadata value")))
		return err;
	if (!m->key_len)
		return CORRUPT(c, "empty metadata key");
	m->i = 0;
	m->u = 0;
	m->f = 0;
	switch (m->type) {
	case PH_FMT_META_INT:
	case PH_FMT_META_UINT: {
		const uint8_t *q = m->value;

		if (ph_varint_decode(&q, m->value + m->value_len, &m->u) ||
		    q != m->value + m->value_len)
			return CORRUPT(c, "metadata '%.*s': bad integer", (int)m->key_len, m->key);
		m->i = ph_unzigzag(m->u);
		if (m->type == PH_FMT_META_INT)
			m->u = (uint64_t)m->i;
		break;
	}
	case PH_FMT_META_FLOAT:
		if (m->value_len != 8)
			return CORRUPT(c, "metadata '%.*s': float of %llu bytes", (int)m->key_len,
				       m->key, (unsigned long long)m->value_len);
		memcpy(&m->f, m->value, 8);
		break;
	case PH_FMT_META_BOOL:
		if (m->value_len != 1 || m->value[0] > 1)
			return CORRUPT(c, "metadata '%.*s': bad boolean", (int)m->key_len, m->key);
		m->u = m->value[0];
		break;
	case PH_FMT_META_STRLIST: {
		uint64_t pos = 0, len;
		const uint8_t *s;
		int k;

		while ((k = ph_meta_strlist_next(m, &pos, &s, &len)) == 1)
			;
		if (k < 0)
			return CORRUPT(c, "metadata '%.*s': bad string list", (int)m->key_len, m->key);
		break;
	}
	default: /* strings, and types of newer minor versions: kept as bytes */
		break;
	}
	c->record++;
	return 0;
}

int ph_meta_strlist_next(const struct ph_meta_rec *m, uint64_t *pos, const uint8_t **s,
			 uint64_t *len)
{
	const uint8_t *q = m->value + *pos, *end = m->value + m->value_len;

	if (q >= end)
		return 0;
	if (ph_varint_decode(&q, end, len) || *len > (uint64_t)(end - q))
		return PH_ECORRUPT;
	*s = q;
	*pos = (uint64_t)(q - m->value) + *len;
	return 1;
}

int ph_read_string(struct ph_cursor *c, const uint8_t **s, uint64_t *len)
{
	int err = begin_record(c, PH_FMT_KIND_STRINGS);

	if (err || (err = BYTES(c, s, len, "string")))
		return err;
	c->record++;
	return 0;
}

int ph_read_type(struct ph_cursor *c, struct ph_type_rec *t)
{
	int err = begin_record(c, PH_FMT_KIND_TYPES);

	if (err || (err = V(c, &t->address, "type address")) ||
	    (err = V(c, &t->module, "type module")) ||
	    (err = V(c, &t->qualname, "type qualname")) || (err = V(c, &t->base, "type base")) ||
	    (err = V(c, &t->basicsize, "type basicsize")) ||
	    (err = V(c, &t->itemsize, "type itemsize")) || (err = V(c, &t->flags, "type flags")))
		return err;
	if (!t->address)
		return CORRUPT(c, "type at address 0");
	c->record++;
	return 0;
}

static int read_value(struct ph_cursor *c, struct ph_value *v)
{
	int err;

	memset(v, 0, sizeof(*v));
	if ((err = U8(c, &v->kind, "value kind")) || (err = U8(c, &v->flags, "value flags")))
		return err;
	switch (v->kind) {
	case PH_FMT_VAL_STR:
	case PH_FMT_VAL_BYTES:
		if ((err = V(c, &v->length, "value length")))
			return err;
		/* fall through */
	case PH_FMT_VAL_TEXT:
		return BYTES(c, &v->data, &v->data_len, "value bytes");
	case PH_FMT_VAL_INT:
		return S(c, &v->i, "int value");
	case PH_FMT_VAL_BIGINT:
		if ((err = U8(c, &v->sign, "big int sign")))
			return err;
		if (v->sign > 1)
			return CORRUPT(c, "big int sign %u", v->sign);
		if ((err = V(c, &v->length, "big int bit length")))
			return err;
		return BYTES(c, &v->data, &v->data_len, "big int magnitude");
	case PH_FMT_VAL_FLOAT:
		if (c->end - c->p < 8)
			return CORRUPT(c, "float value runs past the end of the chunk");
		memcpy(&v->f, c->p, 8);
		c->p += 8;
		return 0;
	case PH_FMT_VAL_BOOL: {
		uint8_t b = 0;

		if ((err = U8(c, &b, "bool value")))
			return err;
		if (b > 1)
			return CORRUPT(c, "bool value %u", b);
		v->b = b;
		return 0;
	}
	case PH_FMT_VAL_NONE:
		return 0;
	default:
		return CORRUPT(c, "unknown value kind %u", v->kind);
	}
}

int ph_read_object(struct ph_cursor *c, struct ph_object_rec *o)
{
	int64_t delta;
	int err = begin_record(c, PH_FMT_KIND_OBJECTS);

	if (err || (err = S(c, &delta, "object address")) || (err = V(c, &o->type, "object type")) ||
	    (err = V(c, &o->size, "object size")) || (err = V(c, &o->refcount, "object refcount")) ||
	    (err = U8(c, &o->flags, "object flags")))
		return err;
	o->address = c->prev_addr + (uint64_t)delta;
	if (!o->address)
		return CORRUPT(c, "object at address 0");
	c->prev_addr = o->address;
	if (o->flags & PH_FMT_OBJ_VALUE) {
		err = read_value(c, &o->value);
		if (err)
			return err;
	} else {
		memset(&o->value, 0, sizeof(o->value));
	}
	c->record++;
	return 0;
}

int ph_read_edges(struct ph_cursor *c, uint64_t *src_id, uint64_t *src_addr, uint64_t *n)
{
	uint64_t d;
	int64_t ad;
	int err = begin_record(c, PH_FMT_KIND_EDGES);

	if (err || (err = V(c, &d, "edge source")) || (err = S(c, &ad, "edge source address")) ||
	    (err = V(c, n, "edge count")))
		return err;
	if (d > UINT64_MAX - c->prev_id)
		return CORRUPT(c, "edge source id overflows");
	*src_id = c->prev_id + d;
	*src_addr = c->prev_addr + (uint64_t)ad;
	if (*n == 0)
		return CORRUPT(c, "edge record with no edges");
	if (*n > (uint64_t)(c->end - c->p) / 2)
		return CORRUPT(c, "%llu edges cannot fit in the %zu bytes left", (unsigned long long)*n,
			       (size_t)(c->end - c->p));
	c->prev_id = *src_id;
	c->prev_addr = *src_addr;
	c->src_addr = *src_addr;
	c->edges_left = *n;
	c->record++;
	return 0;
}

int ph_read_edge(struct ph_cursor *c, struct ph_edge_rec *e)
{
	uint8_t tag = 0;
	int64_t d = 0;
	int err = 0;

	if (!c->edges_left)
		return ph_error(PH_EINVAL, "no edge left to read");
	if ((err = U8(c, &tag, "edge tag")))
		return err;
	if (tag & ~PH_FMT_EDGE_KNOWN)
		return CORRUPT(c, "edge tag 0x%02x has reserved bits set", tag);
	e->kind = tag & PH_FMT_LABEL_MASK;
	e->flags = tag & PH_FMT_EDGE_WEAK;
	e->label = 0;
	switch (e->kind) {
	case PH_FMT_LABEL_NONE:
	case PH_FMT_LABEL_KEYREF:
		break;
	case PH_FMT_LABEL_INDEX:
	case PH_FMT_LABEL_FIELD:
	case PH_FMT_LABEL_INTERNAL:
		err = V(c, &e->label, "edge label");
		break;
	case PH_FMT_LABEL_ATTR:
	case PH_FMT_LABEL_KEY:
	case PH_FMT_LABEL_ENTRY:
		err = S(c, &d, "edge label address");
		e->label = c->src_addr + (uint64_t)d;
		break;
	default:
		return CORRUPT(c, "unknown edge label kind %u", e->kind);
	}
	if (err || (err = S(c, &d, "edge target")))
		return err;
	e->target = c->src_addr + (uint64_t)d;
	c->edges_left--;
	return 0;
}

int ph_read_thread(struct ph_cursor *c, struct ph_thread_rec *t)
{
	uint64_t total_locals = 0;
	size_t left;
	int err = begin_record(c, PH_FMT_KIND_THREADS);

	if (err || (err = V(c, &t->ident, "thread ident")) ||
	    (err = V(c, &t->native_id, "thread native id")) ||
	    (err = V(c, &t->name, "thread name")) || (err = U8(c, &t->flags, "thread flags")) ||
	    (err = V(c, &t->n_frames, "frame count")))
		return err;
	left = (size_t)(c->end - c->p);
	if (t->n_frames > left / 6) /* a frame takes at least 6 bytes */
		return CORRUPT(c, "%llu frames cannot fit in the %zu bytes left",
			       (unsigned long long)t->n_frames, left);
	if ((err = PH_ARRAY_RESERVE(c->frames, c->frames_cap, t->n_frames ? t->n_frames : 1)))
		return err;
	for (uint64_t i = 0; i < t->n_frames; i++) {
		struct ph_frame_rec *f = &c->frames[i];

		if ((err = V(c, &f->function, "frame function")) ||
		    (err = V(c, &f->filename, "frame file")) || (err = V(c, &f->line, "frame line")) ||
		    (err = V(c, &f->code, "frame code")) ||
		    (err = V(c, &f->frame, "frame object")) ||
		    (err = V(c, &f->n_locals, "locals count")))
			return err;
		left = (size_t)(c->end - c->p);
		if (f->n_locals > left / 2)
			return CORRUPT(c, "%llu locals cannot fit in the %zu bytes left",
				       (unsigned long long)f->n_locals, left);
		if ((err = PH_ARRAY_RESERVE(c->locals, c->locals_cap, total_locals + f->n_locals + 1)))
			return err;
		for (uint64_t j = 0; j < f->n_locals; j++) {
			struct ph_local_rec *l = &c->locals[total_locals + j];

			if ((err = V(c, &l->name, "local name")) ||
			    (err = V(c, &l->address, "local address")))
				return err;
			if (!l->address)
				return CORRUPT(c, "local at address 0");
		}
		/* store the offset now, turn it into a pointer once locals stop moving */
		f->locals = (const struct ph_local_rec *)(uintptr_t)total_locals;
		total_locals += f->n_locals;
	}
	for (uint64_t i = 0; i < t->n_frames; i++)
		c->frames[i].locals = c->locals + (uintptr_t)c->frames[i].locals;
	t->frames = c->frames;
	c->record++;
	return 0;
}

int ph_read_root(struct ph_cursor *c, struct ph_root_rec *r)
{
	int err = begin_record(c, PH_FMT_KIND_ROOTS);

	if (err || (err = U8(c, &r->kind, "root kind")) || (err = V(c, &r->label, "root label")) ||
	    (err = V(c, &r->address, "root address")))
		return err;
	if (!r->address)
		return CORRUPT(c, "root at address 0");
	if (r->kind < PH_FMT_ROOT_MODULES || r->kind > PH_FMT_ROOT_OTHER)
		r->kind = PH_FMT_ROOT_OTHER;
	c->record++;
	return 0;
}

int ph_read_traceback(struct ph_cursor *c, struct ph_traceback_rec *t)
{
	int err = begin_record(c, PH_FMT_KIND_TRACEBACKS);

	if (err || (err = V(c, &t->n_frames, "traceback frame count")))
		return err;
	if (!t->n_frames)
		return CORRUPT(c, "traceback with no frame");
	if (t->n_frames > (uint64_t)(c->end - c->p) / 2)
		return CORRUPT(c, "%llu frames cannot fit in the %zu bytes left",
			       (unsigned long long)t->n_frames, (size_t)(c->end - c->p));
	if ((err = PH_ARRAY_RESERVE(c->sframes, c->sframes_cap, t->n_frames)))
		return err;
	for (uint64_t i = 0; i < t->n_frames; i++)
		if ((err = V(c, &c->sframes[i].filename, "traceback file")) ||
		    (err = V(c, &c->sframes[i].line, "traceback line")))
			return err;
	t->frames = c->sframes;
	c->record++;
	return 0;
}

int ph_read_site(struct ph_cursor *c, struct ph_site_rec *s)
{
	uint64_t d;
	int err = begin_record(c, PH_FMT_KIND_SITES);

	if (err || (err = V(c, &d, "site object")) || (err = V(c, &s->traceback, "site traceback")))
		return err;
	if (c->record && !d)
		return CORRUPT(c, "two sites for object %llu", (unsigned long long)c->prev_id);
	if (d > UINT64_MAX - c->prev_id)
		return CORRUPT(c, "site object id overflows");
	s->object = c->prev_id + d;
	c->prev_id = s->object;
	c->record++;
	return 0;
}

int ph_read_native(struct ph_cursor *c, struct ph_native_rec *n)
{
	uint64_t d, count;
	int err = begin_record(c, PH_FMT_KIND_NATIVE);

	if (err || (err = V(c, &d, "native object id")) || (err = V(c, &count, "native part count")))
		return err;
	if (c->record && d == 0)
		return CORRUPT(c, "native record for object id %llu again",
			       (unsigned long long)c->prev_id);
	if (d > UINT64_MAX - c->prev_id)
		return CORRUPT(c, "native object id overflows");
	n->id = c->prev_id + d;
	if (count == 0 || count > PH_NATIVE_PARTS_MAX)
		return CORRUPT(c, "native record with %llu parts (1 to %d)", (unsigned long long)count,
			       PH_NATIVE_PARTS_MAX);
	n->n_parts = (uint32_t)count;
	n->total = 0;
	for (uint32_t i = 0; i < n->n_parts; i++) {
		struct ph_native_part *p = &n->parts[i];

		if ((err = U8(c, &p->what, "native part kind")) ||
		    (err = V(c, &p->bytes, "native part bytes")))
			return err;
		if (p->what == 0 || (i && p->what <= n->parts[i - 1].what))
			return CORRUPT(c, "native part kind %u after %u: kinds must increase from 1",
				       p->what, i ? n->parts[i - 1].what : 0);
		if (p->bytes > UINT64_MAX - n->total)
			return CORRUPT(c, "native parts of object id %llu add up to 2^64 bytes or more",
				       (unsigned long long)n->id);
		n->total += p->bytes;
	}
	c->prev_id = n->id;
	c->record++;
	return 0;
}

int ph_read_all(struct ph_cursor *c, uint64_t *objects, uint64_t *edges)
{
	uint64_t no = 0, ne = 0;
	int err = 0;

	while (!err && ph_cursor_more(c)) {
		switch (c->chunk.kind) {
		case PH_FMT_KIND_META: {
			struct ph_meta_rec m;

			err = ph_read_meta(c, &m);
			break;
		}
		case PH_FMT_KIND_STRINGS: {
			const uint8_t *s;
			uint64_t n;

			err = ph_read_string(c, &s, &n);
			break;
		}
		case PH_FMT_KIND_TYPES: {
			struct ph_type_rec t;

			err = ph_read_type(c, &t);
			break;
		}
		case PH_FMT_KIND_OBJECTS: {
			struct ph_object_rec o;

			err = ph_read_object(c, &o);
			no++;
			break;
		}
		case PH_FMT_KIND_EDGES: {
			uint64_t src, addr, n;
			struct ph_edge_rec e;

			err = ph_read_edges(c, &src, &addr, &n);
			for (uint64_t i = 0; !err && i < n; i++)
				err = ph_read_edge(c, &e);
			ne += n;
			break;
		}
		case PH_FMT_KIND_THREADS: {
			struct ph_thread_rec t;

			err = ph_read_thread(c, &t);
			break;
		}
		case PH_FMT_KIND_ROOTS: {
			struct ph_root_rec r;

			err = ph_read_root(c, &r);
			break;
		}
		case PH_FMT_KIND_NATIVE: {
			struct ph_native_rec n;

			err = ph_read_native(c, &n);
			break;
		}
		case PH_FMT_KIND_TRACEBACKS: {
			struct ph_traceback_rec t;

			err = ph_read_traceback(c, &t);
			break;
		}
		case PH_FMT_KIND_SITES: {
			struct ph_site_rec s;

			err = ph_read_site(c, &s);
			break;
		}
		default:
			return 0;
		}
	}
	if (objects)
		*objects += no;
	if (edges)
		*edges += ne;
	return err ? err : ph_cursor_finish(c);
}
