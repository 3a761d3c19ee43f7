# SPDX-License-Identifier: MIT
"""Allocation sites (issue: account for every byte): when the target runs with
tracemalloc on, the dump records each object's allocation traceback from
tracemalloc's own table, `pyheap object` shows it, `histogram --by site` groups
by the allocating line (heapy's byprod), and a dump of a target without
tracemalloc says once how to turn it on. On every interpreter: where the table
cannot be read (3.8, a stripped 3.9-3.11), the dump still succeeds and says why."""
import json
import os
import subprocess

import pytest

import pyheapfile
from conftest import TEST_TOOL
from dumputil import Target, dump


def run(*args):
    r = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=120)
    return r


def sites_readable(python):
    """Whether pyheap can read tracemalloc's table in this interpreter: 3.9-3.11 keep it in
    static variables (found through the symbol table, which Debian's stripped builds lack);
    3.12+ in _PyRuntime."""
    if python.version < (3, 9):
        return False
    return python.version >= (3, 12) or not python.label.startswith("debian-")


def planted_dump(pyheap, python, tmp_path, **popen):
    with Target(python.path, "sites", **popen) as t:
        m = t.expect(r"SITES (\d+) (\d+) (\d+) (.+)")
        r = dump(pyheap, t.pid, tmp_path / "s.pyheap")
        assert r.returncode == 0, r.stderr
    return str(tmp_path / "s.pyheap"), int(m.group(1)), int(m.group(2)), int(m.group(3)), m.group(4)


PLANTED = "__main__.main.<locals>.Planted"  # the class is made inside dump_target.main()


def meta(pyheap, path, key):
    r = run(pyheap, "info", path)
    for line in r.stdout.splitlines():
        if line.startswith("  %s " % key):
            return line.split(None, 1)[1]
    return None


def rows(pyheap, path, *opts):
    r = run(pyheap, "histogram", "--json", "-n", "0", *opts, path)
    assert r.returncode == 0, r.stderr
    return {row["kind"]: row for row in json.loads(r.stdout)["rows"]}


def test_planted_objects_name_their_line(pyheap, python, tmp_path):
    path, line_p, line_l, frames, file = planted_dump(pyheap, python, tmp_path)
    info = run(pyheap, "info", path).stdout
    v = run(pyheap, "validate", path)
    assert v.returncode == 0, v.stdout + v.stderr
    if not sites_readable(python):
        assert meta(pyheap, path, "tracemalloc").startswith("unavailable: "), info
        r = run(pyheap, "histogram", "--by", "site", path)
        assert r.returncode == 0 and "This dump has no allocation sites: tracemalloc's table " \
            "could not be read" in r.stdout, r.stdout
        return
    assert meta(pyheap, path, "tracemalloc") == "on", info
    assert meta(pyheap, path, "tracemalloc_frames") == "5", info
    # every Planted instance: one row, its line
    planted = rows(pyheap, path, "--kind", PLANTED, "--by", "site")
    assert list(planted) == ["%s:%d" % (file, line_p)], planted
    assert planted["%s:%d" % (file, line_p)]["count"] == 1000
    # the planted leak of 500 bytes objects groups under its own line
    leak = rows(pyheap, path, "--kind", "bytes", "--by", "site")
    assert leak["%s:%d" % (file, line_l)]["count"] == 500, sorted(leak.items())[:5]
    # the whole heap by site: the line holds the 1000 instances (their list may be a block
    # from the list free list, whose site is where that block was first allocated)
    whole = rows(pyheap, path, "--by", "site")
    assert whole["%s:%d" % (file, line_p)]["count"] >= 1000
    # one instance: its traceback, most recent call first, up to the limit of 5 frames
    top = json.loads(run(pyheap, "top", "--json", "--kind", PLANTED, "-n", "1",
                         path).stdout)
    addr = top["rows"][0]["address"]
    obj = json.loads(run(pyheap, "object", "--json", path, addr).stdout)
    assert obj["allocated"][0] == {"file": file, "line": line_p}, obj["allocated"]
    assert 2 <= len(obj["allocated"]) <= frames
    assert {"file": file, "line": line_p + 3} in obj["allocated"]  # kept = plant()
    text = run(pyheap, "object", path, addr).stdout
    assert "  allocated:  %s:%d\n" % (file, line_p) in text, text
    # the same from docs/format.md alone (the tests' own reader)
    subprocess.run([TEST_TOOL, "rawcopy", path, path + ".raw"], check=True, timeout=120)
    d = pyheapfile.Dump(path + ".raw", want_edges=False)
    at_p = [a for a, tb in d.sites.items() if d.tracebacks[tb][0] == (file, line_p)]
    assert sum(d.type_named(d.types[d.objects[a].type].address) == PLANTED
               for a in at_p) == 1000
    assert len(d.sites) == int(meta(pyheap, path, "tracemalloc_objects"))


def test_busy_target_survives(pyheap, python, tmp_path):
    """Threads that start and end (raw allocations traced under tracemalloc's lock, without
    the GIL) while pyheap reads the table: every dump completes and the target lives on."""
    with Target(python.path, "sites-busy") as t:
        for i in range(5):
            r = dump(pyheap, t.pid, tmp_path / ("b%d.pyheap" % i))
            assert r.returncode == 0, r.stderr
            assert t.proc.poll() is None, "the target died"
            v = run(pyheap, "validate", tmp_path / ("b%d.pyheap" % i))
            assert v.returncode == 0, v.stdout + v.stderr
        state = meta(pyheap, str(tmp_path / "b4.pyheap"), "tracemalloc")
        assert state == "on" if sites_readable(python) else state.startswith("unavailable"), state


def test_environment_variable_turns_it_on(pyheap, python, tmp_path):
    """PYTHONTRACEMALLOC=25, the way the notes tell users to start a program."""
    if python.root or not sites_readable(python):
        pytest.skip("the variable is the same on every interpreter; this one cannot be read "
                    "or does not take the host's environment")
    env = dict(os.environ, PYTHONTRACEMALLOC="25")
    path, line_p, _, frames, file = planted_dump(pyheap, python, tmp_path, env=env)
    assert frames == 25
    planted = rows(pyheap, path, "--kind", PLANTED, "--by", "site")
    assert planted["%s:%d" % (file, line_p)]["count"] == 1000


def test_tracemalloc_off_says_how_to_turn_it_on(pyheap, tmp_path):
    with Target("/usr/bin/python3", "sleep", seconds=30) as t:
        r = dump(pyheap, t.pid, tmp_path / "off.pyheap")
        assert r.returncode == 0, r.stderr
    path = str(tmp_path / "off.pyheap")
    assert meta(pyheap, path, "tracemalloc") == "off"
    r = run(pyheap, "histogram", "--by", "site", path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("PYTHONTRACEMALLOC=25") == 1, r.stdout
    assert "(no allocation site)" in r.stdout
    top = json.loads(run(pyheap, "top", "--json", "-n", "1", path).stdout)
    obj = json.loads(run(pyheap, "object", "--json", path, top["rows"][0]["address"]).stdout)
    assert obj["allocated"] is None
