/* SPDX-License-Identifier: MIT */
/*
 * heap.h - a dump loaded into compact arrays: the base of every analysis.
 *
 * ph_heap_load() reads a .pyheap file in two passes over its chunks (each
 * chunk decoded once): pass 1 takes META, STRINGS, TYPES and OBJECTS, pass 2
 * EDGES, THREADS and ROOTS, which refer to objects by address. Chunks of
 * different kinds may come in any order.
 *
 * Objects are numbered 0..n_objects-1 in file order (their object id) and
 * described by parallel arrays (struct-of-arrays, so that a pass over one
 * field touches only that field):
 *
 *   addr[id]      address in the dumped process
 *   type[id]      type id (index into types[])
 *   size[id]      shallow size in bytes
 *   refcount[id]  ob_refcnt as dumped
 *   flags[id]     PH_FMT_OBJ_* (on-disk bits; the format freezes them), plus
 *                 PH_OBJ_TYPE for the type objects of TYPES records
 *   val_off[id]   offset of the object's value in `values`, 0 for none
 *   native[id]    native bytes it owns (NATIVE section, format 1.1), and
 *   native_kinds[id]  a bit (1 << (kind - 1)) per PH_FMT_NATIVE_* kind of
 *                 its parts; both NULL when the dump has no NATIVE record
 *
 * Sizes: size[] is the object's own (sys.getsizeof's figure); native[] the
 * buffers it owns outside it (numpy data, a 3.11+ instance's values...).
 * What an object "owns" for retained sizes is ph_heap_owned(): both, or
 * size alone when the analysis is Python-only (ph_heap_set_python_only).
 *
 * Out-edges are in CSR form: the edges of object v are out_tgt[e] for
 * out_off[v] <= e < out_off[v+1], with out_kind[e] (a PH_LABEL_* kind, plus
 * PH_EDGE_WEAK) and out_val[e] (the label's value, see enum ph_label) in
 * parallel. An ENTRY edge of the file becomes two edges: KEYREF to the key,
 * then KEY (labelled by the key) to the value. Dangling edges (targets that
 * are not objects of the dump) are dropped and counted; a label that names
 * an address that is not an object, or a value that does not fit 32 bits,
 * is stored in the `wide` side table and out_val[e] is PH_VAL_WIDE.
 *
 * Strings (the STRINGS section) are kept NUL-terminated in one arena;
 * ph_heap_str() maps an sref to its text. Types, threads (with frames and
 * locals), ROOTS records and metadata are small arrays.
 *
 * Limits: fewer than 2^31 - 2^24 objects and 2^24 - 2^16 threads and frames
 * (ids are uint32; the analysis adds a node per thread and frame and uses
 * the top bit), fewer than 2^32 edges and strings; beyond that the load
 * fails with PH_ELIMIT.
 *
 * Ownership: the heap owns every array; ph_heap_free() frees it. All
 * pointers returned by accessors are borrowed and live as long as the heap.
 */
#ifndef PH_ANALYZE_HEAP_H
#define PH_ANALYZE_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "format/records.h"

#define PH_NO_ID UINT32_MAX

/* In-memory object flag (above the on-disk PH_FMT_OBJ_* bits): a TYPES record names this object. */
#define PH_OBJ_TYPE 0x80

/* Largest number of objects a heap may hold, and of threads + frames (see Limits above). */
#define PH_HEAP_MAX_OBJECTS ((uint32_t)0x7f000000u)
#define PH_HEAP_MAX_NODES_EXTRA ((uint32_t)0x00ff0000u)

/*
 * In-memory edge label kinds. 0..5 and 7 have the numbers of the on-disk
 * PH_FMT_LABEL_* kinds (converted at load); ENTRY is never stored; 8 and up
 * are the synthetic edges of the analysis graph (graph.h).
 */
