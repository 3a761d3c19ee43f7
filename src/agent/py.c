/* SPDX-License-Identifier: MIT */
/*
 * py.c - the agent's view of the target interpreter (see py.h): API
 * resolution, version and layout choice, self-checks, memory map.
 */
#include "agent/py.h"

#include <link.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/error.h"

#define API(args, name) ((uintptr_t)(args)->api[PH_API_##name])
#define FN(args, name) ((void *)(uintptr_t)(args)->api[PH_API_##name])

/* "3.12.1 (main, ...)", "3.13.0rc2+ ..." -> PY_VERSION_HEX; 0 if unparsable. */
static uint64_t parse_version(const char *s)
{
	unsigned long major, min, micro = 0, level = 0xf, serial = 0;
	char *end;

	major = strtoul(s, &end, 10);
	if (*end != '.')
		return 0;
	min = strtoul(end + 1, &end, 10);
	if (*end == '.')
		micro = strtoul(end + 1, &end, 10);
	if (*end == 'a' || *end == 'b' || (end[0] == 'r' && end[1] == 'c')) {
		level = *end == 'a' ? 0xa : *end == 'b' ? 0xb : 0xc;
		end += *end == 'r' ? 2 : 1;
		serial = strtoul(end, &end, 10);
	}
	if (major > 255 || min > 255 || micro > 255 || serial > 15)
		return 0;
	return major << 24 | min << 16 | micro << 8 | level << 4 | serial;
}

/* ---- memory map ---- */

struct map_ctx {
	struct ph_py *py;
	size_t cap_statics, cap_trusted;
	uintptr_t core_addr; /* an address inside libpython or the executable */
	int err;
};

static int add_range(struct ph_range **arr, size_t *n, size_t *cap, uintptr_t lo, uintptr_t hi)
{
	int err = PH_ARRAY_RESERVE(*arr, *cap, *n + 1);

	if (err)
		return err;
	(*arr)[*n].lo = lo;
	(*arr)[*n].hi = hi;
	(*n)++;
	return 0;
}

static int map_object(struct dl_phdr_info *info, size_t size, void *p)
{
	struct map_ctx *c = p;
	struct ph_py *py = c->py;
	bool trusted = info->dlpi_name && strstr(info->dlpi_name, "/lib-dynload/");

	(void)size;
	for (int pass = 0; pass < 2 && !c->err; pass++) {
		for (int i = 0; i < info->dlpi_phnum && !c->err; i++) {
			const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
			uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
			uintptr_t hi = lo + ph->p_memsz;

			if (ph->p_type != PT_LOAD)
				continue;
			if (pass == 0) {
				if (c->core_addr >= lo && c->core_addr < hi)
					trusted = true;
				continue;
			}
			if (ph->p_flags & PF_W)
				c->err = add_range(&py->statics, &py->n_statics, &c->cap_statics, lo, hi);
			else if ((ph->p_flags & PF_X) && trusted)
				c->err = add_range(&py->trusted, &py->n_trusted, &c->cap_trusted, lo, hi);
		}
	}
	return c->err;
}

