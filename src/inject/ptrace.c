/* SPDX-License-Identifier: MIT */
/*
 * ptrace.c - attach, stop, wait, detach (see ptrace.h). x86_64 only for the
 * register helpers.
 *
 * Invariant: a tracee is STOPPED only between a wait that reported its stop
 * and the next request that resumes it (cont, step, detach); ptrace
 * requests that need a stopped tracee are only made on STOPPED ones.
 */
#include "inject/ptrace.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/error.h"
#include "inject/proc.h"

#define XSTATE_MAX 16384 /* larger than any XSAVE area (AVX-512 + AMX is ~11 KiB) */

uint64_t ph_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t ph_deadline_ms(uint64_t ms)
{
	return ph_now_ns() + ms * 1000000u;
}

int ph_ptrace_find(const struct ph_ptrace *pt, pid_t tid)
{
	for (size_t i = 0; i < pt->n; i++)
		if (pt->v[i].tid == tid)
			return (int)i;
	return -1;
}

size_t ph_ptrace_live(const struct ph_ptrace *pt)
{
	size_t k = 0;

	for (size_t i = 0; i < pt->n; i++)
		k += pt->v[i].state != PH_TRACEE_GONE;
	return k;
}

/*
 * Track tid: a new entry, or its old one reset (a thread let go earlier and
 * seized again: one entry per thread, so that waits find the live one).
 */
static int add(struct ph_ptrace *pt, pid_t tid, enum ph_tracee_state state)
{
	int i = ph_ptrace_find(pt, tid);

	if (i < 0) {
		if (pt->n == pt->cap) {
			size_t ncap = pt->cap ? pt->cap * 2 : 16;
			struct ph_tracee *nv = realloc(pt->v, ncap * sizeof(*nv));

			if (!nv)
				return ph_error(PH_ENOMEM, "out of memory tracking threads");
			pt->v = nv;
			pt->cap = ncap;
		}
		i = (int)pt->n++;
	}
	memset(&pt->v[i], 0, sizeof(pt->v[0]));
	pt->v[i].tid = tid;
	pt->v[i].state = state;
	pt->last = (size_t)i;
	return 0;
}

static int eperm_error(pid_t pid, pid_t tid)
{
	struct ph_proc_status st;
	char yama[64] = "";
	bool traced = false;
	FILE *f;

	/* a tracer that was attaching or detaching just then: look a few times */
	for (int k = 0; k < 20 && !traced; k++) {
		traced = ph_proc_status(pid, tid, &st) == 0 && st.tracer_pid != 0;
		if (!traced)
			usleep(500);
	}
	if (traced) {
		struct ph_proc_status ts;
		const char *name = ph_proc_status(st.tracer_pid, 0, &ts) == 0 ? ts.name : "?";

		return ph_error(PH_EBUSY,
				"process %d is already traced by process %d (%s), a debugger or "
				"strace: detach it first",
				(int)pid, (int)st.tracer_pid, name);
	}
	f = fopen("/proc/sys/kernel/yama/ptrace_scope", "re");
	if (f) {
		int v = -1;

		if (fscanf(f, "%d", &v) == 1)
			snprintf(yama, sizeof(yama), " (it is %d now)", v);
		fclose(f);
	}
	return ph_error(PH_EPERM, "not permitted to trace process %d: %s%s", (int)pid,
			ph_proc_eperm_advice(), geteuid() ? yama : "");
}

/* Whether tid is a thread of process pid (a forked child is not). */
static bool is_thread_of(pid_t pid, pid_t tid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/task/%d", (int)pid, (int)tid);
	return access(path, F_OK) == 0;
}

/* Wait for a forked child's first stop (if not reaped yet) and let it go. */
static void detach_child(pid_t child)
{
	int st;

	while (waitpid(child, &st, __WALL) < 0 && errno == EINTR)
		;
	ptrace(PTRACE_DETACH, child, 0, 0);
}

