# SPDX-License-Identifier: MIT
"""The analysis commands on hand-made dumps with known answers.

`test-tool fixture app` (tests/helper/fixture.c) writes this heap; object i is
at 0x7f0000100000 + 0x40*i. Sizes in parentheses.

  0 dict sys.modules (1000), a ROOTS record -> 'app' (1 str 52) -> 2 module 'app' (72)
  2 module .__dict__ -> 3 dict (640): 'cache' (4 str 54) -> 5 list (120),
        'w' (20 str 50) -> 21 weakref (80), 'ghost' (27 str 54) -> an address not in the dump
  5 list [0] [1] [2] -> app.Node 8, 12, 16 (48 each); node k+0 .__dict__ -> dict k+1 (104)
        'payload' (6 str 56) -> bytes k+2 (1033), 'id' (7 str 51) -> int k+3 (28)
  21 weakref -> node 8, weak
  thread 'MainThread' (ident 1, main): frame inner line 30 local 'y' -> node 12,
        frame main line 12 local 'x' -> 22 list (88) [0] -> 23 str 'hello' (54)
  24 list (200) <-> 25 dict (300): garbage; 26 dict (500) held from outside the dump
  6 and 7 (interned names) have one reference more than the dump shows; 28 None (16) is immortal

So: each node retains 48 + 104 + 1033 + 28 = 1213; the cache 120 + 2 * 1213 = 2546 (node 12 is
shared with the frame, so the super-root dominates it); the module dict 640 + 54 + 2546 + 50 +
80 + 54 = 3424; the module 3496; sys.modules 1000 + 52 + 3496 = 4548; the frame 'main' and the
thread 88 + 54 = 142; the garbage 500; everything 7026.
"""
import json
import os
import subprocess

import pytest

TOOL = os.environ.get("TEST_TOOL") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "test-tool")


def A(i):
    return "0x%x" % (0x7F0000100000 + 0x40 * i)


