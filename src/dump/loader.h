/* SPDX-License-Identifier: MIT */
/*
 * loader.h - loading pyheap's agent library into a target and unloading it,
 * on the taken thread of an injection session, without leaving anything in
 * the target's filesystem.
 *
 * Load: memfd_create() in the target (a remote system call, close-on-exec);
 * the agent's bytes (carried inside pyheap, ph_agent_blob) are written into
 * it from outside through a copy of that fd (pidfd_getfd(2), or
 * /proc/PID/fd/N); dlopen("/proc/self/fd/N", RTLD_NOW); close the memfd in
 * the target (the mapping keeps the library alive). A target whose root has
 * no /proc mounted (a bare chroot) cannot open that path: there the bytes
 * go into a file created from outside in a writable directory of its root
 * (/dev/shm, /tmp, /var/tmp, /run: the first where dlopen works), which is
 * unlinked as soon as dlopen returns.
 *
 * No call's return value is visible (remote.h): dlopen's success is its
 * mapping in /proc/PID/maps (by the file's inode), its handle for dlclose
 * is the link_map with that load address in the loader's list (_r_debug),
 * the entry points are found from the agent's own ELF symbols and that
 * address, a failure's text is read from glibc's dlerror state (TLS) or
 * told from the failing system call, and pyheap_agent_start() writes the
 * state's address into its arguments. The interpreter's finalizing state
 * is checked by the agent (PH_EFINALIZING through its state).
 *
 * Agents left by dumps that were killed are found from outside
 * (ph_loader_find_stale) and unloaded at the start of the next load, once
 * their thread has ended.
 *
 * Unload: pyheap_agent_finish(state, &result) (joins the agent thread; only
 * once the agent is DONE or FAILED and its thread has exited, or it would
 * block) then dlclose(handle).
 */
#ifndef PH_LOADER_H
#define PH_LOADER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "agent/agent.h"
#include "inject/inject.h"

struct ph_agent_handle {
	uint64_t handle; /* the link_map in the target: dlclose's argument */
	uint64_t base;   /* load address */
	uint64_t state;  /* struct ph_agent_state * in the target, 0 if none */
	uint64_t finish; /* pyheap_agent_finish */
	uint64_t inode;  /* of the file it was loaded from: its mappings are the agent's */
};

/* An agent a killed dump left loaded, as seen from outside. */
struct ph_stale_agent {
	struct ph_agent_handle h; /* handle 0 until the load session finds it */
	bool same_build;          /* the very agent this pyheap carries (else left alone) */
	pid_t tid;                /* its thread, 0 if none */
	bool running;             /* that thread still exists */
};

#define PH_MAX_STALE 8

/* The agent library's bytes, carried inside pyheap (agent_blob.S). */
extern const unsigned char ph_agent_blob[];
extern const unsigned char ph_agent_blob_end[];

/* The memfd's name, as /proc/PID/maps shows it ("/memfd:NAME (deleted)"). */
#define PH_AGENT_MEMFD_NAME "pyheap-agent"

/* Agents mapped in the target by earlier dumps: v[0..*n), at most PH_MAX_STALE. */
int ph_loader_find_stale(struct ph_target *t, struct ph_stale_agent *v, size_t *n);

/*
 * Unload the stale agents of v[0..n) that are this build's and have no
 * thread, then load the agent and start it with args (api[], magic, abi and
 * size are filled in here from the target). pidfd: the target's pidfd, or
 * -1. Errors: PH_EAGENT (with dlerror's text or the failing system call),
 * and the session's errors. On error nothing of this load stays loaded.
 * *unloaded counts the stale agents unloaded.
 */
int ph_loader_load(struct ph_inject *in, int pidfd, struct ph_agent_args *args,
		   struct ph_stale_agent *stale, size_t nstale, size_t *unloaded,
		   struct ph_agent_handle *out);

/* Call finish (if there is a state) and dlclose. 0 or error. */
int ph_loader_unload(struct ph_inject *in, const struct ph_agent_handle *h);

/* Whether the agent's file (h->inode) is still mapped in the target (maps refreshed here). */
bool ph_loader_mapped(struct ph_target *t, const struct ph_agent_handle *h);

#endif
