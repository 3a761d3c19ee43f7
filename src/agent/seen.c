/* SPDX-License-Identifier: MIT */
/*
 * seen.c - the walk's set of addresses (see seen.h).
 */
#include "agent/seen.h"

#include <stdlib.h>

#include "common/error.h"

/* Fibonacci hashing: the top bits of the product, as many as the table needs. */
static inline size_t slot_of(uint64_t addr, unsigned shift)
{
	return (size_t)((addr * 0x9e3779b97f4a7c15ULL) >> shift);
}

static int resize(struct ph_seen *s, size_t cap)
{
	uint64_t *slots = calloc(cap, sizeof(*slots));
	unsigned shift = 64 - (unsigned)__builtin_ctzll((unsigned long long)cap);

	if (!slots)
		return ph_error(PH_ENOMEM, "agent: cannot allocate a set of %zu addresses", cap);
	for (size_t i = 0; s->slots && i <= s->mask; i++) {
		uint64_t a = s->slots[i];
		size_t j;

		if (!a)
			continue;
		for (j = slot_of(a, shift); slots[j]; j = (j + 1) & (cap - 1))
			;
		slots[j] = a;
	}
	free(s->slots);
	s->slots = slots;
	s->mask = cap - 1;
	s->shift = shift;
	s->limit = cap / 4 * 3;
	return 0;
}

int ph_seen_init(struct ph_seen *s, size_t n)
{
	size_t cap = 1024;

	s->slots = NULL;
	s->mask = 0;
	s->count = 0;
	s->limit = 0;
	while (cap / 4 * 3 <= n && cap < ((size_t)1 << 40))
		cap *= 2;
	return resize(s, cap);
}

int ph_seen_add(struct ph_seen *s, uint64_t addr, bool *added)
{
	size_t i;

	if (s->count >= s->limit) {
		int err = resize(s, (s->mask + 1) * 2);

		if (err)
			return err;
	}
	for (i = slot_of(addr, s->shift); s->slots[i]; i = (i + 1) & s->mask) {
		if (s->slots[i] == addr) {
			if (added)
				*added = false;
			return 0;
		}
	}
	s->slots[i] = addr;
	s->count++;
	if (added)
		*added = true;
	return 0;
}

bool ph_seen_has(const struct ph_seen *s, uint64_t addr)
{
	if (!s->slots)
		return false;
	for (size_t i = slot_of(addr, s->shift); s->slots[i]; i = (i + 1) & s->mask)
		if (s->slots[i] == addr)
			return true;
	return false;
}

void ph_seen_release(struct ph_seen *s)
{
	free(s->slots);
	s->slots = NULL;
	s->mask = s->count = s->limit = 0;
}

size_t ph_seen_memory(const struct ph_seen *s)
{
	return s->slots ? (s->mask + 1) * sizeof(*s->slots) : 0;
}
