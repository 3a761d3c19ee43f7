/* SPDX-License-Identifier: MIT */
/*
 * native.c - native bytes owned by objects (see native.h).
 */
#include "agent/native.h"

#include <stdlib.h>
#include <string.h>

#include "agent/dicts.h"
#include "common/error.h"

/*
 * numpy's public PyArrayObject_fields (numpy/ndarraytypes.h), the same in
 * 1.x and 2.x: {PyObject_HEAD; char *data; int nd; npy_intp *dimensions;
 * npy_intp *strides; PyObject *base; PyArray_Descr *descr; int flags;
 * PyObject *weakreflist; ...}.
 */
#define NP_DATA	      16
#define NP_ND	      24
#define NP_DIMENSIONS 32
#define NP_DESCR      56
#define NP_FLAGS      64
#define NP_FIELDS_MIN 80 /* through weakreflist */
#define NP_OWNDATA    0x0004
#define NP_MAXDIMS    64 /* numpy 2.x's NPY_MAXDIMS (1.x: 32) */
/*
 * PyArray_Descr: {PyObject_HEAD; PyTypeObject *typeobj; char kind; char
 * type; char byteorder; char flags (2.x: unused); int type_num; then 1.x:
 * int elsize (32), int alignment, PyArray_ArrayDescr *subarray (40); 2.x:
 * npy_uint64 flags (32), npy_intp elsize (40)}.
 */
#define DT_TYPE	    25
#define DT_ELSIZE_1 32
#define DT_ELSIZE_2 40
#define DT_SIZE_MIN 48

/* mmap_object (Modules/mmapmodule.c), every version: {PyObject_HEAD; char *data; Py_ssize_t size; ...} */
#define MM_DATA 16
#define MM_SIZE 24
#define MM_MIN	32

/* Objects held back while numpy's layout is not known (the NATIVE ids must increase). */
#define PENDING_MAX 65536
#define BYTES_MAX   ((uint64_t)1 << 56) /* more than any process holds */

void ph_native_init(struct ph_native *N, const struct ph_py *py, struct ph_types *T,
		    struct ph_writer *w)
{
	memset(N, 0, sizeof(*N));
	N->py = py;
	N->T = T;
	N->w = w;
}

void ph_native_release(struct ph_native *N)
{
	free(N->pending);
	N->pending = NULL;
	N->n_pending = N->cap_pending = 0;
}

/* A pointer that may be read: in user space, aligned. */
static bool plausible(uintptr_t p)
{
	return p >= 4096 && !(p & 7) && !(p >> 47);
}

uint8_t ph_native_type(const struct ph_py *py, const struct ph_tinfo *ti,
		       const struct ph_tinfo *base)
{
	if (ti->name && !ti->heap) {
		if (strcmp(ti->name, "numpy.ndarray") == 0)
			return ti->basicsize >= NP_FIELDS_MIN ? PH_NT_NUMPY : PH_NT_NONE;
		if (strcmp(ti->name, "numpy.dtype") == 0)
			return ti->basicsize >= DT_SIZE_MIN ? PH_NT_DTYPE : PH_NT_NONE;
	}
	/* mmap is a heap type from 3.10 on: trusted code (libpython or lib-dynload) makes it */
	if (ti->name && strcmp(ti->name, "mmap.mmap") == 0 && (!base || base->addr == py->t_object))
		return ti->basicsize >= MM_MIN &&
			       ph_py_is_trusted_code(py, ph_rd(ti->addr, PH_OFF_TP_DEALLOC))
			   ? PH_NT_MMAP
			   : PH_NT_NONE;
	return base ? base->native : PH_NT_NONE;
}

/* The item size of char type c when it is one of numpy's fixed-size builtin types, else 0. */
static int64_t type_char_size(uint8_t c)
{
	switch (c) {
	case '?':
	case 'b':
	case 'B':
		return 1;
	case 'h':
	case 'H':
	case 'e':
		return 2;
	case 'i':
	case 'I':
	case 'f':
		return 4;
	case 'l':
	case 'L':
	case 'q':
	case 'Q':
	case 'p':
	case 'P':
	case 'd':
	case 'F':
	case 'O':
	case 'M':
	case 'm':
		return 8;
	case 'D':
	case 'g':
		return 16;
	case 'G':
		return 32;
	default:
		return 0;
	}
}

