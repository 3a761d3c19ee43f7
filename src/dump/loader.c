/* SPDX-License-Identifier: MIT */
/*
 * loader.c - the agent's load and unload sequences (see loader.h).
 */
#include "dump/loader.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/error.h"
#include "inject/mem.h"
#include "inject/proc.h"

#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 0x0001u
#endif
#ifndef MFD_EXEC
#define MFD_EXEC 0x0010u
#endif
static int write_blob(int fd)
{
	const unsigned char *p = ph_agent_blob;
	size_t n = (size_t)(ph_agent_blob_end - ph_agent_blob);
	off_t off = 0;

	while (n) {
		ssize_t k = pwrite(fd, p, n, off);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return ph_error_errno(PH_EIO, k < 0 ? errno : EIO,
					      "cannot write the agent into the target's memfd");
		p += k;
		n -= (size_t)k;
		off += k;
	}
	return 0;
}

/* dlerror() in the target, as text (or a fallback). */
static void remote_dlerror(struct ph_inject *in, char *buf, size_t cap)
{
	uint64_t s = 0;

	snprintf(buf, cap, "no detail");
	if (in->t->dlerror && ph_inject_call(in, in->t->dlerror, NULL, 0, &s) == 0 && s)
		ph_mem_read_str(in->t->pid, s, buf, cap);
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

int ph_loader_load(struct ph_inject *in, int pidfd, struct ph_agent_args *args,
		   struct ph_agent_handle *out)
{
	struct ph_target *t = in->t;
	uint64_t name, path, a[2], ret = 0, handle = 0, start = 0, finish = 0, args_addr, sym;
	int64_t tfd = -1;
	char buf[512];
	int fd, err, e;

	memset(out, 0, sizeof(*out));
	if (t->musl)
		return ph_error(PH_EUNSUPPORTED,
				"process %d runs on musl libc: this pyheap carries only a glibc agent",
				(int)t->pid);
	if (t->is_finalizing) {
		err = ph_inject_call(in, t->is_finalizing, NULL, 0, &ret);
		if (err)
			return err;
		if (ret & 0xff)
			return ph_error(PH_EFINALIZING,
					"the Python interpreter of process %d is finalizing (shutting "
					"down): it cannot be dumped",
					(int)t->pid);
	}

	/* a memfd in the target holding the agent */
	err = ph_remote_put_str(&in->rc, PH_AGENT_MEMFD_NAME, &name);
	if (err)
		return err;
	a[0] = name;
	a[1] = MFD_CLOEXEC | MFD_EXEC;
	err = ph_inject_syscall(in, SYS_memfd_create, a, 2, &tfd);
	if (!err && tfd == -EINVAL) { /* kernels before 6.3 do not know MFD_EXEC */
		a[1] = MFD_CLOEXEC;
		err = ph_inject_syscall(in, SYS_memfd_create, a, 2, &tfd);
	}
	if (err)
		return err;
	if (tfd < 0)
		return ph_error_errno(PH_EIO, (int)-tfd, "memfd_create in process %d failed", (int)t->pid);
	fd = ph_proc_take_fd(t->pid, pidfd, (int)tfd, O_WRONLY);
	if (fd < 0) {
		err = ph_error_errno(PH_EIO, errno, "cannot open the agent's memfd in process %d",
				     (int)t->pid);
		goto out_close;
	}
	err = write_blob(fd);
	if (!err) {
		struct stat sb;

		if (fstat(fd, &sb) == 0)
			out->inode = (uint64_t)sb.st_ino;
	}
	close(fd);
	if (err)
		goto out_close;

	/* dlopen it */
	snprintf(buf, sizeof(buf), "/proc/self/fd/%d", (int)tfd);
	err = ph_remote_put_str(&in->rc, buf, &path);
	if (err)
		goto out_close;
	a[0] = path;
	a[1] = RTLD_NOW | RTLD_LOCAL;
	err = ph_inject_call(in, t->dlopen, a, 2, &handle);
	if (err)
		goto out_close;
	if (!handle) {
		remote_dlerror(in, buf, sizeof(buf));
		err = ph_error(PH_EAGENT, "the target could not load pyheap's agent: dlopen: %s", buf);
		goto out_close;
	}
	e = close_remote(in, tfd);
	tfd = -1;
	if (e) {
		err = e;
		goto out_dlclose;
	}

	/* entry points */
	err = ph_remote_put_str(&in->rc, PH_AGENT_START_SYMBOL, &sym);
	if (!err) {
		a[0] = handle;
		a[1] = sym;
		err = ph_inject_call(in, t->dlsym, a, 2, &start);
	}
	if (!err)
		err = ph_remote_put_str(&in->rc, PH_AGENT_FINISH_SYMBOL, &sym);
	if (!err) {
		a[0] = handle;
		a[1] = sym;
		err = ph_inject_call(in, t->dlsym, a, 2, &finish);
	}
	if (!err && (!start || !finish))
		err = ph_error(PH_EAGENT, "the agent's entry points were not found (dlsym)");
	if (err)
		goto out_dlclose;

	/* start it */
	args->magic = PH_AGENT_MAGIC;
	args->abi = PH_AGENT_ABI;
	args->size = sizeof(*args);
	memcpy(args->api, t->api, sizeof(args->api));
	err = ph_remote_put(&in->rc, args, sizeof(*args), &args_addr);
	if (!err)
		err = ph_inject_call(in, start, &args_addr, 1, &ret);
	if (!err && !ret)
		err = ph_error(PH_EAGENT, "the agent could not start in the target (out of memory or "
					  "threads?)");
	if (err)
		goto out_dlclose;
	out->handle = handle;
	out->state = ret;
	out->finish = finish;
	return 0;

out_dlclose:
	{
		struct ph_error_saved saved;

		ph_error_save(&saved);
		a[0] = handle;
		ph_inject_call(in, t->dlclose, a, 1, &ret);
		ph_error_restore(&saved);
	}
out_close:
	if (tfd >= 0) {
		struct ph_error_saved saved;

		ph_error_save(&saved);
		close_remote(in, tfd);
		ph_error_restore(&saved);
	}
	return err;
}

int ph_loader_unload(struct ph_inject *in, const struct ph_agent_handle *h)
{
	uint64_t a[1], ret = 0;
	int err;

	a[0] = h->state;
	err = ph_inject_call(in, h->finish, a, 1, &ret);
	if (err)
		return err;
	if ((int)ret != 0)
		return ph_error(PH_EAGENT, "the agent's finish failed (%d)", (int)ret);
	a[0] = h->handle;
	err = ph_inject_call(in, in->t->dlclose, a, 1, &ret);
	if (!err && (int)ret != 0)
		err = ph_error(PH_EAGENT, "dlclose of the agent failed in the target");
	return err;
}
