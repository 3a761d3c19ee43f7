/* SPDX-License-Identifier: MIT */
/*
 * memavail.h - how much memory this process may still take: the smallest of
 * the system's MemAvailable (/proc/meminfo), what RLIMIT_AS and RLIMIT_DATA
 * leave above the current address space and data segment, and what the
 * memory limit of the process's cgroup leaves (v2: memory.max minus
 * memory.current; v1: memory.limit_in_bytes minus memory.usage_in_bytes),
 * of every cgroup from the process's own up to the root.
 *
 * The analysis loader compares what a dump's counts will need with this
 * (or with --max-memory) before it allocates.
 */
#ifndef PH_COMMON_MEMAVAIL_H
#define PH_COMMON_MEMAVAIL_H

#include <stddef.h>
#include <stdint.h>

/*
 * Bytes available; what (may be NULL, n bytes) receives which limit gave
 * the number ("MemAvailable", "RLIMIT_AS", "cgroup memory.max", ...).
 * UINT64_MAX when nothing could be read.
 */
uint64_t ph_mem_available(char *what, size_t n);

/*
 * The same with /proc/meminfo, /proc/self/cgroup and /sys/fs/cgroup read
 * under root (a directory, "" for /): for tests. The resource limits and the
 * process's own size are this process's.
 */
uint64_t ph_mem_available_at(const char *root, char *what, size_t n);

#endif
