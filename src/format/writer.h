/* SPDX-License-Identifier: MIT */
/*
 * writer.h - streaming writer of .pyheap files.
 *
 * The writer emits the file front to back and never seeks, so its sink may be
 * a pipe. Records are buffered per section kind and written as a chunk when a
 * buffer reaches opts.chunk_size; close() flushes everything and writes the
 * table of contents and the trailer.
 *
 * It is linked into the agent, which runs inside the dumped process: it uses
 * libc only (malloc, write), creates no Python objects, and never aborts. The
 * memory it holds is one buffer per section kind (about opts.chunk_size
 * each), the table of contents (48 bytes a chunk) and the deduplicated
 * strings. Compression is a plug-in (struct ph_codec) so that the agent can
 * write raw chunks and leave zstd to the dumper.
 *
 * Ownership: the writer owns its buffers; ph_writer_release() frees them
 * (after close, or instead of it to abandon a file). Record arguments are
 * borrowed for the duration of the call. The sink is borrowed: the writer
 * never closes the fd.
 *
 * Errors: every function returns 0 or a negative PH_E* code with a detail
 * (ph_error_detail()). After an error the writer is unusable except for
 * release().
 */
#ifndef PH_WRITER_H
#define PH_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addrmap.h"
#include "common/buf.h"
#include "format/records.h"

/* A chunk compressor. */
struct ph_codec {
	uint8_t encoding; /* PH_FMT_ENC_* written in the chunk header */
	/* Largest output for n input bytes. */
	size_t (*bound)(void *ctx, size_t n);
	/* Compress src[0..n) into dst (cap bytes); *out = bytes written. 0 or error. */
	int (*compress)(void *ctx, const uint8_t *src, size_t n, uint8_t *dst, size_t cap,
			size_t *out);
	void *ctx;
};

/* Where bytes go. write() must write all n bytes or fail. 0 or error. */
struct ph_sink {
	int (*write)(void *ctx, const void *p, size_t n);
	void *ctx;
};

struct ph_writer_opts {
	const struct ph_codec *codec; /* NULL: raw chunks */
	size_t chunk_size;            /* raw bytes per chunk; 0: 1 MiB */
	uint64_t file_id;             /* 0: random */
};

enum { PH_WRITER_NSECT = 11 }; /* section buffers, indexed by PH_FMT_KIND_* (1..10) */

struct ph_writer_section {
	struct ph_buf buf;
	uint64_t count;   /* records in buf */
	uint64_t total;   /* records written to this section so far, buf included */
	uint64_t prev_addr; /* delta base inside the current chunk */
	uint64_t prev_id;   /* EDGES: previous source id in the chunk */
	bool has_prev;
};

struct ph_writer {
	struct ph_sink sink;
	struct ph_writer_opts opts;
	uint64_t offset; /* bytes written so far */
	struct ph_writer_section sect[PH_WRITER_NSECT];
	struct ph_buf toc;
	struct ph_buf scratch; /* compression output */
	/* string deduplication: hash of text -> sref, texts kept in an arena */
	struct ph_strtab {
		struct ph_strtab_slot {
			uint64_t hash;
			uint64_t sref; /* 0 = empty */
			uint64_t off;  /* into arena */
			uint64_t len;
		} *slots;
		size_t mask;
		size_t count;
		struct ph_buf arena;
	} strtab;
	/* the object whose edges are being collected */
	bool have_object;
	uint64_t cur_id;
	uint64_t cur_addr;
	uint64_t cur_nedges;
	struct ph_buf cur_edges;
	uint64_t n_edges; /* edges written in all */
	uint64_t native_last; /* id of the last NATIVE record */
	bool failed;
	bool closed;
};

/* A sink that writes to fd (retrying short writes and EINTR). */
void ph_sink_fd(struct ph_sink *s, int *fd);

/* A sink that appends to a ph_buf (for tests). */
void ph_sink_buf(struct ph_sink *s, struct ph_buf *b);

