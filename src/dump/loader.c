/* SPDX-License-Identifier: MIT */
/*
 * loader.c - the agent's load and unload sequences (see loader.h).
 */
#include "dump/loader.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/error.h"
#include "common/testpoint.h"
#include "inject/elf.h"
#include "inject/mem.h"
#include "inject/proc.h"

#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 0x0001u
#endif
#ifndef MFD_EXEC
#define MFD_EXEC 0x0010u
#endif

#define NR_OPENAT 257
#define NR_MMAP 9
#define NR_MPROTECT 10

/* Where the agent's own symbols lie, relative to its load address. */
struct blob_syms {
	bool loaded;
	int err;
	uint64_t load_vaddr, start, finish, current;
};

static struct blob_syms blob;

static size_t blob_len(void)
{
	return (size_t)(ph_agent_blob_end - ph_agent_blob);
}

static int blob_symbols(void)
{
	struct ph_elf e;
	const char *names[] = {PH_AGENT_START_SYMBOL, PH_AGENT_FINISH_SYMBOL, PH_AGENT_CURRENT_SYMBOL};
	uint64_t v[3];

	if (blob.loaded)
		return blob.err;
	blob.loaded = true;
	blob.err = ph_elf_open_mem(&e, ph_agent_blob, blob_len(), "pyheap's agent");
	if (blob.err)
		return blob.err;
	if (ph_elf_lookup(&e, names, 3, v) != 3 || !e.have_load)
		blob.err = ph_error(PH_EAGENT, "pyheap's agent lacks its entry points (a bad build)");
	blob.load_vaddr = e.load_vaddr;
	blob.start = v[0];
	blob.finish = v[1];
	blob.current = v[2];
	ph_elf_release(&e);
	return blob.err;
}

static bool is_agent_path(const char *path)
{
	return strstr(path, "/memfd:" PH_AGENT_MEMFD_NAME) || strstr(path, "/." PH_AGENT_MEMFD_NAME "-");
}

/* The load address of the file with inode ino (its mapping at offset 0), or 0. */
static uint64_t mapped_base(const struct ph_maps *m, uint64_t ino)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i].inode == ino && m->v[i].offset == 0 && is_agent_path(m->v[i].path))
			return m->v[i].start;
	return 0;
}

bool ph_loader_mapped(struct ph_target *t, const struct ph_agent_handle *h)
{
	if (ph_target_refresh_maps(t) != 0)
		return true; /* cannot tell: assume the worst */
	for (size_t i = 0; i < t->maps.n; i++)
		if (t->maps.v[i].inode == h->inode && is_agent_path(t->maps.v[i].path))
			return true;
	return false;
}

/* The link_map whose load bias is l_addr, in the loader's list: dlclose's handle. */
static int find_link_map(struct ph_target *t, uint64_t l_addr, uint64_t *handle)
{
	uint64_t lm = 0;

	if (!t->r_debug || ph_mem_read(t->pid, t->r_debug + 8, &lm, sizeof(lm)) != 0)
		return ph_error(PH_EAGENT, "cannot read the target's list of loaded libraries");
	for (int k = 0; lm && k < 65536; k++) {
		uint64_t f[4]; /* l_addr, l_name, l_ld, l_next */

		if (ph_mem_read(t->pid, lm, f, sizeof(f)) != 0)
			break;
		if (f[0] == l_addr) {
			*handle = lm;
			return 0;
		}
		lm = f[3];
	}
	return ph_error(PH_EAGENT, "the agent is mapped but not in the loader's list");
}

