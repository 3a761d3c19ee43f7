/* SPDX-License-Identifier: MIT */
/*
 * commands.h - the list of subcommands, in the order `pyheap --help` shows
 * them. Each X(name) names a `const struct ph_cmd ph_cmd_name` defined in
 * src/cli/cmd_name.c. Included twice by main.c (declarations, table).
 */
X(dump)
X(info)
X(validate)
X(summary)
X(histogram)
X(top)
X(object)
X(paths)
X(threads)
X(diff)
X(export)
X(suspects)
X(waste)
X(leaks)
X(serve)
