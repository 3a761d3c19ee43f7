# SPDX-License-Identifier: MIT
"""`pyheap export --format jsonl` parsed line by line and checked against the
dump it was made from, read independently by tests/integration/pyheapfile.py,
on real dumps of tests/targets/export_planted.py taken by the agent on every
supported CPython found: every line parses; the header's counts are the
dump's; every object is there in file order with its kind, size and
reference count; its references are the dump's edges, in order, with their
targets, labels and weak flags (a dict entry as two: <key> and ['key']);
threads, frames and locals are the dump's; the retained sizes and dominators
form a tree (each object's retained size is its own plus its dominator-tree
children's), and the planted list retains what the target computed and
what `pyheap object` says."""
import json
import re
import subprocess

import pytest

import pyheapfile as pf
from agentrun import run_target
from exportutil import export, read_jsonl

IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@pytest.fixture
def planted(python, tmp_path):
    run_target(python, "export_planted.py", tmp_path)
    return tmp_path, json.load(open(tmp_path / "expect.json"))


def str_text(d, addr):
    """The text of a str object (not of a type's or function's name), or None."""
    v = d.objects[addr].value if addr in d.objects else None
    return d.text(addr) if v is not None and v.kind == pf.VAL_STR else None


def expected_refs(d, addr):
    """What the export must list for addr: (label or None when not checked, target, weak)."""
    out = []
    for e in d.edges.get(addr, []):
        if e.kind == pf.LABEL_ENTRY:
            if e.label in d.objects:
                out.append(("<key>", e.label, False))
            key = str_text(d, e.label)
            label = "[%r]" % key if key is not None and IDENT.match(key) else None
            kind_label = label
        elif e.kind == pf.LABEL_INDEX:
            kind_label = "[%d]" % e.label
        elif e.kind == pf.LABEL_FIELD:
            kind_label = "." + e.label
        elif e.kind == pf.LABEL_INTERNAL:
            kind_label = "<%s>" % e.label
        elif e.kind == pf.LABEL_KEYREF:
            kind_label = "<key>"
        elif e.kind == pf.LABEL_NONE:
            kind_label = ""
        elif e.kind == pf.LABEL_ATTR:
            name = str_text(d, e.label)
            kind_label = "." + name if name is not None and IDENT.match(name) else None
        else:
            kind_label = None
        if e.target in d.objects:
            out.append((kind_label, e.target, e.weak))
    return out


def test_jsonl_matches_the_dump(pyheap, planted):
    path, expect = planted
    dump = str(path / "dump.pyheap")
    d = pf.Dump(dump)
    header, threads, roots, objects = read_jsonl(export(pyheap, dump, "jsonl", path / "dump.jsonl"))

    assert header["format"] == "pyheap-jsonl" and header["version"] == 1
    assert header["objects"] == len(objects) == len(d.objects)
    assert header["total_size"] == sum(o.size for o in d.objects.values())
    assert header["threads"] == len(threads) == len(d.threads)
    assert header["python_version"] == d.meta["python_version"]

    n_refs = 0
    for o, addr in zip(objects, d.order):
        obj = d.objects[addr]
        assert o["address"] == hex(addr)
        assert (o["kind"], o["size"], o["refcount"]) == (d.type_name(addr), obj.size, obj.refcount)
        assert o["native"] == sum(d.native(addr).values())
        want = expected_refs(d, addr)
        got = [(r["label"], int(r["to"], 16), r.get("weak", False)) for r in o["refs"]]
        assert len(got) == len(want), (o, want)
        for (gl, gt, gw), (wl, wt, ww) in zip(got, want):
            assert (gt, gw) == (wt, ww) and (wl is None or gl == wl), (o["address"], got, want)
        n_refs += len(got)
    assert header["edges"] == n_refs

    for t, dt in zip(threads, d.threads):
        assert (t["id"], t["name"], t["daemon"]) == (dt.ident, dt.name, bool(dt.flags & pf.THREAD_DAEMON))
        assert [(f["function"], f["line"]) for f in t["frames"]] == [(f.function, f.line) for f in dt.frames]
        assert [[(x["name"], int(x["address"], 16)) for x in f["locals"]] for f in t["frames"]] == \
            [list(f.locals) for f in dt.frames]
    records = {(label, hex(a)) for kind, label, a in d.roots if a in d.objects}
    assert records == {(r["label"], r["address"]) for r in roots if "label" in r}

    # the dominator tree: retained = own size + children's retained
    by_addr = {o["address"]: o for o in objects}
    kids = {}
    for o in objects:
        kids.setdefault(o["dominator"], []).append(o)
    for o in objects:
        ch = kids.get(o["address"], [])
        assert o["retained"] == o["size"] + o["native"] + sum(c["retained"] for c in ch), o
        assert o["retained_objects"] == 1 + sum(c["retained_objects"] for c in ch), o
        assert o["dominator"] in by_addr or o["dominator"] in ("root", "unreachable") or \
            o["dominator"].split(":")[0] in ("thread", "frame")
    unreachable = [o for o in objects if not o["reachable"]]
    assert header["unreachable_objects"] == len(unreachable) >= 2
    assert all(by_addr[hex(a)]["reachable"] is False for a in expect["garbage"])

    cache = by_addr[hex(expect["cache"]["address"])]
    assert (cache["retained"], cache["retained_objects"]) == (expect["cache"]["retained"],
                                                              expect["cache"]["objects"])
    r = subprocess.run([pyheap, "object", "--json", "-n", "1", dump, cache["address"]],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    obj = json.loads(r.stdout)
    assert (obj["retained"], obj["refcount"], obj["value"]) == (cache["retained"], cache["refcount"],
                                                                cache["value"])
    assert cache["value"] == "[200 items]"
    tags = [o["value"] for o in objects if o["kind"] == "str" and (o["value"] or "").startswith("'tag-3-")]
    assert tags == ["'tag-3-xxx'"]
