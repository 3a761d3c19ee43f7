# SPDX-License-Identifier: MIT
"""Run pyheap's agent inside the current Python process, without the injector.

Imported by the test targets (tests/targets/census_*.py) and by bench/agent.py.
It does in-process what `pyheap dump` does from outside: it resolves every
symbol of PH_AGENT_API_LIST (read from src/agent/agent.h, so the order always
matches the C side) with dlsym through ctypes, fills a struct ph_agent_args,
loads build/pyheap-agent.so, calls pyheap_agent_start, waits for the agent
thread to finish (time.sleep releases the GIL, so the agent can take it) and
calls pyheap_agent_finish.

The output is a regular file (out_fd >= 0): the agent holds the GIL while it
writes, so a pipe read by this same process would deadlock.

dlsym on the process's global scope (ctypes.pythonapi is dlopen(NULL)) finds
both functions and data symbols (the address of _PyRuntime, PyType_Type, ...)
in the shared libpython of the pyenv builds and in the executable of Debian's
static python3.11.

Census: `census()` must run before `Agent.run()`; everything the harness
itself needs (ctypes, the loaded library, the argument struct, the output
file) is created in Agent.__init__, before the census, so that the census
and the dump see the same heap except for a few objects created while the
agent runs (see OBJECTS_CREATED_BY_RUN).
"""
import ctypes
import gc
import json
import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
AGENT_H = os.path.join(ROOT, "src", "agent", "agent.h")
BUILD = os.environ.get("PYHEAP_BUILD", os.path.join(ROOT, "build"))
AGENT_SO = os.path.join(BUILD, "pyheap-agent.so")

MAGIC = 0x50484147
ABI = 2
NO_VALUES = 0x1
PHASE_DONE = 5
PHASE_FAILED = 6


def api_names():
    """The symbol names of PH_AGENT_API_LIST, in order."""
    text = open(AGENT_H).read()
    body = text.split("#define PH_AGENT_API_LIST(X)", 1)[1].split("\n\n", 1)[0]
    return re.findall(r"X\((\w+)\)", body)


API = api_names()


class Args(ctypes.Structure):
    _fields_ = [
        ("magic", ctypes.c_uint32),
        ("abi", ctypes.c_uint32),
        ("size", ctypes.c_uint32),
        ("out_fd", ctypes.c_int32),
        ("flags", ctypes.c_uint32),
        ("attach_timeout_ms", ctypes.c_uint32),
        ("max_value_len", ctypes.c_uint64),
        ("dumper_pid", ctypes.c_uint64),
        ("out_state", ctypes.c_uint64),
        ("api", ctypes.c_uint64 * len(API)),
    ]


class State(ctypes.Structure):
    _fields_ = [
        ("magic", ctypes.c_uint32),
        ("abi", ctypes.c_uint32),
        ("phase", ctypes.c_int32),
        ("error", ctypes.c_int32),
        ("pipe_fd", ctypes.c_int32),
        ("reader_attached", ctypes.c_uint32),
        ("cancel", ctypes.c_uint32),
        ("tid", ctypes.c_int32),
        ("beat", ctypes.c_uint32),
        ("pad2", ctypes.c_uint32),
        ("objects", ctypes.c_uint64),
        ("bytes", ctypes.c_uint64),
        ("gil_wait_ns", ctypes.c_uint64),
        ("pause_ns", ctypes.c_uint64),
        ("thread", ctypes.c_uint64),
        ("message", ctypes.c_char * 512),
    ]


def resolve(name):
    """Address of a symbol in the process's global scope, or 0."""
    try:
        return ctypes.cast(getattr(ctypes.pythonapi, name), ctypes.c_void_p).value or 0
    except AttributeError:
        return 0


# What Agent.run() creates while the agent walks and that the census did not
# see: the ctypes view of the state's phase field (a GC-tracked ctypes object
# on every version). Tests allow exactly these per-type differences.
OBJECTS_CREATED_BY_RUN = {"ctypes.c_int": 1}


