/* SPDX-License-Identifier: MIT */
/*
 * inject.c - an injection session (see inject.h). x86_64.
 */
#include "inject/inject.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

#include "common/error.h"
#include "inject/choose.h"
#include "inject/mem.h"
#include "inject/proc.h"

#define MAX_BPS 8
#define SIGTRAP_BIT (1ull << (SIGTRAP - 1))

struct bps {
	size_t n;
	uint64_t addr[MAX_BPS];
	uint8_t orig[MAX_BPS];
	bool planted[MAX_BPS];
};

static const char *const bp_functions[] = {
	"PyObject_Malloc", "PyObject_Free",     "PyMem_Malloc",
	"PyErr_CheckSignals", "PyEval_SaveThread", "PyEval_RestoreThread",
};

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
 * A child forked while the breakpoints were in place: it has a copy of them.
 * It is traced and stopped before its first instruction: put the original
 * bytes back in its memory, then let it go. (A vfork child shares the
 * parent's memory: the parent's breakpoints go too, which only makes them
 * less likely to be hit; they are all restored later anyway.)
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

		if (!b->planted[k])
			continue;
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

static int any_stopped(struct ph_ptrace *pt)
{
	for (size_t i = 0; i < pt->n; i++)
		if (pt->v[i].state == PH_TRACEE_STOPPED)
			return (int)i;
	return -1;
}

/* Write (or restore) byte v at a. Reads the word first, so close breakpoints compose. */
static int poke_byte(struct ph_ptrace *pt, size_t via, uint64_t a, uint8_t v, uint8_t *old)
{
	uint64_t w;
	int err = ph_ptrace_peek(pt, via, a, &w);

	if (err)
		return err;
	if (old)
		*old = (uint8_t)(w & 0xff);
	w = (w & ~(uint64_t)0xff) | v;
	return ph_ptrace_poke(pt, via, a, w);
}

static int remove_bps(struct ph_ptrace *pt, struct bps *b)
{
	int via = any_stopped(pt), err = 0;

	for (size_t k = b->n; k-- > 0;) {
		int e;

		if (!b->planted[k])
			continue;
		if (via < 0)
			return ph_error(PH_EIO, "no stopped thread to remove breakpoints through");
		e = poke_byte(pt, (size_t)via, b->addr[k], b->orig[k], NULL);
		if (e && !err)
			err = e;
		if (!e)
			b->planted[k] = false;
	}
	return err;
}

/*
 * With every thread stopped and the breakpoints removed: a thread may still
 * hold a SIGTRAP from one of them in its signal queue (its interrupt stop was
 * reported first). Let each such thread take it now, so that the hook
 * rewinds it instead of the signal killing the process after detach.
 */
static int drain_traps(struct ph_ptrace *pt, uint64_t deadline)
{
	for (int round = 0; round < 4; round++) {
		bool again = false;

		for (size_t i = 0; i < pt->n; i++) {
			struct ph_proc_status st;
			int err;

			if (pt->v[i].state != PH_TRACEE_STOPPED)
				continue;
			if (ph_proc_status(pt->pid, pt->v[i].tid, &st) != 0 ||
			    !(st.sig_pending & SIGTRAP_BIT))
				continue;
			err = ph_ptrace_cont(pt, i, 0);
			if (err)
				return err;
			again = true;
		}
		if (!again)
			return 0;
		{
			int err = ph_ptrace_stop_all(pt, deadline, false);

			if (err)
				return err;
		}
	}
	return 0;
}

/* Resume every thread until one traps on a breakpoint; leave all stopped. */
static int take_by_breakpoint(struct ph_inject *in, uint64_t deadline, int *chosen)
{
	struct ph_target *t = in->t;
	struct ph_ptrace *pt = &in->pt;
	struct bps b;
	uint64_t addrs[sizeof(bp_functions) / sizeof(bp_functions[0])];
	size_t nf = sizeof(bp_functions) / sizeof(bp_functions[0]);
	int via, err = 0, e, found = -1;

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
	via = any_stopped(pt);
	if (via < 0)
		return ph_error(PH_EEXITED, "process %d exited", (int)pt->pid);
	pt->trap_hook = bp_hook;
	pt->child_hook = bp_child;
	pt->trap_ctx = &b;
	/* a child forked from now on gets a copy of the breakpoints: trace it to clean it */
	for (size_t i = 0; i < pt->n && !err; i++)
		if (pt->v[i].state == PH_TRACEE_STOPPED)
			err = ph_ptrace_setoptions(pt, i, PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK |
							      PTRACE_O_TRACEVFORK);
	for (size_t k = 0; k < b.n && !err; k++) {
		err = poke_byte(pt, (size_t)via, b.addr[k], 0xcc, &b.orig[k]);
		if (!err)
			b.planted[k] = true;
	}
	for (size_t i = 0; i < pt->n && !err; i++) {
		struct ph_tracee *tr = &pt->v[i];

		if (tr->state != PH_TRACEE_STOPPED)
			continue;
		err = ph_ptrace_cont(pt, i, tr->pending_sig);
		tr->pending_sig = 0;
	}
	while (!err && found < 0) {
		size_t i;
		int st;

		err = ph_ptrace_wait(pt, deadline, true, &i, &st);
		if (err)
			break;
		if (!WIFSTOPPED(st))
			continue;
		if (pt->v[i].trapped && pt->v[i].tid != t->avoid_tid) {
			found = (int)i;
			break;
		}
		/* anything else: let it run on (passing a signal through) */
		err = ph_ptrace_cont(pt, i, pt->v[i].stop_event ? 0 : pt->v[i].stop_sig);
	}
	if (err == PH_ETIMEOUT)
		ph_error(PH_ETIMEOUT,
			 "timed out: no thread of process %d was in a system call, and none reached "
			 "a breakpoint (a thread in a long computation that makes no Python API call?)",
			 (int)pt->pid);
	/* whatever happened: stop everyone, remove the breakpoints, drain traps */
	e = ph_ptrace_stop_all(pt, ph_now_ns() + 5000000000ull, false);
	if (e && !err)
		err = e;
	e = remove_bps(pt, &b);
	if (e && !err)
		err = e;
	if (!e) {
		e = drain_traps(pt, ph_now_ns() + 5000000000ull);
		if (e && !err)
			err = e;
	}
	pt->trap_hook = NULL;
	pt->child_hook = NULL;
	pt->trap_ctx = NULL;
	for (size_t i = 0; i < pt->n; i++)
		if (pt->v[i].state == PH_TRACEE_STOPPED)
			ph_ptrace_setoptions(pt, i, PTRACE_O_TRACECLONE);
	if (found >= 0 && pt->v[found].state != PH_TRACEE_STOPPED && !err)
		err = ph_error(PH_EEXITED, "the thread that reached the breakpoint exited");
	*chosen = found;
	return err;
}

