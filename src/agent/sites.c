/* SPDX-License-Identifier: MIT */
/*
 * sites.c - allocation sites from tracemalloc's table (see sites.h).
 *
 * What is read, the same in 3.9-3.15: the table maps a memory block's
 * address to a trace {size_t size; traceback *tb}; a traceback is
 * {Py_uhash_t hash; uint16_t nframe; uint16_t total_nframe; frame
 * frames[]}, frames packed as {PyObject *filename; unsigned int lineno} (12
 * bytes; 3.15 names the file by a NUL-terminated UTF-8 copy instead of a
 * str), the most recent call first. Tracebacks are interned by
 * tracemalloc and live until it stops (which needs the GIL), so the address
 * of one names it for the whole dump.
 */
#include "agent/sites.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/values.h"
#include "common/error.h"

#define TB_NFRAME      8  /* uint16_t nframe */
#define TB_FRAMES      12 /* frame frames[] */
#define FRAME_SIZE     12
#define FRAME_LINENO   8
#define MAX_FRAMES     256  /* frames kept of a traceback (tracemalloc allows 65535) */
#define NAME_MAX_BYTES 1024 /* a file name's UTF-8 kept */
#define LOCK_TRIES     2000 /* yields before a lookup is given up */

/* PyMutex bits (3.13+ pycore_lock.h): _Py_LOCKED, set alone when nobody waits */
#define MUTEX_LOCKED 1

struct frame {
	uintptr_t filename;
	uint32_t lineno;
};

static int meta_unavailable(struct ph_sites *S, const char *why)
{
	char buf[160];

	snprintf(buf, sizeof(buf), "unavailable: %s", why);
	return ph_writer_meta_str(S->w, "tracemalloc", buf);
}

int ph_sites_start(struct ph_sites *S, const struct ph_py *py, struct ph_writer *w)
{
	uintptr_t config = 0;
	int32_t tracing, max_nframe;

	memset(S, 0, sizeof(*S));
	S->py = py;
	S->w = w;
	switch (py->caps->tracemalloc) {
	case PH_TM_STATICS:
		/* the config is exported: off is off, even in a stripped interpreter */
		if (py->tm_config && !ph_rd_i32(py->tm_config, 4))
			return ph_writer_meta_str(w, "tracemalloc", "off");
		if (!py->tm_traces_var || !py->tm_lock_var || !py->tm_config)
			return meta_unavailable(S, "the interpreter has no symbol table (stripped): "
						   "tracemalloc's table cannot be found");
		config = py->tm_config;
		S->traces = ph_rd(py->tm_traces_var, 0);
		S->lock = py->tm_lock_var;
		break;
	case PH_TM_RUNTIME:
	case PH_TM_RUNTIME_MUTEX:
	case PH_TM_RUNTIME_UTF8:
		if (!py->runtime || py->L->rt->tracemalloc < 0)
			return meta_unavailable(S, "_PyRuntime was not found");
		config = py->runtime + (uintptr_t)py->L->rt->tracemalloc;
		S->traces = ph_rd(py->runtime, py->L->rt->tm_traces);
		S->lock = py->runtime + (uintptr_t)py->L->rt->tm_lock;
		S->mutex = py->caps->tracemalloc != PH_TM_RUNTIME;
		S->utf8_names = py->caps->tracemalloc == PH_TM_RUNTIME_UTF8;
		break;
	default:
		return meta_unavailable(S, "CPython 3.8 keeps it in a form pyheap does not read; 3.9 and later are read");
	}
	if (!py->hashtable_get || (S->mutex ? !py->mutex_unlock
					     : !py->lock_acquire || !py->lock_release))
		return meta_unavailable(S, "the interpreter lacks _Py_hashtable_get or its lock functions");
	/* struct _PyTraceMalloc_Config: int initialized, tracing, max_nframe */
	tracing = ph_rd_i32(config, 4);
	max_nframe = ph_rd_i32(config, 8);
	if (!tracing || !S->traces) {
		S->traces = 0;
		return ph_writer_meta_str(w, "tracemalloc", "off");
	}
	if (!S->mutex && !ph_rd(S->lock, 0)) {
		S->traces = 0;
		return meta_unavailable(S, "tracemalloc's lock does not exist");
	}
	S->mask = 1023;
	S->slots = calloc(S->mask + 1, sizeof(*S->slots));
	if (!S->slots)
		return ph_error(PH_ENOMEM, "agent: out of memory for the allocation sites");
	int err = ph_writer_meta_str(w, "tracemalloc", "on");

	return err ? err : ph_writer_meta_uint(w, "tracemalloc_frames",
					       max_nframe > 0 ? (uint64_t)max_nframe : 0);
}

/*
 * tracemalloc's lock, taken without waiting on anything that needs the GIL:
 * a try, then a yield, as many times as LOCK_TRIES (a holder keeps it for
 * the time of one table update). False: not taken.
 */
