/* SPDX-License-Identifier: MIT */
/*
 * memavail.c - memory this process may still take (see memavail.h).
 */
#include "common/memavail.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* The first unsigned number in file path (after prefix when given, on its line); false if none. */
static bool read_number(const char *path, const char *prefix, uint64_t *out)
{
	char line[512];
	bool ok = false;
	FILE *f = fopen(path, "re");

	if (!f)
		return false;
	while (!ok && fgets(line, sizeof(line), f)) {
		const char *p = line;

		if (prefix) {
			if (strncmp(line, prefix, strlen(prefix)) != 0)
				continue;
			p += strlen(prefix);
		}
		ok = sscanf(p, " %" SCNu64, out) == 1;
		if (!prefix)
			break;
	}
	fclose(f);
	return ok;
}

static void take(uint64_t *best, char *what, size_t n, uint64_t v, const char *name)
{
	if (v < *best) {
		*best = v;
		if (what)
			snprintf(what, n, "%s", name);
	}
}

/*
 * What the memory limits of the cgroup at mount + path and of its parents
 * leave (a cgroup gets no more than any ancestor allows).
 */
static void cgroup_limits(uint64_t *best, char *what, size_t n, const char *root,
			  const char *mount, const char *path, bool v2)
{
	const char *max_name = v2 ? "memory.max" : "memory.limit_in_bytes";
	const char *cur_name = v2 ? "memory.current" : "memory.usage_in_bytes";
	char dir[4200];
	size_t top = strlen(root) + strlen(mount);

	snprintf(dir, sizeof(dir), "%s%s%s", root, mount, strcmp(path, "/") ? path : "");
	for (;;) {
		char p1[4300], p2[4300];
		uint64_t max, cur;
		char *slash;

		snprintf(p1, sizeof(p1), "%s/%s", dir, max_name);
		snprintf(p2, sizeof(p2), "%s/%s", dir, cur_name);
		/* "max" (v2) reads as no number: no limit */
		if (read_number(p1, NULL, &max) && read_number(p2, NULL, &cur))
			take(best, what, n, max > cur ? max - cur : 0,
			     v2 ? "cgroup memory.max" : "cgroup memory.limit_in_bytes");
		slash = strrchr(dir, '/');
		if (!slash || (size_t)(slash - dir) < top)
			break;
		*slash = 0;
	}
}

static void cgroups(uint64_t *best, char *what, size_t n, const char *root)
{
	char line[4096], p[4200];
	FILE *f;

	snprintf(p, sizeof(p), "%s/proc/self/cgroup", root);
	f = fopen(p, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *path, *ctrl = strchr(line, ':');

		line[strcspn(line, "\n")] = 0;
		if (!ctrl)
			continue;
		*ctrl++ = 0; /* "ID:CONTROLLERS:PATH": line is the id, ctrl the controllers */
		path = strchr(ctrl, ':');
		if (!path)
			continue;
		*path++ = 0;
		if (!strcmp(line, "0") && !*ctrl) { /* v2: "0::/path" */
			cgroup_limits(best, what, n, root, "/sys/fs/cgroup", path, true);
			cgroup_limits(best, what, n, root, "/sys/fs/cgroup/unified", path, true);
		} else if (strstr(ctrl, "memory")) { /* v1: "4:memory:/path" */
			cgroup_limits(best, what, n, root, "/sys/fs/cgroup/memory", path, false);
		}
	}
	fclose(f);
}

uint64_t ph_mem_available(char *what, size_t n)
{
	return ph_mem_available_at("", what, n);
}

uint64_t ph_mem_available_at(const char *root, char *what, size_t n)
{
	uint64_t best = UINT64_MAX, kb, pages_vm = 0, pages_data = 0;
	long page = sysconf(_SC_PAGESIZE);
	struct rlimit rl;
	char p[4200];
	FILE *f;

	if (what && n)
		what[0] = 0;
	snprintf(p, sizeof(p), "%s/proc/meminfo", root);
	if (read_number(p, "MemAvailable:", &kb))
		take(&best, what, n, kb * 1024, "MemAvailable");
	f = fopen("/proc/self/statm", "re");
	if (f) {
		uint64_t rss, shared, text, lib;

		if (fscanf(f, "%" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64,
			   &pages_vm, &rss, &shared, &text, &lib, &pages_data) != 6)
			pages_vm = pages_data = 0;
		fclose(f);
	}
	if (page <= 0)
		page = 4096;
	if (getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
		uint64_t used = pages_vm * (uint64_t)page;

		take(&best, what, n, rl.rlim_cur > used ? rl.rlim_cur - used : 0, "RLIMIT_AS");
	}
	if (getrlimit(RLIMIT_DATA, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
		uint64_t used = pages_data * (uint64_t)page;

		take(&best, what, n, rl.rlim_cur > used ? rl.rlim_cur - used : 0, "RLIMIT_DATA");
	}
	cgroups(&best, what, n, root);
	return best;
}
