# SPDX-License-Identifier: MIT
"""A bigger, more varied heap: much of the standard library imported and used,
plus the web frameworks Debian ships when they are installed.

usage: census_apps.py OUTDIR
"""
import asyncio
import collections
import contextvars
import csv
import dataclasses
import datetime
import decimal
import email.message
import enum
import fractions
import functools
import io
import ipaddress
import itertools
import json
import logging
import os
import pathlib
import pickle
import queue
import re
import sqlite3
import sys
import threading
import typing
import unittest  # noqa: F401
import uuid
import xml.etree.ElementTree as ET
import zipfile  # noqa: F401

sys.path.insert(0, os.environ.get("PYHEAP_HARNESS_DIR",
                                  os.path.join(os.path.dirname(__file__), "..", "integration")))
import agent_harness  # noqa: E402

OUT = sys.argv[1]
FRAMEWORKS = []
for name in ("flask", "django", "sqlalchemy", "fastapi", "uvicorn"):
    try:
        __import__(name)
        FRAMEWORKS.append(name)
    except Exception:
        pass


@dataclasses.dataclass
class Item:
    name: str
    price: decimal.Decimal
    tags: typing.List[str] = dataclasses.field(default_factory=list)


class Color(enum.Enum):
    RED = 1
    GREEN = 2


async def coro(n):
    await asyncio.sleep(0)
    return n


def gen():
    x = ["gen-local"]
    yield x


def main():
    logging.getLogger("pyheap.test").info("hello")
    db = sqlite3.connect(":memory:")
    db.execute("create table t (a, b)")
    db.executemany("insert into t values (?, ?)", [(i, str(i)) for i in range(100)])
    rows = db.execute("select * from t").fetchall()
    items = [Item("item%d" % i, decimal.Decimal(i) / 3, ["t%d" % (i % 5)]) for i in range(300)]
    tree = ET.fromstring("<a><b x='1'/><c>text</c></a>")
    msg = email.message.EmailMessage()
    msg["Subject"] = "hello"
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)

    async def run_all():
        return await asyncio.gather(*(coro(i) for i in range(10)))

    task_result = loop.run_until_complete(run_all())
    g = gen()
    next(g)
    data = {
        "rows": rows, "items": items, "tree": tree, "msg": msg, "task_result": task_result,
        "colors": list(Color), "frac": fractions.Fraction(1, 3), "uuid": uuid.uuid4(),
        "path": pathlib.Path("/tmp/x"), "ip": ipaddress.ip_address("10.0.0.1"),
        "when": datetime.datetime.now(), "pickled": pickle.dumps(items[:10]),
        "q": queue.Queue(), "cv": contextvars.ContextVar("cv"), "gen": g,
        "partial": functools.partial(int, base=2), "cycle": itertools.cycle([1, 2]),
        "csv": list(csv.reader(io.StringIO("a,b\n1,2\n"))), "json": json.loads('{"a": [1, 2]}'),
        "regex": re.compile(r"\d+(?P<x>a)"), "lock": threading.RLock(),
        "counter": collections.Counter("hello world"), "frameworks": FRAMEWORKS,
    }
    res = agent_harness.dump(os.path.join(OUT, "dump.pyheap"), os.path.join(OUT, "census.json"),
                             chosen={"data": data})
    loop.close()
    db.close()
    with open(os.path.join(OUT, "result.json"), "w") as f:
        json.dump(res, f)


main()
