/* SPDX-License-Identifier: MIT */
/*
 * walk.h - the agent's dump: everything between "the output is ready" and
 * "the stream is complete", run on the agent thread (see agent.h).
 */
#ifndef PH_AGENT_WALK_H
#define PH_AGENT_WALK_H

#include "agent/agent.h"
#include "format/writer.h"

/*
 * Write a complete raw .pyheap stream of the target's heap to sink. Takes and
 * releases the GIL itself, disables the cyclic GC while it holds it and
 * restores the GC's state. Updates state->objects and state->pause_ns and
 * state->gil_wait_ns as it goes, and stops with PH_EINTR soon after
 * state->cancel is set. Returns 0 or a PH_E* code with a detail.
 */
int ph_agent_dump(const struct ph_agent_args *args, struct ph_agent_state *state,
		  const struct ph_sink *sink);

#endif
