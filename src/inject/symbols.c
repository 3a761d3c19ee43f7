/* SPDX-License-Identifier: MIT */
/*
 * symbols.c - modules of a process and symbol addresses (see symbols.h).
 */
#include "inject/symbols.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "common/error.h"
#include "inject/mem.h"
#include "inject/proc.h"

static const char deleted[] = " (deleted)";

static int add_module(struct ph_symbols *s, const struct ph_map *e)
{
	struct ph_module *m, *nv;
	size_t pl = strlen(e->path), dl = sizeof(deleted) - 1;

	nv = realloc(s->v, (s->n + 1) * sizeof(*nv));
	if (!nv)
		return ph_error(PH_ENOMEM, "out of memory listing modules");
	s->v = nv;
	m = &s->v[s->n];
	memset(m, 0, sizeof(*m));
	if (pl > dl && strcmp(e->path + pl - dl, deleted) == 0)
		pl -= dl;
	m->path = strndup(e->path, pl);
	if (!m->path)
		return ph_error(PH_ENOMEM, "out of memory listing modules");
	m->start = e->start;
	m->end = e->end;
	m->map_start = e->start;
	m->map_end = e->end;
	m->map_offset = e->offset;
	m->dev_major = e->dev_major;
	m->dev_minor = e->dev_minor;
	m->inode = e->inode;
	s->n++;
	return 0;
}

/* AT_PHDR and AT_PHNUM of the process: where the kernel mapped its executable's program headers. */
static bool exe_phdrs(pid_t pid, uint64_t *phdr, uint64_t *phnum)
{
	char path[64];
	uint64_t av[2 * 64];
	ssize_t k;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/auxv", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	k = read(fd, av, sizeof(av));
	close(fd);
	*phdr = *phnum = 0;
	for (ssize_t i = 0; k > 0 && i + 1 < k / 8 && av[i] != AT_NULL; i += 2) {
		if (av[i] == AT_PHDR)
			*phdr = av[i + 1];
		else if (av[i] == AT_PHNUM)
			*phnum = av[i + 1];
	}
	return *phdr && *phnum && *phnum < 256;
}

/*
 * The loader's r_debug: the d_ptr of the executable's DT_DEBUG entry, in
 * its dynamic section in memory (found through its program headers). 0 if
 * there is none (a static executable) or it cannot be read.
 */
static uint64_t find_r_debug(pid_t pid)
{
	uint64_t phdr, phnum, bias = 0, dyn = 0;
	bool have_bias = false;

	if (!exe_phdrs(pid, &phdr, &phnum))
		return 0;
	for (uint64_t i = 0; i < phnum; i++) {
		Elf64_Phdr ph;

		if (ph_mem_read(pid, phdr + i * sizeof(ph), &ph, sizeof(ph)) != 0)
			return 0;
		if (ph.p_type == PT_PHDR) {
			bias = phdr - ph.p_vaddr;
			have_bias = true;
		} else if (ph.p_type == PT_DYNAMIC) {
			dyn = ph.p_vaddr;
		}
	}
	if (!have_bias || !dyn)
		return 0;
	for (uint64_t i = 0; i < 1024; i++) {
		Elf64_Dyn d;

		if (ph_mem_read(pid, bias + dyn + i * sizeof(d), &d, sizeof(d)) != 0 ||
		    d.d_tag == DT_NULL)
			return 0;
		if (d.d_tag == DT_DEBUG)
			return d.d_un.d_ptr;
	}
	return 0;
}

/*
 * Mark the modules of the loader's link map (r_debug.r_map, then l_next):
 * each entry's l_ld is in its module. The target's memory is hostile: the
 * walk is bounded and any failure leaves have_link_map false.
 */
static void read_link_map(struct ph_symbols *s)
{
	uint64_t r_debug = find_r_debug(s->pid), lm = 0;
	size_t n = 0;

	if (!r_debug || ph_mem_read(s->pid, r_debug + 8, &lm, sizeof(lm)) != 0)
		return;
	for (size_t k = 0; lm && k < 4096; k++) {
		uint64_t f[4]; /* l_addr, l_name, l_ld, l_next */
		int m;

		if (ph_mem_read(s->pid, lm, f, sizeof(f)) != 0) {
			for (size_t i = 0; i < s->n; i++)
				s->v[i].linked = false;
			return;
		}
		m = ph_symbols_module_at(s, f[2]);
		if (m >= 0 && !s->v[m].linked) {
			s->v[m].linked = true;
			n++;
		}
		lm = f[3];
	}
	if (s->exe >= 0 && !s->v[s->exe].linked) {
		s->v[s->exe].linked = true;
		n++;
	}
	s->have_link_map = n > 1;
}