static int cmp_range(const void *a, const void *b)
{
	const struct ph_range *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static bool in_ranges(const struct ph_range *r, size_t n, uintptr_t a)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (a < r[mid].lo)
			hi = mid;
		else if (a >= r[mid].hi)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

bool ph_py_is_static(const struct ph_py *py, uintptr_t addr)
{
	if (addr < py->statics_lo || addr >= py->statics_hi)
		return false;
	return in_ranges(py->statics, py->n_statics, addr);
}

bool ph_py_is_trusted_code(const struct ph_py *py, uintptr_t addr)
{
	return in_ranges(py->trusted, py->n_trusted, addr);
}

/* ---- init ---- */

/* "3.14.10" (or "3.15.0rc1"), for messages (a static buffer: the agent has one thread) */
static const char *short_version(const struct ph_py *py)
{
	static char buf[32];
	uint64_t v = py->hexversion;
	unsigned level = (unsigned)(v >> 4) & 0xf;

	if (level == 0xf)
		snprintf(buf, sizeof(buf), "%u.%u.%u", (unsigned)(v >> 24),
			 (unsigned)(v >> 16) & 0xff, (unsigned)(v >> 8) & 0xff);
	else
		snprintf(buf, sizeof(buf), "%u.%u.%u%s%u", (unsigned)(v >> 24),
			 (unsigned)(v >> 16) & 0xff, (unsigned)(v >> 8) & 0xff,
			 level == 0xa ? "a" : level == 0xb ? "b" : "rc", (unsigned)v & 0xf);
	return buf;
}

int ph_py_init(struct ph_py *py, const struct ph_agent_args *args)
{
	const char *(*get_version)(void) = FN(args, Py_GetVersion);
	struct map_ctx mc;
	unsigned minor;

	memset(py, 0, sizeof(*py));
	if (!get_version)
		return ph_error(PH_ENOTPYTHON, "agent: Py_GetVersion was not found in the target");
	py->version = get_version();
	py->hexversion = parse_version(py->version);
	if (API(args, Py_Version))
		py->hexversion = *(const unsigned long *)API(args, Py_Version);
	minor = (unsigned)((py->hexversion >> 16) & 0xff);
	if ((py->hexversion >> 24) != 3 || minor < PH_PY_MINOR_MIN || minor > PH_PY_MINOR_MAX)
		return ph_error(PH_EPYVERSION,
				"agent: Python %s is not supported (pyheap supports CPython "
				PH_PY_RANGE ")",
				short_version(py));
	py->L = ph_layout_find((int)minor);
	if (!py->L)
		return ph_error(PH_EPYVERSION, "agent: no layout table for Python %s",
				short_version(py));
	py->caps = py->L->caps;
	if (API(args, _Py_NegativeRefcount))
		return ph_error(PH_EPYVERSION,
				"agent: Python %s is a debug build (Py_DEBUG): not supported",
				short_version(py));

	py->tstate_new = FN(args, PyThreadState_New);
	py->restore_thread = FN(args, PyEval_RestoreThread);
	py->tstate_clear = FN(args, PyThreadState_Clear);
	py->tstate_delete_current = FN(args, PyThreadState_DeleteCurrent);
	py->gil_this_tstate = FN(args, PyGILState_GetThisThreadState);
	py->interp_main = FN(args, PyInterpreterState_Main);
	py->interp_head = FN(args, PyInterpreterState_Head);
	py->interp_next = FN(args, PyInterpreterState_Next);
	py->dict_next = FN(args, PyDict_Next);
	py->addr2line = FN(args, PyCode_Addr2Line);
	py->frame_lineno = FN(args, PyFrame_GetLineNumber);
	py->gc_disable = FN(args, PyGC_Disable);
	py->gc_enable = FN(args, PyGC_Enable);
	py->is_finalizing = FN(args, Py_IsFinalizing);
	if (!py->is_finalizing)
		py->is_finalizing = FN(args, _Py_IsFinalizing);
	py->type_get_dict = FN(args, PyType_GetDict);
	py->dict_sizeof = FN(args, _PyDict_SizeOf);
	py->debug_malloc_stats = FN(args, _PyObject_DebugMallocStats);
	py->long_as_ssize = FN(args, PyLong_AsSsize_t);
	py->decref = FN(args, Py_DecRef);
	py->err_occurred = FN(args, PyErr_Occurred);
	py->err_fetch = FN(args, PyErr_Fetch);
	py->hashtable_get = FN(args, _Py_hashtable_get);
	py->lock_acquire = FN(args, PyThread_acquire_lock);
	py->lock_release = FN(args, PyThread_release_lock);
	py->mutex_unlock = FN(args, PyMutex_Unlock);
	py->tm_config = API(args, _Py_tracemalloc_config);
	py->tm_traces_var = API(args, tracemalloc_traces);
	py->tm_lock_var = API(args, tables_lock);
	py->obm_arenas_var = API(args, arenas);
	py->obm_maxarenas_var = API(args, maxarenas);

	py->none = API(args, _Py_NoneStruct);
	py->true_ = API(args, _Py_TrueStruct);
	py->false_ = API(args, _Py_FalseStruct);
	if (API(args, _PySet_Dummy))
		py->set_dummy = *(const uintptr_t *)API(args, _PySet_Dummy);
	py->t_type = API(args, PyType_Type);
	py->t_object = API(args, PyBaseObject_Type);
	py->t_str = API(args, PyUnicode_Type);
	py->t_int = API(args, PyLong_Type);
	py->t_bool = API(args, PyBool_Type);
	py->t_float = API(args, PyFloat_Type);
	py->t_bytes = API(args, PyBytes_Type);
	py->t_list = API(args, PyList_Type);
	py->t_tuple = API(args, PyTuple_Type);
	py->t_dict = API(args, PyDict_Type);
	py->t_set = API(args, PySet_Type);
	py->t_frozenset = API(args, PyFrozenSet_Type);
	py->t_module = API(args, PyModule_Type);
	py->t_function = API(args, PyFunction_Type);
	py->t_code = API(args, PyCode_Type);
	py->t_cell = API(args, PyCell_Type);
	py->t_frame = API(args, PyFrame_Type);
	py->t_methoddescr = API(args, PyMethodDescr_Type);
	py->t_ref = API(args, _PyWeakref_RefType);
	py->t_proxy = API(args, _PyWeakref_ProxyType);
	py->t_cproxy = API(args, _PyWeakref_CallableProxyType);
	py->runtime = API(args, _PyRuntime);

#define REQUIRE(x, name)                                                                           \
	if (!(x))                                                                                  \
		return ph_error(PH_ENOTPYTHON, "agent: %s was not found in the target", name);
	REQUIRE(py->tstate_new && py->restore_thread && py->tstate_clear &&
			py->tstate_delete_current,
		"PyThreadState_New")
	REQUIRE(py->interp_main || py->interp_head, "PyInterpreterState_Main")
	REQUIRE(py->dict_next, "PyDict_Next")
	REQUIRE(py->runtime, "_PyRuntime")
	REQUIRE(py->none && py->true_ && py->false_, "_Py_NoneStruct")
	REQUIRE(py->t_type && py->t_object && py->t_str && py->t_int && py->t_bool && py->t_float &&
			py->t_bytes && py->t_list && py->t_tuple && py->t_dict && py->t_code,
		"a builtin type object")
	REQUIRE(py->addr2line || py->caps->frames == PH_FRAMES_OBJECTS, "PyCode_Addr2Line")
	REQUIRE(py->frame_lineno || py->caps->frames != PH_FRAMES_OBJECTS, "PyFrame_GetLineNumber")
#undef REQUIRE
	py->t_none = ph_type(py->none);
	py->digit_size = (int)ph_rd(py->t_int, PH_OFF_TP_ITEMSIZE);
	py->digit_bits = py->digit_size == 4 ? 30 : 15;
	if (py->digit_size != 4 && py->digit_size != 2)
		return ph_error(PH_EPYVERSION, "agent: int digits of %d bytes", py->digit_size);

	/* 3.13+: refuse the free-threaded build (its objects have another header) */
	if (py->L->dbg) {
		if (memcmp((const void *)py->runtime, "xdebugpy", 8) != 0)
			return ph_error(PH_EPYVERSION,
					"agent: Python %s: _PyRuntime does not start with its "
					"debug offsets: unsupported build",
					short_version(py));
		if (ph_rd(py->runtime, py->L->dbg->free_threaded))
			return ph_error(PH_EPYVERSION,
					"agent: Python %s is a free-threaded build: not supported",
					short_version(py));
	}

	memset(&mc, 0, sizeof(mc));
	mc.py = py;
	mc.core_addr = (uintptr_t)get_version;
	dl_iterate_phdr(map_object, &mc);
	if (mc.err)
		return mc.err;
	qsort(py->statics, py->n_statics, sizeof(*py->statics), cmp_range);
	qsort(py->trusted, py->n_trusted, sizeof(*py->trusted), cmp_range);
	if (py->n_statics) {
		py->statics_lo = py->statics[0].lo;
		for (size_t i = 0; i < py->n_statics; i++)
			if (py->statics[i].hi > py->statics_hi)
				py->statics_hi = py->statics[i].hi;
	}
	return 0;
}

void ph_py_release(struct ph_py *py)
{
	free(py->statics);
	free(py->trusted);
	py->statics = py->trusted = NULL;
	py->n_statics = py->n_trusted = 0;
}

bool ph_py_finalizing(const struct ph_py *py)
{
	return py->is_finalizing && py->is_finalizing();
}

/* ---- attach: with the GIL ---- */

/*
 * A check of table T against the live interpreter that failed: what
 * differs, for the message. One table of the version matching is enough.
 */
struct mismatch {
	char what[160];
};

static bool differs(struct mismatch *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static bool differs(struct mismatch *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->what, sizeof(m->what), fmt, ap);
	va_end(ap);
	return false;
}

static bool size_ok(uintptr_t tp, const char *name, int32_t want, struct mismatch *m)
{
	int64_t got;

	if (!tp || want < 0)
		return true;
	got = ph_rd_i64(tp, PH_OFF_TP_BASICSIZE);
	return got == want ||
	       differs(m, "%s objects are %lld bytes, the table says %d", name, (long long)got,
		       want);
}

/* _Py_DebugOffsets (3.13+): each offset it publishes against the table's. */
static bool debug_ok(const struct ph_py *py, const struct ph_layout *T, struct mismatch *m)
{
	const struct ph_l_debug *d = T->dbg;
	const struct {
		int32_t at, want;
		const char *name;
	} pairs[] = {
		{d->runtime_interp_head, T->rt->interp_head, "runtime.interpreters_head"},
		{d->interp_threads_head, T->is->threads_head, "interp.threads_head"},
		{d->interp_gc, T->is->gc, "interp.gc"},
		{d->interp_modules, T->is->modules, "interp.imports.modules"},
		{d->interp_sysdict, T->is->sysdict, "interp.sysdict"},
		{d->interp_builtins, T->is->builtins, "interp.builtins"},
		{d->tstate_next, T->ts->next, "tstate.next"},
		{d->tstate_current_frame, T->ts->current_frame, "tstate.current_frame"},
		{d->tstate_thread_id, T->ts->thread_id, "tstate.thread_id"},
		{d->tstate_native_thread_id, T->ts->native_thread_id, "tstate.native_thread_id"},
		{d->iframe_previous, T->ifr->previous, "frame.previous"},
		{d->iframe_executable, T->ifr->executable, "frame.f_executable"},
		{d->iframe_instr_ptr, T->ifr->instr_ptr, "frame.instr_ptr"},
		{d->iframe_localsplus, T->ifr->localsplus, "frame.localsplus"},
		{d->iframe_owner, T->ifr->owner, "frame.owner"},
		{d->code_filename, T->co->filename, "code.co_filename"},
		{d->code_name, T->co->name, "code.co_name"},
		{d->code_qualname, T->co->qualname, "code.co_qualname"},
		{d->code_linetable, T->co->linetable, "code.co_linetable"},
		{d->code_localsplusnames, T->co->localsplusnames, "code.co_localsplusnames"},
		{d->code_localspluskinds, T->co->localspluskinds, "code.co_localspluskinds"},
		{d->code_adaptive, T->co->code_adaptive, "code.co_code_adaptive"},
		{d->tp_name, PH_OFF_TP_NAME, "type.tp_name"},
		{d->tp_flags, PH_OFF_TP_FLAGS, "type.tp_flags"},
		{d->tuple_items, T->obj->tuple_items, "tuple.ob_item"},
		{d->list_items, PH_OFF_LIST_ITEMS, "list.ob_item"},
		{d->set_table, T->obj->set_table, "set.table"},
		{d->set_mask, T->obj->set_mask, "set.mask"},
		{d->dict_keys, PH_OFF_DICT_KEYS, "dict.ma_keys"},
		{d->dict_values, PH_OFF_DICT_VALUES, "dict.ma_values"},
		{d->float_value, PH_OFF_FLOAT_VALUE, "float.ob_fval"},
		{d->long_digits, PH_OFF_LONG_DIGITS, "int.ob_digit"},
		{d->bytes_data, PH_OFF_BYTES_DATA, "bytes.ob_sval"},
		{d->str_state, PH_OFF_STR_STATE, "str.state"},
		{d->str_length, PH_OFF_STR_LENGTH, "str.length"},
		{d->str_ascii_size, T->str->ascii_size, "sizeof(PyASCIIObject)"},
		{d->gc_size, T->gc->size, "sizeof(the GC state)"},
		{d->gc_collecting, T->gc->collecting, "gc.collecting"},
	};
	uint64_t v = ph_rd(py->runtime, d->version);

	if ((v >> 16) != (py->hexversion >> 16))
		return differs(m, "_Py_DebugOffsets names version %llx",
			       (unsigned long long)v);
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		uint64_t got;

		if (pairs[i].at < 0)
			continue; /* not published by this version */
		got = ph_rd(py->runtime, pairs[i].at);
		if (got != (uint64_t)(int64_t)pairs[i].want)
			return differs(m, "_Py_DebugOffsets puts %s at %llu, the table at %d",
				       pairs[i].name, (unsigned long long)got, pairs[i].want);
	}
	return true;
}

