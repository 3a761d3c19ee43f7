/* SPDX-License-Identifier: MIT */
/*
 * remote.c - self-restoring remote calls on a stopped thread (see
 * remote.h). x86_64.
 *
 * THE FRAME, on the hijacked thread's stack (addresses grow upwards):
 *
 *   frame      8  return address of every call: the rt_sigreturn code
 *   uc       440  struct k_ucontext: flags 0, no link, an invalid
 *                 uc_stack (the altstack is left alone), the resume
 *                 registers, fpstate -> fp, the signal mask
 *   (128)         room for the siginfo of a real rt_sigframe (never read)
 *   fp          N  the XSAVE image, 64-byte aligned, software bytes filled
 *                  in, XSTATE_MAGIC2 at fp + N - 4
 *   data      4K  call data (strings, argument structs): ph_remote_put()
 *   (64 + 128)    slack, then the interrupted code's red zone
 *   saved.rsp
 *
 * At a call's entry rsp = frame, so rsp % 16 == 8 as after a `call`; when
 * the function returns, rsp = uc and the code at the return address runs
 * rt_sigreturn, which reads the ucontext at rsp. uc_flags is 0 so that a
 * 7th argument read from the stack (syscall(3) reads one) is 0.
 */
#include "inject/remote.h"

#include <cpuid.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "common/error.h"
#include "common/testpoint.h"
#include "inject/mem.h"
#include "inject/proc.h"

#define RED_ZONE 128
#define DATA_ROOM 4096
#define CALLEE_ROOM (32 * 1024) /* stack a call needs below the frame, checked on thread stacks */
#define MIN_CALL_WAIT_NS (10ull * 1000000000u) /* a call is never abandoned sooner than this */
#define NR_RT_SIGRETURN 15
#define NR_RESTART_SYSCALL 219
#define SIGCONTEXT_SS_INVALID 0x7fff0000 /* an ss_flags value sigaltstack refuses */

#define XSTATE_MAGIC1 0x46505853u
#define XSTATE_MAGIC2 0x46505845u
#define XFEATURE_TILEDATA (1ull << 18)
#define XSAVE_HDR 512   /* offset of the XSAVE header (XSTATE_BV) */
#define XSAVE_MIN 576   /* legacy area + header */
#define SW_BYTES 464    /* fxsave's sw_reserved: the kernel's struct _fpx_sw_bytes */

/* The kernel's x86_64 struct sigcontext and struct ucontext (asm/sigcontext.h, asm/ucontext.h). */
struct k_sigcontext {
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
	uint16_t cs, gs, fs, ss;
	uint64_t err, trapno, oldmask, cr2;
	uint64_t fpstate;
	uint64_t reserved1[8];
};

struct k_ucontext {
	uint64_t uc_flags;
	uint64_t uc_link;
	uint64_t ss_sp;
	int32_t ss_flags;
	int32_t ss_pad;
	uint64_t ss_size;
	struct k_sigcontext mc;
	uint64_t sigmask;
};

static bool fault_signal(int sig)
{
	return sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE || sig == SIGTRAP ||
	       sig == SIGSYS || sig == SIGABRT;
}

static bool is_restart(int64_t rax)
{
	return rax == -512 || rax == -513 || rax == -514;
}

/* XCR0: the state components the kernel enabled (the same in every process). 0 without XSAVE. */
static uint64_t xcr0(void)
{
	unsigned a, b, c, d;
	uint32_t lo, hi;

	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 27))) /* OSXSAVE */
		return 0;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return (uint64_t)hi << 32 | lo;
}

/*
 * The XSAVE image for the frame: the thread's state as ptrace gave it, with
 * the software bytes the kernel checks on rt_sigreturn. Its size covers the
 * components in use; AMX tile data (a dynamic feature a thread must ask
 * for) only when this thread has it live, so that the image never exceeds
 * the thread's signal frame size. *len includes the final magic word.
 */
