# SPDX-License-Identifier: MIT
"""A heap where one kind is held from three containers, for `pyheap paths
--kind` (tests/integration/test_setpaths.py), dumped by the agent from
inside (tests/integration/agent_harness.py).

usage: analyze_kinds.py OUTDIR

Plants Marker objects (slots, each with a unique bytes payload) in a module
list A (100), the values of a module dict B with data keys (50) and the list
.items of a Box instance C (25); and 20 Node instances in a list D, each with
its __dict__ materialized. expect.json holds the counts and what each group
retains (sys.getsizeof of the markers and their payloads).
"""
import os
import sys

sys.path.insert(0, os.environ.get("PYHEAP_HARNESS_DIR",
                                  os.path.join(os.path.dirname(__file__), "..", "integration")))
import agent_harness  # noqa: E402

OUT = sys.argv[1]


class Marker:
    __slots__ = ("payload",)

    def __init__(self, i):
        self.payload = bytes(100 + i)


class Box:
    def __init__(self, items):
        self.items = items


class Node:
    def __init__(self, i):
        self.i = i


n = 0


def marker():
    global n
    n += 1
    return Marker(n)


A = [marker() for _ in range(100)]
B = {"key-%d" % i: marker() for i in range(50)}
C = Box([marker() for _ in range(25)])
D = [Node(i) for i in range(20)]
for node in D:
    node.__dict__  # materialize the instance dict on 3.11+ too
del node


def retained(ms):
    return sum(sys.getsizeof(m) + sys.getsizeof(m.payload) for m in ms)


def main():
    expect = {
        "A": [len(A), retained(A)],
        "B": [len(B), retained(B.values())],
        "C": [len(C.items), retained(C.items)],
        "D": [len(D), sum(sys.getsizeof(node.__dict__) for node in D)],
        "marker_size": sys.getsizeof(A[0]),
    }
    agent_harness.dump_planted(OUT, expect)


main()
