/* SPDX-License-Identifier: MIT */
/*
 * corpus.c - `test-tool corpus DIR`: write the seed corpus of the reader's
 * fuzz target: small valid dumps of random heaps (raw and zstd, with many
 * small chunks so that every section kind appears), and broken variants
 * (truncated, bit-flipped, an empty file, a bare header).
 */
#include <stdio.h>
#include <string.h>

#include "helper/tool.h"
#include "unit/model.h"

static int save(const char *dir, const char *name, const uint8_t *p, size_t n)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f) {
		perror(path);
		return 1;
	}
	if (n && fwrite(p, 1, n, f) != n) {
		fclose(f);
		return 1;
	}
	return fclose(f) != 0;
}

static int run(int argc, char **argv)
{
	const char *dir;
	int bad = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: test-tool corpus DIR\n");
		return 2;
	}
	dir = argv[1];
	for (uint64_t seed = 1; seed <= 24; seed++) {
		struct model m;
		struct ph_buf b = PH_BUF_INIT;
		char name[64];
		bool zstd = seed % 2 == 0;

		model_random(&m, seed, 2 + seed % 7);
		if (model_to_buf(&m, &b, zstd, 48 + seed * 11, seed)) {
			fprintf(stderr, "corpus: %s\n", ph_error_detail());
			return 1;
		}
		if (b.len > 16384) { /* keep seeds small for the fuzzer */
			model_free(&m);
			ph_buf_release(&b);
			continue;
		}
		snprintf(name, sizeof(name), "valid-%s-%02llu", zstd ? "zstd" : "raw",
			 (unsigned long long)seed);
		bad |= save(dir, name, b.data, b.len);
		if (seed % 4 == 1) { /* broken variants */
			snprintf(name, sizeof(name), "truncated-%02llu", (unsigned long long)seed);
			bad |= save(dir, name, b.data, b.len * 2 / 3);
			b.data[b.len / 2] ^= 0x10;
			snprintf(name, sizeof(name), "bitflip-%02llu", (unsigned long long)seed);
			bad |= save(dir, name, b.data, b.len);
		}
		model_free(&m);
		ph_buf_release(&b);
	}
	bad |= save(dir, "empty", NULL, 0);
	bad |= save(dir, "header-only", (const uint8_t *)PH_FMT_MAGIC "\1\0\0\0 \0\0\0", 16);
	return bad;
}

const struct tool tool_corpus = {"corpus", "write the fuzzing seed corpus into DIR", run};
