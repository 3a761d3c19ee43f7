/* SPDX-License-Identifier: MIT */
/*
 * format.h - on-disk constants of the .pyheap format, version 1.
 *
 * docs/format.md is the normative specification; this header mirrors it.
 * Every PH_FMT_* number is frozen: it is written to files and never changes
 * meaning. In-memory code may use its own enums but converts at this border.
 *
 * FILE HEADER (PH_FMT_HEADER_SIZE bytes)
 *   OFFSET SIZE
 *        0    8  magic PH_FMT_MAGIC
 *        8    2  major version
 *       10    2  minor version
 *       12    4  header size (32)
 *       16    8  file id (random, non-zero)
 *       24    8  XXH3-64 of bytes 0..23
 *
 * CHUNK HEADER (PH_FMT_CHUNK_HEADER_SIZE bytes)
 *   OFFSET SIZE
 *        0    4  "PHCK"
 *        4    4  kind (bit 31: must understand)
 *        8    1  encoding
 *        9    7  reserved, zero
 *       16    8  stored length
 *       24    8  raw length
 *       32    8  record count
 *       40    8  XXH3-64 of the stored payload
 *       48    8  XXH3-64 of header bytes 0..47
 *
 * TOC ENTRY (PH_FMT_TOC_ENTRY_SIZE bytes)
 *   OFFSET SIZE
 *        0    8  chunk offset
 *        8    4  kind
 *       12    1  encoding
 *       13    3  reserved, zero
 *       16    8  stored length
 *       24    8  raw length
 *       32    8  record count
 *       40    8  payload checksum
 *
 * TRAILER (PH_FMT_TRAILER_SIZE bytes, at the end of the file)
 *   OFFSET SIZE
 *        0    8  TOC chunk offset
 *        8    8  file id
 *       16    8  XXH3-64 of bytes 0..15
 *       24    8  end magic PH_FMT_END_MAGIC
 */
#ifndef PH_FORMAT_H
#define PH_FORMAT_H

#define PH_FMT_MAGIC     "\x89PYHEAP\n"
#define PH_FMT_END_MAGIC "\x89PHEND\n" /* 8 bytes with the terminating NUL */
#define PH_FMT_CHUNK_MAGIC "PHCK"

#define PH_FMT_MAJOR 1
#define PH_FMT_MINOR 1 /* 1.1: the NATIVE, TRACEBACKS and SITES chunk kinds */

#define PH_FMT_HEADER_SIZE       32
#define PH_FMT_CHUNK_HEADER_SIZE 56
#define PH_FMT_TOC_ENTRY_SIZE    48
#define PH_FMT_TRAILER_SIZE      32

/* Largest raw (decoded) payload of one chunk. */
#define PH_FMT_CHUNK_RAW_MAX ((uint64_t)64 << 20)
/*
 * Largest raw length for a compressed payload of n stored bytes: a heap does
 * not compress 1000-fold, and this bounds the work a small file can cause.
 */
#define PH_FMT_RATIO_MAX 1024
#define PH_FMT_RAW_FOR_STORED(n) ((n) * PH_FMT_RATIO_MAX + 4096)
/* Largest stored payload for a raw length n (zstd's worst case is below). */
#define PH_FMT_STORED_MAX(n) ((n) + (n) / 128 + 65536)

/* Chunk kinds. */
#define PH_FMT_KIND_META    1
#define PH_FMT_KIND_STRINGS 2
#define PH_FMT_KIND_TYPES   3
#define PH_FMT_KIND_OBJECTS 4
#define PH_FMT_KIND_EDGES   5
#define PH_FMT_KIND_THREADS 6
#define PH_FMT_KIND_ROOTS   7
#define PH_FMT_KIND_NATIVE  8 /* 1.1 */
#define PH_FMT_KIND_TRACEBACKS 9 /* 1.1: allocation tracebacks (tracemalloc) */
#define PH_FMT_KIND_SITES   10 /* 1.1: the traceback of each object that has one */
#define PH_FMT_KIND_TOC     15
/*
 * A kind is all 32 bits. Bit 31 set marks a kind that a reader which does
 * not know it must refuse rather than skip; every kind above has it clear, so
 * 0x80000004 is not OBJECTS but an unknown kind that must be understood.
 */
#define PH_FMT_KIND_MUST_UNDERSTAND 0x80000000u

/* Chunk encodings. */
#define PH_FMT_ENC_RAW  0
#define PH_FMT_ENC_ZSTD 1

/* Metadata value types. */
#define PH_FMT_META_STR     1
#define PH_FMT_META_INT     2
#define PH_FMT_META_UINT    3
#define PH_FMT_META_FLOAT   4
#define PH_FMT_META_BOOL    5
#define PH_FMT_META_STRLIST 6

/* Object flags. */
#define PH_FMT_OBJ_GC        0x01
#define PH_FMT_OBJ_VALUE     0x02
#define PH_FMT_OBJ_IMMORTAL  0x04
#define PH_FMT_OBJ_STATIC    0x08
#define PH_FMT_OBJ_KNOWN     0x0f

/* Value kinds and value flags. */
#define PH_FMT_VAL_STR    1
#define PH_FMT_VAL_BYTES  2
#define PH_FMT_VAL_INT    3
#define PH_FMT_VAL_BIGINT 4
#define PH_FMT_VAL_FLOAT  5
#define PH_FMT_VAL_BOOL   6
#define PH_FMT_VAL_NONE   7
#define PH_FMT_VAL_TEXT   8
#define PH_FMT_VAL_MAX    8

#define PH_FMT_VALF_TRUNCATED 0x01
#define PH_FMT_VALF_OMITTED   0x02
#define PH_FMT_VALF_KNOWN     0x03

/* Edge label kinds (low 4 bits of the tag) and edge flags. */
#define PH_FMT_LABEL_NONE     0
#define PH_FMT_LABEL_INDEX    1
#define PH_FMT_LABEL_ATTR     2
#define PH_FMT_LABEL_KEY      3
#define PH_FMT_LABEL_FIELD    4
#define PH_FMT_LABEL_KEYREF   5
#define PH_FMT_LABEL_ENTRY    6
#define PH_FMT_LABEL_INTERNAL 7
#define PH_FMT_LABEL_MAX      7
#define PH_FMT_LABEL_MASK     0x0f
#define PH_FMT_EDGE_WEAK      0x10
#define PH_FMT_EDGE_KNOWN     0x1f

/* Thread flags. */
#define PH_FMT_THREAD_DAEMON 0x01
#define PH_FMT_THREAD_MAIN   0x02
#define PH_FMT_THREAD_KNOWN  0x03

/*
 * What native bytes an object owns (NATIVE parts). Unknown values read as
 * OTHER; a part's kind is never 0.
 */
#define PH_FMT_NATIVE_NUMPY  1 /* numpy.ndarray data it owns (OWNDATA) */
#define PH_FMT_NATIVE_MMAP   2 /* mmap.mmap mapping (its length) */
#define PH_FMT_NATIVE_VALUES 3 /* 3.11+ instance values array (inline or separate) */
#define PH_FMT_NATIVE_OTHER  4 /* not written: kinds a reader does not know are read as this */
#define PH_FMT_NATIVE_MAX    4

/* Root kinds. */
#define PH_FMT_ROOT_MODULES 1
#define PH_FMT_ROOT_INTERP  2
#define PH_FMT_ROOT_THREAD  3
#define PH_FMT_ROOT_OTHER   4

#endif
