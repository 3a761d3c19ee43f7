# SPDX-License-Identifier: MIT
"""A list of a million distinct ints (its edge list is split across records).

usage: census_big.py OUTDIR
"""
import json
import os
import sys

sys.path.insert(0, os.environ.get("PYHEAP_HARNESS_DIR",
                                  os.path.join(os.path.dirname(__file__), "..", "integration")))
import agent_harness  # noqa: E402

OUT = sys.argv[1]
N = 1000000


def main():
    big = list(range(1000, 1000 + N))
    chosen = {"big": big, "first": big[0], "last": big[-1]}
    expect = {"n": N, "sample": [[i, id(big[i])] for i in (0, 1, 4095, 4096, 500000, N - 1)]}
    res = agent_harness.dump(os.path.join(OUT, "dump.pyheap"), os.path.join(OUT, "census.json"),
                             chosen=chosen, expect=expect, sizes=False)
    with open(os.path.join(OUT, "result.json"), "w") as f:
        json.dump(res, f)


main()