int ph_ptrace_wait(struct ph_ptrace *pt, uint64_t deadline, bool interruptible, size_t *idx,
		   int *status)
{
	sigset_t chld;

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	for (;;) {
		int st, i;
		pid_t r;
		uint64_t now;

		if (ph_ptrace_live(pt) == 0)
			return ph_error(PH_EEXITED, "process %d exited", (int)pt->pid);
		r = waitpid(-1, &st, __WALL | WNOHANG);
		if (r > 0) {
			struct ph_tracee *t;

			i = ph_ptrace_find(pt, r);
			if (i < 0 && WIFSTOPPED(st) && !is_thread_of(pt->pid, r)) {
				/* a forked child's first stop, before its parent's fork event */
				if (pt->child_hook)
					pt->child_hook(pt, r, true, pt->trap_ctx);
				else
					ptrace(PTRACE_DETACH, r, 0, 0);
				continue;
			}
			if (i < 0) {
				/* a new thread's first stop, reported before its parent's clone event */
				if (!WIFSTOPPED(st) || add(pt, r, PH_TRACEE_RUNNING) != 0)
					continue;
				i = (int)pt->last;
			}
			t = &pt->v[i];
			if (WIFEXITED(st) || WIFSIGNALED(st)) {
				t->state = PH_TRACEE_GONE;
				if (r == pt->pid)
					pt->exited = true;
			} else if (WIFSTOPPED(st)) {
				if (t->state != PH_TRACEE_STOPPED)
					t->stopped_ns = ph_now_ns();
				t->state = PH_TRACEE_STOPPED;
				t->stop_sig = WSTOPSIG(st);
				t->stop_event = st >> 16;
				t->trapped = false;
				if (t->stop_event == 0 && t->stop_sig == SIGTRAP && pt->trap_hook &&
				    pt->trap_hook(pt, (size_t)i, pt->trap_ctx)) {
					t = &pt->v[i];
					t->trapped = true;
					t->stop_sig = 0;
				}
				if (t->stop_event == PTRACE_EVENT_STOP)
					t->interrupted = false;
				if (t->stop_event == PTRACE_EVENT_FORK ||
				    t->stop_event == PTRACE_EVENT_VFORK) {
					unsigned long msg = 0;

					if (ptrace(PTRACE_GETEVENTMSG, r, 0, &msg) == 0 && msg) {
						if (pt->child_hook)
							pt->child_hook(pt, (pid_t)msg, false, pt->trap_ctx);
						else
							detach_child((pid_t)msg);
					}
					t = &pt->v[i];
				}
				if (t->stop_event == PTRACE_EVENT_CLONE) {
					unsigned long msg = 0;

					int j;

					if (ptrace(PTRACE_GETEVENTMSG, r, 0, &msg) == 0 && msg &&
					    ((j = ph_ptrace_find(pt, (pid_t)msg)) < 0 ||
					     pt->v[j].state == PH_TRACEE_GONE) &&
					    add(pt, (pid_t)msg, PH_TRACEE_RUNNING) == 0)
						pt->v[pt->last].interrupted = true; /* it starts stopped */
					t = &pt->v[i];
				}
			} else {
				continue;
			}
			*idx = (size_t)i;
			*status = st;
			return 0;
		}
		if (r < 0 && errno == ECHILD) {
			for (size_t k = 0; k < pt->n; k++)
				pt->v[k].state = PH_TRACEE_GONE;
			pt->exited = true;
			return ph_error(PH_EEXITED, "process %d exited", (int)pt->pid);
		}
		if (r < 0 && errno != EINTR)
			return ph_error_errno(PH_EIO, errno, "waitpid");
		if (interruptible && pt->cancel && *pt->cancel)
			return ph_error(PH_EINTR, "interrupted");
		now = ph_now_ns();
		if (now >= deadline)
			return ph_error(PH_ETIMEOUT, "timed out waiting for process %d's threads to stop",
					(int)pt->pid);
		{
			uint64_t left = deadline - now;
			struct timespec ts;

			if (left > 20000000u)
				left = 20000000u; /* 20 ms: SIGCHLD may have gone to another thread */
			ts.tv_sec = 0;
			ts.tv_nsec = (long)left;
			sigtimedwait(&chld, NULL, &ts);
		}
	}
}

