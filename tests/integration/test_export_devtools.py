# SPDX-License-Identifier: MIT
"""`pyheap export --format heapsnapshot` loaded by Chrome DevTools' own heap
snapshot code (the chrome-devtools-frontend npm package's HeapSnapshotLoader
and JSHeapSnapshot, run under node by tests/devtools/load.mjs), on real dumps
of tests/targets/export_planted.py taken by the agent on every supported
CPython found.

Checked:
- the snapshot loads without a problem report (no node DevTools cannot reach
  from its root), and its node and edge counts are pyheap's: one node per
  object plus the fixed synthetic nodes, threads and frames, each object
  node with exactly its references;
- for every object, the retained size DevTools computes with its own
  dominator tree equals pyheap's (from the jsonl export of the same dump),
  and so does its immediate dominator;
- the planted structures - an exclusive list of instances, a cycle held by
  one global, a thread's local - retain in DevTools what the target computed
  with sys.getsizeof, and are the node types and names docs/export.md says;
  the planted garbage is below (unreachable);
- VS Code's heap snapshot parser (@vscode/v8-heap-parser, what its viewer
  uses) loads it, lists every node, and computes the same retained sizes but
  for a few objects (2 of 27,000 on a planted heap) where its own iterative
  dominator algorithm errs: each of those is checked by removing the object
  and seeing what the root no longer reaches, which is pyheap's answer;
- node ids: odd for objects, unique, within 32 bits; and the same for the
  same object (address and type) in a second dump of the process.
"""
import json
import subprocess

import pytest

from agentrun import run_target
from exportutil import (N_FIXED, UNREACHABLE, check_agreement, check_vscode, devtools_load, export,
                        first_object, read_jsonl, vscode_load)


@pytest.fixture
def planted(python, tmp_path):
    run_target(python, "export_planted.py", tmp_path)
    return tmp_path, json.load(open(tmp_path / "expect.json"))


def snapshot_ids(path, first):
    with open(path) as f:
        nodes = json.load(f)["nodes"]
    return nodes[2::7][:first], nodes[2::7][first:]


def test_devtools_agrees_on_a_planted_heap(pyheap, planted):
    d, expect = planted
    snap = export(pyheap, d / "dump.pyheap", "heapsnapshot", d / "dump.heapsnapshot")
    header, threads, roots, objects = read_jsonl(export(pyheap, d / "dump.pyheap", "jsonl",
                                                        d / "dump.jsonl"))
    dt = devtools_load(snap, all_nodes=True)
    ordinal = check_agreement(dt, header, threads, roots, objects)
    first = first_object(threads)

    cache = ordinal[hex(expect["cache"]["address"])]
    assert (dt["types"][cache], dt["names"][cache]) == ("array", "list")
    assert dt["retained"][cache] == expect["cache"]["retained"]

    ring = ordinal[hex(expect["ring"]["address"])]
    assert (dt["types"][ring], dt["names"][ring]) == ("object", "__main__.RingNode")
    assert dt["retained"][ring] == expect["ring"]["retained"]

    local = ordinal[hex(expect["worker"]["address"])]
    assert dt["retained"][local] == expect["worker"]["retained"]
    frame = dt["dominator"][local]
    assert N_FIXED + len(threads) <= frame < first and dt["names"][frame].startswith("worker (")
    thread = dt["dominator"][frame]
    assert dt["names"][thread] == "<thread 'planted-worker'>"

    for addr in expect["garbage"]:
        k = ordinal[hex(addr)]
        while k >= first:
            k = dt["dominator"][k]
        assert k == UNREACHABLE, "garbage %#x is not below (unreachable)" % addr
    strs = [i for i, o in enumerate(objects) if o["kind"] == "str" and o["value"] == "'planted-worker'"]
    assert strs and all(dt["types"][first + i] == "string" and dt["names"][first + i] ==
                        "planted-worker" for i in strs)

    check_vscode(vscode_load(snap), snap, threads, objects)

    fixed, ids = snapshot_ids(snap, first)
    assert fixed[:N_FIXED] == list(range(1, 2 * N_FIXED, 2))
    assert all(i % 2 == 1 and 1000 <= i < 2 ** 32 for i in ids)
    assert len(set(ids) | set(fixed)) == len(ids) + len(fixed)


def test_node_ids_are_stable_across_dumps(pyheap, planted):
    d, _ = planted
    seen = {}
    for name in ("dump", "again"):
        snap = export(pyheap, d / (name + ".pyheap"), "heapsnapshot", d / (name + ".heapsnapshot"))
        _, threads, _, objects = read_jsonl(export(pyheap, d / (name + ".pyheap"), "jsonl",
                                                   d / (name + ".jsonl")))
        _, ids = snapshot_ids(snap, first_object(threads))
        seen[name] = {(o["address"], o["kind"]): i for o, i in zip(objects, ids)}
    common = set(seen["dump"]) & set(seen["again"])
    assert len(common) > 10000
    changed = [k for k in common if seen["dump"][k] != seen["again"][k]]
    # an id changes only when another object takes it first (a hash collision, about
    # n^2 / 2^32 of them: under one expected here)
    assert len(changed) <= 3, changed


def test_devtools_agrees_on_a_synthetic_heap(pyheap, tmp_path):
    """test-tool synth: modules, instances, __slots__, dicts, weakrefs, unreachable cycles."""
    from conftest import TEST_TOOL
    dump = tmp_path / "synth.pyheap"
    subprocess.run([TEST_TOOL, "synth", "-q", "--objects", "50000", "-o", str(dump)], check=True)
    snap = export(pyheap, dump, "heapsnapshot", tmp_path / "synth.heapsnapshot")
    header, threads, roots, objects = read_jsonl(export(pyheap, dump, "jsonl", tmp_path / "synth.jsonl"))
    assert header["unreachable_objects"] > 0 and any(
        r.get("weak") for o in objects for r in o["refs"])
    check_agreement(devtools_load(snap, all_nodes=True), header, threads, roots, objects)
    check_vscode(vscode_load(snap), snap, threads, objects)
