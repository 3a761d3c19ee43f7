/* SPDX-License-Identifier: MIT */
/*
 * json.c - streaming JSON writer.
 */
#include "common/json.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "common/error.h"
#include "common/utf8.h"

static void out(struct ph_json *j, const void *p, size_t n)
{
	if (j->file) {
		if (fwrite(p, 1, n, j->file) != n)
			j->error = true;
	} else if (ph_buf_put(j->buf, p, n)) {
		j->error = true;
	}
}

static void outs(struct ph_json *j, const char *s)
{
	out(j, s, strlen(s));
}

static void indent(struct ph_json *j)
{
	static const char spaces[] = "                                ";

	out(j, "\n", 1);
	for (int i = 0; i < j->depth; i++)
		out(j, spaces, 2);
}

/* Before any value or key: comma and indentation as needed. */
static void pre_value(struct ph_json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->depth > 0) {
		if (!j->first[j->depth])
			out(j, ",", 1);
		j->first[j->depth] = false;
		if (j->pretty)
			indent(j);
	}
}

void ph_json_init_file(struct ph_json *j, FILE *f, bool pretty)
{
	memset(j, 0, sizeof(*j));
	j->file = f;
	j->pretty = pretty;
}

void ph_json_init_buf(struct ph_json *j, struct ph_buf *b, bool pretty)
{
	memset(j, 0, sizeof(*j));
	j->buf = b;
	j->pretty = pretty;
}

static void begin(struct ph_json *j, char c)
{
	pre_value(j);
	if (j->depth + 1 >= PH_JSON_MAX_DEPTH) {
		j->error = true;
		return;
	}
	out(j, &c, 1);
	j->depth++;
	j->first[j->depth] = true;
}

static void end(struct ph_json *j, char c)
{
	bool empty;

	if (j->depth <= 0) {
		j->error = true;
		return;
	}
	empty = j->first[j->depth];
	j->depth--;
	if (j->pretty && !empty)
		indent(j);
	out(j, &c, 1);
}

void ph_json_begin_object(struct ph_json *j)
{
	begin(j, '{');
}

void ph_json_end_object(struct ph_json *j)
{
	end(j, '}');
}

void ph_json_begin_array(struct ph_json *j)
{
	begin(j, '[');
}

void ph_json_end_array(struct ph_json *j)
{
	end(j, ']');
}

int ph_json_escape(struct ph_buf *b, const void *s, size_t n)
{
	const uint8_t *p = s, *e = p + n;
	int err = 0;

	while (p < e && !err) {
		uint8_t c = *p;

		if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
			const uint8_t *q = p;

			while (q < e && *q >= 0x20 && *q != '"' && *q != '\\' && *q < 0x80)
				q++;
			err = ph_buf_put(b, p, (size_t)(q - p));
			p = q;
			continue;
		}
		if (c >= 0x80) {
			size_t k = ph_utf8_valid_prefix(p, (size_t)(e - p));

			if (k)
				err = ph_buf_put(b, p, k), p += k;
			else
				err = ph_buf_put(b, "\xef\xbf\xbd", 3), p++;
			continue;
		}
		switch (c) {
		case '"':
			err = ph_buf_put(b, "\\\"", 2);
			break;
		case '\\':
			err = ph_buf_put(b, "\\\\", 2);
			break;
		case '\n':
			err = ph_buf_put(b, "\\n", 2);
			break;
		case '\r':
			err = ph_buf_put(b, "\\r", 2);
			break;
		case '\t':
			err = ph_buf_put(b, "\\t", 2);
			break;
		default:
			err = ph_buf_printf(b, "\\u%04x", c);
		}
		p++;
	}
	return err;
}

void ph_json_strn(struct ph_json *j, const void *s, size_t n)
{
	struct ph_buf tmp = PH_BUF_INIT;

	pre_value(j);
	if (j->buf) {
		out(j, "\"", 1);
		if (ph_json_escape(j->buf, s, n))
			j->error = true;
		out(j, "\"", 1);
		return;
	}
	if (ph_buf_put_u8(&tmp, '"') || ph_json_escape(&tmp, s, n) || ph_buf_put_u8(&tmp, '"'))
		j->error = true;
	else
		out(j, tmp.data, tmp.len);
	ph_buf_release(&tmp);
}

void ph_json_str(struct ph_json *j, const char *s)
{
	if (!s)
		ph_json_null(j);
	else
		ph_json_strn(j, s, strlen(s));
}

void ph_json_key(struct ph_json *j, const char *key)
{
	ph_json_str(j, key);
	out(j, j->pretty ? ": " : ":", j->pretty ? 2 : 1);
	j->after_key = true;
}

void ph_json_int(struct ph_json *j, int64_t v)
{
	char tmp[32];

	pre_value(j);
	snprintf(tmp, sizeof(tmp), "%" PRId64, v);
	outs(j, tmp);
}

void ph_json_uint(struct ph_json *j, uint64_t v)
{
	char tmp[32];

	pre_value(j);
	snprintf(tmp, sizeof(tmp), "%" PRIu64, v);
	outs(j, tmp);
}

void ph_json_double(struct ph_json *j, double v)
{
	char tmp[40];

	pre_value(j);
	if (!isfinite(v)) {
		outs(j, "null");
		return;
	}
	snprintf(tmp, sizeof(tmp), "%.17g", v);
	outs(j, tmp);
}

void ph_json_bool(struct ph_json *j, bool v)
{
	pre_value(j);
	outs(j, v ? "true" : "false");
}

void ph_json_null(struct ph_json *j)
{
	pre_value(j);
	outs(j, "null");
}

void ph_json_addr(struct ph_json *j, uint64_t addr)
{
	char tmp[24];

	snprintf(tmp, sizeof(tmp), "0x%" PRIx64, addr);
	ph_json_str(j, tmp);
}

void ph_json_raw(struct ph_json *j, const char *text)
{
	pre_value(j);
	outs(j, text);
}

int ph_json_finish(struct ph_json *j)
{
	out(j, "\n", 1);
	if (j->file && fflush(j->file) != 0)
		j->error = true;
	if (j->error || j->depth)
		return ph_error(PH_EIO, "cannot write the JSON output");
	return 0;
}