static bool lock(struct ph_sites *S)
{
	for (int i = 0; i < LOCK_TRIES; i++) {
		if (S->mutex) {
			uint8_t unlocked = 0;

			if (__atomic_compare_exchange_n((uint8_t *)S->lock, &unlocked, MUTEX_LOCKED, false,
							__ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
				return true;
		} else if (S->py->lock_acquire((void *)ph_rd(S->lock, 0), 0) == 1) {
			return true;
		}
		sched_yield();
	}
	return false;
}

static void unlock(struct ph_sites *S)
{
	if (S->mutex) {
		uint8_t locked = MUTEX_LOCKED;

		/* a waiter parked meanwhile: CPython's own unlock wakes it */
		if (!__atomic_compare_exchange_n((uint8_t *)S->lock, &locked, 0, false, __ATOMIC_RELEASE,
						 __ATOMIC_RELAXED))
			S->py->mutex_unlock((void *)S->lock);
	} else {
		S->py->lock_release((void *)ph_rd(S->lock, 0));
	}
}

static struct ph_site_slot *slot_of(struct ph_sites *S, uintptr_t tb)
{
	size_t i = (size_t)((tb >> 4) * 0x9E3779B97F4A7C15ull) & S->mask;

	while (S->slots[i].tb && S->slots[i].tb != tb)
		i = (i + 1) & S->mask;
	return &S->slots[i];
}

static int grow(struct ph_sites *S)
{
	struct ph_site_slot *old = S->slots;
	size_t n = S->mask + 1;

	S->slots = calloc(n * 2, sizeof(*S->slots));
	if (!S->slots) {
		S->slots = old;
		return ph_error(PH_ENOMEM, "agent: out of memory for the allocation sites");
	}
	S->mask = n * 2 - 1;
	for (size_t i = 0; i < n; i++)
		if (old[i].tb)
			*slot_of(S, old[i].tb) = old[i];
	free(old);
	return 0;
}

/* Write the traceback read into f[0..n) and return its id. */
static int write_traceback(struct ph_sites *S, const struct frame *f, size_t n, uint64_t *id)
{
	struct ph_site_frame out[MAX_FRAMES];
	struct ph_traceback_rec t = {n, out};

	for (size_t i = 0; i < n; i++) {
		const uint8_t *data;
		size_t len;
		bool trunc;
		int err;

		if (S->utf8_names) { /* tracemalloc's own copy, NUL-terminated */
			data = (const uint8_t *)f[i].filename;
			len = data ? strnlen((const char *)data, NAME_MAX_BYTES) : 0;
			err = data != NULL;
		} else {
			err = ph_str_text(S->py, f[i].filename, NAME_MAX_BYTES, &S->tmp, &data, &len,
					  &trunc);
		}
		if (err < 0)
			return err;
		if (err == 0) {
			data = (const uint8_t *)"<unknown>";
			len = 9;
		}
		if ((err = ph_writer_string(S->w, data, len, &out[i].filename)))
			return err;
		out[i].line = f[i].lineno;
	}
	return ph_writer_traceback(S->w, &t, id);
}

int ph_sites_object(struct ph_sites *S, uintptr_t block, uint64_t id)
{
	struct frame f[MAX_FRAMES];
	struct ph_site_slot *slot;
	struct ph_site_rec site;
	uintptr_t trace, tb = 0;
	size_t n = 0;
	int err;

	if (!S->traces)
		return 0;
	if (!lock(S)) {
		S->missed++;
		return 0;
	}
	trace = (uintptr_t)S->py->hashtable_get((void *)S->traces, (const void *)block);
	if (trace && (tb = ph_rd(trace, 8))) {
		slot = slot_of(S, tb);
		if (!slot->tb) {
			n = *(const uint16_t *)(tb + TB_NFRAME);
			if (n > MAX_FRAMES)
				n = MAX_FRAMES;
			for (size_t i = 0; i < n; i++) {
				memcpy(&f[i].filename, (const void *)(tb + TB_FRAMES + i * FRAME_SIZE), 8);
				memcpy(&f[i].lineno,
				       (const void *)(tb + TB_FRAMES + i * FRAME_SIZE + FRAME_LINENO), 4);
			}
		}
	}
	unlock(S);
	if (!tb)
		return 0;
	slot = slot_of(S, tb);
	if (!slot->tb) {
		if (!n)
			return 0; /* a traceback of no frame: nothing to say */
		if ((err = write_traceback(S, f, n, &slot->id)))
			return err;
		slot->tb = tb;
		if (++S->count * 2 > S->mask && (err = grow(S)))
			return err;
		slot = slot_of(S, tb);
	}
	site.object = id;
	site.traceback = slot->id;
	S->objects++;
	return ph_writer_site(S->w, &site);
}

int ph_sites_end(struct ph_sites *S)
{
	int err;

	if (!S->traces)
		return 0;
	if ((err = ph_writer_meta_uint(S->w, "tracemalloc_objects", S->objects)))
		return err;
	return S->missed ? ph_writer_meta_uint(S->w, "tracemalloc_missed", S->missed) : 0;
}

void ph_sites_release(struct ph_sites *S)
{
	free(S->slots);
	S->slots = NULL;
	ph_buf_release(&S->tmp);
}

size_t ph_sites_memory(const struct ph_sites *S)
{
	return (S->slots ? (S->mask + 1) * sizeof(*S->slots) : 0) + S->tmp.cap;
}
