/* SPDX-License-Identifier: MIT */
/*
 * proc.c - /proc/PID readers and the status parser (see proc.h).
 */
#include "inject/proc.h"

#include <dirent.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/error.h"

#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

static int open_errno(pid_t pid, const char *what, int errnum)
{
	if (errnum == ENOENT || errnum == ESRCH)
		return ph_error(PH_ENOPROC, "no process with pid %d", (int)pid);
	if (errnum == EACCES || errnum == EPERM)
		return ph_error_errno(PH_EPERM, errnum, "cannot read /proc/%d/%s", (int)pid, what);
	return ph_error_errno(PH_EIO, errnum, "cannot read /proc/%d/%s", (int)pid, what);
}

/* The value of "Key:\t..." lines: points after the tab, or NULL. */
static const char *field(const char *line, size_t n, const char *key, size_t *vlen)
{
	size_t k = strlen(key);

	if (n <= k || memcmp(line, key, k) != 0 || line[k] != ':')
		return NULL;
	line += k + 1;
	n -= k + 1;
	while (n && (*line == '\t' || *line == ' ')) {
		line++;
		n--;
	}
	*vlen = n;
	return line;
}

static long num(const char *s, size_t n)
{
	char tmp[32];

	if (n >= sizeof(tmp))
		n = sizeof(tmp) - 1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	return strtol(tmp, NULL, 10);
}

int ph_proc_parse_status(const char *text, size_t len, struct ph_proc_status *st)
{
	const char *p = text, *end = text + len;
	int seen = 0;

	memset(st, 0, sizeof(*st));
	st->uid_real = st->uid_eff = (uid_t)-1;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		const char *v;
		size_t vl;

		if ((v = field(p, n, "Name", &vl))) {
			if (vl >= sizeof(st->name))
				vl = sizeof(st->name) - 1;
			memcpy(st->name, v, vl);
			st->name[vl] = '\0';
			seen |= 1;
		} else if ((v = field(p, n, "State", &vl)) && vl) {
			st->state = v[0];
			seen |= 2;
		} else if ((v = field(p, n, "Tgid", &vl))) {
			st->tgid = (pid_t)num(v, vl);
		} else if ((v = field(p, n, "TracerPid", &vl))) {
			st->tracer_pid = (pid_t)num(v, vl);
			seen |= 4;
		} else if ((v = field(p, n, "Uid", &vl))) {
			char tmp[128];
			unsigned long r = 0, e = 0;

			if (vl >= sizeof(tmp))
				vl = sizeof(tmp) - 1;
			memcpy(tmp, v, vl);
			tmp[vl] = '\0';
			if (sscanf(tmp, "%lu %lu", &r, &e) == 2) {
				st->uid_real = (uid_t)r;
				st->uid_eff = (uid_t)e;
			}
		} else if ((v = field(p, n, "SigPnd", &vl)) || (v = field(p, n, "SigBlk", &vl)) ||
			   (v = field(p, n, "SigIgn", &vl)) || (v = field(p, n, "SigCgt", &vl))) {
			char tmp[32];
			uint64_t *dst = p[3] == 'B'   ? &st->sig_blocked
					: p[3] == 'I' ? &st->sig_ignored
					: p[3] == 'C' ? &st->sig_caught
						      : &st->sig_pending;

			if (vl >= sizeof(tmp))
				vl = sizeof(tmp) - 1;
			memcpy(tmp, v, vl);
			tmp[vl] = '\0';
			*dst = strtoull(tmp, NULL, 16);
		} else if ((v = field(p, n, "Threads", &vl))) {
			st->threads = (int)num(v, vl);
		} else if ((v = field(p, n, "NSpid", &vl))) {
			/* the last number on the line */
			const char *q = v + vl;

			while (q > v && (q[-1] == ' ' || q[-1] == '\t'))
				q--;
			while (q > v && q[-1] != ' ' && q[-1] != '\t')
				q--;
			st->nspid_inner = (pid_t)num(q, (size_t)(v + vl - q));
		}
		p = nl ? nl + 1 : end;
	}
	if ((seen & 7) != 7)
		return ph_error(PH_EIO, "unexpected /proc status format (no Name, State or TracerPid)");
	return 0;
}

