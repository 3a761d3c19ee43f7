/* SPDX-License-Identifier: MIT */
/*
 * codec.c - zstd chunk compression.
 */
#include "format/codec.h"

#include <stdlib.h>
#include <zstd.h>

#include "common/error.h"

static size_t zbound(void *ctx, size_t n)
{
	(void)ctx;
	return ZSTD_compressBound(n);
}

static int zcompress(void *ctx, const uint8_t *src, size_t n, uint8_t *dst, size_t cap,
		     size_t *out)
{
	size_t k = ZSTD_compress2(ctx, dst, cap, src, n);

	if (ZSTD_isError(k))
		return ph_error(PH_EIO, "zstd compression failed: %s", ZSTD_getErrorName(k));
	*out = k;
	return 0;
}

struct ph_codec *ph_zstd_codec_new(int level)
{
	struct ph_codec *c = calloc(1, sizeof(*c));
	ZSTD_CCtx *z;

	if (!c)
		return NULL;
	z = ZSTD_createCCtx();
	if (!z) {
		free(c);
		return NULL;
	}
	ZSTD_CCtx_setParameter(z, ZSTD_c_compressionLevel, level ? level : PH_ZSTD_DEFAULT_LEVEL);
	ZSTD_CCtx_setParameter(z, ZSTD_c_contentSizeFlag, 1);
	ZSTD_CCtx_setParameter(z, ZSTD_c_checksumFlag, 0);
	c->encoding = PH_FMT_ENC_ZSTD;
	c->bound = zbound;
	c->compress = zcompress;
	c->ctx = z;
	return c;
}

void ph_zstd_codec_free(struct ph_codec *c)
{
	if (!c)
		return;
	ZSTD_freeCCtx(c->ctx);
	free(c);
}