def run(*args):
    return subprocess.run(list(args), capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def dumps(tmp_path_factory):
    d = tmp_path_factory.mktemp("dumps")
    out = {}
    for name in ("app", "app-grown", "bad-version"):
        p = str(d / (name + ".pyheap"))
        r = run(TOOL, "fixture", name, "-o", p)
        assert r.returncode == 0, r.stderr
        out[name] = p
    return out


def jrun(pyheap, cmd, *args):
    r = run(pyheap, cmd, "--json", *args)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_summary_json(pyheap, dumps):
    s = jrun(pyheap, "summary", dumps["app"])
    assert s["python_version"] == "3.11.4 (test)"
    assert s["pid"] == 4242
    assert s["format_version"] == "1.1"
    assert (s["objects"], s["edges"], s["weak_edges"], s["dangling_edges"]) == (29, 30, 1, 1)
    assert s["total_size"] == 7026
    assert (s["threads"], s["frames"]) == (1, 2)
    assert s["roots"] == {"total": 7, "sys_modules": 1, "interpreter": 0, "thread_state": 0,
                          "other": 0, "frame_locals": 2, "held": 3, "static": 1}
    assert s["reachable"] == {"objects": 27, "size": 6526, "native": 0}
    assert s["unreachable"] == {"objects": 2, "size": 500, "native": 0}
    assert [t["kind"] for t in s["top_types"]][:3] == ["bytes", "dict", "list"]
    assert s["top_types"][1] == {"kind": "dict", "count": 7, "size": 2752, "retained": 6513}
    top = s["top_retainers"]
    assert [(t["address"], t["retained"]) for t in top[:4]] == [
        (A(0), 4548), (A(2), 3496), (A(3), 3424), (A(5), 2546)]
    assert top[1]["value"] == "app" and top[3]["value"] == "[3 items]"


def test_summary_text(pyheap, dumps):
    r = run(pyheap, "summary", dumps["app"])
    assert r.returncode == 0, r.stderr
    assert "objects:      29 (7026 bytes, 6.86 KiB)" in r.stdout
    assert "edges:        30 (1 weak); 1 reference to addresses not in the dump ignored" in r.stdout
    assert "3 held from outside the dump, 1 static" in r.stdout
    assert "unreachable:  2 objects, 500 bytes" in r.stdout
    assert "Largest types by size:" in r.stdout and "Largest retainers:" in r.stdout


HIST_TYPE = [  # kind, count, size, retained
    ("bytes", 3, 3099, 3099),
    ("dict", 7, 2752, 6513),  # sys.modules 4548 + node 12's dict 1165 + garbage 300 + held 500
    ("list", 3, 408, 3188),   # cache 2546 + frame list 142 + garbage 500
    ("str", 7, 371, 371),
    ("app.Node", 3, 144, 3639),
    ("int", 3, 84, 84),
    ("weakref.ReferenceType", 1, 80, 80),
    ("module", 1, 72, 3496),
    ("NoneType", 1, 16, 16),
]


def rows(h):
    return [(r["kind"], r["count"], r["size"], r["retained"]) for r in h["rows"]]


def test_histogram_by_type(pyheap, dumps):
    h = jrun(pyheap, "histogram", dumps["app"])
    assert h["by"] == "type" and h["objects"] == 29 and h["size"] == 7026 and h["kinds"] == 9
    assert rows(h) == HIST_TYPE


def test_histogram_by_owner(pyheap, dumps):
    h = jrun(pyheap, "histogram", "--by", "owner", dumps["app"])
    assert rows(h) == [
        ("bytes", 3, 3099, 3099),
        ("dict", 3, 1800, 5348),
        ("dict of module", 1, 640, 3424),
        ("list", 3, 408, 3188),
        ("str", 7, 371, 371),
        ("dict of app.Node", 3, 312, 3495),
        ("app.Node", 3, 144, 3639),
        ("int", 3, 84, 84),
        ("weakref.ReferenceType", 1, 80, 80),
        ("module", 1, 72, 3496),
        ("NoneType", 1, 16, 16),
    ]


def test_histogram_by_module(pyheap, dumps):
    h = jrun(pyheap, "histogram", "--by", "module", dumps["app"])
    assert rows(h) == [("builtins", 25, 6802, 6978), ("app", 3, 144, 3639), ("weakref", 1, 80, 80)]


def test_histogram_text_and_limit(pyheap, dumps):
    r = run(pyheap, "histogram", "-n", "2", dumps["app"])
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "Partition of 29 objects by type, total size 7026 bytes."
    assert lines[1].split() == ["Index", "Count", "%", "Size", "%", "Cumulative", "%", "Retained", "Kind"]
    assert lines[3].split() == ["0", "3", "10", "3099", "44", "3099", "44", "3099", "bytes"]
    assert lines[4].split() == ["1", "7", "24", "2752", "39", "5851", "83", "6513", "dict"]
    assert lines[5] == "<7 more kinds: -n 0 shows all>"
    assert len(jrun(pyheap, "histogram", "-n", "0", dumps["app"])["rows"]) == 9


def test_top(pyheap, dumps):
    t = jrun(pyheap, "top", "-n", "5", dumps["app"])
    assert t["total_size"] == 7026
    assert [(r["address"], r["type"], r["size"], r["retained"], r["value"]) for r in t["rows"]] == [
        (A(0), "dict", 1000, 4548, "{1 item}"),
        (A(2), "module", 72, 3496, "app"),
        (A(3), "dict", 640, 3424, "{2 items}"),
        (A(5), "list", 120, 2546, "[3 items]"),
        (A(8), "app.Node", 48, 1213, ""),
    ]
    t = jrun(pyheap, "top", "--type", "app.Node", dumps["app"])
    assert [r["address"] for r in t["rows"]] == [A(8), A(12), A(16)]
    t = jrun(pyheap, "top", "--type", "bytes", "-n", "1", dumps["app"])
    assert t["rows"][0]["value"] == "b'payload-0'"
    r = run(pyheap, "top", "--type", "nope.Nothing", dumps["app"])
    assert r.returncode == 0 and "No objects of kind 'nope.Nothing'" in r.stdout


def test_object_json(pyheap, dumps):
    o = jrun(pyheap, "object", dumps["app"], A(12))
    assert (o["address"], o["type"], o["size"], o["retained"], o["retained_objects"]) == (
        A(12), "app.Node", 48, 1213, 4)
    assert (o["refcount"], o["strong_references"], o["flags"]) == (2, 1, ["gc"])
    assert o["reachable"] is True
    assert o["roots"] == ["local 'y' of <thread 'MainThread'> frame inner line 30"]
    assert o["dominator"] == {"address": None, "type": "<roots>", "name": "<roots>"}
    assert o["path"] == "<thread 'MainThread'> frame inner line 30 local 'y'"
    assert [(r["label"], r["address"], r["type"], r["retained"], r["weak"]) for r in o["referents"]] == [
        (".__dict__", A(13), "dict", 1165, False)]
    assert [(r["label"], r["address"], r["type"]) for r in o["referrers"]] == [
        ("[1]", A(5), "list"),
        ("<thread 'MainThread'> frame inner line 30 local 'y'", None, "<frame>")]
    assert [(r["address"], r["retained"]) for r in o["retains"]] == [(A(13), 1165)]


def test_object_labels_roots_and_weak(pyheap, dumps):
    d = jrun(pyheap, "object", dumps["app"], A(3))  # the module dict
    assert [(r["label"], r["address"]) for r in d["referents"]] == [
        ("<key>", A(4)), ("['cache']", A(5)), ("<key>", A(20)), ("['w']", A(21)), ("<key>", A(27))]
    assert [(r["address"], r["retained"]) for r in d["retains"]] == [
        (A(5), 2546), (A(21), 80), (A(4), 54), (A(27), 54), (A(20), 50)]
    n = jrun(pyheap, "object", dumps["app"], A(8))
    assert [(r["label"], r["address"], r["weak"]) for r in n["referrers"]] == [
        ("[0]", A(5), False), ("", A(21), True)]
    assert n["dominator"]["address"] == A(5)
    s = jrun(pyheap, "object", dumps["app"], A(0))
    assert s["roots"] == ["ROOTS record 'sys.modules' (sys.modules)"]
    assert s["referrers"] == [{"label": "sys.modules", "address": None, "type": "<roots>", "size": 0,
                               "native": 0, "retained": 7026, "weak": False}]
    k = jrun(pyheap, "object", dumps["app"], A(6))
    assert k["roots"] == ["held from outside the dump: reference count 4, 1 reference not in the dump"]
    assert k["value"] == "'payload'"
    none = jrun(pyheap, "object", dumps["app"], A(28))
    assert none["flags"] == ["immortal", "static"] and none["value"] == "None"
    assert none["roots"] == ["immortal object (a static root)"]
    g = jrun(pyheap, "object", dumps["app"], A(25))
    assert g["reachable"] is False and g["dominator"]["address"] == A(24)


def test_object_text(pyheap, dumps):
    r = run(pyheap, "object", dumps["app"], A(12))
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("object %s (app.Node)\n" % A(12))
    assert "  retained:   1213 (4 objects, 17.3% of the heap)" in r.stdout
    assert "  refcount:   2 (1 strong reference in the dump)" in r.stdout
    assert "\nreferents (1):\n" in r.stdout and "\nreferrers (2):\n" in r.stdout
    assert "\nretains (1 dominator-tree children):\n" in r.stdout


def test_paths(pyheap, dumps):
    p = jrun(pyheap, "paths", dumps["app"], A(12))
    assert [x["expr"] for x in p["paths"]] == [
        "<thread 'MainThread'> frame inner line 30 local 'y'",
        "sys.modules['app'].__dict__['cache'][1]",
    ]
    assert p["paths"][1]["steps"] == [
        {"address": A(0), "type": "dict", "label": "sys.modules"},
        {"address": A(2), "type": "module", "label": "['app']"},
        {"address": A(3), "type": "dict", "label": ".__dict__"},
        {"address": A(5), "type": "list", "label": "['cache']"},
        {"address": A(12), "type": "app.Node", "label": "[1]"},
    ]
    assert p["paths"][0]["steps"][:2] == [
        {"address": None, "type": "<thread>", "label": "<thread 'MainThread'>"},
        {"address": None, "type": "<frame>", "label": "frame inner line 30"}]
    # an instance's __dict__['payload'] reads .payload; the weakref is not a path
    p = jrun(pyheap, "paths", dumps["app"], A(10))
    assert [x["expr"] for x in p["paths"]] == ["sys.modules['app'].__dict__['cache'][0].payload"]
    assert [s["label"] for s in p["paths"][0]["steps"]][-2:] == [".__dict__", "['payload']"]
    assert len(jrun(pyheap, "paths", "-n", "1", dumps["app"], A(12))["paths"]) == 1
    # through a local's list
    p = jrun(pyheap, "paths", dumps["app"], A(23))
    assert [x["expr"] for x in p["paths"]] == ["<thread 'MainThread'> frame main line 12 local 'x'[0]"]
    # shortest first (5 steps through the frame, 7 through sys.modules); the root held from
    # outside the dump comes after the named ones although it is the object itself
    p = jrun(pyheap, "paths", dumps["app"], A(6))
    assert [x["expr"] for x in p["paths"]] == [
        "<thread 'MainThread'> frame inner line 30 local 'y'.__dict__<key>",
        "sys.modules['app'].__dict__['cache'][0].__dict__<key>",
        "<str %s held from outside the dump>" % A(6)]
    # garbage: from the unreachable node through the entry that adopted it
    p = jrun(pyheap, "paths", dumps["app"], A(25))
    assert p["reachable"] is False
    assert [x["expr"] for x in p["paths"]] == ["<unreachable> <list %s> -> <dict %s>" % (A(24), A(25))]


def test_paths_text(pyheap, dumps):
    r = run(pyheap, "paths", dumps["app"], A(12))
    assert r.returncode == 0, r.stderr
    assert r.stdout == ("2 shortest paths from the roots to %s (app.Node):\n"
                        "  1. <thread 'MainThread'> frame inner line 30 local 'y'\n"
                        "  2. sys.modules['app'].__dict__['cache'][1]\n" % A(12))


def test_threads(pyheap, dumps):
    t = jrun(pyheap, "threads", dumps["app"])
    assert t == {"threads": [{
        "id": 1, "native_id": 0, "name": "MainThread", "daemon": False, "main": True, "retained": 142,
        "frames": [
            {"function": "inner", "file": "app.py", "line": 30, "retained": 0,
             "locals": [{"name": "y", "address": A(12), "type": "app.Node", "retained": 1213,
                         "value": ""}]},
            {"function": "main", "file": "app.py", "line": 12, "retained": 142,
             "locals": [{"name": "x", "address": A(22), "type": "list", "retained": 142,
                         "value": "[1 item]"}]},
        ]}]}
    r = run(pyheap, "threads", dumps["app"])
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[2].split() == ["<thread", "'MainThread'>", "id", "1,", "main", "142"]
    assert lines[3].split() == ["inner", "app.py:30", "0"]
    assert lines[4].split() == ["y", A(12), "app.Node", "1213"]


def test_suspects(pyheap, dumps):
    s = jrun(pyheap, "suspects", dumps["app"])
    assert s["total_size"] == 7026
    first, second = s["suspects"]
    assert (first["kind"], first["address"], first["type"], first["retained"], first["objects"]) == (
        "object", A(2), "module", 3496, 15)
    assert first["share"] == pytest.approx(3496 / 7026)
    assert first["path"] == "sys.modules['app']"
    assert first["accumulation"] == {"address": A(3), "type": "dict", "retained": 3424,
                                     "path": "sys.modules['app'].__dict__", "children": 5,
                                     "children_kind": "str"}
    # the accumulation point is the module's namespace: the names in it that hold the memory
    assert [(x["path"], x["address"], x["retained"]) for x in first["names"]] == [
        ("sys.modules['app'].__dict__['cache']", A(5), 2546),
        ("sys.modules['app'].__dict__['w']", "0x7f0000100540", 80)]
    assert "sys.modules['app'].__dict__ is a namespace" in first["explanation"]
    assert "sys.modules['app'].__dict__['cache'] (2.49 KiB, 72.8%)" in first["explanation"]
    assert second["names"] == []
    assert (second["address"], second["retained"], second["path"]) == (
        A(12), 1213, "<thread 'MainThread'> frame inner line 30 local 'y'")
    assert second["accumulation"]["address"] == A(14)  # its bytes payload: 1033 of 1213
    # a lower threshold brings the garbage and the thread
    s = jrun(pyheap, "suspects", "--threshold", "1", dumps["app"])
    kinds = [(x["type"], x["retained"]) for x in s["suspects"]]
    assert ("<unreachable>", 500) in kinds and ("<thread>", 142) in kinds
    r = run(pyheap, "suspects", "--threshold", "60", dumps["app"])
    assert r.returncode == 0 and r.stdout.startswith("No suspects: nothing retains 60% of the heap")


def test_diff(pyheap, dumps):
    d = jrun(pyheap, "diff", dumps["app"], dumps["app-grown"])
    assert (d["objects_old"], d["objects_new"], d["size_old"], d["size_new"]) == (29, 40, 7026, 9636)
    assert [(r["kind"], r["count_old"], r["count_new"], r["size_old"], r["size_new"]) for r in d["rows"]] == [
        ("bytes", 3, 5, 3099, 5165),
        ("dict", 7, 9, 2752, 2960),
        ("str", 7, 9, 371, 475),
        ("app.Node", 3, 5, 144, 240),
        ("list", 3, 4, 408, 488),
        ("int", 3, 5, 84, 140),
    ]
    # addresses all moved; the paths did not
    assert [(p["path"], p["retained_old"], p["retained_new"], p["objects_old"], p["objects_new"])
            for p in d["paths"]] == [
        ("sys.modules['app'].__dict__['cache']", 2546, 4988, 9, 17),
        ("sys.modules['app'].__dict__['extra']", 0, 114, 0, 2),
        ("sys.modules['app'].__dict__<key>", 0, 54, 0, 1),
    ]
    assert d["paths"][0]["address_old"] == A(5)
    assert d["paths"][0]["address_new"] == "0x%x" % (0x7F0000100000 + 0x40 * 5 + 0x10000000)
    assert d["paths"][1]["address_old"] is None
    # the same dump twice: nothing grew
    same = jrun(pyheap, "diff", dumps["app"], dumps["app"])
    assert same["rows"] == [] and same["paths"] == []
    assert len(jrun(pyheap, "diff", "--all", dumps["app"], dumps["app"])["rows"]) == 9


def test_diff_text(pyheap, dumps):
    r = run(pyheap, "diff", dumps["app"], dumps["app-grown"])
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("objects: 29 -> 40 (+11), size: 7026 -> 9636 (+2610 bytes)\n")
    assert "Where it grew" in r.stdout
    line = [x for x in r.stdout.splitlines() if x.endswith("sys.modules['app'].__dict__['cache']")][0]
    assert line.split()[:5] == ["2546", "4988", "+2442", "9", "17"]


@pytest.mark.parametrize("cmd", ["summary", "histogram", "top", "threads", "suspects"])
def test_file_errors(pyheap, dumps, tmp_path, cmd):
    r = run(pyheap, cmd, dumps["bad-version"])
    assert r.returncode == 3 and "needs a newer pyheap" in r.stderr, r.stderr
    data = open(dumps["app"], "rb").read()
    trunc = tmp_path / "trunc.pyheap"
    trunc.write_bytes(data[:len(data) // 2])
    r = run(pyheap, cmd, str(trunc))
    assert r.returncode == 3 and "truncated" in r.stderr, r.stderr
    bad = bytearray(data)
    bad[200] ^= 0xFF
    corrupt = tmp_path / "corrupt.pyheap"
    corrupt.write_bytes(bytes(bad))
    r = run(pyheap, cmd, str(corrupt))
    assert r.returncode == 3 and "checksum" in r.stderr, r.stderr
    notdump = tmp_path / "x.pyheap"
    notdump.write_bytes(b"not a heap dump at all" * 10)
    r = run(pyheap, cmd, str(notdump))
    assert r.returncode == 3 and "not a pyheap dump" in r.stderr, r.stderr
    r = run(pyheap, cmd, str(tmp_path / "missing.pyheap"))
    assert r.returncode == 1 and "No such file" in r.stderr


def test_usage_and_address_errors(pyheap, dumps):
    for cmd in ("object", "paths"):
        r = run(pyheap, cmd, dumps["app"], "0x1234")
        assert r.returncode == 1
        assert r.stderr == "pyheap %s: no object at address 0x1234 in %s\n" % (cmd, dumps["app"])
        r = run(pyheap, cmd, dumps["app"], "nowhere")
        assert r.returncode == 2 and "'nowhere' is not an address" in r.stderr
        r = run(pyheap, cmd, dumps["app"])
        assert r.returncode == 2 and "expected FILE and ADDR" in r.stderr
    r = run(pyheap, "histogram", "--by", "colour", dumps["app"])
    assert r.returncode == 2 and "--by takes type, owner, module, via, referrer, size or site" in r.stderr
    r = run(pyheap, "suspects", "--threshold", "0", dumps["app"])
    assert r.returncode == 2
    r = run(pyheap, "diff", dumps["app"])
    assert r.returncode == 2 and "expected OLD and NEW" in r.stderr
    r = run(pyheap, "diff", dumps["app"], dumps["bad-version"])
    assert r.returncode == 3 and "needs a newer pyheap" in r.stderr
    # decimal addresses work too
    r = run(pyheap, "object", dumps["app"], str(0x7F0000100000 + 0x40 * 12))
    assert r.returncode == 0 and r.stdout.startswith("object %s (app.Node)" % A(12))


def test_options_after_operands(pyheap, dumps, tmp_path):
    """Options may follow the operands, as users type them; "--" ends the options."""
    app, grown = dumps["app"], dumps["app-grown"]
    for before, after in (
            (["top", "-n", "2", "--json", app], ["top", app, "-n", "2", "--json"]),
            (["histogram", "--by", "owner", app], ["histogram", app, "--by", "owner"]),
            (["diff", "-n", "1", app, grown], ["diff", app, grown, "-n", "1"]),
            (["object", "-n", "1", app, A(0)], ["object", app, A(0), "-n", "1"]),
            (["waste", "--json", app], ["waste", app, "--json"])):
        a, b = run(pyheap, *before), run(pyheap, *after)
        assert a.returncode == 0 and b.returncode == 0, (a.stderr, b.stderr)
        assert a.stdout == b.stdout, after
    dashed = tmp_path / "-app.pyheap"
    dashed.write_bytes(open(app, "rb").read())
    here = dict(capture_output=True, text=True, timeout=60, cwd=str(tmp_path))
    r = subprocess.run([pyheap, "summary", "--", "-app.pyheap"], **here)
    assert r.returncode == 0 and "-app.pyheap" in r.stdout, r.stderr
    r = subprocess.run([pyheap, "summary", "-app.pyheap"], **here)
    assert r.returncode == 2 and "unknown option '-a'" in r.stderr, r.stderr


def test_analysis_commands_share_their_setup(pyheap, dumps):
    """Every analysis command counts its operands, bounds -n and loads its dumps the same way
    (the command table's setup): a missing or extra operand, a -n too large, a bad dump."""
    app = dumps["app"]
    cases = {"summary": ([app], "one FILE"), "histogram": ([app], "one FILE"),
             "top": ([app], "one FILE"), "threads": ([app], "one FILE"),
             "suspects": ([app], "one FILE"), "waste": ([app], "one FILE"),
             "object": ([app, A(0)], "FILE and ADDR"), "paths": ([app, A(0)], "FILE and ADDR"),
             "diff": ([app, app], "OLD and NEW"), "leaks": ([app, app], "BASE TARGET [FINAL]")}
    for cmd, (operands, expected) in cases.items():
        r = run(pyheap, cmd)
        assert r.returncode == 2 and "expected %s" % expected in r.stderr, (cmd, r.stderr)
        r = run(pyheap, cmd, *operands, app, app)
        assert r.returncode == 2 and "expected %s" % expected in r.stderr, (cmd, r.stderr)
        r = run(pyheap, cmd, *operands, "--json")
        assert r.returncode in (0, 1), (cmd, r.stderr)  # leaks of one dump twice: refused, exit 1
        if r.returncode == 0:
            json.loads(r.stdout)
        bad = [dumps["bad-version"] if o == app else o for o in operands]
        r = run(pyheap, cmd, *bad)
        assert r.returncode == 3 and "needs a newer pyheap" in r.stderr, (cmd, r.stderr)
        if cmd not in ("threads", "suspects"):  # they have no -n
            r = run(pyheap, cmd, *operands, "-n", "99999999999")
            assert r.returncode == 2 and "--number 99999999999 is too large" in r.stderr, cmd