int ph_loader_find_stale(struct ph_target *t, struct ph_stale_agent *v, size_t *n)
{
	size_t k = 0;
	int err = blob_symbols();

	*n = 0;
	if (err)
		return err;
	err = ph_target_refresh_maps(t);
	if (err)
		return err;
	for (size_t i = 0; i < t->maps.n && k < PH_MAX_STALE; i++) {
		const struct ph_map *e = &t->maps.v[i];
		struct ph_stale_agent *s = &v[k];
		uint8_t page[4096];
		size_t cmp = blob_len() < sizeof(page) ? blob_len() : sizeof(page);

		if (e->offset != 0 || !is_agent_path(e->path))
			continue;
		memset(s, 0, sizeof(*s));
		s->h.base = e->start;
		s->h.inode = e->inode;
		s->same_build = ph_mem_read(t->pid, e->start, page, cmp) == 0 &&
				memcmp(page, ph_agent_blob, cmp) == 0;
		if (s->same_build) {
			uint64_t cur = 0;
			struct ph_agent_state st;

			if (ph_mem_read(t->pid, e->start - blob.load_vaddr + blob.current, &cur,
					sizeof(cur)) == 0 && cur &&
			    ph_mem_read(t->pid, cur, &st, offsetof(struct ph_agent_state, message)) == 0 &&
			    st.magic == PH_AGENT_MAGIC) {
				s->h.state = cur;
				s->tid = st.tid; /* in the target's pid namespace */
				s->running = ph_proc_host_tid(t->pid, st.tid) != 0;
			}
			s->h.finish = e->start - blob.load_vaddr + blob.finish;
		}
		k++;
	}
	ph_error_clear();
	*n = k;
	return 0;
}

static int write_at(int fd, const unsigned char *p, size_t n, off_t off)
{
	while (n) {
		ssize_t k = pwrite(fd, p, n, off);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return ph_error_errno(PH_EIO, k < 0 ? errno : EIO,
					      "cannot write the agent for the target");
		p += k;
		n -= (size_t)k;
		off += k;
	}
	return 0;
}

/*
 * The agent's bytes into the target's fd tfd: everything but the first page,
 * then the first page (the ELF header), so that a file cut short by pyheap's
 * death is an invalid ELF file that dlopen refuses, never one it maps.
 */
static int write_blob(pid_t pid, int pidfd, int tfd, uint64_t *ino)
{
	size_t n = blob_len(), head = n < 4096 ? n : 4096;
	struct stat sb;
	int fd = ph_proc_take_fd(pid, pidfd, tfd, O_WRONLY), err;

	if (fd < 0)
		return ph_error_errno(PH_EIO, errno, "cannot open the agent's memfd in process %d",
				      (int)pid);
	err = write_at(fd, ph_agent_blob + head, n - head, (off_t)head);
	if (!err)
		err = write_at(fd, ph_agent_blob, head, 0);
	if (!err && fstat(fd, &sb) == 0)
		*ino = (uint64_t)sb.st_ino;
	close(fd);
	return err;
}

/*
 * dlopen's own open of the agent's path becomes memfd_create: the new fd is
 * dlopen's, which maps it and closes it (on failure too). The path does not
 * exist: a dlopen that runs without this (pyheap died before the entry stop)
 * fails with ENOENT and leaves nothing.
 */
struct open_hook {
	struct ph_inject *in;
	int pidfd;
	char path[64];
	uint64_t name;     /* the memfd's name, in the target */
	uint64_t flags;    /* memfd_create's flags */
	uint64_t ino;      /* the memfd's inode, once written */
	bool einval;       /* memfd_create refused the flags (MFD_EXEC before Linux 6.3) */
};

static int open_entry(void *ctx, pid_t pid, struct user_regs_struct *regs)
{
	struct open_hook *h = ctx;
	char path[sizeof(h->path)];

	if (regs->orig_rax != NR_OPENAT || h->ino)
		return 0;
	if (ph_mem_read_str(pid, regs->rsi, path, sizeof(path)) != 0) {
		ph_error_clear();
		return 0;
	}
	if (strcmp(path, h->path) != 0)
		return 0;
	regs->orig_rax = SYS_memfd_create;
	regs->rdi = h->name;
	regs->rsi = h->flags;
	return 1;
}

