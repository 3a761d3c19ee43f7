/* SPDX-License-Identifier: MIT */
/*
 * roots.c - the interpreter's roots and the metadata (see roots.h).
 */
#include "agent/roots.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/dicts.h"
#include "agent/values.h"
#include "common/buf.h"
#include "common/error.h"

#ifndef PYHEAP_VERSION
#define PYHEAP_VERSION "0"
#endif

int ph_roots_interp(const struct ph_py *py, ph_root_fn root, void *ctx)
{
	const struct ph_l_interp *I = py->L->is;
	const struct ph_l_gc *G = py->L->gc;
	const uint8_t k = PH_FMT_ROOT_INTERP;
	uintptr_t is = py->interp;
	int err;

	if ((err = root(ctx, PH_FMT_ROOT_MODULES, "sys.modules", is, I->modules)) ||
	    (err = root(ctx, k, "interp.sysdict", is, I->sysdict)) ||
	    (err = root(ctx, k, "interp.builtins", is, I->builtins)) ||
	    (err = root(ctx, k, "interp.modules_by_index", is, I->modules_by_index)) ||
	    (err = root(ctx, k, "interp.importlib", is, I->importlib)) ||
	    (err = root(ctx, k, "interp.import_func", is, I->import_func)) ||
	    (err = root(ctx, k, "interp.codec_search_path", is, I->codec_search_path)) ||
	    (err = root(ctx, k, "interp.codec_search_cache", is, I->codec_search_cache)) ||
	    (err = root(ctx, k, "interp.codec_error_registry", is, I->codec_error_registry)) ||
	    (err = root(ctx, k, "interp.dict", is, I->dict)) ||
	    (err = root(ctx, k, "interp.builtins_copy", is, I->builtins_copy)) ||
	    (err = root(ctx, k, "interp.sysdict_copy", is, I->sysdict_copy)) ||
	    (err = root(ctx, k, "interp.before_forkers", is, I->before_forkers)) ||
	    (err = root(ctx, k, "interp.after_forkers_parent", is, I->after_forkers_parent)) ||
	    (err = root(ctx, k, "interp.after_forkers_child", is, I->after_forkers_child)) ||
	    (err = root(ctx, k, "interp.audit_hooks", is, I->audit_hooks)) ||
	    (err = root(ctx, k, "gc.garbage", py->gc, G->garbage)) ||
	    (err = root(ctx, k, "gc.callbacks", py->gc, G->callbacks)))
		return err;
	return 0;
}

static uint64_t now_realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * sys.argv and sys.executable, read from the sys module's dict; with
 * --no-values, sys.argv[0] alone (the arguments are data).
 */
static int meta_sys(struct ph_writer *w, const struct ph_py *py, bool no_values)
{
	uintptr_t sysdict = ph_rd(py->interp, py->L->is->sysdict);
	uintptr_t argv = ph_dict_get(py, sysdict, "argv");
	uintptr_t exe = ph_dict_get(py, sysdict, "executable");
	struct ph_buf text = PH_BUF_INIT, tmp = PH_BUF_INIT;
	size_t *offs = NULL, n = 0, cap = 0;
	const char **list = NULL;
	int err = 0;

	/* each str becomes a NUL-terminated UTF-8 string in text */
	if (argv && (ph_tp_flags(ph_type(argv)) & PH_TPF_LIST_SUBCLASS)) {
		int64_t len = no_values && ph_ob_size(argv) > 1 ? 1 : ph_ob_size(argv);
		uintptr_t items = ph_rd(argv, PH_OFF_LIST_ITEMS);

		for (int64_t i = 0; i < len && items && !err && i < 4096; i++) {
			const uint8_t *data;
			size_t dlen;
			bool trunc;

			err = ph_str_text(py, ph_rd(items, (long)(8 * i)), 65536, &tmp, &data,
					  &dlen, &trunc);
			if (err < 0)
				break;
			if (!err)
				continue; /* not a readable str */
			if ((err = PH_ARRAY_RESERVE(offs, cap, n + 1)))
				break;
			offs[n++] = text.len;
			if ((err = ph_buf_put(&text, data, dlen)) || (err = ph_buf_put_u8(&text, 0)))
				break;
		}
		if (!err && (list = calloc(n ? n : 1, sizeof(*list))) == NULL)
			err = ph_error(PH_ENOMEM, "agent: out of memory for argv");
		for (size_t i = 0; !err && i < n; i++)
			list[i] = (const char *)text.data + offs[i];
		if (!err)
			err = ph_writer_meta_strlist(w, "argv", list, n);
	}
	if (!err) {
		const uint8_t *data;
		size_t dlen;
		bool trunc;

		text.len = 0;
		err = ph_str_text(py, exe, 65536, &tmp, &data, &dlen, &trunc);
		if (err > 0 && !(err = ph_buf_put(&text, data, dlen)) &&
		    !(err = ph_buf_put_u8(&text, 0)))
			err = ph_writer_meta_str(w, "executable", (const char *)text.data);
	}
	free(list);
	free(offs);
	ph_buf_release(&text);
	ph_buf_release(&tmp);
	return err;
}

