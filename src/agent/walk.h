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
/*
 * The fork guard (agent.c): held across every fork() of the target while the
 * agent is loaded. The agent holds it for moments only: while it makes its
 * thread state on 3.8-3.12 (walk.c) and while it opens or closes its pipe,
 * whose ends a forked child closes at once (agent.c).
 */
void ph_fork_guard_lock(void);
void ph_fork_guard_unlock(void);

int ph_agent_dump(const struct ph_agent_args *args, struct ph_agent_state *state,
		  const struct ph_sink *sink);

#endif