static int fp_image(const struct ph_remote *r, uint8_t **out, size_t *len)
{
	uint64_t x = xcr0(), feats, bv;
	size_t size = XSAVE_MIN;
	uint8_t *img;

	if (!x || r->xstate_len < XSAVE_MIN) {
		/* no XSAVE: the legacy 512-byte area, restored as such (no magic) */
		img = calloc(1, 512);
		if (!img)
			return ph_error(PH_ENOMEM, "out of memory");
		memcpy(img, r->xstate, r->xstate_len < 512 ? r->xstate_len : 512);
		memset(img + SW_BYTES, 0, 512 - SW_BYTES);
		*out = img;
		*len = 512;
		return 0;
	}
	memcpy(&bv, r->xstate + XSAVE_HDR, sizeof(bv));
	feats = (x & ~XFEATURE_TILEDATA) | (bv & XFEATURE_TILEDATA);
	for (unsigned i = 2; i < 63; i++) {
		unsigned sz, off, c, d;

		if (!(feats & (1ull << i)))
			continue;
		__cpuid_count(0xd, i, sz, off, c, d);
		if (off + sz > size)
			size = off + sz;
	}
	if (size > r->xstate_len)
		return ph_error(PH_EIO, "the thread's vector state (%zu bytes) is smaller than its "
				"layout (%zu bytes)", r->xstate_len, size);
	img = calloc(1, size + 4);
	if (!img)
		return ph_error(PH_ENOMEM, "out of memory");
	memcpy(img, r->xstate, size);
	bv &= feats;
	memcpy(img + XSAVE_HDR, &bv, sizeof(bv));
	{
		uint32_t m1 = XSTATE_MAGIC1, ext = (uint32_t)size + 4, xs = (uint32_t)size;
		uint32_t m2 = XSTATE_MAGIC2;

		memset(img + SW_BYTES, 0, 48);
		memcpy(img + SW_BYTES, &m1, 4);
		memcpy(img + SW_BYTES + 4, &ext, 4);
		memcpy(img + SW_BYTES + 8, &feats, 8);
		memcpy(img + SW_BYTES + 16, &xs, 4);
		memcpy(img + size, &m2, 4);
	}
	*out = img;
	*len = size + 4;
	return 0;
}

static void to_sigcontext(const struct user_regs_struct *g, struct k_sigcontext *m)
{
	m->r8 = g->r8;
	m->r9 = g->r9;
	m->r10 = g->r10;
	m->r11 = g->r11;
	m->r12 = g->r12;
	m->r13 = g->r13;
	m->r14 = g->r14;
	m->r15 = g->r15;
	m->rdi = g->rdi;
	m->rsi = g->rsi;
	m->rbp = g->rbp;
	m->rbx = g->rbx;
	m->rdx = g->rdx;
	m->rax = g->rax;
	m->rcx = g->rcx;
	m->rsp = g->rsp;
	m->rip = g->rip;
	m->eflags = g->eflags;
	m->cs = (uint16_t)g->cs;
	m->ss = (uint16_t)g->ss;
}

/* Write the frame (see the top of this file). PH_ELIMIT when the stack has no room. */
static int write_frame(struct ph_remote *r)
{
	struct k_ucontext uc;
	struct ph_proc_status st;
	uint8_t *fp = NULL, probe[8];
	size_t fplen = 0;
	uint64_t top, fpa;
	pid_t pid = r->pt->pid, tid = r->pt->v[r->idx].tid;
	int err;

	err = ph_proc_status(pid, tid, &st);
	if (err)
		return err;
	err = fp_image(r, &fp, &fplen);
	if (err)
		return err;
	top = (r->saved.rsp - RED_ZONE - 64) & ~(uint64_t)63;
	r->data_hi = top;
	r->data_lo = top - DATA_ROOM;
	r->data_used = 0;
	fpa = (r->data_lo - fplen) & ~(uint64_t)63;
	r->uc = (fpa - 128 - sizeof(uc)) & ~(uint64_t)15;
	r->frame = r->uc - 8;

	memset(&uc, 0, sizeof(uc));
	uc.ss_flags = SIGCONTEXT_SS_INVALID;
	to_sigcontext(&r->resume, &uc.mc);
	uc.mc.fpstate = fpa;
	uc.sigmask = st.sig_blocked;
	/* the room a call needs below the frame: a thread stack has a fixed size */
	err = ph_mem_read(pid, r->frame - CALLEE_ROOM, probe, sizeof(probe));
	if (err && r->saved.rsp >= r->env.main_stack_lo && r->saved.rsp < r->env.main_stack_hi)
		err = 0; /* the main thread's stack grows on demand */
	if (!err)
		err = ph_mem_write(pid, fpa, fp, fplen);
	if (!err)
		err = ph_mem_write(pid, r->uc, &uc, sizeof(uc));
	if (!err)
		err = ph_mem_write(pid, r->frame, &r->env.sigreturn, sizeof(r->env.sigreturn));
	free(fp);
	if (err == PH_EIO)
		return ph_error(PH_ELIMIT, "thread %d has no room on its stack below 0x%llx for a call",
				(int)tid, (unsigned long long)r->saved.rsp);
	return err;
}

