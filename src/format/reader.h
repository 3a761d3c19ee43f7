/* SPDX-License-Identifier: MIT */
/*
 * reader.h - validating reader of .pyheap files.
 *
 * Two ways in:
 *  - ph_reader_open(): a seekable file. The header, trailer and table of
 *    contents are read and checked up front (every chunk lies inside the
 *    file, chunks are contiguous); ph_reader_load() then reads any chunk,
 *    checks its header against the TOC and its checksum, and decodes it.
 *  - ph_reader_open_stream(): a pipe or any fd read front to back.
 *    ph_reader_next() returns chunk after chunk and, at the TOC, checks the
 *    TOC and trailer against what it saw.
 *
 * Every byte is treated as hostile: a length, count or offset is checked
 * before it is used (a chunk's record count against its raw length over the
 * smallest record of its kind); no allocation is larger than one chunk
 * (64 MiB) or than the file; errors are PH_ENOTDUMP, PH_EVERSION, PH_ETRUNCATED or
 * PH_ECORRUPT with a detail naming the chunk, file offset and record, plus
 * the reader's source line where the problem was first seen.
 *
 * Records are decoded with a struct ph_cursor over a loaded chunk. Pointers
 * in decoded records point into the reader's chunk buffer (or the cursor's
 * scratch arrays) and stay valid until the next load/next call (or the next
 * record read on the same cursor, for thread records).
 *
 * Ownership: ph_reader_free() frees the reader and closes the fd it opened
 * (an fd given to ph_reader_open_stream() is borrowed and left open).
 */
#ifndef PH_READER_H
#define PH_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "format/records.h"

struct ph_chunk_info {
	uint64_t offset; /* of the chunk header in the file */
	uint32_t kind;
	uint8_t encoding;
	uint64_t stored_len;
	uint64_t raw_len;
	uint64_t count;
	uint64_t checksum;
};

/* Buffers for loading chunks: one per thread that loads chunks. */
struct ph_chunk_buf {
	struct ph_buf stored; /* a chunk's stored payload */
	struct ph_buf raw;    /* its decoded payload (when compressed) */
	void *zstd;           /* ZSTD_DCtx, created on first use */
};

void ph_chunk_buf_release(struct ph_chunk_buf *b);

struct ph_reader {
	int fd;
	bool own_fd;
	bool stream;
	bool stream_done;
	char *name; /* for messages */
	uint64_t file_size;   /* 0 for a stream until its end */
	uint64_t pos;         /* stream: bytes consumed */
	uint64_t file_id;
	uint16_t major, minor;
	uint64_t toc_offset;
	struct ph_chunk_info *chunks;
	size_t n_chunks, cap_chunks;
	struct ph_chunk_buf buf; /* used by ph_reader_load and ph_reader_next */
};

/* Open a dump file by path. *out is set on success; caller frees it. */
int ph_reader_open(struct ph_reader **out, const char *path);

/* Read a dump front to back from fd (borrowed). The file header is read now. */
int ph_reader_open_stream(struct ph_reader **out, int fd, const char *name);

void ph_reader_free(struct ph_reader *r);

/* Seekable mode: load and decode chunk i; *data and *len receive the raw payload. */
int ph_reader_load(struct ph_reader *r, size_t i, const uint8_t **data, size_t *len);

/*
 * The same into the caller's buffers: several threads may load chunks of one
 * reader at once, each with its own ph_chunk_buf (the data stays valid until
 * that buffer's next load).
 */
int ph_reader_load_buf(const struct ph_reader *r, size_t i, struct ph_chunk_buf *b,
		       const uint8_t **data, size_t *len);

/*
 * Stream mode: read the next chunk into *info and its raw payload into
 * *data and *len. Returns 1 when a chunk was read, 0 when the TOC and trailer were
 * read and checked (end of file), or a negative error.
 */
int ph_reader_next(struct ph_reader *r, struct ph_chunk_info *info, const uint8_t **data,
		   size_t *len);

/* Name of a chunk kind ("OBJECTS", or "kind 42"); the buffer form is for unknown kinds. */
const char *ph_chunk_kind_name(uint32_t kind, char buf[24]);

/* ---- record decoding ---- */

struct ph_cursor {
	const uint8_t *start, *p, *end;
	struct ph_chunk_info chunk;
	size_t chunk_index;
	uint64_t record; /* records decoded so far in this chunk */
	uint64_t prev_addr, prev_id;
	struct ph_frame_rec *frames;
	size_t frames_cap;
	struct ph_local_rec *locals;
	size_t locals_cap;
	struct ph_site_frame *sframes; /* TRACEBACKS */
	size_t sframes_cap;
	uint64_t edges_left; /* EDGES: edges of the current record not yet read */
	uint64_t src_addr;
};

/* Start decoding a loaded chunk. The cursor's scratch arrays persist across init calls. */
void ph_cursor_init(struct ph_cursor *c, const struct ph_chunk_info *ci, size_t index,
		    const uint8_t *data, size_t len);

/* "chunk 3 (OBJECTS at offset 1234), record 56": where the cursor is, for messages. */
void ph_cursor_where(const struct ph_cursor *c, char *buf, size_t n);

/* True when all records of the chunk have been read. */
static inline bool ph_cursor_more(const struct ph_cursor *c)
{
	return c->record < c->chunk.count;
}

/* Check that the chunk held exactly its record count and nothing more. */
int ph_cursor_finish(struct ph_cursor *c);

void ph_cursor_release(struct ph_cursor *c);

int ph_read_meta(struct ph_cursor *c, struct ph_meta_rec *m);
int ph_read_string(struct ph_cursor *c, const uint8_t **s, uint64_t *len);
int ph_read_type(struct ph_cursor *c, struct ph_type_rec *t);
int ph_read_object(struct ph_cursor *c, struct ph_object_rec *o);
/* An EDGES record: its source id and address and how many edges follow (read them with ph_read_edge). */
int ph_read_edges(struct ph_cursor *c, uint64_t *src_id, uint64_t *src_addr, uint64_t *n);
int ph_read_edge(struct ph_cursor *c, struct ph_edge_rec *e);
int ph_read_thread(struct ph_cursor *c, struct ph_thread_rec *t);
int ph_read_root(struct ph_cursor *c, struct ph_root_rec *r);
int ph_read_traceback(struct ph_cursor *c, struct ph_traceback_rec *t);
int ph_read_site(struct ph_cursor *c, struct ph_site_rec *s);
/*
 * A NATIVE record (1.1): its object id (the chunk's ids strictly increase),
 * its parts (kinds strictly increase from 1) and their total, checked not to
 * wrap. The id is not checked against the objects: ph_xref_native() does.
 */
int ph_read_native(struct ph_cursor *c, struct ph_native_rec *n);

/*
 * Decode every record of the cursor's chunk (known kinds; other kinds are
 * skipped) and check that the chunk ends with its last record. *objects and
 * *edges (may be NULL) are increased by what was read.
 */
int ph_read_all(struct ph_cursor *c, uint64_t *objects, uint64_t *edges);

/*
 * Record a corruption found by a caller while interpreting a record of the
 * cursor's chunk (a cross-reference that does not resolve, say). Returns
 * PH_ECORRUPT.
 */
int ph_cursor_corrupt(const struct ph_cursor *c, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Iterate a STRLIST metadata value: returns 1 and the next item, 0 at the end, or error. */
int ph_meta_strlist_next(const struct ph_meta_rec *m, uint64_t *pos, const uint8_t **s,
			 uint64_t *len);

#endif
