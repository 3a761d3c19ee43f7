/* SPDX-License-Identifier: MIT */
/*
 * procmem.c - where a process's resident memory is (see procmem.h).
 */
#include "dump/procmem.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inject/proc.h"

enum kind { K_FILE, K_STACK, K_BRK, K_ANON };

int ph_procmem_read(pid_t pid, struct ph_procmem *m)
{
	char *text, *save = NULL;
	size_t len;
	uint64_t prev_end = 0;
	bool prev_guard = false;
	enum kind kind = K_ANON;
	int err = ph_proc_read_file(pid, "smaps", &text, &len);

	memset(m, 0, sizeof(*m));
	if (err)
		return err;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		uint64_t start, end, kb;
		char perms[8];
		int path_at = 0;

		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %*s %*s %*s %n", &start, &end, perms,
			   &path_at) >= 3 && path_at > 0) {
			const char *path = line + path_at;
			/* shared anonymous memory shows as a file: /dev/zero (deleted), memfds, SysV */
			bool anon = !*path || !strncmp(path, "/dev/zero", 9) ||
				    !strncmp(path, "/memfd:", 7) || !strncmp(path, "/SYSV", 5);

			if (!strcmp(path, "[stack]"))
				kind = K_STACK;
			else if (!strcmp(path, "[heap]"))
				kind = K_BRK;
			else if (anon && !strcmp(perms, "rw-p") && prev_guard && prev_end == start)
				kind = K_STACK; /* a thread's stack, above its guard page */
			else if (anon)
				kind = K_ANON;
			else
				kind = K_FILE;
			prev_guard = anon && !strcmp(perms, "---p");
			prev_end = end;
		} else if (sscanf(line, "Rss: %" SCNu64 " kB", &kb) == 1) {
			uint64_t b = kb * 1024;

			m->rss += b;
			*(kind == K_FILE ? &m->file : kind == K_STACK ? &m->stack : kind == K_BRK ? &m->brk
											   : &m->anon) += b;
		}
	}
	free(text);
	return 0;
}