enum ph_label {
	PH_LABEL_NONE = 0,     /* unnamed reference (tp_traverse); val 0 */
	PH_LABEL_INDEX = 1,    /* [i]; val: the index */
	PH_LABEL_ATTR = 2,     /* .name; val: object id of the name str */
	PH_LABEL_KEY = 3,      /* ['k']; val: object id of the key */
	PH_LABEL_FIELD = 4,    /* .name with no str object; val: sref of the name */
	PH_LABEL_KEYREF = 5,   /* <key>: the target is a key or set member; val 0 */
	PH_LABEL_INTERNAL = 7, /* <name>; val: sref of the name */
	/* synthetic (graph.h) */
	PH_LABEL_ROOT = 8,     /* super-root -> object of a ROOTS record; val: record index */
	PH_LABEL_HELD = 9,     /* super-root -> object held from outside the dump; val: refs missing */
	PH_LABEL_STATIC = 10,  /* super-root -> immortal or static object; val 0 */
	PH_LABEL_THREAD = 11,  /* super-root -> thread node; val: thread index */
	PH_LABEL_FRAME = 12,   /* thread node -> frame node; val: frame index */
	PH_LABEL_LOCAL = 13,   /* frame node -> a local; val: local index */
	PH_LABEL_FRAME_OBJECT = 14, /* frame node -> its frame object; val 0 */
	PH_LABEL_FRAME_CODE = 15,   /* frame node -> its code object; val 0 */
	PH_LABEL_UNREACHABLE = 16,  /* super-root -> unreachable node -> entries; val 0 */
};
#define PH_LABEL_MASK 0x1f
#define PH_EDGE_WEAK  0x80
#define PH_VAL_WIDE   UINT32_MAX /* the label's value is in the wide table */

struct ph_heap_type {
	uint64_t address;
	uint32_t object; /* object id of the type object, PH_NO_ID if not dumped */
	uint32_t base;   /* type id of tp_base, PH_NO_ID for none */
	uint64_t module, qualname; /* srefs */
	uint64_t basicsize, itemsize, flags;
	uint32_t name; /* offset of the kind name ("module.QualName", bare for builtins) in names */
	uint64_t count, total_size; /* instances in the dump and their shallow sizes */
};

struct ph_heap_local {
	uint64_t name;    /* sref */
	uint64_t address;
	uint32_t object;  /* PH_NO_ID when dangling */
};

struct ph_heap_frame {
	uint64_t function, filename; /* srefs */
	uint64_t line;
	uint64_t code_addr, frame_addr;
	uint32_t code, frame; /* object ids or PH_NO_ID */
	uint32_t thread;      /* index of its thread */
	uint32_t depth;       /* 0 for the innermost frame */
	size_t first_local, n_locals;
};

struct ph_heap_thread {
	uint64_t ident, native_id;
	uint64_t name; /* sref */
	uint8_t flags; /* PH_FMT_THREAD_* */
	size_t first_frame, n_frames; /* innermost first */
};

struct ph_heap_root {
	uint8_t kind;   /* PH_FMT_ROOT_* (unknown kinds read as OTHER) */
	uint64_t label; /* sref */
	uint64_t address;
	uint32_t object; /* PH_NO_ID when dangling */
};

struct ph_heap_meta {
	char *key;      /* NUL-terminated, owned */
	uint8_t type;   /* PH_FMT_META_* */
	uint8_t *value; /* encoded value bytes, owned */
	uint64_t value_len;
	int64_t i;
	uint64_t u;
	double f;
};

struct ph_heap_wide {
	uint32_t edge;
	uint64_t value; /* an index, or the address of a label object not in the dump */
};

struct ph_heap {
	char *path; /* as opened */
	uint64_t need;  /* bytes its counts were taken to need (ph_heap_need) */
	bool committed; /* need counted against the budget */
	uint64_t file_size, file_id;
	uint16_t major, minor;

	/* objects */
	uint32_t n_objects;
	uint64_t *addr;
	uint32_t *type;
	uint64_t *size;
	uint64_t *refcount;
	uint8_t *flags;
	uint64_t *val_off;
	struct ph_buf values; /* encoded values (see heap.c), byte 0 unused */
	uint64_t total_size;

