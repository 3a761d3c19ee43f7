/* SPDX-License-Identifier: MIT */
/*
 * choose.c - thread classification for hijacking (see choose.h). x86_64
 * system call numbers.
 */
#include "inject/choose.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NR_READ 0
#define NR_POLL 7
#define NR_READV 19
#define NR_SELECT 23
#define NR_PAUSE 34
#define NR_NANOSLEEP 35
#define NR_ACCEPT 43
#define NR_WAIT4 61
#define NR_RT_SIGTIMEDWAIT 128
#define NR_RT_SIGSUSPEND 130
#define NR_FUTEX 202
#define NR_CLOCK_NANOSLEEP 230
#define NR_EPOLL_WAIT 232
#define NR_WAITID 247
#define NR_PSELECT6 270
#define NR_PPOLL 271
#define NR_EPOLL_PWAIT 281
#define NR_ACCEPT4 288
#define NR_EPOLL_PWAIT2 441
#define NR_FUTEX_WAITV 449
#define NR_RESTART_SYSCALL 219

/* other blocking calls made without libc-internal locks held */
#define NR_WRITE 1
#define NR_PREAD64 17
#define NR_WRITEV 20
#define NR_CONNECT 42
#define NR_SENDTO 44
#define NR_RECVFROM 45
#define NR_SENDMSG 46
#define NR_RECVMSG 47
#define NR_SEMOP 65
#define NR_MSGSND 69
#define NR_MSGRCV 70
#define NR_FLOCK 73
#define NR_IO_GETEVENTS 208
#define NR_SEMTIMEDOP 220
#define NR_PREADV 295
#define NR_RECVMMSG 299
#define NR_SENDMMSG 307

#define TIMER_ABSTIME 1

#define FUTEX_CMD_MASK 0x7f /* without FUTEX_PRIVATE_FLAG (128) and FUTEX_CLOCK_REALTIME (256) */
#define FUTEX_WAIT 0
#define FUTEX_WAIT_BITSET 9

static bool restart_code(int64_t rax)
{
	return rax == -512 || rax == -513 || rax == -514 || rax == -516 || rax == -4;
}

static bool sleep_call(int64_t nr)
{
	switch (nr) {
	case NR_POLL:
	case NR_SELECT:
	case NR_PAUSE:
	case NR_NANOSLEEP:
	case NR_ACCEPT:
	case NR_WAIT4:
	case NR_RT_SIGTIMEDWAIT:
	case NR_RT_SIGSUSPEND:
	case NR_CLOCK_NANOSLEEP:
	case NR_EPOLL_WAIT:
	case NR_WAITID:
	case NR_PSELECT6:
	case NR_PPOLL:
	case NR_EPOLL_PWAIT:
	case NR_ACCEPT4:
	case NR_EPOLL_PWAIT2:
		return true;
	default:
		return false;
	}
}

static bool io_call(int64_t nr)
{
	switch (nr) {
	case NR_READ:
	case NR_WRITE:
	case NR_PREAD64:
	case NR_READV:
	case NR_WRITEV:
	case NR_CONNECT:
	case NR_SENDTO:
	case NR_RECVFROM:
	case NR_SENDMSG:
	case NR_RECVMSG:
	case NR_SEMOP:
	case NR_MSGSND:
	case NR_MSGRCV:
	case NR_FLOCK:
	case NR_IO_GETEVENTS:
	case NR_SEMTIMEDOP:
	case NR_PREADV:
	case NR_RECVMMSG:
	case NR_SENDMMSG:
		return true;
	default:
		return false;
	}
}

/* A wait that runs with a temporary signal mask (see choose.h). */
static bool temporary_mask(const struct ph_thread_regs *t)
{
	switch (t->orig_rax) {
	case NR_RT_SIGSUSPEND:
		return true;
	case NR_PPOLL:
		return t->r10 != 0;
	case NR_PSELECT6:
		return t->r9 != 0;
	case NR_EPOLL_PWAIT:
	case NR_EPOLL_PWAIT2:
		return t->r8 != 0;
	default:
		return false;
	}
}

bool ph_thread_restart_block(const struct ph_thread_regs *t)
{
	if (t->orig_rax == NR_RESTART_SYSCALL)
		return true;
	if (!t->rax_unknown)
		return t->rax == -516;
	switch (t->orig_rax) {
	case NR_NANOSLEEP:
	case NR_POLL:
		return true;
	case NR_CLOCK_NANOSLEEP:
		return !(t->rsi & TIMER_ABSTIME);
	case NR_FUTEX:
		return (t->rsi & FUTEX_CMD_MASK) == FUTEX_WAIT && t->rdx != 0;
	default:
		return false;
	}
}