int ph_meta_start(struct ph_writer *w, const struct ph_py *py, bool no_values, uint64_t max_value,
		  bool collecting)
{
	char host[256];
	int err;

	if ((err = ph_writer_meta_str(w, "python_version", py->version)) ||
	    (err = ph_writer_meta_uint(w, "python_hexversion", py->hexversion)) ||
	    (err = ph_writer_meta_uint(w, "pid", (uint64_t)getpid())) ||
	    (err = ph_writer_meta_uint(w, "time_ns", now_realtime_ns())) ||
	    (err = ph_writer_meta_str(w, "writer", "pyheap " PYHEAP_VERSION)) ||
	    (err = ph_writer_meta_str(w, "values", no_values ? "none" : "all")) ||
	    (err = ph_writer_meta_uint(w, "max_value_len", max_value)) ||
	    (err = ph_writer_meta_bool(w, "gc_collecting", collecting)))
		return err;
	if (gethostname(host, sizeof(host)) == 0) {
		host[sizeof(host) - 1] = '\0';
		if ((err = ph_writer_meta_str(w, "hostname", host)))
			return err;
	}
	return meta_sys(w, py, no_values);
}

int ph_meta_end(struct ph_writer *w, const struct ph_walk_stats *s)
{
	int err;

	if ((err = ph_writer_meta_uint(w, "agent_objects", s->objects)) ||
	    (err = ph_writer_meta_uint(w, "agent_gc_objects", s->gc_objects)) ||
	    (err = ph_writer_meta_uint(w, "agent_types", s->types)) ||
	    (err = ph_writer_meta_uint(w, "agent_bad_references", s->bad_refs)) ||
	    (err = ph_writer_meta_uint(w, "agent_bad_gc_links", s->bad_links)) ||
	    (err = ph_writer_meta_uint(w, "agent_sizeof_calls", s->sizeof_calls)) ||
	    (err = ph_writer_meta_uint(w, "agent_sizeof_failed", s->sizeof_failed)) ||
	    (err = ph_writer_meta_bool(w, "agent_full_set", s->full)) ||
	    (err = ph_writer_meta_uint(w, "agent_sole_references", s->sole_refs)) ||
	    (err = ph_writer_meta_uint(w, "agent_dead_references", s->dead_refs)) ||
	    (err = ph_writer_meta_uint(w, "agent_traversals_cut", s->traverse_cut)) ||
	    (err = ph_writer_meta_uint(w, "agent_seen", s->seen)) ||
	    (err = ph_writer_meta_uint(w, "agent_memory", s->memory)) ||
	    (err = ph_writer_meta_uint(w, "agent_numpy_arrays", s->native_arrays)) ||
	    (err = ph_writer_meta_uint(w, "agent_numpy_undecided", s->native_undecided)) ||
	    (err = ph_writer_meta_uint(w, "agent_native_bad", s->native_bad)))
		return err;
	return 0;
}
