/* SPDX-License-Identifier: MIT */
/*
 * memory.c - the target's allocators at the moment of the dump (see memory.h).
 */
#include "agent/memory.h"

#include <malloc.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The number after '=' on a line of _PyObject_DebugMallocStats(), commas and all. */
static uint64_t number(const char *line)
{
	const char *p = strchr(line, '=');
	uint64_t n = 0;

	if (!p)
		return 0;
	for (p++; *p; p++) {
		if (*p >= '0' && *p <= '9')
			n = n * 10 + (uint64_t)(*p - '0');
		else if (*p != ',' && *p != ' ')
			break;
	}
	return n;
}

struct pymalloc {
	uint64_t arenas, total, used, available, unused_pools;
	int seen; /* lines recognized */
};

/*
 * Its report, as 3.8-3.15 print it: "# arenas allocated current", "N arenas
 * * M bytes/arena", "# bytes in allocated blocks", "# bytes in available
 * blocks", "N unused pools * M bytes", then "Total" (the first one: the
 * arena map's own total follows on 3.10+).
 */
static void parse(char *text, struct pymalloc *m)
{
	bool total = false;
	char *save = NULL;

	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "# arenas allocated current", 26)) {
			m->arenas = number(line);
			m->seen++;
		} else if (strstr(line, "# bytes in allocated blocks")) {
			m->used = number(line);
			m->seen++;
		} else if (strstr(line, "# bytes in available blocks")) {
			m->available = number(line);
			m->seen++;
		} else if (strstr(line, "unused pools *")) {
			m->unused_pools = number(line);
			m->seen++;
		} else if (!total && !strncmp(line, "Total", 5)) {
			m->total = number(line);
			total = true;
			m->seen++;
		}
	}
}

int ph_meta_memory(struct ph_writer *w, const struct ph_py *py)
{
	struct mallinfo2 mi = mallinfo2();
	struct pymalloc m = {0};
	int err;

	if (py->debug_malloc_stats) {
		char *text = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);

		/* 0: pymalloc is not the object allocator (PYTHONMALLOC=malloc) */
		if (f) {
			int used = py->debug_malloc_stats(f);

			if (fclose(f) == 0 && used && text)
				parse(text, &m);
		}
		free(text);
	}
	if (m.seen == 5 && ((err = ph_writer_meta_uint(w, "pymalloc_arenas", m.arenas)) ||
			    (err = ph_writer_meta_uint(w, "pymalloc_bytes", m.total)) ||
			    (err = ph_writer_meta_uint(w, "pymalloc_used", m.used)) ||
			    (err = ph_writer_meta_uint(w, "pymalloc_free", m.available + m.unused_pools))))
		return err;
	if ((err = ph_writer_meta_uint(w, "malloc_arena", mi.arena)) ||
	    (err = ph_writer_meta_uint(w, "malloc_mmap", mi.hblkhd)) ||
	    (err = ph_writer_meta_uint(w, "malloc_used", mi.uordblks)) ||
	    (err = ph_writer_meta_uint(w, "malloc_free", mi.fordblks)))
		return err;
	return 0;
}
