/* SPDX-License-Identifier: MIT */
/*
 * json.h - a streaming JSON writer.
 *
 * Writes straight to a FILE or appends to a ph_buf, with no document tree:
 * callers emit begin/end, keys and values in order and the writer inserts
 * commas and (optionally) indentation. Strings are escaped; bytes that are
 * not valid UTF-8 are replaced by U+FFFD so that the output is always valid
 * JSON. Non-finite doubles are written as null.
 *
 * Nesting is limited to PH_JSON_MAX_DEPTH levels; deeper begin calls are a
 * programming error and are ignored after setting json->error.
 */
#ifndef PH_JSON_H
#define PH_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/buf.h"

#define PH_JSON_MAX_DEPTH 64

struct ph_json {
	FILE *file;          /* one of file ... */
	struct ph_buf *buf;  /* ... or buf */
	bool pretty;
	bool error;          /* an output error or misuse happened */
	int depth;
	bool first[PH_JSON_MAX_DEPTH];
	bool after_key;
};

void ph_json_init_file(struct ph_json *j, FILE *f, bool pretty);
void ph_json_init_buf(struct ph_json *j, struct ph_buf *b, bool pretty);

void ph_json_begin_object(struct ph_json *j);
void ph_json_end_object(struct ph_json *j);
void ph_json_begin_array(struct ph_json *j);
void ph_json_end_array(struct ph_json *j);
void ph_json_key(struct ph_json *j, const char *key);

void ph_json_str(struct ph_json *j, const char *s);
void ph_json_strn(struct ph_json *j, const void *s, size_t n);
void ph_json_int(struct ph_json *j, int64_t v);
void ph_json_uint(struct ph_json *j, uint64_t v);
void ph_json_double(struct ph_json *j, double v);
void ph_json_bool(struct ph_json *j, bool v);
void ph_json_null(struct ph_json *j);
/* An address as the string "0x...". */
void ph_json_addr(struct ph_json *j, uint64_t addr);
/* Raw JSON text the caller guarantees to be one valid value. */
void ph_json_raw(struct ph_json *j, const char *text);

/* A member of an object: its key, then its value. */
static inline void ph_json_key_uint(struct ph_json *j, const char *key, uint64_t v)
{
	ph_json_key(j, key);
	ph_json_uint(j, v);
}

static inline void ph_json_key_str(struct ph_json *j, const char *key, const char *s)
{
	ph_json_key(j, key);
	ph_json_str(j, s); /* NULL: null */
}

/* Finish: a newline after the top-level value. Returns 0, or PH_EIO if output failed. */
int ph_json_finish(struct ph_json *j);

/* Append the JSON-escaped form of s[0..n) (without quotes) to b. */
int ph_json_escape(struct ph_buf *b, const void *s, size_t n);

#endif
