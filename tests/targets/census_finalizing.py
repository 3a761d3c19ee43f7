# SPDX-License-Identifier: MIT
"""The agent asked to dump an interpreter that is shutting down refuses.

usage: census_finalizing.py OUTDIR

A module global's __del__ runs while Py_FinalizeEx tears the modules down
(the runtime is finalizing by then) and starts the agent from there; the
agent must fail with PH_EFINALIZING before it asks for the GIL. The result
is written with callables bound beforehand (modules are being cleared).
"""
import ctypes
import os
import sys
import time

sys.path.insert(0, os.environ.get("PYHEAP_HARNESS_DIR",
                                  os.path.join(os.path.dirname(__file__), "..", "integration")))
import agent_harness  # noqa: E402

OUT = sys.argv[1]


class AtShutdown:
    def __init__(self):
        self.agent = agent_harness.Agent(os.path.join(OUT, "dump.pyheap"))
        self.c_int32 = ctypes.c_int32
        self.sleep = time.sleep
        self.open = os.open
        self.write = os.write
        self.close = os.close
        self.path = os.path.join(OUT, "result.txt")
        self.flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
        self.is_finalizing = sys.is_finalizing

    def __del__(self):
        finalizing = self.is_finalizing()
        st = self.agent.start(self.agent.args_ptr)
        phase = self.c_int32.from_address(st + 8)
        err = self.c_int32.from_address(st + 12)
        for _ in range(5000):
            if phase.value in (5, 6):
                break
            self.sleep(0.001)
        text = "%d %d %d" % (int(finalizing), phase.value, err.value)
        self.agent.finish(st)
        fd = self.open(self.path, self.flags, 0o600)
        self.write(fd, text.encode())
        self.close(fd)


keeper = AtShutdown()
