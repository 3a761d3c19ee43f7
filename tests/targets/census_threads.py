# SPDX-License-Identifier: MIT
"""Threads with known names, frames and locals, then a census and a dump.

usage: census_threads.py OUTDIR

Starts NWORKERS named threads (every third one a daemon) that block in
worker_body() on an Event, one thread that recurses DEPTH frames deep before
blocking, and one thread started with the low-level _thread module (no
threading.Thread, so no name). Each records where it waits (line numbers)
and the ids of its locals. The main thread dumps from main(), whose locals
are known too. OUTDIR/threads.json holds the expectations.
"""
import _thread
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.environ.get("PYHEAP_HARNESS_DIR",
                                  os.path.join(os.path.dirname(__file__), "..", "integration")))
import agent_harness  # noqa: E402

OUT = sys.argv[1]
NWORKERS = 24
DEPTH = 1000
sys.setrecursionlimit(DEPTH + 500)
release = threading.Event()
info = {}
ready = threading.Semaphore(0)


def worker_body(n):
    marker = "marker-%d" % n
    data = [n, n + 1, n + 2]
    captured = {"worker": n}

    def uses_captured():
        return captured

    me = threading.current_thread()
    loc = {"marker": id(marker), "data": id(data), "n": id(n), "captured": id(captured)}
    here = sys._getframe().f_lineno
    info[me.name] = {"ident": me.ident, "native_id": me.native_id, "daemon": me.daemon, "line": here + 3, "locals": loc}  # noqa: E501
    ready.release()
    release.wait()
    return uses_captured


def recurse(k):
    if k == 0:
        here = sys._getframe().f_lineno
        info["deep"] = {"ident": threading.get_ident(), "line": here + 3, "depth": DEPTH}
        ready.release()
        release.wait()
        return 0
    return recurse(k - 1) + 1


def raw_thread():
    here = sys._getframe().f_lineno
    info["raw"] = {"ident": _thread.get_ident(), "line": here + 3}
    ready.release()
    release.wait()


def main():
    threads = []
    for i in range(NWORKERS):
        t = threading.Thread(target=worker_body, args=(i,), name="worker-%d" % i,
                             daemon=(i % 3 == 0))
        t.start()
        threads.append(t)
    deep = threading.Thread(target=recurse, args=(DEPTH,), name="deep")
    deep.start()
    threads.append(deep)
    _thread.start_new_thread(raw_thread, ())
    for _ in range(NWORKERS + 2):
        if not ready.acquire(timeout=60):
            sys.exit("a thread did not start")
    main_local = ["main-local"]
    out, cen = os.path.join(OUT, "dump.pyheap"), os.path.join(OUT, "census.json")
    here = sys._getframe().f_lineno
    info["MainThread"] = {"ident": threading.get_ident(), "line": here + 2, "locals": {"main_local": id(main_local), "threads": id(threads)}}  # noqa: E501
    res = agent_harness.dump(out, cen, sizes=False)
    release.set()
    for t in threads:
        t.join()
    with open(os.path.join(OUT, "threads.json"), "w") as f:
        json.dump({"info": info, "result": res, "file": os.path.abspath(__file__),
                   "nworkers": NWORKERS}, f)


main()
