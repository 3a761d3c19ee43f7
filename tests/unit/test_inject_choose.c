/* SPDX-License-Identifier: MIT */
/*
 * Which stopped thread may be hijacked: restart codes, system call classes,
 * futexes by the memory they lie in (a GIL wait inside _PyRuntime), waits
 * with a temporary signal mask, the restart-block preference, and
 * /proc/PID/task/TID/syscall.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "inject/choose.h"

static const char maps_text[] =
	"00400000-00401000 r-xp 00000000 08:01 1 /usr/lib/libpython3.12.so\n"
	"00500000-00501000 rw-p 00100000 08:01 1 /usr/lib/libpython3.12.so\n"
	"00501000-00510000 rw-p 00000000 00:00 0 \n"
	"01000000-02000000 rw-p 00000000 00:00 0 [heap]\n"
	"7f0000000000-7f0000800000 rw-p 00000000 00:00 0 \n"
	"7f1000000000-7f1000100000 rw-p 00000000 08:01 2 /usr/lib/libc.so.6\n"
	"7ffc00000000-7ffc00021000 rw-p 00000000 00:00 0 [stack]\n";

#define ERESTARTSYS -512
#define ERESTARTNOHAND -514
#define ERESTART_RESTARTBLOCK -516

static struct ph_maps m;
/* _PyRuntime: 0x00500000-0x00500200 inside libpython's .data */
static struct ph_choose_env env = {&m, 0x00500000, 0x00500200};

static void setup(void)
{
	cr_assert_eq(ph_maps_parse(maps_text, strlen(maps_text), &m), 0);
}

static void teardown(void)
{
	ph_maps_release(&m);
}

static enum ph_thread_class cls(int64_t nr, int64_t rax, uint64_t rdi, uint64_t rsi)
{
	struct ph_thread_regs t = {1, nr, rax, rdi, rsi};
	const char *why = NULL;
	enum ph_thread_class c = ph_thread_classify(&t, &env, &why);

	cr_assert((c == PH_THREAD_UNUSABLE) == (why != NULL));
	return c;
}

TestSuite(inject_choose, .init = setup, .fini = teardown);

Test(inject_choose, sleeping_and_polling_threads_are_best)
{
	cr_assert_eq(cls(230, ERESTARTNOHAND, 0, 0), PH_THREAD_SLEEP);        /* clock_nanosleep */
	cr_assert_eq(cls(35, ERESTART_RESTARTBLOCK, 0, 0), PH_THREAD_SLEEP);  /* nanosleep */
	cr_assert_eq(cls(270, ERESTARTNOHAND, 0, 0), PH_THREAD_SLEEP);        /* pselect6 */
	cr_assert_eq(cls(232, -4, 0, 0), PH_THREAD_SLEEP);                    /* epoll_wait, EINTR */
	cr_assert_eq(cls(288, ERESTARTSYS, 0, 0), PH_THREAD_SLEEP);           /* accept4 */
	cr_assert_eq(cls(0, ERESTARTSYS, 0, 0), PH_THREAD_SYSCALL);           /* read */
}

Test(inject_choose, running_threads_are_not_usable)
{
	cr_assert_eq(cls(-1, 0, 0, 0), PH_THREAD_UNUSABLE);        /* not in a system call */
	cr_assert_eq(cls(0, 12, 0, 0), PH_THREAD_UNUSABLE);        /* read that returned */
	cr_assert_eq(cls(9, -12, 0, 0), PH_THREAD_UNUSABLE);       /* mmap failing ENOMEM */
	cr_assert_eq(cls(230, -38, 0, 0), PH_THREAD_UNUSABLE);     /* -ENOSYS: syscall entry */
}

Test(inject_choose, calls_that_may_hold_libc_locks_are_not_usable)
{
	/* fork's clone() runs with every malloc arena locked: interrupted, it restarts (-513) */
	cr_assert_eq(cls(56, -513, 0, 0), PH_THREAD_UNUSABLE);     /* clone */
	cr_assert_eq(cls(435, -513, 0, 0), PH_THREAD_UNUSABLE);    /* clone3 */
	cr_assert_eq(cls(57, -513, 0, 0), PH_THREAD_UNUSABLE);     /* fork */
	cr_assert_eq(cls(257, ERESTARTSYS, 0, 0), PH_THREAD_UNUSABLE); /* openat (dlopen) */
	cr_assert_eq(cls(59, ERESTARTSYS, 0, 0), PH_THREAD_UNUSABLE);  /* execve */
	cr_assert_eq(cls(1, ERESTARTSYS, 0, 0), PH_THREAD_SYSCALL);    /* write to a full pipe */
	cr_assert_eq(cls(45, ERESTARTSYS, 0, 0), PH_THREAD_SYSCALL);   /* recvfrom */
}

