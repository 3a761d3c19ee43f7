/* SPDX-License-Identifier: MIT */
/*
 * rawcopy.c - `test-tool rawcopy IN OUT`: copy a dump chunk by chunk with
 * every chunk stored raw (uncompressed), so that the tests' Python reader
 * (which has no zstd) can read dumps written by `pyheap dump`.
 */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "common/error.h"
#include "format/reader.h"
#include "format/writer.h"
#include "helper/tool.h"

static int run(int argc, char **argv)
{
	struct ph_writer_opts o = {0};
	struct ph_reader *r = NULL;
	struct ph_writer w;
	struct ph_sink sink;
	int fd, err;

	if (argc != 3) {
		fprintf(stderr, "usage: test-tool rawcopy IN OUT\n");
		return 2;
	}
	fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		perror(argv[2]);
		return 1;
	}
	ph_sink_fd(&sink, &fd);
	err = ph_reader_open(&r, argv[1]);
	if (!err) {
		o.file_id = r->file_id;
		err = ph_writer_open(&w, &sink, &o);
		for (size_t i = 0; !err && i < r->n_chunks; i++) {
			const uint8_t *data;
			size_t len;

			err = ph_reader_load(r, i, &data, &len);
			if (!err)
				err = ph_writer_put_chunk(&w, r->chunks[i].kind, r->chunks[i].count, data,
							  len);
		}
		if (!err)
			err = ph_writer_close(&w);
		ph_writer_release(&w);
	}
	ph_reader_free(r);
	if (close(fd) && !err)
		err = PH_EIO;
	if (err) {
		fprintf(stderr, "rawcopy: %s\n", ph_error_detail());
		return 1;
	}
	return 0;
}

const struct tool tool_rawcopy = {"rawcopy", "copy a dump with every chunk stored raw", run};
