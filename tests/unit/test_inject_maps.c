/* SPDX-License-Identifier: MIT */
/*
 * /proc/PID/maps and /proc/PID/status parsing, memory classification, and
 * the same against this process's real files.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <sys/wait.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/error.h"
#include "inject/maps.h"
#include "inject/proc.h"

static const char sample[] =
	"00400000-00401000 r--p 00000000 08:01 1234                       /usr/bin/python3.11\n"
	"00401000-00700000 r-xp 00001000 08:01 1234                       /usr/bin/python3.11\n"
	"00900000-00950000 rw-p 00500000 08:01 1234                       /usr/bin/python3.11\n"
	"00950000-00990000 rw-p 00000000 00:00 0 \n"
	"01a00000-01c00000 rw-p 00000000 00:00 0                          [heap]\n"
	"7f0000000000-7f0000021000 rw-p 00000000 00:00 0 \n"
	"7f0000100000-7f0000200000 r-xp 00000000 fd:02 99 /lib/with space/libc.so.6\n"
	"7f0000200000-7f0000201000 rw-s 00000000 00:05 77                 /memfd:pyheap-agent (deleted)\n"
	"7ffc00000000-7ffc00021000 rw-p 00000000 00:00 0                  [stack]\n"
	"7ffc00100000-7ffc00102000 r-xp 00000000 00:00 0                  [vdso]\n";

Test(inject_maps, parses_every_field)
{
	struct ph_maps m;

	cr_assert_eq(ph_maps_parse(sample, strlen(sample), &m), 0, "%s", ph_error_detail());
	cr_assert_eq(m.n, 10);
	cr_assert_eq(m.v[1].start, 0x401000);
	cr_assert_eq(m.v[1].end, 0x700000);
	cr_assert(m.v[1].r && !m.v[1].w && m.v[1].x && !m.v[1].shared);
	cr_assert_eq(m.v[2].offset, 0x500000);
	cr_assert_eq(m.v[2].dev_major, 8);
	cr_assert_eq(m.v[2].dev_minor, 1);
	cr_assert_eq(m.v[2].inode, 1234);
	cr_assert_str_eq(m.v[0].path, "/usr/bin/python3.11");
	cr_assert_str_eq(m.v[3].path, "");
	cr_assert_str_eq(m.v[6].path, "/lib/with space/libc.so.6");
	cr_assert_eq(m.v[6].dev_major, 0xfd);
	cr_assert(m.v[7].shared);
	cr_assert_str_eq(ph_map_basename(&m.v[6]), "libc.so.6");
	cr_assert(ph_maps_contains(&m, "pyheap-agent"));
	cr_assert(!ph_maps_contains(&m, "nothing-like-this"));
	ph_maps_release(&m);
}

Test(inject_maps, classifies_memory)
{
	struct ph_maps m;

	cr_assert_eq(ph_maps_parse(sample, strlen(sample), &m), 0);
	cr_assert_eq(ph_maps_kind(&m, 0x400010), PH_MEM_FILE);
	cr_assert_eq(ph_maps_kind(&m, 0x900100), PH_MEM_FILE);      /* .data */
	cr_assert_eq(ph_maps_kind(&m, 0x950100), PH_MEM_FILE_BSS);  /* .bss continuation */
	cr_assert_eq(ph_maps_kind(&m, 0x1a00000), PH_MEM_HEAP);
	cr_assert_eq(ph_maps_kind(&m, 0x7f0000000010), PH_MEM_ANON); /* not adjacent to a file */
	cr_assert_eq(ph_maps_kind(&m, 0x7f0000200010), PH_MEM_FILE); /* memfd */
	cr_assert_eq(ph_maps_kind(&m, 0x7ffc00000100), PH_MEM_STACK);
	cr_assert_eq(ph_maps_kind(&m, 0x7ffc00100100), PH_MEM_SPECIAL);
	cr_assert_eq(ph_maps_kind(&m, 0x300000), PH_MEM_UNMAPPED);
	cr_assert_eq(ph_maps_kind(&m, 0x700000), PH_MEM_UNMAPPED); /* end is exclusive */
	cr_assert_eq(ph_maps_kind(&m, 0xffffffffffffffffull), PH_MEM_UNMAPPED);
	cr_assert_null(ph_maps_find(&m, 0x950000 - 1 + 0x40001));
	cr_assert_eq(ph_maps_find(&m, 0x401000), &m.v[1]);
	ph_maps_release(&m);
}

