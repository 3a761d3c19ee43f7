/* SPDX-License-Identifier: MIT */
/*
 * outfile.c - the output file: created atomically, or written into an
 * existing FIFO, device or standard output (see outfile.h).
 */
#include "dump/outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"

static int unique_name(const char *final, char **out)
{
	uint64_t r = 0;
	char buf[512];

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r))
		r = (uint64_t)getpid() * 2654435761u ^ (uint64_t)(uintptr_t)&r;
	snprintf(buf, sizeof(buf), ".%.200s.%016llx.tmp", final, (unsigned long long)r);
	*out = strdup(buf);
	return *out ? 0 : ph_error(PH_ENOMEM, "out of memory");
}

static const char *kind_name(mode_t m)
{
	return S_ISFIFO(m) ? "a FIFO" : S_ISCHR(m) ? "a character device" :
	       S_ISBLK(m) ? "a block device" : S_ISSOCK(m) ? "a socket" :
	       S_ISDIR(m) ? "a directory" : "not a regular file";
}

/* Standard output as the stream: a copy of fd 1, unless it is a terminal. */
static int open_stdout(struct ph_outfile *f)
{
	if (isatty(STDOUT_FILENO))
		return ph_error(PH_EINVAL, "standard output is a terminal: redirect it to a file or a "
				"pipe, or give a file name");
	f->fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
	if (f->fd < 0)
		return ph_error_errno(PH_EIO, errno, "cannot use standard output");
	f->path = strdup("standard output");
	if (!f->path)
		return ph_error(PH_ENOMEM, "out of memory");
	f->stream = f->to_stdout = true;
	f->active = true;
	return 0;
}