class Agent:
    """One dump of this process into the file out_path."""

    def __init__(self, out_path, flags=0, max_value_len=256, so_path=AGENT_SO):
        # PyDLL: the calls keep the GIL, so the agent thread cannot start walking
        # before run() has made its view of the state (deterministic census)
        self.lib = ctypes.PyDLL(so_path)
        self.start = self.lib.pyheap_agent_start
        self.start.restype = ctypes.c_void_p
        self.start.argtypes = [ctypes.c_void_p]
        self._finish = self.lib.pyheap_agent_finish
        self._finish.restype = None
        self._finish.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_int32)]
        self.args = Args()
        self.args.magic = MAGIC
        self.args.abi = ABI
        self.args.size = ctypes.sizeof(Args)
        self.args.flags = flags
        self.args.attach_timeout_ms = 10000
        self.args.max_value_len = max_value_len
        self.args.dumper_pid = os.getpid()
        for i, name in enumerate(API):
            self.args.api[i] = resolve(name)
        self.args_ptr = ctypes.addressof(self.args)
        self.fd = os.open(out_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        self.args.out_fd = self.fd
        self.result = None

    def finish(self, st):
        """pyheap_agent_finish(st, &result); raises unless result is 0."""
        res = ctypes.c_int32(-1)
        self._finish(st, ctypes.byref(res))
        if res.value != 0:
            raise RuntimeError("pyheap_agent_finish failed (%d)" % res.value)

    def run(self, timeout=120.0):
        """Dump; returns a dict with phase, error, message, objects, pause_ns, gil_wait_ns."""
        # The agent thread waits for the GIL from the start; with the default 5 ms
        # switch interval it could force a hand-over before `phase` exists on a
        # loaded machine, and the census would not match: no forced switch here.
        interval = sys.getswitchinterval()
        sys.setswitchinterval(60.0)
        try:
            st = self.start(self.args_ptr)
            if not st:
                raise RuntimeError("pyheap_agent_start refused the arguments")
            if self.args.out_state != st:
                raise RuntimeError("pyheap_agent_start did not store its state in the arguments")
            phase = ctypes.c_int32.from_address(st + 8)
        finally:
            sys.setswitchinterval(interval)
        deadline = time.monotonic() + timeout
        while phase.value not in (PHASE_DONE, PHASE_FAILED):
            if time.monotonic() > deadline:
                ctypes.c_uint32.from_address(st + 24).value = 1  # cancel
                deadline = float("inf")
            time.sleep(0.001)
        state = State.from_address(st)
        self.result = {
            "phase": state.phase,
            "error": state.error,
            "message": state.message.decode("utf-8", "replace"),
            "objects": state.objects,
            "bytes": state.bytes,
            "pause_ns": state.pause_ns,
            "gil_wait_ns": state.gil_wait_ns,
        }
        del state, phase
        self.finish(st)
        os.close(self.fd)
        return self.result


def dump_planted(outdir, expect):
    """For the targets that plant structures: write what the analysis must find to
    OUTDIR/expect.json, dump this process into OUTDIR/dump.pyheap and write the
    agent's result to OUTDIR/result.json (tests/integration/agentrun.planted_dump)."""
    with open(os.path.join(outdir, "expect.json"), "w") as f:
        json.dump(expect, f)
    result = Agent(os.path.join(outdir, "dump.pyheap")).run()
    with open(os.path.join(outdir, "result.json"), "w") as f:
        json.dump(result, f)
    return result


def type_key(t):
    """The name a type gets in the dump: module.qualname (bare for builtins)."""
    mod = t.__dict__.get("__module__") if isinstance(t.__dict__.get("__module__"), str) else None
    if mod is None:
        mod = t.__module__ if isinstance(t.__module__, str) else "builtins"
    qn = t.__qualname__
    return qn if mod == "builtins" else mod + "." + qn


def census(path, chosen=None, sizes=True, expect=None):
    """Write what the heap holds now, as seen from Python, to path (JSON).

    - counts: GC-tracked objects by type (gc.get_objects(), i.e. generations
      0-2; frozen objects are not included) keyed by the type's id, with the
      type names;
    - sizes: sys.getsizeof of every GC-tracked object and of its untracked
      referents, keyed by id (only for types without a Python __sizeof__);
    - chosen: for each name, the id, type name, sys.getsizeof and (for str,
      bytes, int, float) the value of a chosen object;
    - expect: whatever the target wants the test to check (ids of referents...).
    """
    objs = gc.get_objects()
    harness_code = {id(f.__code__) for f in _HARNESS_FUNCTIONS}
    counts = {}
    names = {}
    size_of = {}
    for o in objs:
        t = type(o)
        counts[id(t)] = counts.get(id(t), 0) + 1
        if id(t) not in names:
            names[id(t)] = type_key(t)
    if sizes:
        extra = []
        for o in objs:
            if not _python_sizeof(type(o)):
                size_of[id(o)] = [id(type(o)), sys.getsizeof(o)]
            if type(o) is type(sys):
                # 3.12's _asyncio module traverses its free list of dead objects; a
                # list of them from gc.get_referents corrupts it (CPython issue 122695)
                continue
            if _interned_dict(o):
                # the interpreter's interned strings (a GC object on 3.14+): its references
                # are not counted, and a str it lists may die before the dump - its last
                # holder can be the type attribute cache, which this census's own lookups
                # overwrite - so its referents are compared only if something else holds them
                continue
            for r in gc.get_referents(o):
                if (id(r) not in size_of and not gc.is_tracked(r) and not _python_sizeof(type(r))
                        and id(r) not in harness_code):
                    extra.append(r)
        for r in extra:
            size_of[id(r)] = [id(type(r)), sys.getsizeof(r)]
        del extra, r
    out = {
        "pid": os.getpid(),
        "hexversion": sys.hexversion,
        "freeze_count": gc.get_freeze_count() if hasattr(gc, "get_freeze_count") else 0,
        "counts": {str(k): v for k, v in counts.items()},
        "names": {str(k): v for k, v in names.items()},
        "sizes": {str(k): v for k, v in size_of.items()},
        "chosen": {},
        "expect": expect or {},
        "sys": {"version": sys.version, "argv": sys.argv, "executable": sys.executable},
    }
    for name, o in (chosen or {}).items():
        out["chosen"][name] = describe(o)
    del objs, o, counts, names, size_of
    # json.dumps, not json.dump: the C encoder makes no reference cycles
    # (json.dump's pure-Python encoder leaves closures for the GC to free)
    text = json.dumps(out)
    del out
    with open(path, "w") as f:
        f.write(text)
    del text


def _interned_dict(o):
    """Is o the interpreter's dict of interned strings (every key is its own value)?"""
    if type(o) is not dict or len(o) < 1000:
        return False
    for k, v in o.items():
        if k is not v or type(k) is not str:
            return False
    return True


def _python_sizeof(t):
    for k in t.__mro__:
        d = k.__dict__.get("__sizeof__")
        if d is not None:
            return type(d).__name__ == "function"
    return False


def describe(o):
    d = {"id": id(o), "type": id(type(o)), "type_name": type_key(type(o)),
         "size": sys.getsizeof(o), "tracked": gc.is_tracked(o)}
    if type(o) is str:
        d["str"] = o.encode("utf-8", "surrogatepass").hex()
        d["length"] = len(o)
    elif type(o) is bytes:
        d["bytes"] = o.hex()
    elif type(o) is bool:
        d["bool"] = o
    elif type(o) is int:
        d["int"] = str(o)
    elif type(o) is float:
        d["float"] = o.hex()
    return d


def dump(out_path, census_path=None, chosen=None, flags=0, max_value_len=256, sizes=True,
         expect=None):
    """Census (if census_path) then dump this process; returns the agent's result.

    With a census, the cyclic GC is collected and then kept off from the census
    to the end of the dump (and turned back on if it was on): a collection in
    between would untrack tuples and dicts and free cycles, and the census and
    the dump would see different heaps. The result's "gc_enabled_after" says
    whether the GC was on when the agent returned (it must restore what it
    found).
    """
    agent = Agent(out_path, flags=flags, max_value_len=max_value_len)
    was = gc.isenabled()
    if census_path:
        gc.collect()
        gc.disable()
        # a first census that is thrown away: what the census itself sets up lazily the
        # first time (seen on 3.9: functools._lru_list_elem gets readied by it) is
        # then in place for the real one
        census(census_path, chosen, sizes, expect)
        census(census_path, chosen, sizes, expect)
    try:
        r = agent.run()
        r["gc_enabled_after"] = gc.isenabled()
    finally:
        if was:
            gc.enable()
    return r


_HARNESS_FUNCTIONS = [api_names, resolve, Agent.__init__, Agent.run, type_key, census,
                      _interned_dict, _python_sizeof, describe, dump]
