/* SPDX-License-Identifier: MIT */
/*
 * mem.h - reading and writing another process's memory with
 * process_vm_readv(2)/process_vm_writev(2).
 *
 * These never touch the target's execution: they work on a running process
 * and need ptrace access (PTRACE_MODE_ATTACH_REALCREDS). They cannot write
 * to read-only mappings (code): for breakpoints use ph_ptrace_poke().
 *
 * Errors: PH_EEXITED when the process is gone (ESRCH), PH_EPERM when access
 * is denied, PH_EIO for any other failure, including a short transfer
 * (unmapped address), with the address in the detail.
 */
#ifndef PH_MEM_H
#define PH_MEM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Read len bytes at addr in pid into buf (caller's). 0 or error. */
int ph_mem_read(pid_t pid, uint64_t addr, void *buf, size_t len);

/* Write len bytes from buf to addr in pid. 0 or error. */
int ph_mem_write(pid_t pid, uint64_t addr, const void *buf, size_t len);

/*
 * Read a NUL-terminated string of at most cap - 1 bytes at addr into buf
 * (always terminated). Reads page by page so that a string near the end of
 * a mapping is found. 0 or error.
 */
int ph_mem_read_str(pid_t pid, uint64_t addr, char *buf, size_t cap);

#endif
