/* SPDX-License-Identifier: MIT */
/*
 * target.h - a process pyheap means to dump, examined from outside without
 * stopping it: is it there, is it free to be traced, is it CPython and which
 * version, and where (in its address space) are the functions and data the
 * injector and the agent need.
 *
 * ph_target_open() refuses, with the documented error codes, a process that
 * does not exist (PH_ENOPROC), a zombie (PH_EEXITED), one that is stopped or
 * already traced (PH_EBUSY), one pyheap may not read (PH_EPERM), one with no
 * Python runtime (PH_ENOTPYTHON), and Python 2, 3.0-3.7, 3.14+, debug or
 * free-threaded builds (PH_EPYVERSION). It reads /proc and the target's ELF
 * files only: the target is not stopped.
 *
 * Python version detection works on stripped binaries: 3.11+ export
 * Py_Version (read from memory); older ones are told apart by the first
 * version that exported a symbol (Py_BytesMain 3.8, PyFrame_GetCode 3.9,
 * Py_IsNone 3.10, PyThread_tss_create 3.7), and Python 2 by PyString_Type.
 *
 * Ownership: the struct owns its maps and symbols; ph_target_release().
 */
#ifndef PH_TARGET_H
#define PH_TARGET_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "agent/agent.h"
#include "inject/maps.h"
#include "inject/proc.h"
#include "inject/symbols.h"

struct ph_target {
	pid_t pid;
	struct ph_proc_status status;
	struct ph_maps maps;
	struct ph_symbols syms;
	int py_module;        /* module defining the Python runtime */
	int major, minor;     /* Python version */
	bool musl;            /* the process runs on musl libc (ld-musl-*.so.1) */
	/* libc and loader: what remote calls need (see remote.h) */
	uint64_t dlopen, dlclose;
	uint64_t syscall_fn;   /* libc's syscall(3): every remote system call goes through it */
	uint64_t sigreturn;    /* `mov $15,%rax; syscall` (libc's __restore_rt): calls return here */
	bool have_tls;         /* libc's TLS block was found: errno and dlerror can be read */
	int64_t libc_tls;      /* offset of libc's static TLS block from the thread pointer */
	uint64_t errno_tls;    /* errno's offset in that block */
	uint64_t dlerror_tls;  /* __libc_dlerror_result's offset (glibc 2.34+), 0 if none */
	uint64_t r_debug;      /* the loader's _r_debug (its list of loaded objects), 0 if none */
	/* the Python runtime */
	uint64_t runtime_lo, runtime_hi; /* _PyRuntime: its GIL lives inside (choose.h) */
	uint64_t api[PH_API_COUNT]; /* for the agent; 0 where missing */
	pid_t avoid_tid;      /* a thread never to hijack (the agent's own), 0 none */
};

int ph_target_open(struct ph_target *t, pid_t pid);
void ph_target_release(struct ph_target *t);

/* Re-read the memory map (after loading or unloading a library). */
int ph_target_refresh_maps(struct ph_target *t);

/* Check the /proc state only: exists, not a zombie, not stopped, not traced. */
int ph_target_check_state(pid_t pid, struct ph_proc_status *st);

#endif