int ph_proc_read_file(pid_t pid, const char *name, char **data, size_t *len)
{
	char path[96];
	char *buf = NULL;
	size_t cap = 0, n = 0;
	int fd, err = 0;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return open_errno(pid, name, errno);
	for (;;) {
		ssize_t k;

		if (cap - n < 4096) {
			size_t ncap = cap ? cap * 2 : 8192;
			char *nb = realloc(buf, ncap);

			if (!nb) {
				err = ph_error(PH_ENOMEM, "out of memory reading %s", path);
				goto out;
			}
			buf = nb;
			cap = ncap;
		}
		k = read(fd, buf + n, cap - n - 1);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			err = open_errno(pid, name, errno);
			goto out;
		}
		if (k == 0)
			break;
		n += (size_t)k;
	}
	buf[n] = '\0';
	*data = buf;
	*len = n;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return err;
}

int ph_proc_status(pid_t pid, pid_t tid, struct ph_proc_status *st)
{
	char name[64];
	char *text;
	size_t len;
	int err;

	if (tid > 0)
		snprintf(name, sizeof(name), "task/%d/status", (int)tid);
	else
		snprintf(name, sizeof(name), "status");
	err = ph_proc_read_file(pid, name, &text, &len);
	if (err)
		return err;
	err = ph_proc_parse_status(text, len, st);
	free(text);
	return err;
}

int ph_proc_tasks(pid_t pid, pid_t **tids, size_t *n)
{
	char path[64];
	pid_t *v = NULL;
	size_t cap = 0, k = 0;
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return open_errno(pid, "task", errno);
	while ((de = readdir(d))) {
		long t;
		char *end;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		t = strtol(de->d_name, &end, 10);
		if (*end || t <= 0)
			continue;
		if (k == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			pid_t *nv = realloc(v, ncap * sizeof(*nv));

			if (!nv) {
				free(v);
				closedir(d);
				return ph_error(PH_ENOMEM, "out of memory listing threads");
			}
			v = nv;
			cap = ncap;
		}
		v[k++] = (pid_t)t;
	}
	closedir(d);
	if (k == 0) {
		free(v);
		return ph_error(PH_ENOPROC, "process %d has no threads (it exited)", (int)pid);
	}
	*tids = v;
	*n = k;
	return 0;
}

int ph_proc_exe(pid_t pid, char *buf, size_t cap)
{
	char path[64];
	ssize_t k;

	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	k = readlink(path, buf, cap - 1);
	if (k < 0)
		return open_errno(pid, "exe", errno);
	buf[k] = '\0';
	return 0;
}

int ph_proc_start(pid_t pid, uint64_t *ticks, char boot_id[37])
{
	char *text, *p;
	size_t len;
	int fd, err = ph_proc_read_file(pid, "stat", &text, &len);

	if (err)
		return err;
	/* the name (field 2) may hold anything: the fields after it follow the last ')' */
	p = strrchr(text, ')');
	for (int field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p + 1, "%" SCNu64, ticks) != 1) {
		free(text);
		return ph_error(PH_EIO, "/proc/%d/stat: no start time", (int)pid);
	}
	free(text);
	boot_id[0] = '\0';
	fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t k = read(fd, boot_id, 36);

		boot_id[k == 36 ? 36 : 0] = '\0';
		close(fd);
	}
	return 0;
}

bool ph_proc_alive(pid_t pid)
{
	struct ph_proc_status st;
	int err;

	if (kill(pid, 0) < 0 && errno == ESRCH)
		return 0;
	err = ph_proc_status(pid, 0, &st);
	if (err)
		return err == PH_EPERM;
	return st.state != 'Z' && st.state != 'X';
}

int ph_proc_take_fd(pid_t pid, int pidfd, int tfd, int oflags)
{
	char path[64];
	int fd = -1;

	if (pidfd >= 0)
		fd = (int)syscall(SYS_pidfd_getfd, pidfd, tfd, 0);
	if (fd < 0) {
		snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)pid, tfd);
		fd = open(path, oflags | O_CLOEXEC);
	}
	return fd;
}

