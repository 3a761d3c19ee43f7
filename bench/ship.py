#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Benchmark what ships: the sizes of the binaries and of the two images
(make static, make images), and the static binary's dump time next to the
dynamic build's, on the same target process (the heap of bench/dump.py),
dumped in turns so that both see the same heap and the same machine load.

    bench/ship.py [--size 1M] [--python 3.11] [--repeat 5]
                  [--dynamic build/pyheap] [--static build/static/pyheap]

Prints, per binary: the wall time of `pyheap dump` (median and min) and the
target's pause (median). Images are built with scripts/build-images into a
temporary directory (needs buildah and skopeo; skipped with a note without).

This is a script that reports numbers, not a test: record results with the
machine and commit in bench/RESULTS.md.
"""
import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dump as dumpbench  # noqa: E402  (bench/dump.py: its target and helpers)


def mib(n):
    return "%.2f MiB" % (n / 1048576.0)


def sizes(dynamic, static):
    print("binaries:")
    print("  %-34s %s" % ("dynamic (" + os.path.relpath(dynamic, ROOT) + ")", mib(os.path.getsize(dynamic))))
    print("  %-34s %s" % ("static (" + os.path.relpath(static, ROOT) + ")", mib(os.path.getsize(static))))
    with tempfile.TemporaryDirectory() as d:
        stripped = os.path.join(d, "pyheap")
        subprocess.run(["objcopy", "--strip-debug", static, stripped], check=True)
        print("  %-34s %s" % ("static, no debug sections", mib(os.path.getsize(stripped))))
    if not (shutil.which("buildah") and shutil.which("skopeo")):
        print("images: buildah or skopeo missing (scripts/install-deps --images): not built")
        return
    with tempfile.TemporaryDirectory() as d:
        t0 = time.monotonic()
        subprocess.run([os.path.join(ROOT, "scripts", "build-images"), static, d], check=True,
                       capture_output=True)
        took = time.monotonic() - t0
        print("images (scripts/build-images, %.1f s for both):" % took)
        for line in open(os.path.join(d, "sizes")):
            name, size = line.split()
            raw = json.loads(subprocess.run(["skopeo", "inspect", "--raw",
                                             "oci:%s/oci:%s" % (d, name)], check=True,
                                            capture_output=True, text=True).stdout)
            print("  %-34s %s compressed (%d layer%s)" % (name, mib(int(size)), len(raw["layers"]),
                                                         "" if len(raw["layers"]) == 1 else "s"))


def dump_once(pyheap, pid, out):
    """(wall s, pause ms, file bytes, the dumper's CPU s) of one dump."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    w0 = time.monotonic()
    r = subprocess.run([pyheap, "dump", "--pid", str(pid), "-o", out, "--quiet",
                        "--timeout", "120"], capture_output=True, text=True)
    wall = time.monotonic() - w0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    if r.returncode != 0:
        raise RuntimeError("%s dump failed: %s" % (pyheap, r.stderr.strip()))
    info = json.loads(subprocess.run([pyheap, "info", "--json", out], capture_output=True,
                                     text=True, check=True).stdout)
    return wall, info["metadata"].get("pause_ns", 0) / 1e6, info["size"], cpu


def timing(binaries, python, n, repeat):
    p = subprocess.Popen([python.path, "-c", dumpbench.TARGET, str(n)], stdout=subprocess.PIPE,
                         text=True)
    line = p.stdout.readline().split()
    if not line or line[0] != "READY":
        p.kill()
        raise RuntimeError("target did not start")
    pid = python.host_pid(p, int(line[1]))
    res = {name: [] for name, _ in binaries}
    try:
        time.sleep(0.5)
        with tempfile.TemporaryDirectory() as d:
            for i in range(repeat):
                order = binaries if i % 2 == 0 else binaries[::-1]
                for name, binary in order:
                    res[name].append(dump_once(binary, pid, os.path.join(d, name + ".pyheap")))
    finally:
        p.kill()
        p.wait()
    print("dump of one %s target (%s objects in its gc census), %d dumps per binary in turns"
          % (python.label, line[2], repeat))
    print("(median and min; cpu: the dumper's own, not the target's):")
    print("  %-8s %18s %18s %18s %10s" % ("binary", "wall s", "pause ms", "dumper cpu s", "file"))
    for name, _ in binaries:
        col = [[r[k] for r in res[name]] for k in range(4)]
        print("  %-8s %9.3f %8.3f %9.1f %8.1f %9.3f %8.3f %10s" % (
            name, statistics.median(col[0]), min(col[0]), statistics.median(col[1]), min(col[1]),
            statistics.median(col[3]), min(col[3]), mib(res[name][-1][2])))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", default="1M")
    ap.add_argument("--python", default="3.11")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--dynamic", default=os.path.join(ROOT, "build", "pyheap"))
    ap.add_argument("--static", default=os.path.join(ROOT, "build", "static", "pyheap"))
    a = ap.parse_args()
    for b in (a.dynamic, a.static):
        if not os.access(b, os.X_OK):
            sys.exit("ship.py: %s is not built (make, make static)" % b)
    print("pyheap shipping benchmark: %s, %d cores, %s" % (
        subprocess.run([a.dynamic, "--version"], capture_output=True, text=True).stdout.strip(),
        os.cpu_count(), time.strftime("%Y-%m-%d %H:%M")))
    sizes(a.dynamic, a.static)
    py = dumpbench.find_python(a.python)
    if not py:
        sys.exit("ship.py: no CPython %s found" % a.python)
    timing([("dynamic", a.dynamic), ("static", a.static)], py, dumpbench.parse_size(a.size),
           a.repeat)


if __name__ == "__main__":
    main()
