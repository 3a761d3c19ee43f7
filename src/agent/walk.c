/* SPDX-License-Identifier: MIT */
/*
 * walk.c - the heap walk (to be written): for now the agent writes a valid
 * stream that holds only the target's Python version, so that the dumper's
 * side can be exercised end to end.
 */
#include "agent/walk.h"

#include <string.h>

#include "common/error.h"

int ph_agent_dump(const struct ph_agent_args *args, struct ph_agent_state *state,
		  const struct ph_sink *sink)
{
	const char *(*get_version)(void) = (const char *(*)(void))(uintptr_t)args->api[PH_API_Py_GetVersion];
	struct ph_writer w;
	int err;

	err = ph_writer_open(&w, sink, NULL);
	if (!err && get_version)
		err = ph_writer_meta_str(&w, "python_version", get_version());
	if (!err)
		err = ph_writer_close(&w);
	ph_writer_release(&w);
	return err;
}
