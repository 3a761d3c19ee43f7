/* SPDX-License-Identifier: MIT */
/*
 * remote.c - remote function calls and system calls on a stopped thread
 * (see remote.h). x86_64.
 */
#include "inject/remote.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "common/error.h"
#include "inject/mem.h"

#define RED_ZONE 128
#define MIN_CALL_WAIT_NS (10ull * 1000000000u) /* a call is never abandoned sooner than this */

static bool fault_signal(int sig)
{
	return sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE || sig == SIGTRAP ||
	       sig == SIGSYS || sig == SIGABRT;
}

int ph_remote_begin(struct ph_remote *r, struct ph_ptrace *pt, size_t idx, uint64_t syscall_insn,
		    uint64_t deadline)
{
	int err;

	memset(r, 0, sizeof(*r));
	r->pt = pt;
	r->idx = idx;
	r->syscall_insn = syscall_insn;
	r->deadline = deadline;
	if (pt->v[idx].state != PH_TRACEE_STOPPED)
		return ph_error(PH_EINVAL, "thread %d is not stopped", (int)pt->v[idx].tid);
	err = ph_ptrace_getregs(pt, idx, &r->saved);
	if (!err)
		err = ph_ptrace_getxstate(pt, idx, &r->xstate, &r->xstate_len);
	if (err)
		return err;
	r->active = true;
	return 0;
}

/*
 * Resume the hijacked thread (single step or continue) and wait until it
 * stops where expected: a step ending at want_rip with SIGTRAP, or a call
 * returning to address 0 with SIGSEGV. *out receives the registers then.
 */
static int run(struct ph_remote *r, bool step, uint64_t want_rip, struct user_regs_struct *out)
{
	struct ph_ptrace *pt = r->pt;
	uint64_t deadline = r->deadline, min = ph_now_ns() + MIN_CALL_WAIT_NS;
	int err;

	if (deadline < min)
		deadline = min;
	err = step ? ph_ptrace_step(pt, r->idx) : ph_ptrace_cont(pt, r->idx, 0);
	while (!err) {
		struct ph_tracee *t;
		size_t i;
		int st, sig;

		err = ph_ptrace_wait(pt, deadline, false, &i, &st);
		if (err)
			break;
		t = &pt->v[r->idx];
		if (i != r->idx) {
			/* another thread (one created meanwhile, say): let it go */
			if (pt->v[i].state == PH_TRACEE_STOPPED)
				ph_ptrace_detach(pt, i);
			continue;
		}
		if (t->state == PH_TRACEE_GONE)
			return ph_error(PH_EEXITED, "process %d exited during a remote call", (int)pt->pid);
		if (t->stop_event != 0) {
			/* a leftover interrupt or a group stop: carry on */
			err = step ? ph_ptrace_step(pt, i) : ph_ptrace_cont(pt, i, 0);
			continue;
		}
		sig = t->stop_sig;
		err = ph_ptrace_getregs(pt, i, out);
		if (err)
			break;
		if (!step && sig == SIGSEGV && out->rip == 0)
			return 0;
		if (step && sig == SIGTRAP && out->rip == want_rip)
			return 0;
		if (fault_signal(sig)) {
			return ph_error(PH_EAGENT,
					"the injected %s crashed in thread %d with signal %d at 0x%llx "
					"(the signal was suppressed and the thread restored)",
					step ? "system call" : "call", (int)t->tid, sig,
					(unsigned long long)out->rip);
		}
		/* a signal for the application: keep one for detach, deliver any other now */
		if (!t->pending_sig) {
			t->pending_sig = sig;
			sig = 0;
		}
		err = step ? ph_ptrace_step(pt, i) : ph_ptrace_cont(pt, i, sig);
	}
	if (err == PH_ETIMEOUT)
		ph_error(PH_ETIMEOUT, "thread %d did not return from a remote %s in time", (int)pt->v[r->idx].tid,
			 step ? "system call" : "call");
	return err;
}

int ph_remote_call(struct ph_remote *r, uint64_t fn, const uint64_t *args, size_t n, uint64_t *ret)
{
	struct user_regs_struct regs = r->saved, out;
	uint64_t sp, zero = 0;
	int err;

	if (!r->active || n > 6)
		return ph_error(PH_EINVAL, "bad remote call");
	sp = (r->saved.rsp - RED_ZONE - 256) & ~(uint64_t)15;
	sp -= 8;
	err = ph_mem_write(r->pt->pid, sp, &zero, sizeof(zero));
	if (err && r->scratch && r->scratch_len - r->scratch_used >= 64 * 1024) {
		/* the main thread's stack may need to grow first: run on the scratch mapping's top */
		sp = ((r->scratch + r->scratch_len - 64) & ~(uint64_t)15) - 8;
		err = ph_mem_write(r->pt->pid, sp, &zero, sizeof(zero));
	}
	if (err)
		return err;
	regs.rip = fn;
	regs.rsp = sp;
	regs.rax = 0;
	regs.orig_rax = (uint64_t)-1;
	regs.rdi = n > 0 ? args[0] : 0;
	regs.rsi = n > 1 ? args[1] : 0;
	regs.rdx = n > 2 ? args[2] : 0;
	regs.rcx = n > 3 ? args[3] : 0;
	regs.r8 = n > 4 ? args[4] : 0;
	regs.r9 = n > 5 ? args[5] : 0;
	regs.eflags &= ~(1ull << 10); /* DF clear, as the ABI requires at a call */
	err = ph_ptrace_setregs(r->pt, r->idx, &regs);
	if (!err)
		err = run(r, false, 0, &out);
	if (!err)
		*ret = out.rax;
	return err;
}

