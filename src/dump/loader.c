/* SPDX-License-Identifier: MIT */
/*
 * loader.c - the agent's load and unload sequences (see loader.h).
 */
#include "dump/loader.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
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
				char path[64];

				s->h.state = cur;
				s->tid = st.tid;
				snprintf(path, sizeof(path), "/proc/%d/task/%d", (int)t->pid, (int)st.tid);
				s->running = st.tid > 0 && access(path, F_OK) == 0;
			}
			s->h.finish = e->start - blob.load_vaddr + blob.finish;
		}
		k++;
	}
	ph_error_clear();
	*n = k;
	return 0;
}

static int close_remote(struct ph_inject *in, int64_t tfd)
{
	uint64_t a[1] = {(uint64_t)tfd};
	int64_t ret;
	int err = ph_inject_syscall(in, SYS_close, a, 1, &ret);

	if (!err && ret < 0)
		err = ph_error_errno(PH_EIO, (int)-ret, "close of the memfd in the target failed");
	return err;
}

static int write_all(int fd)
{
	const unsigned char *p = ph_agent_blob;
	size_t n = blob_len();
	off_t off = 0;

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

/* The agent in a memfd of the target: *tfd its number there, *path to dlopen. */
static int memfd_route(struct ph_inject *in, int pidfd, int64_t *tfd, uint64_t *ino, char *path,
		       size_t cap)
{
	uint64_t name, a[2];
	struct stat sb;
	int fd, err;

	err = ph_remote_put_str(&in->rc, PH_AGENT_MEMFD_NAME, &name);
	if (err)
		return err;
	a[0] = name;
	a[1] = MFD_CLOEXEC | MFD_EXEC;
	err = ph_inject_syscall(in, SYS_memfd_create, a, 2, tfd);
	if (!err && *tfd == -EINVAL) { /* kernels before 6.3 do not know MFD_EXEC */
		a[1] = MFD_CLOEXEC;
		err = ph_inject_syscall(in, SYS_memfd_create, a, 2, tfd);
	}
	if (err)
		return err;
	if (*tfd < 0)
		return ph_error_errno(PH_EIO, (int)-*tfd, "memfd_create in process %d failed",
				      (int)in->t->pid);
	ph_test_point("memfd");
	fd = ph_proc_take_fd(in->t->pid, pidfd, (int)*tfd, O_WRONLY);
	if (fd < 0)
		return ph_error_errno(PH_EIO, errno, "cannot open the agent's memfd in process %d",
				      (int)in->t->pid);
	err = write_all(fd);
	if (!err && fstat(fd, &sb) == 0)
		*ino = (uint64_t)sb.st_ino;
	close(fd);
	snprintf(path, cap, "/proc/self/fd/%d", (int)*tfd);
	return err;
}

/* Open dir inside the target's root, never leaving it (openat2 RESOLVE_IN_ROOT). */
static int open_root_dir(pid_t pid, const char *dir)
{
	char root_path[64];
	struct open_how how;
	int root, fd;

	snprintf(root_path, sizeof(root_path), "/proc/%d/root", (int)pid);
	root = open(root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return -1;
	memset(&how, 0, sizeof(how));
	how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
	how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
	fd = (int)syscall(SYS_openat2, root, dir, &how, sizeof(how));
	close(root);
	return fd;
}

struct file_route {
	int dirfd;
	char name[96];
};

/* The agent in a new file of dir in the target's root: *path as the target sees it. */
static int file_route(struct ph_inject *in, const char *dir, struct file_route *f, uint64_t *ino,
		      char *path, size_t cap)
{
	uint64_t r = 0;
	struct stat sb;
	int fd, err;

	f->dirfd = open_root_dir(in->t->pid, dir);
	if (f->dirfd < 0)
		return ph_error_errno(PH_EIO, errno, "no directory %s in the target's root", dir);
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r))
		r = (uint64_t)ph_now_ns();
	snprintf(f->name, sizeof(f->name), "." PH_AGENT_MEMFD_NAME "-%d-%016llx.so", (int)getpid(),
		 (unsigned long long)r);
	fd = openat(f->dirfd, f->name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0444);
	if (fd < 0) {
		err = ph_error_errno(PH_EIO, errno, "cannot create the agent's file in %s", dir);
		close(f->dirfd);
		f->dirfd = -1;
		return err;
	}
	err = write_all(fd);
	if (!err && fchmod(fd, 0444) == 0 && fstat(fd, &sb) == 0)
		*ino = (uint64_t)sb.st_ino;
	close(fd);
	snprintf(path, cap, "/%s/%s", dir, f->name);
	ph_test_point("agent-file");
	return err;
}

