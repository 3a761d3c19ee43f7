# SPDX-License-Identifier: MIT
"""The agent's dump against a census taken inside the same interpreter.

tests/targets/census_basic.py builds a known heap, takes a census of it
(agent_harness.census) and has the agent dump it; these tests read the dump
(pyheapfile) and check it against the census and the target's expectations,
on every supported interpreter. Every test runs twice: with the agent loaded
by the in-process harness, and with the target dumped from outside by
`pyheap dump --pid` (the target waits in time.sleep after its census).
"""
import math
import os
import signal
import struct
import subprocess
import time

import pytest

import agent_harness
import agentrun
import pyheapfile as P
from conftest import PYHEAP, TEST_TOOL

VIA_HARNESS = "harness"
VIA_DUMP = "pyheap-dump"


@pytest.fixture(scope="module", params=[VIA_HARNESS, VIA_DUMP])
def basic_runs(request):
    return {"via": request.param}


def created_by_run(basic_runs):
    """Objects made between the census and the dump (see agentrun's module doc)."""
    return agent_harness.OBJECTS_CREATED_BY_RUN if basic_runs["via"] == VIA_HARNESS else {}


def dump_from_outside(python, out, args):
    """Run census_basic.py in external mode and dump it with pyheap dump --pid."""
    env = dict(os.environ, PYHEAP_HARNESS_DIR=os.path.dirname(os.path.abspath(__file__)))
    env.pop("PYTHONPATH", None)
    env.pop("PYTHONHOME", None)
    target = subprocess.Popen([python.path, os.path.join(agentrun.TARGETS, "census_basic.py"),
                               str(out)] + args + ["external"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not (out / "ready").exists():
            assert target.poll() is None, "target died: %s" % (target.communicate()[1],)
            assert time.monotonic() < deadline, "target never got ready"
            time.sleep(0.05)
        dump_args = ["--max-value-len", "256"] + (["--no-values"] if "novalues" in args else [])
        pid = python.host_pid(target)  # in a root the target calls itself 1
        (out / "hostpid").write_text(str(pid))
        r = subprocess.run([PYHEAP, "dump", "--pid", str(pid), "-o",
                            str(out / "zstd.pyheap"), "--quiet"] + dump_args,
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        assert target.poll() is None, "the target died during the dump"
    finally:
        target.send_signal(signal.SIGKILL)
        target.communicate()
    # the tests' Python reader has no zstd: store the chunks raw
    subprocess.run([TEST_TOOL, "rawcopy", str(out / "zstd.pyheap"),
                    str(out / "dump.pyheap")], check=True)


def basic(python, tmp_path_factory, basic_runs, mode="values"):
    via = basic_runs["via"]
    key = (python.label, mode)
    if key not in basic_runs:
        out = tmp_path_factory.mktemp("basic-%s-%s-%s" % (python.label, mode, via))
        args = ["novalues"] if mode == "novalues" else []
        if via == VIA_DUMP:
            dump_from_outside(python, out, args)
            res = None
        else:
            agentrun.run_target(python, "census_basic.py", out, *args)
            res = agentrun.load_json(out / "result.json")
            agentrun.assert_done(res["main"])
        rep = agentrun.validate(out / "dump.pyheap")
        basic_runs[key] = (P.Dump(str(out / "dump.pyheap")), agentrun.load_json(out / "census.json"),
                           res, rep, out)
    return basic_runs[key]


def test_dump_is_valid_with_no_dangling_reference(python, tmp_path_factory, basic_runs):
    d, census, res, rep, out = basic(python, tmp_path_factory, basic_runs)
    assert rep["dangling_edges"] == 0 and rep["dangling_labels"] == 0 and rep["dangling_other"] == 0
    assert rep["objects"] == len(d.objects)
    if res is not None:
        assert rep["objects"] == res["main"]["objects"]
    assert d.meta["agent_bad_references"] == 0
    assert d.meta["agent_bad_gc_links"] == 0
    # chunks of every kind the format has, raw (the agent leaves zstd to the dumper)
    assert set(d.chunk_kinds) >= {P.KIND_META, P.KIND_STRINGS, P.KIND_TYPES, P.KIND_OBJECTS,
                                  P.KIND_EDGES, P.KIND_THREADS, P.KIND_ROOTS, P.KIND_TOC}


def test_counts_by_type_equal_the_census(python, tmp_path_factory, basic_runs):
    d, census, res, rep, out = basic(python, tmp_path_factory, basic_runs)
    got = agentrun.compare_counts(d, census, created_by_run(basic_runs))
    assert sum(got.values()) > 1000
    assert d.meta["agent_gc_objects"] == sum(got.values())


def test_sizes_equal_sys_getsizeof(python, tmp_path_factory, basic_runs):
    d, census, res, rep, out = basic(python, tmp_path_factory, basic_runs)
    n = agentrun.compare_sizes(d, census)
    assert n > 5000
    # a Python-level __sizeof__ is never called: object.__sizeof__'s figure instead
    sized, like = census["expect"]["python_sizeof"]
    assert census["chosen"]["sized"]["size"] > 100000
    assert d.objects[sized].size == d.objects[like].size == census["chosen"]["like_sized"]["size"]


def test_chosen_objects_type_size_value(python, tmp_path_factory, basic_runs):
    d, census, res, rep, out = basic(python, tmp_path_factory, basic_runs)
    for name, c in census["chosen"].items():
        if name == "sized":
            continue
        assert c["id"] in d.objects, name
        o = d.objects[c["id"]]
        assert d.types[o.type].address == c["type"], name
        assert d.type_name(c["id"]) == c["type_name"], name
        assert o.size == c["size"], (name, o.size, c["size"])
        assert bool(o.flags & P.OBJ_GC) == c["tracked"], name
        v = o.value
        if "str" in c:
            text = bytes.fromhex(c["str"])
            assert v.kind == P.VAL_STR and v.length == c["length"], name
            if len(text) <= 256:
                assert v.data == text and not v.flags & P.VALF_TRUNCATED, name
            else:
                assert v.flags & P.VALF_TRUNCATED, name
                assert 252 < len(v.data) <= 256 and text.startswith(v.data), name
                v.data.decode("utf-8")  # whole code points only
        elif "bytes" in c:
            raw = bytes.fromhex(c["bytes"])
            assert v.kind == P.VAL_BYTES and v.length == len(raw), name
            assert v.data == raw[:256], name
            assert bool(v.flags & P.VALF_TRUNCATED) == (len(raw) > 256), name
        elif "bool" in c:
            assert v.kind == P.VAL_BOOL and v.data == c["bool"], name
        elif "int" in c:
            want = int(c["int"])
            if -2 ** 63 <= want < 2 ** 63:
                assert v.kind == P.VAL_INT and v.data == want, name
            else:
                sign, mag = v.data
                assert v.kind == P.VAL_BIGINT and sign == (want < 0), name
                assert v.length == abs(want).bit_length(), name
                full = abs(want).to_bytes((v.length + 7) // 8, "little")
                if v.flags & P.VALF_TRUNCATED:
                    assert len(mag) >= 32 and full.startswith(mag) and len(mag) < len(full), name
                else:
                    assert mag == full, name
        elif "float" in c:
            want = float.fromhex(c["float"])
            assert v.kind == P.VAL_FLOAT, name
            assert struct.pack("<d", v.data) == struct.pack("<d", want) or (
                math.isnan(want) and math.isnan(v.data)), name
    assert d.objects[census["chosen"]["none"]["id"]].value.kind == P.VAL_NONE


def test_text_values_name_modules_functions_code_types(python, tmp_path_factory, basic_runs):
    d, census, res, rep, out = basic(python, tmp_path_factory, basic_runs)
    for addr, want in census["expect"]["texts"].items():
        o = d.objects[int(addr)]
        assert o.value is not None and o.value.kind == P.VAL_TEXT, want
        assert o.value.data.decode() == want


def test_dict_entries_labelled_by_key(python, tmp_path_factory, basic_runs):
    d, census, res, rep, out = basic(python, tmp_path_factory, basic_runs)
    for daddr, want in census["expect"]["entries_str"].items():
        got = d.entries(int(daddr))
        assert got == want
        # the str keys CPython's traversal skips are objects of the dump
        for e in d.out(int(daddr), P.LABEL_ENTRY):
            assert d.type_name(e.label) == "str"
    for daddr, pairs in census["expect"]["entries_any"].items():
        got = sorted((e.label, e.target) for e in d.out(int(daddr), P.LABEL_ENTRY))
        assert got == sorted(tuple(p) for p in pairs), daddr


def test_instance_attributes(python, tmp_path_factory, basic_runs):
    d, census, res, rep, out = basic(python, tmp_path_factory, basic_runs)
    ex = census["expect"]
    for oaddr, want in ex["attrs"].items():
        got = d.attrs(int(oaddr))
        assert {k: v for k, v in got.items() if k in want} == want, oaddr
    plain = ex["dict_of"]["plain"]
    touched = ex["dict_of"]["touched"]
    minor = python.version[1]
    attr_edges = {d.text(e.label): e for e in d.out(plain, P.LABEL_ATTR)}
    if minor >= 11:
        # managed dict never materialised (3.11/3.12 values, 3.13+ inline values): the
        # instance holds the values, labelled with the names' str objects
        assert d.field(plain, "__dict__") is None
        assert set(attr_edges) == {"alpha", "beta", "gamma"}
        for name, a in ex["attr_names"].items():
            assert attr_edges[name].label == a
    else:
        assert not attr_edges
        assert d.field(plain, "__dict__") is not None
    # obj.__dict__ touched: a real dict (3.13+: the values stay inline, the dict shares them)
    tdict = d.field(touched, "__dict__")
    assert tdict is not None and d.type_name(tdict) == "dict"
    if minor >= 13:
        assert {d.text(e.label) for e in d.out(touched, P.LABEL_ATTR)} >= {"alpha", "beta", "gamma"}
    else:
        assert not d.out(touched, P.LABEL_ATTR)
        assert set(d.entries(tdict)) == {"alpha", "beta", "gamma", "delta"}


def test_slots_and_fields(python, tmp_path_factory, basic_runs):
    d, census, res, rep, out = basic(python, tmp_path_factory, basic_runs)
    for oaddr, want in census["expect"]["fields"].items():
        for name, target in want.items():
            assert d.field(int(oaddr), name) == target, (oaddr, name)
    for oaddr, name in census["expect"]["no_slot"].items():
        assert d.field(int(oaddr), name) is None


def test_items_keys_referents(python, tmp_path_factory, basic_runs):
    d, census, res, rep, out = basic(python, tmp_path_factory, basic_runs)
    ex = census["expect"]
    for addr, want in ex["index"].items():
        got = [(e.label, e.target) for e in d.out(int(addr), P.LABEL_INDEX)]
        assert got == list(enumerate(want)), addr
    for addr, want in ex["keyref"].items():
        assert sorted(e.target for e in d.out(int(addr), P.LABEL_KEYREF)) == want
        assert not d.out(int(addr), P.LABEL_NONE)
    for addr, want in ex["referents"].items():
        assert [e.target for e in d.out(int(addr), P.LABEL_NONE)] == want


def test_weak_references_flagged(python, tmp_path_factory, basic_runs):
    d, census, res, rep, out = basic(python, tmp_path_factory, basic_runs)
    for addr, target in census["expect"]["weak"].items():
        weak = [e for e in d.out(int(addr)) if e.weak]
        assert [e.target for e in weak] == [target]
        assert not [e for e in d.out(int(addr)) if e.target == target and not e.weak]
    for addr in census["expect"]["dead_weak"]:
        assert addr in d.objects
        assert not [e for e in d.out(addr) if e.weak]


def test_each_object_once_and_edges_not_duplicated(python, tmp_path_factory, basic_runs):
    d, census, res, rep, out = basic(python, tmp_path_factory, basic_runs)
    assert len(d.order) == len(set(d.order))
    # a reference the agent labels itself is not reported again, unlabelled, from
    # tp_traverse (a list holding one object twice still has two INDEX edges)
    checked = 0
    for src, edges in d.edges.items():
        if d.type_name(src) not in ("dict", "list", "tuple", "function", "type", "module", "cell"):
            continue
        labelled = {e.target for e in edges if e.kind != P.LABEL_NONE and not e.weak}
        dup = [e for e in edges if e.kind == P.LABEL_NONE and e.target in labelled]
        assert not dup, (hex(src), d.type_name(src), dup[:3])
        if d.type_name(src) in ("dict", "list", "tuple"):
            assert not [e for e in edges if e.kind == P.LABEL_NONE], hex(src)
        checked += 1
    assert checked > 1000


def test_roots(python, tmp_path_factory, basic_runs):
    d, census, res, rep, out = basic(python, tmp_path_factory, basic_runs)
    roots = {}
    for kind, label, addr in d.roots:
        roots.setdefault(label, []).append((kind, addr))
    for label, addr in census["expect"]["roots"].items():
        assert (P.ROOT_MODULES if label == "sys.modules" else P.ROOT_INTERP, addr) in roots[label]
    assert any(k == P.ROOT_THREAD for k, _, _ in d.roots)


def test_metadata(python, tmp_path_factory, basic_runs):
    d, census, res, rep, out = basic(python, tmp_path_factory, basic_runs)
    m = d.meta
    assert m["python_version"] == census["sys"]["version"]
    assert m["python_hexversion"] == census["hexversion"]
    # the agent writes the pid the process sees, pyheap dump the one it was given
    assert m["pid"] == (census["pid"] if res is not None else int((out / "hostpid").read_text()))
    if res is not None:
        assert m["argv"] == census["sys"]["argv"]
    else:  # pyheap dump records the process's whole command line, interpreter included
        argv = census["sys"]["argv"]
        assert m["argv"][-len(argv):] == argv and len(m["argv"]) > len(argv), m["argv"]
    if res is None and python.root:
        # pyheap dump names the file from outside the target's root (/proc/PID/exe)
        assert os.path.samefile(m["executable"], python.host_path(census["sys"]["executable"]))
    else:
        assert m["executable"] == census["sys"]["executable"]
    assert m["values"] == "all" and m["max_value_len"] == 256
    assert m["gc_collecting"] is False
    assert m["writer"].startswith("pyheap ")
    if res is not None:
        assert 0 < m["pause_ns"] <= res["main"]["pause_ns"]
    else:
        assert 0 < m["pause_ns"] < 60e9 and m["duration_ns"] >= m["pause_ns"]
    assert m["time_ns"] > 1.6e18
    assert m["agent_full_set"] is False


def test_gc_state_restored(python, tmp_path_factory, basic_runs):
    d, census, res, rep, out = basic(python, tmp_path_factory, basic_runs)
    if res is None:
        pytest.skip("checked in-process by the harness, which sees the GC before and after")
    for key in ("gc_on", "gc_off"):
        r = res[key]
        agentrun.assert_done(r)
        assert r["gc_enabled_after"] == r["gc_enabled_before"], key
        agentrun.validate(out / (key + ".pyheap"))


def test_no_values_keeps_names_only(python, tmp_path_factory, basic_runs):
    d, census, res, rep, out = basic(python, tmp_path_factory, basic_runs, mode="novalues")
    assert d.meta["values"] == "none"
    ch = census["chosen"]
    for name in ("ascii", "latin1", "astral", "long", "bytes", "long_bytes"):
        v = d.objects[ch[name]["id"]].value
        assert v.flags & P.VALF_OMITTED and v.data == b"", name
        assert v.length == ch[name].get("length", len(bytes.fromhex(ch[name].get("bytes", "")))), name
    # an interned identifier that names no code (a constant, a key of a plain dict) is data
    v = d.objects[ch["interned"]["id"]].value
    assert v.flags & P.VALF_OMITTED and v.data == b"", v
    assert v.length == len("an_interned_identifier_for_pyheap")
    # attribute names (keys of instances' and modules' dicts) keep their text (names.h)
    for name, a in census["expect"]["attr_names"].items():
        assert d.text(a) == name
    # numbers are data: omitted, a big int's bit length kept
    for name in ("small", "big62", "min64", "pi", "tiny"):
        v = d.objects[ch[name]["id"]].value
        assert v.flags & P.VALF_OMITTED and v.data in (0, 0.0), (name, v)
    for name, bits in (("over64", 65), ("enormous", (10 ** 1000 + 1).bit_length())):
        v = d.objects[ch[name]["id"]].value
        assert v.flags & P.VALF_OMITTED and v.data == (0, b"") and v.length == bits, (name, v)
    agentrun.compare_counts(d, census, created_by_run(basic_runs))


def test_static_and_immortal_flags(python, tmp_path_factory, basic_runs):
    d, census, res, rep, out = basic(python, tmp_path_factory, basic_runs)
    ch = census["chosen"]
    none = d.objects[ch["none"]["id"]]
    assert none.flags & P.OBJ_STATIC
    assert bool(none.flags & P.OBJ_IMMORTAL) == (python.version >= (3, 12))
    int_type = [t.address for t in d.types if t.module == "builtins" and t.qualname == "int"][0]
    assert d.objects[int_type].flags & P.OBJ_STATIC
    for name in ("plain", "Plain", "dict_str", "long"):
        o = d.objects[ch[name]["id"]]
        assert not o.flags & (P.OBJ_STATIC | P.OBJ_IMMORTAL), name
    assert d.objects[ch["plain"]["id"]].refcount >= 1
