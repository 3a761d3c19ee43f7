/* SPDX-License-Identifier: MIT */
/*
 * tool.h - the subcommands of build/test-tool (see main.c).
 */
#ifndef PH_TEST_TOOL_H
#define PH_TEST_TOOL_H

struct tool {
	const char *name;
	const char *help;
	int (*run)(int argc, char **argv);
};

extern const struct tool tool_synth;
extern const struct tool tool_corpus;
extern const struct tool tool_decode;
extern const struct tool tool_rawcopy;
extern const struct tool tool_fixture;
extern const struct tool tool_craft;
extern const struct tool tool_respin;

#endif