static int choose(struct ph_inject *in, int *chosen)
{
	struct ph_ptrace *pt = &in->pt;
	struct ph_thread_regs *v = calloc(pt->n ? pt->n : 1, sizeof(*v));
	size_t *map = calloc(pt->n ? pt->n : 1, sizeof(*map));
	size_t k = 0;
	int best, err = 0;

	if (!v || !map) {
		err = ph_error(PH_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < pt->n; i++) {
		struct user_regs_struct r;

		if (pt->v[i].state != PH_TRACEE_STOPPED || pt->v[i].tid == in->t->avoid_tid)
			continue;
		err = ph_ptrace_getregs(pt, i, &r);
		if (err == PH_EEXITED)
			continue;
		if (err)
			goto out;
		v[k].tid = pt->v[i].tid;
		v[k].orig_rax = (int64_t)r.orig_rax;
		v[k].rax = (int64_t)r.rax;
		v[k].rdi = r.rdi;
		v[k].rsi = r.rsi;
		map[k++] = i;
	}
	best = ph_thread_choose(v, k, &in->t->maps);
	*chosen = best < 0 ? -1 : (int)map[best];
out:
	free(v);
	free(map);
	return err;
}

int ph_inject_begin(struct ph_inject *in, struct ph_target *t, uint64_t deadline,
		    const volatile sig_atomic_t *cancel)
{
	struct ph_ptrace *pt = &in->pt;
	uint64_t stopped_at;
	int chosen = -1, err;

	memset(in, 0, sizeof(*in));
	in->t = t;
	err = ph_ptrace_attach(pt, t->pid, deadline, cancel);
	if (err)
		return err;
	stopped_at = ph_now_ns();
	err = ph_target_refresh_maps(t); /* thread stacks made since open */
	if (!err)
		err = choose(in, &chosen);
	if (!err && chosen < 0) {
		err = take_by_breakpoint(in, deadline, &chosen);
		stopped_at = ph_now_ns();
	}
	if (!err && chosen < 0)
		err = ph_error(PH_EIO, "no thread could be chosen");
	if (err)
		goto fail;
	in->idx = (size_t)chosen;
	/* let every other thread go before making calls: one of them may hold a lock a call needs */
	for (size_t i = 0; i < pt->n; i++) {
		if (i == in->idx || pt->v[i].state != PH_TRACEE_STOPPED)
			continue;
		err = ph_ptrace_detach(pt, i);
		if (err)
			goto fail;
	}
	in->others_ns = ph_now_ns() - stopped_at;
	err = ph_ptrace_setoptions(pt, in->idx, 0); /* threads the calls create are not traced */
	if (!err)
		err = ph_remote_begin(&in->rc, pt, in->idx, t->syscall_insn, deadline);
	if (err)
		goto fail;
	in->begun = true;
	err = ph_remote_scratch(&in->rc, PH_INJECT_SCRATCH);
	if (!err && t->errno_location) {
		uint64_t a;

		err = ph_remote_call(&in->rc, t->errno_location, NULL, 0, &a);
		if (!err && a && ph_mem_read(t->pid, a, &in->saved_errno, sizeof(in->saved_errno)) == 0) {
			in->errno_addr = a;
			in->errno_saved = true;
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
		ph_error_restore(&saved);
	}
	return err;
}

int ph_inject_call(struct ph_inject *in, uint64_t fn, const uint64_t *args, size_t n, uint64_t *ret)
{
	return ph_remote_call(&in->rc, fn, args, n, ret);
}

int ph_inject_syscall(struct ph_inject *in, long nr, const uint64_t *args, size_t n, int64_t *ret)
{
	return ph_remote_syscall(&in->rc, nr, args, n, ret);
}

int ph_inject_end(struct ph_inject *in)
{
	int err = 0, e;

	if (in->begun) {
		if (in->errno_saved &&
		    in->pt.v[in->idx].state == PH_TRACEE_STOPPED)
			err = ph_mem_write(in->t->pid, in->errno_addr, &in->saved_errno,
					   sizeof(in->saved_errno));
		e = ph_remote_end(&in->rc);
		if (e && !err)
			err = e;
		in->begun = false;
	}
	if (in->pt.attached && in->pt.v[in->idx].state == PH_TRACEE_STOPPED) {
		e = ph_ptrace_detach(&in->pt, in->idx);
		if (e && !err)
			err = e;
	}
	ph_ptrace_release(&in->pt);
	return err;
}