int ph_ptrace_stop_all(struct ph_ptrace *pt, uint64_t deadline, bool interruptible)
{
	for (;;) {
		size_t running = 0, i;
		int st, err;

		for (i = 0; i < pt->n; i++) {
			struct ph_tracee *t = &pt->v[i];

			if (t->state != PH_TRACEE_RUNNING)
				continue;
			running++;
			if (!t->interrupted) {
				if (ptrace(PTRACE_INTERRUPT, t->tid, 0, 0) < 0 && errno != ESRCH)
					return ph_error_errno(PH_EIO, errno, "PTRACE_INTERRUPT of thread %d",
							      (int)t->tid);
				t->interrupted = true;
			}
		}
		if (!running)
			return 0;
		err = ph_ptrace_wait(pt, deadline, interruptible, &i, &st);
		if (err)
			return err;
		if (WIFSTOPPED(st) && pt->v[i].stop_event == 0 && pt->v[i].stop_sig != 0) {
			struct ph_tracee *t = &pt->v[i];
			int sig = t->stop_sig;

			/* a signal-delivery-stop: keep the signal for later, or pass it if one is kept */
			if (!t->pending_sig) {
				t->pending_sig = sig;
			} else {
				err = ph_ptrace_cont(pt, i, sig);
				if (err)
					return err;
			}
		}
	}
}

void ph_ptrace_init(struct ph_ptrace *pt, pid_t pid, const volatile sig_atomic_t *cancel)
{
	sigset_t chld;

	memset(pt, 0, sizeof(*pt));
	pt->pid = pid;
	pt->cancel = cancel;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	pthread_sigmask(SIG_BLOCK, &chld, &pt->old_mask);
	pt->attached = true;
}

/* PTRACE_SEIZE one thread. 1 when it is gone, 0 when seized, or an error. */
static int seize(struct ph_ptrace *pt, pid_t tid, unsigned long opts)
{
	struct ph_proc_status ts;
	int e, st_err;

	if (ptrace(PTRACE_SEIZE, tid, 0, opts | PTRACE_O_TRACESYSGOOD) == 0)
		return add(pt, tid, PH_TRACEE_RUNNING);
	e = errno;
	if (e == ESRCH)
		return 1; /* the thread exited meanwhile */
	st_err = e == EPERM ? ph_proc_status(pt->pid, tid, &ts) : 0;
	if (e == EPERM && tid != pt->pid && (st_err != 0 || ts.state == 'Z' || ts.state == 'X'))
		return 1; /* an exiting thread cannot be attached: it is gone */
	if (e == EPERM && st_err == 0 && ts.tracer_pid == (pid_t)syscall(SYS_gettid)) {
		/* ours already: created by a thread we trace (TRACECLONE); it starts with a stop */
		int err = add(pt, tid, PH_TRACEE_RUNNING);

		if (!err)
			pt->v[pt->last].interrupted = true;
		return err;
	}
	if (e == EPERM || e == EACCES)
		return eperm_error(pt->pid, tid);
	return ph_error_errno(PH_EIO, e, "PTRACE_SEIZE of thread %d", (int)tid);
}

int ph_ptrace_seize(struct ph_ptrace *pt, pid_t tid, unsigned long opts, size_t *idx)
{
	int i = ph_ptrace_find(pt, tid), err;

	if (i >= 0 && pt->v[i].state != PH_TRACEE_GONE) {
		*idx = (size_t)i;
		return 0;
	}
	err = seize(pt, tid, opts);
	if (err == 1)
		return ph_error(PH_EEXITED, "thread %d exited", (int)tid);
	if (err)
		return err;
	*idx = pt->last;
	return 0;
}