/* Does table T describe the running interpreter? If so, *gc is its GC state. */
static bool layout_ok(const struct ph_py *py, const struct ph_layout *T, uintptr_t *gc,
		      struct mismatch *m)
{
	uintptr_t g = T->rt->gc >= 0 ? py->runtime + (uintptr_t)T->rt->gc
				     : py->interp + (uintptr_t)T->is->gc;

	if (!size_ok(py->t_type, "type", T->ht->size, m) ||
	    !size_ok(py->t_str, "str", T->str->unicode_size, m) ||
	    !size_ok(py->t_function, "function", T->fn->size, m) ||
	    !size_ok(py->t_module, "module", T->obj->md_size, m) ||
	    !size_ok(py->t_ref, "weakref", T->obj->wr_size, m) ||
	    !size_ok(py->t_set, "set", T->obj->set_size, m) ||
	    !size_ok(py->t_tuple, "tuple", T->obj->tuple_items, m))
		return false;
	if (T->dbg && !debug_ok(py, T, m))
		return false;
	/* generation0 points at the first generation's list head */
	if (ph_rd(g, T->gc->generation0) != g + (uintptr_t)T->gc->generations)
		return differs(m, "the GC state's generations are not where the table says");
	if (ph_rd_u32(g, T->gc->enabled) > 1)
		return differs(m, "the GC state's enabled flag reads %u",
			       ph_rd_u32(g, T->gc->enabled));
	if (ph_rd(py->runtime, T->rt->interp_head) == 0)
		return differs(m, "_PyRuntime lists no interpreter");
	*gc = g;
	return true;
}

