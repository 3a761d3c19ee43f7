# SPDX-License-Identifier: MIT
"""A process for the `pyheap serve` tests to dump: a small service whose cache
grows, whose module holds strings that try to inject HTML and script into the
UI, and a named worker thread with locals.

    python serve_target.py

Prints "READY <pid>" once set up, then reads commands from stdin, one a line:
"grow" adds 300 sessions to the cache and prints "GROWN <n>" (the sessions in
the cache). End of input ends it.
"""
import os
import sys
import threading

XSS_SCRIPT = "<script>window.__pyheap_xss = 'script'</script>"
XSS_IMG = "<img src=x onerror=\"window.__pyheap_xss='img'\">"
XSS_ATTR = "\"><svg onload=\"window.__pyheap_xss='svg'\">"
XSS = [XSS_SCRIPT, XSS_IMG, XSS_ATTR, "javascript:window.__pyheap_xss='href'"]


class Session:
    def __init__(self, n):
        self.user = "user-%d" % n
        self.token = ("token-%06d-" % n) * 4
        self.history = [("page-%d" % k).encode() * 8 for k in range(12)]


class Cache:
    def __init__(self):
        self.sessions = {}

    def add(self, n):
        for i in range(len(self.sessions), len(self.sessions) + n):
            self.sessions["s%d" % i] = Session(i)


CACHE = Cache()
CACHE.add(500)
# a key that is itself hostile, so that labels (['<script>...']) are tested too
CACHE.sessions[XSS_SCRIPT] = Session(-1)
stop = threading.Event()


def worker():
    pending = [Session(10_000 + k) for k in range(40)]  # noqa: F841 (a local the UI shows)
    label = XSS_IMG  # noqa: F841
    stop.wait()


t = threading.Thread(target=worker, name="serve-worker", daemon=True)
t.start()

print("READY %d" % os.getpid(), flush=True)
for line in sys.stdin:
    if line.strip() == "grow":
        CACHE.add(300)
        print("GROWN %d" % len(CACHE.sessions), flush=True)
stop.set()
