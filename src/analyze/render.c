/* SPDX-License-Identifier: MIT */
/*
 * render.c - text for values, objects and edge labels (see render.h).
 */
#include "analyze/render.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/utf8.h"

/* An output with a sticky error, so that renderers need not check every append. */
struct out {
	struct ph_buf *b;
	int err;
};

static void put(struct out *o, const void *p, size_t n)
{
	if (!o->err)
		o->err = ph_buf_put(o->b, p, n);
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void __attribute__((format(printf, 2, 3))) putf(struct out *o, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	put(o, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

const char *ph_buf_cstr(struct ph_buf *b)
{
	if (ph_buf_reserve(b, 1))
		return "";
	b->data[b->len] = 0;
	return (const char *)b->data;
}

/* ---- Python reprs ---- */

/*
 * Append the character at s[*i] and advance *i past it: as it is, or
 * escaped as Python's repr does when a terminal could act on it - a control
 * character (newline and tab kept when keep_lines), DEL, a C1 control, a
 * byte that is not UTF-8 (every byte >= 0x80 for bytes), a lone surrogate.
 */
static void text_char(struct out *o, const uint8_t *s, size_t n, size_t *i, bool bytes,
		      bool keep_lines)
{
	uint8_t c = s[*i];
	size_t len;

	if ((c == '\n' || c == '\t') && keep_lines) {
		put(o, &c, 1);
		(*i)++;
	} else if (c == '\n' || c == '\r' || c == '\t') {
		puts_(o, c == '\n' ? "\\n" : c == '\r' ? "\\r" : "\\t");
		(*i)++;
	} else if (c < 0x20 || c == 0x7f || (bytes && c >= 0x80)) {
		putf(o, "\\x%02x", c);
		(*i)++;
	} else if (c < 0x80) {
		put(o, &c, 1);
		(*i)++;
	} else if ((len = ph_utf8_valid_prefix(s + *i, n - *i)) == 0) {
		putf(o, "\\x%02x", c); /* not UTF-8: shown as the byte */
		(*i)++;
	} else {
		uint32_t cp = len == 2 ? (uint32_t)(c & 0x1f) << 6 | (s[*i + 1] & 0x3f)
			      : len == 3 ? (uint32_t)(c & 0x0f) << 12 |
						 (uint32_t)(s[*i + 1] & 0x3f) << 6 | (s[*i + 2] & 0x3f)
					 : 0x10000;

		if (cp < 0xa0)
			putf(o, "\\x%02x", cp);
		else if (cp >= 0xd800 && cp < 0xe000)
			putf(o, "\\u%04x", cp); /* a lone surrogate */
		else
			put(o, s + *i, len);
		*i += len;
	}
}

static void repr_text(struct out *o, const uint8_t *s, size_t n, size_t max, bool truncated,
		      bool bytes)
{
	bool has_sq = memchr(s, '\'', n) != NULL, has_dq = memchr(s, '"', n) != NULL;
	char q = has_sq && !has_dq ? '"' : '\'';
	size_t i = 0, count = 0;

	if (bytes)
		put(o, "b", 1);
	put(o, &q, 1);
	while (i < n) {
		uint8_t c = s[i];

		if (max && count == max) {
			truncated = true;
			break;
		}
		count++;
		if (c == '\\' || c == (uint8_t)q) {
			put(o, "\\", 1);
			put(o, &c, 1);
			i++;
		} else {
			text_char(o, s, n, &i, bytes, false);
		}
	}
	put(o, &q, 1);
	if (truncated)
		puts_(o, "...");
}

/* s[0..n) as text_char writes it, runs of printable ASCII copied at once. */
static void put_text(struct out *o, const uint8_t *s, size_t n, bool keep_lines)
{
	size_t i = 0;

	while (i < n) {
		size_t j = i;

		while (j < n && s[j] >= 0x20 && s[j] < 0x7f)
			j++;
		put(o, s + i, j - i);
		if (j < n)
			text_char(o, s, n, &j, false, keep_lines);
		i = j;
	}
}

/* A name from the dump, as it is but for what a terminal acts on (one line). */
static void put_name(struct out *o, const void *s, size_t n)
{
	put_text(o, s, n, false);
}

int ph_render_text(struct ph_buf *b, const uint8_t *s, size_t n, bool keep_lines)
{
	struct out o = {b, 0};

	put_text(&o, s, n, keep_lines);
	return o.err;
}

int ph_render_str(struct ph_buf *b, const uint8_t *s, size_t n, size_t max, bool truncated)
{
	struct out o = {b, 0};

	repr_text(&o, s, n, max, truncated, false);
	return o.err;
}

int ph_render_bytes(struct ph_buf *b, const uint8_t *s, size_t n, size_t max, bool truncated)
{
	struct out o = {b, 0};

	repr_text(&o, s, n, max, truncated, true);
	return o.err;
}

static void repr_float(struct out *o, double f)
{
	char digits[40], buf[64];
	int p, exp;
	char *e;

	if (isnan(f)) {
		puts_(o, "nan");
		return;
	}
	if (isinf(f)) {
		puts_(o, f < 0 ? "-inf" : "inf");
		return;
	}
	for (p = 1; p <= 17; p++) { /* shortest digits that read back as f */
		snprintf(digits, sizeof(digits), "%.*e", p - 1, f);
		if (strtod(digits, NULL) == f)
			break;
	}
	e = strchr(digits, 'e');
	exp = atoi(e + 1);
	if (exp < -4 || exp >= 16) {
		/* d.ddde+XX, with Python's two-digit minimum exponent */
		*e = 0;
		snprintf(buf, sizeof(buf), "%se%c%02d", digits, exp < 0 ? '-' : '+', abs(exp));
	} else {
		int decimals = p - 1 - exp;

		int n = snprintf(buf, sizeof(buf) - 2, "%.*f", decimals > 0 ? decimals : 0, f);

		if (!strchr(buf, '.') && n > 0 && (size_t)n < sizeof(buf) - 2)
			memcpy(buf + n, ".0", 3);
	}
	puts_(o, buf);
}

int ph_render_float(struct ph_buf *b, double f)
{
	struct out o = {b, 0};

	repr_float(&o, f);
	return o.err;
}

/* Decimal digits of a little-endian magnitude of at most 512 bytes. */
static void repr_bigint(struct out *o, const struct ph_value *v)
{
	uint32_t limbs[128];
	char dec[1300];
	size_t nl = (v->data_len + 3) / 4, pos = sizeof(dec) - 1;

	if ((v->flags & PH_FMT_VALF_TRUNCATED) || v->data_len > sizeof(limbs) ||
	    v->data_len * 8 < v->length) {
		putf(o, "<%sint of %" PRIu64 " bits>", v->sign ? "negative " : "", v->length);
		return;
	}
	memset(limbs, 0, sizeof(limbs));
	memcpy(limbs, v->data, v->data_len);
	dec[pos] = 0;
	do {
		uint64_t rem = 0;
		bool zero = true;

		for (size_t i = nl; i-- > 0;) {
			uint64_t cur = rem << 32 | limbs[i];

			limbs[i] = (uint32_t)(cur / 1000000000);
			rem = cur % 1000000000;
			zero &= limbs[i] == 0;
		}
		for (int d = 0; d < 9; d++) {
			dec[--pos] = (char)('0' + rem % 10);
			rem /= 10;
			if (zero && rem == 0)
				break;
		}
		if (zero)
			break;
	} while (pos > 10);
	while (dec[pos] == '0' && dec[pos + 1])
		pos++;
	if (v->sign)
		put(o, "-", 1);
	puts_(o, dec + pos);
}

/* ---- values ---- */

static uint32_t type_object_of(const struct ph_heap *h, uint32_t id)
{
	if (!(h->flags[id] & PH_OBJ_TYPE))
		return PH_NO_ID;
	for (uint32_t t = 0; t < h->n_types; t++)
		if (h->types[t].object == id)
			return t;
	return PH_NO_ID;
}

int ph_render_value(struct ph_buf *b, const struct ph_graph *g, uint32_t id, size_t max)
{
	const struct ph_heap *h = g->h;
	struct out o = {b, 0};
	struct ph_value v;
	uint32_t t;

	ph_heap_value(h, id, &v);
	if (v.kind && (v.flags & PH_FMT_VALF_OMITTED)) {
		puts_(&o, "(value omitted)");
		return o.err;
	}
	switch (v.kind) {
	case PH_FMT_VAL_STR:
		repr_text(&o, v.data, v.data_len, max, (v.flags & PH_FMT_VALF_TRUNCATED) != 0, false);
		if ((v.flags & PH_FMT_VALF_TRUNCATED) || (max && v.length > max))
			putf(&o, " (%" PRIu64 " chars)", v.length);
		return o.err;
	case PH_FMT_VAL_BYTES:
		repr_text(&o, v.data, v.data_len, max, (v.flags & PH_FMT_VALF_TRUNCATED) != 0, true);
		if ((v.flags & PH_FMT_VALF_TRUNCATED) || (max && v.length > max))
			putf(&o, " (%" PRIu64 " bytes)", v.length);
		return o.err;
	case PH_FMT_VAL_INT:
		putf(&o, "%" PRId64, v.i);
		return o.err;
	case PH_FMT_VAL_BIGINT:
		repr_bigint(&o, &v);
		return o.err;
	case PH_FMT_VAL_FLOAT:
		repr_float(&o, v.f);
		return o.err;
	case PH_FMT_VAL_BOOL:
		puts_(&o, v.b ? "True" : "False");
		return o.err;
	case PH_FMT_VAL_NONE:
		puts_(&o, "None");
		return o.err;
	case PH_FMT_VAL_TEXT:
		put_name(&o, v.data, max && v.data_len > max ? max : v.data_len);
		if (max && v.data_len > max)
			puts_(&o, "...");
		return o.err;
	default:
		break;
	}
	if ((t = type_object_of(h, id)) != PH_NO_ID) {
		puts_(&o, "<class '");
		put_name(&o, ph_heap_type_name(h, t), strlen(ph_heap_type_name(h, t)));
		puts_(&o, "'>");
		return o.err;
	}
	{
		uint64_t n_index = 0, n_key = 0, n_keyref = 0;

		for (uint32_t e = h->out_off[id]; e < h->out_off[id + 1]; e++) {
			uint8_t k = h->out_kind[e] & PH_LABEL_MASK;

			n_index += k == PH_LABEL_INDEX;
			n_key += k == PH_LABEL_KEY;
			n_keyref += k == PH_LABEL_KEYREF;
		}
		if (n_key)
			putf(&o, "{%" PRIu64 " item%s}", n_key, n_key == 1 ? "" : "s");
		else if (n_keyref)
			putf(&o, "{%" PRIu64 " item%s}", n_keyref, n_keyref == 1 ? "" : "s");
		else if (n_index && ph_heap_type_is(h, h->type[id], "tuple"))
			putf(&o, "(%" PRIu64 " item%s)", n_index, n_index == 1 ? "" : "s");
		else if (n_index)
			putf(&o, "[%" PRIu64 " item%s]", n_index, n_index == 1 ? "" : "s");
	}
	return o.err;
}

static void ref(struct out *o, const struct ph_heap *h, uint32_t id)
{
	puts_(o, "<");
	put_name(o, ph_heap_kind(h, id), strlen(ph_heap_kind(h, id)));
	putf(o, " 0x%" PRIx64 ">", h->addr[id]);
}

int ph_render_ref(struct ph_buf *b, const struct ph_heap *h, uint32_t id)
{
	struct out o = {b, 0};

	ref(&o, h, id);
	return o.err;
}

/* ---- labels ---- */

static void str_sref(struct out *o, const struct ph_heap *h, uint64_t sref, const char *none)
{
	size_t len;
	const char *s = ph_heap_str(h, sref, &len);

	if (s)
		put_name(o, s, len);
	else
		puts_(o, none);
}

/* Whether a whole str value is a Python identifier (non-ASCII letters taken on trust). */
static bool is_identifier(const struct ph_value *v)
{
	bool ident = v->kind == PH_FMT_VAL_STR &&
		     !(v->flags & (PH_FMT_VALF_TRUNCATED | PH_FMT_VALF_OMITTED)) && v->data_len;

	for (size_t i = 0; i < v->data_len && ident; i++)
		ident = v->data[i] >= 0x80 || v->data[i] == '_' || (v->data[i] >= 'a' && v->data[i] <= 'z') ||
			(v->data[i] >= 'A' && v->data[i] <= 'Z') || (i && v->data[i] >= '0' && v->data[i] <= '9');
	return ident;
}

/* An attribute name: the str's text when it is a whole, identifier-like str. */
static void attr_name(struct out *o, const struct ph_heap *h, uint32_t name)
{
	struct ph_value v;

	ph_heap_value(h, name, &v);
	if (v.kind != PH_FMT_VAL_STR || (v.flags & (PH_FMT_VALF_TRUNCATED | PH_FMT_VALF_OMITTED)) ||
	    !v.data_len) {
		putf(o, "<attr 0x%" PRIx64 ">", h->addr[name]);
		return;
	}
	if (is_identifier(&v)) {
		put_name(o, v.data, v.data_len); /* non-ASCII taken on trust: C1 escaped */
	} else {
		puts_(o, "<attr ");
		repr_text(o, v.data, v.data_len, 0, false, false);
		puts_(o, ">");
	}
}

static void key_text(struct out *o, const struct ph_heap *h, uint32_t key)
{
	struct ph_value v;

	ph_heap_value(h, key, &v);
	if (v.flags & PH_FMT_VALF_OMITTED)
		ref(o, h, key); /* --no-values */
	else if (v.kind == PH_FMT_VAL_STR)
		repr_text(o, v.data, v.data_len, 0, (v.flags & PH_FMT_VALF_TRUNCATED) != 0, false);
	else if (v.kind == PH_FMT_VAL_INT)
		putf(o, "%" PRId64, v.i);
	else if (v.kind == PH_FMT_VAL_BIGINT && !(v.flags & PH_FMT_VALF_TRUNCATED))
		repr_bigint(o, &v);
	else
		ref(o, h, key);
}

static void frame_text(struct out *o, const struct ph_heap *h, uint32_t f)
{
	const struct ph_heap_frame *fr = &h->frames[f];

	puts_(o, "frame ");
	str_sref(o, h, fr->function, "?");
	putf(o, " line %" PRIu64, fr->line);
}

static void thread_text(struct out *o, const struct ph_heap *h, uint32_t t)
{
	size_t len;
	const char *name = ph_heap_str(h, h->threads[t].name, &len);

	puts_(o, "<thread ");
	if (name)
		repr_text(o, (const uint8_t *)name, len, 0, false, false);
	else
		putf(o, "%" PRIu64, h->threads[t].ident);
	puts_(o, ">");
}

/*
 * Cut the middle of what was appended to b since mark when it is longer than
 * PH_RENDER_LABEL_MAX bytes: the first and last PH_RENDER_LABEL_MAX / 2
 * bytes (moved to UTF-8 character boundaries) stay, with the count of bytes
 * left out between them.
 */
static int elide_middle(struct ph_buf *b, size_t mark)
{
	size_t n = b->len - mark, head = PH_RENDER_LABEL_MAX / 2, tail = PH_RENDER_LABEL_MAX / 2;
	uint8_t *p = b->data + mark;
	char note[48];
	int k;

	if (n <= PH_RENDER_LABEL_MAX + 64) /* what is cut is longer than the note */
		return 0;
	while (head > 0 && (p[head] & 0xc0) == 0x80)
		head--;
	while (tail > 0 && (p[n - tail] & 0xc0) == 0x80)
		tail--;
	k = snprintf(note, sizeof(note), "...<%zu bytes>...", n - head - tail);
	memmove(p + head + (size_t)k, p + n - tail, tail);
	memcpy(p + head, note, (size_t)k);
	b->len = mark + head + (size_t)k + tail;
	return 0;
}

static int render_step(struct ph_buf *b, const struct ph_graph *g, uint32_t src, uint64_t e,
		       uint32_t dst, bool in_table);

int ph_render_step(struct ph_buf *b, const struct ph_graph *g, uint32_t src, uint64_t e,
		   uint32_t dst, bool in_table)
{
	size_t mark = b->len;
	int err = render_step(b, g, src, e, dst, in_table);

	return err ? err : elide_middle(b, mark);
}

static int render_step(struct ph_buf *b, const struct ph_graph *g, uint32_t src, uint64_t e,
		       uint32_t dst, bool in_table)
{
	const struct ph_heap *h = g->h;
	struct out o = {b, 0};
	uint8_t kind;
	uint32_t val, tgt;

	if (e == PH_EDGE_ADOPTED) {
		puts_(&o, " ");
		ref(&o, h, dst);
		return o.err;
	}
	if (src < g->n) {
		kind = h->out_kind[e] & PH_LABEL_MASK;
		val = h->out_val[e];
		tgt = h->out_tgt[e];
	} else {
		kind = g->syn_kind[e] & PH_LABEL_MASK;
		val = g->syn_val[e];
		tgt = g->syn_tgt[e];
	}
	switch (kind) {
	case PH_LABEL_NONE:
		if (!in_table) {
			puts_(&o, " -> ");
			ref(&o, h, tgt);
		}
		break;
	case PH_LABEL_INDEX:
		putf(&o, "[%" PRIu64 "]", val == PH_VAL_WIDE ? ph_heap_wide(h, e) : (uint64_t)val);
		break;
	case PH_LABEL_ATTR:
		puts_(&o, ".");
		if (val == PH_VAL_WIDE)
			putf(&o, "<attr 0x%" PRIx64 ">", ph_heap_wide(h, e));
		else
			attr_name(&o, h, val);
		break;
	case PH_LABEL_KEY:
		puts_(&o, "[");
		if (val == PH_VAL_WIDE)
			putf(&o, "<0x%" PRIx64 ">", ph_heap_wide(h, e));
		else
			key_text(&o, h, val);
		puts_(&o, "]");
		break;
	case PH_LABEL_FIELD:
		puts_(&o, ".");
		str_sref(&o, h, val, "?");
		break;
	case PH_LABEL_KEYREF:
		puts_(&o, "<key>");
		break;
	case PH_LABEL_INTERNAL:
		puts_(&o, "<");
		str_sref(&o, h, val, "?");
		puts_(&o, ">");
		break;
	case PH_LABEL_ROOT:
		str_sref(&o, h, h->roots[val].label, "<root>");
		break;
	case PH_LABEL_HELD:
		puts_(&o, "<");
		put_name(&o, ph_heap_kind(h, tgt), strlen(ph_heap_kind(h, tgt)));
		putf(&o, " 0x%" PRIx64 " held from outside the dump>", h->addr[tgt]);
		break;
	case PH_LABEL_STATIC:
		puts_(&o, "<static ");
		put_name(&o, ph_heap_kind(h, tgt), strlen(ph_heap_kind(h, tgt)));
		putf(&o, " 0x%" PRIx64 ">", h->addr[tgt]);
		break;
	case PH_LABEL_THREAD:
		thread_text(&o, h, val);
		break;
	case PH_LABEL_FRAME:
		puts_(&o, " ");
		frame_text(&o, h, val);
		break;
	case PH_LABEL_LOCAL:
		puts_(&o, " local ");
		{
			size_t len;
			const char *s = ph_heap_str(h, h->locals[val].name, &len);

			if (s)
				repr_text(&o, (const uint8_t *)s, len, 0, false, false);
			else
				puts_(&o, "?");
		}
		break;
	case PH_LABEL_FRAME_OBJECT:
		puts_(&o, " frame object");
		break;
	case PH_LABEL_FRAME_CODE:
		puts_(&o, " code");
		break;
	case PH_LABEL_UNREACHABLE:
		puts_(&o, "<unreachable>");
		break;
	default:
		break;
	}
	return o.err;
}

bool ph_render_dict_attr(struct ph_buf *b, const struct ph_graph *g, uint32_t dict, uint64_t e)
{
	const struct ph_heap *h = g->h;
	struct ph_value v;

	if (dict >= g->n || e == PH_EDGE_ADOPTED || (h->out_kind[e] & PH_LABEL_MASK) != PH_LABEL_KEY ||
	    h->out_val[e] == PH_VAL_WIDE)
		return false;
	ph_heap_value(h, h->out_val[e], &v);
	if (!is_identifier(&v) || ph_buf_reserve(b, v.data_len + 1))
		return false;
	ph_buf_put_u8(b, '.');
	{
		struct out o = {b, 0};

		put_name(&o, v.data, v.data_len);
	}
	return true;
}

bool ph_is_namespace(const struct ph_graph *g, uint32_t v)
{
	return v >= g->n || ph_heap_type_is(g->h, g->h->type[v], "module") ||
	       ph_heap_type_is(g->h, g->h->type[v], "type") ||
	       type_object_of(g->h, v) != PH_NO_ID;
}

int ph_render_node(struct ph_buf *b, const struct ph_graph *g, uint32_t v)
{
	struct out o = {b, 0};

	if (v < g->n)
		ref(&o, g->h, v);
	else if (v == g->super)
		puts_(&o, "<roots>");
	else if (v == g->unreachable)
		puts_(&o, "<unreachable>");
	else if (ph_graph_is_thread(g, v))
		thread_text(&o, g->h, v - g->first_thread);
	else {
		uint32_t f = v - g->first_frame;

		thread_text(&o, g->h, g->h->frames[f].thread);
		puts_(&o, " ");
		frame_text(&o, g->h, f);
	}
	return o.err;
}

const char *ph_node_kind(const struct ph_graph *g, uint32_t v)
{
	if (v < g->n)
		return ph_heap_kind(g->h, v);
	if (v == g->super)
		return "<roots>";
	if (v == g->unreachable)
		return "<unreachable>";
	return ph_graph_is_thread(g, v) ? "<thread>" : "<frame>";
}
