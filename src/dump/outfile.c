/* SPDX-License-Identifier: MIT */
/*
 * outfile.c - atomic creation of the dump file (see outfile.h).
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

/* Check the final name in dirfd: absent, or a regular file (replaced), and not too long. */
static int check_name(struct ph_outfile *f)
{
	struct stat sb;
	long max = fpathconf(f->dirfd, _PC_NAME_MAX);

	if (max <= 0)
		max = 255;
	if (strlen(f->name) > (size_t)max)
		return ph_error(PH_EINVAL, "'%s' is too long for a file name in %s (at most %ld bytes)",
				f->name, f->dir, max);
	if (fstatat(f->dirfd, f->name, &sb, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0;
		return ph_error_errno(PH_EIO, errno, "cannot use %s/%s", f->dir, f->name);
	}
	if (S_ISREG(sb.st_mode) || S_ISLNK(sb.st_mode))
		return 0; /* replaced (a symlink itself, never followed) */
	return ph_error(PH_EINVAL,
			"%s/%s exists and is not a regular file (a device, a FIFO or a socket): "
			"pyheap writes a new file and renames it into place, which would replace it; "
			"give another name",
			f->dir, f->name);
}

int ph_outfile_create(struct ph_outfile *f, const char *path, const char *default_name)
{
	const char *slash = strrchr(path, '/');
	struct stat sb;
	int err;

	memset(f, 0, sizeof(*f));
	f->fd = f->dirfd = -1;
	if (!*path)
		return ph_error(PH_EINVAL, "'' is not a file name");
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
	err = check_name(f);
	if (err)
		goto fail;
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
		err = ph_error_errno(PH_EIO, errno, "cannot set the mode of the dump file");
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
	if (fsync(f->fd) < 0)
		return ph_error_errno(PH_EIO, errno, "cannot write %s/%s", f->dir, f->name);
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
