/* SPDX-License-Identifier: MIT */
/*
 * corpus.c - `test-tool corpus DIR`: write the seed corpus for the reader's
 * fuzz target: small valid dumps (raw and zstd) made by test-tool synth's
 * generator, plus hand-picked broken ones.
 */
#include <stdio.h>
#include <string.h>

#include "helper/tool.h"

static int run(int argc, char **argv)
{
	fprintf(stderr, "corpus: not written yet\n");
	return 1;
}

const struct tool tool_corpus = {"corpus", "write the fuzzing seed corpus into DIR", run};