Test(inject_maps, rejects_malformed_lines)
{
	static const char *const bad[] = {
		"zz-00401000 r--p 00000000 08:01 1 /x\n",
		"00400000 r--p 00000000 08:01 1 /x\n",
		"00401000-00400000 r--p 00000000 08:01 1 /x\n", /* end before start */
		"00400000-00401000 r--p 00000000 0801 1 /x\n",
		"00400000-00401000 r-\n",
		"00400000-00401000 r--p 00000000 08:01\n",
		"00400000-00401000 r--p 00000000 08:01 x /x\n",
		"11112222333344445-00401000 r--p 00000000 08:01 1 /x\n", /* 17 hex digits */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ph_maps m;
		int err = ph_maps_parse(bad[i], strlen(bad[i]), &m);

		cr_assert_eq(err, PH_EIO, "line %zu accepted: %s", i, bad[i]);
		cr_assert_null(m.v);
		cr_assert(strstr(ph_error_detail(), "line 1"));
	}
}

Test(inject_maps, survives_random_bytes)
{
	char buf[512];
	unsigned seed = 7;

	for (int round = 0; round < 20000; round++) {
		struct ph_maps m;
		size_t n = (size_t)rand_r(&seed) % sizeof(buf);

		memcpy(buf, sample + (size_t)rand_r(&seed) % 200, n < 300 ? n : 300);
		for (size_t k = 0; k < n; k++)
			if (k >= 300 || rand_r(&seed) % 8 == 0)
				buf[k] = (char)rand_r(&seed);
		if (ph_maps_parse(buf, n, &m) == 0) {
			for (size_t k = 0; k < m.n; k++)
				cr_assert(m.v[k].start <= m.v[k].end);
			ph_maps_release(&m);
		}
	}
}

Test(inject_maps, reads_this_process)
{
	struct ph_maps m;
	int local = 42;
	uint64_t fn = (uint64_t)(uintptr_t)&ph_maps_parse;

	cr_assert_eq(ph_maps_read(getpid(), &m), 0, "%s", ph_error_detail());
	cr_assert_gt(m.n, 5);
	cr_assert_eq(ph_maps_kind(&m, (uint64_t)(uintptr_t)&local), PH_MEM_STACK);
	cr_assert_eq(ph_maps_kind(&m, fn), PH_MEM_FILE);
	cr_assert(ph_maps_find(&m, fn)->x);
	{
		void *p = malloc(100);

		cr_assert(ph_maps_kind(&m, (uint64_t)(uintptr_t)p) == PH_MEM_HEAP ||
			  ph_maps_kind(&m, (uint64_t)(uintptr_t)p) == PH_MEM_ANON);
		free(p);
	}
	ph_maps_release(&m);
}

static const char status_text[] =
	"Name:\tpython3.11\n"
	"Umask:\t0022\n"
	"State:\tS (sleeping)\n"
	"Tgid:\t4242\n"
	"Pid:\t4242\n"
	"TracerPid:\t77\n"
	"Uid:\t1000\t1001\t1000\t1000\n"
	"NSpid:\t4242\t12\n"
	"Threads:\t3\n"
	"SigPnd:\t0000000000000010\n";

Test(inject_proc, parses_status)
{
	struct ph_proc_status st;

	cr_assert_eq(ph_proc_parse_status(status_text, strlen(status_text), &st), 0);
	cr_assert_str_eq(st.name, "python3.11");
	cr_assert_eq(st.state, 'S');
	cr_assert_eq(st.tgid, 4242);
	cr_assert_eq(st.tracer_pid, 77);
	cr_assert_eq(st.uid_real, 1000);
	cr_assert_eq(st.uid_eff, 1001);
	cr_assert_eq(st.nspid_inner, 12);
	cr_assert_eq(st.threads, 3);
	cr_assert_eq(st.sig_pending, 0x10); /* SIGTRAP */
	cr_assert_eq(ph_proc_parse_status("Name:\tx\n", 8, &st), PH_EIO);
}

Test(inject_proc, reads_a_process)
{
	struct ph_proc_status st;
	pid_t *tids, child;
	size_t n;
	char **argv, *blob;
	size_t argc;

	cr_assert_eq(ph_proc_status(getpid(), 0, &st), 0);
	cr_assert_eq(st.tgid, getpid());
	cr_assert_eq(st.tracer_pid, 0);
	cr_assert(st.state == 'R' || st.state == 'S');
	cr_assert_eq(ph_proc_tasks(getpid(), &tids, &n), 0);
	cr_assert_geq(n, 1);
	free(tids);
	child = fork();
	if (child == 0) {
		execl("/bin/sleep", "my sleeper", "5", (char *)NULL);
		_exit(127);
	}
	usleep(200000);
	cr_assert_eq(ph_proc_cmdline(child, &argv, &argc, &blob), 0);
	cr_assert_eq(argc, 2, "argc %zu", argc);
	cr_assert_str_eq(argv[0], "my sleeper");
	cr_assert_str_eq(argv[1], "5");
	cr_assert_null(argv[2]);
	free(argv);
	free(blob);
	cr_assert_eq(ph_proc_status(child, 0, &st), 0);
	cr_assert_str_eq(st.name, "sleep");
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	cr_assert_eq(ph_proc_status(999999999, 0, &st), PH_ENOPROC);
}
