/* SPDX-License-Identifier: MIT */
/*
 * sink.c - a buffered writer to a file descriptor (see sink.h).
 */
#include "export/sink.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/error.h"

#define SINK_BUFFER (1u << 20)

int ph_sink_init(struct ph_sink *s, int fd, const char *name)
{
	memset(s, 0, sizeof(*s));
	s->fd = fd;
	s->name = name;
	s->buf = malloc(SINK_BUFFER);
	if (!s->buf)
		return s->err = ph_error(PH_ENOMEM, "out of memory: cannot allocate the output buffer");
	s->cap = SINK_BUFFER;
	return 0;
}

void ph_sink_flush(struct ph_sink *s)
{
	size_t off = 0;

	while (!s->err && off < s->len) {
		ssize_t k = write(s->fd, s->buf + off, s->len - off);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			s->err = ph_error_errno(PH_EIO, k < 0 ? errno : EIO, "cannot write %s after %llu bytes",
						s->name, (unsigned long long)(s->written + off));
		else
			off += (size_t)k;
	}
	s->written += off;
	s->len = 0;
}

int ph_sink_finish(struct ph_sink *s)
{
	int err;

	if (!s->err)
		ph_sink_flush(s);
	err = s->err;
	ph_sink_release(s);
	return err;
}

void ph_sink_release(struct ph_sink *s)
{
	free(s->buf);
	s->buf = NULL;
	s->len = s->cap = 0;
}