Test(inject_choose, futexes_by_memory)
{
	/* FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG on the heap, an arena, the stack: application locks */
	cr_assert_eq(cls(202, ERESTARTSYS, 0x01000100, 9 | 128), PH_THREAD_FUTEX);
	cr_assert_eq(cls(202, ERESTARTSYS, 0x7f0000000100, 0), PH_THREAD_FUTEX);
	cr_assert_eq(cls(202, ERESTARTSYS, 0x7ffc00000100, 9 | 256), PH_THREAD_FUTEX);
	/* inside _PyRuntime: a thread waiting for the GIL (cond or mutex), which holds no lock */
	cr_assert_eq(cls(202, ERESTARTSYS, 0x00500100, 9 | 128), PH_THREAD_GIL);
	cr_assert_eq(cls(202, ERESTARTSYS, 0x005001f8, 128), PH_THREAD_GIL);
	/* elsewhere in a library's .data or .bss, or libc: never (malloc, loader, stdio locks) */
	cr_assert_eq(cls(202, ERESTARTSYS, 0x00500200, 0), PH_THREAD_UNUSABLE);
	cr_assert_eq(cls(202, ERESTARTSYS, 0x00505000, 0), PH_THREAD_UNUSABLE);
	cr_assert_eq(cls(202, ERESTARTSYS, 0x7f1000000100, 128), PH_THREAD_UNUSABLE);
	cr_assert_eq(cls(202, ERESTARTSYS, 0x300, 0), PH_THREAD_UNUSABLE); /* unmapped */
	/* a futex operation that is not a wait (FUTEX_LOCK_PI) */
	cr_assert_eq(cls(202, ERESTARTSYS, 0x01000100, 6), PH_THREAD_UNUSABLE);
	cr_assert_eq(cls(449, ERESTARTSYS, 0x01000100, 0), PH_THREAD_UNUSABLE); /* futex_waitv */
}

Test(inject_choose, best_thread_wins)
{
	struct ph_thread_regs v[] = {
		{10, -1, 0, 0, 0},                          /* running */
		{11, 202, ERESTARTSYS, 0x00500100, 0},      /* GIL wait */
		{12, 202, ERESTARTSYS, 0x01000100, 0},      /* Lock on the heap */
		{13, 0, ERESTARTSYS, 0, 0},                 /* read */
		{14, 230, ERESTARTNOHAND, 0, 0},            /* sleep */
		{15, 230, ERESTARTNOHAND, 0, 0},            /* sleep, later */
	};

	cr_assert_eq(ph_thread_choose(v, 6, &env), 4);
	cr_assert_eq(ph_thread_choose(v, 4, &env), 3);
	cr_assert_eq(ph_thread_choose(v, 3, &env), 1); /* the GIL waiter before a Lock */
	cr_assert_eq(ph_thread_choose(v, 2, &env), 1);
	cr_assert_eq(ph_thread_choose(v, 1, &env), -1);
	cr_assert_eq(ph_thread_choose(v, 0, &env), -1);
}

Test(inject_choose, waits_with_a_temporary_signal_mask_are_not_usable)
{
	struct ph_thread_regs t = {1, 130, ERESTARTNOHAND, 0, 0}; /* rt_sigsuspend */

	cr_assert_eq(ph_thread_classify(&t, &env, NULL), PH_THREAD_UNUSABLE);
	t.orig_rax = 271; /* ppoll: its mask is the 4th argument */
	cr_assert_eq(ph_thread_classify(&t, &env, NULL), PH_THREAD_SLEEP);
	t.r10 = 0x7ffc00000200;
	cr_assert_eq(ph_thread_classify(&t, &env, NULL), PH_THREAD_UNUSABLE);
	t.orig_rax = 270; /* pselect6: the 6th */
	t.r10 = 0;
	cr_assert_eq(ph_thread_classify(&t, &env, NULL), PH_THREAD_SLEEP);
	t.r9 = 0x7ffc00000200;
	cr_assert_eq(ph_thread_classify(&t, &env, NULL), PH_THREAD_UNUSABLE);
	t.orig_rax = 281; /* epoll_pwait: the 5th */
	t.r9 = 0;
	t.r8 = 0x7ffc00000200;
	cr_assert_eq(ph_thread_classify(&t, &env, NULL), PH_THREAD_UNUSABLE);
}