static int open_exit(void *ctx, pid_t pid, int64_t rval)
{
	struct open_hook *h = ctx;
	int err;

	if (rval == -EINVAL) {
		h->einval = true;
		return 0;
	}
	if (rval < 0)
		return ph_error_errno(PH_EIO, (int)-rval, "memfd_create in process %d failed",
				      (int)pid);
	err = write_blob(pid, h->pidfd, (int)rval, &h->ino);
	if (!err)
		ph_test_point("memfd");
	return err;
}

/* Why dlopen failed: glibc's dlerror state (TLS), else the system call that failed. */
static void dlopen_failure(struct ph_inject *in, const struct ph_remote_trace *tr, char *buf,
			   size_t cap)
{
	struct ph_target *t = in->t;

	snprintf(buf, cap, "no detail");
	if (t->have_tls && t->dlerror_tls) {
		uint64_t res = 0, f[3];
		char obj[256] = "", msg[512] = "";

		/* struct dl_action_result { int errcode; char source; bool returned; char *objname, *errstring; } */
		if (ph_mem_read(t->pid, in->rc.saved.fs_base + (uint64_t)t->libc_tls + t->dlerror_tls,
				&res, sizeof(res)) == 0 && res && res != (uint64_t)-1 &&
		    ph_mem_read(t->pid, res, f, sizeof(f)) == 0 && f[2] &&
		    ph_mem_read_str(t->pid, f[2], msg, sizeof(msg)) == 0) {
			int code = (int)(uint32_t)f[0];

			if (f[1])
				ph_mem_read_str(t->pid, f[1], obj, sizeof(obj));
			snprintf(buf, cap, "%s%s%s%s%s", obj, obj[0] ? ": " : "", msg, code ? ": " : "",
				 code ? strerror(code) : "");
			return;
		}
	}
	if (tr->fail_nr >= 0) {
		const char *what = tr->fail_nr == SYS_memfd_create ? "creating its memfd"
				   : tr->fail_nr == NR_MMAP         ? "mapping it"
				   : tr->fail_nr == NR_MPROTECT     ? "protecting its pages"
								    : "system call";

		snprintf(buf, cap, "%s failed (%s, system call %lld)", what,
			 strerror((int)-tr->fail_ret), (long long)tr->fail_nr);
	}
	ph_error_clear();
}

static int unload(struct ph_inject *in, const struct ph_agent_handle *h)
{
	uint64_t a[2], res_addr = 0;
	int32_t res = -1;
	int err;

	if (h->state) {
		err = ph_remote_put(&in->rc, &res, sizeof(res), &res_addr);
		if (err)
			return err;
		a[0] = h->state;
		a[1] = res_addr;
		err = ph_inject_call(in, h->finish, a, 2, NULL);
		if (!err)
			err = ph_mem_read(in->t->pid, res_addr, &res, sizeof(res));
		if (err)
			return err;
		if (res != 0)
			return ph_error(PH_EAGENT, "the agent's finish failed (%d)", (int)res);
	}
	a[0] = h->handle;
	err = ph_inject_call(in, in->t->dlclose, a, 1, NULL);
	if (!err && ph_loader_mapped(in->t, h))
		err = ph_error(PH_EAGENT, "the agent is still mapped in process %d after dlclose",
			       (int)in->t->pid);
	return err;
}

int ph_loader_unload(struct ph_inject *in, const struct ph_agent_handle *h)
{
	return unload(in, h);
}

static int unload_stale(struct ph_inject *in, struct ph_stale_agent *stale, size_t nstale,
			size_t *unloaded)
{
	*unloaded = 0;
	for (size_t i = 0; i < nstale; i++) {
		struct ph_stale_agent *s = &stale[i];
		int err;

		if (!s->same_build || s->running)
			continue;
		err = find_link_map(in->t, s->h.base - blob.load_vaddr, &s->h.handle);
		if (!err)
			err = unload(in, &s->h);
		if (err)
			return err;
		(*unloaded)++;
	}
	return 0;
}

