/* SPDX-License-Identifier: MIT */
/*
 * The agent's in-place readers of str and int objects (agent/values.c) and
 * its seen set (agent/seen.c), on objects laid out by hand in this process
 * as CPython 3.10 and 3.12 lay them out. The agent's sources are compiled
 * into this test directly: they are not part of libpyheap.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "agent/layout.c"
#include "agent/seen.c"
#include "agent/values.c"

/* A fake type object whose metatype is a type, with the given tp_flags. */
static _Alignas(16) uint8_t meta[512], str_type[512], int_type[512];

static void init_types(void)
{
	uintptr_t m = (uintptr_t)meta;
	unsigned long f;

	memset(meta, 0, sizeof(meta));
	memcpy(meta + PH_OFF_TYPE, &m, 8);
	f = PH_TPF_TYPE_SUBCLASS;
	memcpy(meta + PH_OFF_TP_FLAGS, &f, 8);
	memcpy(str_type + PH_OFF_TYPE, &m, 8);
	f = PH_TPF_UNICODE_SUBCLASS;
	memcpy(str_type + PH_OFF_TP_FLAGS, &f, 8);
	memcpy(int_type + PH_OFF_TYPE, &m, 8);
	f = PH_TPF_LONG_SUBCLASS;
	memcpy(int_type + PH_OFF_TP_FLAGS, &f, 8);
}

static struct ph_py fake_py(int minor)
{
	struct ph_py py;

	memset(&py, 0, sizeof(py));
	py.hexversion = 0x03000000u | (unsigned)minor << 16;
	py.L = ph_layout_find(minor);
	cr_assert_not_null(py.L);
	py.caps = py.L->caps;
	py.digit_size = 4;
	py.digit_bits = 30;
	return py;
}

/* A compact str of len code points of the given kind (1, 2, 4). */
static uintptr_t make_str(const struct ph_py *py, const void *cps, size_t len, unsigned kind,
			  bool ascii)
{
	size_t head = ascii ? (size_t)py->L->str->ascii_size : (size_t)py->L->str->compact_size;
	uint8_t *o = aligned_alloc(16, (head + (len + 1) * kind + 15) / 16 * 16);
	uintptr_t t = (uintptr_t)str_type;
	int64_t n = (int64_t)len;
	uint32_t state = (kind << 2) | (1u << 5) | (ascii ? 1u << 6 : 0) | (1u << 7);

	memset(o, 0, head);
	memcpy(o + PH_OFF_TYPE, &t, 8);
	memcpy(o + PH_OFF_STR_LENGTH, &n, 8);
	memcpy(o + PH_OFF_STR_STATE, &state, 4);
	memcpy(o + head, cps, len * kind);
	memset(o + head + len * kind, 0, kind);
	return (uintptr_t)o;
}

static void check_utf8(uintptr_t o, const struct ph_py *py, size_t cap, const char *want,
		       bool want_trunc)
{
	struct ph_str s;
	struct ph_buf b = PH_BUF_INIT;
	const uint8_t *data;
	size_t len;
	bool trunc;

	ph_str_read(py, o, &s);
	cr_assert_eq(ph_str_utf8(&s, cap, &b, &data, &len, &trunc), 0);
	cr_assert_eq(len, strlen(want), "cap %zu: %zu bytes", cap, len);
	cr_assert(memcmp(data, want, len) == 0, "cap %zu", cap);
	cr_assert_eq(trunc, want_trunc, "cap %zu", cap);
	ph_buf_release(&b);
}

Test(agent_values, ascii_prefix_borrowed_from_the_object)
{
	struct ph_py py = fake_py(12);
	uintptr_t o;
	struct ph_str s;

	init_types();
	o = make_str(&py, "hello", 5, 1, true);
	check_utf8(o, &py, 100, "hello", false);
	check_utf8(o, &py, 3, "hel", true);
	check_utf8(o, &py, 0, "", true);
	ph_str_read(&py, o, &s);
	cr_assert_eq(s.data, (const void *)(o + (uintptr_t)py.L->str->ascii_size));
	cr_assert(ph_str_eq(&py, o, "hello"));
	cr_assert(!ph_str_eq(&py, o, "hell"));
	cr_assert_eq(ph_str_sizeof(&py, o), 40 + 5 + 1);
	free((void *)o);
}

Test(agent_values, latin1_ucs2_ucs4_and_surrogates_whole_code_points)
{
	struct ph_py py = fake_py(12);
	const uint8_t latin1[] = {'h', 0xe9, 'l'};
	const uint16_t ucs2[] = {0x65e5, 0xdcff, 'x'};
	const uint32_t ucs4[] = {'a', 0x1f600, 'b'};
	uintptr_t o;

	init_types();
	o = make_str(&py, latin1, 3, 1, false);
	check_utf8(o, &py, 16, "h\xc3\xa9l", false);
	check_utf8(o, &py, 2, "h", true); /* the 2-byte é does not fit after h */
	check_utf8(o, &py, 3, "h\xc3\xa9", true);
	cr_assert_eq(ph_str_sizeof(&py, o), 56 + 4 * 1);
	free((void *)o);
	o = make_str(&py, ucs2, 3, 2, false);
	check_utf8(o, &py, 16, "\xe6\x97\xa5\xed\xb3\xbfx", false); /* lone surrogate: WTF-8 */
	check_utf8(o, &py, 5, "\xe6\x97\xa5", true);
	cr_assert_eq(ph_str_sizeof(&py, o), 56 + 4 * 2);
	free((void *)o);
	o = make_str(&py, ucs4, 3, 4, false);
	check_utf8(o, &py, 16, "a\xf0\x9f\x98\x80" "b", false);
	check_utf8(o, &py, 4, "a", true);
	cr_assert_eq(ph_str_sizeof(&py, o), 56 + 4 * 4);
	free((void *)o);
}

