/* SPDX-License-Identifier: MIT */
/*
 * memory.h - the target's allocators at the moment of the dump, from their
 * own C functions (never Python code): pymalloc's arenas through
 * _PyObject_DebugMallocStats() (what sys._debugmallocstats() prints, written
 * into a memory stream and read back), the C allocator's totals through
 * glibc's mallinfo2(). Written as metadata (docs/format.md, "META").
 */
#ifndef PH_AGENT_MEMORY_H
#define PH_AGENT_MEMORY_H

#include "agent/py.h"
#include "format/writer.h"

/* With the GIL held. Records what could be read; 0, or an error of the writer. */
int ph_meta_memory(struct ph_writer *w, const struct ph_py *py);

#endif
