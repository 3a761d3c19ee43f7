# SPDX-License-Identifier: MIT
"""A small web-app-like process with a leak, for `make demo`.

It keeps a request log and a per-user session cache that never evicts, runs a
worker thread, and goes on serving about 200 logins a second, so the cache
grows. Run it, then dump it with `pyheap dump --pid PID`; two dumps a moment
apart show the growth with `pyheap diff`.
"""
import threading
import time


class Session:
    def __init__(self, user_id):
        self.user_id = user_id
        self.token = "tok-%08x" % (user_id * 2654435761 & 0xFFFFFFFF)
        self.history = ["/page/%d" % i for i in range(user_id % 7 + 1)]
        self.payload = bytes(512)


class SessionCache:
    """Sessions by token, never evicted: the leak."""

    def __init__(self):
        self.by_token = {}

    def add(self, session):
        self.by_token[session.token] = session


CACHE = SessionCache()
REQUEST_LOG = []


def handle(i):
    s = Session(i)
    CACHE.add(s)
    REQUEST_LOG.append(("GET", "/login", i))


def worker(queue_size):
    pending = [None] * queue_size
    while True:
        time.sleep(3600)
        del pending


def main():
    for i in range(20000):
        handle(i)
    threading.Thread(target=worker, args=(1000,), name="background-worker", daemon=True).start()
    print("ready", flush=True)
    i = 20000
    while True:
        time.sleep(0.1)
        for _ in range(20):
            handle(i)
            i += 1


if __name__ == "__main__":
    main()
