/* SPDX-License-Identifier: MIT */
/*
 * native.h - the native bytes an object owns outside itself (the NATIVE
 * section, docs/format.md), read in place without running any code of the
 * object's type:
 *
 *   numpy.ndarray (and subclasses) that own their data (OWNDATA):
 *     product(dimensions) x the dtype's item size, from the public
 *     PyArrayObject_fields and PyArray_Descr layouts;
 *   mmap.mmap: the length of its mapping while it is open;
 *   3.11+ instances with a managed dict: their values array (3.11/3.12 a
 *     separate allocation, 3.13+ inline after the object), which neither
 *     the instance's sys.getsizeof nor any object counts.
 *
 * The types are recognised once, when they are registered (types.c calls
 * ph_native_type()): by name, builtin-ness and basic size, and inherited by
 * subclasses. numpy's item-size field moved between numpy 1.x (int at 32)
 * and 2.x (npy_intp at 40): the layout is decided once per dump, from the
 * first dtype whose type character fixes its size ('d' is 8 bytes...).
 * Every number read is checked before it is trusted (dimensions >= 0, at
 * most 64 of them, products that do not overflow); an object that fails a
 * check owns nothing and is counted in bad.
 *
 * struct ph_native holds no memory; py is borrowed.
 */
#ifndef PH_AGENT_NATIVE_H
#define PH_AGENT_NATIVE_H

#include <stdbool.h>
#include <stdint.h>

#include "agent/py.h"
#include "agent/types.h"
#include "format/records.h"
#include "format/writer.h"

struct ph_native {
	const struct ph_py *py;
	struct ph_types *T;
	struct ph_writer *w;
	int numpy_layout; /* 0 not known yet, 1 numpy 1.x, 2 numpy 2.x */
	bool last_undecided;
	uint64_t arrays; /* numpy arrays that own their data */
	uint64_t
	    undecided; /* arrays whose dump ended before numpy's layout was known: not counted */
	uint64_t bad;  /* objects whose numbers did not check out */
	/* objects held back until the layout is known (their ids must stay in order) */
	struct ph_native_pending {
		uint64_t id;
		const struct ph_tinfo *ti;
		uintptr_t o;
	} * pending;
	size_t n_pending, cap_pending;
	struct ph_native_rec rec; /* scratch */
};

/* py, T and w are borrowed; the pending list is owned (ph_native_release). */
void ph_native_init(struct ph_native *N, const struct ph_py *py, struct ph_types *T,
		    struct ph_writer *w);
void ph_native_release(struct ph_native *N);

/* Could an object of type ti own native bytes (is it worth a ph_native_put)? */
bool ph_native_wants(const struct ph_native *N, const struct ph_tinfo *ti);

/*
 * Object id (o, of type ti, readable: see walk.c's emit) was just written:
 * write its NATIVE record if it owns native bytes. Until numpy's layout is
 * known, numpy arrays, and every object after the first of them, are held
 * back (at most 65536), so that records stay in id order; they are written
 * once an array decides the layout, or by ph_native_flush(). 0 or an error
 * of the writer, PH_ENOMEM.
 */
int ph_native_put(struct ph_native *N, uint64_t id, const struct ph_tinfo *ti, uintptr_t o);

/* Write what is held back (numpy arrays whose layout never became known own nothing). */
int ph_native_flush(struct ph_native *N);

/*
 * Which native kind the instances of type ti have (enum ph_native_type),
 * given its base's info (NULL for none). Called once per type.
 */
uint8_t ph_native_type(const struct ph_py *py, const struct ph_tinfo *ti,
		       const struct ph_tinfo *base);

#endif
