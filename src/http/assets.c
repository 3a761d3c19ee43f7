/* SPDX-License-Identifier: MIT */
/*
 * assets.c - lookup of the embedded browser app (see assets.h).
 */
#include "http/assets.h"

#include <string.h>

const struct ph_asset *ph_asset_find(const char *path)
{
	for (const struct ph_asset *a = ph_web_assets; a->path; a++)
		if (!strcmp(a->path, path))
			return a;
	return NULL;
}