/* Does path lead (following symlinks) to the file open on standard output? */
static bool is_stdout(const char *path)
{
	struct stat a, b;

	return fstat(STDOUT_FILENO, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

/*
 * Write into the existing FIFO or character device sb describes, at the
 * final name: opened without creating or truncating anything, and checked
 * to be the node that was looked at.
 */
static int open_node(struct ph_outfile *f, const struct stat *sb)
{
	struct stat now;
	int flags;

	if (sb->st_uid != 0 && sb->st_uid != geteuid())
		return ph_error(PH_EINVAL,
				"%s is %s that belongs to user %u: pyheap writes into a FIFO or a "
				"device only when it is root's or yours; give another name",
				f->path, kind_name(sb->st_mode), (unsigned)sb->st_uid);
	f->fd = openat(f->dirfd, f->name, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (f->fd < 0 && errno == ENXIO && S_ISFIFO(sb->st_mode))
		return ph_error(PH_EINVAL,
				"%s is a FIFO that nothing reads: start its reader first", f->path);
	if (f->fd < 0)
		return ph_error_errno(PH_EIO, errno, "cannot open %s", f->path);
	if (fstat(f->fd, &now) < 0 || now.st_dev != sb->st_dev || now.st_ino != sb->st_ino)
		return ph_error(PH_EIO, "%s changed while it was opened", f->path);
	if (isatty(f->fd))
		return ph_error(PH_EINVAL, "%s is a terminal: give a file name", f->path);
	flags = fcntl(f->fd, F_GETFL);
	if (flags < 0 || fcntl(f->fd, F_SETFL, flags & ~O_NONBLOCK) < 0)
		return ph_error_errno(PH_EIO, errno, "cannot use %s", f->path);
	f->stream = true;
	f->active = true;
	return 0;
}

/*
 * Check the final name in dirfd: absent, a regular file or a symlink that
 * does not lead to a special file (replaced, never followed: 0), an existing
 * FIFO or character device (written into: *node set), anything else refused.
 * Also that the name is not too long.
 */
static int check_name(struct ph_outfile *f, struct stat *sb, bool *node)
{
	long max = fpathconf(f->dirfd, _PC_NAME_MAX);

	*node = false;
	if (max <= 0)
		max = 255;
	if (strlen(f->name) > (size_t)max)
		return ph_error(PH_EINVAL, "'%s' is too long for a file name in %s (at most %ld bytes)",
				f->name, f->dir, max);
	if (fstatat(f->dirfd, f->name, sb, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0;
		return ph_error_errno(PH_EIO, errno, "cannot use %s", f->path);
	}
	if (S_ISREG(sb->st_mode))
		return 0;
	if (S_ISFIFO(sb->st_mode) || S_ISCHR(sb->st_mode)) {
		*node = true;
		return 0;
	}
	if (S_ISLNK(sb->st_mode)) {
		struct stat to;
		char target[256] = "";

		if (readlinkat(f->dirfd, f->name, target, sizeof(target) - 1) > 0 &&
		    strncmp(target, "/proc/", 6) == 0)
			return ph_error(PH_EINVAL,
					"%s is a symlink into /proc (%s): a system's link (/dev/stderr, "
					"/dev/core) is never replaced; give the file it leads to, or another "
					"name",
					f->path, target);
		if (fstatat(f->dirfd, f->name, &to, 0) < 0 || S_ISREG(to.st_mode))
			return 0; /* the symlink itself is replaced, never followed */
		return ph_error(PH_EINVAL,
				"%s is a symlink to %s: pyheap writes a new file and renames it into "
				"place, which would replace the link; give the file it leads to, or "
				"another name",
				f->path, kind_name(to.st_mode));
	}
	return ph_error(PH_EINVAL,
			"%s exists and is %s, not a regular file: pyheap writes only into a FIFO "
			"or a character device, and would replace it; give another name",
			f->path, kind_name(sb->st_mode));
}

int ph_outfile_create(struct ph_outfile *f, const char *path, const char *default_name)
{
	const char *slash = strrchr(path, '/');
	struct stat sb;
	bool node;
	int err;

	memset(f, 0, sizeof(*f));
	f->fd = f->dirfd = -1;
	if (!*path)
		return ph_error(PH_EINVAL, "'' is not a file name");
	if (strcmp(path, "-") == 0 || is_stdout(path)) {
		err = open_stdout(f);
		if (err)
			goto fail;
		return 0;
	}
	if ((slash && !slash[1]) || (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))) {
		/* a directory: the default name in it */
		f->dir = strdup(path);
		f->name = strdup(default_name);
	} else {
		f->dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
		f->name = strdup(slash ? slash + 1 : path);
	}
	if (!f->dir || !f->name) {
		err = ph_error(PH_ENOMEM, "out of memory");
		goto fail;
	}
	{
		size_t dl = strlen(f->dir);
		int k;

		while (dl > 1 && f->dir[dl - 1] == '/')
			f->dir[--dl] = '\0';
		if (!slash && strcmp(f->dir, ".") == 0)
			k = asprintf(&f->path, "%s", f->name); /* as the user wrote it */
		else
			k = asprintf(&f->path, "%s%s%s", f->dir, strcmp(f->dir, "/") == 0 ? "" : "/",
				     f->name);
		if (k < 0) {
			f->path = NULL;
			err = ph_error(PH_ENOMEM, "out of memory");
			goto fail;
		}
	}
	f->dirfd = open(f->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (f->dirfd < 0) {
		err = ph_error_errno(PH_EIO, errno, "cannot open directory %s", f->dir);
		goto fail;
	}
	err = check_name(f, &sb, &node);
	if (err)
		goto fail;
	if (node) {
		err = open_node(f, &sb);
		if (err)
			goto fail;
		return 0;
	}
	f->fd = openat(f->dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
	if (f->fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
		err = unique_name(f->name, &f->tmp_name);
		if (err)
			goto fail;
		f->fd = openat(f->dirfd, f->tmp_name,
			       O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	}
	if (f->fd < 0) {
		err = ph_error_errno(PH_EIO, errno, "cannot create a file in %s", f->dir);
		goto fail;
	}
	if (fchmod(f->fd, 0600) < 0) {
		err = ph_error_errno(PH_EIO, errno, "cannot set the mode of %s", f->path);
		goto fail;
	}
	f->active = true;
	return 0;
fail:
	ph_outfile_abort(f);
	return err;
}

int ph_outfile_commit(struct ph_outfile *f)
{
	int err = 0;

	if (!f->active)
		return ph_error(PH_EINVAL, "no file to commit");
	if (f->stream) {
		/* a pipe, a FIFO or a device: nothing to sync (EINVAL), nothing to rename */
		if (fsync(f->fd) < 0 && errno != EINVAL && errno != EROFS)
			return ph_error_errno(PH_EIO, errno, "cannot write %s", f->path);
		if (close(f->fd) < 0 && errno != EINTR) {
			f->fd = -1;
			return ph_error_errno(PH_EIO, errno, "cannot write %s", f->path);
		}
		f->fd = -1;
		ph_outfile_abort(f); /* only frees */
		return 0;
	}
	if (fsync(f->fd) < 0)
		return ph_error_errno(PH_EIO, errno, "cannot write %s", f->path);
	if (!f->tmp_name) {
		char proc[64];

		err = unique_name(f->name, &f->tmp_name);
		if (err)
			return err;
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", f->fd);
		if (linkat(AT_FDCWD, proc, f->dirfd, f->tmp_name, AT_SYMLINK_FOLLOW) < 0) {
			err = ph_error_errno(PH_EIO, errno, "cannot name the dump file in %s", f->dir);
			free(f->tmp_name);
			f->tmp_name = NULL;
			return err;
		}
	}
	if (renameat(f->dirfd, f->tmp_name, f->dirfd, f->name) < 0)
		return ph_error_errno(PH_EIO, errno, "cannot rename the dump file to %s/%s", f->dir,
				      f->name);
	free(f->tmp_name);
	f->tmp_name = NULL;
	{
		int d = openat(f->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (d >= 0) {
			fsync(d);
			close(d);
		}
	}
	ph_outfile_abort(f); /* nothing left to remove: only closes */
	return 0;
}

void ph_outfile_abort(struct ph_outfile *f)
{
	if (f->tmp_name && f->dirfd >= 0)
		unlinkat(f->dirfd, f->tmp_name, 0);
	if (f->fd >= 0)
		close(f->fd);
	if (f->dirfd >= 0)
		close(f->dirfd);
	free(f->dir);
	free(f->name);
	free(f->tmp_name);
	free(f->path);
	memset(f, 0, sizeof(*f));
	f->fd = f->dirfd = -1;
}
