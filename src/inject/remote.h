/* SPDX-License-Identifier: MIT */
/*
 * remote.h - making a stopped thread of another process call a function or
 * a system call, and putting it back exactly as it was.
 *
 * ph_remote_begin() saves the thread's general registers (including
 * orig_rax and the syscall-restart value in rax) and its XSAVE state;
 * ph_remote_end() restores both, so that on detach the kernel restarts an
 * interrupted system call as if nothing happened (a time.sleep(3) still
 * lasts 3 s).
 *
 * A call (x86_64 SysV): rip = fn, arguments in rdi rsi rdx rcx r8 r9,
 * rax = 0, orig_rax = -1 (no restart logic for the injected call), rsp
 * below the 128-byte red zone of the interrupted code, 16-byte aligned,
 * then a fake return address 0 pushed. The callee's return jumps to 0 and
 * faults: a SIGSEGV stop with rip == 0 is the return, rax the result. A
 * fault anywhere else is a crash of the call: it is reported (PH_EAGENT),
 * the signal is suppressed and the registers are restored, so the target
 * does not die of it. A signal meant for the application that arrives
 * during the call is kept and delivered on detach.
 *
 * A system call: rip = the address of a `syscall` instruction found in the
 * target's code, rax = number, arguments in rdi rsi rdx r10 r8 r9, one
 * single step.
 *
 * Data for calls (strings, structs) goes into a scratch mapping that
 * ph_remote_scratch() creates in the target with a remote mmap and
 * ph_remote_end() unmaps.
 *
 * Calls and syscalls are not interruptible by the user: they are short
 * (dlopen, a thread creation), and abandoning one half-way would leave the
 * target with a thread that returns to address 0. They are bounded by the
 * deadline given to begin().
 */
#ifndef PH_REMOTE_H
#define PH_REMOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/user.h>

#include "inject/ptrace.h"

struct ph_remote {
	struct ph_ptrace *pt;
	size_t idx;                     /* the hijacked tracee */
	struct user_regs_struct saved;  /* as found */
	uint8_t *xstate;
	size_t xstate_len;
	uint64_t syscall_insn;          /* address of a `syscall` instruction */
	uint64_t deadline;
	uint64_t scratch, scratch_len, scratch_used; /* target mapping for data; 0 if none */
	bool active;
};

/* Save tracee idx's state. It must be STOPPED. syscall_insn may be 0 (no syscalls). */
int ph_remote_begin(struct ph_remote *r, struct ph_ptrace *pt, size_t idx, uint64_t syscall_insn,
		    uint64_t deadline);

/* Call fn(args[0..n)) (n <= 6) and return its result in *ret. */
int ph_remote_call(struct ph_remote *r, uint64_t fn, const uint64_t *args, size_t n, uint64_t *ret);

/* Make system call nr with args[0..n) (n <= 6); *ret is the raw result (-errno on failure). */
int ph_remote_syscall(struct ph_remote *r, long nr, const uint64_t *args, size_t n, int64_t *ret);

/* Map len bytes of scratch memory (read/write) in the target. */
int ph_remote_scratch(struct ph_remote *r, size_t len);

/* Copy len bytes into the scratch memory (16-byte aligned); *addr is their target address. */
int ph_remote_put(struct ph_remote *r, const void *data, size_t len, uint64_t *addr);

/* Copy a NUL-terminated string into the scratch memory. */
int ph_remote_put_str(struct ph_remote *r, const char *s, uint64_t *addr);

/*
 * Unmap the scratch memory and restore the saved registers. The tracee
 * stays stopped (detach it next). Returns the first error; restores as much
 * as it can regardless.
 */
int ph_remote_end(struct ph_remote *r);

/* Find a `syscall` instruction (0f 05) within the len bytes at addr in pid. 0 if none. */
uint64_t ph_remote_find_syscall(pid_t pid, uint64_t addr, size_t len);

#endif
