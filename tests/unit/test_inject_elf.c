/* SPDX-License-Identifier: MIT */
/*
 * ELF symbol lookup and load bias, checked against the dynamic loader's own
 * answers in this process; and hostile files (truncated, mutated) that must
 * give an error or a result, never a crash.
 */
#include <criterion/criterion.h>
#include <elf.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "inject/elf.h"
#include "inject/maps.h"
#include "inject/symbols.h"

extern const unsigned char ph_agent_blob[];
extern const unsigned char ph_agent_blob_end[];

static struct ph_symbols syms;
static struct ph_maps maps;

static void setup(void)
{
	cr_assert_eq(ph_maps_read(getpid(), &maps), 0);
	cr_assert_eq(ph_symbols_init(&syms, getpid(), &maps), 0, "%s", ph_error_detail());
}

static void teardown(void)
{
	ph_symbols_release(&syms);
	ph_maps_release(&maps);
}

TestSuite(inject_elf, .init = setup, .fini = teardown);

Test(inject_elf, libc_symbols_match_the_loader)
{
	const char *names[] = {"dlopen", "dlsym", "dlclose", "dlerror", "__errno_location", "fopen",
			       "syscall", "no_such_symbol_xyz"};
	uint64_t a[8];
	int libc = ph_symbols_module(&syms, "libc.so");

	cr_assert_geq(libc, 0);
	cr_assert_eq(ph_symbols_lookup(&syms, (size_t)libc, names, 8, a), 7, "%s", ph_error_detail());
	for (int i = 0; i < 7; i++) {
		Dl_info di;

		/* a symbol of libc starts exactly there (dladdr: sanitizers interpose dlsym) */
		cr_assert(dladdr((void *)(uintptr_t)a[i], &di), "%s", names[i]);
		cr_assert_eq((uint64_t)(uintptr_t)di.dli_saddr, a[i], "%s", names[i]);
		cr_assert(strstr(di.dli_fname, "libc.so"), "%s in %s", names[i], di.dli_fname);
	}
	cr_assert_eq(a[7], 0);
	/* an IFUNC's value is its resolver, not the function: skipped */
	cr_assert_eq(ph_symbols_addr(&syms, (size_t)libc, "memcpy"), 0);
	cr_assert_eq(ph_symbols_module_at(&syms, a[0]), libc);
}

Test(inject_elf, executable_symtab_and_imports)
{
	int exe = syms.exe;

	cr_assert_geq(exe, 0);
	/* not exported (.dynsym): found in .symtab */
	cr_assert_eq(ph_symbols_addr(&syms, (size_t)exe, "ph_elf_lookup"),
		     (uint64_t)(uintptr_t)&ph_elf_lookup);
	/* imported, undefined here: not a definition */
	cr_assert_eq(ph_symbols_addr(&syms, (size_t)exe, "malloc"), 0);
}

/* a static variable of this file, as tracemalloc_traces is one of CPython 3.9-3.11's */
static int ph_test_static_variable = 42;

Test(inject_elf, static_variables_found_when_no_global_has_the_name)
{
	const char *names[] = {"ph_test_static_variable", "setup"};
	uint64_t a[2];

	cr_assert_eq(ph_symbols_lookup(&syms, (size_t)syms.exe, names, 2, a), 1);
	cr_assert_eq(a[0], (uint64_t)(uintptr_t)&ph_test_static_variable);
	cr_assert_eq(*(int *)(uintptr_t)a[0], 42);
	cr_assert_eq(a[1], 0, "a static function is not data: not taken");
}

Test(inject_elf, agent_blob_exports_its_entry_points)
{
	struct ph_elf e;
	size_t n = (size_t)(ph_agent_blob_end - ph_agent_blob);

	cr_assert_eq(ph_elf_open_mem(&e, ph_agent_blob, n, "agent"), 0, "%s", ph_error_detail());
	cr_assert_eq(e.type, 3 /* ET_DYN */);
	cr_assert_neq(ph_elf_symbol(&e, "pyheap_agent_start"), 0);
	cr_assert_neq(ph_elf_symbol(&e, "pyheap_agent_finish"), 0);
	/* hidden visibility: nothing else of the agent is exported */
	cr_assert_eq(ph_elf_symbol(&e, "ph_writer_open"), 0);
	cr_assert_eq(ph_elf_symbol(&e, "ph_agent_dump"), 0);
	ph_elf_release(&e);
}

