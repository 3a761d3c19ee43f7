# SPDX-License-Identifier: MIT
"""A dump while another thread runs a pure-Python loop.

usage: census_busy.py OUTDIR

The spinning thread gives up the GIL only at the interpreter's switch
points; its frame must still read consistently (function, a line of the
loop, its locals).
"""
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.environ.get("PYHEAP_HARNESS_DIR",
                                  os.path.join(os.path.dirname(__file__), "..", "integration")))
import agent_harness  # noqa: E402

OUT = sys.argv[1]
stop = False
started = threading.Event()
LINES = []


def spin():
    first = sys._getframe().f_lineno + 1
    marker = ["spinning"]
    counter = 0
    started.set()
    while not stop:
        counter += 1
        counter %= 1000003
    LINES.extend([first, sys._getframe().f_lineno])
    return marker


def main():
    global stop
    t = threading.Thread(target=spin, name="spinner")
    t.start()
    started.wait()
    time.sleep(0.05)
    res = agent_harness.dump(os.path.join(OUT, "dump.pyheap"))
    stop = True
    t.join()
    with open(os.path.join(OUT, "result.json"), "w") as f:
        json.dump({"result": res, "lines": LINES, "file": os.path.abspath(__file__)}, f)


main()
