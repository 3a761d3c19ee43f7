/* SPDX-License-Identifier: MIT */
/*
 * copy.h - copying the agent's raw stream into the dump file at rest, on two
 * threads of the dumper so that the target never waits for compression:
 *
 *   reader thread: ph_reader_open_stream/ph_reader_next on in_fd (validates
 *                  every chunk header and checksum), queues each chunk's raw
 *                  payload (at most max_queue bytes queued: beyond that it
 *                  waits, and the agent's pipe fills up);
 *   writer thread: compresses each queued chunk with the writer's codec and
 *                  appends it (ph_writer_put_chunk), in order, so ids are kept.
 *
 * The caller feeds in_fd (a pipe) and closes its write end at the end of the
 * stream; a stream that ends before its table of contents is an error
 * (PH_ETRUNCATED). The writer is borrowed and used only by the writer thread
 * until ph_copy_join() returns; the caller then appends its own metadata and
 * closes it.
 *
 * Errors are recorded with their detail and returned by join (the first
 * one, reader's or writer's).
 */
#ifndef PH_COPY_H
#define PH_COPY_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "format/writer.h"

struct ph_copy_item;

struct ph_copy {
	int in_fd;
	struct ph_writer *w;
	size_t max_queue;
	pthread_t reader, writer;
	bool started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct ph_copy_item *head, *tail;
	size_t queued;
	bool reader_done, abort;
	int err;
	char msg[1024];
	uint64_t objects; /* in the OBJECTS chunks queued; read under mu or after join */
	bool saw_end; /* the stream's TOC and trailer were read and checked */
};

int ph_copy_start(struct ph_copy *c, int in_fd, struct ph_writer *w, size_t max_queue);

/* The writer thread stops taking chunks (after a failure elsewhere). */
void ph_copy_abort(struct ph_copy *c);

/* Nonzero once either thread has failed. */
int ph_copy_error(struct ph_copy *c);

/* Wait for both threads; 0 or the first error (its detail recorded on this thread). */
int ph_copy_join(struct ph_copy *c);

#endif