enum ph_thread_class ph_thread_classify(const struct ph_thread_regs *t,
					const struct ph_choose_env *env, const char **why)
{
	const char *dummy;

	if (!why)
		why = &dummy;
	*why = NULL;
	if (t->orig_rax < 0) {
		*why = "running (not in a system call)";
		return PH_THREAD_UNUSABLE;
	}
	if (!t->rax_unknown && !restart_code(t->rax)) {
		*why = "in a system call that is not a blocking wait";
		return PH_THREAD_UNUSABLE;
	}
	if (temporary_mask(t)) {
		*why = "waiting with a temporary signal mask";
		return PH_THREAD_UNUSABLE;
	}
	if (t->orig_rax == NR_RESTART_SYSCALL) {
		/*
		 * The restart of a wait interrupted earlier (a futex wait with a relative
		 * timeout, nanosleep, poll): its arguments are still in the registers.
		 */
		int op = (int)(t->rsi & FUTEX_CMD_MASK);

		if (op == FUTEX_WAIT || op == FUTEX_WAIT_BITSET) {
			struct ph_thread_regs f = *t;

			f.orig_rax = NR_FUTEX;
			f.rax_unknown = true;
			return ph_thread_classify(&f, env, why);
		}
		return PH_THREAD_SLEEP;
	}
	if (t->orig_rax == NR_FUTEX) {
		int op = (int)(t->rsi & FUTEX_CMD_MASK);

		if (op != FUTEX_WAIT && op != FUTEX_WAIT_BITSET) {
			*why = "in a futex operation other than a plain wait";
			return PH_THREAD_UNUSABLE;
		}
		if (env->runtime_lo < env->runtime_hi && t->rdi >= env->runtime_lo &&
		    t->rdi < env->runtime_hi)
			return PH_THREAD_GIL;
		switch (ph_maps_kind(env->maps, t->rdi)) {
		case PH_MEM_HEAP:
		case PH_MEM_STACK:
		case PH_MEM_ANON:
			return PH_THREAD_FUTEX;
		default:
			*why = "waiting on a lock inside a library (malloc, loader, stdio)";
			return PH_THREAD_UNUSABLE;
		}
	}
	if (t->orig_rax == NR_FUTEX_WAITV) {
		*why = "in futex_waitv";
		return PH_THREAD_UNUSABLE;
	}
	if (sleep_call(t->orig_rax))
		return PH_THREAD_SLEEP;
	if (io_call(t->orig_rax))
		return PH_THREAD_SYSCALL;
	/*
	 * Anything else may be made with libc locks held: fork's clone() holds
	 * every malloc arena lock and the stdio list lock, dlopen's open() the
	 * loader lock.
	 */
	*why = "in a system call that may hold a C library lock (fork, open, ...)";
	return PH_THREAD_UNUSABLE;
}

int ph_thread_score(const struct ph_thread_regs *t, const struct ph_choose_env *env)
{
	enum ph_thread_class c = ph_thread_classify(t, env, NULL);

	if (c == PH_THREAD_UNUSABLE)
		return 0;
	return (int)c * 2 + !ph_thread_restart_block(t);
}

int ph_thread_choose(const struct ph_thread_regs *v, size_t n, const struct ph_choose_env *env)
{
	int best = -1, best_score = 0;

	for (size_t i = 0; i < n; i++) {
		int sc = ph_thread_score(&v[i], env);

		if (sc > best_score) {
			best_score = sc;
			best = (int)i;
		}
	}
	return best;
}

int ph_thread_parse_syscall(const char *text, struct ph_thread_regs *t)
{
	uint64_t a[8];
	long long nr;
	char *end;
	const char *p = text;

	if (strncmp(text, "running", 7) == 0)
		return 1;
	errno = 0;
	nr = strtoll(p, &end, 10);
	if (end == p || errno)
		return -1;
	if (nr < 0)
		return 2;
	p = end;
	for (int i = 0; i < 8; i++) {
		while (*p == ' ')
			p++;
		if (strncmp(p, "0x", 2) != 0)
			return -1;
		a[i] = strtoull(p + 2, &end, 16);
		if (end == p + 2)
			return -1;
		p = end;
	}
	t->orig_rax = nr;
	t->rax = 0;
	t->rax_unknown = true;
	t->rdi = a[0];
	t->rsi = a[1];
	t->rdx = a[2];
	t->r10 = a[3];
	t->r8 = a[4];
	t->r9 = a[5];
	return 0;
}
