/* SPDX-License-Identifier: MIT */
/*
 * addrmap.c - open-addressing map from addresses to values.
 */
#include "common/addrmap.h"

#include <stdlib.h>

#include "common/error.h"

static int rehash(struct ph_addrmap *m, size_t cap)
{
	struct ph_addrmap_slot *slots;
	size_t mask = cap - 1;

	if (cap > SIZE_MAX / sizeof(*slots))
		return ph_error(PH_ENOMEM, "address map of %zu slots is too large", cap);
	slots = calloc(cap, sizeof(*slots));
	if (!slots)
		return ph_error(PH_ENOMEM, "cannot allocate an address map of %zu slots", cap);
	for (size_t i = 0; m->slots && i <= m->mask; i++) {
		struct ph_addrmap_slot *s = &m->slots[i];
		size_t j;

		if (!s->key)
			continue;
		j = ph_mix64(s->key) & mask;
		while (slots[j].key)
			j = (j + 1) & mask;
		slots[j] = *s;
	}
	free(m->slots);
	m->slots = slots;
	m->mask = mask;
	return 0;
}

int ph_addrmap_reserve(struct ph_addrmap *m, size_t n)
{
	size_t cap = m->slots ? m->mask + 1 : 0;
	size_t want = 16;

	if (n <= cap / 2)
		return 0;
	while (want / 2 < n) {
		if (want > SIZE_MAX / 4)
			return ph_error(PH_ENOMEM, "address map of %zu entries is too large", n);
		want *= 2;
	}
	return rehash(m, want);
}

int ph_addrmap_put(struct ph_addrmap *m, uint64_t key, uint64_t value, bool *inserted,
		   uint64_t **slot_value)
{
	size_t i;
	int err;

	if (!key)
		return ph_error(PH_EINVAL, "address 0 cannot be a map key");
	err = ph_addrmap_reserve(m, m->count + 1);
	if (err)
		return err;
	i = ph_mix64(key) & m->mask;
	for (;;) {
		struct ph_addrmap_slot *s = &m->slots[i];

		if (s->key == key) {
			if (inserted)
				*inserted = false;
			if (slot_value)
				*slot_value = &s->value;
			return 0;
		}
		if (!s->key) {
			s->key = key;
			s->value = value;
			m->count++;
			if (inserted)
				*inserted = true;
			if (slot_value)
				*slot_value = &s->value;
			return 0;
		}
		i = (i + 1) & m->mask;
	}
}

void ph_addrmap_release(struct ph_addrmap *m)
{
	free(m->slots);
	m->slots = NULL;
	m->mask = 0;
	m->count = 0;
}

size_t ph_addrmap_memory(const struct ph_addrmap *m)
{
	return m->slots ? (m->mask + 1) * sizeof(*m->slots) : 0;
}