int ph_proc_cmdline(pid_t pid, char ***argv, size_t *argc, char **blob)
{
	char *text, **v;
	size_t len, n = 0, k = 0;
	int err = ph_proc_read_file(pid, "cmdline", &text, &len);

	if (err)
		return err;
	for (size_t i = 0; i < len; i++)
		n += text[i] == '\0';
	if (len && text[len - 1] != '\0')
		n++;
	v = calloc(n + 1, sizeof(*v));
	if (!v) {
		free(text);
		return ph_error(PH_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < len && k < n; k++) {
		v[k] = text + i;
		i += strlen(text + i) + 1;
	}
	*argv = v;
	*argc = k;
	*blob = text;
	return 0;
}

/* Re-open an O_PATH fd for reading if it names a regular file. Closes pfd. */
static int reopen_regular(int pfd, const char *path, struct stat *st)
{
	char self[64];
	struct stat sb;
	int fd;

	if (fstat(pfd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		close(pfd);
		return ph_error(PH_EIO, "%s is not a regular file", path);
	}
	snprintf(self, sizeof(self), "/proc/self/fd/%d", pfd);
	fd = open(self, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	close(pfd);
	if (fd < 0)
		return ph_error_errno(errno == EACCES || errno == EPERM ? PH_EPERM : PH_EIO, errno,
				      "cannot open %s", path);
	if (st)
		*st = sb;
	return fd;
}

int ph_proc_open_in_root(pid_t pid, const char *path, struct stat *st)
{
	char root_path[64];
	struct open_how how;
	int fd, root;

	snprintf(root_path, sizeof(root_path), "/proc/%d/root", (int)pid);
	root = open(root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return open_errno(pid, "root", errno);
	memset(&how, 0, sizeof(how));
	how.flags = O_PATH | O_CLOEXEC;
	how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
	fd = (int)syscall(SYS_openat2, root, path, &how, sizeof(how));
	if (fd < 0 && errno == ENOSYS)
		fd = openat(root, path[0] == '/' ? path + 1 : path, O_PATH | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		int e = errno;

		close(root);
		return ph_error_errno(e == EACCES || e == EPERM ? PH_EPERM : PH_EIO, e,
				      "cannot open %s in the root of process %d", path, (int)pid);
	}
	close(root);
	return reopen_regular(fd, path, st);
}

int ph_open_if_same(const char *path, uint64_t dev_major, uint64_t dev_minor, uint64_t ino)
{
	struct stat sb;
	int fd = open(path, O_PATH | O_CLOEXEC);

	if (fd < 0)
		return ph_error_errno(PH_EIO, errno, "cannot open %s", path);
	if (fstat(fd, &sb) < 0 || (uint64_t)sb.st_ino != ino || major(sb.st_dev) != dev_major ||
	    minor(sb.st_dev) != dev_minor) {
		close(fd);
		return ph_error(PH_EIO, "%s is not the file the process has mapped", path);
	}
	return reopen_regular(fd, path, NULL);
}

pid_t ph_proc_host_tid(pid_t pid, pid_t nstid)
{
	struct ph_proc_status st;
	pid_t *tids, found = 0;
	size_t n;

	if (nstid <= 0)
		return 0;
	/* the same pid namespace (the usual case): the number is the same */
	if (ph_proc_status(pid, nstid, &st) == 0 && st.tgid == pid && st.nspid_inner == nstid)
		return nstid;
	if (ph_proc_tasks(pid, &tids, &n) != 0) {
		ph_error_clear();
		return 0;
	}
	for (size_t i = 0; i < n && !found; i++)
		if (ph_proc_status(pid, tids[i], &st) == 0 && st.nspid_inner == nstid)
			found = tids[i];
	free(tids);
	ph_error_clear();
	return found;
}

/* Whether this process's effective capabilities include CAP_SYS_PTRACE (19). */
static bool have_sys_ptrace(void)
{
	char *text = NULL, *p;
	size_t len;
	bool yes = false;

	if (ph_proc_read_file(getpid(), "status", &text, &len) == 0 && (p = strstr(text, "\nCapEff:")))
		yes = (strtoull(p + 9, NULL, 16) >> 19) & 1;
	free(text);
	return yes;
}

const char *ph_proc_eperm_advice(void)
{
	if (geteuid() != 0)
		return "run pyheap as root, or give it CAP_SYS_PTRACE (in a container: "
		       "--cap-add=SYS_PTRACE), or as the process's own user allow tracing with "
		       "'sysctl kernel.yama.ptrace_scope=0'";
	if (!have_sys_ptrace())
		return "pyheap runs as root but without CAP_SYS_PTRACE, which tracing a process of "
		       "another user needs (containers drop it): give it that capability (docker run "
		       "--cap-add=SYS_PTRACE; Kubernetes: securityContext.capabilities.add: "
		       "[SYS_PTRACE])";
	return "pyheap runs as root with CAP_SYS_PTRACE, yet the kernel refused: the process is in a "
	       "user namespace that is not pyheap's or below it (run pyheap in the process's "
	       "namespaces, or in the one that created them), or a security module (AppArmor, "
	       "SELinux, Yama's ptrace_scope 3) forbids it";
}
