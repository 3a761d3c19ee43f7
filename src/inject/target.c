/* SPDX-License-Identifier: MIT */
/*
 * target.c - examining a process before dumping it (see target.h).
 */
#include "inject/target.h"

#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/error.h"
#include "inject/mem.h"

static const char *const api_names[PH_API_COUNT] = {
#define PH_TARGET_API_NAME(name) #name,
	PH_AGENT_API_LIST(PH_TARGET_API_NAME)
#undef PH_TARGET_API_NAME
};

int ph_target_check_state(pid_t pid, struct ph_proc_status *st)
{
	int err;

	if (pid <= 0)
		return ph_error(PH_ENOPROC, "no process with pid %d", (int)pid);
	err = ph_proc_status(pid, 0, st);
	if (err)
		return err;
	if (st->tgid && st->tgid != pid)
		return ph_error(PH_EINVAL, "%d is a thread of process %d: give the process id", (int)pid,
				(int)st->tgid);
	if (st->state == 'Z' || st->state == 'X')
		return ph_error(PH_EEXITED, "process %d (%s) has exited (it is a zombie)", (int)pid,
				st->name);
	if (st->tracer_pid) {
		struct ph_proc_status ts;
		const char *name = ph_proc_status(st->tracer_pid, 0, &ts) == 0 ? ts.name : "?";

		if (strcmp(name, "pyheap") == 0)
			return ph_error(PH_EBUSY,
					"process %d (%s) is being dumped by another pyheap (process %d): "
					"wait for it to finish",
					(int)pid, st->name, (int)st->tracer_pid);
		return ph_error(PH_EBUSY,
				"process %d (%s) is already traced by process %d (%s), a debugger or "
				"strace: detach it first",
				(int)pid, st->name, (int)st->tracer_pid, name);
	}
	if (st->state == 'T' || st->state == 't')
		return ph_error(PH_EBUSY,
				"process %d (%s) is stopped (state %c): resume it first (kill -CONT %d)",
				(int)pid, st->name, st->state, (int)pid);
	return 0;
}

static bool has(struct ph_symbols *s, int m, const char *name)
{
	return ph_symbols_addr(s, (size_t)m, name) != 0;
}

/*
 * Find the module with the Python runtime among those the loader loaded:
 * libpython*, the executable, then any other.
 */
static int find_python(struct ph_target *t)
{
	int m = ph_symbols_module(&t->syms, "libpython");

	if (m >= 0 && has(&t->syms, m, "Py_GetVersion"))
		return m;
	if (t->syms.exe >= 0 && has(&t->syms, t->syms.exe, "Py_GetVersion"))
		return t->syms.exe;
	for (size_t i = 0; i < t->syms.n && i < 512; i++) {
		const char *b = strrchr(t->syms.v[i].path, '/');

		if (!ph_symbols_is_linked(&t->syms, i))
			continue; /* mapped, not loaded: never taken for the runtime */
		b = b ? b + 1 : t->syms.v[i].path;
		/* libc and friends never define it: skip the common ones quickly */
		if (strncmp(b, "libc.so", 7) == 0 || strncmp(b, "ld-linux", 8) == 0 ||
		    strncmp(b, "libm.so", 7) == 0)
			continue;
		if (has(&t->syms, (int)i, "Py_GetVersion"))
			return (int)i;
	}
	return -1;
}

static int detect_version(struct ph_target *t)
{
	struct ph_symbols *s = &t->syms;
	int m = t->py_module;
	uint64_t a = ph_symbols_addr(s, (size_t)m, "Py_Version");

	if (a) {
		uint32_t v = 0;
		int err = ph_mem_read(t->pid, a, &v, sizeof(v));

		if (err)
			return err;
		t->major = (int)(v >> 24);
		t->minor = (int)((v >> 16) & 0xff);
		return 0;
	}
	if (has(s, m, "PyString_Type") || has(s, m, "Py_InitModule4_64") ||
	    has(s, m, "Py_InitModule4")) {
		t->major = 2;
		t->minor = 7;
		if (has(s, m, "PyUnicodeUCS2_FromString") && !has(s, m, "PyCapsule_New"))
			t->minor = 6;
		return 0;
	}
	t->major = 3;
	if (has(s, m, "Py_IsNone"))
		t->minor = 10;
	else if (has(s, m, "PyFrame_GetCode"))
		t->minor = 9;
	else if (has(s, m, "Py_BytesMain"))
		t->minor = 8;
	else if (has(s, m, "PyThread_tss_create"))
		t->minor = 7;
	else
		t->minor = 6; /* or older: unsupported either way */
	return 0;
}

