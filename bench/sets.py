#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Benchmark the analyses of sets of objects next to `pyheap summary`.

Starts one target per size that holds a realistic heap (bench/dump.py's) and
leaks a little between dumps (10,000 new customers each time, while 10,000
entries of a churning cache are replaced), dumps it three times, then times,
side by side on the middle dump:

  summary                  load, roots, dominators, retained sizes, summary
  waste                    duplicate values, empty containers, slack
  leaks BASE TARGET FINAL  what leaked over the three dumps
  paths --kind             the merged paths of the customers (about 0.85M at 10M)
  by via, by referrer      histogram --by via and --by referrer

printing wall and CPU seconds and peak RSS (from /usr/bin/time) of each. leaks
reads BASE and FINAL in two threads: its CPU time exceeds its wall time.

    bench/sets.py [--sizes 1M,10M] [--python 3.11] [--pyheap ./pyheap] [--keep DIR]

This is a script that reports numbers, not a test: record results with the
machine and commit in bench/RESULTS.md.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dump as dumpbench  # noqa: E402  (bench/dump.py: its target and helpers)

# bench/dump.py's heap, then on each line of stdin: 10,000 more customers kept for good
# (the leak) and 10,000 entries through a cache of 1,000 (the churn)
TARGET = dumpbench.TARGET.replace('''while True:
    time.sleep(3600)''', '''cache = {}
leaked = []
for line in sys.stdin:
    for k in range(10000):
        leaked.append(Customer(i, "customer-%08d" % i, None))
        cache[i] = ["entry", i * 3]
        if len(cache) > 1000:
            del cache[next(iter(cache))]
        i += 1
    print("GREW", flush=True)''')


def timed(cmd):
    r = subprocess.run(["/usr/bin/time", "-f", "%e %U %S %M"] + cmd, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        raise RuntimeError("%s failed: %s" % (cmd[1], r.stderr))
    wall, user, sys_, kb = r.stderr.strip().splitlines()[-1].split()
    return float(wall), float(user) + float(sys_), int(kb) // 1024


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1M,10M")
    ap.add_argument("--python", default="3.11")
    ap.add_argument("--pyheap", default=os.path.join(dumpbench.ROOT, "pyheap"))
    ap.add_argument("--keep", help="keep the dumps in this directory")
    o = ap.parse_args()
    python = dumpbench.find_python(o.python)
    if python is None:
        sys.exit("no interpreter %s here" % o.python)
    outdir = o.keep or tempfile.mkdtemp(prefix="pyheap-sets-")
    os.makedirs(outdir, exist_ok=True)
    print("pyheap sets benchmark: %s, %s, %d cores" % (
        subprocess.run([o.pyheap, "--version"], capture_output=True, text=True).stdout.strip(),
        python.label, os.cpu_count()))
    print("%-9s %10s %-13s %8s %8s %10s" % ("size", "objects", "command", "wall s", "cpu s",
                                            "peak MiB"))
    for n in [dumpbench.parse_size(s) for s in o.sizes.split(",")]:
        p = subprocess.Popen([python.path, "-c", TARGET, str(n)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
        try:
            line = p.stdout.readline().split()
            pid = python.host_pid(p, int(line[1]))
            files = []
            for name in ("base", "target", "final"):
                p.stdin.write("grow\n")
                p.stdin.flush()
                assert p.stdout.readline().strip() == "GREW"
                f = os.path.join(outdir, "%s-%d.pyheap" % (name, n))
                subprocess.run([o.pyheap, "dump", "--pid", str(pid), "-o", f, "--quiet"], check=True)
                files.append(f)
        finally:
            p.kill()
            p.wait()
        info = subprocess.run([o.pyheap, "summary", "--json", files[1]], capture_output=True,
                              text=True)
        objects = json.loads(info.stdout)["objects"]
        for label, cmd in (("summary", ["summary", files[1]]), ("waste", ["waste", files[1]]),
                           ("leaks", ["leaks"] + files),
                           ("paths --kind", ["paths", "--kind", "__main__.Customer", files[1]]),
                           ("by via", ["histogram", "--by", "via", files[1]]),
                           ("by referrer", ["histogram", "--by", "referrer", files[1]])):
            wall, cpu, mib = timed([o.pyheap] + cmd)
            print("%-9s %10d %-13s %8.2f %8.2f %10d" % (n, objects, label, wall, cpu, mib))
        r = subprocess.run([o.pyheap, "leaks", "-n", "3"] + files, capture_output=True, text=True)
        print(r.stdout)


if __name__ == "__main__":
    main()
