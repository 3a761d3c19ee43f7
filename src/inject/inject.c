/* SPDX-License-Identifier: MIT */
/*
 * inject.c - an injection session (see inject.h). x86_64.
 */
#include "inject/inject.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/hw_breakpoint.h>
#include <linux/perf_event.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/error.h"
#include "common/testpoint.h"
#include "inject/choose.h"
#include "inject/mem.h"
#include "inject/proc.h"

#define MAX_BPS 8
#define MAX_TRIES 8 /* candidates seized and checked before falling back to breakpoints */
#define SIGTRAP_BIT (1ull << (SIGTRAP - 1))
#define RELEASE_MS 5000

struct bps {
	size_t n;
	uint64_t addr[MAX_BPS];
	uint8_t orig[MAX_BPS];
	bool planted[MAX_BPS];
	int memfd; /* /proc/PID/mem, read-write */
};

static const char *const bp_functions[] = {
	"PyObject_Malloc", "PyObject_Free",     "PyMem_Malloc",
	"PyErr_CheckSignals", "PyEval_SaveThread", "PyEval_RestoreThread",
};

/* Record how long tracee i has been stopped (it is about to go on). */
static void hold(struct ph_inject *in, size_t i)
{
	if (!in->pt.v[i].stopped_ns)
		return;
	if (in->nholds == in->capholds) {
		size_t cap = in->capholds ? in->capholds * 2 : 64;
		void *nv = realloc(in->holds, cap * sizeof(*in->holds));

		if (!nv)
			return; /* the figure is reported, not relied on */
		in->holds = nv;
		in->capholds = cap;
	}
	in->holds[in->nholds].tid = in->pt.v[i].tid;
	in->holds[in->nholds].ns = ph_now_ns() - in->pt.v[i].stopped_ns;
	in->nholds++;
}

/* The longest hold of a thread other than tid. */
static uint64_t others_held(const struct ph_inject *in, pid_t tid)
{
	uint64_t m = 0;

	for (size_t k = 0; k < in->nholds; k++)
		if (in->holds[k].tid != tid && in->holds[k].ns > m)
			m = in->holds[k].ns;
	return m;
}

/* Let tracee i go (it must be STOPPED), counting how long it was held. */
static int let_go(struct ph_inject *in, size_t i)
{
	hold(in, i);
	return ph_ptrace_detach(&in->pt, i);
}

/*
 * Stop every tracee but keep (all interrupted at once, so that no thread
 * waits for the others' turns) and hand each to fn as soon as it stops. fn
 * resumes or detaches it and returns 1 when done with it, 0 to be handed it
 * again at its next stop. A thread already done that stops again (a system
 * call of a thread now traced at its calls) is resumed as it was, passing a
 * signal on.
 */
static int each_stopped(struct ph_inject *in, int keep, int (*fn)(struct ph_inject *in, size_t i),
			uint64_t deadline)
{
	struct ph_ptrace *pt = &in->pt;
	size_t n = pt->n, left = 0;
	uint8_t *todo = calloc(n ? n : 1, 1); /* not done with yet */
	int err = 0;

	if (!todo)
		return ph_error(PH_ENOMEM, "out of memory");
	for (size_t i = 0; i < n && !err; i++) {
		struct ph_tracee *t = &pt->v[i];

		if ((int)i == keep || t->state == PH_TRACEE_GONE)
			continue;
		todo[i] = 1;
		left++;
		if (t->state == PH_TRACEE_RUNNING && !t->interrupted) {
			if (ptrace(PTRACE_INTERRUPT, t->tid, 0, 0) < 0 && errno != ESRCH)
				err = ph_error_errno(PH_EIO, errno, "PTRACE_INTERRUPT of thread %d",
						     (int)t->tid);
			t->interrupted = true;
		}
	}
	for (size_t i = 0; i < n && !err; i++) {
		if (todo[i] && pt->v[i].state == PH_TRACEE_STOPPED) {
			int r = fn(in, i);

			if (r < 0)
				err = r;
			else if (r > 0) {
				todo[i] = 0;
				left--;
			}
		}
	}
	while (!err && left) {
		struct ph_tracee *t;
		size_t i;
		int st, r;

		err = ph_ptrace_wait(pt, deadline, false, &i, &st);
		if (err == PH_EEXITED) {
			ph_error_clear();
			err = 0;
			break;
		}
		if (err)
			break;
		if (i >= n || (int)i == keep) /* a thread born meanwhile, or keep: not ours here */
			continue;
		if (!WIFSTOPPED(st)) {
			left -= todo[i];
			todo[i] = 0;
			continue;
		}
		t = &pt->v[i];
		if (!todo[i]) {
			bool sig = t->stop_event == 0 && !(t->stop_sig & 0x80) && !t->trapped;

			hold(in, i);
			err = ph_ptrace_syscall(pt, i, sig ? t->stop_sig : 0);
			continue;
		}
		if (t->stop_event == 0 && t->stop_sig && !(t->stop_sig & 0x80) && !t->trapped) {
			/* a signal: keep it for when the thread goes on, or pass a second one now */
			if (t->pending_sig) {
				err = ph_ptrace_cont(pt, i, t->stop_sig);
				continue;
			}
			t->pending_sig = t->stop_sig;
		}
		r = fn(in, i);
		if (r < 0)
			err = r;
		else if (r > 0) {
			todo[i] = 0;
			left--;
		}
	}
	free(todo);
	return err;
}