/* Start a file: writes the file header to the sink. */
int ph_writer_open(struct ph_writer *w, const struct ph_sink *sink,
		   const struct ph_writer_opts *opts);

/* Metadata. */
int ph_writer_meta_str(struct ph_writer *w, const char *key, const char *value);
int ph_writer_meta_int(struct ph_writer *w, const char *key, int64_t value);
int ph_writer_meta_uint(struct ph_writer *w, const char *key, uint64_t value);
int ph_writer_meta_float(struct ph_writer *w, const char *key, double value);
int ph_writer_meta_bool(struct ph_writer *w, const char *key, bool value);
/* A list of n strings, each NUL-terminated. */
int ph_writer_meta_strlist(struct ph_writer *w, const char *key, const char *const *v, size_t n);
/* A metadata record already encoded (type + value bytes), e.g. copied from another file. */
int ph_writer_meta_raw(struct ph_writer *w, const struct ph_meta_rec *m);

/*
 * Intern a string: the first time a text is seen it is appended to STRINGS;
 * *sref receives its sref (id + 1) either way. The empty string is a string
 * like any other (sref 0 means "none", not "").
 */
int ph_writer_string(struct ph_writer *w, const void *s, size_t len, uint64_t *sref);

/* Append a string without deduplication (the caller knows it is new). */
int ph_writer_string_new(struct ph_writer *w, const void *s, size_t len, uint64_t *sref);

/* Append a type; *id (may be NULL) receives its type id. */
int ph_writer_type(struct ph_writer *w, const struct ph_type_rec *t, uint64_t *id);

/* Append an object; *id (may be NULL) receives its object id. Ends the previous object's edges. */
int ph_writer_object(struct ph_writer *w, const struct ph_object_rec *o, uint64_t *id);

/* Append an edge of the object written last. */
int ph_writer_edge(struct ph_writer *w, const struct ph_edge_rec *e);

int ph_writer_thread(struct ph_writer *w, const struct ph_thread_rec *t);
int ph_writer_root(struct ph_writer *w, const struct ph_root_rec *r);
/* Append an allocation traceback; *id receives its traceback id. */
int ph_writer_traceback(struct ph_writer *w, const struct ph_traceback_rec *t, uint64_t *id);
/* The traceback of an object; objects in increasing id order. */
int ph_writer_site(struct ph_writer *w, const struct ph_site_rec *s);

/*
 * The native bytes of object n->id (NATIVE, 1.1): n_parts parts of kinds
 * that strictly increase from 1 (total is not read). Ids must strictly
 * increase from one call to the next. PH_EINVAL otherwise.
 */
int ph_writer_native(struct ph_writer *w, const struct ph_native_rec *n);

/*
 * Append a chunk whose raw payload was encoded elsewhere (count records of
 * kind, payload[0..len)): used by the dumper to recompress an agent's
 * stream. Pending records of that kind are flushed first. The payload is
 * compressed with the writer's codec. Only kinds whose records hold no ids
 * that depend on earlier chunks of other files may be copied this way; the
 * dumper copies whole streams in order, so ids are preserved.
 */
int ph_writer_put_chunk(struct ph_writer *w, uint32_t kind, uint64_t count, const uint8_t *payload,
			size_t len);

/* Flush all sections, write the TOC and trailer. The sink is not closed. */
int ph_writer_close(struct ph_writer *w);

/* Free the writer's memory. Safe after open failed, after close, or instead of close. */
void ph_writer_release(struct ph_writer *w);

/* Records written so far to a section (kind is PH_FMT_KIND_*). */
uint64_t ph_writer_count(const struct ph_writer *w, uint32_t kind);

/* Bytes of memory the writer holds (buffers, TOC, string table). */
size_t ph_writer_memory(const struct ph_writer *w);

/* Encode a chunk header (PH_FMT_CHUNK_HEADER_SIZE bytes) into out. */
void ph_fmt_chunk_header(uint8_t *out, uint32_t kind, uint8_t encoding, uint64_t stored_len,
			 uint64_t raw_len, uint64_t count, uint64_t checksum);

#endif
