#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Benchmark of the agent's heap walk, in-process (tests/integration/agent_harness.py).

usage: bench/agent.py [--python PY]... [--sizes 100000,1000000,10000000] [--out DIR]
                     [--shape records|shared]

PY: a version (3.14), a label of tests/integration/pythons.py (pyenv-3.13.0,
trixie-3.13, sid-3.15: the Debian roots' interpreters run in their root) or a
path.

For each interpreter and size, a child process builds a heap of about that
many objects of a realistic shape (class instances with str/int/float
attributes, small lists and dicts, shared and unique strings), then the agent
dumps it to a file. Printed per run: objects dumped, the pause (time the agent
held the GIL), objects per second of pause, raw dump bytes per object, and the
target's extra peak RSS during the dump (VmHWM after resetting it through
/proc/self/clear_refs, minus VmRSS before). Defaults: 3.11, 3.13, 3.14, 3.15.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
HARNESS = os.path.join(ROOT, "tests", "integration")
sys.path.insert(0, HARNESS)
import pythons  # noqa: E402

CHILD = r'''
import gc, json, os, sys, time
sys.path.insert(0, sys.argv[3])
import agent_harness

N = int(sys.argv[1])
TAGS = ["red", "green", "blue", "cyan"]

class Record:
    def __init__(self, i):
        self.id = i * 1000                       # int (> 256: its own object)
        self.name = "record-%d" % i              # unique str
        self.score = i / 7.0                     # float
        self.tags = [TAGS[i % 4], TAGS[(i + 1) % 4]]       # list of shared strs
        self.meta = {"owner": "user%d" % (i % 1000), "n": i * 3, "ok": True}  # dict

# each record makes about 8 objects: instance, name, id, score, tags, meta, owner?, n
records = [Record(i) for i in range(N // 8)]
if sys.argv[4] == "shared":
    # every name is also a key of an index, every score also in a list: held twice
    index = {r.name: r for r in records}
    scores = [r.score for r in records]
else:
    index = {r.name: r for r in records[: len(records) // 4]}
gc.collect()

def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
    return 0

rss0 = status("VmRSS")
try:
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
except OSError:
    pass
t0 = time.monotonic()
r = agent_harness.dump(sys.argv[2])
wall = time.monotonic() - t0
r["wall_s"] = wall
r["extra_rss"] = status("VmHWM") - rss0
r["file_bytes"] = os.path.getsize(sys.argv[2])
print(json.dumps(r))
'''


def find_pythons(wanted):
    """(label, path) of each wanted interpreter (see the module doc)."""
    found = []
    for w in wanted or ["3.11", "3.13", "3.14", "3.15"]:
        p = next((p for p in pythons.SUPPORTED_PYTHONS if p.label == w), None) or \
            next((p for p in pythons.SUPPORTED_PYTHONS if "%d.%d" % p.version == w), None)
        if p is not None:
            found.append((p.label, p.path))
        elif os.path.sep in w:
            found.append((w, w))
        else:
            print("%s: not found (pyenv, Debian, scripts/pyroots): skipped" % w)
    return found


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--python", action="append")
    ap.add_argument("--sizes", default="100000,1000000,10000000")
    ap.add_argument("--out", default=None)
    ap.add_argument("--shape", choices=("records", "shared"), default="records",
                    help="shared: most str and float objects are held twice (no sole-reference shortcut)")
    a = ap.parse_args()
    out = a.out or tempfile.mkdtemp(prefix="pyheap-bench-")
    env = dict(os.environ, PYHEAP_BUILD=os.environ.get("PYHEAP_BUILD", os.path.join(ROOT, "build")))
    print("%-30s %10s %10s %9s %12s %8s %10s" % ("python", "size", "objects", "pause s",
                                                 "objects/s", "B/obj", "extra RSS"))
    for label, py in find_pythons(a.python):
        for size in [int(x) for x in a.sizes.split(",")]:
            path = os.path.join(out, "bench-%s-%d.pyheap" % (label, size))
            p = subprocess.run([py, "-c", CHILD, str(size), path, HARNESS, a.shape], capture_output=True,
                               text=True, env=env)
            if p.returncode:
                print("%s %d: failed\n%s" % (label, size, p.stderr[-2000:]))
                continue
            r = json.loads(p.stdout.strip().splitlines()[-1])
            pause = r["pause_ns"] / 1e9
            print("%-30s %10d %10d %9.3f %12.0f %8.1f %8.1f MB" % (
                label, size, r["objects"], pause, r["objects"] / pause, r["file_bytes"] / r["objects"],
                r["extra_rss"] / 1e6))
            os.unlink(path)
            sys.stdout.flush()


if __name__ == "__main__":
    main()