int ph_remote_begin(struct ph_remote *r, struct ph_ptrace *pt, size_t idx,
		    const struct ph_remote_env *env, bool at_entry, uint64_t deadline)
{
	int err;

	memset(r, 0, sizeof(*r));
	r->pt = pt;
	r->idx = idx;
	r->env = *env;
	r->deadline = deadline;
	if (pt->v[idx].state != PH_TRACEE_STOPPED)
		return ph_error(PH_EINVAL, "thread %d is not stopped", (int)pt->v[idx].tid);
	if (!env->sigreturn || !env->syscall_fn)
		return ph_error(PH_EUNSUPPORTED, "no rt_sigreturn code or syscall(3) in the target");
	err = ph_ptrace_getregs(pt, idx, &r->saved);
	if (!err)
		err = ph_ptrace_getxstate(pt, idx, &r->xstate, &r->xstate_len);
	if (err)
		goto fail;
	r->resume = r->saved;
	r->resume.orig_rax = (uint64_t)-1;
	r->at_entry = at_entry;
	if (at_entry) {
		/* not run yet: it runs when the thread goes on */
		r->resume.rax = r->saved.orig_rax;
		r->resume.rip -= 2;
	} else if ((int64_t)r->saved.orig_rax >= 0) {
		if (is_restart((int64_t)r->saved.rax)) {
			r->resume.rax = r->saved.orig_rax;
			r->resume.rip -= 2;
		} else if ((int64_t)r->saved.rax == -516) {
			r->resume.rax = NR_RESTART_SYSCALL;
			r->resume.rip -= 2;
		}
	}
	err = write_frame(r);
	if (err)
		goto fail;
	if (env->have_tls) {
		uint64_t a = r->saved.fs_base + (uint64_t)env->libc_tls + env->errno_tls;

		if (ph_mem_read(pt->pid, a, &r->saved_errno, sizeof(r->saved_errno)) == 0) {
			r->errno_addr = a;
			r->errno_saved = true;
		}
	}
	r->active = true;
	return 0;
fail:
	free(r->xstate);
	r->xstate = NULL;
	return err;
}

/*
 * A call that did not return in time: stop the thread wherever it is and
 * let it go. It finishes the call by itself and returns through the frame,
 * which restores it.
 */
static void abandon(struct ph_remote *r)
{
	struct ph_ptrace *pt = r->pt;

	if (pt->v[r->idx].state == PH_TRACEE_RUNNING &&
	    ph_ptrace_stop_one(pt, r->idx, ph_deadline_ms(2000)) != 0)
		return; /* cannot stop it: it stays attached; release detaches it later */
	ph_ptrace_detach(pt, r->idx);
	r->abandoned = true;
}

/* At the frame's rt_sigreturn: put the thread back as it was, skipping the rt_sigreturn. */
static int skip_sigreturn(struct ph_remote *r)
{
	struct user_regs_struct regs = r->resume;
	int err;

	/* vector state first: dying after it, the real rt_sigreturn restores everything */
	err = ph_ptrace_setxstate(r->pt, r->idx, r->xstate, r->xstate_len);
	if (err)
		return err;
	ph_test_point("sigreturn");
	regs.orig_rax = (uint64_t)-1; /* skips the system call; the registers stay as set */
	return ph_ptrace_setregs(r->pt, r->idx, &regs);
}

