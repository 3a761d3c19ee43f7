/* SPDX-License-Identifier: MIT */
/*
 * decode.c - `test-tool decode FILE`: read every chunk and decode every
 * record, without the cross-reference checks of `pyheap validate`; prints
 * counts and the time taken (the format's raw reading speed, for bench/).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/error.h"
#include "format/reader.h"
#include "helper/tool.h"

static int run(int argc, char **argv)
{
	struct ph_reader *r;
	struct ph_cursor c;
	struct timespec t0, t1;
	uint64_t objects = 0, edges = 0;
	double secs;
	int err;

	if (argc != 2) {
		fprintf(stderr, "usage: test-tool decode FILE\n");
		return 2;
	}
	memset(&c, 0, sizeof(c));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	err = ph_reader_open(&r, argv[1]);
	for (size_t i = 0; !err && i < r->n_chunks; i++) {
		const uint8_t *data;
		size_t len;

		err = ph_reader_load(r, i, &data, &len);
		if (!err) {
			ph_cursor_init(&c, &r->chunks[i], i, data, len);
			err = ph_read_all(&c, &objects, &edges);
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ph_cursor_release(&c);
	if (!err)
		ph_reader_free(r);
	if (err) {
		fprintf(stderr, "decode: %s\n", ph_error_detail());
		return 1;
	}
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("decode: %" PRIu64 " objects, %" PRIu64 " edges in %.3f s (%.2f M objects/s)\n",
	       objects, edges, secs, (double)objects / secs / 1e6);
	return 0;
}

const struct tool tool_decode = {"decode", "decode every record of FILE and time it", run};
