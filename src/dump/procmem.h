/* SPDX-License-Identifier: MIT */
/*
 * procmem.h - where a process's resident memory is, by kind of mapping, from
 * /proc/PID/smaps (the Rss of each mapping):
 *
 *   file    mappings of files: the executable, shared libraries, mapped data
 *           (and the kernel's [vdso], [vvar])
 *   stack   the main thread's [stack], and threads' stacks: an anonymous
 *           writable mapping right above an inaccessible one (the guard page
 *           glibc puts below each thread's stack)
 *   brk     [heap]: the C allocator's main arena
 *   anon    every other anonymous mapping, shared ones too (/dev/zero, memfds,
 *           SysV segments): pymalloc's arenas, large malloc blocks and other
 *           arenas, buffers of extensions (numpy, mmap)
 */
#ifndef PH_DUMP_PROCMEM_H
#define PH_DUMP_PROCMEM_H

#include <stdint.h>
#include <sys/types.h>

struct ph_procmem {
	uint64_t rss, file, stack, brk, anon; /* bytes */
};

/* 0, or an error when /proc/PID/smaps cannot be read. */
int ph_procmem_read(pid_t pid, struct ph_procmem *m);

#endif
