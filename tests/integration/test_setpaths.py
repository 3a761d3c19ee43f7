# SPDX-License-Identifier: MIT
"""`pyheap paths --kind`: the shortest paths of every object of a kind,
merged (heapy's shpaths, MAT's merged paths), on real dumps of a target
that holds one kind from three containers (tests/targets/analyze_kinds.py),
on every interpreter: each container is one pattern with the exact count of
objects and what they retain, as sys.getsizeof measured in the target."""
import os
import subprocess

import pytest

from agentrun import TARGETS, jrun, planted_dump

TARGET = os.path.join(TARGETS, "analyze_kinds.py")
MAIN = "sys.modules['__main__'].__dict__"


@pytest.fixture
def planted(python, tmp_path):
    return planted_dump(python, os.path.basename(TARGET), tmp_path)


def test_one_kind_from_three_containers(pyheap, planted):
    dump, expect = planted
    doc = jrun(pyheap, "paths", "--kind", "__main__.Marker", "--json", "-n", "4", dump)
    rows = {r["path"]: (r["objects"], r["retained"]) for r in doc["rows"]}
    assert rows == {
        MAIN + "['A'][*]": tuple(expect["A"]),
        MAIN + "['B'][*]": tuple(expect["B"]),
        MAIN + "['C'].items[*]": tuple(expect["C"]),
    }, doc["rows"]
    assert [r["path"] for r in doc["rows"]] == [MAIN + "['A'][*]", MAIN + "['B'][*]",
                                                MAIN + "['C'].items[*]"]
    assert doc["objects"] == 175 and doc["patterns"] == 3
    assert doc["retained"] == sum(expect[k][1] for k in "ABC")
    # the four that retain the most: the last markers (their payloads are the largest), in C
    assert [p["expr"] for p in doc["paths"]] == [MAIN + "['C'].items[%d]" % i
                                                 for i in (24, 23, 22, 21)]
    assert doc["more_paths"] == 171


def test_dicts_of_a_class_by_owner(pyheap, planted):
    dump, expect = planted
    doc = jrun(pyheap, "paths", "--kind", "dict of __main__.Node", "--by", "owner", "--json", dump)
    assert [(r["path"], r["objects"], r["retained"]) for r in doc["rows"]] == [
        (MAIN + "['D'][*].__dict__", expect["D"][0], expect["D"][1])]


def test_text_and_errors(pyheap, planted):
    dump, _ = planted
    r = subprocess.run([pyheap, "paths", dump, "--kind", "__main__.Marker", "-n", "2"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "175 objects of kind __main__.Marker" in r.stdout
    assert MAIN + "['C'].items[*]" in r.stdout and "<... 173 more paths ...>" in r.stdout
    r = subprocess.run([pyheap, "paths", "--kind", "no.Such", dump], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 1 and "no object is of kind 'no.Such'" in r.stderr, r.stderr
    r = subprocess.run([pyheap, "paths", "--kind", "str", dump, "0x10"], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 2 and "expected one FILE with --kind" in r.stderr, r.stderr


def hist(pyheap, dump, *args):
    doc = jrun(pyheap, "histogram", "--json", "-n", "0", *args, dump)
    return {r["kind"]: (r["count"], r["size"], r["retained"]) for r in doc["rows"]}, doc


def test_a_kind_partitioned_again(pyheap, planted):
    """heapy's flow: a row of the type partition, partitioned by via, referrer and size."""
    dump, expect = planted
    total = sum(expect[k][1] for k in "ABC")
    size = expect["marker_size"]
    rows, doc = hist(pyheap, dump, "--kind", "__main__.Marker", "--by", "via")
    assert doc["of"] == {"kind": "__main__.Marker", "by": "type"} and doc["by"] == "via"
    # list items and the values of a data dict are all [*]
    assert rows == {"[*]": (175, 175 * size, total)}
    rows, _ = hist(pyheap, dump, "--kind", "__main__.Marker", "--by", "referrer")
    assert rows == {"{list}": (125, 125 * size, expect["A"][1] + expect["C"][1]),
                    "{dict}": (50, 50 * size, expect["B"][1])}
    rows, _ = hist(pyheap, dump, "--kind", "__main__.Marker", "--by", "size")
    assert rows == {"%d bytes" % size: (175, 175 * size, total)}
    # by owner, without --kind-by: "dict of ..." names a kind of the owner partition
    rows, doc = hist(pyheap, dump, "--kind", "dict of __main__.Node", "--by", "referrer")
    assert doc["of"]["by"] == "owner"
    assert rows == {"{__main__.Node}": (20, expect["D"][1], expect["D"][1])}
    # every object has its payload by the slot's name
    rows, _ = hist(pyheap, dump, "--kind", "bytes", "--by", "via")
    assert rows[".payload"][0] == 175
    # the whole heap by via and by referrer: the rows add up to every object
    for by in ("via", "referrer", "size"):
        rows, doc = hist(pyheap, dump, "--by", by)
        assert sum(r[0] for r in rows.values()) == doc["objects"]


def test_top_of_a_kind(pyheap, planted):
    dump, expect = planted
    doc = jrun(pyheap, "top", "--kind", "__main__.Marker", "--json", "-n", "0", dump)
    assert doc["total"] == 175 and doc["kind"] == "__main__.Marker"
    assert sum(r["retained"] for r in doc["rows"]) == sum(expect[k][1] for k in "ABC")
    doc = jrun(pyheap, "top", "--kind", "{dict}", "--by", "referrer", "--json", "-n", "0", dump)
    # objects only dicts refer to: the 50 markers of B among them, and no other marker
    assert sum(r["type"] == "__main__.Marker" for r in doc["rows"]) == 50