int ph_symbols_init(struct ph_symbols *s, pid_t pid, const struct ph_maps *maps)
{
	char exe[4096];
	int err = 0;

	memset(s, 0, sizeof(*s));
	s->pid = pid;
	s->exe = -1;
	if (ph_proc_exe(pid, exe, sizeof(exe)) != 0)
		exe[0] = '\0';
	{
		char link[64];
		ssize_t k;

		snprintf(link, sizeof(link), "/proc/%d/root", (int)pid);
		k = readlink(link, s->root, sizeof(s->root) - 1);
		s->root[k > 0 ? k : 0] = '\0';
		if (strcmp(s->root, "/") == 0)
			s->root[0] = '\0';
	}
	for (size_t i = 0; i < maps->n && !err; i++) {
		const struct ph_map *e = &maps->v[i];
		size_t k;

		if (!ph_map_is_file(e))
			continue;
		for (k = 0; k < s->n; k++) {
			struct ph_module *m = &s->v[k];

			if (m->inode == e->inode && m->dev_major == e->dev_major &&
			    m->dev_minor == e->dev_minor) {
				if (e->end > m->end)
					m->end = e->end;
				if (e->offset < m->map_offset) {
					m->map_start = e->start;
					m->map_end = e->end;
					m->map_offset = e->offset;
				}
				break;
			}
		}
		if (k == s->n) {
			err = add_module(s, e);
			if (!err && s->exe < 0 && exe[0] && strcmp(s->v[k].path, exe) == 0)
				s->exe = (int)k;
		}
	}
	if (!err && s->exe < 0 && s->n) {
		/* /proc/PID/exe unreadable or in another mount namespace: the kernel maps the executable first */
		s->exe = 0;
	}
	if (!err)
		read_link_map(s);
	if (err)
		ph_symbols_release(s);
	return err;
}

void ph_symbols_release(struct ph_symbols *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].path);
		if (s->v[i].loaded && !s->v[i].load_err)
			ph_elf_release(&s->v[i].elf);
	}
	free(s->v);
	memset(s, 0, sizeof(*s));
}

bool ph_symbols_is_linked(const struct ph_symbols *s, size_t i)
{
	return !s->have_link_map || s->v[i].linked;
}

int ph_symbols_module(const struct ph_symbols *s, const char *prefix)
{
	size_t pl = strlen(prefix);

	for (size_t i = 0; i < s->n; i++) {
		if (!ph_symbols_is_linked(s, i))
			continue; /* mapped, not loaded: perhaps a decoy */
		const char *b = strrchr(s->v[i].path, '/');

		b = b ? b + 1 : s->v[i].path;
		if (strncmp(b, prefix, pl) == 0)
			return (int)i;
	}
	return -1;
}

int ph_symbols_module_at(const struct ph_symbols *s, uint64_t addr)
{
	for (size_t i = 0; i < s->n; i++)
		if (addr >= s->v[i].start && addr < s->v[i].end)
			return (int)i;
	return -1;
}

static bool same_file(const struct ph_module *m, const struct stat *st, bool strict_dev)
{
	if ((uint64_t)st->st_ino != m->inode || !S_ISREG(st->st_mode))
		return false;
	/* overlayfs reports the underlying device in maps and its own in stat */
	return !strict_dev || (major(st->st_dev) == m->dev_major && minor(st->st_dev) == m->dev_minor);
}