int ph_ptrace_seize_all(struct ph_ptrace *pt, unsigned long opts)
{
	int err = 0;

	for (int round = 0; round < 100; round++) {
		pid_t *tids;
		size_t n, fresh = 0;

		err = ph_proc_tasks(pt->pid, &tids, &n);
		if (err)
			break;
		for (size_t k = 0; k < n && !err; k++) {
			int e, i = ph_ptrace_find(pt, tids[k]);

			if (i >= 0 && pt->v[i].state != PH_TRACEE_GONE)
				continue;
			e = seize(pt, tids[k], opts);
			if (e < 0)
				err = e;
			else if (e == 0)
				fresh++;
		}
		free(tids);
		if (err || !fresh)
			break;
		if (pt->cancel && *pt->cancel) {
			err = ph_error(PH_EINTR, "interrupted");
			break;
		}
	}
	if (!err && ph_ptrace_find(pt, pt->pid) < 0)
		err = ph_error(PH_EEXITED, "process %d exited", (int)pt->pid);
	return err;
}

int ph_ptrace_stop_one(struct ph_ptrace *pt, size_t i, uint64_t deadline)
{
	while (pt->v[i].state == PH_TRACEE_RUNNING) {
		struct ph_tracee *t = &pt->v[i];
		size_t k;
		int st, err;

		if (!t->interrupted) {
			if (ptrace(PTRACE_INTERRUPT, t->tid, 0, 0) < 0 && errno != ESRCH)
				return ph_error_errno(PH_EIO, errno, "PTRACE_INTERRUPT of thread %d",
						      (int)t->tid);
			t->interrupted = true;
		}
		err = ph_ptrace_wait(pt, deadline, false, &k, &st);
		if (err)
			return err;
		if (k == i && WIFSTOPPED(st) && pt->v[i].stop_event == 0 && pt->v[i].stop_sig != 0 &&
		    (pt->v[i].stop_sig & 0x80) == 0 && !pt->v[i].trapped && !pt->v[i].pending_sig)
			pt->v[i].pending_sig = pt->v[i].stop_sig; /* a signal: keep it for later */
	}
	return 0;
}

int ph_ptrace_cont(struct ph_ptrace *pt, size_t i, int sig)
{
	struct ph_tracee *t = &pt->v[i];

	if (ptrace(PTRACE_CONT, t->tid, 0, (void *)(intptr_t)sig) < 0) {
		if (errno == ESRCH) {
			t->state = PH_TRACEE_RUNNING; /* its exit will be reported */
			return 0;
		}
		return ph_error_errno(PH_EIO, errno, "PTRACE_CONT of thread %d", (int)t->tid);
	}
	t->state = PH_TRACEE_RUNNING;
	return 0;
}

int ph_ptrace_syscall(struct ph_ptrace *pt, size_t i, int sig)
{
	struct ph_tracee *t = &pt->v[i];

	if (ptrace(PTRACE_SYSCALL, t->tid, 0, (void *)(intptr_t)sig) < 0) {
		if (errno == ESRCH) {
			t->state = PH_TRACEE_RUNNING; /* its exit will be reported */
			return 0;
		}
		return ph_error_errno(PH_EIO, errno, "PTRACE_SYSCALL of thread %d", (int)t->tid);
	}
	t->state = PH_TRACEE_RUNNING;
	return 0;
}

int ph_ptrace_detach(struct ph_ptrace *pt, size_t i)
{
	struct ph_tracee *t = &pt->v[i];

	if (t->state == PH_TRACEE_GONE)
		return 0;
	if (ptrace(PTRACE_DETACH, t->tid, 0, (void *)(intptr_t)t->pending_sig) < 0 && errno != ESRCH)
		return ph_error_errno(PH_EIO, errno, "PTRACE_DETACH of thread %d", (int)t->tid);
	t->pending_sig = 0;
	t->state = PH_TRACEE_GONE;
	return 0;
}

int ph_ptrace_detach_all(struct ph_ptrace *pt, uint64_t deadline)
{
	int err = 0, e;

	if (!pt->attached)
		return 0;
	e = ph_ptrace_stop_all(pt, deadline, false);
	if (e && e != PH_EEXITED)
		err = e;
	for (size_t i = 0; i < pt->n; i++) {
		if (pt->v[i].state != PH_TRACEE_STOPPED)
			continue;
		e = ph_ptrace_detach(pt, i);
		if (e && !err)
			err = e;
	}
	return err;
}