/* each_stopped: let the thread go, once no trap of ours is queued for it. */
static int release_one(struct ph_inject *in, size_t i)
{
	struct ph_ptrace *pt = &in->pt;
	struct ph_proc_status st;
	int err;

	if (pt->trap_hook && ph_proc_status(pt->pid, pt->v[i].tid, &st) == 0 &&
	    (st.sig_pending & SIGTRAP_BIT)) {
		err = ph_ptrace_cont(pt, i, 0); /* it takes it (the hook rewinds it): seen again */
		return err ? err : 0;
	}
	err = let_go(in, i);
	return err == PH_EEXITED ? 1 : err ? err : 1;
}

/* each_stopped: trace the thread's system calls from now on. */
static int trace_syscalls(struct ph_inject *in, size_t i)
{
	struct ph_tracee *t = &in->pt.v[i];
	int sig = t->pending_sig, err;

	hold(in, i);
	t->pending_sig = 0;
	err = ph_ptrace_syscall(&in->pt, i, sig);
	return err ? err : 1;
}

/* ---- a parked thread ---- */

struct cand {
	int score;
	pid_t tid;
};

static int by_score(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	if (x->score != y->score)
		return y->score - x->score;
	return 0;
}

/*
 * Candidates from /proc, without stopping anything: *out (caller frees),
 * best first. Threads in skip[0..nskip) are left out.
 */
