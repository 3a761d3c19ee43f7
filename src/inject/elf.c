/* SPDX-License-Identifier: MIT */
/*
 * elf.c - bounds-checked ELF64 symbol tables (see elf.h).
 *
 * ELF64 HEADER (64 bytes), the fields used:
 *   OFFSET SIZE
 *        0    4  "\x7f" "ELF"
 *        4    1  EI_CLASS (2 = 64-bit)
 *        5    1  EI_DATA (1 = little-endian)
 *       16    2  e_type
 *       32    8  e_phoff
 *       40    8  e_shoff
 *       54    2  e_phentsize (56)
 *       56    2  e_phnum
 *       58    2  e_shentsize (64)
 *       60    2  e_shnum
 *       62    2  e_shstrndx
 */
#include "inject/elf.h"

#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/error.h"

#define MAX_TABLE ((size_t)512 << 20) /* a symbol or string table larger than this is refused */

struct src {
	int fd;
	const uint8_t *mem;
	uint64_t size;
	const char *name;
};

static int src_read(const struct src *s, uint64_t off, uint64_t len, void *out)
{
	if (off > s->size || len > s->size - off)
		return ph_error(PH_EIO, "%s: ELF data at offset %llu (%llu bytes) lies outside the file",
				s->name, (unsigned long long)off, (unsigned long long)len);
	if (s->mem) {
		memcpy(out, s->mem + off, len);
		return 0;
	}
	for (uint64_t done = 0; done < len;) {
		ssize_t k = pread(s->fd, (uint8_t *)out + done, len - done, (off_t)(off + done));

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return ph_error_errno(PH_EIO, errno, "%s: cannot read", s->name);
		if (k == 0)
			return ph_error(PH_EIO, "%s: file shrank while being read", s->name);
		done += (uint64_t)k;
	}
	return 0;
}

/* malloc + read, NUL-terminated; len may be 0. */
static int src_dup(const struct src *s, uint64_t off, uint64_t len, void **out)
{
	uint8_t *p;
	int err;

	if (len > MAX_TABLE)
		return ph_error(PH_EIO, "%s: ELF table of %llu bytes is too large", s->name,
				(unsigned long long)len);
	p = malloc(len + 1);
	if (!p)
		return ph_error(PH_ENOMEM, "out of memory reading %s", s->name);
	err = src_read(s, off, len, p);
	if (err) {
		free(p);
		return err;
	}
	p[len] = 0;
	*out = p;
	return 0;
}

static int load_symtab(const struct src *s, const Elf64_Shdr *sh, size_t shnum, size_t idx,
		       struct ph_elf_symtab *t)
{
	const Elf64_Shdr *ss = &sh[idx], *str;
	int err;

	if (ss->sh_entsize != sizeof(Elf64_Sym) || ss->sh_link >= shnum)
		return ph_error(PH_EIO, "%s: malformed symbol table section %zu", s->name, idx);
	str = &sh[ss->sh_link];
	if (str->sh_type != SHT_STRTAB)
		return ph_error(PH_EIO, "%s: symbol table %zu links to a non-string section", s->name,
				idx);
	if (ss->sh_type == SHT_NOBITS || str->sh_type == SHT_NOBITS)
		return 0;
	err = src_dup(s, ss->sh_offset, ss->sh_size, (void **)&t->syms);
	if (!err)
		err = src_dup(s, str->sh_offset, str->sh_size, (void **)&t->strs);
	if (err)
		return err;
	t->nsyms = ss->sh_size / sizeof(Elf64_Sym);
	t->nstrs = str->sh_size;
	return 0;
}

/*
 * The TPOFF64 relocations of one SHT_RELA section whose symbols are the
 * already loaded .dynsym (sh_link == dynsym_idx). Relocations against an
 * undefined symbol (a variable of another module) are skipped.
 */
static int load_tpoff(struct ph_elf *e, const struct src *s, const Elf64_Shdr *sh)
{
	size_t n = sh->sh_size / sizeof(Elf64_Rela);
	Elf64_Rela r[256];

	if (sh->sh_entsize != sizeof(Elf64_Rela) || sh->sh_type == SHT_NOBITS)
		return 0;
	for (size_t i = 0; i < n && e->ntpoff < PH_ELF_MAX_TPOFF; i += 256) {
		size_t k = n - i < 256 ? n - i : 256;
		int err = src_read(s, sh->sh_offset + i * sizeof(Elf64_Rela), k * sizeof(Elf64_Rela), r);

		if (err)
			return err;
		for (size_t j = 0; j < k && e->ntpoff < PH_ELF_MAX_TPOFF; j++) {
			uint64_t symi = ELF64_R_SYM(r[j].r_info), sv = 0;

			if (ELF64_R_TYPE(r[j].r_info) != R_X86_64_TPOFF64)
				continue;
			if (symi) {
				Elf64_Sym sym;

				if (symi >= e->dynsym.nsyms)
					continue;
				memcpy(&sym, e->dynsym.syms + symi * sizeof(sym), sizeof(sym));
				if (sym.st_shndx == SHN_UNDEF)
					continue;
				sv = sym.st_value;
			}
			e->tpoff[e->ntpoff].slot = r[j].r_offset;
			e->tpoff[e->ntpoff].sym_addend = sv + (uint64_t)r[j].r_addend;
			e->ntpoff++;
		}
	}
	return 0;
}

