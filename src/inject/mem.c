/* SPDX-License-Identifier: MIT */
/*
 * mem.c - process_vm_readv/process_vm_writev wrappers (see mem.h).
 */
#include "inject/mem.h"

#include <errno.h>
#include <string.h>
#include <sys/uio.h>

#include "common/error.h"
#include "inject/proc.h"

static int fail(pid_t pid, int errnum, const char *what, uint64_t addr, size_t len)
{
	if (errnum == ESRCH)
		return ph_error(PH_EEXITED, "process %d exited", (int)pid);
	if (errnum == EPERM || errnum == EACCES)
		return ph_error(PH_EPERM, "not permitted to %s the memory of process %d: %s", what,
				(int)pid, ph_proc_eperm_advice());
	return ph_error_errno(PH_EIO, errnum, "cannot %s %zu bytes at 0x%llx in process %d", what, len,
			      (unsigned long long)addr, (int)pid);
}

int ph_mem_read(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		struct iovec local = {(char *)buf + done, len - done};
		struct iovec remote = {(void *)(uintptr_t)(addr + done), len - done};
		ssize_t k = process_vm_readv(pid, &local, 1, &remote, 1, 0);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return fail(pid, errno, "read", addr + done, len - done);
		if (k == 0)
			return fail(pid, EFAULT, "read", addr + done, len - done);
		done += (size_t)k;
	}
	return 0;
}

int ph_mem_write(pid_t pid, uint64_t addr, const void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		struct iovec local = {(char *)buf + done, len - done};
		struct iovec remote = {(void *)(uintptr_t)(addr + done), len - done};
		ssize_t k = process_vm_writev(pid, &local, 1, &remote, 1, 0);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return fail(pid, errno, "write", addr + done, len - done);
		if (k == 0)
			return fail(pid, EFAULT, "write", addr + done, len - done);
		done += (size_t)k;
	}
	return 0;
}

int ph_mem_read_str(pid_t pid, uint64_t addr, char *buf, size_t cap)
{
	size_t have = 0;

	if (cap == 0)
		return ph_error(PH_EINVAL, "ph_mem_read_str: no room");
	while (have < cap - 1) {
		uint64_t a = addr + have;
		size_t page_left = 4096 - (size_t)(a & 4095);
		size_t n = cap - 1 - have < page_left ? cap - 1 - have : page_left;
		char *nul;
		int err = ph_mem_read(pid, a, buf + have, n);

		if (err)
			return err;
		nul = memchr(buf + have, '\0', n);
		if (nul)
			return 0;
		have += n;
	}
	buf[cap - 1] = '\0';
	return 0;
}