/* The item size of dtype d, deciding numpy's layout from it if not known yet; -1 if unknown. */
static int64_t elsize(struct ph_native *N, uintptr_t d)
{
	if (!N->numpy_layout) {
		int64_t want = type_char_size(ph_rd_u8(d, DT_TYPE));
		bool v1, v2;

		if (!want)
			return -1;
		v1 = ph_rd_i32(d, DT_ELSIZE_1) == want;
		v2 = ph_rd_i64(d, DT_ELSIZE_2) == want;
		if (v1 == v2)
			return -1; /* both or neither: wait for another dtype */
		N->numpy_layout = v1 ? 1 : 2;
	}
	return N->numpy_layout == 1 ? ph_rd_i32(d, DT_ELSIZE_1) : ph_rd_i64(d, DT_ELSIZE_2);
}

/* Bytes of data numpy array o owns: 0 for a view, -1 when a number does not check out. */
static int64_t numpy_bytes(struct ph_native *N, struct ph_types *T, uintptr_t o)
{
	uintptr_t dims = ph_rd(o, NP_DIMENSIONS), d = ph_rd(o, NP_DESCR);
	int32_t nd = ph_rd_i32(o, NP_ND);
	struct ph_tinfo *dti = NULL;
	uint64_t n = 1;
	int64_t item;

	if (!(ph_rd_i32(o, NP_FLAGS) & NP_OWNDATA) || !ph_rd(o, NP_DATA))
		return 0;
	if (nd < 0 || nd > NP_MAXDIMS || (nd && !plausible(dims)) || !plausible(d))
		return -1;
	if (ph_types_get(T, ph_type(d), &dti) || !dti || dti->native != PH_NT_DTYPE)
		return -1;
	item = elsize(N, d);
	if (item < 0) {
		N->last_undecided = !N->numpy_layout;
		return N->numpy_layout ? -1 : 0;
	}
	for (int32_t i = 0; i < nd; i++) {
		int64_t k = ph_rd_i64(dims, 8L * i);

		if (k < 0 || __builtin_mul_overflow(n, (uint64_t)k, &n) || n > BYTES_MAX)
			return -1;
	}
	if (__builtin_mul_overflow(n, (uint64_t)item, &n) || n > BYTES_MAX)
		return -1;
	N->arrays++;
	return (int64_t)n;
}

static uint64_t round8(uint64_t n)
{
	return (n + 7) & ~(uint64_t)7;
}

/*
 * Bytes of the values array of a 3.11+ managed-dict instance that nothing
 * else counts: 3.11/3.12 a separate allocation (a prefix of round8(n + 2)
 * bytes, its size in its last byte, then n values) while no dict holds
 * them; 3.13+ inline after the object (a header with the capacity n, n
 * values, n order bytes rounded up) unless a materialised __dict__ shares
 * them (the dict's size counts them then). 3.13+ allocate room for one
 * slot more than the capacity they record while the class's shared keys
 * have more than one usable slot left (_PyObject_InitInlineValues takes
 * one away after the allocation): counted when the keys still have more
 * than one, so an instance made just as they ran down to one is counted
 * 8 or 16 bytes short.
 *
 * 3.11/3.12 record no capacity: n was the class's shared keys' entries +
 * usable slots when the instance was made, and each new instance takes one
 * usable slot away (init_inline_values), so the keys' sum now is at most n.
 * n is taken as the smallest capacity that fits both the prefix and that
 * sum: exact for the class's latest instance, at most 7 slots (56 bytes)
 * short for older ones.
 */
