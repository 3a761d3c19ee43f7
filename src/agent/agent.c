/* SPDX-License-Identifier: MIT */
/*
 * agent.c - entry points of the agent library loaded into the target (see
 * agent.h for the sequence). Only pyheap_agent_start and pyheap_agent_finish
 * are visible; everything else is hidden.
 *
 * This file is a skeleton: start/finish and the thread life cycle. The heap
 * walk is not written yet, so the agent fails with PH_EUNSUPPORTED.
 */
#include "agent/agent.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/error.h"

#define EXPORT __attribute__((visibility("default")))

struct agent {
	struct ph_agent_state state; /* first: its address is the agent's handle */
	struct ph_agent_args args;
};

static void *agent_main(void *p)
{
	struct agent *a = p;

	snprintf(a->state.message, sizeof(a->state.message), "the heap walk is not implemented");
	a->state.error = PH_EUNSUPPORTED;
	__atomic_store_n(&a->state.phase, PH_AGENT_FAILED, __ATOMIC_RELEASE);
	return NULL;
}

EXPORT struct ph_agent_state *pyheap_agent_start(const struct ph_agent_args *args);
EXPORT int pyheap_agent_finish(struct ph_agent_state *state);

struct ph_agent_state *pyheap_agent_start(const struct ph_agent_args *args)
{
	sigset_t all, old;
	pthread_attr_t attr;
	pthread_t th;
	struct agent *a;
	int err;

	if (!args || args->magic != PH_AGENT_MAGIC || args->abi != PH_AGENT_ABI ||
	    args->size != sizeof(*args))
		return NULL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->args = *args;
	a->state.magic = PH_AGENT_MAGIC;
	a->state.abi = PH_AGENT_ABI;
	a->state.phase = PH_AGENT_STARTING;
	a->state.pipe_fd = -1;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&attr);
	err = pthread_create(&th, &attr, agent_main, a);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		free(a);
		return NULL;
	}
	a->state.thread = (uint64_t)th;
	return &a->state;
}

int pyheap_agent_finish(struct ph_agent_state *state)
{
	struct agent *a = (struct agent *)state;

	if (!a || a->state.magic != PH_AGENT_MAGIC)
		return PH_EINVAL;
	pthread_join((pthread_t)a->state.thread, NULL);
	a->state.magic = 0;
	free(a);
	return 0;
}
