# SPDX-License-Identifier: MIT
"""Objects held only from C (issue: account for every byte): a C extension that leaks a
reference (an extra Py_INCREF) keeps an object alive that no walk from Python reaches. The
agent finds the live objects in pymalloc's blocks in use that the walk did not write, checks
each against the types it met, and dumps them as roots of their own ("held from C
(unreachable from Python)", like heapy's heapu); `summary` and `suspects` name them. On every
interpreter; a stripped 3.9-3.11 (no symbol table: pymalloc's arenas cannot be found) says so,
and still finds the issue's example, a leaked 100 KB bytes, in the C allocator's main heap."""
import json
import subprocess

from dumputil import Target, dump

LABEL = "held from C (unreachable from Python)"


def run(*args):
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=120)


def arenas_readable(python):
    return python.version >= (3, 12) or not python.label.startswith("debian-")


def test_leaked_references_are_roots_of_their_own(pyheap, python, tmp_path):
    with Target(python.path, "heldc") as t:
        m = t.expect(r"LEAKED (0x[0-9a-f]+) (0x[0-9a-f]+) (0x[0-9a-f]+)")
        r = dump(pyheap, t.pid, tmp_path / "h.pyheap")
        assert r.returncode == 0, r.stderr
        assert t.proc.poll() is None
    path = tmp_path / "h.pyheap"
    assert run(pyheap, "validate", path).returncode == 0
    info = run(pyheap, "info", path).stdout
    leaked_bytes, leaked_dict, leaked_big = m.group(1), m.group(2), m.group(3)
    assert "unreached_heap     searched" in info, info
    big = json.loads(run(pyheap, "object", "--json", path, leaked_big).stdout)
    assert big["type"] == "bytes" and big["size"] >= 100000
    assert LABEL in " ".join(big["roots"]), big["roots"]
    if not arenas_readable(python):
        assert "unreached_pymalloc unavailable: " in info, info
        assert run(pyheap, "object", path, leaked_bytes).returncode != 0  # not in the dump
        return
    assert "unreached_pymalloc searched" in info, info
    for addr, kind in ((leaked_bytes, "bytes"), (leaked_dict, "dict")):
        o = json.loads(run(pyheap, "object", "--json", path, addr).stdout)
        assert o["type"] == kind
        assert o["strong_references"] == 0 and o["refcount"] == 1
        if kind == "bytes" or python.version < (3, 14):
            assert LABEL in " ".join(o["roots"]), o["roots"]
        else:
            # 3.14+ keeps a dict of atomic values in the GC lists: the walk writes it, and
            # its reference count says what holds it
            assert "held from outside the dump" in " ".join(o["roots"]), o["roots"]
    # the dict is the root of the str it holds (containers are taken first)
    d = json.loads(run(pyheap, "object", "--json", path, leaked_dict).stdout)
    assert d["retained_objects"] == 2, d
    assert [x["type"] for x in d["retains"]] == ["str"]
    # summary and suspects name them
    s = json.loads(run(pyheap, "summary", "--json", path).stdout)
    assert s["held_from_c"]["objects"] >= 2
    assert s["held_from_c"]["retained"] >= d["retained"]
    assert "held from C:" in run(pyheap, "summary", path).stdout
    sj = json.loads(run(pyheap, "suspects", "--json", "--threshold", "90", path).stdout)
    assert sj["held_from_c"]["objects"] == s["held_from_c"]["objects"]
    text = run(pyheap, "suspects", "--threshold", "90", path).stdout
    assert "Held from C: " in text
