/* SPDX-License-Identifier: MIT */
/*
 * agent.h - the contract between the dumper (pyheap dump, in src/dump and
 * src/inject) and the agent library it loads into the target (src/agent).
 *
 * Sequence:
 *  1. The dumper resolves in the target every symbol named in
 *     PH_AGENT_API_NAMES (0 where a symbol is missing: the agent copes) and
 *     writes a struct ph_agent_args into the target's memory.
 *  2. On a hijacked thread it calls dlopen() on the agent and then
 *     pyheap_agent_start(args). start copies args, allocates a struct
 *     ph_agent_state, starts a joinable thread with every signal blocked,
 *     stores the state's address in args->out_state and in the exported
 *     pyheap_agent_current, and returns it (NULL, out_state 0, if it could
 *     not even do that). It runs no Python code and takes no Python lock.
 *     (The dumper cannot see a remote call's return value: remote.h.)
 *  3. If args.out_fd < 0, the agent thread creates a pipe, publishes its read
 *     end's fd number in state.pipe_fd and waits (bounded by
 *     args.attach_timeout_ms) until the dumper, having copied that fd with
 *     pidfd_getfd(2), sets state.reader_attached; it then closes the read end
 *     in the target. While it waits the dumper bumps state.beat; if the beat
 *     stops for PH_AGENT_BEAT_MS the dumper is taken to be gone and the
 *     agent ends. If args.out_fd >= 0 it writes there (tests).
 *  4. The agent thread checks that the interpreter is not finalizing, takes
 *     the GIL with a thread state of its own, disables the cyclic GC, walks the
 *     heap and streams a raw (uncompressed) .pyheap file, re-enables the GC
 *     as it was, releases the GIL, closes its end of the output, sets
 *     state.phase to PH_AGENT_DONE or PH_AGENT_FAILED and returns.
 *  5. The dumper reads state (process_vm_readv) to follow progress, and may
 *     set state.cancel (process_vm_writev): the agent stops at its next check
 *     and fails with PH_EINTR.
 *  6. When phase is DONE or FAILED, the dumper waits until the agent thread
 *     (state.tid, published before anything else) has exited, then calls
 *     pyheap_agent_finish(state, &result) on a hijacked thread - never the
 *     agent thread itself: it joins the agent thread, frees the state,
 *     clears pyheap_agent_current and writes 0 to result; then dlclose()
 *     unloads the agent. Nothing of the agent remains. (After setting DONE
 *     the agent thread still runs libc's thread exit, which may wait for a
 *     malloc lock: unloading or joining from it would crash.)
 *
 * A dumper that dies leaves the agent to end by itself: its writes fail
 * (EPIPE) or the reader never comes (attach_timeout_ms), or the GIL comes
 * after a cancel. The agent thread then releases everything it took (GIL,
 * thread state, GC state, pipe) and unregisters its fork handlers before it
 * ends, so the library is inert: mapped, never called. A later dump finds
 * it (a mapping of the memfd PH_AGENT_MEMFD_NAME, and pyheap_agent_current
 * in it), cancels it if it still runs, and unloads it (finish, dlclose).
 *
 * Everything in these structs is fixed-size and pointer-free except the
 * addresses, which are target addresses stored as uint64_t, so that the
 * dumper can build and read them from outside the process.
 */
#ifndef PH_AGENT_H
#define PH_AGENT_H

#include <stdint.h>

#define PH_AGENT_MAGIC 0x50484147u /* "GAHP" in memory: args and state */
#define PH_AGENT_ABI   2

#define PH_AGENT_START_SYMBOL   "pyheap_agent_start"
#define PH_AGENT_FINISH_SYMBOL  "pyheap_agent_finish"
#define PH_AGENT_CURRENT_SYMBOL "pyheap_agent_current" /* struct ph_agent_state *, 0 if none */

/*
 * The CPython versions pyheap dumps: 3.PH_PY_MINOR_MIN to 3.PH_PY_MINOR_MAX,
 * GIL builds, x86_64. The one definition of the range: the dumper's version
 * gate (inject/target.c), the agent's (agent/py.c, which also needs a layout
 * table for each: agent/layout.c), the help texts and the tests (which read
 * these two lines) follow it; README and docs say the same (a test checks).
 */
#define PH_PY_MINOR_MIN 8
#define PH_PY_MINOR_MAX 15
#define PH_PY_STR_(x)   #x
#define PH_PY_STR(x)    PH_PY_STR_(x)
#define PH_PY_RANGE     "3." PH_PY_STR(PH_PY_MINOR_MIN) "-3." PH_PY_STR(PH_PY_MINOR_MAX)

/*
 * Symbols the dumper resolves in the target (functions and data). The agent
 * reads args.api[PH_API_x]. Add new ones at the end only within one ABI.
 */
