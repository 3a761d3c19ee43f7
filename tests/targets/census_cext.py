# SPDX-License-Identifier: MIT
"""Objects of C types of the standard library (libpython and lib-dynload).

usage: census_cext.py OUTDIR
"""
import array
import collections
import datetime
import decimal
import functools
import io
import itertools
import json
import os
import re
import struct
import sys

sys.path.insert(0, os.environ.get("PYHEAP_HARNESS_DIR",
                                  os.path.join(os.path.dirname(__file__), "..", "integration")))
import agent_harness  # noqa: E402

OUT = sys.argv[1]
Point = collections.namedtuple("Point", "x y")


def factory():
    return ["default"]


def main():
    od = collections.OrderedDict((("first", [1]), ("second", [2])))
    dd = collections.defaultdict(factory)
    dd["k"].append("dd-value")
    cnt = collections.Counter("abracadabra")
    dq = collections.deque(["dq-a", "dq-b", "dq-c"], maxlen=10)
    arr = array.array("d", [1.5] * 1000)
    dec = decimal.Decimal("3.14159265358979323846264338327950288")
    bio = io.BytesIO(b"x" * 5000)
    sio = io.StringIO("text " * 100)
    part = functools.partial(factory)
    count = itertools.count(10)
    pat = re.compile(r"(a+)(b*)")
    when = datetime.datetime(2024, 1, 2, 3, 4, 5)
    st = struct.Struct("<iiq")
    ba = bytearray(b"abc" * 100)
    pt = Point([1], [2])
    mv = memoryview(ba)
    chosen = {"od": od, "dd": dd, "cnt": cnt, "dq": dq, "arr": arr, "dec": dec, "bio": bio,
              "sio": sio, "part": part, "count": count, "pat": pat, "when": when, "st": st,
              "ba": ba, "pt": pt, "mv": mv}
    expect = {
        "entries_any": {str(id(od)): [[id(k), id(v)] for k, v in od.items()],
                        str(id(dd)): [[id(k), id(v)] for k, v in dd.items()]},
        "referents": {str(id(dq)): [id(x) for x in dq]},
        "fields": {str(id(part)): {"func": id(factory)}},
        "index": {str(id(pt)): [id(pt.x), id(pt.y)]},
    }
    res = agent_harness.dump(os.path.join(OUT, "dump.pyheap"), os.path.join(OUT, "census.json"),
                             chosen=chosen, expect=expect)
    with open(os.path.join(OUT, "result.json"), "w") as f:
        json.dump(res, f)


main()