/* Run a call set up in the thread's registers until it is back at the frame. */
static int run_call(struct ph_remote *r, struct ph_remote_trace *trace,
		    const struct ph_remote_hook *hook)
{
	struct ph_ptrace *pt = r->pt;
	uint64_t deadline = r->deadline, min = ph_now_ns() + MIN_CALL_WAIT_NS;
	int64_t cur_nr = -1;
	uint64_t cur_args[2] = {0, 0};
	bool in_syscall = false, returning = false, hooked = false;
	int err, hook_err = 0;

	if (deadline < min)
		deadline = min;
	err = ph_ptrace_syscall(pt, r->idx, 0);
	while (!err) {
		struct __ptrace_syscall_info si;
		struct ph_tracee *t;
		size_t i;
		int st, sig;
		bool entry;

		err = ph_ptrace_wait(pt, deadline, false, &i, &st);
		if (err == PH_ETIMEOUT) {
			abandon(r);
			return ph_error(PH_ETIMEOUT,
					"thread %d did not return from a call in time; it was left to "
					"finish it, and returns to what it was doing by itself",
					(int)pt->v[r->idx].tid);
		}
		if (err)
			break;
		t = &pt->v[r->idx];
		if (i != r->idx) {
			/* another thread (one created meanwhile, say): let it go, with its signal */
			struct ph_tracee *o = &pt->v[i];

			if (o->state == PH_TRACEE_STOPPED) {
				if (!o->pending_sig && o->stop_event == 0 && !(o->stop_sig & 0x80))
					o->pending_sig = o->stop_sig;
				ph_ptrace_detach(pt, i);
			}
			continue;
		}
		if (t->state == PH_TRACEE_GONE)
			return ph_error(PH_EEXITED, "process %d exited during a remote call", (int)pt->pid);
		if (t->stop_event != 0) {
			/* a leftover interrupt or a group stop: carry on */
			err = ph_ptrace_syscall(pt, i, 0);
			continue;
		}
		sig = t->stop_sig;
		if (sig == (SIGTRAP | 0x80)) {
			if (ptrace(PTRACE_GET_SYSCALL_INFO, t->tid, (void *)sizeof(si), &si) > 0 &&
			    (si.op == PTRACE_SYSCALL_INFO_ENTRY || si.op == PTRACE_SYSCALL_INFO_EXIT)) {
				entry = si.op == PTRACE_SYSCALL_INFO_ENTRY;
			} else {
				/* kernels before 5.3: stops alternate */
				struct user_regs_struct g;

				err = ph_ptrace_getregs(pt, i, &g);
				if (err)
					break;
				entry = !in_syscall;
				si.stack_pointer = g.rsp;
				si.entry.nr = g.orig_rax;
				si.entry.args[0] = g.rdi;
				si.entry.args[1] = g.rsi;
				si.exit.rval = (int64_t)g.rax;
			}
			in_syscall = entry;
			if (entry && returning) {
				/* a stray entry stop after the skip: should not happen; go on */
			} else if (entry && si.entry.nr == NR_RT_SIGRETURN && si.stack_pointer == r->uc) {
				err = skip_sigreturn(r);
				if (err)
					break;
				returning = true;
			} else if (entry) {
				cur_nr = (int64_t)si.entry.nr;
				cur_args[0] = si.entry.args[0];
				cur_args[1] = si.entry.args[1];
				hooked = false;
				if (hook && hook->entry && !hook_err) {
					struct user_regs_struct g;
					int h;

					err = ph_ptrace_getregs(pt, i, &g);
					if (err)
						break;
					h = hook->entry(hook->ctx, pt->pid, &g);
					if (h < 0) {
						hook_err = h;
						ph_error_save(&r->hook_error);
					} else if (h > 0) {
						err = ph_ptrace_setregs(pt, i, &g);
						if (err)
							break;
						hooked = true;
						cur_nr = (int64_t)g.orig_rax;
					}
				}
				if (trace)
					trace->syscalls++;
				ph_test_point("syscall");
			} else if (returning) {
				r->called = true;
				ph_test_point("returned");
				if (hook_err)
					ph_error_restore(&r->hook_error);
				return hook_err;
			} else {
				int64_t rv = si.exit.rval;

				if (hooked && hook->exit && !hook_err) {
					int h = hook->exit(hook->ctx, pt->pid, rv);

					if (h < 0) {
						hook_err = h;
						ph_error_save(&r->hook_error);
					}
				}
				hooked = false;

				if (rv == -516)
					r->restart_lost = true;
				if (trace && cur_nr == trace->want_nr) {
					trace->found = true;
					trace->want_ret = rv;
				}
				if (trace && rv < 0 && rv > -4096) {
					trace->fail_nr = cur_nr;
					trace->fail_ret = rv;
					trace->fail_arg[0] = cur_args[0];
					trace->fail_arg[1] = cur_args[1];
				}
			}
			err = ph_ptrace_syscall(pt, i, 0);
			continue;
		}
		if (fault_signal(sig)) {
			struct user_regs_struct g;
			uint64_t rip = ph_ptrace_getregs(pt, i, &g) == 0 ? g.rip : 0;

			/* put it back as found: it is in a signal-delivery-stop, the kernel restarts */
			if (ph_ptrace_setregs(pt, i, &r->saved) == 0 &&
			    ph_ptrace_setxstate(pt, i, r->xstate, r->xstate_len) == 0)
				r->crashed = true;
			return ph_error(PH_EAGENT,
					"the injected call crashed in thread %d with signal %d at 0x%llx "
					"(the signal was suppressed and the thread restored)",
					(int)t->tid, sig, (unsigned long long)rip);
		}
		/* a signal for the application: keep one for detach, deliver any other now */
		if (!t->pending_sig) {
			t->pending_sig = sig;
			sig = 0;
		}
		err = ph_ptrace_syscall(pt, i, sig);
	}
	return err;
}