void ph_ptrace_release(struct ph_ptrace *pt)
{
	if (pt->attached) {
		ph_ptrace_detach_all(pt, ph_deadline_ms(2000));
		pthread_sigmask(SIG_SETMASK, &pt->old_mask, NULL);
	}
	free(pt->v);
	memset(pt, 0, sizeof(*pt));
}

int ph_ptrace_getregs(struct ph_ptrace *pt, size_t i, struct user_regs_struct *r)
{
	if (ptrace(PTRACE_GETREGS, pt->v[i].tid, 0, r) < 0)
		return ph_error_errno(errno == ESRCH ? PH_EEXITED : PH_EIO, errno,
				      "cannot read the registers of thread %d", (int)pt->v[i].tid);
	return 0;
}

int ph_ptrace_setregs(struct ph_ptrace *pt, size_t i, const struct user_regs_struct *r)
{
	if (ptrace(PTRACE_SETREGS, pt->v[i].tid, 0, r) < 0)
		return ph_error_errno(errno == ESRCH ? PH_EEXITED : PH_EIO, errno,
				      "cannot set the registers of thread %d", (int)pt->v[i].tid);
	return 0;
}

int ph_ptrace_getxstate(struct ph_ptrace *pt, size_t i, uint8_t **buf, size_t *len)
{
	uint8_t *b = calloc(1, XSTATE_MAX);
	struct iovec iov = {b, XSTATE_MAX};

	if (!b)
		return ph_error(PH_ENOMEM, "out of memory");
	if (ptrace(PTRACE_GETREGSET, pt->v[i].tid, (void *)NT_X86_XSTATE, &iov) < 0) {
		int e = errno;

		free(b);
		return ph_error_errno(e == ESRCH ? PH_EEXITED : PH_EIO, e,
				      "cannot read the vector registers of thread %d", (int)pt->v[i].tid);
	}
	*buf = b;
	*len = iov.iov_len;
	return 0;
}

int ph_ptrace_setxstate(struct ph_ptrace *pt, size_t i, const uint8_t *buf, size_t len)
{
	struct iovec iov = {(void *)buf, len};

	if (ptrace(PTRACE_SETREGSET, pt->v[i].tid, (void *)NT_X86_XSTATE, &iov) < 0)
		return ph_error_errno(errno == ESRCH ? PH_EEXITED : PH_EIO, errno,
				      "cannot restore the vector registers of thread %d",
				      (int)pt->v[i].tid);
	return 0;
}

int ph_ptrace_peek(struct ph_ptrace *pt, size_t i, uint64_t addr, uint64_t *word)
{
	long v;

	errno = 0;
	v = ptrace(PTRACE_PEEKDATA, pt->v[i].tid, (void *)(uintptr_t)addr, 0);
	if (errno)
		return ph_error_errno(errno == ESRCH ? PH_EEXITED : PH_EIO, errno,
				      "cannot read the word at 0x%llx", (unsigned long long)addr);
	*word = (uint64_t)v;
	return 0;
}

int ph_ptrace_poke(struct ph_ptrace *pt, size_t i, uint64_t addr, uint64_t word)
{
	if (ptrace(PTRACE_POKEDATA, pt->v[i].tid, (void *)(uintptr_t)addr, (void *)(uintptr_t)word) < 0)
		return ph_error_errno(errno == ESRCH ? PH_EEXITED : PH_EIO, errno,
				      "cannot write the word at 0x%llx", (unsigned long long)addr);
	return 0;
}

int ph_ptrace_setoptions(struct ph_ptrace *pt, size_t i, unsigned long opts)
{
	if (ptrace(PTRACE_SETOPTIONS, pt->v[i].tid, 0, (void *)opts) < 0)
		return ph_error_errno(errno == ESRCH ? PH_EEXITED : PH_EIO, errno,
				      "PTRACE_SETOPTIONS of thread %d", (int)pt->v[i].tid);
	return 0;
}
