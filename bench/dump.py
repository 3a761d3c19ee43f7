#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Benchmark `pyheap dump`: start targets holding heaps of realistic shape
(instances in dicts, lists of strings, nested containers, reference cycles)
on the chosen interpreters, dump each, and print per dump:

  objects    OBJECTS records in the dump (and the target's own gc census)
  wall       the whole `pyheap dump` run, as a person waits for it
  pause      how long the target's Python threads were held (pause_ns)
  B/obj      dump file bytes per object
  +RSS       the target's extra resident memory during the dump: peak VmRSS
             sampled every 5 ms minus VmRSS just before (and VmHWM growth)

    bench/dump.py [--sizes 100k,1M,10M] [--pythons 3.11,3.13,3.14,3.15] [--pyheap ./pyheap]
                  [--repeat N] [--keep DIR] [--no-values] [--tracemalloc FRAMES,...]

--tracemalloc 0,1,25 runs each target with PYTHONTRACEMALLOC unset, 1 and 25
(frames kept per traceback): the dump then records allocation sites, and the
"sites" column counts the objects given one.

--pythons takes versions (the first interpreter of that version that
tests/integration/pythons.py finds: pyenv's, Debian's, then those of the Debian
roots of scripts/pyroots, which run in their root as in a container) or labels
(pyenv-3.13.0, trixie-3.13, sid-3.14).

This is a script that reports numbers, not a test: record results with the
machine and commit in bench/RESULTS.md.
"""
import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import pythons  # noqa: E402

# Builds about N objects (counted the way gc.get_objects() plus the untracked scalars would
# see them), prints "READY <pid> <gc census>", then sleeps.
TARGET = r'''
import gc, sys, time
N = int(sys.argv[1])

class Customer:
    def __init__(self, i, name, parent):
        self.id = i                      # small ints are shared, larger ones are objects
        self.name = name                 # str
        self.tags = [name[:3], "t%d" % (i % 97)]   # list of 2 strs
        self.meta = {"score": i * 0.5, "seq": (i, i + 1)}  # dict, float, tuple
        self.parent = parent             # a chain, and below a cycle back

class Order(object):
    __slots__ = ("customer", "lines")
    def __init__(self, customer, lines):
        self.customer = customer
        self.lines = lines

customers = {}
orders = []
prev = None
i = 0
# about 12 objects per round: Customer, name, tags + 2 strs, meta + float + tuple (+ ints),
# an Order with a list of 2 nested lists
while i * 12 < N:
    c = Customer(i, "customer-%08d" % i, prev)
    customers[c.name] = c
    if i % 3 == 0:
        orders.append(Order(c, [[i, "x"], [i * 2.0]]))
    prev = c if i % 1000 else None
    i += 1
if prev is not None:
    customers[next(iter(customers))].parent = prev   # a cycle
print("READY", __import__("os").getpid(), len(gc.get_objects()), flush=True)
while True:
    time.sleep(3600)
'''


def parse_size(s):
    s = s.strip().lower()
    mult = 1
    if s.endswith("k"):
        mult, s = 1000, s[:-1]
    elif s.endswith("m"):
        mult, s = 1000000, s[:-1]
    return int(float(s) * mult)


def find_python(want):
    """The interpreter with that label, else the first of that version (see the module doc)."""
    for p in pythons.SUPPORTED_PYTHONS:
        if p.label == want:
            return p
    for p in pythons.SUPPORTED_PYTHONS:
        if "%d.%d" % p.version == want:
            return p
    return None


def status_kb(pid, key):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def sample_rss(pid, stop, out):
    peak = 0
    while not stop.is_set():
        peak = max(peak, status_kb(pid, "VmRSS"))
        time.sleep(0.005)
    out.append(peak)


def run_one(pyheap, python, n, outdir, label, extra=(), frames=0):
    t0 = time.monotonic()
    env = dict(os.environ)
    env.pop("PYTHONTRACEMALLOC", None)
    if frames:
        env["PYTHONTRACEMALLOC"] = str(frames)
    p = subprocess.Popen([python.path, "-c", TARGET, str(n)], stdout=subprocess.PIPE, text=True,
                         env=env)
    line = p.stdout.readline().split()
    if not line or line[0] != "READY":
        p.kill()
        raise RuntimeError("target did not start")
    pid, census = python.host_pid(p, int(line[1])), int(line[2])
    build_s = time.monotonic() - t0
    try:
        time.sleep(0.5)
        rss0, hwm0 = status_kb(pid, "VmRSS"), status_kb(pid, "VmHWM")
        stop, peak = threading.Event(), []
        th = threading.Thread(target=sample_rss, args=(pid, stop, peak))
        th.start()
        out = os.path.join(outdir, "%s-%d.pyheap" % (label, n))
        w0 = time.monotonic()
        r = subprocess.run([pyheap, "dump", "--pid", str(pid), "-o", out, "--quiet",
                            "--timeout", "120"] + list(extra), capture_output=True, text=True)
        wall = time.monotonic() - w0
        stop.set()
        th.join()
        if r.returncode != 0:
            raise RuntimeError("pyheap dump failed: " + r.stderr.strip())
        hwm1 = status_kb(pid, "VmHWM")
        info = json.loads(subprocess.run([pyheap, "info", "--json", out], capture_output=True,
                                         text=True, check=True).stdout)
        objects = sum(s["records"] for s in info["sections"] if s["kind"] == "OBJECTS")
        sites = sum(s["records"] for s in info["sections"] if s["kind"] == "SITES")
        return {
            "frames": frames, "sites": sites,
            "python": label, "target_objects": n, "gc_census": census, "objects": objects,
            "build_s": build_s, "wall_s": wall,
            "pause_ms": info["metadata"].get("pause_ns", 0) / 1e6,
            "objects_per_s": objects / (info["metadata"].get("pause_ns", 0) / 1e9)
            if info["metadata"].get("pause_ns") else float("nan"),
            "size": info["size"],
            "bytes_per_object": info["size"] / objects if objects else float("nan"),
            "extra_rss_mb": (max(peak[0], rss0) - rss0) / 1024.0,
            "extra_hwm_mb": (hwm1 - hwm0) / 1024.0,
        }
    finally:
        p.kill()
        p.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="100k,1M,10M")
    ap.add_argument("--pythons", default="3.11,3.13,3.14,3.15")
    ap.add_argument("--pyheap", default=os.path.join(ROOT, "pyheap"))
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--keep", help="keep the dumps in this directory")
    ap.add_argument("--no-values", action="store_true", help="dump with --no-values")
    ap.add_argument("--tracemalloc", default="0",
                    help="PYTHONTRACEMALLOC values to run the targets with (0: unset)")
    a = ap.parse_args()
    sizes = [parse_size(s) for s in a.sizes.split(",")]
    outdir = a.keep or tempfile.mkdtemp(prefix="pyheap-bench-")
    os.makedirs(outdir, exist_ok=True)
    print("pyheap dump benchmark: %s, %d cores, %s" % (
        subprocess.run([a.pyheap, "--version"], capture_output=True, text=True).stdout.strip(),
        os.cpu_count(), time.strftime("%Y-%m-%d %H:%M")))
    hdr = "%-14s %10s %3s %10s %10s %10s %8s %9s %10s %10s %7s %8s %8s" % (
        "python", "size", "tm", "gc census", "objects", "sites", "build s", "wall s", "pause ms",
        "objects/s", "B/obj", "+RSS MB", "+HWM MB")
    print(hdr)
    print("-" * len(hdr))
    failed = 0
    for ver in a.pythons.split(","):
        py = find_python(ver)
        if not py:
            print("%-14s not found (pyenv, Debian, scripts/pyroots): skipped" % ver)
            continue
        for n in sizes:
            for frames, _ in [(int(f), k) for f in a.tracemalloc.split(",") for k in range(a.repeat)]:
                try:
                    r = run_one(a.pyheap, py, n, outdir, py.label,
                                ["--no-values"] if a.no_values else [], frames)
                except Exception as e:  # report and go on with the next size
                    print("%-14s %10d  FAILED: %s" % (py.label, n, e))
                    failed += 1
                    continue
                print("%-14s %10d %3d %10d %10d %10d %8.1f %9.3f %10.1f %10.0f %7.1f %8.1f %8.1f" % (
                    py.label, n, frames, r["gc_census"], r["objects"], r["sites"], r["build_s"], r["wall_s"],
                    r["pause_ms"], r["objects_per_s"], r["bytes_per_object"], r["extra_rss_mb"],
                    r["extra_hwm_mb"]), flush=True)
    if not a.keep:
        for f in glob.glob(os.path.join(outdir, "*.pyheap")):
            os.unlink(f)
        os.rmdir(outdir)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
