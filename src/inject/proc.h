/* SPDX-License-Identifier: MIT */
/*
 * proc.h - what /proc says about a process: its status (name, state,
 * tracer, user), its threads, command line and executable; copies of its
 * fds.
 *
 * The parsers (ph_proc_parse_status) work on text in memory so that they can
 * be unit-tested; the readers open /proc/PID/... and translate errno at that
 * boundary: ENOENT/ESRCH -> PH_ENOPROC, EACCES/EPERM -> PH_EPERM.
 *
 * Ownership: results are written into caller-provided structs; arrays and
 * buffers returned through pointers (tids, cmdline) are malloc'ed and freed
 * by the caller with free().
 */
#ifndef PH_PROC_H
#define PH_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

struct ph_proc_status {
	char name[64];    /* Name: (the comm, at most 15 bytes in practice) */
	char state;       /* first letter of State: R S D T t Z X I */
	pid_t tgid;
	pid_t tracer_pid; /* TracerPid: 0 if not traced */
	uid_t uid_real, uid_eff;
	int threads;      /* Threads: */
	pid_t nspid_inner; /* last NSpid field: the pid inside the innermost pid namespace */
	uint64_t sig_pending; /* SigPnd: signals pending for this thread (bit n-1 = signal n) */
	uint64_t sig_blocked; /* SigBlk: the thread's signal mask */
	uint64_t sig_ignored; /* SigIgn: signals whose disposition is SIG_IGN */
	uint64_t sig_caught;  /* SigCgt: signals with a handler */
};

/* Parse the text of /proc/PID/status (len bytes, need not be NUL-terminated). */
int ph_proc_parse_status(const char *text, size_t len, struct ph_proc_status *st);

/* Read and parse /proc/pid/status (or /proc/pid/task/tid/status when tid > 0). */
int ph_proc_status(pid_t pid, pid_t tid, struct ph_proc_status *st);

/*
 * The thread of process pid that calls itself nstid in its own pid namespace
 * (gettid() inside a container), as this host numbers it; 0 if it has none
 * (exited). Matched through each thread's NSpid.
 */
pid_t ph_proc_host_tid(pid_t pid, pid_t nstid);

/* The thread ids of pid, in /proc order: *tids (caller frees), *n. */
int ph_proc_tasks(pid_t pid, pid_t **tids, size_t *n);

/* Read a whole /proc/pid/<name> file: *data (caller frees, NUL-terminated), *len. */
int ph_proc_read_file(pid_t pid, const char *name, char **data, size_t *len);

/* readlink /proc/pid/exe into buf (cap bytes, NUL-terminated). */
int ph_proc_exe(pid_t pid, char *buf, size_t cap);

/*
 * When pid started: *ticks, clock ticks after boot (field 22 of
 * /proc/pid/stat), and the kernel's boot id (37 bytes with the NUL; "" when
 * it cannot be read). With the pid they name one process for good: two
 * dumps with equal triples are of the same process.
 */
int ph_proc_start(pid_t pid, uint64_t *ticks, char boot_id[37]);

/*
 * Our own copy of the process's fd tfd: pidfd_getfd(2) when pidfd (the
 * process's pidfd, or -1) allows, else open("/proc/pid/fd/tfd", oflags |
 * O_CLOEXEC). Returns the new fd, or -1 with errno set, like open(2): the
 * caller says what the fd was for.
 */
int ph_proc_take_fd(pid_t pid, int pidfd, int tfd, int oflags);

/*
 * Open a regular file as the process sees it: path resolved under
 * /proc/pid/root with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS), so
 * that a symlink in a directory the process controls cannot lead outside
 * its root (on kernels without openat2, the last component is opened with
 * O_NOFOLLOW). It is first opened O_PATH and must be a regular file (a FIFO
 * or device planted there is never opened for real); *st (may be NULL)
 * receives its stat. Returns an O_RDONLY fd or an error.
 */
int ph_proc_open_in_root(pid_t pid, const char *path, struct stat *st);

/*
 * Open path (in our own root) O_PATH, accept it only when it is a regular
 * file with device dev and inode ino, then open it O_RDONLY. fd or error.
 */
int ph_open_if_same(const char *path, uint64_t dev_major, uint64_t dev_minor, uint64_t ino);

/* Split /proc/pid/cmdline into argv: *argv (caller frees the array and *blob), *argc. */
int ph_proc_cmdline(pid_t pid, char ***argv, size_t *argc, char **blob);

/* true if the process exists (kill(pid, 0) does not say ESRCH) and is not a zombie. */
bool ph_proc_alive(pid_t pid);

/*
 * What to do when the kernel refused pyheap another process (EPERM), for
 * an error message: as an unprivileged user, run as root or get
 * CAP_SYS_PTRACE; as root without CAP_SYS_PTRACE (a container drops it),
 * add the capability; as root with it, the process is in a user namespace
 * that is not below pyheap's, or a security module forbids it. Static text.
 */
const char *ph_proc_eperm_advice(void);

#endif
