# SPDX-License-Identifier: MIT
"""Helpers of the export tests (test_export_*.py): run `pyheap export`, read a
jsonl export, and load a .heapsnapshot with Chrome DevTools' own heap
snapshot code (tests/devtools: the chrome-devtools-frontend npm package's
HeapSnapshotLoader, bundled with esbuild and run under node) or with VS Code's
(@vscode/v8-heap-parser, the parser of its heap snapshot viewer)."""
import json
import os
import subprocess

import pytest

from conftest import ROOT

DEVTOOLS = os.path.join(ROOT, "tests", "devtools")
BUNDLE = os.path.join(DEVTOOLS, "build", "devtools-heap.mjs")
# fixed synthetic nodes of a .heapsnapshot (src/export/heapsnapshot.c)
ROOT_NODE, GC_ROOTS, CAT_MODULES, CAT_INTERP, CAT_THREAD_STATE, CAT_OTHER, CAT_THREADS, \
    CAT_HELD, CAT_STATIC, UNREACHABLE = range(10)
N_FIXED = 10


def export(pyheap, dump, fmt, out):
    r = subprocess.run([pyheap, "export", "--format", fmt, "-o", str(out), str(dump)],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    return str(out)


def read_jsonl(path):
    """(header, threads, roots, objects) of a jsonl export; every line must parse."""
    header, threads, roots, objects = None, [], [], []
    with open(path) as f:
        for n, line in enumerate(f):
            assert line.endswith("\n"), "line %d is not ended" % n
            rec = json.loads(line)
            kind = rec["record"]
            if n == 0:
                assert kind == "header", rec
                header = rec
            elif kind == "thread":
                assert not roots and not objects, "thread line %d after roots or objects" % n
                threads.append(rec)
            elif kind == "root":
                assert not objects, "root line %d after objects" % n
                roots.append(rec)
            else:
                assert kind == "object", rec
                objects.append(rec)
    assert header is not None, "empty export"
    return header, threads, roots, objects


def devtools_harness():
    """The bundle of DevTools' code, built from tests/devtools/node_modules when out of date."""
    if not os.path.isdir(os.path.join(DEVTOOLS, "node_modules", "chrome-devtools-frontend")):
        pytest.fail("tests/devtools/node_modules is missing: run scripts/install-deps "
                    "(npm ci in tests/devtools)")
    sources = [os.path.join(DEVTOOLS, f) for f in ("build.mjs", "package-lock.json",
                                                   os.path.join("src", "entry.js"),
                                                   os.path.join("src", "locales.js"))]
    if not os.path.exists(BUNDLE) or os.path.getmtime(BUNDLE) < max(map(os.path.getmtime, sources)):
        r = subprocess.run(["node", os.path.join(DEVTOOLS, "build.mjs")], capture_output=True,
                           text=True, timeout=300)
        assert r.returncode == 0, r.stderr
    return os.path.join(DEVTOOLS, "load.mjs")


def devtools_load(path, all_nodes=False):
    """Load a .heapsnapshot with DevTools' HeapSnapshotLoader (tests/devtools/load.mjs)."""
    load = devtools_harness()
    r = subprocess.run(["node", "--max-old-space-size=8192", load, str(path)]
                       + (["--all"] if all_nodes else []),
                       capture_output=True, text=True, timeout=1200)
    assert r.returncode == 0, "DevTools failed to load %s:\n%s" % (path, r.stderr[-4000:])
    return json.loads(r.stdout)


def vscode_load(path):
    """Load a .heapsnapshot with VS Code's heap snapshot parser (tests/devtools/vscode.mjs)."""
    devtools_harness()
    r = subprocess.run(["node", "--max-old-space-size=8192", os.path.join(DEVTOOLS, "vscode.mjs"),
                        str(path)], capture_output=True, text=True, timeout=1200)
    assert r.returncode == 0, "VS Code's parser failed on %s:\n%s" % (path, r.stderr[-4000:])
    return json.loads(r.stdout)


def retained_by_removal(snapshot, ordinal):
    """The oracle: the total self size of the nodes that the root no longer reaches over
    non-weak edges once node `ordinal` is taken out of the snapshot, itself included."""
    nodes, edges = snapshot["nodes"], snapshot["edges"]
    n = len(nodes) // 7
    first_edge = [0] * (n + 1)
    for i in range(n):
        first_edge[i + 1] = first_edge[i] + nodes[7 * i + 4]
    seen = bytearray(n)
    seen[0] = 1
    todo = [0]
    while todo:
        v = todo.pop()
        for e in range(3 * first_edge[v], 3 * first_edge[v + 1], 3):
            to = edges[e + 2] // 7
            if edges[e] != 6 and to != ordinal and not seen[to]:  # 6: weak
                seen[to] = 1
                todo.append(to)
    return sum(nodes[7 * i + 3] for i in range(n) if not seen[i])


def check_vscode(vs, path, threads, objects):
    """VS Code's view of a snapshot against pyheap's jsonl: every node listed once, every
    object's self size, and its retained size - except where VS Code's parser computes a
    dominator tree that is not one: each such object is checked by removal (the oracle
    above) to retain what pyheap says, and they must be rare."""
    first = first_object(threads)
    assert vs["root"] == 0 and vs["listed"] == len(vs["nodes"]) == first + len(objects)
    differ = []
    for i, o in enumerate(objects):
        node = vs["nodes"][str(first + i)]
        assert node["self"] == max(1, min(o["size"] + o["native"], 2 ** 32 - 1)), o
        if node["retained"] != o["retained"]:
            differ.append((first + i, o, node["retained"]))
    assert len(differ) <= max(3, len(objects) // 1000), "%d objects differ, first: %s" % (
        len(differ), [(o["address"], o["kind"], o["retained"], r) for _, o, r in differ[:10]])
    if differ:
        with open(path) as f:
            snapshot = json.load(f)
        for k, o, theirs in differ:
            if o["reachable"]:
                assert retained_by_removal(snapshot, k) == o["retained"], (o, theirs)
    return len(differ)


def first_object(threads):
    """Ordinal of the first object node: after the fixed nodes, the threads and their frames."""
    return N_FIXED + len(threads) + sum(len(t["frames"]) for t in threads)


def check_agreement(dt, header, threads, roots, objects):
    """DevTools' view of a snapshot against pyheap's jsonl export of the same dump: node and
    edge counts, every object's self size, edge count, retained size and immediate dominator."""
    assert dt["problems"] == [], dt["problems"][:5]
    first = first_object(threads)
    assert dt["node_count"] == first + header["objects"] == first + len(objects)
    n_edges = sum(len(o["refs"]) for o in objects)
    assert n_edges == header["edges"]
    assert dt["edges"][ROOT_NODE] == 2 and dt["edges"][GC_ROOTS] == 7
    assert sum(dt["edges"][CAT_MODULES:CAT_STATIC + 1]) == len(roots) + len(threads)
    assert dt["edges"][CAT_THREADS] == len(threads)
    for t, th in enumerate(threads):
        assert dt["names"][N_FIXED + t] == "<thread %r>" % th["name"]
        assert dt["edges"][N_FIXED + t] == len(th["frames"])
    # no size is clamped here; an object's self size is what it owns (its native bytes too)
    assert dt["root_retained"] == sum(o["size"] + o["native"] for o in objects)
    ordinal = {o["address"]: first + i for i, o in enumerate(objects)}
    frame_base = N_FIXED + len(threads)
    mismatched = []
    for i, o in enumerate(objects):
        k = first + i
        assert dt["self"][k] == max(1, min(o["size"] + o["native"], 2 ** 32 - 1))
        assert dt["edges"][k] == len(o["refs"])
        dom = o["dominator"]
        if dom == "root":
            want = set(range(0, CAT_STATIC + 1))  # the root, (GC roots) or a kind of root
        elif dom == "unreachable":
            want = {UNREACHABLE}
        elif dom.startswith("thread:"):
            want = {N_FIXED + int(dom[7:])}
        elif dom.startswith("frame:"):
            want = {frame_base + int(dom[6:])}
        else:
            want = {ordinal[dom]}
        if dt["retained"][k] != o["retained"] or dt["dominator"][k] not in want:
            mismatched.append((o["address"], o["kind"], o["retained"], dt["retained"][k],
                               dom, dt["dominator"][k]))
    assert not mismatched, "%d objects differ, first: %s" % (len(mismatched), mismatched[:10])
    return ordinal
