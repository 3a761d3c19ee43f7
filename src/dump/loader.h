/* SPDX-License-Identifier: MIT */
/*
 * loader.h - loading pyheap's agent library into a target and unloading it,
 * on a hijacked thread of an injection session, without touching the
 * target's filesystem.
 *
 * Load: refuse a finalizing interpreter (Py_IsFinalizing, a plain read);
 * memfd_create() in the target (remote system call, close-on-exec); the
 * agent's bytes (carried inside pyheap, ph_agent_blob) are written into it
 * from outside through a copy of that fd (pidfd_getfd(2), or
 * /proc/PID/fd/N); dlopen("/proc/self/fd/N", RTLD_NOW); close the memfd in
 * the target (the mapping keeps the library alive); dlsym the two entry
 * points; write struct ph_agent_args into the session's scratch memory;
 * call pyheap_agent_start(args), which copies it and returns the agent's
 * state. The hijacked thread runs only libc and the agent's start function:
 * never Python.
 *
 * Unload: pyheap_agent_finish(state) (joins the agent thread; only once the
 * agent is DONE or FAILED, or it would block) then dlclose(handle).
 */
#ifndef PH_LOADER_H
#define PH_LOADER_H

#include <stdint.h>

#include "agent/agent.h"
#include "inject/inject.h"

struct ph_agent_handle {
	uint64_t handle; /* dlopen handle in the target */
	uint64_t state;  /* struct ph_agent_state * in the target */
	uint64_t finish; /* pyheap_agent_finish */
	uint64_t inode;  /* of the memfd: its mappings are the agent's */
};

/* The agent library's bytes, carried inside pyheap (agent_blob.S). */
extern const unsigned char ph_agent_blob[];
extern const unsigned char ph_agent_blob_end[];

/* The memfd's name, as /proc/PID/maps shows it ("/memfd:NAME (deleted)"). */
#define PH_AGENT_MEMFD_NAME "pyheap-agent"

/*
 * Load the agent and start it with args (api[], magic, abi and size are
 * filled in here from the target). pidfd: the target's pidfd, or -1.
 * Errors: PH_EFINALIZING, PH_EAGENT (with dlerror's text), and the
 * session's errors. On error nothing stays loaded.
 */
int ph_loader_load(struct ph_inject *in, int pidfd, struct ph_agent_args *args,
		   struct ph_agent_handle *out);

/* Call finish and dlclose. 0 or error. */
int ph_loader_unload(struct ph_inject *in, const struct ph_agent_handle *h);

#endif