static int check_build(struct ph_target *t)
{
	struct ph_symbols *s = &t->syms;
	int m = t->py_module;

	if (t->major != 3 || t->minor < PH_PY_MINOR_MIN || t->minor > PH_PY_MINOR_MAX) {
		if (t->major == 3 && t->minor <= 6)
			return ph_error(PH_EPYVERSION,
					"process %d runs Python 3.6 or older: unsupported: pyheap supports "
					"CPython " PH_PY_RANGE,
					(int)t->pid);
		return ph_error(PH_EPYVERSION,
				"process %d runs Python %d.%d: unsupported: pyheap supports CPython "
				PH_PY_RANGE,
				(int)t->pid, t->major, t->minor);
	}
	if (has(s, m, "_Py_NegativeRefcount") || has(s, m, "_Py_RefTotal") ||
	    has(s, m, "_Py_GetRefTotal"))
		return ph_error(PH_EPYVERSION,
				"process %d runs a debug build of Python %d.%d (Py_DEBUG): unsupported",
				(int)t->pid, t->major, t->minor);
	if (t->minor >= 13) {
		/* _Py_DebugOffsets at the start of _PyRuntime: "xdebugpy", version, free_threaded */
		uint64_t rt = ph_symbols_addr(s, (size_t)m, "_PyRuntime");
		uint8_t hdr[24];

		if (rt && ph_mem_read(t->pid, rt, hdr, sizeof(hdr)) == 0 &&
		    memcmp(hdr, "xdebugpy", 8) == 0) {
			uint64_t ft;

			memcpy(&ft, hdr + 16, 8);
			if (ft)
				return ph_error(PH_EPYVERSION,
						"process %d runs a free-threaded (no-GIL) build of Python "
						"%d.%d: unsupported",
						(int)t->pid, t->major, t->minor);
		}
	}
	return 0;
}

/* Find the first occurrence of pat (n bytes) in the executable mappings of module m. */
static uint64_t find_code(struct ph_target *t, int m, const uint8_t *pat, size_t n)
{
	static uint8_t buf[65536];

	for (size_t i = 0; i < t->maps.n; i++) {
		const struct ph_map *e = &t->maps.v[i];

		if (!e->x || e->inode != t->syms.v[m].inode || !ph_map_is_file(e))
			continue;
		for (uint64_t a = e->start; a < e->end;) {
			size_t k = (size_t)(e->end - a < sizeof(buf) ? e->end - a : sizeof(buf));

			if (ph_mem_read(t->pid, a, buf, k) != 0)
				break;
			for (size_t j = 0; j + n <= k; j++)
				if (buf[j] == pat[0] && memcmp(buf + j, pat, n) == 0)
					return a + j;
			if (a + k >= e->end)
				break;
			a += k - (n - 1); /* overlap: a match across the boundary */
		}
	}
	return 0;
}

/*
 * dlopen and dlclose (glibc >= 2.34 has them in libc.so.6, older ones in
 * libdl.so.2), syscall(3), an rt_sigreturn gadget, libc's TLS block (errno,
 * dlerror's state) and the loader's _r_debug.
 */
