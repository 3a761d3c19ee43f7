/* SPDX-License-Identifier: MIT */
/*
 * choose.h - which stopped thread of the target may be hijacked for remote
 * calls (pure logic over register values and the memory map; unit-tested).
 *
 * A thread is usable only when it is parked in the kernel in a blocking
 * system call that was interrupted by our stop: orig_rax >= 0 and rax is a
 * restart code (-ERESTARTSYS -512, -ERESTARTNOINTR -513, -ERESTARTNOHAND
 * -514, -ERESTART_RESTARTBLOCK -516) or -EINTR. Such a thread holds no lock
 * of libc or the loader at that point, unless it waits for one: so a futex
 * wait counts only if the futex word lies on the heap, a stack or anonymous
 * memory (a Python-level Lock, Event, Queue or join), never in a file
 * mapping or the .bss right after one (malloc, stdio, loader locks, the
 * GIL inside _PyRuntime). A running thread, or one stopped outside a system
 * call, is not usable: the caller falls back to breakpoints.
 *
 * Only listed calls count (a whitelist): a thread interrupted in fork's
 * clone() holds every malloc lock, one in dlopen's open() the loader lock.
 * Classes, best first: a sleep or wait for I/O readiness (nanosleep, select,
 * poll, epoll, accept, wait4, sigtimedwait, ...); blocking I/O (read, write,
 * recv, send, connect, flock, SysV IPC); a wait for the GIL; a futex wait
 * on application memory. Within a class, a call the kernel restarts from
 * its arguments is preferred to one it restarts from its restart block
 * (-ERESTART_RESTARTBLOCK: a relative nanosleep, poll, a futex wait with a
 * relative timeout), which ends early with EINTR if pyheap dies during a
 * call on it (remote.h).
 *
 * Threads are chosen first from /proc/PID/task/TID/syscall (read without
 * stopping anything: the call and its arguments for a thread blocked in
 * one), then checked again from their registers once stopped.
 */
#ifndef PH_CHOOSE_H
#define PH_CHOOSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "inject/maps.h"

struct ph_thread_regs {
	pid_t tid;
	int64_t orig_rax; /* system call number, < 0 if not in one */
	int64_t rax;      /* its result so far (a restart code when interrupted) */
	uint64_t rdi, rsi; /* first arguments (futex: address and op) */
	uint64_t rdx, r10, r8, r9; /* the others */
	bool rax_unknown; /* from /proc/.../syscall: the thread was not stopped, rax not known */
};

enum ph_thread_class {
	PH_THREAD_UNUSABLE = 0,
	PH_THREAD_FUTEX = 1,   /* futex wait on application memory */
	PH_THREAD_GIL = 2,     /* waiting for the GIL (a futex inside _PyRuntime) */
	PH_THREAD_SYSCALL = 3, /* another interrupted blocking system call */
	PH_THREAD_SLEEP = 4,   /* sleeping or waiting for readiness */
};

/* What a thread's class depends on besides its registers. */
struct ph_choose_env {
	const struct ph_maps *maps;
	uint64_t runtime_lo, runtime_hi; /* _PyRuntime, or 0, 0 */
};

/* The class of a thread; *why (may be NULL) receives a short reason when unusable. */
enum ph_thread_class ph_thread_classify(const struct ph_thread_regs *t,
					const struct ph_choose_env *env, const char **why);

/* Whether the kernel restarts t's call from its restart block (see above). */
bool ph_thread_restart_block(const struct ph_thread_regs *t);

/* A score to sort candidates by, higher is better; 0: unusable. */
int ph_thread_score(const struct ph_thread_regs *t, const struct ph_choose_env *env);

/* Index of the best usable thread of v[0..n), or -1 if none is usable. Ties: the earliest. */
int ph_thread_choose(const struct ph_thread_regs *v, size_t n, const struct ph_choose_env *env);

/*
 * Parse /proc/PID/task/TID/syscall: "NR ARG1 ... ARG6 SP PC" for a thread
 * blocked in a system call (0: *t filled, rax_unknown set), "running" (1),
 * "-1 SP PC" blocked outside one (2); -1 if malformed.
 */
int ph_thread_parse_syscall(const char *text, struct ph_thread_regs *t);

#endif
