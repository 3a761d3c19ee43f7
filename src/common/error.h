/* SPDX-License-Identifier: MIT */
/*
 * error.h - pyheap's error codes and the detail message that goes with them.
 *
 * Every action returns 0 or one of the negative codes below. The function
 * where an error starts records a human-readable detail with ph_error() (or
 * ph_error_errno() at a system-call boundary); callers may add context in
 * front of it with ph_error_context(). The detail lives in thread-local
 * storage and is owned by this module; ph_error_detail() returns a borrowed
 * pointer valid until the next ph_error*() call on the same thread.
 *
 * The table of codes, their one-line meanings and the process exit status
 * each maps to is in error.c and is the only place that maps them.
 */
#ifndef PH_ERROR_H
#define PH_ERROR_H

#include <stdarg.h>

/* The longest detail kept, including the NUL (longer ones are cut). */
#define PH_ERROR_DETAIL_MAX 1024

enum ph_err {
	PH_OK = 0,
	PH_ENOMEM = -1,        /* out of memory */
	PH_EIO = -2,           /* a system call failed (errno in the detail) */
	PH_ECORRUPT = -3,      /* the dump file is corrupt */
	PH_ETRUNCATED = -4,    /* the dump file ends too early */
	PH_EVERSION = -5,      /* the dump needs a newer pyheap */
	PH_ENOTDUMP = -6,      /* the file is not a pyheap dump */
	PH_ELIMIT = -7,        /* a length or count exceeds what pyheap accepts */
	PH_EUSAGE = -8,        /* bad command-line usage */
	PH_ENOTFOUND = -9,     /* no such object, file or thing */
	PH_EINVAL = -10,       /* invalid argument */
	PH_ENOPROC = -11,      /* no such process */
	PH_ENOTPYTHON = -12,   /* the process is not a CPython interpreter */
	PH_EPYVERSION = -13,   /* the interpreter version is not supported */
	PH_EPERM = -14,        /* not permitted to trace the process */
	PH_EBUSY = -15,        /* the process is already traced or stopped */
	PH_EFINALIZING = -16,  /* the interpreter is shutting down */
	PH_EEXITED = -17,      /* the process exited during the operation */
	PH_ETIMEOUT = -18,     /* a bounded wait ran out */
	PH_EINTR = -19,        /* interrupted by the user (Ctrl-C, SIGTERM) */
	PH_EAGENT = -20,       /* the agent failed inside the target */
	PH_ENOSPC = -21,       /* no space left on the device */
	PH_EUNSUPPORTED = -22, /* the operation is not supported here */
	PH_ERR_MIN = -22
};

/* The short fixed meaning of code. Never NULL. */
const char *ph_strerror(int code);

/* The exit status the command line uses for code (0 for PH_OK). */
int ph_exit_status(int code);

/*
 * Record code with a formatted detail and return code, so that the origin of
 * an error can be written "return ph_error(PH_ECORRUPT, "...", ...);".
 */
int ph_error(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int ph_verror(int code, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/*
 * Like ph_error() for a failed system call: appends strerror(errnum) and maps
 * errnum to a code (ENOSPC -> PH_ENOSPC, ENOMEM -> PH_ENOMEM, EPERM/EACCES
 * when code is PH_EPERM, anything else -> code).
 */
int ph_error_errno(int code, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Put "context: " in front of the current detail. Returns nothing. */
void ph_error_context(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The detail of the last error on this thread ("" if none). Borrowed. */
const char *ph_error_detail(void);

/* The code of the last error recorded on this thread (PH_OK if none). */
int ph_error_code(void);

void ph_error_clear(void);

/*
 * The current error (code and detail) put aside while cleanup code that may
 * record errors of its own runs:
 *
 *	struct ph_error_saved saved;
 *
 *	ph_error_save(&saved);
 *	release(...);
 *	ph_error_restore(&saved);
 */
struct ph_error_saved {
	int code;
	char detail[PH_ERROR_DETAIL_MAX];
};

void ph_error_save(struct ph_error_saved *s);
void ph_error_restore(const struct ph_error_saved *s);

#endif
