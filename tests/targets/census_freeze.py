# SPDX-License-Identifier: MIT
"""gc.freeze(): objects in the GC's permanent generation are dumped too.

usage: census_freeze.py OUTDIR
"""
import gc
import json
import os
import sys

sys.path.insert(0, os.environ.get("PYHEAP_HARNESS_DIR",
                                  os.path.join(os.path.dirname(__file__), "..", "integration")))
import agent_harness  # noqa: E402

OUT = sys.argv[1]


class Frozen:
    def __init__(self, n):
        self.n = n
        self.items = ["frozen-%d" % n]


def main():
    gc.collect()
    frozen = [Frozen(i) for i in range(500)]
    gc.freeze()
    later = [Frozen(-i) for i in range(10)]
    chosen = {"frozen0": frozen[0], "frozen_list": frozen, "frozen_items": frozen[7].items,
              "later": later}
    expect = {"frozen_ids": [id(f) for f in frozen[:50]] + [id(frozen)],
              "freeze_count": gc.get_freeze_count()}
    res = agent_harness.dump(os.path.join(OUT, "dump.pyheap"), os.path.join(OUT, "census.json"),
                             chosen=chosen, expect=expect)
    gc.unfreeze()
    with open(os.path.join(OUT, "result.json"), "w") as f:
        json.dump(res, f)


main()
