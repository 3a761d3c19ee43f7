/* SPDX-License-Identifier: MIT */
/*
 * inject.h - one injection session: stop the target's threads, choose one
 * to hijack, let every other thread go, make remote calls on the chosen one,
 * then put it back and let it go too.
 *
 * Choosing (see choose.h): a thread parked in a blocking system call, or in
 * a futex wait on application memory. If there is none (every thread runs
 * Python or C code), int3 breakpoints are planted at the entry of CPython
 * functions a running interpreter calls all the time and that are never
 * reached from inside malloc or the loader (PyObject_Malloc, PyObject_Free,
 * PyMem_Malloc, PyErr_CheckSignals, PyEval_SaveThread,
 * PyEval_RestoreThread); every thread is resumed, the first to trap is
 * taken, all threads are stopped again, the original bytes are put back,
 * and any thread that had trapped too is stepped back to re-execute the
 * original instruction (including a trap still pending in its signal
 * queue). Every thread is traced while a breakpoint is in place, so a trap
 * can never reach the application.
 *
 * The chosen thread's errno is saved and restored around the calls. The
 * target's avoid_tid (the agent's own thread) is never chosen.
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

struct ph_inject {
	struct ph_target *t;
	struct ph_ptrace pt;
	struct ph_remote rc;
	size_t idx;            /* the hijacked tracee */
	bool errno_saved;
	uint64_t errno_addr;
	int32_t saved_errno;
	uint64_t others_ns;    /* how long the other threads were held stopped */
	bool begun;
};

/* Scratch memory each session maps in the target for call data (and a fallback stack). */
#define PH_INJECT_SCRATCH (256 * 1024)

/*
 * Attach, choose a thread, detach the others, prepare for calls. Errors as
 * ph_ptrace_attach, plus PH_ETIMEOUT when no thread could be taken in time.
 * On error nothing is left attached or planted.
 */
int ph_inject_begin(struct ph_inject *in, struct ph_target *t, uint64_t deadline,
		    const volatile sig_atomic_t *cancel);

int ph_inject_call(struct ph_inject *in, uint64_t fn, const uint64_t *args, size_t n, uint64_t *ret);
int ph_inject_syscall(struct ph_inject *in, long nr, const uint64_t *args, size_t n, int64_t *ret);

/* Restore the thread (errno, registers), unmap the scratch memory, detach. */
int ph_inject_end(struct ph_inject *in);

#endif
