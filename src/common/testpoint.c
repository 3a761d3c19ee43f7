/* SPDX-License-Identifier: MIT */
/*
 * testpoint.c - test hooks at named phases of a dump (see testpoint.h).
 */
#include "common/testpoint.h"

#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static bool loaded;
static char at_phase[64];
static long at_count = 1;
static char at_action[32];
static const char *trace_path;
static long reached;

static void load(void)
{
	const char *s = getenv("PYHEAP_TEST_AT");

	loaded = true;
	trace_path = getenv("PYHEAP_TEST_TRACE");
	if (s && *s) {
		const char *colon = strrchr(s, ':'), *hash = strchr(s, '#');
		size_t n;

		if (!colon)
			return;
		n = (size_t)((hash && hash < colon ? hash : colon) - s);
		if (n >= sizeof(at_phase))
			return;
		memcpy(at_phase, s, n);
		at_phase[n] = '\0';
		if (hash && hash < colon)
			at_count = strtol(hash + 1, NULL, 10);
		snprintf(at_action, sizeof(at_action), "%s", colon + 1);
	}
}

void ph_test_point(const char *phase)
{
	if (!loaded)
		load();
	if (trace_path) {
		int fd = open(trace_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);

		if (fd >= 0) {
			struct timespec ts;

			clock_gettime(CLOCK_MONOTONIC, &ts);
			dprintf(fd, "%s %lld.%09ld\n", phase, (long long)ts.tv_sec, ts.tv_nsec);
			close(fd);
		}
	}
	if (!at_phase[0] || strcmp(phase, at_phase) != 0 || ++reached != at_count)
		return;
	if (strcmp(at_action, "kill") == 0)
		raise(SIGKILL);
	else if (strcmp(at_action, "parent-KILL") == 0)
		kill(getppid(), SIGKILL);
	else if (strcmp(at_action, "parent-INT") == 0)
		kill(getppid(), SIGINT);
	else if (strcmp(at_action, "parent-TERM") == 0)
		kill(getppid(), SIGTERM);
}

bool ph_test_force(const char *what)
{
	const char *s = getenv("PYHEAP_TEST_FORCE");

	return s && strcmp(s, what) == 0;
}
