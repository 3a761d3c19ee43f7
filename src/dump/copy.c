/* SPDX-License-Identifier: MIT */
/*
 * copy.c - the reader and writer threads (see copy.h).
 */
#include "dump/copy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "format/format.h"
#include "format/reader.h"

struct ph_copy_item {
	struct ph_copy_item *next;
	uint32_t kind;
	uint64_t count;
	size_t len;
	uint8_t data[];
};

static void fail_locked(struct ph_copy *c, int err)
{
	if (!c->err) {
		c->err = err;
		snprintf(c->msg, sizeof(c->msg), "%s", *ph_error_detail() ? ph_error_detail()
									: ph_strerror(err));
	}
	pthread_cond_broadcast(&c->cv);
}

static void *reader_main(void *p)
{
	struct ph_copy *c = p;
	struct ph_reader *r = NULL;
	int err = ph_reader_open_stream(&r, c->in_fd, "the agent's stream");

	while (!err) {
		struct ph_chunk_info ci;
		const uint8_t *data;
		size_t len;
		struct ph_copy_item *it;
		int k = ph_reader_next(r, &ci, &data, &len);

		if (k < 0) {
			err = k;
			break;
		}
		if (k == 0) {
			pthread_mutex_lock(&c->mu);
			c->saw_end = true;
			pthread_mutex_unlock(&c->mu);
			break;
		}
		it = malloc(sizeof(*it) + len);
		if (!it) {
			err = ph_error(PH_ENOMEM, "out of memory queueing a chunk");
			break;
		}
		it->next = NULL;
		it->kind = ci.kind;
		it->count = ci.count;
		it->len = len;
		memcpy(it->data, data, len);
		pthread_mutex_lock(&c->mu);
		while (c->queued > c->max_queue && !c->abort && !c->err)
			pthread_cond_wait(&c->cv, &c->mu);
		if (c->abort || c->err) {
			pthread_mutex_unlock(&c->mu);
			free(it);
			/* keep reading to the end: the agent must not block on a full pipe */
			continue;
		}
		if (c->tail)
			c->tail->next = it;
		else
			c->head = it;
		c->tail = it;
		c->queued += len;
		if (ci.kind == PH_FMT_KIND_OBJECTS) /* all 32 bits: 0x80000004 is another kind */
			c->objects += ci.count;
		pthread_cond_broadcast(&c->cv);
		pthread_mutex_unlock(&c->mu);
	}
	ph_reader_free(r);
	pthread_mutex_lock(&c->mu);
	if (err)
		fail_locked(c, err);
	c->reader_done = true;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

static void *writer_main(void *p)
{
	struct ph_copy *c = p;

	pthread_mutex_lock(&c->mu);
	for (;;) {
		struct ph_copy_item *it;
		int err;

		while (!c->head && !c->reader_done && !c->abort)
			pthread_cond_wait(&c->cv, &c->mu);
		if (c->abort || !c->head)
			break;
		it = c->head;
		c->head = it->next;
		if (!c->head)
			c->tail = NULL;
		pthread_mutex_unlock(&c->mu);
		err = ph_writer_put_chunk(c->w, it->kind, it->count, it->data, it->len);
		pthread_mutex_lock(&c->mu);
		c->queued -= it->len;
		free(it);
		if (err) {
			fail_locked(c, err);
			break;
		}
		pthread_cond_broadcast(&c->cv);
	}
	/* drop what is left */
	while (c->head) {
		struct ph_copy_item *it = c->head;

		c->head = it->next;
		c->queued -= it->len;
		free(it);
	}
	c->tail = NULL;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

int ph_copy_start(struct ph_copy *c, int in_fd, struct ph_writer *w, size_t max_queue)
{
	int e;

	memset(c, 0, sizeof(*c));
	c->in_fd = in_fd;
	c->w = w;
	c->max_queue = max_queue;
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	e = pthread_create(&c->writer, NULL, writer_main, c);
	if (e)
		return ph_error_errno(PH_EIO, e, "cannot start the writer thread");
	e = pthread_create(&c->reader, NULL, reader_main, c);
	if (e) {
		ph_copy_abort(c);
		pthread_join(c->writer, NULL);
		return ph_error_errno(PH_EIO, e, "cannot start the reader thread");
	}
	c->started = true;
	return 0;
}

void ph_copy_abort(struct ph_copy *c)
{
	pthread_mutex_lock(&c->mu);
	c->abort = true;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
}

int ph_copy_error(struct ph_copy *c)
{
	int e;

	pthread_mutex_lock(&c->mu);
	e = c->err;
	pthread_mutex_unlock(&c->mu);
	return e;
}

int ph_copy_join(struct ph_copy *c)
{
	int err;

	if (!c->started)
		return 0;
	pthread_join(c->reader, NULL);
	pthread_join(c->writer, NULL);
	c->started = false;
	err = c->err;
	if (err)
		ph_error(err, "%s", c->msg);
	else if (!c->saw_end)
		err = ph_error(PH_ETRUNCATED, "the agent's stream ended early");
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->cv);
	return err;
}
