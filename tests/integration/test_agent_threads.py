# SPDX-License-Identifier: MIT
"""Threads, frames and locals in the agent's dump (tests/targets/census_threads.py)."""

import pytest

import agent_harness
import agentrun
import pyheapfile as P


@pytest.fixture(scope="module")
def runs():
    return {}


def threads_run(python, tmp_path_factory, runs):
    if python.label not in runs:
        out = tmp_path_factory.mktemp("threads-%s" % python.label)
        agentrun.run_target(python, "census_threads.py", out)
        t = agentrun.load_json(out / "threads.json")
        agentrun.assert_done(t["result"])
        agentrun.validate(out / "dump.pyheap")
        runs[python.label] = (P.Dump(str(out / "dump.pyheap")), t,
                              agentrun.load_json(out / "census.json"))
    return runs[python.label]


def by_ident(d):
    return {t.ident: t for t in d.threads}


def test_every_thread_is_listed_with_its_name(python, tmp_path_factory, runs):
    d, t, census = threads_run(python, tmp_path_factory, runs)
    info = t["info"]
    threads = by_ident(d)
    # the workers, the deep one, the raw _thread one, the main thread; not the agent's own
    assert len(d.threads) == t["nworkers"] + 3
    for name, i in info.items():
        th = threads[i["ident"]]
        if name == "raw":
            assert th.name is None
        else:
            assert th.name == name
        if "daemon" in i:
            assert bool(th.flags & P.THREAD_DAEMON) == i["daemon"], name
            assert th.native_id == i["native_id"], name
        assert bool(th.flags & P.THREAD_MAIN) == (name == "MainThread"), name


def test_frames_functions_files_lines(python, tmp_path_factory, runs):
    d, t, census = threads_run(python, tmp_path_factory, runs)
    threads = by_ident(d)
    for name, i in t["info"].items():
        th = threads[i["ident"]]
        want = {"MainThread": "main", "deep": "recurse", "raw": "raw_thread"}.get(name, "worker_body")
        ours = [f for f in th.frames if f.filename == t["file"]]
        assert ours, (name, [(f.function, f.filename) for f in th.frames])
        # innermost frame of the target's own code: where the thread waits
        f = ours[0]
        assert f.function == want, (name, f.function)
        assert f.line == i["line"], (name, f.line, i["line"])
        assert f.code in d.objects and d.type_name(f.code) == "code"
        assert d.text(f.code) == want  # code objects carry their name
        if f.frame:
            assert d.type_name(f.frame) == "frame"
        if python.version < (3, 11):
            assert f.frame, "3.8-3.10 frames are objects"
        # the frames inside threading (Event.wait...) come first, innermost first
        if name not in ("MainThread",):
            assert th.frames[0].filename != t["file"] and "threading" in th.frames[0].filename


def test_locals_by_name(python, tmp_path_factory, runs):
    d, t, census = threads_run(python, tmp_path_factory, runs)
    threads = by_ident(d)
    for name, i in t["info"].items():
        if "locals" not in i:
            continue
        f = [f for f in threads[i["ident"]].frames if f.filename == t["file"]][0]
        got = dict(f.locals)
        for var, addr in i["locals"].items():
            assert got.get(var) == addr, (name, var)  # cells: their contents
            assert addr in d.objects
        for var, addr in f.locals:
            assert addr in d.objects


def test_deep_recursion_all_frames(python, tmp_path_factory, runs):
    d, t, census = threads_run(python, tmp_path_factory, runs)
    th = by_ident(d)[t["info"]["deep"]["ident"]]
    rec = [f for f in th.frames if f.function == "recurse"]
    assert len(rec) == t["info"]["deep"]["depth"] + 1
    assert len({f.code for f in rec}) == 1
    # each level has its own k
    ks = [dict(f.locals)["k"] for f in rec]
    assert all(d.objects[a].value.data == n for n, a in enumerate(ks))


def test_thread_state_roots(python, tmp_path_factory, runs):
    d, t, census = threads_run(python, tmp_path_factory, runs)
    thread_roots = [r for r in d.roots if r[0] == P.ROOT_THREAD]
    assert thread_roots
    for kind, label, addr in thread_roots:
        assert label.startswith("tstate.") and addr in d.objects
    agentrun.compare_counts(d, census, agent_harness.OBJECTS_CREATED_BY_RUN)


def test_busy_thread_frame_reads_consistently(python, tmp_path):
    agentrun.run_target(python, "census_busy.py", tmp_path)
    r = agentrun.load_json(tmp_path / "result.json")
    agentrun.assert_done(r["result"])
    agentrun.validate(tmp_path / "dump.pyheap")
    d = P.Dump(str(tmp_path / "dump.pyheap"))
    spinner = [t for t in d.threads if t.name == "spinner"]
    assert len(spinner) == 1
    f = spinner[0].frames[0]
    assert f.function == "spin" and f.filename == r["file"]
    first, last = r["lines"]
    assert first <= f.line <= last
    loc = dict(f.locals)
    assert d.text(loc["marker"]) is None and d.type_name(loc["marker"]) == "list"
    assert d.type_name(loc["counter"]) == "int"