int ph_remote_syscall(struct ph_remote *r, long nr, const uint64_t *args, size_t n, int64_t *ret)
{
	struct user_regs_struct regs = r->saved, out;
	int err;

	if (!r->active || n > 6)
		return ph_error(PH_EINVAL, "bad remote system call");
	if (!r->syscall_insn)
		return ph_error(PH_EUNSUPPORTED, "no syscall instruction found in the target");
	regs.rip = r->syscall_insn;
	regs.rax = (uint64_t)nr;
	regs.orig_rax = (uint64_t)-1;
	regs.rdi = n > 0 ? args[0] : 0;
	regs.rsi = n > 1 ? args[1] : 0;
	regs.rdx = n > 2 ? args[2] : 0;
	regs.r10 = n > 3 ? args[3] : 0;
	regs.r8 = n > 4 ? args[4] : 0;
	regs.r9 = n > 5 ? args[5] : 0;
	err = ph_ptrace_setregs(r->pt, r->idx, &regs);
	if (!err)
		err = run(r, true, r->syscall_insn + 2, &out);
	if (!err)
		*ret = (int64_t)out.rax;
	return err;
}

int ph_remote_scratch(struct ph_remote *r, size_t len)
{
	size_t n = (len + 4095) & ~(size_t)4095;
	uint64_t a[6] = {0, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, (uint64_t)-1, 0};
	int64_t ret;
	int err;

	err = ph_remote_syscall(r, SYS_mmap, a, 6, &ret);
	if (err)
		return err;
	if (ret < 0 && ret > -4096)
		return ph_error_errno(PH_EIO, (int)-ret, "mmap in the target failed");
	r->scratch = (uint64_t)ret;
	r->scratch_len = n;
	r->scratch_used = 0;
	return 0;
}

int ph_remote_put(struct ph_remote *r, const void *data, size_t len, uint64_t *addr)
{
	size_t at = (r->scratch_used + 15) & ~(size_t)15;
	int err;

	if (!r->scratch || at + len > r->scratch_len / 2)
		return ph_error(PH_ELIMIT, "remote scratch memory exhausted");
	err = ph_mem_write(r->pt->pid, r->scratch + at, data, len);
	if (err)
		return err;
	r->scratch_used = at + len;
	*addr = r->scratch + at;
	return 0;
}

int ph_remote_put_str(struct ph_remote *r, const char *s, uint64_t *addr)
{
	return ph_remote_put(r, s, strlen(s) + 1, addr);
}

int ph_remote_end(struct ph_remote *r)
{
	int err = 0, e;

	if (!r->active)
		goto out;
	if (r->scratch) {
		uint64_t a[2] = {r->scratch, r->scratch_len};
		int64_t ret;

		e = ph_remote_syscall(r, SYS_munmap, a, 2, &ret);
		if (!e && ret != 0)
			e = ph_error_errno(PH_EIO, (int)-ret, "munmap in the target failed");
		if (e && !err)
			err = e;
		r->scratch = 0;
	}
	if (r->pt->v[r->idx].state == PH_TRACEE_STOPPED) {
		e = ph_ptrace_setregs(r->pt, r->idx, &r->saved);
		if (e && !err)
			err = e;
		e = ph_ptrace_setxstate(r->pt, r->idx, r->xstate, r->xstate_len);
		if (e && !err)
			err = e;
	} else if (r->pt->v[r->idx].state != PH_TRACEE_GONE && !err) {
		err = ph_error(PH_EIO, "thread %d could not be restored: it is not stopped",
			       (int)r->pt->v[r->idx].tid);
	}
	r->active = false;
out:
	free(r->xstate);
	r->xstate = NULL;
	return err;
}

uint64_t ph_remote_find_syscall(pid_t pid, uint64_t addr, size_t len)
{
	uint8_t buf[4096];

	while (len >= 2) {
		size_t n = len < sizeof(buf) ? len : sizeof(buf);

		if (ph_mem_read(pid, addr, buf, n) != 0)
			return 0;
		for (size_t i = 0; i + 1 < n; i++)
			if (buf[i] == 0x0f && buf[i + 1] == 0x05)
				return addr + i;
		addr += n - 1;
		len -= n - 1;
	}
	return 0;
}
