/* SPDX-License-Identifier: MIT */
/*
 * Rendering values and labels as a Python programmer writes them: reprs of
 * str, bytes, float and big ints checked against what CPython prints, value
 * previews of containers, and path steps.
 */
#include <criterion/criterion.h>
#include <math.h>

#include "analyze/paths.h"
#include "analyze/render.h"
#include "analyze_util.h"

static const char *str_repr(struct ph_buf *b, const char *s, size_t max, bool truncated)
{
	b->len = 0;
	cr_assert_eq(ph_render_str(b, (const uint8_t *)s, strlen(s), max, truncated), 0);
	return ph_buf_cstr(b);
}

static const char *text(struct ph_buf *b, const char *s, size_t n, bool keep_lines)
{
	b->len = 0;
	cr_assert_eq(ph_render_text(b, (const uint8_t *)s, n, keep_lines), 0);
	return ph_buf_cstr(b);
}

Test(analyze_render, text_safe_for_a_terminal)
{
	static const char evil[] = "a\x1b]0;t\x07\x1b[2J\xc2\x9b" "1m\x08\x7f\xff\xed\xa0\x80\n\r\tz";
	struct ph_buf b = PH_BUF_INIT, b2 = PH_BUF_INIT;
	const char *once;

	cr_assert_str_eq(text(&b, "plain caf\xc3\xa9 \\x1b", 16, false), "plain caf\xc3\xa9 \\x1b");
	once = text(&b, evil, sizeof(evil) - 1, false);
	cr_assert_str_eq(once, "a\\x1b]0;t\\x07\\x1b[2J\\x9b1m\\x08\\x7f\\xff\\ud800\\n\\r\\tz");
	/* escaping what is escaped changes nothing: stdout applies it to every line */
	cr_assert_str_eq(text(&b2, once, strlen(once), true), once);
	cr_assert_str_eq(text(&b, evil, sizeof(evil) - 1, true),
			 "a\\x1b]0;t\\x07\\x1b[2J\\x9b1m\\x08\\x7f\\xff\\ud800\n\\r\tz");
	ph_buf_release(&b);
	ph_buf_release(&b2);
}

Test(analyze_render, str_like_python_repr)
{
	struct ph_buf b = PH_BUF_INIT;

	cr_assert_str_eq(str_repr(&b, "abc", 0, false), "'abc'");
	cr_assert_str_eq(str_repr(&b, "it's", 0, false), "\"it's\"");
	cr_assert_str_eq(str_repr(&b, "say \"hi\"", 0, false), "'say \"hi\"'");
	cr_assert_str_eq(str_repr(&b, "both ' and \"", 0, false), "'both \\' and \"'");
	cr_assert_str_eq(str_repr(&b, "a\nb\tc\\", 0, false), "'a\\nb\\tc\\\\'");
	cr_assert_str_eq(str_repr(&b, "\x01\x7f", 0, false), "'\\x01\\x7f'");
	cr_assert_str_eq(str_repr(&b, "caf\xc3\xa9", 0, false), "'caf\xc3\xa9'");
	cr_assert_str_eq(str_repr(&b, "\xc2\x85", 0, false), "'\\x85'"); /* U+0085, a C1 control */
	cr_assert_str_eq(str_repr(&b, "\xed\xa0\x80", 0, false), "'\\ud800'"); /* a lone surrogate */
	cr_assert_str_eq(str_repr(&b, "\xff", 0, false), "'\\xff'");      /* not UTF-8 */
	cr_assert_str_eq(str_repr(&b, "abcdef", 3, false), "'abc'...");
	cr_assert_str_eq(str_repr(&b, "abc", 3, false), "'abc'");
	cr_assert_str_eq(str_repr(&b, "abc", 0, true), "'abc'...");
	b.len = 0;
	cr_assert_eq(ph_render_bytes(&b, (const uint8_t *)"ab\0\xff'", 5, 0, false), 0);
	cr_assert_str_eq(ph_buf_cstr(&b), "b\"ab\\x00\\xff'\"");
	ph_buf_release(&b);
}

static const char *float_repr(struct ph_buf *b, double f)
{
	b->len = 0;
	cr_assert_eq(ph_render_float(b, f), 0);
	return ph_buf_cstr(b);
}

Test(analyze_render, float_like_python_repr)
{
	struct ph_buf b = PH_BUF_INIT;

	cr_assert_str_eq(float_repr(&b, 0.1), "0.1");
	cr_assert_str_eq(float_repr(&b, 1.0), "1.0");
	cr_assert_str_eq(float_repr(&b, 100.0), "100.0");
	cr_assert_str_eq(float_repr(&b, 2.5), "2.5");
	cr_assert_str_eq(float_repr(&b, -0.0), "-0.0");
	cr_assert_str_eq(float_repr(&b, 1.0 / 3), "0.3333333333333333");
	cr_assert_str_eq(float_repr(&b, 123456789.123), "123456789.123");
	cr_assert_str_eq(float_repr(&b, 1e15), "1000000000000000.0");
	cr_assert_str_eq(float_repr(&b, 1e16), "1e+16");
	cr_assert_str_eq(float_repr(&b, 0.0001), "0.0001");
	cr_assert_str_eq(float_repr(&b, 1e-05), "1e-05");
	cr_assert_str_eq(float_repr(&b, 1.5e300), "1.5e+300");
	cr_assert_str_eq(float_repr(&b, 5e-324), "5e-324");
	cr_assert_str_eq(float_repr(&b, INFINITY), "inf");
	cr_assert_str_eq(float_repr(&b, -INFINITY), "-inf");
	cr_assert_str_eq(float_repr(&b, NAN), "nan");
	ph_buf_release(&b);
}

