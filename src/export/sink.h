/* SPDX-License-Identifier: MIT */
/*
 * sink.h - a buffered writer to a file descriptor, for the exports.
 *
 * The exports write hundreds of megabytes of text; stdio is not used so that
 * every byte goes through write(2) (where a full disk is seen, and where the
 * fault-injection shim of the tests makes it happen) and so that numbers are
 * formatted without printf. Errors are sticky: after the first failed write
 * every call does nothing and ph_sink_finish() returns the error, recorded
 * with its errno (ENOSPC gives PH_ENOSPC) where it happened.
 *
 * Ownership: the sink owns its buffer, not the descriptor (the caller closes
 * it); ph_sink_finish() flushes and frees the buffer.
 */
#ifndef PH_EXPORT_SINK_H
#define PH_EXPORT_SINK_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/buf.h"

struct ph_sink {
	int fd;
	const char *name; /* for messages: the output's name */
	uint8_t *buf;
	size_t len, cap;
	uint64_t written; /* bytes handed to write(2) so far */
	int err;          /* sticky: 0 or the first error */
};

/* Start a sink on fd (borrowed). 0 or PH_ENOMEM. */
int ph_sink_init(struct ph_sink *s, int fd, const char *name);

/* Write the buffer out (called when it fills). */
void ph_sink_flush(struct ph_sink *s);

static inline void ph_sink_put(struct ph_sink *s, const void *p, size_t n)
{
	if (s->cap - s->len < n) {
		ph_sink_flush(s);
		if (s->err)
			return;
		if (n > s->cap) { /* larger than the whole buffer: straight through */
			uint8_t *save = s->buf;
			size_t cap = s->cap;

			s->buf = (uint8_t *)p;
			s->len = s->cap = n;
			ph_sink_flush(s);
			s->buf = save;
			s->cap = cap;
			return;
		}
	}
	memcpy(s->buf + s->len, p, n);
	s->len += n;
}

static inline void ph_sink_str(struct ph_sink *s, const char *text)
{
	ph_sink_put(s, text, strlen(text));
}

static inline void ph_sink_byte(struct ph_sink *s, char c)
{
	if (s->len == s->cap)
		ph_sink_flush(s);
	if (!s->err)
		s->buf[s->len++] = (uint8_t)c;
}

/*
 * Write v in decimal backwards, ending just before end; returns where the
 * digits start (at most 20 bytes before end).
 */
static inline char *ph_fmt_u64(char *end, uint64_t v)
{
	do {
		*--end = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return end;
}

/* A decimal number. */
static inline void ph_sink_u64(struct ph_sink *s, uint64_t v)
{
	char tmp[24];
	char *p = ph_fmt_u64(tmp + sizeof(tmp), v);

	ph_sink_put(s, p, (size_t)(tmp + sizeof(tmp) - p));
}

/* Append a ph_buf's content. */
static inline void ph_sink_buf(struct ph_sink *s, const struct ph_buf *b)
{
	ph_sink_put(s, b->data, b->len);
}

/* Flush, free the buffer; 0 or the first error (recorded). */
int ph_sink_finish(struct ph_sink *s);

/* Free the buffer without writing what is left (after an error elsewhere). */
void ph_sink_release(struct ph_sink *s);

#endif
