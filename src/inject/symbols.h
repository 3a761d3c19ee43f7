/* SPDX-License-Identifier: MIT */
/*
 * symbols.h - the ELF modules (executable and shared libraries) mapped into a
 * process, and symbol addresses in that process.
 *
 * A module is every distinct file (device + inode) mapped from offset 0 or
 * with an ELF header. Its file is opened as the target sees it: first
 * through /proc/PID/map_files/START-END (the very file that is mapped, even
 * if deleted or replaced since), else /proc/PID/root + path resolved with
 * openat2(RESOLVE_IN_ROOT) so that an absolute symlink inside a container
 * cannot lead outside its root; either way the inode is checked against
 * the mapping. Never the host's file of the same name.
 *
 * The modules the process really runs are told from files it merely maps
 * (a file mmap'ed by the application can be named libc.so.6 or
 * libpython3.12.so.1.0 and hold anything) by the dynamic loader's own list:
 * the link map, found from the executable's DT_DEBUG entry (located through
 * AT_PHDR of /proc/PID/auxv) and read from the target's memory; each entry's
 * l_ld (its dynamic section) lies in the module it names. The executable is
 * always one. Lookups by name (ph_symbols_module) consider only those when
 * the link map could be read (a static executable has none).
 *
 * ELF tables are read on first lookup and cached. The struct owns its
 * modules; ph_symbols_release() frees them. The maps passed to init are
 * borrowed for the duration of the call only.
 */
#ifndef PH_SYMBOLS_H
#define PH_SYMBOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "inject/elf.h"
#include "inject/maps.h"

struct ph_module {
	char *path;       /* as in maps, without " (deleted)" */
	uint64_t start;   /* lowest mapping */
	uint64_t end;     /* end of the highest mapping */
	uint64_t map_start, map_end, map_offset; /* the lowest-offset mapping: bias, map_files */
	uint32_t dev_major, dev_minor;
	uint64_t inode;
	bool loaded;      /* elf read (or failed: load_err) */
	bool linked;      /* in the loader's link map (or the executable) */
	int load_err;
	uint64_t bias;
	struct ph_elf elf;
};

struct ph_symbols {
	pid_t pid;
	struct ph_module *v;
	size_t n;
	int exe;          /* index of the main executable's module, or -1 */
	bool have_link_map; /* the loader's link map was read: linked is meaningful */
	char root[4096];  /* readlink of /proc/PID/root when it is not "/", else "" */
};

int ph_symbols_init(struct ph_symbols *s, pid_t pid, const struct ph_maps *maps);
void ph_symbols_release(struct ph_symbols *s);

/*
 * Index of the first module whose basename starts with prefix, or -1; only
 * modules in the loader's link map when it was read.
 */
int ph_symbols_module(const struct ph_symbols *s, const char *prefix);

/* Read module i's ELF tables if not done. 0 or error (also kept in load_err). */
int ph_symbols_load(struct ph_symbols *s, size_t i);

/*
 * Addresses in the process of n names defined by module i (0 where not
 * defined). Returns the number found, or a negative error if the module's
 * file cannot be read.
 */
int ph_symbols_lookup(struct ph_symbols *s, size_t i, const char *const *names, size_t n,
		      uint64_t *addrs);

/* One name in module i: its address, or 0. */
uint64_t ph_symbols_addr(struct ph_symbols *s, size_t i, const char *name);

/*
 * Name in module i with its size and type, TLS symbols included: out->value
 * is an address in the process, or for STT_TLS the offset inside the
 * module's TLS block. 0, PH_ENOTFOUND, or the module's load error.
 */
int ph_symbols_info(struct ph_symbols *s, size_t i, const char *name, struct ph_elf_sym *out);

/*
 * The offset of module i's static TLS block from a thread's thread pointer
 * (fs_base on x86_64; negative): the same for every thread of the process.
 * Read from the target's relocated GOT slots of the module's TPOFF64
 * relocations (two are compared when there are two). A variable's address
 * in a thread is then fs_base + *tpoff + its STT_TLS value. PH_ENOTFOUND
 * when the module has no such relocation.
 */
int ph_symbols_tls_block(struct ph_symbols *s, size_t i, int64_t *tpoff);

/* Whether module i is one the process runs (see above); all are when the link map is unknown. */
bool ph_symbols_is_linked(const struct ph_symbols *s, size_t i);

/* The module containing addr, or -1. */
int ph_symbols_module_at(const struct ph_symbols *s, uint64_t addr);

#endif
