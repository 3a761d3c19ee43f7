/* SPDX-License-Identifier: MIT */
/*
 * outfile.h - the output file of a command that writes one (`pyheap dump`,
 * and any other: nothing here is specific to dumps), written so that the
 * final name only ever names a complete file, and so that nothing already
 * at that name other than a regular file is ever replaced.
 *
 * create() checks the destination first, so that work is never done only to
 * fail at the end. What the path names decides how it is written:
 * - "-", or a path that leads to the file open on our standard output
 *   (/dev/stdout, /dev/fd/1, /proc/self/fd/1, or the file the shell
 *   redirected it to): written into standard output as a stream; refused
 *   when standard output is a terminal.
 * - an existing FIFO or character device (/dev/null) owned by root or by the
 *   caller: opened without O_CREAT or O_TRUNC and written into as a stream;
 *   its mode and owner are left alone. A FIFO needs its reader already
 *   there (opened with O_NONBLOCK: no wait). Refused when the node belongs to
 *   another user (it could read what we write), or is a terminal.
 * - a block device, a socket, a symlink into /proc (/dev/stderr, /dev/core)
 *   or one leading to anything but a regular file or nothing (/dev/rtc):
 *   refused, never replaced.
 * - a directory (or a path ending in '/'): default_name inside it.
 * - anything else (absent, a regular file, a symlink to one or a dangling
 *   one, never followed): an unnamed file (O_TMPFILE) in the destination
 *   directory, or where the filesystem lacks O_TMPFILE, a new file with a
 *   unique hidden name (O_EXCL, never following a symlink); mode 0600, owned
 *   by the calling user. A name longer than the directory allows is refused.
 * commit() fsyncs the file; a renamed one is given a temporary unique name
 * (linkat) if it had none, renamed over the final name (atomic) and the
 * directory fsynced. abort() removes whatever was created; a stream cannot be
 * taken back, its reader sees a file without its trailer (which every reader
 * of the format rejects as truncated). After either, the struct holds nothing.
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
	char *path;     /* dir/name, or "standard output", for messages */
	bool stream;    /* written into an existing FIFO, device or stdout: no rename */
	bool to_stdout; /* fd is a copy of standard output: say nothing there */
	bool active;
};

int ph_outfile_create(struct ph_outfile *f, const char *path, const char *default_name);
int ph_outfile_commit(struct ph_outfile *f);
void ph_outfile_abort(struct ph_outfile *f);

#endif
