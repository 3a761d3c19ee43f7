/* SPDX-License-Identifier: MIT */
/*
 * assets.h - the browser app's files, embedded in the binary.
 *
 * `make` builds web/ with esbuild into $(BUILD)/web and writes
 * $(BUILD)/gen/web_assets.c, which defines ph_web_assets[]: one entry per
 * file, named by its URL path ("/assets/app.js"), ending with an entry
 * whose path is NULL. Nothing else is served from the file system.
 */
#ifndef PH_HTTP_ASSETS_H
#define PH_HTTP_ASSETS_H

#include <stddef.h>

struct ph_asset {
	const char *path; /* URL path */
	const char *type; /* Content-Type */
	const unsigned char *data;
	size_t size;
};

extern const struct ph_asset ph_web_assets[];

/* The asset at URL path, or NULL. */
const struct ph_asset *ph_asset_find(const char *path);

#endif
