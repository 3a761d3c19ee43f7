# SPDX-License-Identifier: MIT
"""A dump of the main interpreter while a sub-interpreter exists.

usage: census_subinterp.py OUTDIR

With more than one interpreter alive the agent puts every object through
its seen set ("full" mode): objects of the main interpreter are dumped
exactly once, and the census of the main interpreter still matches.
"""
import json
import os
import sys

try:
    import _xxsubinterpreters as interpreters
except ImportError:
    import _interpreters as interpreters

sys.path.insert(0, os.environ.get("PYHEAP_HARNESS_DIR",
                                  os.path.join(os.path.dirname(__file__), "..", "integration")))
import agent_harness  # noqa: E402

OUT = sys.argv[1]


def main():
    sub = interpreters.create()
    interpreters.run_string(sub, "data = [str(i) for i in range(1000)]")
    mine = {"main": ["main-interpreter-object"]}
    res = agent_harness.dump(os.path.join(OUT, "dump.pyheap"), os.path.join(OUT, "census.json"),
                             chosen={"mine": mine})
    interpreters.destroy(sub)
    with open(os.path.join(OUT, "result.json"), "w") as f:
        json.dump(res, f)


main()
