# SPDX-License-Identifier: MIT
"""Two dumps of one process, before and after a module-level dict of sessions
grows, for `pyheap diff` on real dumps (tests/integration/test_analyze_real.py).

usage: analyze_growth.py OUTDIR

Writes OUTDIR/before.pyheap, OUTDIR/after.pyheap and OUTDIR/expect.json:
the retained size and object count of SESSIONS at each dump, computed with
sys.getsizeof over what only SESSIONS holds (its keys, the Session instances,
their __dict__s - materialized on purpose so that every version has them -
their user strings, history lists and the strings in them).
"""
import json
import os
import sys

sys.path.insert(0, os.environ.get("PYHEAP_HARNESS_DIR",
                                  os.path.join(os.path.dirname(__file__), "..", "integration")))
import agent_harness  # noqa: E402

OUT = sys.argv[1]


class Session:
    def __init__(self, i):
        self.user = "user-%d" % i
        self.history = ["%d-%d" % (i, j) for j in range(20)]


SESSIONS = {}


def grow(start, n):
    for i in range(start, start + n):
        s = Session(i)
        s.__dict__  # materialize the instance dict on 3.11+ too
        SESSIONS["s%d" % i] = s


def measure():
    size, count = sys.getsizeof(SESSIONS), 1
    for k, s in SESSIONS.items():
        size += sys.getsizeof(k) + sys.getsizeof(s) + sys.getsizeof(s.__dict__)
        size += sys.getsizeof(s.user) + sys.getsizeof(s.history)
        size += sum(sys.getsizeof(h) for h in s.history)
        count += 5 + len(s.history)
    return {"retained": size, "objects": count}


def done(result):
    if result["phase"] != 5 or result["error"]:
        sys.exit("the agent failed: %r" % (result,))


def main():
    grow(0, 300)
    expect = {"before": measure()}
    done(agent_harness.Agent(os.path.join(OUT, "before.pyheap")).run())
    grow(300, 1200)
    expect["after"] = measure()
    with open(os.path.join(OUT, "expect.json"), "w") as f:
        json.dump(expect, f)
    done(agent_harness.Agent(os.path.join(OUT, "after.pyheap")).run())


main()
