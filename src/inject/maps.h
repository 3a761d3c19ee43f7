/* SPDX-License-Identifier: MIT */
/*
 * maps.h - a process's memory map (/proc/PID/maps), parsed, and what kind of
 * memory an address lies in.
 *
 * ph_maps_parse() works on text in memory (unit-tested); ph_maps_read()
 * reads /proc/PID/maps. The struct owns its entries and their path strings;
 * ph_maps_release() frees them. Entries are in address order, as the kernel
 * lists them.
 *
 * Memory kinds (ph_maps_kind) matter for choosing a thread to hijack: a
 * futex in a file-backed mapping, or in the anonymous ".bss continuation"
 * right after one, belongs to a library (libc's malloc and stdio locks, the
 * loader lock, the GIL inside _PyRuntime): a thread waiting there must not
 * be used. A futex on the heap, a stack or other anonymous memory is a lock
 * of the application (a Python Lock, Event, Queue or join).
 */
#ifndef PH_MAPS_H
#define PH_MAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct ph_map {
	uint64_t start, end; /* [start, end) */
	uint64_t offset;     /* file offset */
	uint32_t dev_major, dev_minor;
	uint64_t inode;
	bool r, w, x, shared; /* perms "rwxp" / "rwxs" */
	char *path;           /* "" for anonymous; "[heap]", "[stack]", ...; may end in " (deleted)" */
};

struct ph_maps {
	struct ph_map *v;
	size_t n, cap;
};

enum ph_mem_kind {
	PH_MEM_UNMAPPED = 0,
	PH_MEM_FILE,      /* a mapping of a file */
	PH_MEM_FILE_BSS,  /* anonymous, directly after a file mapping (a library's .bss) */
	PH_MEM_HEAP,      /* [heap] */
	PH_MEM_STACK,     /* [stack], or [stack:TID] on old kernels */
	PH_MEM_ANON,      /* other anonymous memory (thread stacks, mmap'ed arenas) */
	PH_MEM_SPECIAL,   /* [vdso], [vvar], [vsyscall], ... */
};

/* Parse maps text (len bytes). On success *m holds the entries (release it). */
int ph_maps_parse(const char *text, size_t len, struct ph_maps *m);

/* Read /proc/pid/maps. PH_ENOPROC, PH_EPERM or PH_EIO on failure. */
int ph_maps_read(pid_t pid, struct ph_maps *m);

void ph_maps_release(struct ph_maps *m);

/* The entry containing addr, or NULL. Borrowed. */
const struct ph_map *ph_maps_find(const struct ph_maps *m, uint64_t addr);

/* What kind of memory addr lies in. */
enum ph_mem_kind ph_maps_kind(const struct ph_maps *m, uint64_t addr);

/* Whether e maps a file (has an absolute path and an inode). */
bool ph_map_is_file(const struct ph_map *e);

/* The basename of e's path (borrowed, inside e->path). */
const char *ph_map_basename(const struct ph_map *e);

/* Whether any entry's path contains needle. */
bool ph_maps_contains(const struct ph_maps *m, const char *needle);

#endif
