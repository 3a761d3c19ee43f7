#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Measure how a dump takes a thread, and the one window in which pyheap's own
death can still harm a target.

For each way of taking a thread (a parked thread; one entering a system call;
a hardware breakpoint; an int3 breakpoint, the last two forced with
PYHEAP_TEST_FORCE), on a target fit for it, dumps it REPEAT times and prints:

  wall       the whole `pyheap dump` run
  window     while int3 breakpoints are in the target's code (from writing the
             first to removing the last): a worker SIGKILLed then leaves a
             breakpoint that kills the next thread to reach it
  share      window / wall: the chance that a SIGKILL of the worker at a random
             moment of a dump lands in the window

then kills the worker (the process that traces the target, not `pyheap dump`,
which is always safe to kill) at random moments of KILLS dumps of the
compute-only target taken at a hardware breakpoint, and as many taken at an
int3 breakpoint, and counts how often the target died.

    bench/interrupt.py [--python PATH] [--repeat N] [--kills N] [--pyheap ./pyheap]

A script that reports numbers, not a test: record results with the machine and
commit in bench/RESULTS.md.
"""
import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import pythons  # noqa: E402

# A target per path: one thread sleeping (parked); one thread in a loop that makes a
# select() call now and then (taken at a system call); one thread in a loop that
# allocates and makes no system call at all (only a breakpoint takes it).
TARGETS = {
    "parked": "import os, time\nprint('READY', os.getpid(), flush=True)\nwhile True: time.sleep(1)\n",
    "syscall": ("import os, select\nprint('READY', os.getpid(), flush=True)\nx = 0\n"
                "while True:\n    x += len([str(i) for i in range(20)])\n"
                "    if x % 4000 == 0: select.select([], [], [], 0)\n"),
    "breakpoint": ("import os\nprint('READY', os.getpid(), flush=True)\nx = 0\n"
                   "while True: x += len([str(i) for i in range(20)])\n"),
}
PATHS = [("parked", "parked", None), ("syscall", "syscall", None),
         ("hardware breakpoint", "breakpoint", "hw"), ("int3 breakpoint", "breakpoint", "breakpoints")]


def start(python, src):
    p = subprocess.Popen([python, "-c", src], stdout=subprocess.PIPE, text=True,
                         start_new_session=True)
    p.pid_inner = int(p.stdout.readline().split()[1])
    return p


def stop(p):
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except OSError:
        pass
    p.wait()


def one_dump(pyheap, pid, out, trace, force):
    env = dict(os.environ, PYHEAP_TEST_TRACE=trace)
    if force:
        env["PYHEAP_TEST_FORCE"] = force
    if os.path.exists(trace):
        os.unlink(trace)
    t = time.monotonic()
    r = subprocess.run([pyheap, "dump", "-p", str(pid), "-o", out, "-q"], env=env,
                       capture_output=True, text=True)
    wall = time.monotonic() - t
    if r.returncode != 0:
        raise SystemExit("dump failed: " + r.stderr)
    window, planted = 0.0, None
    for line in open(trace):
        name, at = line.split()
        if name == "bp-planted":
            planted = float(at)
        elif name == "bp-trapped" and planted is not None:
            window += float(at) - planted
            planted = None
    return wall, window


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--python", default=None)
    ap.add_argument("--repeat", type=int, default=100)
    ap.add_argument("--kills", type=int, default=1000)
    ap.add_argument("--pyheap", default=os.path.join(ROOT, "pyheap"))
    a = ap.parse_args()
    py = a.python or (pythons.by_version(3, 12) or pythons.SUPPORTED_PYTHONS[-1]).path
    tmp = tempfile.mkdtemp(prefix="pyheap-bench-")
    out, trace = os.path.join(tmp, "d.pyheap"), os.path.join(tmp, "trace.txt")
    print("python %s, %d dumps per path" % (py, a.repeat))
    print("| path | wall ms (median) | window us (median / p99 / max) | window share of wall |")
    print("|---|---|---|---|")
    for path, target, force in PATHS:
        p = start(py, TARGETS[target])
        walls, windows = [], []
        try:
            for _ in range(a.repeat):
                w, win = one_dump(a.pyheap, p.pid_inner, out, trace, force)
                walls.append(w)
                windows.append(win)
        finally:
            stop(p)
        walls.sort()
        ws = sorted(windows)
        share = sum(windows) / sum(walls)
        print("| %s | %.1f | %.0f / %.0f / %.0f | %.1e |" % (
            path, walls[len(walls) // 2] * 1e3, ws[len(ws) // 2] * 1e6,
            ws[min(len(ws) - 1, int(len(ws) * 0.99))] * 1e6, ws[-1] * 1e6, share))
    print()
    for path, force in (("hardware breakpoint", "hw"), ("int3 breakpoint", "breakpoints")):
        deaths, done, usual = kill_loop(a, py, out, trace, force)
        print("worker SIGKILLed at a random moment of a dump taken at an %s (%.0f ms usual): "
              "%d of %d targets died" % (path, usual * 1e3, deaths, done))


def kill_loop(a, py, out, trace, force):
    """SIGKILL of the worker at random moments of a.kills dumps of the compute-only target."""
    rng = random.Random(1)
    p = start(py, TARGETS["breakpoint"])
    usual = one_dump(a.pyheap, p.pid_inner, out, trace, force)[0]
    deaths = done = 0
    env = dict(os.environ, PYHEAP_TEST_FORCE=force)
    try:
        for _ in range(a.kills):
            d = subprocess.Popen([a.pyheap, "dump", "-p", str(p.pid_inner), "-o", out, "-q"],
                                 env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            t0 = time.monotonic()
            worker = None
            while worker is None and d.poll() is None and time.monotonic() - t0 < 2:
                try:
                    kids = open("/proc/%d/task/%d/children" % (d.pid, d.pid)).read().split()
                    worker = int(kids[0]) if kids else None
                except OSError:
                    break
            time.sleep(max(0.0, rng.random() * 1.2 * usual - (time.monotonic() - t0)))
            if worker:
                try:
                    os.kill(worker, signal.SIGKILL)
                except OSError:
                    pass
            d.wait()
            done += 1
            time.sleep(0.02)
            if p.poll() is not None:
                deaths += 1
                p = start(py, TARGETS["breakpoint"])
            elif done % 50 == 0:
                one_dump(a.pyheap, p.pid_inner, out, trace, None)  # unload what was left
    finally:
        stop(p)
    return deaths, done, usual


if __name__ == "__main__":
    main()