static void read_file(const char *path, unsigned char **data, size_t *len)
{
	struct stat st;
	int fd = open(path, O_RDONLY);

	cr_assert_geq(fd, 0);
	cr_assert_eq(fstat(fd, &st), 0);
	*len = (size_t)st.st_size;
	*data = malloc(*len);
	cr_assert_eq(read(fd, *data, *len), (ssize_t)*len);
	close(fd);
}

Test(inject_elf, hostile_files_never_crash)
{
	int libc = ph_symbols_module(&syms, "libc.so");
	unsigned char *data, *copy;
	size_t len;
	unsigned seed = 1;
	const char *names[] = {"dlopen", "malloc", "printf"};
	uint64_t v[3];

	read_file(syms.v[libc].path, &data, &len);
	copy = malloc(len);
	/* truncated at many lengths */
	for (size_t cut = 0; cut < len; cut = cut * 3 / 2 + 1) {
		struct ph_elf e;

		if (ph_elf_open_mem(&e, data, cut, "cut") == 0) {
			ph_elf_lookup(&e, names, 3, v);
			ph_elf_release(&e);
		}
	}
	/* the header, program and section headers mutated at random */
	for (int round = 0; round < 3000; round++) {
		struct ph_elf e;

		memcpy(copy, data, len);
		for (int k = 0; k < 8; k++) {
			size_t at = (size_t)rand_r(&seed) % 64;

			if (k % 2)
				at = (size_t)rand_r(&seed) % len;
			copy[at] = (unsigned char)rand_r(&seed);
		}
		if (ph_elf_open_mem(&e, copy, len, "mutated") == 0) {
			ph_elf_lookup(&e, names, 3, v);
			ph_elf_release(&e);
		}
	}
	{
		struct ph_elf e;

		cr_assert_eq(ph_elf_open_mem(&e, "hello", 5, "text"), PH_EIO);
		cr_assert(strstr(ph_error_detail(), "not an ELF file"));
	}
	free(copy);
	free(data);
}

/* Several SHT_GNU_versym sections: the first that fits .dynsym is kept, none leaks (make asan). */
Test(inject_elf, duplicate_versym_sections)
{
	int libc = ph_symbols_module(&syms, "libc.so");
	unsigned char *data;
	size_t len, dups = 0;
	Elf64_Ehdr eh;
	Elf64_Shdr *sh;
	int vs = -1;
	struct ph_elf e;
	const char *names[] = {"malloc"};
	uint64_t v[1] = {0};

	read_file(syms.v[libc].path, &data, &len);
	memcpy(&eh, data, sizeof(eh));
	cr_assert_leq(eh.e_shoff + (uint64_t)eh.e_shnum * sizeof(*sh), len);
	sh = (Elf64_Shdr *)(data + eh.e_shoff);
	for (int i = 0; i < eh.e_shnum; i++)
		if (sh[i].sh_type == SHT_GNU_versym)
			vs = i;
	cr_assert_geq(vs, 0);
	for (int i = 0; i < eh.e_shnum; i++)
		if (sh[i].sh_type == SHT_NOTE) { /* notes are not read: copies of .gnu.version */
			sh[i] = sh[vs];
			dups++;
		}
	cr_assert_gt(dups, 0);
	cr_assert_eq(ph_elf_open_mem(&e, data, len, "dup-versym"), 0);
	cr_assert_not_null(e.dynsym.versym);
	cr_assert_eq(ph_elf_lookup(&e, names, 1, v), 1);
	ph_elf_release(&e);
	free(data);
}

Test(inject_elf, bias_of_a_mapping)
{
	struct ph_elf e = {0};

	e.have_load = true;
	e.load_vaddr = 0x400000;
	e.load_offset = 0;
	{
		uint64_t b;

		cr_assert(ph_elf_bias(&e, 0x400000, 0, &b));
		cr_assert_eq(b, 0); /* non-PIE */
		e.load_vaddr = 0;
		cr_assert(ph_elf_bias(&e, 0x7f0000001000, 0x1000, &b));
		cr_assert_eq(b, 0x7f0000000000);
		e.have_load = false;
		cr_assert(!ph_elf_bias(&e, 0x7f0000001000, 0x1000, &b));
	}
}
