# SPDX-License-Identifier: MIT
"""The analyzer on real dumps of a target with planted structures
(tests/targets/analyze_planted.py), taken by the agent from inside the target
with the in-process harness (tests/integration/agent_harness.py), on every
supported CPython found.

What is checked against what the target computed about itself with
sys.getsizeof and id():
- the retained size of an exclusive structure (a module-level list of
  instances with their __dict__s and unique values) equals the sum of its
  members' sizes, and its retained object count their number;
- a shortest path to a planted object is the expected Python expression;
- the named thread's frame shows the planted local with its retained size,
  and the thread retains at least that;
- `diff` of two dumps of one process finds the dict that grew, with its exact
  retained size and object count before and after;
- the planted list is the accumulation point of the top suspect at a low
  threshold, and `summary`, `histogram --by owner`, `top` and `diff` (of the
  dump with itself) run on the real heap.
"""
import json
import os
import subprocess

import pytest

from agentrun import TARGETS, jrun, planted_dump, run_target

TARGET = os.path.join(TARGETS, "analyze_planted.py")


@pytest.fixture
def planted(python, tmp_path):
    return planted_dump(python, os.path.basename(TARGET), tmp_path)


def test_planted_structures(pyheap, planted):
    dump, expect = planted
    cache = jrun(pyheap, "object", "--json", "-n", "1", dump, hex(expect["cache"]["address"]))
    assert cache["type"] == "list"
    assert cache["retained"] == expect["cache"]["retained"]
    assert cache["retained_objects"] == expect["cache"]["objects"]
    assert cache["n_retains"] == 200
    assert cache["path"] == "sys.modules['__main__'].__dict__['CACHE']"

    paths = jrun(pyheap, "paths", "--json", dump, hex(expect["paths"]["address"]))
    assert paths["type"] == "bytes"
    assert paths["paths"][0]["expr"] == expect["paths"]["expr"]

    threads = jrun(pyheap, "threads", "--json", dump)["threads"]
    worker = [t for t in threads if t["name"] == "planted-worker"]
    assert len(worker) == 1 and worker[0]["daemon"] is True
    frames = [f for f in worker[0]["frames"] if f["function"] == "worker"]
    assert len(frames) == 1 and frames[0]["file"] == TARGET
    local = [x for x in frames[0]["locals"] if x["name"] == "local_big"]
    assert local == [{"name": "local_big", "address": hex(expect["worker"]["address"]), "type": "list",
                      "retained": expect["worker"]["retained"], "value": "[10 items]"}]
    assert frames[0]["retained"] >= expect["worker"]["retained"]
    assert worker[0]["retained"] >= frames[0]["retained"]
    assert any(t["main"] for t in threads)


def test_commands_on_a_real_heap(pyheap, planted):
    dump, expect = planted
    s = jrun(pyheap, "summary", "--json", dump)
    assert s["objects"] > 10000 and s["roots"]["sys_modules"] == 1
    assert s["reachable"]["size"] + s["unreachable"]["size"] == s["total_size"]
    sus = jrun(pyheap, "suspects", "--json", "--threshold", "1", dump)["suspects"]
    accs = [x["accumulation"]["address"] for x in sus if x["accumulation"]]
    assert hex(expect["cache"]["address"]) in accs, sus
    h = jrun(pyheap, "histogram", "--json", "--by", "owner", "-n", "0", dump)
    payload = [r for r in h["rows"] if r["kind"] == "__main__.Payload"]
    assert payload and payload[0]["count"] == 200
    assert sum(r["count"] for r in h["rows"]) == s["objects"]
    top = jrun(pyheap, "top", "--json", "--type", "__main__.Payload", "-n", "3", dump)["rows"]
    assert len(top) == 3 and all(r["retained"] > 1000 for r in top)
    d = jrun(pyheap, "diff", "--json", dump, dump)
    assert d["rows"] == [] and d["paths"] == []


def test_diff_of_two_real_dumps(pyheap, python, tmp_path):
    run_target(python, "analyze_growth.py", tmp_path)
    expect = json.load(open(tmp_path / "expect.json"))
    d = jrun(pyheap, "diff", "--json", str(tmp_path / "before.pyheap"), str(tmp_path / "after.pyheap"))
    top = d["paths"][0]
    assert top["path"] == "sys.modules['__main__'].__dict__['SESSIONS']"
    assert (top["retained_old"], top["objects_old"]) == (expect["before"]["retained"],
                                                         expect["before"]["objects"])
    assert (top["retained_new"], top["objects_new"]) == (expect["after"]["retained"],
                                                         expect["after"]["objects"])
    assert top["address_old"] is not None
    rows = {r["kind"]: r for r in d["rows"]}
    assert rows["__main__.Session"]["count_new"] - rows["__main__.Session"]["count_old"] == 1200


def held_by_the_documented_rule(path):
    """The held roots docs/analysis.md defines, computed from the file alone (an outside reader)."""
    from collections import Counter

    from pyheapfile import LABEL_ENTRY, OBJ_IMMORTAL, OBJ_STATIC, Dump

    d = Dump(path)
    found = Counter()
    for src, edges in d.edges.items():
        for e in edges:
            if e.weak:  # weak references hold no count
                continue
            found[e.target] += 1
            if e.kind == LABEL_ENTRY:
                found[e.label] += 1  # the dict holds the key too
    for t in d.threads:
        for f in t.frames:
            for _, addr in f.locals:
                found[addr] += 1
    for _, _, addr in d.roots:
        found[addr] += 1
    for addr, o in d.objects.items():
        t = d.types[o.type]
        if t.flags & (1 << 9) and t.address in d.objects and \
                not any(e.target == t.address for e in d.edges.get(addr, [])):
            found[t.address] += 1
    return sum(1 for addr, o in d.objects.items()
               if not o.flags & (OBJ_IMMORTAL | OBJ_STATIC) and o.refcount > found[addr])


def test_held_roots_follow_the_documented_rule(pyheap, planted, tmp_path):
    """Objects of ROOTS records count as held when their count says so (3.8-3.10's builtins
    dict, some of 3.14's and 3.15's): the count the docs define, recomputed from the file."""
    dump, _ = planted
    raw = str(tmp_path / "raw.pyheap")
    tool = os.environ.get("TEST_TOOL") or os.path.join(os.path.dirname(__file__), "..", "..",
                                                      "build", "test-tool")
    subprocess.run([tool, "rawcopy", dump, raw], check=True, timeout=120)
    roots = jrun(pyheap, "summary", "--json", dump)["roots"]
    assert roots["held"] == held_by_the_documented_rule(raw)
