/* SPDX-License-Identifier: MIT */
/*
 * Replays the committed fuzzing seed corpus (tests/fuzz/corpus) through the
 * fuzz target's code, so that `make check` and `make asan` exercise every
 * seed (and every crash input ever added there) on each run.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>

#include "../fuzz/fuzz_reader.c"

#ifndef CORPUS_DIR
#define CORPUS_DIR "tests/fuzz/corpus"
#endif

Test(fuzz_replay, every_seed_of_the_corpus)
{
	DIR *d = opendir(CORPUS_DIR);
	struct dirent *e;
	int n = 0;

	cr_assert_not_null(d, "cannot open %s (run from the top of the tree)", CORPUS_DIR);
	while ((e = readdir(d))) {
		char path[512];
		FILE *f;
		uint8_t *buf;
		long len;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", CORPUS_DIR, e->d_name);
		f = fopen(path, "rb");
		cr_assert_not_null(f, "%s", path);
		fseek(f, 0, SEEK_END);
		len = ftell(f);
		fseek(f, 0, SEEK_SET);
		buf = malloc(len ? (size_t)len : 1);
		cr_assert_not_null(buf);
		cr_assert_eq(fread(buf, 1, (size_t)len, f), (size_t)len);
		fclose(f);
		LLVMFuzzerTestOneInput(buf, (size_t)len);
		free(buf);
		n++;
	}
	closedir(d);
	cr_assert_gt(n, 10, "the corpus has only %d inputs", n);
}
