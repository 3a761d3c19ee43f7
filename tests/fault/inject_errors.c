/* SPDX-License-Identifier: MIT */
/*
 * inject_errors.c - an LD_PRELOAD shim that makes system resources fail on
 * demand, for the fault-injection tests (in the spirit of jq's
 * src/inject_errors.c). Controlled by the environment:
 *
 *   PH_FAIL_MALLOC_AFTER=N   the (N+1)-th and later malloc/calloc/realloc
 *                            calls return NULL with ENOMEM
 *   PH_FAIL_WRITE_AFTER=N    once N bytes were written with write(2) to
 *                            regular files, further writes fail with ENOSPC
 *   PH_FAIL_OPEN=SUBSTRING   open/openat of a path containing SUBSTRING
 *                            fails with EACCES
 *
 * Allocation counting starts at the program's main() (constructors of
 * libraries are not counted) - see the constructor below.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);

static long malloc_budget = -1; /* -1: unlimited */
static long long write_budget = -1;
static const char *fail_open;
static int ready;

__attribute__((constructor)) static void init(void)
{
	const char *m = getenv("PH_FAIL_MALLOC_AFTER");
	const char *w = getenv("PH_FAIL_WRITE_AFTER");

	if (m)
		malloc_budget = atol(m);
	if (w)
		write_budget = atoll(w);
	fail_open = getenv("PH_FAIL_OPEN");
	ready = 1;
}

static int take_malloc(void)
{
	if (!ready || malloc_budget < 0)
		return 1;
	if (malloc_budget == 0) {
		errno = ENOMEM;
		return 0;
	}
	malloc_budget--;
	return 1;
}

void *malloc(size_t n)
{
	return take_malloc() ? __libc_malloc(n) : NULL;
}

void *calloc(size_t n, size_t m)
{
	return take_malloc() ? __libc_calloc(n, m) : NULL;
}

void *realloc(void *p, size_t n)
{
	return take_malloc() ? __libc_realloc(p, n) : NULL;
}

ssize_t write(int fd, const void *buf, size_t n)
{
	static ssize_t (*real)(int, const void *, size_t);
	struct stat st;

	if (!real)
		real = (ssize_t(*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
	if (write_budget >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		if (write_budget == 0) {
			errno = ENOSPC;
			return -1;
		}
		if ((long long)n > write_budget)
			n = (size_t)write_budget;
		write_budget -= (long long)n;
	}
	return real(fd, buf, n);
}

static int open_blocked(const char *path)
{
	return fail_open && path && strstr(path, fail_open);
}

int open(const char *path, int flags, ...)
{
	static int (*real)(const char *, int, ...);
	mode_t mode = 0;
	va_list ap;

	if (!real)
		real = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	if (open_blocked(path)) {
		errno = EACCES;
		return -1;
	}
	return real(path, flags, mode);
}

int openat(int dirfd, const char *path, int flags, ...)
{
	static int (*real)(int, const char *, int, ...);
	mode_t mode = 0;
	va_list ap;

	if (!real)
		real = (int (*)(int, const char *, int, ...))dlsym(RTLD_NEXT, "openat");
	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	if (open_blocked(path)) {
		errno = EACCES;
		return -1;
	}
	return real(dirfd, path, flags, mode);
}
