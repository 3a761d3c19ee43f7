/* SPDX-License-Identifier: MIT */
/*
 * breakdown.c - the process's resident memory by what holds it (see breakdown.h).
 */
#include "analyze/breakdown.h"

#include <string.h>

/* Native buffers in memory: every native kind but mmaps (mappings) and values (objects' memory). */
static uint64_t native_buffers(const struct ph_heap *h)
{
	uint64_t n = 0;

	for (unsigned k = 1; k <= PH_FMT_NATIVE_MAX; k++)
		if (k != PH_FMT_NATIVE_MMAP && k != PH_FMT_NATIVE_VALUES)
			n += h->native_by_kind[k];
	return n;
}

void ph_breakdown_compute(const struct ph_heap *h, struct ph_breakdown *b)
{
	uint64_t anon = 0, brk = 0;

	memset(b, 0, sizeof(*b));
	b->objects = h->total_size + h->native_by_kind[PH_FMT_NATIVE_VALUES];
	b->native = native_buffers(h);
	b->have = ph_heap_meta_uint(h, "mem_rss", &b->resident) && ph_heap_meta_uint(h, "mem_file", &b->files) &&
		  ph_heap_meta_uint(h, "mem_stack", &b->stacks) && ph_heap_meta_uint(h, "mem_brk", &brk) &&
		  ph_heap_meta_uint(h, "mem_anon", &anon);
	if (!b->have) {
		memset(b, 0, sizeof(*b));
		b->objects = h->total_size + h->native_by_kind[PH_FMT_NATIVE_VALUES];
		b->native = native_buffers(h);
		return;
	}
	b->anon = anon;
	b->brk = brk;
	b->have_pymalloc = ph_heap_meta_uint(h, "pymalloc_free", &b->pymalloc_free);
	ph_heap_meta_uint(h, "pymalloc_bytes", &b->pymalloc_arenas_bytes);
	b->have_malloc = ph_heap_meta_uint(h, "malloc_free", &b->malloc_free);
	ph_heap_meta_uint(h, "malloc_mmap", &b->malloc_mmap);
	b->rest = (int64_t)b->resident - (int64_t)b->objects - (int64_t)b->native - (int64_t)b->pymalloc_free -
		  (int64_t)b->malloc_free - (int64_t)b->files - (int64_t)b->stacks;
}

void ph_breakdown_json(struct ph_json *j, const struct ph_heap *h)
{
	struct ph_breakdown b;

	ph_breakdown_compute(h, &b);
	if (!b.have) {
		ph_json_null(j);
		return;
	}
	ph_json_begin_object(j);
	ph_json_key_uint(j, "resident", b.resident);
	ph_json_key_uint(j, "python_objects", b.objects);
	ph_json_key_uint(j, "native_buffers", b.native);
	ph_json_key(j, "pymalloc_free");
	if (b.have_pymalloc)
		ph_json_uint(j, b.pymalloc_free);
	else
		ph_json_null(j);
	ph_json_key(j, "malloc_free");
	if (b.have_malloc)
		ph_json_uint(j, b.malloc_free);
	else
		ph_json_null(j);
	ph_json_key_uint(j, "files", b.files);
	ph_json_key_uint(j, "stacks", b.stacks);
	ph_json_key(j, "rest");
	ph_json_int(j, b.rest);
	ph_json_end_object(j);
}
