# SPDX-License-Identifier: MIT
"""A process with many threads, and one that measures how long it is kept from running.

    python many_threads.py N

Starts N threads blocked on a threading.Event (no timeout: a futex wait each), and two
watchers that keep the longest time they were kept from running: one sleeps 1 ms in a loop
(pyheap may borrow it), one spins reading the clock (it makes no system call: pyheap never
borrows it unless it is taken at a breakpoint). Prints "READY <pid>" once all are running.
Commands on stdin:

    reset   forget the longest stalls so far; answers "ok"
    gap     answers "gap <sleeper ms> <spinner ms>": the longest stalls since the last reset
"""
import os
import sys
import threading
import time

N = int(sys.argv[1])
longest = [0.0, 0.0]


def sleeper():
    while True:
        t = time.monotonic()
        time.sleep(0.001)
        d = time.monotonic() - t - 0.001
        if d > longest[0]:
            longest[0] = d


def spinner():
    last = time.monotonic()
    while True:
        now = time.monotonic()
        if now - last > longest[1]:
            longest[1] = now - last
        last = now


def main():
    threading.stack_size(256 * 1024)
    ev = threading.Event()
    threads = [threading.Thread(target=ev.wait, daemon=True) for _ in range(N)]
    for t in threads:
        t.start()
    threading.Thread(target=sleeper, daemon=True).start()
    threading.Thread(target=spinner, daemon=True).start()
    time.sleep(0.2)
    print("READY", os.getpid(), flush=True)
    for line in sys.stdin:
        cmd = line.strip()
        if cmd == "reset":
            longest[0] = longest[1] = 0.0
            print("ok", flush=True)
        elif cmd == "gap":
            print("gap %.3f %.3f" % (longest[0] * 1000, longest[1] * 1000), flush=True)


main()
