/* SPDX-License-Identifier: MIT */
/*
 * codec.h - the zstd chunk compressor for struct ph_writer (not linked into
 * the agent, which writes raw chunks).
 *
 * ph_zstd_codec_new() returns a codec that owns a ZSTD_CCtx; free it with
 * ph_zstd_codec_free(). One codec serves one writer at a time.
 */
#ifndef PH_CODEC_H
#define PH_CODEC_H

#include "format/writer.h"

/* level: zstd compression level (1..19); 0 picks pyheap's default. NULL on failure. */
struct ph_codec *ph_zstd_codec_new(int level);
void ph_zstd_codec_free(struct ph_codec *c);

#define PH_ZSTD_DEFAULT_LEVEL 3

#endif
