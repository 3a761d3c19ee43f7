/* SPDX-License-Identifier: MIT */
/*
 * Round trips through the writer and reader: thousands of random heaps
 * (fixed seeds), raw and zstd, small and default chunk sizes, seekable and
 * streamed, and a pipe between two threads.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <unistd.h>

#include "format/validate.h"
#include "model.h"

static void roundtrip(uint64_t seed, size_t size, bool zstd, size_t chunk)
{
	struct model a, b;
	struct ph_buf buf = PH_BUF_INIT;
	char path[64];
	const char *diff;
	int err;

	model_random(&a, seed, size);
	err = model_to_buf(&a, &buf, zstd, chunk, seed);
	cr_assert_eq(err, 0, "seed %llu: write: %s", (unsigned long long)seed, ph_error_detail());
	cr_assert_eq(write_temp(&buf, path, sizeof(path)), 0);
	err = model_read_file(&b, path);
	cr_assert_eq(err, 0, "seed %llu: read: %s", (unsigned long long)seed, ph_error_detail());
	diff = model_diff(&a, &b);
	cr_assert_null(diff, "seed %llu: %s", (unsigned long long)seed, diff);
	model_free(&b);
	unlink(path);
	ph_buf_release(&buf);
	model_free(&a);
}

Test(format_roundtrip, thousands_of_random_heaps_raw_small_chunks)
{
	for (uint64_t seed = 1; seed <= 1500; seed++)
		roundtrip(seed, 1 + seed % 40, false, 64 + seed % 700);
}

Test(format_roundtrip, thousands_of_random_heaps_zstd_small_chunks)
{
	for (uint64_t seed = 5001; seed <= 6500; seed++)
		roundtrip(seed, 1 + seed % 40, true, 64 + seed % 700);
}

Test(format_roundtrip, larger_heaps_default_chunks)
{
	for (uint64_t seed = 9001; seed <= 9040; seed++)
		roundtrip(seed, 300 + seed % 400, seed % 2, 0);
}

Test(format_roundtrip, empty_file_is_valid)
{
	struct model a, b;
	struct ph_buf buf = PH_BUF_INIT;
	char path[64];

	memset(&a, 0, sizeof(a));
	cr_assert_eq(model_to_buf(&a, &buf, false, 0, 7), 0);
	cr_assert_eq(buf.len, PH_FMT_HEADER_SIZE + PH_FMT_CHUNK_HEADER_SIZE + PH_FMT_TRAILER_SIZE);
	cr_assert_eq(write_temp(&buf, path, sizeof(path)), 0);
	cr_assert_eq(model_read_file(&b, path), 0, "%s", ph_error_detail());
	cr_assert_null(model_diff(&a, &b));
	unlink(path);
	ph_buf_release(&buf);
}

/* Same bytes in, same model out, through the stream reader over a pipe. */
struct pipe_job {
	const struct ph_buf *buf;
	int fd;
};

static void *feed(void *p)
{
	struct pipe_job *j = p;
	size_t off = 0;

	while (off < j->buf->len) {
		size_t n = j->buf->len - off < 4096 ? j->buf->len - off : 4096;
		ssize_t k = write(j->fd, j->buf->data + off, n);

		if (k <= 0)
			break;
		off += (size_t)k;
	}
	close(j->fd);
	return NULL;
}

Test(format_roundtrip, stream_reader_over_a_pipe)
{
	for (uint64_t seed = 200; seed < 260; seed++) {
		struct model a, b;
		struct ph_buf buf = PH_BUF_INIT;
		struct pipe_job job;
		pthread_t th;
		int fds[2];
		const char *diff;
		int err;

		model_random(&a, seed, 20 + seed % 50);
		cr_assert_eq(model_to_buf(&a, &buf, seed % 2, 100 + seed, seed), 0);
		cr_assert_eq(pipe(fds), 0);
		job.buf = &buf;
		job.fd = fds[1];
		pthread_create(&th, NULL, feed, &job);
		err = model_read_stream(&b, fds[0]);
		pthread_join(th, NULL);
		close(fds[0]);
		cr_assert_eq(err, 0, "seed %llu: %s", (unsigned long long)seed, ph_error_detail());
		diff = model_diff(&a, &b);
		cr_assert_null(diff, "seed %llu: %s", (unsigned long long)seed, diff);
		model_free(&a);
		model_free(&b);
		ph_buf_release(&buf);
	}
}

