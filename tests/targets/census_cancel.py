# SPDX-License-Identifier: MIT
"""The dumper's cancel request is honoured.

usage: census_cancel.py OUTDIR

The agent is started while this thread holds the GIL (the harness calls it
through ctypes.PyDLL), so it waits for the GIL; the cancel flag is set
before this thread lets the GIL go. The agent must fail with PH_EINTR
without walking, leave the GC as it was, and a second dump must work.
"""
import ctypes
import gc
import json
import os
import sys
import time

sys.path.insert(0, os.environ.get("PYHEAP_HARNESS_DIR",
                                  os.path.join(os.path.dirname(__file__), "..", "integration")))
import agent_harness  # noqa: E402

OUT = sys.argv[1]


def main():
    res = {}
    for enabled in (True, False):
        gc.enable() if enabled else gc.disable()
        agent = agent_harness.Agent(os.path.join(OUT, "cancelled.pyheap"))
        # no forced GIL hand-over before the flag is set, however loaded the machine is
        interval = sys.getswitchinterval()
        sys.setswitchinterval(30.0)
        st = agent.start(agent.args_ptr)
        ctypes.c_uint32.from_address(st + 24).value = 1  # state.cancel
        sys.setswitchinterval(interval)
        phase = ctypes.c_int32.from_address(st + 8)
        while phase.value not in (5, 6):
            time.sleep(0.001)
        state = agent_harness.State.from_address(st)
        res["enabled" if enabled else "disabled"] = {
            "phase": state.phase, "error": state.error, "objects": state.objects,
            "message": state.message.decode(), "gc_after": gc.isenabled()}
        del state, phase
        agent.finish(st)
        os.close(agent.fd)
    gc.enable()
    res["again"] = agent_harness.dump(os.path.join(OUT, "dump.pyheap"))
    with open(os.path.join(OUT, "result.json"), "w") as f:
        json.dump(res, f)


main()
