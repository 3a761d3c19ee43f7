/* SPDX-License-Identifier: MIT */
/*
 * The memory available to the process (common/memavail.h), from fake
 * /proc and /sys/fs/cgroup trees: MemAvailable, cgroup v2 memory.max minus
 * memory.current of the process's cgroup and its ancestors, cgroup v1, and
 * the process's real resource limits.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/memavail.h"

static char root[64];

/* Write text to root/rel, making the directories on the way. */
static void put(const char *rel, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (char *p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
		*p = 0;
		mkdir(path, 0755);
		*p = '/';
	}
	f = fopen(path, "w");
	cr_assert(f, "%s", path);
	fputs(text, f);
	fclose(f);
}

static void make_root(void)
{
	snprintf(root, sizeof(root), "/tmp/pyheap-memavail-XXXXXX");
	cr_assert(mkdtemp(root));
	put("proc/meminfo", "MemTotal:       32000000 kB\nMemFree:         1000 kB\n"
			    "MemAvailable:   20000000 kB\nBuffers: 1 kB\n");
}

static void remove_root(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	cr_assert_eq(system(cmd), 0);
}

Test(common_memavail, meminfo_alone)
{
	char what[64];

	make_root();
	put("proc/self/cgroup", "0::/\n");
	cr_assert_eq(ph_mem_available_at(root, what, sizeof(what)), 20000000ULL * 1024);
	cr_assert_str_eq(what, "MemAvailable");
	remove_root();
}

Test(common_memavail, cgroup_v2_and_its_ancestors)
{
	char what[64];

	make_root();
	put("proc/self/cgroup", "0::/app/worker\n");
	put("sys/fs/cgroup/app/worker/memory.max", "1000000000\n");
	put("sys/fs/cgroup/app/worker/memory.current", "300000000\n");
	/* the parent leaves less: 50 MB */
	put("sys/fs/cgroup/app/memory.max", "500000000\n");
	put("sys/fs/cgroup/app/memory.current", "450000000\n");
	put("sys/fs/cgroup/memory.max", "max\n"); /* no limit */
	put("sys/fs/cgroup/memory.current", "9000000000\n");
	cr_assert_eq(ph_mem_available_at(root, what, sizeof(what)), 50000000);
	cr_assert_str_eq(what, "cgroup memory.max");
	/* over its limit: nothing left */
	put("sys/fs/cgroup/app/worker/memory.current", "1200000000\n");
	cr_assert_eq(ph_mem_available_at(root, what, sizeof(what)), 0);
	remove_root();
}

Test(common_memavail, cgroup_v1)
{
	char what[64];

	make_root();
	put("proc/self/cgroup", "5:cpu:/x\n4:memory:/jobs/7\n0::/\n");
	put("sys/fs/cgroup/memory/jobs/7/memory.limit_in_bytes", "2147483648\n");
	put("sys/fs/cgroup/memory/jobs/7/memory.usage_in_bytes", "1073741824\n");
	put("sys/fs/cgroup/memory/memory.limit_in_bytes", "9223372036854771712\n");
	put("sys/fs/cgroup/memory/memory.usage_in_bytes", "5000000000\n");
	cr_assert_eq(ph_mem_available_at(root, what, sizeof(what)), 1073741824);
	cr_assert_str_eq(what, "cgroup memory.limit_in_bytes");
	remove_root();
}

/* RLIMIT_AS counts against what the process already maps (in a child: the limit stays there). */
Test(common_memavail, address_space_limit)
{
	pid_t pid;
	int status;

	make_root();
	put("proc/self/cgroup", "0::/\n");
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		struct rlimit rl = {1ULL << 30, 1ULL << 30};
		char what[64];
		uint64_t n;

		if (setrlimit(RLIMIT_AS, &rl))
			_exit(10);
		n = ph_mem_available_at(root, what, sizeof(what));
		/* less than the limit: what the process maps already (all of it under ASan) */
		_exit(strcmp(what, "RLIMIT_AS") ? 11 : n < (1ULL << 30) ? 0 : 12);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status));
	cr_assert_eq(WEXITSTATUS(status), 0, "child said %d", WEXITSTATUS(status));
	remove_root();
}
