/* SPDX-License-Identifier: MIT */
/*
 * py.c - the agent's view of the target interpreter (see py.h): API
 * resolution, version and layout choice, self-checks, memory map.
 */
#include "agent/py.h"

#include <link.h>
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

int ph_py_init(struct ph_py *py, const struct ph_agent_args *args)
{
	const char *(*get_version)(void) = FN(args, Py_GetVersion);
	struct map_ctx mc;

	memset(py, 0, sizeof(*py));
	if (!get_version)
		return ph_error(PH_ENOTPYTHON, "agent: Py_GetVersion was not found in the target");
	py->version = get_version();
	py->hexversion = parse_version(py->version);
	if (API(args, Py_Version))
		py->hexversion = *(const unsigned long *)API(args, Py_Version);
	py->minor = (int)((py->hexversion >> 16) & 0xff);
	if ((py->hexversion >> 24) != 3 || !(py->L = ph_layout_find(py->minor)))
		return ph_error(PH_EPYVERSION, "agent: Python %.*s is not supported (3.8 to 3.13 are)",
				(int)strcspn(py->version, " "), py->version);
	if (API(args, _Py_NegativeRefcount))
		return ph_error(PH_EPYVERSION, "agent: this is a debug build of Python (not supported)");

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
	py->long_as_ssize = FN(args, PyLong_AsSsize_t);
	py->decref = FN(args, Py_DecRef);
	py->err_occurred = FN(args, PyErr_Occurred);
	py->err_fetch = FN(args, PyErr_Fetch);

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
	REQUIRE(py->addr2line || py->minor < 11, "PyCode_Addr2Line")
	REQUIRE(py->frame_lineno || py->minor >= 11, "PyFrame_GetLineNumber")
#undef REQUIRE
	py->t_none = ph_type(py->none);
	py->digit_size = (int)ph_rd(py->t_int, PH_OFF_TP_ITEMSIZE);
	py->digit_bits = py->digit_size == 4 ? 30 : 15;
	if (py->digit_size != 4 && py->digit_size != 2)
		return ph_error(PH_EPYVERSION, "agent: int digits of %d bytes", py->digit_size);

	/* 3.13: refuse the free-threaded build and a runtime that is not what the table says */
	if (py->L->dbg_version >= 0) {
		if (memcmp((const void *)py->runtime, "xdebugpy", 8) != 0)
			return ph_error(PH_EPYVERSION, "agent: _PyRuntime has no debug offsets cookie");
		if (ph_rd(py->runtime, py->L->dbg_free_threaded))
			return ph_error(PH_EPYVERSION,
					"agent: free-threaded Python builds are not supported");
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

static int check_size(const struct ph_py *py, uintptr_t tp, const char *name, int32_t want)
{
	intptr_t got;

	if (!tp || want < 0)
		return 0;
	got = (intptr_t)ph_rd(tp, PH_OFF_TP_BASICSIZE);
	if (got != want)
		return ph_error(PH_EPYVERSION,
				"agent: %s objects are %ld bytes in this Python %.20s, the 3.%d layout says %d: unsupported build",
				name, (long)got, py->version, py->minor, want);
	return 0;
}

static int check_dbg(const struct ph_py *py, int32_t dbg, int32_t want, const char *what)
{
	uint64_t got;

	if (dbg < 0)
		return 0;
	got = ph_rd(py->runtime, dbg);
	if (got != (uint64_t)(int64_t)want)
		return ph_error(PH_EPYVERSION,
				"agent: _Py_DebugOffsets says %s is at %llu, the 3.%d layout says %d",
				what, (unsigned long long)got, py->minor, want);
	return 0;
}

int ph_py_attach(struct ph_py *py)
{
	const struct ph_layout *L = py->L;
	int err;

	py->interp = (uintptr_t)(py->interp_main ? py->interp_main() : py->interp_head());
	if (!py->interp)
		return ph_error(PH_ENOTPYTHON, "agent: the interpreter has no main interpreter state");
	py->n_interps = 0;
	if (py->interp_head && py->interp_next)
		for (void *i = py->interp_head(); i && py->n_interps < 1000; i = py->interp_next(i))
			py->n_interps++;
	else
		py->n_interps = 1;
	py->gc = L->rt_gc >= 0 ? py->runtime + (uintptr_t)L->rt_gc : py->interp + (uintptr_t)L->is_gc;

	if ((err = check_size(py, py->t_type, "type", L->heaptype_size)) ||
	    (err = check_size(py, py->t_str, "str", L->unicode_size)) ||
	    (err = check_size(py, py->t_function, "function", L->fn_size)) ||
	    (err = check_size(py, py->t_module, "module", L->md_size)) ||
	    (err = check_size(py, py->t_ref, "weakref", L->wr_size)) ||
	    (err = check_size(py, py->t_set, "set", L->set_size)))
		return err;
	if ((err = check_dbg(py, L->dbg_interp_head, L->rt_interp_head, "interpreters.head")) ||
	    (err = check_dbg(py, L->dbg_is_threads_head, L->is_threads_head, "threads.head")) ||
	    (err = check_dbg(py, L->dbg_is_gc, L->is_gc, "interp.gc")) ||
	    (err = check_dbg(py, L->dbg_is_modules, L->is_modules, "interp.imports.modules")) ||
	    (err = check_dbg(py, L->dbg_ts_current_frame, L->ts_current_frame, "current_frame")) ||
	    (err = check_dbg(py, L->dbg_ts_thread_id, L->ts_thread_id, "thread_id")) ||
	    (err = check_dbg(py, L->dbg_if_owner, L->if_owner, "frame owner")) ||
	    (err = check_dbg(py, L->dbg_co_qualname, L->co_qualname, "co_qualname")))
		return err;
	if (L->dbg_version >= 0 && (ph_rd(py->runtime, L->dbg_version) >> 16) != (py->hexversion >> 16))
		return ph_error(PH_EPYVERSION, "agent: _Py_DebugOffsets names another Python version");
	/* generation0 (right after the three generations) points at generations[0].head */
	if (ph_rd(py->gc, L->gc_generations + 3 * L->gc_generation_size) !=
	    py->gc + (uintptr_t)L->gc_generations)
		return ph_error(PH_EPYVERSION,
				"agent: the GC state is not where the 3.%d layout says (unsupported build)",
				py->minor);
	if (ph_rd_u32(py->gc, L->gc_enabled) > 1)
		return ph_error(PH_EPYVERSION, "agent: the GC state's enabled flag reads %u",
				ph_rd_u32(py->gc, L->gc_enabled));
	if (ph_rd(py->runtime, L->rt_interp_head) == 0)
		return ph_error(PH_EPYVERSION, "agent: _PyRuntime lists no interpreter");
	return 0;
}