static int parse(struct ph_elf *e, const struct src *s)
{
	Elf64_Ehdr eh;
	Elf64_Shdr *sh = NULL;
	size_t shnum;
	int err;

	memset(e, 0, sizeof(*e));
	if (s->size < sizeof(eh))
		return ph_error(PH_EIO, "%s: not an ELF file (too short)", s->name);
	err = src_read(s, 0, sizeof(eh), &eh);
	if (err)
		return err;
	if (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0)
		return ph_error(PH_EIO, "%s: not an ELF file", s->name);
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB)
		return ph_error(PH_EUNSUPPORTED, "%s: not a 64-bit little-endian ELF file", s->name);
	e->type = eh.e_type;

	/* the first PT_LOAD */
	if (eh.e_phnum && eh.e_phentsize == sizeof(Elf64_Phdr)) {
		for (size_t i = 0; i < eh.e_phnum && i < 4096; i++) {
			Elf64_Phdr ph;

			err = src_read(s, eh.e_phoff + i * sizeof(ph), sizeof(ph), &ph);
			if (err)
				return err;
			if (ph.p_type == PT_LOAD) {
				e->have_load = true;
				e->load_vaddr = ph.p_vaddr & ~(uint64_t)4095;
				e->load_offset = ph.p_offset & ~(uint64_t)4095;
				break;
			}
		}
	}

	/* section headers: .dynsym, .symtab, .gnu.version */
	shnum = eh.e_shnum;
	if (!shnum || eh.e_shentsize != sizeof(Elf64_Shdr))
		return 0; /* no sections: no symbols (sstrip'ed); lookups find nothing */
	if (shnum > 65535)
		return ph_error(PH_EIO, "%s: too many sections", s->name);
	err = src_dup(s, eh.e_shoff, (uint64_t)shnum * sizeof(Elf64_Shdr), (void **)&sh);
	if (err)
		return err;
	for (size_t i = 0; i < shnum && !err; i++) {
		if (sh[i].sh_type == SHT_DYNSYM && !e->dynsym.syms)
			err = load_symtab(s, sh, shnum, i, &e->dynsym);
		else if (sh[i].sh_type == SHT_SYMTAB && !e->symtab.syms)
			err = load_symtab(s, sh, shnum, i, &e->symtab);
	}
	for (size_t i = 0; i < shnum && !err; i++) {
		if (sh[i].sh_type == SHT_GNU_versym && e->dynsym.syms && !e->dynsym.versym &&
		    sh[i].sh_size == e->dynsym.nsyms * sizeof(uint16_t) && sh[i].sh_entsize == 2)
			err = src_dup(s, sh[i].sh_offset, sh[i].sh_size, (void **)&e->dynsym.versym);
		else if (sh[i].sh_type == SHT_RELA && e->dynsym.syms && sh[i].sh_link < shnum &&
			 sh[sh[i].sh_link].sh_type == SHT_DYNSYM)
			err = load_tpoff(e, s, &sh[i]);
	}
	free(sh);
	if (err)
		ph_elf_release(e);
	return err;
}

int ph_elf_open_fd(struct ph_elf *e, int fd, const char *name)
{
	off_t end = lseek(fd, 0, SEEK_END);
	struct src s = {fd, NULL, 0, name};

	if (end < 0)
		return ph_error_errno(PH_EIO, errno, "%s: cannot seek", name);
	s.size = (uint64_t)end;
	return parse(e, &s);
}

int ph_elf_open_mem(struct ph_elf *e, const void *data, size_t size, const char *name)
{
	struct src s = {-1, data, size, name};

	return parse(e, &s);
}

static void release_tab(struct ph_elf_symtab *t)
{
	free(t->syms);
	free(t->strs);
	free(t->versym);
	memset(t, 0, sizeof(*t));
}

void ph_elf_release(struct ph_elf *e)
{
	release_tab(&e->dynsym);
	release_tab(&e->symtab);
}

/* FNV-1a of a NUL-terminated string. */
static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ull;
	return h | 1; /* never 0: 0 marks an empty slot */
}

struct want {
	uint64_t hash;
	size_t idx;
	int quality; /* 0 unset, then the qualities below */
};

#define LOCAL     1 /* a static: any global replaces it */
#define HIDDEN    2 /* a hidden version */
#define DEFAULT   3
#define FINAL     4 /* found in .dynsym */
#define AMBIGUOUS 5 /* several statics of the name: never resolved */

