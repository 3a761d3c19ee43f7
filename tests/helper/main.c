/* SPDX-License-Identifier: MIT */
/*
 * test-tool - a helper binary that exposes pyheap's internals to the
 * integration tests and benchmarks (in the spirit of git's t/helper).
 *
 *   test-tool synth ...     write a realistic synthetic heap dump
 *   test-tool corpus DIR    write the fuzzing seed corpus
 *   test-tool fixture NAME  write a hand-made dump with a known analysis
 *   test-tool craft SHAPE   write a hostile or extreme dump
 *   test-tool respin IN OUT rewrite a dump with the freedoms the format allows
 *
 * Each subcommand lives in its own file and is listed in tools[] below.
 */
#include <stdio.h>
#include <string.h>

#include "helper/tool.h"

static const struct tool *const tools[] = {
	&tool_synth,
	&tool_corpus,
	&tool_decode,
	&tool_rawcopy,
	&tool_fixture,
	&tool_craft,
	&tool_respin,
	NULL,
};

int main(int argc, char **argv)
{
	if (argc >= 2) {
		for (size_t i = 0; tools[i]; i++)
			if (strcmp(argv[1], tools[i]->name) == 0)
				return tools[i]->run(argc - 1, argv + 1);
	}
	fprintf(stderr, "usage: test-tool COMMAND [ARGS]\ncommands:\n");
	for (size_t i = 0; tools[i]; i++)
		fprintf(stderr, "  %-10s %s\n", tools[i]->name, tools[i]->help);
	return 2;
}
