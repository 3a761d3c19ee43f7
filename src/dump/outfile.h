/* SPDX-License-Identifier: MIT */
/*
 * outfile.h - the dump file at rest, written so that the final name only
 * ever names a complete file.
 *
 * create() checks the destination first, so that a dump is never taken only
 * to fail at the end: a path naming a directory (or ending in '/') means
 * default_name inside it; a name longer than the directory allows, or an
 * existing file that is not a regular file (a device, a FIFO, a socket:
 * renaming over it would replace it), is refused. It then makes an unnamed
 * file (O_TMPFILE) in the destination directory,
 * or, where the filesystem lacks O_TMPFILE, a new file with a unique hidden
 * name (O_EXCL, never following a symlink); mode 0600, owned by the calling
 * user. commit() fsyncs it, gives it a temporary unique name (linkat) if it
 * had none, renames that over the final name (atomic) and fsyncs the
 * directory. abort() removes whatever was created. After either, the
 * struct holds nothing.
 *
 * Ownership: the struct owns its fds and strings; path is copied.
 */
#ifndef PH_OUTFILE_H
#define PH_OUTFILE_H

#include <stdbool.h>

struct ph_outfile {
	int fd;         /* write the dump here */
	int dirfd;
	char *dir;      /* for messages */
	char *name;     /* final name within dir */
	char *tmp_name; /* the visible temporary name, NULL while unnamed */
	char *path;     /* dir/name, for messages */
	bool active;
};

int ph_outfile_create(struct ph_outfile *f, const char *path, const char *default_name);
int ph_outfile_commit(struct ph_outfile *f);
void ph_outfile_abort(struct ph_outfile *f);

#endif