Test(inject_choose, calls_restarted_from_their_arguments_are_preferred)
{
	struct ph_thread_regs v[] = {
		{20, 35, ERESTART_RESTARTBLOCK, 0, 0},   /* nanosleep: restart block */
		{21, 230, ERESTARTNOHAND, 1, 1},         /* clock_nanosleep TIMER_ABSTIME */
	};
	struct ph_thread_regs rel = {22, 230, 0, 1, 0}, abs = {23, 230, 0, 1, 1};
	struct ph_thread_regs fut = {24, 202, 0, 0x01000100, 0 | 128};

	cr_assert(ph_thread_restart_block(&v[0]));
	cr_assert(!ph_thread_restart_block(&v[1]));
	cr_assert_eq(ph_thread_choose(v, 2, &env), 1);
	/* predicted from the arguments when the thread was not stopped (rax unknown) */
	rel.rax_unknown = abs.rax_unknown = fut.rax_unknown = true;
	cr_assert(ph_thread_restart_block(&rel));
	cr_assert(!ph_thread_restart_block(&abs));
	cr_assert(!ph_thread_restart_block(&fut)); /* FUTEX_WAIT without a timeout */
	fut.rdx = 0x7ffc00000300;
	cr_assert(ph_thread_restart_block(&fut));
	cr_assert_gt(ph_thread_score(&abs, &env), ph_thread_score(&rel, &env));
}

Test(inject_choose, a_restarted_wait_is_judged_by_its_arguments)
{
	/* restart_syscall after a timed futex wait on the heap, a libc lock, or a nanosleep */
	struct ph_thread_regs heap = {30, 219, 0, 0x01000100, 9 | 128};
	struct ph_thread_regs libc = {31, 219, 0, 0x7f1000000100, 0 | 128};
	struct ph_thread_regs nap = {32, 219, 0, 0x7ffc00000200, 0x7ffc00000318}; /* a rem pointer */

	heap.rax_unknown = libc.rax_unknown = nap.rax_unknown = true;
	cr_assert_eq(ph_thread_classify(&heap, &env, NULL), PH_THREAD_FUTEX);
	cr_assert_eq(ph_thread_classify(&libc, &env, NULL), PH_THREAD_UNUSABLE);
	cr_assert_eq(ph_thread_classify(&nap, &env, NULL), PH_THREAD_SLEEP);
	cr_assert(ph_thread_restart_block(&heap) && ph_thread_restart_block(&nap));
}

Test(inject_choose, proc_syscall_file)
{
	struct ph_thread_regs t;

	memset(&t, 0, sizeof(t));
	cr_assert_eq(ph_thread_parse_syscall("230 0x1 0x1 0x7ffd8bd4a0b0 0x0 0x0 0x0 0x7ffd8bd4a098 "
					     "0x7f2f3a8e6503\n", &t), 0);
	cr_assert_eq(t.orig_rax, 230);
	cr_assert(t.rax_unknown);
	cr_assert_eq(t.rdi, 1);
	cr_assert_eq(t.rsi, 1);
	cr_assert_eq(t.rdx, 0x7ffd8bd4a0b0);
	cr_assert_eq(ph_thread_classify(&t, &env, NULL), PH_THREAD_SLEEP);
	cr_assert_eq(ph_thread_parse_syscall("running\n", &t), 1);
	cr_assert_eq(ph_thread_parse_syscall("-1 0x7ffd8bd4a098 0x7f2f3a8e6503\n", &t), 2);
	cr_assert_eq(ph_thread_parse_syscall("", &t), -1);
	cr_assert_eq(ph_thread_parse_syscall("7 0x1 0x2\n", &t), -1);
	cr_assert_eq(ph_thread_parse_syscall("7 zz\n", &t), -1);
}
