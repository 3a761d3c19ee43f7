/* SPDX-License-Identifier: MIT */
/*
 * fuzz_reader.c - libFuzzer target for the dump reader: every input goes
 * through the seekable reader with a full validation, through the stream
 * reader chunk by chunk with every record decoded, and through `info`'s
 * metadata path. Any crash, leak, sanitizer report or hang is a bug; an
 * error return is the expected outcome for most inputs.
 *
 * Built with clang -fsanitize=fuzzer by `make fuzz`; also compiled into
 * tests/unit/test_fuzz_replay.c, which replays tests/fuzz/corpus in
 * `make check`.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/error.h"
#include "format/reader.h"
#include "format/validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int decode_all(struct ph_cursor *c)
{
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
			break;
		}
		case PH_FMT_KIND_EDGES: {
			uint64_t src, addr, n;
			struct ph_edge_rec e;

			err = ph_read_edges(c, &src, &addr, &n);
			for (uint64_t i = 0; !err && i < n; i++)
				err = ph_read_edge(c, &e);
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
		default:
			return 0;
		}
	}
	return err ? err : ph_cursor_finish(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ph_validate_report rep;
	struct ph_reader *r = NULL;
	struct ph_cursor c;
	char path[64];
	int fd, err;

	fd = memfd_create("fuzz", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	if (size && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);

	/* 1. seekable reader + deep validation */
	err = ph_reader_open(&r, path);
	if (!err)
		err = ph_validate(r, &rep, NULL, NULL);
	ph_reader_free(r);

	/* 2. stream reader, every record decoded */
	memset(&c, 0, sizeof(c));
	lseek(fd, 0, SEEK_SET);
	err = ph_reader_open_stream(&r, fd, "fuzz");
	while (!err) {
		struct ph_chunk_info ci;
		const uint8_t *p;
		size_t n;
		int k = ph_reader_next(r, &ci, &p, &n);

		if (k <= 0)
			break;
		ph_cursor_init(&c, &ci, r->n_chunks - 1, p, n);
		err = decode_all(&c);
	}
	ph_cursor_release(&c);
	ph_reader_free(r);
	close(fd);
	(void)err;
	return 0;
}
