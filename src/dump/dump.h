/* SPDX-License-Identifier: MIT */
/*
 * dump.h - `pyheap dump`: the whole sequence from a pid to a .pyheap file.
 *
 *  1. examine the target (target.h): refuse what cannot be dumped;
 *  2. create the output file (outfile.h) before touching the target;
 *  3. inject: load and start the agent (loader.h), restore, detach;
 *  4. take the read end of the agent's pipe with pidfd_getfd(2) and set
 *     state.reader_attached; copy the stream (copy.h) while following the
 *     agent's state with process_vm_readv (progress, GIL wait, stalls);
 *  5. inject again: pyheap_agent_finish + dlclose; check the agent's
 *     mapping is gone from /proc/PID/maps;
 *  6. append the dumper's metadata, close, fsync, rename into place.
 *
 * Every wait is bounded by opts.timeout_ms (attach, the first breakpoint,
 * the reader hand-over, the GIL, a stall of the stream, the unload). On a
 * failure, a timeout or a cancel (*opts.cancel > 0: Ctrl-C, SIGTERM), the
 * agent is told to stop (state.cancel), threads are restored, breakpoints
 * removed, the agent unloaded when it has finished (waited for a few
 * seconds; a second cancel skips the wait), the output file removed.
 *
 * The caller must not have child processes while this runs (ptrace waits
 * use waitpid(-1)).
 */
#ifndef PH_DUMP_H
#define PH_DUMP_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct ph_dump_opts {
	pid_t pid;
	const char *output;         /* the file to write, or a directory to write default_name in */
	const char *default_name;
	uint64_t timeout_ms;
	bool no_values;
	uint64_t max_value_len;
	/*
	 * Called about every 100 ms while the agent works (may be NULL):
	 * waiting_gil tells whether it still waits for the GIL (for wait_s
	 * seconds); else objects and bytes so far. done: the copy ended (clear
	 * any progress line).
	 */
	void (*progress)(void *ctx, bool done, bool waiting_gil, double wait_s, uint64_t objects,
			 uint64_t bytes);
	void *progress_ctx;
	const volatile sig_atomic_t *cancel; /* number of cancel requests so far */
};

struct ph_dump_result {
	uint64_t objects;      /* OBJECTS records in the file */
	uint64_t file_size;
	uint64_t pause_ns;     /* the agent held the GIL this long */
	uint64_t gil_hijack_ns; /* a thread taken while it held the GIL was borrowed this long */
	uint64_t hijack_ns;    /* the hijacked thread was stopped this long (load + unload) */
	uint64_t others_ns;    /* the longest any other thread was held stopped (0: none was) */
	size_t stale_unloaded; /* agents left by killed dumps that were unloaded first */
	uint64_t duration_ns;  /* attach to final detach */
	bool agent_left;       /* the agent could not be unloaded (see warning) */
	bool to_stdout;        /* the dump went to standard output: report on stderr */
	char warning[512];     /* non-fatal problem to show, "" if none */
	char path[4096];       /* the file written */
};

int ph_dump_run(const struct ph_dump_opts *o, struct ph_dump_result *res);

#endif