/* Open the module's file as the target sees it. fd or error. */
static int open_module(pid_t pid, const char *root, const struct ph_module *m)
{
	char path[128];
	struct stat st;
	int fd;

	/* the mapped file itself (needs CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE) */
	snprintf(path, sizeof(path), "/proc/%d/map_files/%llx-%llx", (int)pid,
		 (unsigned long long)m->map_start, (unsigned long long)m->map_end);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd >= 0) {
		if (fstat(fd, &st) == 0 && same_file(m, &st, false))
			return fd;
		close(fd);
	}

	/*
	 * the path inside the target's root: maps names files from our root, so
	 * a chroot's files start with the root's own path; strip it
	 */
	if (root[0]) {
		size_t rl = strlen(root);

		if (strncmp(m->path, root, rl) == 0 && m->path[rl] == '/') {
			fd = ph_proc_open_in_root(pid, m->path + rl, &st);
			if (fd >= 0) {
				if (same_file(m, &st, false))
					return fd;
				close(fd);
			}
		}
	}
	/* the path as it is, inside the target's root (a container's own path) */
	fd = ph_proc_open_in_root(pid, m->path, &st);
	if (fd >= 0) {
		if (same_file(m, &st, false))
			return fd;
		close(fd);
	}
	/*
	 * the path from our root: maps shows host paths for mounts we can reach
	 * (a chroot of bind mounts); only the very same file is accepted
	 */
	fd = ph_open_if_same(m->path, m->dev_major, m->dev_minor, m->inode);
	if (fd >= 0)
		return fd;
	return ph_error(PH_EIO, "cannot open %s as process %d sees it", m->path, (int)pid);
}

int ph_symbols_load(struct ph_symbols *s, size_t i)
{
	struct ph_module *m = &s->v[i];
	int fd, err;

	if (m->loaded)
		return m->load_err;
	m->loaded = true;
	fd = open_module(s->pid, s->root, m);
	if (fd < 0) {
		m->load_err = fd;
		return fd;
	}
	err = ph_elf_open_fd(&m->elf, fd, m->path);
	close(fd);
	if (!err && !ph_elf_bias(&m->elf, m->map_start, m->map_offset, &m->bias))
		err = ph_error(PH_EIO, "%s: no loadable segment", m->path);
	if (err)
		ph_elf_release(&m->elf);
	m->load_err = err;
	return err;
}

int ph_symbols_lookup(struct ph_symbols *s, size_t i, const char *const *names, size_t n,
		      uint64_t *addrs)
{
	int err = ph_symbols_load(s, i);
	size_t found;

	if (err) {
		for (size_t k = 0; k < n; k++)
			addrs[k] = 0;
		return err;
	}
	found = ph_elf_lookup(&s->v[i].elf, names, n, addrs);
	for (size_t k = 0; k < n; k++)
		if (addrs[k])
			addrs[k] += s->v[i].bias;
	return (int)found;
}

uint64_t ph_symbols_addr(struct ph_symbols *s, size_t i, const char *name)
{
	uint64_t a;

	return ph_symbols_lookup(s, i, &name, 1, &a) > 0 ? a : 0;
}

int ph_symbols_info(struct ph_symbols *s, size_t i, const char *name, struct ph_elf_sym *out)
{
	int err = ph_symbols_load(s, i);

	if (err)
		return err;
	if (!ph_elf_symbol_info(&s->v[i].elf, name, out))
		return PH_ENOTFOUND;
	if (out->type != STT_TLS)
		out->value += s->v[i].bias;
	return 0;
}

int ph_symbols_tls_block(struct ph_symbols *s, size_t i, int64_t *tpoff)
{
	const struct ph_elf *e;
	int err = ph_symbols_load(s, i), have = 0;
	int64_t first = 0;

	if (err)
		return err;
	e = &s->v[i].elf;
	for (size_t k = 0; k < e->ntpoff && have < 2; k++) {
		uint64_t v;
		int64_t off;

		if (ph_mem_read(s->pid, s->v[i].bias + e->tpoff[k].slot, &v, sizeof(v)) != 0)
			continue;
		off = (int64_t)(v - e->tpoff[k].sym_addend);
		/* x86_64 static TLS lies below the thread pointer, within a few MiB */
		if (off >= 0 || off < -(int64_t)(64 << 20))
			return ph_error(PH_EIO, "%s: implausible TLS offset %lld read from its GOT",
					s->v[i].path, (long long)off);
		if (have && off != first)
			return ph_error(PH_EIO, "%s: its GOT gives two TLS offsets (%lld, %lld)",
					s->v[i].path, (long long)first, (long long)off);
		first = off;
		have++;
	}
	if (!have)
		return ph_error(PH_ENOTFOUND, "%s: no TLS relocation to find its TLS block by",
				s->v[i].path);
	*tpoff = first;
	return 0;
}