	/* native bytes (NATIVE, 1.1); native and native_kinds NULL when none */
	uint64_t *native;
	uint8_t *native_kinds;
	uint64_t n_native;        /* NATIVE records */
	uint64_t total_native;    /* their bytes */
	uint64_t native_by_kind[PH_FMT_NATIVE_MAX + 1]; /* by PH_FMT_NATIVE_* (unknown: OTHER) */
	bool python_only;         /* ph_heap_set_python_only() at load: native not owned */

	/* out-edges, CSR */
	uint64_t n_edges;
	uint32_t *out_off; /* n_objects + 1 */
	uint32_t *out_tgt;
	uint8_t *out_kind;
	uint32_t *out_val;
	struct ph_heap_wide *wide; /* sorted by edge */
	size_t n_wide;

	/* what the load left out or could not resolve */
	uint64_t n_weak;             /* weak edges kept */
	uint64_t dangling_edges;     /* edges to addresses that are not objects (dropped) */
	uint64_t dangling_labels;    /* attr/key/entry labels naming such an address */
	uint64_t dangling_other;     /* locals, roots, frame code/objects, type objects */
	uint64_t edge_records;       /* EDGES records read */

	/* strings */
	uint64_t n_strings;
	uint64_t *str_off; /* into strings, each NUL-terminated, back to back */
	struct ph_buf strings;

	/* types */
	uint32_t n_types;
	struct ph_heap_type *types;
	struct ph_buf names; /* kind names, NUL-terminated */

	/* threads, frames, locals */
	size_t n_threads, n_frames, n_locals;
	struct ph_heap_thread *threads;
	struct ph_heap_frame *frames;
	struct ph_heap_local *locals;

	/* ROOTS records */
	size_t n_roots;
	struct ph_heap_root *roots;

	/*
	 * Allocation sites (TRACEBACKS, SITES: tracemalloc was on in the
	 * target). Traceback t's frames, the most recent call first, are
	 * tb_frames[tb_off[t] .. tb_off[t + 1]); site[v] is object v's
	 * traceback id plus one, 0 for none; site is NULL when the dump has no
	 * SITES.
	 */
	uint32_t n_tracebacks;
	uint32_t *tb_off;
	struct ph_site_frame *tb_frames;
	uint32_t *site;

	/* metadata, in file order */
	size_t n_meta;
	struct ph_heap_meta *meta;

	/* well-known strings found at load (sref, 0 if absent) */
	uint64_t sref_dict; /* "__dict__" */

	/* (private) capacities while loading */
	size_t cap_edges, cap_wide, cap_strings, cap_types, cap_threads, cap_frames, cap_locals,
		cap_roots, cap_meta, cap_tb, cap_tb_frames;
};

/* progress(ctx, done, total): chunks read so far, out of total (each chunk once). */
typedef void ph_progress_fn(void *ctx, const char *stage, uint64_t done, uint64_t total);

/*
 * Load the dump at path. *out receives a heap the caller frees with
 * ph_heap_free(). Errors: PH_ENOTDUMP, PH_EVERSION, PH_ETRUNCATED,
 * PH_ECORRUPT (with where), PH_ELIMIT, PH_ENOMEM, PH_EIO.
 */
int ph_heap_load(struct ph_heap **out, const char *path, ph_progress_fn *progress, void *ctx);

void ph_heap_free(struct ph_heap *h);

/*
 * The memory budget. Before it allocates anything for a dump's objects,
 * edges and strings, ph_heap_load() compares what the counts of the table
 * of contents will need (ph_heap_need) with the budget, and refuses the
 * dump with PH_ENOMEM naming both when it needs more (first decoding every
 * chunk in bounded memory, so that a table of contents that lies about the
 * counts is reported as corrupt). The budget is process-wide: bytes set
 * here, less what the heaps still loaded were taken to need (diff loads
 * two); 0 (the default) means the memory available to the process when
 * the load starts (common/memavail.h); UINT64_MAX means no budget.
 */