static void search(const struct ph_elf_symtab *t, const char *const *names, struct want *tab,
		   size_t mask, uint64_t *values)
{
	for (size_t i = 1; i < t->nsyms; i++) {
		Elf64_Sym sym;
		const char *nm;
		uint64_t h;
		int type, bind, q;
		bool unusable, local;

		memcpy(&sym, t->syms + i * sizeof(sym), sizeof(sym));
		if (sym.st_shndx == SHN_UNDEF || sym.st_name >= t->nstrs)
			continue;
		type = ELF64_ST_TYPE(sym.st_info);
		bind = ELF64_ST_BIND(sym.st_info);
		if (type == STT_SECTION || type == STT_FILE)
			continue;
		/*
		 * A local symbol (a static variable, in .symtab only) is taken
		 * when no global one has the name, and only if it is data and
		 * the only local of that name: two give none (see below).
		 */
		local = bind == STB_LOCAL;
		if (local ? type != STT_OBJECT
			  : bind != STB_GLOBAL && bind != STB_WEAK && bind != STB_GNU_UNIQUE)
			continue;
		nm = t->strs + sym.st_name; /* terminated: strs[nstrs] == 0 */
		h = hash_str(nm);
		q = local ? LOCAL : t->versym && (t->versym[i] & 0x8000) ? HIDDEN : DEFAULT;
		/*
		 * An IFUNC or TLS definition is unusable, and it also hides older
		 * (hidden) versions of the name: memcpy@@GLIBC_2.14 is an IFUNC,
		 * memcpy@GLIBC_2.2.5 a different function.
		 */
		unusable = type == STT_GNU_IFUNC || type == STT_TLS;
		for (size_t k = h & mask; tab[k].hash; k = (k + 1) & mask) {
			struct want *w = &tab[k];

			if (w->hash != h || strcmp(names[w->idx], nm) != 0)
				continue;
			if (local && w->quality == LOCAL && values[w->idx] != sym.st_value) {
				w->quality = AMBIGUOUS; /* two statics of one name: neither */
				values[w->idx] = 0;
				continue;
			}
			if (q > w->quality && (unusable || sym.st_value || sym.st_shndx == SHN_ABS)) {
				w->quality = q;
				values[w->idx] = unusable ? 0 : sym.st_value;
			}
		}
	}
}

size_t ph_elf_lookup(const struct ph_elf *e, const char *const *names, size_t n, uint64_t *values)
{
	struct want *tab;
	size_t cap = 16, mask, found = 0;

	for (size_t i = 0; i < n; i++)
		values[i] = 0;
	while (cap < n * 2)
		cap <<= 1;
	mask = cap - 1;
	tab = calloc(cap, sizeof(*tab));
	if (!tab)
		return 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t h = hash_str(names[i]);
		size_t k = h & mask;

		while (tab[k].hash)
			k = (k + 1) & mask;
		tab[k].hash = h;
		tab[k].idx = i;
	}
	search(&e->dynsym, names, tab, mask, values);
	/* .symtab only for names .dynsym lacks */
	for (size_t k = 0; k < cap; k++)
		if (tab[k].hash && tab[k].quality)
			tab[k].quality = FINAL; /* never replaced */
	search(&e->symtab, names, tab, mask, values);
	for (size_t i = 0; i < n; i++)
		found += values[i] != 0;
	free(tab);
	return found;
}

uint64_t ph_elf_symbol(const struct ph_elf *e, const char *name)
{
	uint64_t v;

	ph_elf_lookup(e, &name, 1, &v);
	return v;
}

static bool find_info(const struct ph_elf_symtab *t, const char *name, struct ph_elf_sym *out)
{
	int best = 0;

	for (size_t i = 1; i < t->nsyms; i++) {
		Elf64_Sym sym;
		int bind, q;

		memcpy(&sym, t->syms + i * sizeof(sym), sizeof(sym));
		if (sym.st_shndx == SHN_UNDEF || sym.st_name >= t->nstrs ||
		    strcmp(t->strs + sym.st_name, name) != 0)
			continue;
		bind = ELF64_ST_BIND(sym.st_info);
		if (bind != STB_GLOBAL && bind != STB_WEAK && bind != STB_GNU_UNIQUE)
			continue;
		q = t->versym && (t->versym[i] & 0x8000) ? 1 : 2;
		if (q > best) {
			best = q;
			out->value = sym.st_value;
			out->size = sym.st_size;
			out->type = ELF64_ST_TYPE(sym.st_info);
		}
	}
	return best > 0;
}

bool ph_elf_symbol_info(const struct ph_elf *e, const char *name, struct ph_elf_sym *out)
{
	memset(out, 0, sizeof(*out));
	return find_info(&e->dynsym, name, out) || find_info(&e->symtab, name, out);
}

bool ph_elf_bias(const struct ph_elf *e, uint64_t map_start, uint64_t map_offset, uint64_t *bias)
{
	if (!e->have_load || map_offset < e->load_offset)
		return false;
	/* the mapping at file offset o starts at bias + load_vaddr + (o - load_offset) */
	*bias = map_start - (e->load_vaddr + (map_offset - e->load_offset));
	return true;
}