static int find_libc(struct ph_target *t)
{
	static const uint8_t restore_rt[] = {0x48, 0xc7, 0xc0, 0x0f, 0, 0, 0, 0x0f, 0x05};
	static const uint8_t restore_rt32[] = {0xb8, 0x0f, 0, 0, 0, 0x0f, 0x05};
	struct ph_symbols *s = &t->syms;
	const char *names[] = {"dlopen", "dlclose", "syscall"};
	uint64_t a[3] = {0};
	struct ph_elf_sym es;
	int libc = ph_symbols_module(s, "libc.so"), dl = ph_symbols_module(s, "libdl.so"),
	    musl = ph_symbols_module(s, "ld-musl-"), ld = ph_symbols_module(s, "ld-linux"), err;

	if (musl >= 0) {
		t->musl = true;
		libc = musl;
	}
	if (libc < 0)
		libc = ph_symbols_module(s, "libc-"); /* libc-2.31.so */
	if (libc < 0)
		return ph_error(PH_EUNSUPPORTED,
				"process %d has no shared C library mapped (a static executable?): "
				"pyheap cannot load its agent into it",
				(int)t->pid);
	err = ph_symbols_lookup(s, (size_t)libc, names, 3, a);
	if (err < 0)
		return err;
	if (!a[0] && dl >= 0) {
		uint64_t b[2] = {0};

		if (ph_symbols_lookup(s, (size_t)dl, names, 2, b) >= 0)
			memcpy(a, b, sizeof(b));
	}
	if (!a[0] || !a[1] || !a[2])
		return ph_error(PH_EUNSUPPORTED,
				"process %d: dlopen, dlclose or syscall not found in its C library (%s)%s",
				(int)t->pid, s->v[libc].path,
				dl < 0 ? " and libdl is not loaded" : "");
	t->dlopen = a[0];
	t->dlclose = a[1];
	t->syscall_fn = a[2];
	t->sigreturn = find_code(t, libc, restore_rt, sizeof(restore_rt));
	if (!t->sigreturn)
		t->sigreturn = find_code(t, libc, restore_rt32, sizeof(restore_rt32));
	if (!t->sigreturn)
		return ph_error(PH_EUNSUPPORTED,
				"process %d: no rt_sigreturn code found in %s (pyheap returns from its "
				"calls through it)",
				(int)t->pid, s->v[libc].path);
	if (ph_symbols_info(s, (size_t)libc, "errno", &es) == 0 && es.type == STT_TLS &&
	    ph_symbols_tls_block(s, (size_t)libc, &t->libc_tls) == 0) {
		t->have_tls = true;
		t->errno_tls = es.value;
		if (ph_symbols_info(s, (size_t)libc, "__libc_dlerror_result", &es) == 0 &&
		    es.type == STT_TLS)
			t->dlerror_tls = es.value;
	}
	ph_error_clear();
	if (ld < 0)
		ld = ph_symbols_module(s, "ld-");
	if (ld >= 0)
		t->r_debug = ph_symbols_addr(s, (size_t)ld, "_r_debug");
	return 0;
}

int ph_target_refresh_maps(struct ph_target *t)
{
	struct ph_maps m;
	int err = ph_maps_read(t->pid, &m);

	if (err)
		return err;
	ph_maps_release(&t->maps);
	t->maps = m;
	return 0;
}

int ph_target_open(struct ph_target *t, pid_t pid)
{
	int err;

	memset(t, 0, sizeof(*t));
	t->pid = pid;
	t->py_module = -1;
	err = ph_target_check_state(pid, &t->status);
	if (err)
		return err;
	err = ph_maps_read(pid, &t->maps);
	if (err == PH_EPERM)
		return ph_error(PH_EPERM, "not permitted to inspect process %d (%s, uid %d): %s",
				(int)pid, t->status.name, (int)t->status.uid_real,
				ph_proc_eperm_advice());
	if (err)
		return err;
	err = ph_symbols_init(&t->syms, pid, &t->maps);
	if (err)
		goto fail;
	t->py_module = find_python(t);
	if (t->py_module < 0) {
		err = ph_error(PH_ENOTPYTHON,
			       "process %d (%s) is not a CPython interpreter: no Python runtime in its "
			       "executable or libraries",
			       (int)pid, t->status.name);
		goto fail;
	}
	err = detect_version(t);
	if (!err)
		err = check_build(t);
	if (err)
		goto fail;
	err = find_libc(t);
	if (err)
		goto fail;
	err = ph_symbols_lookup(&t->syms, (size_t)t->py_module, api_names, PH_API_COUNT, t->api);
	if (err < 0)
		goto fail;
	if (!t->api[PH_API_PyThreadState_New] || !t->api[PH_API_PyEval_RestoreThread]) {
		err = ph_error(PH_ENOTPYTHON, "process %d: the Python runtime lacks PyThreadState_New",
			       (int)pid);
		goto fail;
	}
	{
		struct ph_elf_sym rt;

		if (ph_symbols_info(&t->syms, (size_t)t->py_module, "_PyRuntime", &rt) == 0) {
			t->runtime_lo = rt.value;
			t->runtime_hi = rt.value + rt.size;
		}
		ph_error_clear();
	}
	return 0;
fail:
	{
		struct ph_error_saved saved;

		ph_error_save(&saved);
		ph_target_release(t);
		ph_error_restore(&saved);
	}
	return err;
}

void ph_target_release(struct ph_target *t)
{
	ph_symbols_release(&t->syms);
	ph_maps_release(&t->maps);
	memset(t, 0, sizeof(*t));
}