/* Object previews through a loaded heap. */
Test(analyze_render, value_previews_and_steps)
{
	struct tb b;
	struct ph_analysis *a;
	struct ph_buf out = PH_BUF_INIT;
	uint32_t d, l, t, s, k, k2, f, big, neg, tr, n, o, name, empty;

	tb_init(&b);
	d = tb_obj(&b, "dict", 232);
	l = tb_obj(&b, "list", 72);
	t = tb_obj(&b, "tuple", 56);
	s = tb_obj(&b, "set", 216);
	k = tb_str(&b, "key with 'quote'");
	k2 = tb_int(&b, -7);
	f = tb_obj(&b, "float", 24);
	b.obj[f].vkind = PH_FMT_VAL_FLOAT;
	b.obj[f].fval = 0.1;
	{
		/* 2**64 and -(10**30): little-endian magnitudes */
		static const uint8_t two64[] = {0, 0, 0, 0, 0, 0, 0, 0, 1};
		static const uint8_t e30[] = {0x00, 0x00, 0x00, 0x40, 0xea, 0xed, 0x74, 0x46,
					      0xd0, 0x9c, 0x2c, 0x9f, 0x0c};

		big = tb_bigint(&b, 0, 65, two64, sizeof(two64));
		neg = tb_bigint(&b, 1, 100, e30, sizeof(e30));
	}
	tr = tb_obj(&b, "bool", 28);
	b.obj[tr].vkind = PH_FMT_VAL_BOOL;
	b.obj[tr].ival = 1;
	n = tb_obj(&b, "app.Thing", 48);
	o = tb_obj(&b, "app.Other", 48);
	name = tb_str(&b, "not an identifier");
	empty = tb_obj(&b, "list", 56);
	tb_entry(&b, d, k, l);
	tb_entry(&b, d, k2, t);
	tb_index(&b, l, f, 0);
	tb_index(&b, l, big, 1);
	tb_index(&b, t, neg, 0);
	tb_keyref(&b, s, tr);
	tb_attr(&b, n, o, name);
	tb_internal(&b, n, s, "slot");
	tb_root(&b, d, PH_FMT_ROOT_MODULES, "sys.modules");
	tb_ref(&b, d, n);
	tb_ref(&b, d, empty);
	tb_ref(&b, n, d);
	cr_assert_eq(tb_analyze(&b, &a), 0, "%s", ph_error_detail());
#define VALUE(id, want)                                                                            \
	do {                                                                                       \
		out.len = 0;                                                                       \
		cr_assert_eq(ph_render_value(&out, &a->g, (id), 40), 0);                           \
		cr_assert_str_eq(ph_buf_cstr(&out), (want));                                       \
	} while (0)
	VALUE(d, "{2 items}");
	VALUE(l, "[2 items]");
	VALUE(t, "(1 item)");
	VALUE(s, "{1 item}");
	VALUE(empty, "");
	VALUE(k, "\"key with 'quote'\"");
	VALUE(k2, "-7");
	VALUE(f, "0.1");
	VALUE(tr, "True");
	VALUE(big, "18446744073709551616");
	VALUE(neg, "-1000000000000000000000000000000");
	VALUE(n, "");
	{
		/* labels as path steps, and as table labels */
		const struct ph_heap *h = a->h;
		const char *want[] = {"<key>", "[\"key with 'quote'\"]", "<key>", "[-7]", " -> <app.Thing 0x7f0000100280>",
				      " -> <list 0x7f0000100340>"};

		for (uint32_t e = h->out_off[d]; e < h->out_off[d + 1]; e++) {
			out.len = 0;
			cr_assert_eq(ph_render_step(&out, &a->g, d, e, h->out_tgt[e], false), 0);
			cr_assert_str_eq(ph_buf_cstr(&out), want[e - h->out_off[d]]);
		}
		out.len = 0;
		ph_render_step(&out, &a->g, d, h->out_off[d] + 4, n, true);
		cr_assert_str_eq(ph_buf_cstr(&out), "", "unnamed edges have no label in tables");
		out.len = 0;
		ph_render_step(&out, &a->g, n, h->out_off[n], o, false);
		cr_assert_str_eq(ph_buf_cstr(&out), ".<attr 'not an identifier'>");
		out.len = 0;
		ph_render_step(&out, &a->g, n, h->out_off[n] + 1, s, false);
		cr_assert_str_eq(ph_buf_cstr(&out), "<slot>");
		out.len = 0;
		ph_render_step(&out, &a->g, l, h->out_off[l] + 1, big, false);
		cr_assert_str_eq(ph_buf_cstr(&out), "[1]");
	}
	{
		struct ph_path *p;
		size_t np;

		cr_assert_eq(ph_paths_to(a, neg, 5, &p, &np), 0);
		cr_assert_eq(np, 1);
		out.len = 0;
		ph_path_expr(&out, &a->g, &p[0]);
		cr_assert_str_eq(ph_buf_cstr(&out), "sys.modules[-7][0]");
		ph_paths_free(p, np);
	}
	ph_buf_release(&out);
	ph_analysis_free(a);
	tb_free(&b);
}
