# SPDX-License-Identifier: MIT
"""Benchmark of `pyheap export`: time, peak RSS and output size of both
formats on synthetic dumps of 1M and 10M objects (`build/test-tool synth`,
cached in build/bench/), next to `pyheap summary` on the same dump (the
analysis every command runs first), and the time Chrome DevTools' own heap
snapshot code takes to load the heapsnapshot (tests/devtools/load.mjs under
node: HeapSnapshotLoader parsing, then JSHeapSnapshot's indexes, dominators
and retained sizes) for the sizes given in DEVTOOLS_MAX (default 1M).

    python3 bench/export.py [N ...]        (default: 1000000 10000000)

Goal (issue 10): under 2 s per million objects for either format.
Figures go to bench/RESULTS.md by hand, with the machine and commit.
"""
import json
import os
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BUILD = os.environ.get("BUILD", os.path.join(ROOT, "build"))
PYHEAP = os.path.join(BUILD, "pyheap")
TOOL = os.path.join(BUILD, "test-tool")
DEVTOOLS_MAX = int(os.environ.get("DEVTOOLS_MAX", "1000000"))
DEVTOOLS = os.path.join(ROOT, "tests", "devtools")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve import dump_of  # noqa: E402  (the same cached synth dumps)


def devtools():
    """tests/devtools/load.mjs, its bundle built if missing (scripts/install-deps fills node_modules)."""
    if not os.path.exists(os.path.join(DEVTOOLS, "build", "devtools-heap.mjs")):
        subprocess.run(["node", os.path.join(DEVTOOLS, "build.mjs")], check=True)
    return os.path.join(DEVTOOLS, "load.mjs")


def timed(args):
    """Wall and CPU (user + system) seconds and peak RSS (MiB) of a command, by /usr/bin/time;
    its stdout. CPU time says more than wall time on a loaded machine."""
    r = subprocess.run(["/usr/bin/time", "-f", "%e %U %S %M"] + args, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("failed: %s\n%s" % (" ".join(args), r.stderr))
    wall, user, system, rss = r.stderr.strip().splitlines()[-1].split()
    return float(wall), float(user) + float(system), int(rss) / 1024, r.stdout


def main():
    sizes = [int(a) for a in sys.argv[1:]] or [1000000, 10000000]
    subprocess.run(["make", "-C", ROOT, "--no-print-directory", "-s", PYHEAP, TOOL], check=True)
    rev = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                         text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", ROOT, "diff", "--quiet"]).returncode != 0
    print("machine: %d cores, %s; commit %s%s" % (os.cpu_count(), os.uname().release, rev,
                                                  " (dirty)" if dirty else ""))
    print("load average: %.1f" % os.getloadavg()[0])
    print("| objects | what | wall s | CPU s | wall s per M objects | peak RSS MiB | output MiB | bytes/object |")
    print("|---|---|---|---|---|---|---|---|")
    for n in sizes:
        dump = dump_of(n)
        objects = json.loads(subprocess.run([PYHEAP, "summary", "--json", dump], capture_output=True,
                                            text=True, check=True).stdout)["objects"]
        wall, cpu, rss, _ = timed([PYHEAP, "summary", dump])
        print("| %d | pyheap summary | %.2f | %.2f | %.2f | %.0f | | |" % (
            objects, wall, cpu, wall * 1e6 / objects, rss))
        for fmt in ("heapsnapshot", "jsonl"):
            out = os.path.join(BUILD, "bench", "synth-%d.%s" % (n, fmt))
            wall, cpu, rss, _ = timed([PYHEAP, "export", "--format", fmt, "-o", out, dump])
            size = os.path.getsize(out)
            print("| %d | export %s | %.2f | %.2f | %.2f | %.0f | %.0f | %.1f |" % (
                objects, fmt, wall, cpu, wall * 1e6 / objects, rss, size / 2 ** 20, size / objects))
            sys.stdout.flush()
            if fmt == "heapsnapshot" and n <= DEVTOOLS_MAX:
                load = devtools()
                wall, cpu, rss, o = timed(["node", "--max-old-space-size=16384", load, out])
                dt = json.loads(o)
                print("| %d | DevTools loads the heapsnapshot | %.2f (parse and build %.2f) | %.2f | %.2f | %.0f | | |" % (
                    objects, wall, dt["load_seconds"], cpu, wall * 1e6 / objects, rss))
                wall, cpu, rss, o = timed(["node", "--max-old-space-size=16384",
                                           os.path.join(DEVTOOLS, "vscode.mjs"), out, "--time"])
                print("| %d | VS Code's parser loads the heapsnapshot | %.2f (parse and build %.2f) | %.2f | %.2f | %.0f | | |" % (
                    objects, wall, json.loads(o)["load_seconds"], cpu, wall * 1e6 / objects, rss))
            os.unlink(out)


main()