static int candidates(struct ph_inject *in, const struct ph_choose_env *env, const pid_t *skip,
		      size_t nskip, struct cand **out, size_t *n)
{
	pid_t *tids;
	size_t nt, k = 0;
	struct cand *c;
	int err = ph_proc_tasks(in->t->pid, &tids, &nt);

	if (err)
		return err;
	c = calloc(nt ? nt : 1, sizeof(*c));
	if (!c) {
		free(tids);
		return ph_error(PH_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < nt; i++) {
		struct ph_thread_regs tr;
		char name[64], *text = NULL;
		size_t len;
		bool skipped = tids[i] == in->t->avoid_tid;

		for (size_t j = 0; j < nskip; j++)
			skipped |= skip[j] == tids[i];
		if (skipped)
			continue;
		snprintf(name, sizeof(name), "task/%d/syscall", (int)tids[i]);
		if (ph_proc_read_file(in->t->pid, name, &text, &len) != 0) {
			ph_error_clear();
			continue;
		}
		memset(&tr, 0, sizeof(tr));
		tr.tid = tids[i];
		if (ph_thread_parse_syscall(text, &tr) == 0) {
			int sc = ph_thread_score(&tr, env);

			if (sc > 0) {
				c[k].score = sc;
				c[k].tid = tids[i];
				k++;
			}
		}
		free(text);
	}
	free(tids);
	qsort(c, k, sizeof(*c), by_score);
	*out = c;
	*n = k;
	return 0;
}

/* Seize candidates in turn; the first that is usable once stopped is taken (*chosen). */
static int take_parked(struct ph_inject *in, const struct ph_choose_env *env, const pid_t *skip,
		       size_t nskip, uint64_t deadline, int *chosen)
{
	struct ph_ptrace *pt = &in->pt;
	struct cand *c = NULL;
	size_t n = 0;
	int err = candidates(in, env, skip, nskip, &c, &n);

	*chosen = -1;
	if (err)
		return err;
	for (size_t k = 0; k < n && k < MAX_TRIES && *chosen < 0; k++) {
		struct user_regs_struct r;
		struct ph_thread_regs tr;
		size_t i;

		err = ph_ptrace_seize(pt, c[k].tid, 0, &i);
		if (err == PH_EEXITED) {
			err = 0;
			ph_error_clear();
			continue;
		}
		if (err)
			break;
		ph_test_point("seized");
		err = ph_ptrace_stop_one(pt, i, deadline);
		if (err == PH_EEXITED || pt->v[i].state == PH_TRACEE_GONE) {
			err = 0;
			ph_error_clear();
			continue;
		}
		if (err)
			break;
		err = ph_ptrace_getregs(pt, i, &r);
		if (err == PH_EEXITED) {
			err = 0;
			ph_error_clear();
			continue;
		}
		if (err)
			break;
		memset(&tr, 0, sizeof(tr));
		tr.tid = c[k].tid;
		tr.orig_rax = (int64_t)r.orig_rax;
		tr.rax = (int64_t)r.rax;
		tr.rdi = r.rdi;
		tr.rsi = r.rsi;
		tr.rdx = r.rdx;
		tr.r10 = r.r10;
		tr.r8 = r.r8;
		tr.r9 = r.r9;
		if (ph_thread_classify(&tr, env, NULL) != PH_THREAD_UNUSABLE) {
			*chosen = (int)i;
			break;
		}
		/* it moved on meanwhile: let it go at once */
		err = let_go(in, i);
	}
	free(c);
	return err;
}

static int release_others(struct ph_inject *in, int keep);

/*
 * The end of a way of taking a thread: every other tracee let go (keeping
 * err, the first error, if there was one), the hooks cleared, and the
 * taken one (found, or -1) still there. Returns the error to report.
 */
static int end_taking(struct ph_inject *in, int found, int err)
{
	struct ph_ptrace *pt = &in->pt;
	struct ph_error_saved saved;
	int e;

	ph_error_save(&saved);
	e = release_others(in, found);
	ph_error_restore(&saved);
	if (e && !err)
		err = e;
	pt->trap_hook = NULL;
	pt->child_hook = NULL;
	pt->trap_ctx = NULL;
	if (found >= 0 && pt->v[found].state != PH_TRACEE_STOPPED && !err)
		err = ph_error(PH_EEXITED, "the thread taken exited");
	return err;
}

/* ---- a thread entering a system call ---- */

/*
 * Seize the threads that are not blocked in a system call now (those that
 * are were judged already: take_parked): they are the ones that make calls.
 */
static int seize_running(struct ph_inject *in)
{
	pid_t *tids;
	size_t n;
	int err = ph_proc_tasks(in->t->pid, &tids, &n);

	for (size_t k = 0; k < n && !err; k++) {
		struct ph_thread_regs tr;
		char name[64], *text = NULL;
		size_t len, idx;
		int parsed = -1;

		if (tids[k] == in->t->avoid_tid)
			continue;
		snprintf(name, sizeof(name), "task/%d/syscall", (int)tids[k]);
		if (ph_proc_read_file(in->t->pid, name, &text, &len) == 0) {
			memset(&tr, 0, sizeof(tr));
			parsed = ph_thread_parse_syscall(text, &tr);
			free(text);
		}
		ph_error_clear();
		if (parsed == 0)
			continue; /* blocked in a system call */
		err = ph_ptrace_seize(&in->pt, tids[k], 0, &idx);
		if (err == PH_EEXITED) {
			err = 0;
			ph_error_clear();
		}
	}
	free(tids);
	return err;
}

/* At a system-call stop of tracee i: 1 if it is the entry of a call it may be taken at. */
static int usable_entry(struct ph_inject *in, const struct ph_choose_env *env, size_t i)
{
	struct ph_tracee *t = &in->pt.v[i];
	struct __ptrace_syscall_info si;
	struct ph_thread_regs tr;

	if (ptrace(PTRACE_GET_SYSCALL_INFO, t->tid, (void *)sizeof(si), &si) <= 0)
		return -1; /* kernels before 5.3 */
	if (si.op != PTRACE_SYSCALL_INFO_ENTRY || t->tid == in->t->avoid_tid)
		return 0;
	memset(&tr, 0, sizeof(tr));
	tr.tid = t->tid;
	tr.orig_rax = (int64_t)si.entry.nr;
	tr.rax_unknown = true;
	tr.rdi = si.entry.args[0];
	tr.rsi = si.entry.args[1];
	tr.rdx = si.entry.args[2];
	tr.r10 = si.entry.args[3];
	tr.r8 = si.entry.args[4];
	tr.r9 = si.entry.args[5];
	return ph_thread_classify(&tr, env, NULL) != PH_THREAD_UNUSABLE;
}

#define SYSCALL_CATCH_MS 300

/*
 * Every thread traced at its system calls (PTRACE_SYSCALL: each stopped
 * for a moment to switch it over) until one enters a usable call (choose.h:
 * the same calls as a parked thread), for at most SYSCALL_CATCH_MS. That
 * thread is taken at the call's entry stop, before the call runs; the others
 * are let go. Nothing in the target is changed: if pyheap dies here, the
 * kernel drops the tracing and the threads go on.
 */
static int take_at_syscall(struct ph_inject *in, const struct ph_choose_env *env,
			   uint64_t deadline, int *chosen, bool *at_entry)
{
	struct ph_ptrace *pt = &in->pt;
	uint64_t until = ph_deadline_ms(SYSCALL_CATCH_MS);
	int found = -1, err;

	*chosen = -1;
	if (until > deadline)
		until = deadline;
	err = seize_running(in);
	if (!err && ph_ptrace_live(pt) == 0)
		return 0; /* every thread is blocked, none usefully: not this way */
	if (!err)
		err = each_stopped(in, -1, trace_syscalls, deadline);
	while (!err && found < 0) {
		struct ph_tracee *t;
		size_t i;
		int st;

		err = ph_ptrace_wait(pt, until, true, &i, &st);
		if (err == PH_ETIMEOUT) {
			err = 0;
			ph_error_clear();
			break;
		}
		if (err || !WIFSTOPPED(st))
			continue;
		t = &pt->v[i];
		if (t->stop_sig == (SIGTRAP | 0x80)) {
			int u = usable_entry(in, env, i);

			if (u < 0)
				break; /* not this way */
			if (u > 0) {
				found = (int)i;
				break;
			}
			hold(in, i);
			err = ph_ptrace_syscall(pt, i, 0);
			continue;
		}
		/* an event stop, or a signal to pass on */
		hold(in, i);
		err = ph_ptrace_syscall(pt, i, t->stop_event ? 0 : t->stop_sig);
	}
	err = end_taking(in, found, err);
	if (!err && found >= 0) {
		ph_test_point("syscall-taken");
		*chosen = found;
		*at_entry = true;
	}
	return err;
}

/*
 * Wait until a tracee traps at one of pyheap's breakpoints (pt->trap_hook)
 * or, if env is given, enters a usable system call (the threads run traced
 * at their calls then); *found is its index, *at_entry whether it was the
 * latter. Every other stop is resumed, a signal passed on. restore_thread is
 * PyEval_RestoreThread's address, the one breakpoint site run without the
 * GIL: a thread taken anywhere else holds it (in->gil_held).
 */
static int wait_for_trap(struct ph_inject *in, const struct ph_choose_env *env,
			 uint64_t restore_thread, uint64_t deadline, int *found, bool *at_entry)
{
	struct ph_ptrace *pt = &in->pt;
	int err = 0;

	*found = -1;
	while (!err && *found < 0) {
		struct ph_tracee *t;
		size_t i;
		int ws, sig;

		err = ph_ptrace_wait(pt, deadline, true, &i, &ws);
		if (err)
			break;
		if (!WIFSTOPPED(ws))
			continue;
		t = &pt->v[i];
		if (t->trapped && t->tid != in->t->avoid_tid) {
			struct user_regs_struct r;

			*found = (int)i;
			in->gil_held = ph_ptrace_getregs(pt, i, &r) != 0 || r.rip != restore_thread;
			break;
		}
		if (env && t->stop_sig == (SIGTRAP | 0x80) && usable_entry(in, env, i) > 0) {
			*found = (int)i;
			*at_entry = true;
			break;
		}
		/* anything else: let it run on, passing a signal through */
		hold(in, i);
		sig = t->stop_event || t->trapped || (t->stop_sig & 0x80) ? 0 : t->stop_sig;
		err = env ? ph_ptrace_syscall(pt, i, sig) : ph_ptrace_cont(pt, i, sig);
	}
	if (err == PH_ETIMEOUT)
		ph_error(PH_ETIMEOUT,
			 "timed out: no thread of process %d was in a system call, and none reached "
			 "a breakpoint (a thread in a long computation that makes no Python API call?)",
			 (int)pt->pid);
	return err;
}

/* ---- SIGTRAP's disposition while hardware breakpoints are set ---- */

/* The sa_mask that tells pyheap's SIG_IGN of SIGTRAP from the application's own. */
#define SIGTRAP_MARK 0x8000000000000010ull
#define K_SIG_DFL 0
#define K_SIG_IGN 1
#define K_SA_RESTORER 0x04000000ul
#define TRAP_PERF_CODE 6

static void remote_env(const struct ph_target *t, struct ph_remote_env *env);
static int remote_sigtrap_set(struct ph_inject *in, const struct ph_k_sigaction *act,
			      struct ph_k_sigaction *old);

/*
 * rt_sigaction(SIGTRAP, act, old) made by tracee i (stopped), through a
 * remote session of its own (act and old may be NULL). The thread is left
 * stopped, as it was.
 */
static int sigtrap_action(struct ph_inject *in, size_t i, const struct ph_k_sigaction *act,
			  struct ph_k_sigaction *old, uint64_t deadline)
{
	struct ph_remote r;
	struct ph_remote_env env;
	struct ph_k_sigaction zero;
	uint64_t a_addr = 0, o_addr = 0, args[4];
	int64_t ret = 0;
	int err, e;

	remote_env(in->t, &env);
	err = ph_remote_begin(&r, &in->pt, i, &env, false, deadline);
	if (err)
		return err;
	memset(&zero, 0, sizeof(zero));
	if (act)
		err = ph_remote_put(&r, act, sizeof(*act), &a_addr);
	if (!err && old)
		err = ph_remote_put(&r, &zero, sizeof(zero), &o_addr);
	if (!err) {
		args[0] = SIGTRAP;
		args[1] = a_addr;
		args[2] = o_addr;
		args[3] = 8;
		err = ph_remote_syscall(&r, SYS_rt_sigaction, args, 4, &ret);
	}
	if (!err && ret < 0)
		err = ph_error_errno(PH_EIO, (int)-ret, "rt_sigaction in process %d failed",
				     (int)in->t->pid);
	if (!err && old)
		err = ph_mem_read(in->t->pid, o_addr, old, sizeof(*old));
	e = ph_remote_end(&r);
	return err ? err : e;
}

/* ---- hardware breakpoints (perf_event_open with sigtrap, Linux 5.13+) ---- */

#define HW_FUNCS 4

static const char *const hw_functions[HW_FUNCS] = {
	"PyObject_Malloc", "PyObject_Free", "PyEval_SaveThread", "PyEval_RestoreThread",
};

struct hwbps {
	uint64_t addr[HW_FUNCS];
	size_t n;
	int *fds;
	size_t nfds, cap;
};

/* An execute breakpoint at addr in thread tid (and the threads it creates): an fd, or -errno. */
static int hw_open(pid_t tid, uint64_t addr)
{
	struct perf_event_attr a;
	long fd;

	memset(&a, 0, sizeof(a));
	a.type = PERF_TYPE_BREAKPOINT;
	a.size = sizeof(a);
	a.bp_type = HW_BREAKPOINT_X;
	a.bp_addr = addr;
	a.bp_len = sizeof(long);
	a.sample_period = 1;
	a.sigtrap = 1;
	a.remove_on_exec = 1;
	a.exclude_kernel = 1;
	a.exclude_hv = 1;
	a.inherit = 1;
	a.inherit_thread = 1;
	fd = syscall(SYS_perf_event_open, &a, tid, -1, -1, PERF_FLAG_FD_CLOEXEC);
	return fd < 0 ? -errno : (int)fd;
}

static void hw_close(struct hwbps *h)
{
	for (size_t k = 0; k < h->nfds; k++)
		close(h->fds[k]);
	h->nfds = 0;
}

/* A SIGTRAP stop: ours if perf raised it at one of our addresses (the instruction has not run). */
static bool hw_hook(struct ph_ptrace *pt, size_t i, void *ctx)
{
	struct hwbps *h = ctx;
	struct user_regs_struct r;
	siginfo_t si;

	if (ptrace(PTRACE_GETSIGINFO, pt->v[i].tid, 0, &si) < 0 || si.si_code != TRAP_PERF_CODE ||
	    ph_ptrace_getregs(pt, i, &r) != 0)
		return false;
	for (size_t k = 0; k < h->n; k++)
		if (r.rip == h->addr[k])
			return true;
	return false;
}

/*
 * No thread is parked and none enters a usable call: take the first that
 * reaches a hardware breakpoint (perf_event_open with sigtrap: Linux 5.13+).
 * Unlike int3 they change no code and are not copied into forked children,
 * and they go with pyheap's fds: if pyheap dies, they are gone. The one
 * thing left is a hit already raised when pyheap dies: perf's SIGTRAP is an
 * ordinary signal, so while the breakpoints exist SIGTRAP is set to SIG_IGN
 * (when the application leaves it at its default), marked with sa_mask
 * SIGTRAP_MARK so that the next dump can put back a disposition pyheap did
 * not live to restore. PH_EUNSUPPORTED when perf cannot do it here.
 */
static int take_by_hw_breakpoint(struct ph_inject *in, uint64_t deadline, int *chosen)
{
	struct ph_target *t = in->t;
	struct ph_ptrace *pt = &in->pt;
	struct ph_proc_status st;
	struct hwbps h;
	struct rlimit rl;
	uint64_t restore_thread;
	int err, e, found = -1, probe;

	*chosen = -1;
	memset(&h, 0, sizeof(h));
	if (ph_symbols_lookup(&t->syms, (size_t)t->py_module, hw_functions, HW_FUNCS, h.addr) < 0) {
		ph_error_clear();
		return PH_EUNSUPPORTED;
	}
	restore_thread = h.addr[HW_FUNCS - 1];
	for (size_t k = 0; k < HW_FUNCS; k++)
		if (h.addr[k])
			h.addr[h.n++] = h.addr[k];
	err = ph_proc_status(t->pid, 0, &st);
	if (err)
		return err;
	if (!h.n || (st.sig_caught & (1ull << (SIGTRAP - 1))))
		return PH_EUNSUPPORTED; /* the application handles SIGTRAP: perf's would reach it */
	/* can perf do it here (kernel, permissions, a free debug register)? On data: never hit */
	probe = hw_open(t->pid, t->runtime_lo ? t->runtime_lo : h.addr[0] + 1);
	if (probe < 0)
		return PH_EUNSUPPORTED;
	close(probe);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	/* every thread traced (a hit must stop at pyheap), and the threads they create */
	err = ph_ptrace_seize_all(pt, PTRACE_O_TRACECLONE);
	if (err)
		return err;
	pt->trap_hook = hw_hook;
	pt->trap_ctx = &h;
	if (!(st.sig_ignored & (1ull << (SIGTRAP - 1)))) {
		struct ph_k_sigaction ign = {K_SIG_IGN, K_SA_RESTORER, 0, SIGTRAP_MARK};

		err = PH_ELIMIT;
		for (size_t i = 0; i < pt->n && err == PH_ELIMIT; i++) {
			int sig;

			if (pt->v[i].state == PH_TRACEE_GONE || pt->v[i].tid == t->avoid_tid)
				continue;
			ph_error_clear();
			err = ph_ptrace_stop_one(pt, i, deadline);
			if (!err && pt->v[i].state == PH_TRACEE_STOPPED) {
				err = sigtrap_action(in, i, &ign, &in->sigtrap_old, deadline);
				hold(in, i);
				sig = pt->v[i].pending_sig;
				pt->v[i].pending_sig = 0;
				e = ph_ptrace_cont(pt, i, sig);
				if (e && !err)
					err = e;
			} else if (err == PH_EEXITED || pt->v[i].state == PH_TRACEE_GONE) {
				err = PH_ELIMIT;
			}
		}
		if (err)
			goto out;
		in->sigtrap_changed = true;
		ph_test_point("sigtrap-ignored");
	}
	for (size_t i = 0; i < pt->n; i++) {
		if (pt->v[i].state == PH_TRACEE_GONE)
			continue;
		for (size_t k = 0; k < h.n; k++) {
			int fd = hw_open(pt->v[i].tid, h.addr[k]);

			if (fd < 0)
				break; /* ENOSPC: no debug register left; EMFILE: fds; a thread gone */
			if (h.nfds == h.cap) {
				size_t cap = h.cap ? h.cap * 2 : 64;
				int *nv = realloc(h.fds, cap * sizeof(*nv));

				if (!nv) {
					close(fd);
					err = ph_error(PH_ENOMEM, "out of memory");
					goto out;
				}
				h.fds = nv;
				h.cap = cap;
			}
			h.fds[h.nfds++] = fd;
		}
	}
	ph_test_point("hw-set");
	if (!err) {
		bool unused = false;

		err = wait_for_trap(in, NULL, restore_thread, deadline, &found, &unused);
	}
out:
	hw_close(&h); /* no more hits: any still queued are drained below */
	if (found >= 0)
		ph_test_point("hw-trapped");
	err = end_taking(in, found, err);
	free(h.fds);
	if (!err)
		*chosen = found;
	return err;
}

/* ---- breakpoints ---- */

/* A SIGTRAP stop: ours if the thread just executed one of our int3s. Rewind it. */
static bool bp_hook(struct ph_ptrace *pt, size_t i, void *ctx)
{
	struct bps *b = ctx;
	struct user_regs_struct r;

	if (ph_ptrace_getregs(pt, i, &r) != 0)
		return false;
	for (size_t k = 0; k < b->n; k++) {
		if (r.rip == b->addr[k] + 1) {
			r.rip = b->addr[k];
			return ph_ptrace_setregs(pt, i, &r) == 0;
		}
	}
	return false;
}

/*
 * A child forked while the breakpoints were in place has a copy of them. It
 * is traced and stopped before its first instruction: put the original
 * bytes back in its memory, then let it go. (A vfork child shares the
 * parent's memory: the parent's bytes are restored anyway.)
 */
static void bp_child(struct ph_ptrace *pt, pid_t child, bool stopped, void *ctx)
{
	struct bps *b = ctx;
	int st;

	(void)pt;
	if (!stopped) {
		pid_t r;

		while ((r = waitpid(child, &st, __WALL)) < 0 && errno == EINTR)
			;
		if (r < 0)
			return; /* already handled (its stop came first) */
	}
	for (size_t k = 0; k < b->n; k++) {
		long w;

		errno = 0;
		w = ptrace(PTRACE_PEEKDATA, child, (void *)(uintptr_t)b->addr[k], 0);
		if (errno)
			continue;
		if ((w & 0xff) == 0xcc) {
			w = (long)(((unsigned long)w & ~0xfful) | b->orig[k]);
			ptrace(PTRACE_POKEDATA, child, (void *)(uintptr_t)b->addr[k], (void *)w);
		}
	}
	ptrace(PTRACE_DETACH, child, 0, 0);
}

/* Write the original bytes back (through /proc/PID/mem: no thread needs to be stopped). */
static int remove_bps(struct bps *b)
{
	int err = 0;

	for (size_t k = b->n; k-- > 0;) {
		if (!b->planted[k])
			continue;
		if (pwrite(b->memfd, &b->orig[k], 1, (off_t)b->addr[k]) != 1) {
			if (!err)
				err = ph_error_errno(PH_EIO, errno,
						     "cannot remove the breakpoint at 0x%llx",
						     (unsigned long long)b->addr[k]);
			continue;
		}
		b->planted[k] = false;
	}
	return err;
}

/*
 * Let every tracee but keep (if keep >= 0) go, the breakpoints being gone: a
 * thread that trapped is stepped back by the hook; one whose SIGTRAP is
 * still queued behind its interrupt stop takes it first.
 */
static int release_others(struct ph_inject *in, int keep)
{
	return each_stopped(in, keep, release_one, ph_deadline_ms(RELEASE_MS));
}

/*
 * Whether thread tid may be inside fork() or clone() right now: it is not
 * blocked in some other system call (/proc/PID/task/TID/syscall, read after
 * it was seized, so that any call it makes later is traced).
 */
static bool may_fork(struct ph_inject *in, pid_t tid)
{
	struct ph_thread_regs tr;
	char name[64], *text = NULL;
	size_t len;
	bool blocked;

	snprintf(name, sizeof(name), "task/%d/syscall", (int)tid);
	if (ph_proc_read_file(in->t->pid, name, &text, &len) != 0) {
		ph_error_clear();
		return true;
	}
	memset(&tr, 0, sizeof(tr));
	blocked = ph_thread_parse_syscall(text, &tr) == 0 && tr.orig_rax != 56 && /* clone */
		  tr.orig_rax != 57 && tr.orig_rax != 58 && tr.orig_rax != 435; /* fork vfork clone3 */
	free(text);
	return !blocked;
}

/*
 * Every thread seized, and stopped for the moment the breakpoints are
 * written if it may be inside fork() or clone(): a thread in such a call
 * when it was seized has already decided it is not traced, and would give
 * its child or new thread a copy of the breakpoints that no one watches. A
 * stopped thread has no such call in flight, and the threads such a call
 * created are listed once they are stopped. A thread blocked in any other
 * system call is left alone: whatever it does next is traced.
 */
static int seize_and_stop_all(struct ph_inject *in, uint64_t deadline)
{
	struct ph_ptrace *pt = &in->pt;
	unsigned long opts = PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK;
	int err = 0;

	for (int round = 0; round < 16 && !err; round++) {
		size_t before = ph_ptrace_live(pt);

		err = ph_ptrace_seize_all(pt, opts);
		for (size_t i = 0; i < pt->n && !err; i++) {
			struct ph_tracee *t = &pt->v[i];

			if (t->state != PH_TRACEE_RUNNING || t->interrupted || !may_fork(in, t->tid))
				continue;
			if (ptrace(PTRACE_INTERRUPT, t->tid, 0, 0) < 0 && errno != ESRCH)
				err = ph_error_errno(PH_EIO, errno, "PTRACE_INTERRUPT of thread %d",
						     (int)t->tid);
			t->interrupted = true;
		}
		/* wait for the ones interrupted */
		while (!err) {
			size_t i, pending = 0;
			int st;

			for (size_t k = 0; k < pt->n; k++)
				pending += pt->v[k].state == PH_TRACEE_RUNNING && pt->v[k].interrupted;
			if (!pending)
				break;
			err = ph_ptrace_wait(pt, deadline, true, &i, &st);
			if (!err && WIFSTOPPED(st) && pt->v[i].stop_event == 0 && pt->v[i].stop_sig &&
			    !(pt->v[i].stop_sig & 0x80) && !pt->v[i].pending_sig)
				pt->v[i].pending_sig = pt->v[i].stop_sig;
		}
		if (!err && ph_ptrace_live(pt) == before && round > 0)
			break;
	}
	return err;
}

/* Resume every stopped tracee but keep, delivering the signal it holds. */
static int resume_all(struct ph_inject *in)
{
	struct ph_ptrace *pt = &in->pt;
	int err = 0;

	for (size_t i = 0; i < pt->n && !err; i++) {
		struct ph_tracee *t = &pt->v[i];
		int sig = t->pending_sig;

		if (t->state != PH_TRACEE_STOPPED)
			continue;
		hold(in, i);
		t->pending_sig = 0;
		err = ph_ptrace_syscall(pt, i, sig);
	}
	return err;
}

/*
 * No thread is parked: take the first that reaches a breakpoint, or that
 * enters a usable system call meanwhile (the threads run traced at their
 * system calls too: a thread that goes to sleep in read() is taken there).
 */
static int take_by_breakpoint(struct ph_inject *in, const struct ph_choose_env *env,
			      uint64_t deadline, int *chosen, bool *at_entry)
{
	struct ph_target *t = in->t;
	struct ph_ptrace *pt = &in->pt;
	struct bps b;
	uint64_t addrs[sizeof(bp_functions) / sizeof(bp_functions[0])];
	size_t nf = sizeof(bp_functions) / sizeof(bp_functions[0]);
	char path[64];
	int err = 0, e, found = -1;

	*chosen = -1;
	memset(&b, 0, sizeof(b));
	e = ph_symbols_lookup(&t->syms, (size_t)t->py_module, bp_functions, nf, addrs);
	if (e < 0)
		return e;
	for (size_t k = 0; k < nf && b.n < MAX_BPS; k++) {
		bool dup = false;

		for (size_t j = 0; j < b.n; j++)
			dup |= b.addr[j] == addrs[k];
		if (addrs[k] && !dup)
			b.addr[b.n++] = addrs[k];
	}
	if (!b.n)
		return ph_error(PH_EUNSUPPORTED, "no function to put a breakpoint on");
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)t->pid);
	b.memfd = open(path, O_RDWR | O_CLOEXEC);
	if (b.memfd < 0)
		return ph_error_errno(PH_EIO, errno, "cannot open %s", path);
	for (size_t k = 0; k < b.n; k++) {
		if (pread(b.memfd, &b.orig[k], 1, (off_t)b.addr[k]) != 1) {
			err = ph_error_errno(PH_EIO, errno, "cannot read the code at 0x%llx",
					     (unsigned long long)b.addr[k]);
			goto out;
		}
	}
	/* every thread traced, forks too: a trap must never reach the application */
	err = seize_and_stop_all(in, deadline);
	if (err)
		goto out_release;
	pt->trap_hook = bp_hook;
	pt->child_hook = bp_child;
	pt->trap_ctx = &b;
	for (size_t k = 0; k < b.n; k++) {
		static const uint8_t int3 = 0xcc;

		if (pwrite(b.memfd, &int3, 1, (off_t)b.addr[k]) != 1) {
			err = ph_error_errno(PH_EIO, errno, "cannot write a breakpoint at 0x%llx",
					     (unsigned long long)b.addr[k]);
			break;
		}
		b.planted[k] = true;
	}
	ph_test_point("bp-planted");
	if (!err)
		err = resume_all(in);
	if (!err)
		err = wait_for_trap(in, env, addrs[nf - 1], deadline, &found, at_entry);
	/* whatever happened: the original bytes back at once, then everyone else let go */
	e = remove_bps(&b);
	if (e && !err)
		err = e;
	if (found >= 0)
		ph_test_point("bp-trapped");
