/* SPDX-License-Identifier: MIT */
/*
 * remote.h - making a stopped thread of another process call functions, in
 * such a way that the thread is never left broken: not when a call crashes,
 * not when it hangs, and not when pyheap itself dies (SIGKILL) at any
 * moment.
 *
 * The idea: every call returns into a signal-return frame. Before the first
 * call, an rt_sigreturn frame is written on the thread's own stack, below
 * its red zone: a kernel ucontext whose registers are the thread's own as
 * it would resume (an interrupted system call's restart already applied,
 * see below), its signal mask, and its XSAVE image (x87/SSE/AVX... state,
 * with the software bytes and magic the kernel checks). A call is set up
 * with rsp pointing at a return address that is libc's rt_sigreturn code
 * (`mov $15,%rax; syscall`, __restore_rt), so when the function returns the
 * thread restores itself completely and goes on as if nothing happened.
 * If pyheap dies mid-call, the kernel detaches the thread, which finishes
 * the call and restores itself: there is no single-stepping, no breakpoint,
 * no fake return address left to fault on.
 *
 * While pyheap lives, the call runs under PTRACE_SYSCALL: every system call
 * the function makes stops the thread at entry and exit, which is how
 * results are seen (a system call's return value at its exit stop; there
 * is no way to see rax after `ret`, so functions whose result matters write
 * it to memory instead). At the entry of the frame's rt_sigreturn, pyheap
 * puts the vector state back (PTRACE_SETREGSET) and then sets the resume
 * registers with orig_rax = -1, which skips the rt_sigreturn: the thread is
 * then exactly as before the call (only the kernel's restart block is kept,
 * which a real rt_sigreturn would reset). Each of those two steps leaves the
 * thread whole if pyheap dies right after it.
 *
 * Restarts: a thread stopped in an interrupted system call has orig_rax = the
 * call and rax = -ERESTARTSYS/-ERESTARTNOINTR/-ERESTARTNOHAND (-512..-514) or
 * -ERESTART_RESTARTBLOCK (-516). The resume registers re-execute it as the
 * kernel would: rax = orig_rax (restart_syscall for -516) and rip -= 2.
 * When pyheap detaches it sets the exact original registers instead if it
 * holds a signal for the thread (then the kernel applies its own rules:
 * -EINTR where a handler runs), and for -516 falls back to -EINTR when a
 * call of its own reused the restart block. If pyheap died mid-call and the
 * frame's rt_sigreturn ran, a -516 call (nanosleep, poll) returns EINTR
 * early: rt_sigreturn resets the restart block.
 *
 * errno is read before the first call and written back at the end through
 * libc's TLS block (no call needed: see symbols.h).
 *
 * Calls are not interruptible by the user (they are short: dlopen, a thread
 * creation) but are bounded: a call that has not returned by the deadline
 * is abandoned, which is now safe: the thread is detached, finishes the
 * call by itself and restores itself through the frame.
 *
 * Ownership: the struct borrows pt; it owns its buffers (ph_remote_end()).
 */
#ifndef PH_REMOTE_H
#define PH_REMOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/user.h>

#include "common/error.h"
#include "inject/ptrace.h"

/* What the target offers that remote calls need (from target.h). */
struct ph_remote_env {
	uint64_t sigreturn;   /* `mov $15,%rax; syscall` */
	uint64_t syscall_fn;  /* libc's syscall(3) */
	bool have_tls;
	int64_t libc_tls;     /* libc's TLS block offset from fs_base */
	uint64_t errno_tls;   /* errno's offset in it */
	uint64_t main_stack_lo, main_stack_hi; /* [stack]: the main thread's, which grows on demand */
};

/* The system calls one remote call made, as seen at their stops. */
struct ph_remote_trace {
	size_t syscalls;      /* how many */
	int64_t want_nr;      /* set by the caller: remember the last result of this call */
	bool found;
	int64_t want_ret;
	int64_t fail_nr;      /* the last call that failed (-1: none) */
	int64_t fail_ret;     /* its -errno */
	uint64_t fail_arg[2]; /* its first two arguments */
};