int ph_remote_call(struct ph_remote *r, uint64_t fn, const uint64_t *args, size_t n,
		   struct ph_remote_trace *trace)
{
	return ph_remote_call_hooked(r, fn, args, n, trace, NULL);
}

int ph_remote_call_hooked(struct ph_remote *r, uint64_t fn, const uint64_t *args, size_t n,
			  struct ph_remote_trace *trace, const struct ph_remote_hook *hook)
{
	struct user_regs_struct regs = r->resume;
	int err;

	if (!r->active || r->crashed || r->abandoned || n > 6)
		return ph_error(PH_EINVAL, "bad remote call");
	if (trace) {
		int64_t want = trace->want_nr;

		memset(trace, 0, sizeof(*trace));
		trace->want_nr = want;
		trace->fail_nr = -1;
	}
	regs.rip = fn;
	regs.rsp = r->frame;
	regs.rax = 0;
	regs.orig_rax = (uint64_t)-1; /* no restart logic for the injected call */
	regs.rdi = n > 0 ? args[0] : 0;
	regs.rsi = n > 1 ? args[1] : 0;
	regs.rdx = n > 2 ? args[2] : 0;
	regs.rcx = n > 3 ? args[3] : 0;
	regs.r8 = n > 4 ? args[4] : 0;
	regs.r9 = n > 5 ? args[5] : 0;
	regs.eflags &= ~((1ull << 10) | (1ull << 8)); /* DF clear as the ABI requires; no TF */
	err = ph_ptrace_setregs(r->pt, r->idx, &regs);
	if (err)
		return err;
	ph_test_point("call");
	return run_call(r, trace, hook);
}

int ph_remote_syscall(struct ph_remote *r, long nr, const uint64_t *args, size_t n, int64_t *ret)
{
	struct ph_remote_trace tr;
	uint64_t a[6] = {(uint64_t)nr, 0, 0, 0, 0, 0};
	int err;

	if (n > 5)
		return ph_error(PH_EINVAL, "bad remote system call");
	for (size_t i = 0; i < n; i++)
		a[i + 1] = args[i];
	tr.want_nr = nr;
	err = ph_remote_call(r, r->env.syscall_fn, a, n + 1, &tr);
	if (err)
		return err;
	if (!tr.found)
		return ph_error(PH_EAGENT, "the target's syscall(3) made no system call %ld", nr);
	*ret = tr.want_ret;
	return 0;
}

int ph_remote_put(struct ph_remote *r, const void *data, size_t len, uint64_t *addr)
{
	uint64_t at = (r->data_used + 15) & ~(uint64_t)15;
	int err;

	if (!r->active || at + len > r->data_hi - r->data_lo)
		return ph_error(PH_ELIMIT, "no room left for remote call data");
	err = ph_mem_write(r->pt->pid, r->data_lo + at, data, len);
	if (err)
		return err;
	r->data_used = at + len;
	*addr = r->data_lo + at;
	return 0;
}

int ph_remote_put_str(struct ph_remote *r, const char *s, uint64_t *addr)
{
	return ph_remote_put(r, s, strlen(s) + 1, addr);
}

int ph_remote_end(struct ph_remote *r)
{
	struct ph_tracee *t;
	int err = 0, e;

	if (!r->active)
		goto out;
	r->active = false;
	if (r->abandoned)
		goto out;
	t = &r->pt->v[r->idx];
	if (t->state != PH_TRACEE_STOPPED) {
		if (t->state != PH_TRACEE_GONE)
			err = ph_error(PH_EIO, "thread %d could not be restored: it is not stopped",
				       (int)t->tid);
		goto out;
	}
	if (r->errno_saved) {
		e = ph_mem_write(r->pt->pid, r->errno_addr, &r->saved_errno, sizeof(r->saved_errno));
		if (e && !err)
			err = e;
	}
	if (r->called && !r->crashed) {
		struct user_regs_struct regs = r->resume;

		if (t->pending_sig && !r->at_entry) {
			/* the exact registers: delivering the signal, the kernel applies its rules */
			regs = r->saved;
		} else if (r->restart_lost && (int64_t)r->saved.rax == -516) {
			/* the restart block was reused: the interrupted call returns EINTR */
			regs = r->saved;
			regs.rax = (uint64_t)-EINTR;
			regs.orig_rax = (uint64_t)-1;
		}
		e = ph_ptrace_setxstate(r->pt, r->idx, r->xstate, r->xstate_len);
		if (e && !err)
			err = e;
		e = ph_ptrace_setregs(r->pt, r->idx, &regs);
		if (e && !err)
			err = e;
	}
out:
	free(r->xstate);
	r->xstate = NULL;
	return err;
}
