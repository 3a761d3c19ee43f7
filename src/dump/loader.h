/* SPDX-License-Identifier: MIT */
/*
 * loader.h - loading pyheap's agent library into a target and unloading it,
 * on the taken thread of an injection session, without leaving anything in
 * the target's filesystem.
 *
 * Load: one remote call, dlopen("/.pyheap-agent-PID-NONCE.so", RTLD_NOW), of
 * a path that does not exist. At the entry stop of dlopen's own openat() of
 * that path, the system call is rewritten into memfd_create("pyheap-agent",
 * MFD_CLOEXEC | MFD_EXEC); at its exit stop the agent's bytes (carried
 * inside pyheap, ph_agent_blob) are written into the new fd from outside
 * (pidfd_getfd(2), or /proc/PID/fd/N): all but the first page, then the
 * first page. The fd is dlopen's own: it maps the library and closes it, on
 * failure too. So no fd of pyheap's is ever left in the target, whenever
 * pyheap dies: before the rewrite, dlopen finds no such file; before the
 * ELF header is written, it refuses the file; after, it loads it (and the
 * agent, never started, is inert until the next dump unloads it). Nothing
 * is written to the target's filesystem and no /proc is needed in its root.
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
