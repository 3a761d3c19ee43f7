/* SPDX-License-Identifier: MIT */
/*
 * error.c - the table of error codes and the thread-local detail message.
 */
#include "common/error.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char detail[PH_ERROR_DETAIL_MAX];
static _Thread_local int last_code;

static const struct {
	int code;
	const char *msg;
	int exit_status;
} table[] = {
	{PH_OK, "success", 0},
	{PH_ENOMEM, "out of memory", 1},
	{PH_EIO, "input/output error", 1},
	{PH_ECORRUPT, "dump file is corrupt", 3},
	{PH_ETRUNCATED, "dump file is truncated", 3},
	{PH_EVERSION, "dump file needs a newer pyheap", 3},
	{PH_ENOTDUMP, "not a pyheap dump file", 3},
	{PH_ELIMIT, "limit exceeded", 3},
	{PH_EUSAGE, "usage error", 2},
	{PH_ENOTFOUND, "not found", 1},
	{PH_EINVAL, "invalid argument", 2},
	{PH_ENOPROC, "no such process", 4},
	{PH_ENOTPYTHON, "not a CPython process", 4},
	{PH_EPYVERSION, "unsupported Python version", 4},
	{PH_EPERM, "permission denied", 4},
	{PH_EBUSY, "process is traced or stopped", 4},
	{PH_EFINALIZING, "interpreter is finalizing", 4},
	{PH_EEXITED, "process exited", 4},
	{PH_ETIMEOUT, "timed out", 5},
	{PH_EINTR, "interrupted", 130},
	{PH_EAGENT, "agent failed in the target", 1},
	{PH_ENOSPC, "no space left on device", 1},
	{PH_EUNSUPPORTED, "not supported", 1},
};

static int find(int code)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].code == code)
			return (int)i;
	return -1;
}

const char *ph_strerror(int code)
{
	int i = find(code);

	return i < 0 ? "unknown error" : table[i].msg;
}

int ph_exit_status(int code)
{
	int i = find(code);

	return i < 0 ? 1 : table[i].exit_status;
}

int ph_verror(int code, const char *fmt, va_list ap)
{
	vsnprintf(detail, sizeof(detail), fmt, ap);
	last_code = code;
	return code;
}

int ph_error(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ph_verror(code, fmt, ap);
	va_end(ap);
	return code;
}

int ph_error_errno(int code, int errnum, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	if (errnum == ENOSPC || errnum == EDQUOT)
		code = PH_ENOSPC;
	else if (errnum == ENOMEM)
		code = PH_ENOMEM;
	va_start(ap, fmt);
	ph_verror(code, fmt, ap);
	va_end(ap);
	n = strlen(detail);
	if (n < sizeof(detail) - 3)
		snprintf(detail + n, sizeof(detail) - n, ": %s", strerror(errnum));
	return code;
}

void ph_error_context(const char *fmt, ...)
{
	char old[PH_ERROR_DETAIL_MAX];
	va_list ap;
	size_t n;

	memcpy(old, detail, sizeof(old));
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	n = strlen(detail);
	if (old[0] && n < sizeof(detail) - 3)
		snprintf(detail + n, sizeof(detail) - n, ": %s", old);
}

const char *ph_error_detail(void)
{
	return detail;
}

int ph_error_code(void)
{
	return last_code;
}

void ph_error_clear(void)
{
	detail[0] = '\0';
	last_code = PH_OK;
}

void ph_error_save(struct ph_error_saved *s)
{
	s->code = last_code;
	memcpy(s->detail, detail, sizeof(s->detail));
}

void ph_error_restore(const struct ph_error_saved *s)
{
	memcpy(detail, s->detail, sizeof(detail));
	last_code = s->code;
}
