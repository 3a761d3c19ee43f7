/* SPDX-License-Identifier: MIT */
/*
 * The agent's per-version tables (agent/layout.c): one for every version of
 * the supported range (agent.h), complete, and the tables of one minor
 * version (patch-release layouts) agreeing on their capabilities. Whether
 * their numbers are right is scripts/pyoffsets --check's job (headers) and
 * py.c's (the live interpreter).
 */
#include <criterion/criterion.h>

#include "agent/agent.h"
#include "agent/layout.c"

Test(agent_layout, one_table_per_supported_version)
{
	cr_assert_null(ph_layout_find(PH_PY_MINOR_MIN - 1));
	cr_assert_null(ph_layout_find(PH_PY_MINOR_MAX + 1));
	for (int minor = PH_PY_MINOR_MIN; minor <= PH_PY_MINOR_MAX; minor++) {
		const struct ph_layout *L = ph_layout_find(minor);

		cr_assert_not_null(L, "3.%d", minor);
		for (; L; L = ph_layout_next(L)) {
			cr_assert_eq(L->version, 0x03000000 | minor << 16);
			cr_assert(L->seen && *L->seen);
			cr_assert(L->rt && L->is && L->gc && L->ts && L->fo && L->co && L->fn && L->ht &&
					  L->dict && L->str && L->obj && L->caps,
				  "3.%d (%s)", minor, L->seen);
			/* interpreter frames exactly where the frames are not frame objects */
			cr_assert_eq(L->ifr != NULL, L->caps->frames != PH_FRAMES_OBJECTS);
			/* py.c checks _Py_DebugOffsets' frame offsets against the table's */
			cr_assert(!L->dbg || L->ifr);
			/* the GC state is found somewhere */
			cr_assert((L->rt->gc >= 0) != (L->is->gc >= 0));
			cr_assert(L->gc->generations >= 0 && L->gc->generation0 >= 0 &&
				  L->gc->permanent >= 0 && L->gc->collecting >= 0);
			cr_assert_eq(ph_layout_find(minor)->caps, L->caps,
				     "3.%d: the tables of one minor version share their capabilities",
				     minor);
		}
	}
}

Test(agent_layout, capabilities_never_go_back)
{
	const struct ph_caps *prev = NULL;

	for (int minor = PH_PY_MINOR_MIN; minor <= PH_PY_MINOR_MAX; minor++) {
		const struct ph_caps *c = ph_layout_find(minor)->caps;

		if (prev) {
			cr_assert_geq(c->frames, prev->frames, "3.%d", minor);
			cr_assert_geq(c->inst_dict, prev->inst_dict, "3.%d", minor);
			cr_assert_geq(c->preheader, prev->preheader, "3.%d", minor);
			cr_assert(c->immortal >= prev->immortal && c->long_tag >= prev->long_tag &&
					  c->stackrefs >= prev->stackrefs &&
					  c->fork_head_lock >= prev->fork_head_lock,
				  "3.%d", minor);
		}
		prev = c;
	}
}
