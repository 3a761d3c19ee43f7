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
 * recv, send, connect, flock, SysV IPC); a futex wait on application
 * memory.
 */
#ifndef PH_CHOOSE_H
#define PH_CHOOSE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "inject/maps.h"

struct ph_thread_regs {
	pid_t tid;
	int64_t orig_rax; /* system call number, < 0 if not in one */
	int64_t rax;      /* its result so far (a restart code when interrupted) */
	uint64_t rdi, rsi; /* first arguments (futex: address and op) */
};

enum ph_thread_class {
	PH_THREAD_UNUSABLE = 0,
	PH_THREAD_FUTEX = 1,   /* futex wait on application memory */
	PH_THREAD_SYSCALL = 2, /* another interrupted blocking system call */
	PH_THREAD_SLEEP = 3,   /* sleeping or waiting for readiness */
};

/* The class of a stopped thread; *why (may be NULL) receives a short reason when unusable. */
enum ph_thread_class ph_thread_classify(const struct ph_thread_regs *t, const struct ph_maps *m,
					const char **why);

/* Index of the best usable thread of v[0..n), or -1 if none is usable. Ties: the earliest. */
int ph_thread_choose(const struct ph_thread_regs *v, size_t n, const struct ph_maps *m);

#endif