int ph_py_attach(struct ph_py *py)
{
	const struct ph_layout *first = ph_layout_find((int)((py->hexversion >> 16) & 0xff));
	struct mismatch m0, m;
	char seen[128] = ""; /* the builds of the tables tried */

	py->interp = (uintptr_t)(py->interp_main ? py->interp_main() : py->interp_head());
	if (!py->interp)
		return ph_error(PH_ENOTPYTHON, "agent: the interpreter has no main interpreter state");
	py->n_interps = 0;
	if (py->interp_head && py->interp_next)
		for (void *i = py->interp_head(); i && py->n_interps < 1000; i = py->interp_next(i))
			py->n_interps++;
	else
		py->n_interps = 1;
	for (const struct ph_layout *T = first; T; T = ph_layout_next(T)) {
		size_t n = strlen(seen);

		if (layout_ok(py, T, &py->gc, T == first ? &m0 : &m)) {
			py->L = T;
			return 0;
		}
		snprintf(seen + n, sizeof(seen) - n, "%s%s", n ? ", " : "", T->seen);
	}
	return ph_error(PH_EPYVERSION,
			"agent: Python %s matches none of pyheap's layouts for 3.%d (learned from "
			"%s): %s: unsupported build",
			short_version(py), (int)((py->hexversion >> 16) & 0xff), seen, m0.what);
}