/* The writer itself writes to a pipe (its sink is an fd that cannot seek). */
struct writer_job {
	const struct model *m;
	int fd;
	int err;
};

static void *write_to_pipe(void *p)
{
	struct writer_job *j = p;
	struct ph_writer_opts o = {0};
	struct ph_codec *codec = ph_zstd_codec_new(1);
	struct ph_writer w;
	struct ph_sink sink;

	o.codec = codec;
	ph_sink_fd(&sink, &j->fd);
	j->err = ph_writer_open(&w, &sink, &o);
	if (!j->err)
		j->err = model_write(j->m, &w, 77);
	ph_writer_release(&w);
	ph_zstd_codec_free(codec);
	close(j->fd);
	return NULL;
}

Test(format_roundtrip, writer_to_pipe_reader_gets_the_same_heap)
{
	struct model a, b;
	struct writer_job job;
	pthread_t th;
	int fds[2], err;
	const char *diff;

	model_random(&a, 4242, 2000);
	cr_assert_eq(pipe(fds), 0);
	job.m = &a;
	job.fd = fds[1];
	pthread_create(&th, NULL, write_to_pipe, &job);
	err = model_read_stream(&b, fds[0]);
	pthread_join(th, NULL);
	close(fds[0]);
	cr_assert_eq(job.err, 0, "writer: %s", ph_error_detail());
	cr_assert_eq(err, 0, "reader: %s", ph_error_detail());
	diff = model_diff(&a, &b);
	cr_assert_null(diff, "%s", diff);
	model_free(&a);
	model_free(&b);
}

Test(format_roundtrip, string_dedup_returns_the_same_sref)
{
	struct ph_buf buf = PH_BUF_INIT;
	struct ph_writer w;
	struct ph_sink sink;
	uint64_t a, b, c, d;

	ph_sink_buf(&sink, &buf);
	cr_assert_eq(ph_writer_open(&w, &sink, NULL), 0);
	cr_assert_eq(ph_writer_string(&w, "abc", 3, &a), 0);
	cr_assert_eq(ph_writer_string(&w, "abd", 3, &b), 0);
	cr_assert_eq(ph_writer_string(&w, "abc", 3, &c), 0);
	cr_assert_eq(ph_writer_string(&w, "", 0, &d), 0);
	for (int i = 0; i < 5000; i++) { /* force table growth */
		char s[16];
		uint64_t x;

		snprintf(s, sizeof(s), "s%d", i);
		cr_assert_eq(ph_writer_string(&w, s, strlen(s), &x), 0);
	}
	cr_assert_eq(ph_writer_string(&w, "abd", 3, &c), 0);
	cr_assert_eq(a, 1);
	cr_assert_eq(b, 2);
	cr_assert_eq(c, 2);
	cr_assert_eq(d, 3);
	cr_assert_eq(ph_writer_count(&w, PH_FMT_KIND_STRINGS), 5003);
	cr_assert_eq(ph_writer_close(&w), 0);
	ph_writer_release(&w);
	ph_buf_release(&buf);
}

Test(format_roundtrip, validate_accepts_random_heaps)
{
	for (uint64_t seed = 300; seed < 400; seed++) {
		struct model a;
		struct ph_buf buf = PH_BUF_INIT;
		struct ph_validate_report rep;
		struct ph_reader *r;
		char path[64];
		int err;

		model_random(&a, seed, 30);
		cr_assert_eq(model_to_buf(&a, &buf, true, 500, seed), 0);
		cr_assert_eq(write_temp(&buf, path, sizeof(path)), 0);
		cr_assert_eq(ph_reader_open(&r, path), 0, "%s", ph_error_detail());
		err = ph_validate(r, &rep, NULL, NULL);
		cr_assert_eq(err, 0, "seed %llu: %s", (unsigned long long)seed, ph_error_detail());
		cr_assert_eq(rep.objects, a.n_objects);
		cr_assert_eq(rep.types, a.n_types);
		cr_assert_eq(rep.strings, a.n_strings);
		ph_reader_free(r);
		unlink(path);
		ph_buf_release(&buf);
		model_free(&a);
	}
}
