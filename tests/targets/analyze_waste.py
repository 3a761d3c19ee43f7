# SPDX-License-Identifier: MIT
"""A heap with planted waste whose measure is known, dumped by the agent from
inside (tests/integration/agent_harness.py), for `pyheap waste`
(tests/integration/test_waste.py).

usage: analyze_waste.py OUTDIR

Plants, then writes OUTDIR/expect.json and dumps to OUTDIR/dump.pyheap:
- DUP_STRS: a list of 300 distinct str objects of one value (built at run
  time, so not interned); saving 299 copies.
- DUP_TUPLES: a dict of 50 distinct tuples ('dup-key-...', 12345678901, None),
  each built anew from new elements, under data keys.
- DUP_FROZEN: a list of 20 distinct frozensets of equal members.
- 100 Holder instances, each with an empty dict in .extra.
- SLACKY: a list grown by append (so with free slots): the saving is what a
  copy of it would not have, sys.getsizeof(l) - sys.getsizeof(l[:]).
- SPARSE: a set that held 10000 ints and now holds 3 (sets never shrink):
  the saving is sys.getsizeof(s) - sys.getsizeof(set(s)).
"""
import os
import sys

sys.path.insert(0, os.environ.get("PYHEAP_HARNESS_DIR",
                                  os.path.join(os.path.dirname(__file__), "..", "integration")))
import agent_harness  # noqa: E402

OUT = sys.argv[1]
VALUE = "waste-dup-" + "q" * 60


def fresh_str(s):
    return "".join(list(s))  # a new object of the same value each time


DUP_STRS = [fresh_str(VALUE) for _ in range(300)]
DUP_TUPLES = {i: (fresh_str("dup-key-%s" % ("k" * 20)), int("12345678901"), None) for i in range(50)}
DUP_FROZEN = [frozenset(fresh_str("member-%d-zz" % j) for j in range(4)) for _ in range(20)]


class Holder:
    def __init__(self):
        self.extra = {}


HOLDERS = [Holder() for _ in range(100)]

SLACKY = []
for i in range(1000):
    SLACKY.append(i)

SPARSE = set(range(10000))
for i in range(3, 10000):
    SPARSE.discard(i)


def main():
    assert len({id(s) for s in DUP_STRS}) == 300
    expect = {
        "python": list(sys.version_info[:3]),
        "str": {"value": VALUE, "count": 300, "saving": 299 * sys.getsizeof(DUP_STRS[0]),
                "address": id(DUP_STRS[0])},
        "tuple": {"count": 50, "saving": 49 * sys.getsizeof(DUP_TUPLES[0]),
                  "addresses": [id(t) for t in DUP_TUPLES.values()]},
        "frozenset": {"count": 20, "saving": 19 * sys.getsizeof(DUP_FROZEN[0]),
                      "addresses": [id(f) for f in DUP_FROZEN]},
        "empty": {"count": 100, "saving": sum(sys.getsizeof(h.extra) for h in HOLDERS)},
        "slack": {"address": id(SLACKY), "saving": sys.getsizeof(SLACKY) - sys.getsizeof(SLACKY[:])},
        "sparse": {"address": id(SPARSE), "saving": sys.getsizeof(SPARSE) - sys.getsizeof(set(SPARSE))},
    }
    agent_harness.dump_planted(OUT, expect)


main()