static int64_t values_bytes(const struct ph_py *py, const struct ph_tinfo *ti, uintptr_t o)
{
	const struct ph_l_dict *D = py->L->dict;
	uintptr_t values = ph_values_addr(py, o, ti->flags, ti->basicsize), keys = ti->cached_keys;
	int64_t n, prefix;

	if (values && py->caps->inst_dict == PH_INST_DICT_INLINE) {
		uintptr_t dict = ph_rd(o, D->managed_dict);

		if (dict && ph_dict_values_embedded(py, dict))
			return 0;
		/*
		 * The object was allocated with room for the keys' entries +
		 * usable slots; then one usable slot was taken away if more than
		 * one was left, and the rest recorded as the capacity.
		 */
		n = ph_rd_u8(values, D->dv_capacity);
		if (keys && ph_rd_i64(keys, D->dk_usable) > 1)
			n++;
		return (int64_t)((uint64_t)D->dv_values + 8 * (uint64_t)n + round8((uint64_t)n));
	}
	if (!values || !keys || !plausible(values))
		return 0;
	prefix = ph_rd_u8(values, PH_DV_PREFIX_SIZE);
	n = ph_rd_i64(keys, D->dk_usable) + ph_rd_i64(keys, D->dk_nentries);
	if (n < prefix - 9)
		n = prefix - 9;
	if (n <= 0 || n > 255 || (int64_t)round8((uint64_t)n + 2) != prefix)
		return -1;
	return prefix + 8 * n;
}

static void add(struct ph_native_rec *n, uint8_t what, int64_t bytes)
{
	if (bytes <= 0)
		return;
	n->parts[n->n_parts].what = what;
	n->parts[n->n_parts].bytes = (uint64_t)bytes;
	n->n_parts++;
}

static void native_of(struct ph_native *N, const struct ph_tinfo *ti, uintptr_t o,
		      struct ph_native_rec *n)
{
	struct ph_types *T = N->T;
	int64_t b;

	n->n_parts = 0;
	N->last_undecided = false;
	/* parts in increasing kind order: numpy (1), mmap (2), values (3) */
	if (ti->native == PH_NT_NUMPY) {
		b = numpy_bytes(N, T, o);
		N->bad += b < 0;
		add(n, PH_FMT_NATIVE_NUMPY, b);
	} else if (ti->native == PH_NT_MMAP) {
		b = ph_rd(o, MM_DATA) ? ph_rd_i64(o, MM_SIZE) : 0;
		N->bad += b < 0;
		add(n, PH_FMT_NATIVE_MMAP, b);
	}
	if (ti->heap && N->py->caps->inst_dict != PH_INST_DICT_OFFSET) {
		b = values_bytes(N->py, ti, o);
		N->bad += b < 0;
		add(n, PH_FMT_NATIVE_VALUES, b);
	}
}

bool ph_native_wants(const struct ph_native *N, const struct ph_tinfo *ti)
{
	return ti->native == PH_NT_NUMPY || ti->native == PH_NT_MMAP ||
	       (ti->heap && (ti->flags & PH_TPF_MANAGED_DICT) &&
		N->py->caps->inst_dict != PH_INST_DICT_OFFSET);
}

/* Write the NATIVE record of object id (o, of type ti), if it owns native bytes. */
static int write_one(struct ph_native *N, uint64_t id, const struct ph_tinfo *ti, uintptr_t o)
{
	native_of(N, ti, o, &N->rec);
	N->undecided += N->last_undecided;
	if (!N->rec.n_parts)
		return 0;
	N->rec.id = id;
	return ph_writer_native(N->w, &N->rec);
}

int ph_native_flush(struct ph_native *N)
{
	int err = 0;

	for (size_t i = 0; i < N->n_pending && !err; i++)
		err = write_one(N, N->pending[i].id, N->pending[i].ti, N->pending[i].o);
	N->n_pending = 0;
	return err;
}

int ph_native_put(struct ph_native *N, uint64_t id, const struct ph_tinfo *ti, uintptr_t o)
{
	int err;

	if (!N->numpy_layout && (ti->native == PH_NT_NUMPY || N->n_pending)) {
		if (ti->native == PH_NT_NUMPY) {
			native_of(N, ti, o, &N->rec); /* may decide the layout from its dtype */
			if (N->numpy_layout)
				goto decided;
		}
		if (N->n_pending < PENDING_MAX) {
			err = PH_ARRAY_RESERVE(N->pending, N->cap_pending, N->n_pending + 1);
			if (err)
				return err;
			N->pending[N->n_pending].id = id;
			N->pending[N->n_pending].ti = ti;
			N->pending[N->n_pending].o = o;
			N->n_pending++;
			return 0;
		}
	}
decided:
	if ((err = ph_native_flush(N)))
		return err;
	return write_one(N, id, ti, o);
}