int ph_loader_load(struct ph_inject *in, int pidfd, struct ph_agent_args *args,
		   struct ph_stale_agent *stale, size_t nstale, size_t *unloaded,
		   struct ph_agent_handle *out)
{
	struct ph_target *t = in->t;
	struct ph_remote_trace tr;
	struct ph_remote_hook hook = {open_entry, open_exit, NULL};
	struct open_hook oh;
	uint64_t path_addr, a[2], args_addr, base = 0, r = 0;
	char why[512] = "no detail";
	int err;

	memset(out, 0, sizeof(*out));
	*unloaded = 0;
	if (t->musl)
		return ph_error(PH_EUNSUPPORTED,
				"process %d runs on musl libc: this pyheap carries only a glibc agent",
				(int)t->pid);
	err = blob_symbols();
	if (!err)
		err = unload_stale(in, stale, nstale, unloaded);
	if (err)
		return err;

	memset(&oh, 0, sizeof(oh));
	oh.in = in;
	oh.pidfd = pidfd;
	oh.flags = MFD_CLOEXEC | MFD_EXEC;
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r))
		r = ph_now_ns();
	snprintf(oh.path, sizeof(oh.path), "/." PH_AGENT_MEMFD_NAME "-%d-%016llx.so", (int)getpid(),
		 (unsigned long long)r);
	hook.ctx = &oh;
	err = ph_remote_put_str(&in->rc, PH_AGENT_MEMFD_NAME, &oh.name);
	if (!err)
		err = ph_remote_put_str(&in->rc, oh.path, &path_addr);
	for (int attempt = 0; !err && attempt < 2 && !base; attempt++) {
		a[0] = path_addr;
		a[1] = RTLD_NOW | RTLD_LOCAL;
		tr.want_nr = -1;
		err = ph_remote_call_hooked(&in->rc, t->dlopen, a, 2, &tr, &hook);
		ph_test_point("dlopen");
		if (err)
			break;
		err = ph_target_refresh_maps(t);
		if (!err && oh.ino)
			base = mapped_base(&t->maps, oh.ino);
		if (!base && oh.einval && (oh.flags & MFD_EXEC)) {
			oh.flags &= ~(uint64_t)MFD_EXEC; /* kernels before 6.3 */
			continue;
		}
		if (!base)
			dlopen_failure(in, &tr, why, sizeof(why));
		break;
	}
	if (err)
		return err;
	if (!base)
		return ph_error(PH_EAGENT, "the target could not load pyheap's agent: dlopen: %s", why);
	out->base = base;
	out->inode = oh.ino;
	out->finish = base - blob.load_vaddr + blob.finish;
	err = find_link_map(t, base - blob.load_vaddr, &out->handle);
	if (err)
		return err; /* loaded, with no handle to unload it: inert (it has no thread) */

	/* start it */
	args->magic = PH_AGENT_MAGIC;
	args->abi = PH_AGENT_ABI;
	args->size = sizeof(*args);
	args->out_state = 0;
	memcpy(args->api, t->api, sizeof(args->api));
	err = ph_remote_put(&in->rc, args, sizeof(*args), &args_addr);
	if (!err)
		err = ph_inject_call(in, base - blob.load_vaddr + blob.start, &args_addr, 1, NULL);
	if (!err)
		err = ph_mem_read(t->pid, args_addr + offsetof(struct ph_agent_args, out_state),
				  &out->state, sizeof(out->state));
	if (!err && !out->state)
		err = ph_error(PH_EAGENT, "the agent could not start in the target (out of memory or "
					  "threads?)");
	if (err)
		goto fail_loaded;
	ph_test_point("started");
	return 0;

fail_loaded:
	{
		struct ph_error_saved saved;
		struct ph_agent_handle h = *out;

		ph_error_save(&saved);
		h.state = 0; /* no thread to join */
		unload(in, &h);
		ph_error_restore(&saved);
	}
	memset(out, 0, sizeof(*out));
	return err;
}
