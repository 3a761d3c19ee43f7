# SPDX-License-Identifier: MIT
"""A dump taken from inside a __del__ that the cyclic GC is running.

usage: census_collecting.py OUTDIR

The objects the collector is finalizing sit in its own lists, not in any
generation; the agent must notice the collection (gc_collecting), still
write each object once, and reach the finalized objects from the frame of
__del__ (self) and from each other.
"""
import gc
import json
import os
import sys

sys.path.insert(0, os.environ.get("PYHEAP_HARNESS_DIR",
                                  os.path.join(os.path.dirname(__file__), "..", "integration")))
import agent_harness  # noqa: E402

OUT = sys.argv[1]
state = {"done": False}


class Finalized:
    def __init__(self, name):
        self.name = name
        self.payload = ["payload of " + name]
        self.partner = None

    def __del__(self):
        if state["done"]:
            return
        state["done"] = True
        agent = agent_harness.Agent(os.path.join(OUT, "dump.pyheap"))
        info = {"self": id(self), "payload": id(self.payload), "partner": id(self.partner),
                "partner_payload": id(self.partner.payload), "gc_enabled": gc.isenabled()}
        res = agent.run()
        with open(os.path.join(OUT, "result.json"), "w") as f:
            json.dump({"result": res, "info": info}, f)


def main():
    gc.collect()
    a = Finalized("a")
    b = Finalized("b")
    a.partner, b.partner = b, a
    del a, b
    gc.collect()
    assert state["done"]


main()
