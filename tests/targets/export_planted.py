# SPDX-License-Identifier: MIT
"""A heap with planted structures for the export tests
(tests/integration/test_export_devtools.py), dumped twice by the agent from
inside (tests/integration/agent_harness.py).

usage: export_planted.py OUTDIR

Plants, then writes OUTDIR/expect.json and dumps to OUTDIR/dump.pyheap, then
adds a little and dumps again to OUTDIR/again.pyheap:
- CACHE, a module-level list of 200 Payload instances that nothing else
  refers to, each with its __dict__ holding a unique bytes, int and str:
  expect["cache"]["retained"] is what the list retains (sys.getsizeof sums).
- RING, a cycle of 50 RingNode instances (each one's .next is the next, the
  last one's the first) held only by the module global RING (the first
  node): the first node retains the whole ring, expect["ring"]["retained"].
- A thread named 'planted-worker' blocked in worker(), whose local
  'local_big' is a list of bytearrays nothing else refers to:
  expect["worker"]["retained"].
- Garbage: a cycle of two objects dropped while the GC is disabled, so that
  the dump has unreachable objects (and one of them refers to a live str).
"""
import gc
import json
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


class RingNode:
    def __init__(self, i):
        self.blob = bytearray(300 + i)
        self.next = None


class Garbage:
    pass


CACHE = []
RING = None
LIVE_NAME = "a live str that garbage refers to"


def size_of(objs):
    total = 0
    for o in objs:
        d = o.__dict__
        total += sys.getsizeof(o) + sys.getsizeof(d)
        total += sum(sys.getsizeof(v) for v in d.values() if not isinstance(v, (RingNode, type(None))))
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


def run_agent(name):
    result = agent_harness.Agent(os.path.join(OUT, name)).run()
    if result.get("error") != 0:
        sys.exit("the agent failed: %r" % (result,))


def main():
    global RING
    for i in range(200):
        p = Payload(i)
        p.__dict__  # materialize the instance dict on 3.11+ too
        CACHE.append(p)
    del p  # main()'s frame is on the stack during the dump: its locals are roots
    nodes = [RingNode(i) for i in range(50)]
    for a, b in zip(nodes, nodes[1:] + nodes[:1]):
        a.next = b
    RING = nodes[0]
    ring_expect = {"address": id(RING), "retained": size_of(nodes), "objects": 3 * len(nodes)}
    del nodes, a, b
    gc.disable()
    g1, g2 = Garbage(), Garbage()
    g1.other, g2.other, g1.name = g2, g1, LIVE_NAME
    garbage = [id(g1), id(g2)]
    del g1, g2
    t = threading.Thread(target=worker, name="planted-worker", daemon=True)
    t.start()
    ready.wait()
    expect = {
        "python": list(sys.version_info[:3]),
        "cache": {"address": id(CACHE), "retained": sys.getsizeof(CACHE) + size_of(CACHE),
                  "objects": 1 + 5 * len(CACHE)},
        "ring": ring_expect,
        "worker": dict(worker_expect),
        "garbage": garbage,
    }
    with open(os.path.join(OUT, "expect.json"), "w") as f:
        json.dump(expect, f)
    run_agent("dump.pyheap")
    CACHE.extend(Payload(1000 + i) for i in range(20))
    run_agent("again.pyheap")
    stop.set()
    t.join()


main()
