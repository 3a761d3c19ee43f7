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
		err = ph_read_all(&c, NULL, NULL);
	}
	ph_cursor_release(&c);
	ph_reader_free(r);
	close(fd);
	(void)err;
	return 0;
}
