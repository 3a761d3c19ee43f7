/* SPDX-License-Identifier: MIT */
/*
 * inject.h - one injection session: take one thread of the target, make
 * remote calls on it (remote.h), put it back and let it go.
 *
 * Taking a thread, without stopping the others:
 *  1. Candidates come from /proc/PID/task/TID/syscall, read while every
 *     thread runs: threads blocked in a usable system call (choose.h), best
 *     first. Only a candidate is seized (PTRACE_SEIZE + PTRACE_INTERRUPT)
 *     and checked again from its registers; one that moved on is let go at
 *     once. Threads that are not candidates are never stopped.
 *  2. If none is usable, the threads not blocked in a system call are
 *     traced at their system calls (PTRACE_SYSCALL) for up to 300 ms, and
 *     the first to enter a usable call is taken at its entry stop.
 *  3. Then hardware breakpoints (perf_event_open with sigtrap, Linux 5.13+)
 *     at the entry of CPython functions a running interpreter calls all the
 *     time and that are never reached from inside malloc or the loader
 *     (PyObject_Malloc, PyObject_Free, PyEval_SaveThread,
 *     PyEval_RestoreThread), every thread seized; the first to hit is taken.
 *     They change no code, are not copied into forked children and die
 *     with pyheap's fds; SIGTRAP is ignored while they exist (when it was at
 *     its default), marked so that the next dump can put it back.
 *  4. Last, where perf cannot: int3 written through /proc/PID/mem at those
 *     functions and PyMem_Malloc, PyErr_CheckSignals. Every thread is seized,
 *     the ones that may be inside fork()/clone() stopped for the moment they
 *     are written (a call in flight would give its child an unwatched
 *     copy); forks are traced and a child gets the original bytes back. The
 *     first to trap (or to enter a usable call) is taken and the bytes are
 *     written back at once.
 *  After 3 and 4 every other thread is stopped and let go as soon as it
 *  stops (one that trapped too is stepped back or has its SIGTRAP
 *  suppressed, including one whose SIGTRAP is still queued).
 *
 * others_ns is the longest time any thread other than the taken one was
 * held stopped. If pyheap dies while int3 breakpoints are in place (between
 * writing them and the first trap) a thread that reaches one dies of
 * SIGTRAP: the one window the design cannot close inside the target, on the
 * last path only (docs/dump.md, "Interruptions").
 *
 * Ownership: the session borrows the target; it owns its ptrace set.
 * ph_inject_end() must follow a successful begin, whatever happened in
 * between.
 */
#ifndef PH_INJECT_H
#define PH_INJECT_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "inject/ptrace.h"
#include "inject/remote.h"
#include "inject/target.h"

/* The kernel's struct sigaction, as rt_sigaction takes it (x86_64). */
struct ph_k_sigaction {
	uint64_t handler, flags, restorer, mask;
};

struct ph_inject {
	struct ph_target *t;
	struct ph_ptrace pt;
	struct ph_remote rc;
	size_t idx;            /* the taken tracee */
	uint64_t others_ns;    /* the longest any other thread was held stopped */
	struct { pid_t tid; uint64_t ns; } *holds; /* each stop of a thread, while choosing */
	size_t nholds, capholds;
	bool by_breakpoint;    /* taken at a breakpoint (no thread was parked) */
	bool gil_held;         /* the taken thread holds the GIL (a breakpoint in a function run with it) */
	bool sigtrap_changed;  /* SIGTRAP set to SIG_IGN for hardware breakpoints: put sigtrap_old back */
	struct ph_k_sigaction sigtrap_old;
	bool begun;
};

/*
 * Take a thread and prepare it for calls. Errors as ph_ptrace_seize, plus
 * PH_ETIMEOUT when no thread could be taken in time and PH_EINTR when
 * *cancel is set meanwhile. On error nothing is left attached or planted.
 */
int ph_inject_begin(struct ph_inject *in, struct ph_target *t, uint64_t deadline,
		    const volatile sig_atomic_t *cancel);

/* Remote call and system call (remote.h). */
int ph_inject_call(struct ph_inject *in, uint64_t fn, const uint64_t *args, size_t n,
		   struct ph_remote_trace *trace);
int ph_inject_syscall(struct ph_inject *in, long nr, const uint64_t *args, size_t n, int64_t *ret);

/* Put the thread back (errno, registers) and let it go. */
int ph_inject_end(struct ph_inject *in);

#endif
