/* SPDX-License-Identifier: MIT */
/*
 * nodeid.h - stable 32-bit node ids for a .heapsnapshot.
 *
 * DevTools matches objects between two snapshots by node id, so an object
 * must keep its id from one dump of a process to the next. An id is derived
 * from a key of two 64-bit words (an object's address and its type's
 * address; a thread's ident; a frame's thread, depth and code): its home id
 * is a hash of the key mapped onto the odd (objects, as V8 numbers heap
 * objects) or even (threads and frames) numbers from PH_NODEID_FIRST to
 * 2^32 - 1. Ids below PH_NODEID_FIRST are left to the fixed synthetic nodes.
 *
 * Two keys with the same home id are resolved by ordered linear probing
 * (Amble and Knuth, 1974): an id goes to the smaller key (by address, then
 * type), the other one tries the next id of its parity, and so on. The ids
 * are then the same whatever order the keys come in - the same as giving
 * them out in increasing key order - so an object keeps its id in another
 * dump unless another object collides with it there. Expected collisions:
 * about n^2 / 2^32 (230 at 1M objects, 23,000 at 10M).
 *
 * Memory: the ids (4 bytes a node) and, while assigning, a hash table of
 * node indices keyed by id (4 bytes a slot, at most half full).
 */
#ifndef PH_EXPORT_NODEID_H
#define PH_EXPORT_NODEID_H

#include <stdint.h>

#define PH_NODEID_FIRST 1000u

/* The key of node i (i < n), into k[0], k[1]. */
typedef void ph_nodeid_key_fn(const void *ctx, uint32_t i, uint64_t k[2]);

/*
 * Give ids[0..n) ids of the given parity (1 odd, 0 even), unique among
 * themselves, by the keys key() returns. 0 or PH_ENOMEM.
 */
int ph_nodeids_assign(uint32_t *ids, uint32_t n, unsigned parity, ph_nodeid_key_fn *key,
		      const void *ctx);

/* The home id of a key, and the id probed after id (both of the given parity). */
uint32_t ph_nodeid_home(const uint64_t k[2], unsigned parity);
uint32_t ph_nodeid_next(uint32_t id, unsigned parity);

#endif