Test(agent_values, str_size_counts_a_cached_utf8_copy)
{
	struct ph_py py = fake_py(10);
	const uint8_t latin1[] = {'h', 0xe9};
	uintptr_t o, u;

	init_types();
	o = make_str(&py, latin1, 2, 1, false);
	cr_assert_eq(ph_str_sizeof(&py, o), 72 + 3);
	u = (uintptr_t) "h\xc3\xa9";
	memcpy((void *)(o + (uintptr_t)py.L->str->utf8), &u, 8);
	*(int64_t *)(o + (uintptr_t)py.L->str->utf8_length) = 3;
	cr_assert_eq(ph_str_sizeof(&py, o), 72 + 3 + 4);
	free((void *)o);
}

/* An int of the given 30-bit digits (least significant first). */
static uintptr_t make_int(const struct ph_py *py, const uint32_t *d, size_t n, bool negative)
{
	uint8_t *o = aligned_alloc(16, (32 + 4 * (n + 1) + 15) / 16 * 16);
	uintptr_t t = (uintptr_t)int_type;
	uint64_t word;

	memset(o, 0, 32);
	memcpy(o + PH_OFF_TYPE, &t, 8);
	if (py->caps->long_tag)
		word = (uint64_t)n << 3 | (n == 0 ? 1 : negative ? 2 : 0);
	else
		word = negative ? (uint64_t) - (int64_t)n : (uint64_t)n;
	memcpy(o + PH_OFF_SIZE, &word, 8);
	if (n)
		memcpy(o + PH_OFF_LONG_DIGITS, d, 4 * n);
	return (uintptr_t)o;
}

Test(agent_values, ints_in_both_layouts)
{
	for (int minor = 10; minor <= 12; minor += 2) {
		struct ph_py py = fake_py(minor);
		const uint32_t one[] = {1};
		const uint32_t min64[] = {0, 0, 8};                 /* 2**63 */
		const uint32_t big[] = {5, 0, 16};                  /* 2**64 + 5 */
		struct ph_buf b = PH_BUF_INIT;
		struct ph_int v;
		bool trunc;
		uintptr_t o;

		init_types();
		o = make_int(&py, NULL, 0, false);
		ph_int_read(&py, o, &v);
		cr_assert(v.fits && v.value == 0 && v.bits == 0);
		cr_assert_eq(ph_int_sizeof(&py, o), minor >= 11 ? 28u : 24u);
		free((void *)o);
		o = make_int(&py, one, 1, true);
		ph_int_read(&py, o, &v);
		cr_assert(v.fits && v.value == -1);
		free((void *)o);
		o = make_int(&py, min64, 3, true);
		ph_int_read(&py, o, &v);
		cr_assert(v.fits && v.value == INT64_MIN, "minor %d", minor);
		free((void *)o);
		o = make_int(&py, min64, 3, false);
		ph_int_read(&py, o, &v);
		cr_assert(!v.fits && v.bits == 64);
		free((void *)o);
		o = make_int(&py, big, 3, false);
		ph_int_read(&py, o, &v);
		cr_assert(!v.fits && v.bits == 65 && !v.negative);
		cr_assert_eq(ph_int_sizeof(&py, o), 24u + 12u);
		cr_assert_eq(ph_int_magnitude(&py, &v, 64, &b, &trunc), 0);
		cr_assert(!trunc && b.len == 9);
		cr_assert(memcmp(b.data, "\x05\0\0\0\0\0\0\0\x01", 9) == 0);
		cr_assert_eq(ph_int_magnitude(&py, &v, 4, &b, &trunc), 0);
		cr_assert(trunc && b.len == 4 && memcmp(b.data, "\x05\0\0\0", 4) == 0);
		free((void *)o);
		ph_buf_release(&b);
	}
}

Test(agent_seen, a_million_addresses)
{
	struct ph_seen s;
	bool added;

	cr_assert_eq(ph_seen_init(&s, 0), 0);
	for (uint64_t i = 1; i <= 1000000; i++) {
		cr_assert_eq(ph_seen_add(&s, i * 16 + 0x7f0000000000ull, &added), 0);
		cr_assert(added);
	}
	for (uint64_t i = 1; i <= 1000000; i += 7) {
		cr_assert_eq(ph_seen_add(&s, i * 16 + 0x7f0000000000ull, &added), 0);
		cr_assert(!added);
		cr_assert(ph_seen_has(&s, i * 16 + 0x7f0000000000ull));
	}
	cr_assert(!ph_seen_has(&s, 0x7f0000000008ull));
	cr_assert_eq(s.count, 1000000);
	/* at most 3/4 full, at least 3/8: 11 to 22 bytes an address */
	cr_assert_leq(ph_seen_memory(&s), 22u * 1000000);
	ph_seen_release(&s);
}
