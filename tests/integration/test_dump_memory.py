# SPDX-License-Identifier: MIT
"""Where the resident memory of a dumped process is (issue: account for every
byte): pyheap dump records the process's resident memory by kind of mapping,
pymalloc's arenas and glibc's malloc totals, and `pyheap summary` splits the
resident size into Python objects, allocator free space, files, stacks and
the rest. On every interpreter: the parts add up to the resident size read
from /proc at the same moment (within 10%) with nothing else in the process,
and a 40 MiB anonymous mapping that no object's size counts lands in the rest."""
import json
import subprocess

import pytest

from dumputil import Target, dump

MIB = 1 << 20


def rss(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def breakdown(pyheap, python, tmp_path, mmap_mib):
    with Target(python.path, "memory", seconds=mmap_mib) as t:
        before = rss(t.pid)
        r = dump(pyheap, t.pid, tmp_path / "m.pyheap")
        assert r.returncode == 0, r.stderr
        after = rss(t.pid)
    s = subprocess.run([pyheap, "summary", "--json", str(tmp_path / "m.pyheap")],
                       capture_output=True, text=True, timeout=120)
    assert s.returncode == 0, s.stderr
    doc = json.loads(s.stdout)
    m = doc["memory"]
    assert m is not None, doc["metadata"]
    # what the dumper read lies between the target's resident size before and after the dump
    assert min(before, after) * 0.95 <= m["resident"] <= max(before, after) * 1.05, \
        (before, m["resident"], after)
    assert m["pymalloc_free"] is not None and m["malloc_free"] is not None
    parts = (m["python_objects"] + m["native_buffers"] + m["pymalloc_free"] + m["malloc_free"]
             + m["files"] + m["stacks"] + m["rest"])
    assert parts == m["resident"]
    assert m["python_objects"] >= 6000 * 10240
    assert m["files"] > 1 * MIB and m["stacks"] > 0
    return m, doc


def test_parts_add_up(pyheap, python, tmp_path):
    m, doc = breakdown(pyheap, python, tmp_path, 0)
    # nothing but Python objects: what no part counts is under 10% of the resident size
    assert abs(m["rest"]) < 0.10 * m["resident"], m
    text = subprocess.run([pyheap, "summary", doc["file"]], capture_output=True, text=True,
                          timeout=120).stdout
    assert "Resident memory of the process:" in text and "pymalloc free space" in text


def test_native_memory_is_in_the_rest(pyheap, python, tmp_path):
    m, _ = breakdown(pyheap, python, tmp_path, 40)
    assert 40 * MIB * 0.95 <= m["rest"] <= 40 * MIB + 0.10 * m["resident"], m