out_release:
	err = end_taking(in, found, err);
	if (!err)
		*chosen = found;
out:
	close(b.memfd);
	return err;
}

/* ---- the session ---- */

static void remote_env(const struct ph_target *t, struct ph_remote_env *env)
{
	memset(env, 0, sizeof(*env));
	env->sigreturn = t->sigreturn;
	env->syscall_fn = t->syscall_fn;
	env->have_tls = t->have_tls;
	env->libc_tls = t->libc_tls;
	env->errno_tls = t->errno_tls;
	for (size_t i = 0; i < t->maps.n; i++) {
		if (strcmp(t->maps.v[i].path, "[stack]") == 0) {
			env->main_stack_lo = t->maps.v[i].start;
			env->main_stack_hi = t->maps.v[i].end;
		}
	}
}

int ph_inject_begin(struct ph_inject *in, struct ph_target *t, uint64_t deadline,
		    const volatile sig_atomic_t *cancel)
{
	struct ph_ptrace *pt = &in->pt;
	struct ph_choose_env cenv;
	struct ph_remote_env renv;
	pid_t skip[MAX_TRIES];
	size_t nskip = 0;
	bool at_entry = false;
	int chosen = -1, err;
	struct ph_proc_status st;

	memset(in, 0, sizeof(*in));
	in->t = t;
	ph_ptrace_init(pt, t->pid, cancel);
	err = ph_target_refresh_maps(t); /* thread stacks made since open */
	if (err)
		goto fail;
	cenv.maps = &t->maps;
	cenv.runtime_lo = t->runtime_lo;
	cenv.runtime_hi = t->runtime_hi;
	remote_env(t, &renv);
	for (;;) {
		bool bps = ph_test_force("breakpoints"), hw = ph_test_force("hw");

		at_entry = false;
		if (!bps && !hw && !ph_test_force("syscall"))
			err = take_parked(in, &cenv, skip, nskip, deadline, &chosen);
		if (!err && chosen < 0 && !bps && !hw && nskip == 0)
			err = take_at_syscall(in, &cenv, deadline, &chosen, &at_entry);
		if (!err && chosen < 0 && !bps) {
			in->by_breakpoint = true;
			err = take_by_hw_breakpoint(in, deadline, &chosen);
			if (err == PH_EUNSUPPORTED) {
				ph_error_clear();
				err = 0;
			}
		}
		if (!err && chosen < 0 && !hw) {
			in->by_breakpoint = true;
			err = take_by_breakpoint(in, &cenv, deadline, &chosen, &at_entry);
		}
		if (!err && chosen < 0)
			err = ph_error(PH_EIO, "no thread could be chosen");
		if (err)
			goto fail;
		in->idx = (size_t)chosen;
		/* threads the calls create are not traced */
		err = ph_ptrace_setoptions(pt, in->idx, PTRACE_O_TRACESYSGOOD);
		if (!err)
			err = ph_remote_begin(&in->rc, pt, in->idx, &renv, at_entry, deadline);
		if (err != PH_ELIMIT || in->by_breakpoint || nskip == MAX_TRIES)
			break;
		/* no room on that thread's stack: another one */
		skip[nskip++] = pt->v[in->idx].tid;
		ph_error_clear();
		err = let_go(in, in->idx);
		if (err)
			goto fail;
	}
	if (err)
		goto fail;
	in->others_ns = others_held(in, pt->v[in->idx].tid);
	in->begun = true;
	/*
	 * SIGTRAP's disposition: back as it was if the hardware breakpoints changed
	 * it; back to the default if a dump that died left it ignored (its mark).
	 */
	if (in->sigtrap_changed) {
		err = remote_sigtrap_set(in, &in->sigtrap_old, NULL);
		if (!err)
			in->sigtrap_changed = false;
	} else if (ph_proc_status(t->pid, 0, &st) == 0 && (st.sig_ignored & (1ull << (SIGTRAP - 1)))) {
		struct ph_k_sigaction cur;

		err = remote_sigtrap_set(in, NULL, &cur);
		if (!err && cur.handler == K_SIG_IGN && cur.mask == SIGTRAP_MARK) {
			struct ph_k_sigaction dfl = {K_SIG_DFL, 0, 0, 0};

			err = remote_sigtrap_set(in, &dfl, NULL);
		}
	}
	if (err) {
		struct ph_error_saved saved;

		ph_error_save(&saved);
		ph_inject_end(in);
		ph_error_restore(&saved);
	}
	return err;
fail:
	{
		struct ph_error_saved saved;

		ph_error_save(&saved);
		ph_ptrace_release(pt);
		free(in->holds);
		in->holds = NULL;
		ph_error_restore(&saved);
	}
	return err;
}

