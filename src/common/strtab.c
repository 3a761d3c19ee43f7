/* SPDX-License-Identifier: MIT */
/*
 * strtab.c - the string table of a .heapsnapshot (see strtab.h).
 */
#include "common/strtab.h"

#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/hash.h"

void ph_strtab_init(struct ph_strtab *t)
{
	memset(t, 0, sizeof(*t));
}

void ph_strtab_release(struct ph_strtab *t)
{
	ph_buf_release(&t->bytes);
	free(t->off);
	free(t->slots);
	free(t->hashes);
	memset(t, 0, sizeof(*t));
}

static int rehash(struct ph_strtab *t)
{
	size_t n_slots = t->n_slots ? t->n_slots * 2 : 1024;
	uint32_t *slots = calloc(n_slots, sizeof(*slots));

	if (!slots)
		return ph_error(PH_ENOMEM, "out of memory: string table of %zu strings", t->n);
	for (size_t i = 0; i < t->n; i++) {
		size_t s = t->hashes[i] & (n_slots - 1);

		while (slots[s])
			s = (s + 1) & (n_slots - 1);
		slots[s] = (uint32_t)i + 1;
	}
	free(t->slots);
	t->slots = slots;
	t->n_slots = n_slots;
	return 0;
}

int ph_strtab_add(struct ph_strtab *t, const void *str, size_t n, uint32_t *index)
{
	uint64_t h = ph_xxh3(str, n);
	size_t s;
	int err;

	if (!t->n_slots && (err = rehash(t)))
		return err;
	for (s = h & (t->n_slots - 1); t->slots[s]; s = (s + 1) & (t->n_slots - 1)) {
		size_t i = t->slots[s] - 1, len;
		const uint8_t *p;

		if (t->hashes[i] != h)
			continue;
		p = ph_strtab_get(t, i, &len);
		if (len == n && memcmp(p, str, n) == 0) {
			*index = (uint32_t)i;
			return 0;
		}
	}
	if (t->n >= UINT32_MAX - 1)
		return ph_error(PH_ELIMIT, "more than 2^32 distinct strings");
	if ((err = PH_ARRAY_RESERVE(t->off, t->cap_off, t->n + 2)))
		return err;
	if (!t->hashes || t->n % 1024 == 0) {
		uint64_t *hs = realloc(t->hashes, (t->n + 1024) * sizeof(*hs));

		if (!hs)
			return ph_error(PH_ENOMEM, "out of memory: string table of %zu strings", t->n);
		t->hashes = hs;
	}
	if ((err = ph_buf_put(&t->bytes, str, n)))
		return err;
	if (t->n == 0)
		t->off[0] = 0;
	t->off[t->n + 1] = t->bytes.len;
	t->hashes[t->n] = h;
	t->slots[s] = (uint32_t)t->n + 1;
	*index = (uint32_t)t->n++;
	if (t->n * 2 > t->n_slots)
		return rehash(t);
	return 0;
}
