# SPDX-License-Identifier: MIT
"""Suspects see through namespaces: a module whose memory is spread over
eight globals (tests/targets/analyze_namespace.py) is a suspect whose
accumulation point is its __dict__, and the suspect names the globals that
hold the memory - each a path, with what it retains as sys.getsizeof
measured in the target - instead of "accumulated in the suspect itself"."""
import os
import subprocess

import pytest

from agentrun import TARGETS, jrun, planted_dump

TARGET = os.path.join(TARGETS, "analyze_namespace.py")
MAIN = "sys.modules['__main__'].__dict__"


@pytest.fixture
def planted(python, tmp_path):
    return planted_dump(python, os.path.basename(TARGET), tmp_path)


def test_a_namespace_suspect_names_its_globals(pyheap, planted):
    dump, expect = planted
    doc = jrun(pyheap, "suspects", "--json", dump)
    ns = [s for s in doc["suspects"] if s["path"] == MAIN or (s["accumulation"] or {}).get("path") == MAIN]
    assert len(ns) == 1, [(s["path"], s["names"]) for s in doc["suspects"]]
    names = [(n["path"], n["retained"]) for n in ns[0]["names"]]
    largest = sorted(expect, key=expect.get, reverse=True)[:5]
    assert names == [(MAIN + "['%s']" % g, expect[g]) for g in largest], names
    assert "is a namespace" in ns[0]["explanation"]
    assert "itself" not in ns[0]["explanation"]
    text = subprocess.run([pyheap, "suspects", dump], capture_output=True, text=True, timeout=120)
    assert text.returncode == 0, text.stderr
    assert "held by names: " + MAIN + "['G7']" in text.stdout

