/* SPDX-License-Identifier: MIT */
/*
 * records.h - the in-memory form of the records of a .pyheap file, shared by
 * the writer (which encodes them) and the reader (which decodes them).
 *
 * Strings are named by "sref": 0 means none, n means string n-1 of the
 * STRINGS section. Pointers inside records are borrowed: for the writer they
 * need only live for the call; for the reader they point into the decoded
 * chunk and live until the next chunk is loaded.
 */
#ifndef PH_RECORDS_H
#define PH_RECORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "format/format.h"

struct ph_value {
	uint8_t kind;  /* PH_FMT_VAL_*, 0 for "no value" */
	uint8_t flags; /* PH_FMT_VALF_* */
	uint8_t sign;  /* big int: 1 if negative */
	uint64_t length; /* str: code points; bytes: bytes; big int: bits */
	const uint8_t *data; /* str/bytes/text/big int payload */
	uint64_t data_len;
	int64_t i;     /* int */
	double f;      /* float */
	bool b;        /* bool */
};

struct ph_type_rec {
	uint64_t address;
	uint64_t module;   /* sref */
	uint64_t qualname; /* sref */
	uint64_t base;     /* type id + 1, 0 for none */
	uint64_t basicsize;
	uint64_t itemsize;
	uint64_t flags; /* tp_flags */
};

struct ph_object_rec {
	uint64_t address;
	uint64_t type; /* type id */
	uint64_t size;
	uint64_t refcount;
	uint8_t flags; /* PH_FMT_OBJ_*; PH_FMT_OBJ_VALUE is set by the writer from value.kind */
	struct ph_value value;
};

struct ph_edge_rec {
	uint64_t target;
	uint8_t kind;  /* PH_FMT_LABEL_* */
	uint8_t flags; /* PH_FMT_EDGE_WEAK */
	uint64_t label; /* index, sref, or (attr/key/entry) an address */
};

struct ph_local_rec {
	uint64_t name; /* sref */
	uint64_t address;
};

struct ph_frame_rec {
	uint64_t function; /* sref */
	uint64_t filename; /* sref */
	uint64_t line;
	uint64_t code;  /* address or 0 */
	uint64_t frame; /* frame object address or 0 */
	uint64_t n_locals;
	const struct ph_local_rec *locals;
};

struct ph_thread_rec {
	uint64_t ident;
	uint64_t native_id;
	uint64_t name; /* sref */
	uint8_t flags; /* PH_FMT_THREAD_* */
	uint64_t n_frames;
	const struct ph_frame_rec *frames;
};

struct ph_root_rec {
	uint8_t kind;   /* PH_FMT_ROOT_* */
	uint64_t label; /* sref */
	uint64_t address;
};

/* A frame of an allocation traceback. */
struct ph_site_frame {
	uint64_t filename; /* sref */
	uint64_t line;
};

/* TRACEBACKS: where memory was allocated, the most recent call first (tracemalloc's order). */
struct ph_traceback_rec {
	uint64_t n_frames; /* at least 1 */
	const struct ph_site_frame *frames;
};

/* SITES: object id, allocated at traceback id. */
struct ph_site_rec {
	uint64_t object;
	uint64_t traceback;
};

/* A NATIVE record: the native bytes object id owns, in parts of distinct kinds (increasing). */
struct ph_native_part {
	uint8_t what; /* PH_FMT_NATIVE_* (unknown kinds kept as read) */
	uint64_t bytes;
};

#define PH_NATIVE_PARTS_MAX 255 /* kinds are 1..255 and strictly increase in a record */

struct ph_native_rec {
	uint64_t id;    /* object id */
	uint64_t total; /* sum of the parts' bytes (checked not to wrap) */
	uint32_t n_parts;
	struct ph_native_part parts[PH_NATIVE_PARTS_MAX];
};

struct ph_meta_rec {
	const uint8_t *key;
	uint64_t key_len;
	uint8_t type; /* PH_FMT_META_* */
	const uint8_t *value; /* encoded value bytes (see docs/format.md) */
	uint64_t value_len;
	/* decoded for the scalar types: */
	int64_t i;
	uint64_t u;
	double f;
};

#endif