void ph_heap_set_budget(uint64_t bytes);

/*
 * Python-only figures: heaps loaded after this call with on = true keep
 * their native bytes (native[], the totals) but do not count them as owned
 * (ph_heap_owned), so that retained sizes, dominator-tree sums and the
 * reports built on them are the Python objects' alone. Process-wide, like
 * the budget; off by default. The CLI's --python-only sets it.
 */
void ph_heap_set_python_only(bool on);

/*
 * What loading and analyzing a dump needs at least, from its TOC: per
 * object and per EDGES record (an edge at least) the bytes the load and the
 * analysis take (measured on synthetic and real dumps: bench/RESULTS.md),
 * plus the strings and the objects' values, which are kept whole.
 */
#define PH_HEAP_NEED_PER_OBJECT 80
#define PH_HEAP_NEED_PER_EDGE 17
struct ph_reader;
uint64_t ph_heap_need(const struct ph_reader *r);

/*
 * Object id of the object at addr, or PH_NO_ID. A scan of addr[] (the load's
 * hash index is freed when the load ends; lookups by address afterwards are
 * a handful per command).
 */
uint32_t ph_heap_find(const struct ph_heap *h, uint64_t addr);

/* The text of an sref (0 or out of range: NULL); *len (may be NULL) receives its length. */
const char *ph_heap_str(const struct ph_heap *h, uint64_t sref, size_t *len);

/*
 * Where object v was allocated, appended to b: "file:line" of the most
 * recent frame of its traceback, or "(no allocation site)". 0 or PH_ENOMEM.
 */
int ph_heap_site_name(struct ph_buf *b, const struct ph_heap *h, uint32_t v);

/* Kind name of a type id: "module.QualName", or the bare name for builtins. */
const char *ph_heap_type_name(const struct ph_heap *h, uint32_t type);

/* Kind name of an object's type. */
static inline const char *ph_heap_kind(const struct ph_heap *h, uint32_t id)
{
	return ph_heap_type_name(h, h->type[id]);
}

/* Native bytes object id owns (0 when it has none, or for a node id >= n_objects). */
static inline uint64_t ph_heap_native(const struct ph_heap *h, uint32_t id)
{
	return h->native && id < h->n_objects ? h->native[id] : 0;
}

/* What object id counts as its own for retained sizes: size + native, or size when Python-only. */
static inline uint64_t ph_heap_owned(const struct ph_heap *h, uint32_t id)
{
	return h->size[id] + (h->python_only ? 0 : ph_heap_native(h, id));
}

/* Name of a PH_FMT_NATIVE_* kind ("numpy", "values", ...; "other" for unknown ones). */
const char *ph_native_kind_name(unsigned kind);

/* The value of object id into *v (kind 0 when it has none). Pointers borrowed from h. */
void ph_heap_value(const struct ph_heap *h, uint32_t id, struct ph_value *v);

/* The wide value of edge e (when out_val[e] == PH_VAL_WIDE). */
uint64_t ph_heap_wide(const struct ph_heap *h, uint64_t e);

/* The last metadata record with this key, or NULL. */
const struct ph_heap_meta *ph_heap_meta(const struct ph_heap *h, const char *key);

/* The last unsigned metadata record with this key into *out; false if there is none. */
bool ph_heap_meta_uint(const struct ph_heap *h, const char *key, uint64_t *out);

/*
 * Why the dump has no allocation sites, written into b as a sentence with
 * what to do (tracemalloc off: PYTHONTRACEMALLOC=25), or NULL when it has
 * some.
 */
const char *ph_heap_sites_note(const struct ph_heap *h, struct ph_buf *b);

/* True when the type's kind name equals name (e.g. "dict", "module", "type"). */
bool ph_heap_type_is(const struct ph_heap *h, uint32_t type, const char *name);

/* Bytes of memory the heap holds (arrays and arenas). */
size_t ph_heap_memory(const struct ph_heap *h);

#endif
