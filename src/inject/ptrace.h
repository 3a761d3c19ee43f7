/* SPDX-License-Identifier: MIT */
/*
 * ptrace.h - the set of a process's threads that pyheap traces: attaching
 * with PTRACE_SEIZE (no SIGSTOP is queued, job control is undisturbed),
 * stopping them with PTRACE_INTERRUPT, following new threads
 * (PTRACE_O_TRACECLONE), waiting with a deadline, and detaching.
 *
 * Every ptrace request comes from the thread that called
 * ph_ptrace_init() (the kernel requires it). Waits use waitpid(-1,
 * __WALL): the process using this module must have no other children while
 * it is attached, and must keep SIGCHLD blocked (ph_ptrace_init() blocks
 * it in the calling thread; block it before creating other threads so that
 * none of them swallows it).
 *
 * Signals: a thread met in a signal-delivery-stop while pyheap wanted it
 * stopped keeps that signal in pending_sig; it is delivered when the thread
 * is resumed for good (detach), so no signal is lost or added.
 *
 * Ownership: the struct owns its array; ph_ptrace_release() detaches every
 * thread still attached (best effort) and frees it.
 *
 * Sessions attach to as few threads as they need (inject.h): one at a
 * time, or all of them without stopping any (breakpoints). A thread let go
 * and seized again keeps its one entry.
 */
#ifndef PH_PTRACE_H
#define PH_PTRACE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

enum ph_tracee_state {
	PH_TRACEE_RUNNING = 0, /* attached, not (known to be) in a ptrace-stop */
	PH_TRACEE_STOPPED,     /* in a ptrace-stop: registers may be read */
	PH_TRACEE_GONE,        /* exited, or detached */
};

struct ph_tracee {
	pid_t tid;
	enum ph_tracee_state state;
	int pending_sig;   /* signal to deliver when resumed for good; 0 none */
	int stop_sig;      /* WSTOPSIG of the last stop */
	int stop_event;    /* PTRACE_EVENT_* of the last stop, 0 for a signal-delivery-stop */
	bool interrupted;  /* a PTRACE_INTERRUPT was sent and its stop not yet seen */
	bool trapped;      /* stopped by one of pyheap's breakpoints (see trap_hook) */
	uint64_t stopped_ns; /* when its current stop was seen (ph_now_ns) */
};

struct ph_ptrace {
	pid_t pid;
	struct ph_tracee *v;
	size_t n, cap;
	bool attached;
	bool exited;       /* the thread group leader exited (the process is gone or going) */
	/* set asynchronously (signal handler) to abandon interruptible waits */
	const volatile sig_atomic_t *cancel;
	sigset_t old_mask; /* the caller's mask before SIGCHLD was blocked */
	size_t last;       /* the entry add() made or reset last */
	/*
	 * Called for each SIGTRAP signal-delivery-stop: returns true if the trap
	 * was one of the caller's breakpoints (and has rewound the thread's
	 * instruction pointer); the stop then counts as a plain stop with
	 * trapped set and no signal to deliver.
	 */
	bool (*trap_hook)(struct ph_ptrace *pt, size_t i, void *ctx);
	void *trap_ctx;
	/*
	 * Called for a child process the target forked while pyheap traced
	 * forks (PTRACE_O_TRACEFORK/TRACEVFORK): stopped tells whether its first
	 * stop was already reaped. The hook must leave it detached. Without a
	 * hook such a child is detached as is.
	 */
	void (*child_hook)(struct ph_ptrace *pt, pid_t child, bool stopped, void *ctx);
};

/* A monotonic clock in nanoseconds, and "now + ms" for deadlines. */
uint64_t ph_now_ns(void);
uint64_t ph_deadline_ms(uint64_t ms);

/*
 * Start a session with no thread attached yet: blocks SIGCHLD in the calling
 * thread (restored by ph_ptrace_release()).
 */
void ph_ptrace_init(struct ph_ptrace *pt, pid_t pid, const volatile sig_atomic_t *cancel);