/* rt_sigaction(SIGTRAP, act, old) on the taken thread (act, old may be NULL). */
static int remote_sigtrap_set(struct ph_inject *in, const struct ph_k_sigaction *act,
			      struct ph_k_sigaction *old)
{
	uint64_t a_addr = 0, o_addr = 0, args[4];
	struct ph_k_sigaction zero;
	int64_t ret;
	int err = 0;

	memset(&zero, 0, sizeof(zero));
	if (act)
		err = ph_remote_put(&in->rc, act, sizeof(*act), &a_addr);
	if (!err && old)
		err = ph_remote_put(&in->rc, &zero, sizeof(zero), &o_addr);
	if (err)
		return err;
	args[0] = SIGTRAP;
	args[1] = a_addr;
	args[2] = o_addr;
	args[3] = 8;
	err = ph_remote_syscall(&in->rc, SYS_rt_sigaction, args, 4, &ret);
	if (!err && ret < 0)
		err = ph_error_errno(PH_EIO, (int)-ret, "rt_sigaction in process %d failed",
				     (int)in->t->pid);
	if (!err && old)
		err = ph_mem_read(in->t->pid, o_addr, old, sizeof(*old));
	return err;
}

int ph_inject_call(struct ph_inject *in, uint64_t fn, const uint64_t *args, size_t n,
		   struct ph_remote_trace *trace)
{
	return ph_remote_call(&in->rc, fn, args, n, trace);
}

int ph_inject_syscall(struct ph_inject *in, long nr, const uint64_t *args, size_t n, int64_t *ret)
{
	return ph_remote_syscall(&in->rc, nr, args, n, ret);
}

int ph_inject_end(struct ph_inject *in)
{
	int err = 0, e;

	if (in->begun) {
		e = ph_remote_end(&in->rc);
		if (e && !err)
			err = e;
		in->begun = false;
	}
	if (in->pt.attached && in->pt.v && in->pt.v[in->idx].state == PH_TRACEE_STOPPED) {
		e = ph_ptrace_detach(&in->pt, in->idx);
		if (e && !err)
			err = e;
	}
	ph_ptrace_release(&in->pt);
	free(in->holds);
	in->holds = NULL;
	return err;
}