static void file_route_end(struct file_route *f)
{
	if (f->dirfd >= 0) {
		unlinkat(f->dirfd, f->name, 0);
		close(f->dirfd);
		f->dirfd = -1;
	}
}

/* Whether the target's root has a /proc (where /proc/self/fd/N can be opened). */
static bool target_has_proc(pid_t pid)
{
	char p[64];

	snprintf(p, sizeof(p), "/proc/%d/root/proc/self", (int)pid);
	return faccessat(AT_FDCWD, p, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
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
		const char *what = tr->fail_nr == NR_OPENAT     ? "opening it"
				   : tr->fail_nr == NR_MMAP     ? "mapping it"
				   : tr->fail_nr == NR_MPROTECT ? "protecting its pages"
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
	static const char *const dirs[] = {"dev/shm", "tmp", "var/tmp", "run"};
	struct ph_target *t = in->t;
	struct ph_remote_trace tr;
	struct file_route fr = {-1, ""};
	uint64_t path_addr, a[2], args_addr, ino = 0, base = 0;
	int64_t tfd = -1;
	bool via_file;
	char path[512], why[512];
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

	via_file = !target_has_proc(t->pid);
	for (size_t d = 0; !base && d < (via_file ? sizeof(dirs) / sizeof(dirs[0]) : 1); d++) {
		if (via_file)
			err = file_route(in, dirs[d], &fr, &ino, path, sizeof(path));
		else
			err = memfd_route(in, pidfd, &tfd, &ino, path, sizeof(path));
		if (via_file && err) {
			ph_error_clear();
			err = 0;
			continue;
		}
		if (!err)
			err = ph_remote_put_str(&in->rc, path, &path_addr);
		if (!err) {
			a[0] = path_addr;
			a[1] = RTLD_NOW | RTLD_LOCAL;
			tr.want_nr = -1;
			err = ph_inject_call(in, t->dlopen, a, 2, &tr);
			ph_test_point("dlopen");
		}
		if (!err) {
			err = ph_target_refresh_maps(t);
			if (!err)
				base = mapped_base(&t->maps, ino);
			if (!base)
				dlopen_failure(in, &tr, why, sizeof(why));
		}
		file_route_end(&fr);
		if (tfd >= 0) {
			int e = close_remote(in, tfd);

			tfd = -1;
			if (e && !err)
				err = e;
		}
		if (err)
			goto fail;
	}
	if (!base && via_file && ino == 0)
		return ph_error(PH_EAGENT,
				"process %d has no /proc in its root, and pyheap could not write its "
				"agent into any of /dev/shm, /tmp, /var/tmp or /run there",
				(int)t->pid);
	if (!base)
		return ph_error(PH_EAGENT, "the target could not load pyheap's agent (%s): dlopen: %s",
				path, why);
	out->base = base;
	out->inode = ino;
	out->finish = base - blob.load_vaddr + blob.finish;
	err = find_link_map(t, base - blob.load_vaddr, &out->handle);
	if (err) {
		/* loaded, but no handle to unload it with: it never runs (no thread) */
		return err;
	}

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
fail:
	file_route_end(&fr);
	return err;
}
