/* SPDX-License-Identifier: MIT */
/*
 * top.c - selecting the largest retainers (see top.h): the first page of
 * the objects in retained order (objects.h), which does the selection.
 */
#include "analyze/top.h"

#include "analyze/objects.h"

int ph_top_objects(const struct ph_analysis *a, size_t n, const char *kind, uint32_t **out,
		   size_t *count)
{
	struct ph_objects_query q = {PH_SORT_RETAINED, PH_BY_TYPE, kind, NULL, 0, n};
	struct ph_objects_page page;
	int err = ph_objects_query(a, &q, &page);

	*out = page.ids;
	*count = page.n;
	return err;
}
