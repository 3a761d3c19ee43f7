/* SPDX-License-Identifier: MIT */
/*
 * table.c - aligned text tables.
 */
#include "cli/table.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/render.h"
#include "common/buf.h"
#include "common/error.h"

void ph_table_init(struct ph_table *t, const struct ph_table_col *cols, size_t ncols)
{
	memset(t, 0, sizeof(*t));
	t->cols = cols;
	t->ncols = ncols;
}

int ph_table_row(struct ph_table *t)
{
	size_t need = (t->rows + 1) * t->ncols;
	size_t cap = t->cap_rows * t->ncols;
	int err;

	if (need > cap) {
		err = ph_array_grow((void **)&t->cells, &cap, need, sizeof(*t->cells));
		if (err)
			return err;
		t->cap_rows = cap / t->ncols;
	}
	memset(&t->cells[t->rows * t->ncols], 0, t->ncols * sizeof(*t->cells));
	t->rows++;
	t->cur_col = 0;
	return 0;
}

int ph_table_cell(struct ph_table *t, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	if (!t->rows || t->cur_col >= t->ncols)
		return ph_error(PH_EINVAL, "table cell outside a row");
	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return ph_error(PH_ENOMEM, "cannot format a table cell");
	if (strpbrk(s, "\n\r\t")) { /* a name with a line break must not break the row */
		struct ph_buf b = PH_BUF_INIT;

		n = ph_render_text(&b, (const uint8_t *)s, (size_t)n, false);
		free(s);
		s = n ? NULL : strdup(ph_buf_cstr(&b));
		ph_buf_release(&b);
		if (!s)
			return ph_error(PH_ENOMEM, "cannot format a table cell");
	}
	t->cells[(t->rows - 1) * t->ncols + t->cur_col++] = s;
	return 0;
}

/* Display width in code points (continuation bytes do not count). */
static size_t width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

/* Byte length of the prefix of s that is at most w code points wide. */
static size_t prefix_bytes(const char *s, size_t w)
{
	size_t n = 0, cw = 0;

	while (s[n]) {
		if (((unsigned char)s[n] & 0xc0) != 0x80) {
			if (cw == w)
				break;
			cw++;
		}
		n++;
	}
	return n;
}

static void put_cell(FILE *f, const char *s, const struct ph_table_col *c, size_t w, bool last)
{
	size_t sw = width(s);
	bool cut = c->max_width && sw > c->max_width;
	size_t shown = cut ? c->max_width : sw;

	if (c->align == PH_ALIGN_RIGHT)
		fprintf(f, "%*s", (int)(w - shown), "");
	if (cut) {
		fwrite(s, 1, prefix_bytes(s, c->max_width - 3), f);
		fputs("...", f);
	} else {
		fputs(s, f);
	}
	if (c->align == PH_ALIGN_LEFT && !last)
		fprintf(f, "%*s", (int)(w - shown), "");
}

int ph_table_print(const struct ph_table *t, FILE *f)
{
	size_t w[32] = {0};
	size_t nc = t->ncols < 32 ? t->ncols : 32;

	for (size_t c = 0; c < nc; c++) {
		w[c] = width(t->cols[c].title);
		for (size_t r = 0; r < t->rows; r++) {
			const char *s = t->cells[r * t->ncols + c];
			size_t sw = s ? width(s) : 0;

			if (t->cols[c].max_width && sw > t->cols[c].max_width)
				sw = t->cols[c].max_width;
			if (sw > w[c])
				w[c] = sw;
		}
	}
	for (size_t c = 0; c < nc; c++) {
		if (c)
			fputs("  ", f);
		put_cell(f, t->cols[c].title, &t->cols[c], w[c], c + 1 == nc);
	}
	fputc('\n', f);
	for (size_t c = 0; c < nc; c++) {
		if (c)
			fputs("  ", f);
		for (size_t i = 0; i < w[c]; i++)
			fputc('-', f);
	}
	fputc('\n', f);
	for (size_t r = 0; r < t->rows; r++) {
		for (size_t c = 0; c < nc; c++) {
			const char *s = t->cells[r * t->ncols + c];

			if (c)
				fputs("  ", f);
			put_cell(f, s ? s : "", &t->cols[c], w[c], c + 1 == nc);
		}
		fputc('\n', f);
	}
	return ferror(f) ? ph_error(PH_EIO, "cannot write the table") : 0;
}

void ph_table_release(struct ph_table *t)
{
	for (size_t i = 0; i < t->rows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}
