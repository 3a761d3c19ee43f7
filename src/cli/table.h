/* SPDX-License-Identifier: MIT */
/*
 * table.h - aligned text tables for the command line.
 *
 * Cells are copied into the table (it owns them); ph_table_print() computes
 * column widths from the content and prints a header, a rule, and the rows.
 * Numeric columns (PH_ALIGN_RIGHT) are right-aligned. Widths count UTF-8
 * code points, not bytes. A column may have a maximum width, beyond which
 * cells are cut with "...". A line break or tab in a cell is escaped
 * (ph_render_text), so a name from a dump cannot break a row; other control
 * characters are escaped by stdout itself (cli.h).
 */
#ifndef PH_TABLE_H
#define PH_TABLE_H

#include <stddef.h>
#include <stdio.h>

enum ph_align { PH_ALIGN_LEFT, PH_ALIGN_RIGHT };

struct ph_table_col {
	const char *title;
	enum ph_align align;
	size_t max_width; /* 0: unlimited */
};

struct ph_table {
	const struct ph_table_col *cols;
	size_t ncols;
	char **cells; /* rows * ncols, row-major */
	size_t rows, cap_rows;
	size_t cur_col; /* next column to fill in the last row */
};

void ph_table_init(struct ph_table *t, const struct ph_table_col *cols, size_t ncols);
/* Start a new row. 0 or PH_ENOMEM. */
int ph_table_row(struct ph_table *t);
/* Fill the next cell of the current row (printf-style). 0 or PH_ENOMEM. */
int ph_table_cell(struct ph_table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int ph_table_print(const struct ph_table *t, FILE *f);
void ph_table_release(struct ph_table *t);

#endif
