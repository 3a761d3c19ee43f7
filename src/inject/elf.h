/* SPDX-License-Identifier: MIT */
/*
 * elf.h - symbol lookup in an ELF64 file (an executable or shared library
 * mapped by the target), and the numbers needed to turn a symbol value into
 * an address in the target (the load bias).
 *
 * The file is hostile input: it comes from the target's filesystem, which a
 * container controls. Every offset and size is checked against the file
 * size before it is used; nothing is mmap'ed (a file truncated under us
 * would raise SIGBUS); only the headers and the symbol and string tables
 * are read, with pread(2), into memory the struct owns.
 *
 * Lookups search .dynsym first (it survives `strip`), then .symtab. They
 * skip undefined symbols (imports have value 0), STT_GNU_IFUNC (the value
 * is a resolver, not the function), STT_TLS and local symbols; among
 * versioned definitions of one name the default version (not hidden) wins.
 * ph_elf_symbol_info() also finds TLS symbols and gives sizes.
 *
 * Thread-local storage: the R_X86_64_TPOFF64 relocations of .rela.dyn (the
 * GOT slots that initial-exec TLS code reads its offsets from) are kept, so
 * that the offset of the module's TLS block from a thread's thread pointer
 * can be read back from the target's relocated GOT (symbols.h).
 *
 * Ownership: ph_elf_open_fd() borrows the fd for the duration of the call
 * only. ph_elf_open_mem() copies what it needs. ph_elf_release() frees.
 */
#ifndef PH_ELF_H
#define PH_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ph_elf_symtab {
	uint8_t *syms;     /* Elf64_Sym array */
	size_t nsyms;
	char *strs;        /* string table, NUL-terminated at strs[nstrs] */
	size_t nstrs;
	uint16_t *versym;  /* .gnu.version for .dynsym (may be NULL) */
};

/* A TPOFF64 relocation: the GOT slot (a virtual address) gets S + A plus the block's offset. */
struct ph_elf_tpoff {
	uint64_t slot;      /* r_offset */
	uint64_t sym_addend; /* S + A: the variable's offset inside the module's TLS block */
};

#define PH_ELF_MAX_TPOFF 64

struct ph_elf {
	uint16_t type;     /* ET_EXEC, ET_DYN */
	bool have_load;
	uint64_t load_vaddr;  /* first PT_LOAD: p_vaddr rounded down to the page */
	uint64_t load_offset; /* first PT_LOAD: p_offset rounded down to the page */
	struct ph_elf_symtab dynsym, symtab;
	struct ph_elf_tpoff tpoff[PH_ELF_MAX_TPOFF]; /* the first ones found */
	size_t ntpoff;
};

struct ph_elf_sym {
	uint64_t value;    /* st_value (for STT_TLS: the offset inside the TLS block) */
	uint64_t size;     /* st_size */
	int type;          /* STT_* */
};

/* Read the ELF file open on fd (name is for messages). */
int ph_elf_open_fd(struct ph_elf *e, int fd, const char *name);

/* Parse an ELF image in memory (size bytes). */
int ph_elf_open_mem(struct ph_elf *e, const void *data, size_t size, const char *name);

void ph_elf_release(struct ph_elf *e);

/*
 * Look up n names at once. values[i] receives the symbol's st_value (a
 * virtual address before relocation) or 0 when the file does not define
 * it. Returns the number of names found.
 */
size_t ph_elf_lookup(const struct ph_elf *e, const char *const *names, size_t n, uint64_t *values);

/* One name; 0 if not defined. */
uint64_t ph_elf_symbol(const struct ph_elf *e, const char *name);

/*
 * One defined global or weak name, TLS symbols included, with its size and
 * type (.dynsym first, the default version preferred). false if none.
 */
bool ph_elf_symbol_info(const struct ph_elf *e, const char *name, struct ph_elf_sym *out);

/*
 * The load bias of this file in a process, given the start and file offset
 * of one of its mappings there: the value to add to a symbol to get its
 * address. false if the mapping does not belong to the first PT_LOAD's page
 * range arithmetic (no PT_LOAD).
 */
bool ph_elf_bias(const struct ph_elf *e, uint64_t map_start, uint64_t map_offset, uint64_t *bias);

#endif