/*
 * Seize one thread (PTRACE_SEIZE with opts | PTRACE_O_TRACESYSGOOD; it keeps
 * running). *idx receives its index. Errors: PH_EEXITED (the thread is
 * gone), PH_EBUSY (traced by another process), PH_EPERM.
 */
int ph_ptrace_seize(struct ph_ptrace *pt, pid_t tid, unsigned long opts, size_t *idx);

/*
 * Seize every thread of the process without stopping any (looping until no
 * new thread appears). Errors as ph_ptrace_seize, and PH_EEXITED when the
 * process is gone.
 */
int ph_ptrace_seize_all(struct ph_ptrace *pt, unsigned long opts);

/*
 * Interrupt tracee i (if running) and wait until it is STOPPED or GONE.
 * Stops of other tracees seen meanwhile are recorded and left stopped; a
 * signal-delivery-stop of i counts as its stop (the signal is kept in
 * pending_sig).
 */
int ph_ptrace_stop_one(struct ph_ptrace *pt, size_t i, uint64_t deadline);

/*
 * Wait for the next stop or exit of any tracee until deadline. Clone events
 * add the new thread; exits mark GONE. *idx receives the tracee index and
 * *status the wait status. interruptible: give up with PH_EINTR when
 * *cancel is set. 0 or error (PH_ETIMEOUT, PH_EINTR, PH_EEXITED when
 * nothing is left to wait for).
 */
int ph_ptrace_wait(struct ph_ptrace *pt, uint64_t deadline, bool interruptible, size_t *idx,
		   int *status);

/* Interrupt every RUNNING tracee and wait until all are STOPPED or GONE. */
int ph_ptrace_stop_all(struct ph_ptrace *pt, uint64_t deadline, bool interruptible);

/* Resume tracee i with signal sig (0: none). Marks it RUNNING. */
int ph_ptrace_cont(struct ph_ptrace *pt, size_t i, int sig);

/* Resume tracee i until its next system call entry or exit (PTRACE_SYSCALL). Marks it RUNNING. */
int ph_ptrace_syscall(struct ph_ptrace *pt, size_t i, int sig);

/* Detach tracee i (must be STOPPED), delivering its pending_sig. */
int ph_ptrace_detach(struct ph_ptrace *pt, size_t i);

/* Stop what runs, then detach every tracee. Returns the first error. */
int ph_ptrace_detach_all(struct ph_ptrace *pt, uint64_t deadline);

/* Detach everything (best effort, bounded) and free. Restores the signal mask. */
void ph_ptrace_release(struct ph_ptrace *pt);

/* Registers of a STOPPED tracee. */
int ph_ptrace_getregs(struct ph_ptrace *pt, size_t i, struct user_regs_struct *r);
int ph_ptrace_setregs(struct ph_ptrace *pt, size_t i, const struct user_regs_struct *r);

/*
 * The extended (x87/SSE/AVX...) state: *buf (caller frees) and *len, in the
 * kernel's XSAVE layout (NT_X86_XSTATE), for setxstate to put back.
 */
int ph_ptrace_getxstate(struct ph_ptrace *pt, size_t i, uint8_t **buf, size_t *len);
int ph_ptrace_setxstate(struct ph_ptrace *pt, size_t i, const uint8_t *buf, size_t len);

/* Read or write one 8-byte word of a STOPPED tracee's memory (code included). */
int ph_ptrace_peek(struct ph_ptrace *pt, size_t i, uint64_t addr, uint64_t *word);
int ph_ptrace_poke(struct ph_ptrace *pt, size_t i, uint64_t addr, uint64_t word);

/* Set the PTRACE_O_* options of tracee i. */
int ph_ptrace_setoptions(struct ph_ptrace *pt, size_t i, unsigned long opts);

/* Index of the tracee with tid, or -1. */
int ph_ptrace_find(const struct ph_ptrace *pt, pid_t tid);

/* How many tracees are not GONE. */
size_t ph_ptrace_live(const struct ph_ptrace *pt);

#endif
