# SPDX-License-Identifier: MIT
"""The supported CPython versions: one range (src/agent/agent.h) that the help
texts, the manual page and the docs name; the agent's per-version tables
against every interpreter's headers (scripts/pyoffsets --check); and what is
refused, with a message that names the version or the build: debug builds
(Debian unstable's python3.14d, for real), and in-process, with one of the
interpreter's symbols pointed at an altered copy, a newer version, a
free-threaded build and a layout that _Py_DebugOffsets contradicts."""
import os
import re
import subprocess

import pytest

import agentrun
import pythons
from conftest import PYHEAP, ROOT
from dumputil import Target, agent_mapped, dump

RANGE = pythons.RANGE_TEXT  # "3.8-3.15"


def ranges_in(text):
    """The "3.8-3.Y" ranges of text (roff's "3.8\\-3.Y" too) that end at 3.13 or later: the
    supported range, or a stale one (3.8-3.10 or 3.8-3.12 say things about old versions)."""
    found = re.findall(r"3\.%d\\?-3\.(\d+)" % pythons.MINOR_MIN, text)
    return {"3.%d-3.%s" % (pythons.MINOR_MIN, y) for y in found if int(y) >= 13}


@pytest.mark.parametrize("doc", ["README.md", "docs/dump.md", "docs/design.md", "docs/agent.md",
                                 "docs/pyheap.1"])
def test_docs_name_the_supported_range(doc):
    found = ranges_in(open(os.path.join(ROOT, doc)).read())
    assert RANGE in found, "%s does not say %s" % (doc, RANGE)
    assert found == {RANGE}, "%s names other ranges: %s" % (doc, sorted(found - {RANGE}))


@pytest.mark.parametrize("args", [["--help"], ["dump", "--help"]])
def test_help_names_the_supported_range(pyheap, args):
    r = subprocess.run([pyheap] + args, capture_output=True, text=True, timeout=30)
    assert r.returncode == 0
    assert ranges_in(r.stdout) == {RANGE}, r.stdout


def test_man_page_is_the_help(pyheap):
    r = subprocess.run([pyheap, "help", "--man"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0
    with open(os.path.join(ROOT, "docs", "pyheap.1")) as f:
        assert f.read() == r.stdout, "docs/pyheap.1 is stale: run make man"


def test_layout_tables_match_every_interpreters_headers():
    """scripts/pyoffsets --check: each table, field by field, against the headers of
    each interpreter that has them (pyenv's builds; the roots' with their own gcc)."""
    r = subprocess.run([os.path.join(ROOT, "scripts", "pyoffsets"), "--check"],
                       capture_output=True, text=True, timeout=600)
    checked = r.stdout.strip().splitlines()[-1].split()[1:] if r.stdout.strip() else []
    if not checked:
        pytest.skip("no interpreter with headers here: %s" % r.stderr.strip()[-500:])
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.count("the headers match the agent's table") == len(checked), r.stdout
    versions = {tuple(int(x) for x in label.split("-")[-1].split(".")[:2]) for label in checked}
    assert versions <= set(pythons.SUPPORTED), versions


needs_debug = pytest.mark.skipif(not pythons.DEBUG_PYTHONS,
                                 reason="no debug build of CPython (Debian unstable's "
                                        "python3.14-dbg, in scripts/pyroots's sid root)")


@needs_debug
def test_debug_build_refused_by_the_dumper(pyheap, tmp_path):
    py = pythons.DEBUG_PYTHONS[0]
    t = Target(py.path, "sleep", seconds=1)
    try:
        assert t.pid != 1  # the host pid of a rooted target (pythons.BY_PATH)
        r = dump(pyheap, t.pid, tmp_path / "d.pyheap")
        assert r.returncode == 4, r.stderr
        assert "debug build of Python %d.%d" % py.version in r.stderr
        assert not list(tmp_path.iterdir())
        assert not agent_mapped(t.maps())
        assert t.alive()
    finally:
        t.kill()


@needs_debug
def test_debug_build_refused_by_the_agent(tmp_path):
    py = pythons.DEBUG_PYTHONS[0]
    agentrun.run_target(py, "census_versions.py", tmp_path, "plain")
    r = agentrun.load_json(tmp_path / "result.json")
    assert r["phase"] == 6 and r["error"] == -13, r  # FAILED, PH_EPYVERSION
    assert "is a debug build (Py_DEBUG)" in r["message"] and "%d.%d." % py.version in r["message"]


def refused(python, tmp_path, mode):
    agentrun.run_target(python, "census_versions.py", tmp_path, mode)
    r = agentrun.load_json(tmp_path / "result.json")
    assert r["phase"] == 6 and r["error"] == -13, r  # FAILED, PH_EPYVERSION
    assert r["objects"] == 0
    return r["message"]


def test_in_process_control(python, tmp_path):
    """The harness of the refusal tests dumps when nothing is altered."""
    agentrun.run_target(python, "census_versions.py", tmp_path, "plain")
    agentrun.assert_done(agentrun.load_json(tmp_path / "result.json"))
    agentrun.validate(tmp_path / "dump.pyheap")


def test_newer_version_refused(python, tmp_path):
    msg = refused(python, tmp_path, "newer")
    assert "Python 3.%d.0 is not supported" % (pythons.MINOR_MAX + 1) in msg
    assert "pyheap supports CPython %s" % RANGE in msg


def test_free_threaded_build_refused(python, tmp_path):
    if python.version < (3, 13):
        pytest.skip("free-threaded builds (and _Py_DebugOffsets) exist from 3.13 on")
    msg = refused(python, tmp_path, "free-threaded")
    assert "is a free-threaded build: not supported" in msg and "%d.%d." % python.version in msg


def test_layout_the_interpreter_contradicts_refused(python, tmp_path):
    """A build whose _Py_DebugOffsets disagree with every table of its version."""
    if python.version < (3, 13):
        pytest.skip("_Py_DebugOffsets exist from 3.13 on")
    msg = refused(python, tmp_path, "offsets")
    assert "matches none of pyheap's layouts for %d.%d" % python.version in msg, msg
    assert "runtime.interpreters_head" in msg and "unsupported build" in msg


def test_every_supported_version_is_here():
    """A notice more than a check: the versions of the range this machine cannot test, and
    why (an absent pyenv build, a Debian root that could not be built), are listed among
    the skips in make check's summary."""
    missing = ["%d.%d" % v for v in pythons.MISSING_SUPPORTED]
    if missing or pythons.NOTICES:
        pytest.skip("not tested here: %s" % "; ".join(
            (["CPython %s (not found)" % ", ".join(missing)] if missing else []) + pythons.NOTICES))
