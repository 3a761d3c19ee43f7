/* SPDX-License-Identifier: MIT */
/*
 * testpoint.h - named points of `pyheap dump` where a test can make the
 * dumper die, or signal its parent, at a precise moment.
 *
 * The interrupt tests need to kill pyheap at every phase of a dump, not only
 * at moments timing happens to hit. Two environment variables, read once:
 *
 *   PYHEAP_TEST_AT=PHASE[#N]:ACTION   at the N-th time (default 1st) the
 *       dumping process reaches PHASE, do ACTION: "kill" (SIGKILL itself:
 *       the dumper dies there), or "parent-KILL", "parent-INT",
 *       "parent-TERM" (send that signal to the process that started it,
 *       the `pyheap dump` front end).
 *   PYHEAP_TEST_TRACE=FILE            append each phase reached, one per
 *       line with its CLOCK_MONOTONIC time, to FILE (which phases a run
 *       reached before it ended, and when).
 *   PYHEAP_TEST_FORCE=breakpoints     take a thread at a breakpoint even when
 *       one is parked (so that tests reach that path on any target);
 *       PYHEAP_TEST_FORCE=hw, at a hardware breakpoint (no int3 fallback);
 *       PYHEAP_TEST_FORCE=syscall, at a system call's entry.
 *
 * Unset (as in every normal run), a test point costs one branch. The phases
 * are listed in docs/dump.md ("Testing interruptions").
 */
#ifndef PH_TESTPOINT_H
#define PH_TESTPOINT_H

#include <stdbool.h>

void ph_test_point(const char *phase);

/* Whether PYHEAP_TEST_FORCE names what. */
bool ph_test_force(const char *what);

#endif