#define PH_AGENT_API_LIST(X)                                                                       \
	X(Py_GetVersion)                                                                           \
	X(PyThreadState_New)                                                                       \
	X(PyEval_RestoreThread)                                                                    \
	X(PyThreadState_Clear)                                                                     \
	X(PyThreadState_DeleteCurrent)                                                             \
	X(PyGILState_GetThisThreadState)                                                           \
	X(PyInterpreterState_Main)                                                                 \
	X(PyInterpreterState_Head)                                                                 \
	X(PyInterpreterState_Next)                                                                 \
	X(PyDict_Next)                                                                             \
	X(PyCode_Addr2Line)                                                                        \
	X(PyFrame_GetLineNumber)                                                                   \
	X(PyGC_Disable)                                                                            \
	X(PyGC_Enable)                                                                             \
	X(_Py_IsFinalizing)                                                                        \
	X(Py_IsFinalizing)                                                                         \
	X(PyType_GetDict)                                                                          \
	X(_PyDict_SizeOf)                                                                          \
	X(PyLong_AsSsize_t)                                                                        \
	X(Py_DecRef)                                                                               \
	X(PyErr_Occurred)                                                                          \
	X(PyErr_Fetch)                                                                             \
	X(_PyRuntime)                                                                              \
	X(Py_Version)                                                                              \
	X(_Py_NoneStruct)                                                                          \
	X(_Py_TrueStruct)                                                                          \
	X(_Py_FalseStruct)                                                                         \
	X(PyType_Type)                                                                             \
	X(PyBaseObject_Type)                                                                       \
	X(PyUnicode_Type)                                                                          \
	X(PyLong_Type)                                                                             \
	X(PyBool_Type)                                                                             \
	X(PyFloat_Type)                                                                            \
	X(PyBytes_Type)                                                                            \
	X(PyList_Type)                                                                             \
	X(PyTuple_Type)                                                                            \
	X(PyDict_Type)                                                                             \
	X(PySet_Type)                                                                              \
	X(PyFrozenSet_Type)                                                                        \
	X(PyModule_Type)                                                                           \
	X(PyFunction_Type)                                                                         \
	X(PyCode_Type)                                                                             \
	X(PyCell_Type)                                                                             \
	X(PyFrame_Type)                                                                            \
	X(PyMethodDescr_Type)                                                                      \
	X(_PyWeakref_RefType)                                                                      \
	X(_PyWeakref_ProxyType)                                                                    \
	X(_PyWeakref_CallableProxyType)                                                            \
	X(_PySet_Dummy)                                                                            \
	X(_Py_NegativeRefcount)                                                                    \
	X(_PyObject_DebugMallocStats)                                                              \
	X(_Py_hashtable_get)                                                                       \
	X(PyThread_acquire_lock)                                                                   \
	X(PyThread_release_lock)                                                                   \
	X(PyMutex_Unlock)                                                                          \
	X(_Py_tracemalloc_config)                                                                  \
	X(tracemalloc_traces)                                                                      \
	X(tables_lock)                                                                             \
	X(arenas)                                                                                  \
	X(maxarenas)

enum ph_agent_api {
#define PH_AGENT_API_ENUM(name) PH_API_##name,
	PH_AGENT_API_LIST(PH_AGENT_API_ENUM)
#undef PH_AGENT_API_ENUM
	PH_API_COUNT
};

/* The agent gives up waiting for a reader after this long without a beat. */
#define PH_AGENT_BEAT_MS 3000

/* Flags in args.flags. */
#define PH_AGENT_NO_VALUES 0x1 /* omit str/bytes contents (lengths are kept) */

struct ph_agent_args {
	uint32_t magic; /* PH_AGENT_MAGIC */
	uint32_t abi;   /* PH_AGENT_ABI */
	uint32_t size;  /* sizeof(struct ph_agent_args) */
	int32_t out_fd; /* >= 0: write the stream here; < 0: make a pipe (see above) */
	uint32_t flags; /* PH_AGENT_* */
	uint32_t attach_timeout_ms; /* how long to wait for reader_attached */
	uint64_t max_value_len;     /* str/bytes prefix bytes kept */
	uint64_t dumper_pid;        /* for metadata */
	uint64_t out_state;         /* written by start: the state's address, 0 if it could not start */
	uint64_t api[PH_API_COUNT]; /* resolved target addresses, 0 if missing */
};

/* state.phase */
enum ph_agent_phase {
	PH_AGENT_STARTING = 1,
	PH_AGENT_WAIT_READER = 2, /* pipe_fd published, waiting for reader_attached */
	PH_AGENT_WAIT_GIL = 3,    /* in PyEval_RestoreThread */
	PH_AGENT_WALKING = 4,     /* GIL held, walking and writing */
	PH_AGENT_DONE = 5,
	PH_AGENT_FAILED = 6,
};

struct ph_agent_state {
	uint32_t magic; /* PH_AGENT_MAGIC */
	uint32_t abi;
	volatile int32_t phase;  /* enum ph_agent_phase */
	volatile int32_t error;  /* PH_E* code when FAILED */
	volatile int32_t pipe_fd; /* read end in the target (out_fd < 0), -1 before */
	volatile uint32_t reader_attached; /* set to 1 by the dumper */
	volatile uint32_t cancel;          /* set to 1 by the dumper */
	volatile int32_t tid;              /* the agent thread's id in the target's pid namespace
					    (gettid), 0 before it runs; the dumper finds the
					    host's number through NSpid */
	volatile uint32_t beat;            /* bumped by the dumper while it waits for the pipe */
	uint32_t pad;
	volatile uint64_t objects;    /* progress: objects written */
	volatile uint64_t bytes;      /* progress: bytes written */
	volatile uint64_t gil_wait_ns; /* time spent waiting for the GIL */
	volatile uint64_t pause_ns;    /* time the GIL was held (target paused) */
	uint64_t thread;               /* pthread_t of the agent thread */
	char message[512];             /* NUL-terminated failure detail */
};

#endif
