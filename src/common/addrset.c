/* SPDX-License-Identifier: MIT */
/*
 * addrset.c - open-addressing set of addresses.
 */
#include "common/addrset.h"

#include <stdlib.h>

#include "common/error.h"

static int rehash(struct ph_addrset *s, size_t cap)
{
	uint64_t *slots;
	size_t mask = cap - 1;

	slots = calloc(cap, sizeof(*slots));
	if (!slots)
		return ph_error(PH_ENOMEM, "cannot allocate an address set of %zu slots", cap);
	for (size_t i = 0; s->slots && i <= s->mask; i++) {
		uint64_t k = s->slots[i];
		size_t j;

		if (!k)
			continue;
		for (j = ph_mix64(k) & mask; slots[j]; j = (j + 1) & mask)
			;
		slots[j] = k;
	}
	free(s->slots);
	s->slots = slots;
	s->mask = mask;
	return 0;
}

int ph_addrset_reserve(struct ph_addrset *s, size_t n)
{
	size_t cap = s->slots ? s->mask + 1 : 0;
	size_t want = 16;

	if (n <= cap / 2)
		return 0;
	while (want / 2 < n) {
		if (want > SIZE_MAX / 16)
			return ph_error(PH_ENOMEM, "address set of %zu keys is too large", n);
		want *= 2;
	}
	return rehash(s, want);
}

int ph_addrset_add(struct ph_addrset *s, uint64_t key, bool *fresh)
{
	size_t i;
	int err;

	if (!key)
		return ph_error(PH_EINVAL, "address 0 cannot be in an address set");
	err = ph_addrset_reserve(s, s->count + 1);
	if (err)
		return err;
	for (i = ph_mix64(key) & s->mask; s->slots[i]; i = (i + 1) & s->mask) {
		if (s->slots[i] == key) {
			if (fresh)
				*fresh = false;
			return 0;
		}
	}
	s->slots[i] = key;
	s->count++;
	if (fresh)
		*fresh = true;
	return 0;
}

int ph_addrset_add_concurrent(struct ph_addrset *s, uint64_t key, bool *fresh)
{
	size_t i, probes = 0;

	if (!key)
		return ph_error(PH_EINVAL, "address 0 cannot be in an address set");
	if (!s->slots)
		return ph_error(PH_ELIMIT, "the address set has no room");
	for (i = ph_mix64(key) & s->mask;; i = (i + 1) & s->mask) {
		uint64_t cur = __atomic_load_n(&s->slots[i], __ATOMIC_RELAXED);

		if (cur == 0) {
			uint64_t expected = 0;

			if (__atomic_compare_exchange_n(&s->slots[i], &expected, key, false,
							__ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
				*fresh = true;
				return 0;
			}
			cur = expected; /* another thread took the slot: look at what it put */
		}
		if (cur == key) {
			*fresh = false;
			return 0;
		}
		if (++probes > s->mask)
			return ph_error(PH_ELIMIT, "the address set is full");
	}
}

void ph_addrset_release(struct ph_addrset *s)
{
	free(s->slots);
	s->slots = NULL;
	s->mask = 0;
	s->count = 0;
}
