# SPDX-License-Identifier: MIT
"""The agent refusing what it cannot check, in this very process: the
in-process harness with one of the interpreter's symbols pointing elsewhere.

usage: census_versions.py OUTDIR MODE

  plain           nothing changed (the control: the dump succeeds)
  newer           Py_Version says 3.(PH_PY_MINOR_MAX + 1).0
  free-threaded   _Py_DebugOffsets (3.13+) says the build is free-threaded
  offsets         _Py_DebugOffsets (3.13+) publishes another offset for the
                  runtime's interpreter list than the agent's table says

The changed symbols point at copies (the first pages of _PyRuntime, an
unsigned long): the interpreter itself is not touched. Writes result.json.
"""
import ctypes
import json
import os
import sys

sys.path.insert(0, os.environ.get("PYHEAP_HARNESS_DIR",
                                  os.path.join(os.path.dirname(__file__), "..", "integration")))
import agent_harness  # noqa: E402

OUT, MODE = sys.argv[1], sys.argv[2]
RUNTIME_COPY = 16384  # bytes: the debug offsets and the runtime fields the agent reads
# _Py_DebugOffsets: cookie, version, free_threaded, runtime_state {size, finalizing,
# interpreters_head}: the same places in 3.13, 3.14 and 3.15
DBG_FREE_THREADED = 16
DBG_INTERP_HEAD = 40

agent = agent_harness.Agent(os.path.join(OUT, "dump.pyheap"))
api = agent_harness.API
keep = []
if MODE == "newer":
    minor = int(open(agent_harness.AGENT_H).read().split("#define PH_PY_MINOR_MAX")[1].split()[0])
    v = ctypes.c_ulong(0x03000000 | (minor + 1) << 16 | 0xf0)
    keep.append(v)
    agent.args.api[api.index("Py_Version")] = ctypes.addressof(v)
elif MODE in ("free-threaded", "offsets"):
    rt = agent.args.api[api.index("_PyRuntime")]
    copy = ctypes.create_string_buffer(ctypes.string_at(rt, RUNTIME_COPY), RUNTIME_COPY)
    keep.append(copy)
    base = ctypes.addressof(copy)
    assert copy.raw[:8] == b"xdebugpy"
    if MODE == "free-threaded":
        ctypes.c_uint64.from_address(base + DBG_FREE_THREADED).value = 1
    else:
        ctypes.c_uint64.from_address(base + DBG_INTERP_HEAD).value += 8
    agent.args.api[api.index("_PyRuntime")] = base
r = agent.run()
with open(os.path.join(OUT, "result.json"), "w") as f:
    json.dump(r, f)
