/* SPDX-License-Identifier: MIT */
/*
 * record.h - what the OBJECTS record says of one object besides its
 * address, type and reference count: its size, as sys.getsizeof would
 * report it, and its value (str, bytes, int, float, bool and None
 * contents; the name of a module, function, code object or type).
 *
 * Sizes follow the type's sizer (types.h): a C __sizeof__ of the
 * interpreter's own is reproduced or called; nothing written in Python
 * is ever called. Then what sys.getsizeof adds (the "pre-header", by the
 * version's capability). Values never run code and allocate nothing in
 * the target (values.c); their data stays valid until the next call.
 * struct ph_record owns its scratch buffer; py and the types are borrowed.
 */
#ifndef PH_AGENT_RECORD_H
#define PH_AGENT_RECORD_H

#include <stdbool.h>
#include <stdint.h>

#include "agent/py.h"
#include "agent/types.h"
#include "common/buf.h"
#include "format/writer.h"

struct ph_record {
	const struct ph_py *py;
	struct ph_types *T;
	/*
	 * --no-values: the contents of str, bytes, int, float and big int
	 * objects are left out (lengths and bit lengths kept), but for a str
	 * the walk says names code (name_str, see names.h).
	 */
	bool no_values;
	bool name_str;      /* the str about to be recorded names code */
	uint64_t max_value; /* bytes of a str, bytes or big int kept */
	struct ph_buf vbuf; /* value scratch */
	uint64_t sizeof_calls, sizeof_failed; /* statistics */
};

void ph_record_init(struct ph_record *R, const struct ph_py *py, struct ph_types *T,
		    bool no_values, uint64_t max_value);
void ph_record_release(struct ph_record *R);

/*
 * sys.getsizeof(o). is_gc: o is a GC object (tp_is_gc honoured). Of an
 * object that may not be read (readable false: see walk.c's emit) only what
 * its type and header say, basicsize + itemsize * ob_size: no other field is
 * read and no __sizeof__ is called.
 */
uint64_t ph_record_size(struct ph_record *R, const struct ph_tinfo *ti, uintptr_t o, bool is_gc,
			bool readable);

/*
 * What CPython allocates before o (the GC header, the pre-header), which
 * sys.getsizeof counts: o minus this is where o's memory block starts.
 */
uint64_t ph_record_preheader(const struct ph_py *py, const struct ph_tinfo *ti, uintptr_t o,
			     bool is_gc);

/* The value of o into *v (kind 0: none). 0 or PH_ENOMEM. */
int ph_record_value(struct ph_record *R, const struct ph_tinfo *ti, uintptr_t o,
		    struct ph_value *v);

#endif
