/* SPDX-License-Identifier: MIT */
/*
 * render.h - objects, values and edge labels as text a Python programmer
 * reads at a glance.
 *
 * Values look like Python's repr: 'text' (quotes chosen as Python does,
 * control characters escaped), b'bytes', 42, 1.5, True, None; a prefix cut
 * short (by the dumper or by max) ends in "...". Objects without a value
 * show their size as a container ("[3 items]", "{2 items}") or nothing.
 *
 * Edge labels render as path steps (docs/format.md, "how paths show it"):
 *   index [3]   attr .name   key ['k'] [42] [<tuple 0x7f..>]   field .__dict__
 *   keyref <key>   internal <name>   none: " -> <list 0x7f..>" in a path,
 *   "" in a table (the table names the target anyway).
 * Synthetic edges start a path: a ROOTS record's label ("sys.modules"),
 * "<thread 'MainThread'>", " frame f line 12", " local 'x'",
 * "<dict 0x7f.. held from outside the dump>", "<static type 0x7f..>",
 * "<unreachable>".
 *
 * Every function appends to a ph_buf (borrowed) and returns 0 or PH_ENOMEM.
 */
#ifndef PH_ANALYZE_RENDER_H
#define PH_ANALYZE_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyze/graph.h"
#include "common/buf.h"

/* Python's repr of a str given as UTF-8 (WTF-8); at most max code points (0: all). */
int ph_render_str(struct ph_buf *b, const uint8_t *s, size_t n, size_t max, bool truncated);
/*
 * Text from a dump (a name, a label, metadata) made safe for a terminal: as
 * it is, but with the characters a terminal acts on escaped as repr does
 * (\x1b, \n, \x9b, \ud800; newline and tab kept when keep_lines). A
 * backslash is not doubled, so text already escaped passes unchanged: the
 * command line applies it to everything it prints as text (cli.h).
 */
int ph_render_text(struct ph_buf *b, const uint8_t *s, size_t n, bool keep_lines);
int ph_render_bytes(struct ph_buf *b, const uint8_t *s, size_t n, size_t max, bool truncated);
/* Python's repr of a float (shortest round-trip digits). */
int ph_render_float(struct ph_buf *b, double f);

/* Preview of object id's value (see above), at most about max characters of text. */
int ph_render_value(struct ph_buf *b, const struct ph_graph *g, uint32_t id, size_t max);

/* "<kind 0x7f..>" */
int ph_render_ref(struct ph_buf *b, const struct ph_heap *h, uint32_t id);

/*
 * The step of edge e from node src to node dst in a path: e indexes the
 * edge arrays of src (the heap's for an object, the synthetic ones
 * otherwise), or is PH_EDGE_ADOPTED for the unreachable node's entries;
 * in_table drops the " -> <target>" of unnamed edges. A step longer than
 * PH_RENDER_LABEL_MAX bytes (a label of megabytes) keeps its first and last
 * PH_RENDER_LABEL_MAX / 2 bytes around "...<N bytes>...", N the bytes left out.
 */
#define PH_RENDER_LABEL_MAX 240
int ph_render_step(struct ph_buf *b, const struct ph_graph *g, uint32_t src, uint64_t e,
		   uint32_t dst, bool in_table);

#define PH_EDGE_ADOPTED UINT64_MAX

/*
 * If edge e of node dict is a KEY edge whose key is a str that is a Python
 * identifier, append ".key" and return true (paths write an instance's
 * obj.__dict__['name'] as obj.name); otherwise append nothing, return false.
 */
bool ph_render_dict_attr(struct ph_buf *b, const struct ph_graph *g, uint32_t dict, uint64_t e);

/* Whether object v is a module or a class (whose __dict__ paths keep as written). */
bool ph_is_namespace(const struct ph_graph *g, uint32_t v);

/* A node by itself: an object "<kind 0x..>", "<thread 'name'>", "frame f line 12", "<super-root>". */
int ph_render_node(struct ph_buf *b, const struct ph_graph *g, uint32_t v);

/* Kind of a node for tables: the object's kind, or "thread", "frame", "<roots>", "<unreachable>". */
const char *ph_node_kind(const struct ph_graph *g, uint32_t v);

/* NUL-terminate b's text (not counted in len) and return it; "" when b is empty. */
const char *ph_buf_cstr(struct ph_buf *b);

#endif