/*
 * A hook on the system calls a remote call makes: at each entry stop, entry()
 * may rewrite the call in *regs (orig_rax is the number, rdi rsi rdx r10 r8
 * r9 the arguments) and return 1; then exit() sees that call's result at its
 * exit stop. Returning a negative error from either abandons nothing: the
 * call runs on and the error is reported when it returns.
 */
struct ph_remote_hook {
	int (*entry)(void *ctx, pid_t pid, struct user_regs_struct *regs);
	int (*exit)(void *ctx, pid_t pid, int64_t rval);
	void *ctx;
};

struct ph_remote {
	struct ph_ptrace *pt;
	size_t idx;                     /* the hijacked tracee */
	struct ph_remote_env env;
	struct user_regs_struct saved;  /* as found */
	struct user_regs_struct resume; /* as it will go on: restart applied, orig_rax = -1 */
	uint8_t *xstate;                /* as found (NT_X86_XSTATE) */
	size_t xstate_len;
	uint64_t frame;                 /* the return address slot: rsp at a call's entry */
	uint64_t uc;                    /* the ucontext (rsp at the frame's rt_sigreturn) */
	uint64_t data_lo, data_hi, data_used; /* room for call data, above the frame */
	uint64_t errno_addr;
	int32_t saved_errno;
	bool errno_saved;
	bool called;          /* a call was made: the thread is at a syscall-exit stop */
	bool crashed;         /* a call faulted: the thread was put back as found */
	bool abandoned;       /* a call was left to finish by itself: the thread is detached */
	bool restart_lost;    /* a call's system call took the restart block */
	bool at_entry;        /* taken at a system call's entry stop: it has not run yet */
	uint64_t deadline;
	bool active;
	struct ph_error_saved hook_error;
};

/*
 * Save tracee idx's state (it must be STOPPED) and write the return frame
 * on its stack. at_entry: the thread is at a system call's entry stop (the
 * call has not run: it goes on by executing it, as a restart does). Errors:
 * PH_ELIMIT when the thread's stack has no room for the frame (try another
 * thread), and ptrace/memory errors.
 */
int ph_remote_begin(struct ph_remote *r, struct ph_ptrace *pt, size_t idx,
		    const struct ph_remote_env *env, bool at_entry, uint64_t deadline);

/*
 * Call fn(args[0..n)) (n <= 6). Its result is not observable: trace (may be
 * NULL) receives the system calls it made; functions whose result matters
 * write it to memory. PH_EAGENT if the call crashed (the thread was put
 * back), PH_ETIMEOUT if it was abandoned (no more calls can be made).
 */
int ph_remote_call(struct ph_remote *r, uint64_t fn, const uint64_t *args, size_t n,
		   struct ph_remote_trace *trace);

/* The same, with a hook on its system calls (may be NULL). */
int ph_remote_call_hooked(struct ph_remote *r, uint64_t fn, const uint64_t *args, size_t n,
			  struct ph_remote_trace *trace, const struct ph_remote_hook *hook);

/* System call nr(args[0..n)) (n <= 5) through syscall(3); *ret is its raw result (-errno). */
int ph_remote_syscall(struct ph_remote *r, long nr, const uint64_t *args, size_t n, int64_t *ret);

/* Copy len bytes to the room above the frame (16-byte aligned); *addr: their address there. */
int ph_remote_put(struct ph_remote *r, const void *data, size_t len, uint64_t *addr);

/* Copy a NUL-terminated string there. */
int ph_remote_put_str(struct ph_remote *r, const char *s, uint64_t *addr);

/*
 * Put errno back and set the registers the thread goes on with (see above);
 * the tracee stays stopped (detach it next, with its pending signal). Returns
 * the first error; restores as much as it can regardless.
 */
int ph_remote_end(struct ph_remote *r);

#endif
