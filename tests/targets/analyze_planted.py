# SPDX-License-Identifier: MIT
"""A heap with planted structures whose analysis is known, dumped by the agent
from inside (tests/integration/agent_harness.py), for the analyzer's tests on
real dumps (tests/integration/test_analyze_real.py).

usage: analyze_planted.py OUTDIR

Plants, then writes OUTDIR/expect.json and dumps to OUTDIR/dump.pyheap:
- CACHE, a module-level list of Payload instances that nothing else refers
  to; each has its __dict__ (materialized on purpose, so that it is an object
  on every version) holding a unique bytes, a unique int and a unique str.
  The list retains exactly the sum of sys.getsizeof of the list, the
  instances, their dicts and those values: expect["cache"]["retained"].
- A thread named 'planted-worker' blocked in worker(), whose local variable
  'local_big' is a list of bytearrays nothing else refers to:
  expect["worker"]["retained"] is what the list retains.
- expect["paths"]: the address of CACHE[3].data and the module-level path
  to it.
"""
import os
import sys
import threading

sys.path.insert(0, os.environ.get("PYHEAP_HARNESS_DIR",
                                  os.path.join(os.path.dirname(__file__), "..", "integration")))
import agent_harness  # noqa: E402

OUT = sys.argv[1]


class Payload:
    def __init__(self, i):
        self.data = bytes(1000 + i)
        self.n = 10 ** 7 + i
        self.tag = "tag-%d-%s" % (i, "x" * (i % 7))


CACHE = []


def fill(n):
    for i in range(n):
        p = Payload(i)
        p.__dict__  # materialize the instance dict on 3.11+ too
        CACHE.append(p)


def size_of_cache():
    total = sys.getsizeof(CACHE)
    for p in CACHE:
        d = p.__dict__
        total += sys.getsizeof(p) + sys.getsizeof(d)
        total += sys.getsizeof(p.data) + sys.getsizeof(p.n) + sys.getsizeof(p.tag)
    return total


ready = threading.Event()
stop = threading.Event()
worker_expect = {}


def worker():
    local_big = [bytearray(5000 + i) for i in range(10)]
    worker_expect["address"] = id(local_big)
    worker_expect["retained"] = sys.getsizeof(local_big) + sum(sys.getsizeof(b) for b in local_big)
    ready.set()
    stop.wait()
    return len(local_big)


def main():
    fill(200)
    t = threading.Thread(target=worker, name="planted-worker", daemon=True)
    t.start()
    ready.wait()
    expect = {
        "python": list(sys.version_info[:3]),
        "cache": {"address": id(CACHE), "retained": size_of_cache(), "objects": 1 + 5 * len(CACHE)},
        "worker": dict(worker_expect),
        "paths": {"address": id(CACHE[3].data),
                  "expr": "sys.modules['__main__'].__dict__['CACHE'][3].data"},
    }
    agent_harness.dump_planted(OUT, expect)
    stop.set()
    t.join()


main()
