# SPDX-License-Identifier: MIT
"""The command line itself: help, version, usage errors, bad input files."""
import subprocess


def run(*args, **kw):
    return subprocess.run(list(args), capture_output=True, text=True, timeout=60, **kw)


def test_help_lists_every_command(pyheap):
    r = run(pyheap, "--help")
    assert r.returncode == 0
    for cmd in ("info", "validate", "help"):
        assert "\n  %s " % cmd in r.stdout


def test_each_command_has_help(pyheap):
    r = run(pyheap, "--help")
    cmds = [line.split()[0] for line in r.stdout.split("commands:\n")[1].split("\n\n")[0].splitlines()]
    assert cmds
    for cmd in cmds:
        a = run(pyheap, cmd, "--help")
        b = run(pyheap, "help", cmd)
        assert a.returncode == 0 and b.returncode == 0, cmd
        assert a.stdout == b.stdout
        assert a.stdout.startswith("usage: pyheap %s" % cmd)


def test_man_page_covers_every_command(pyheap):
    r = run(pyheap, "help", "--man")
    assert r.returncode == 0
    assert r.stdout.startswith(".\\\"")
    for line in run(pyheap, "--help").stdout.split("commands:\n")[1].split("\n\n")[0].splitlines():
        assert '.SS "pyheap %s"' % line.split()[0] in r.stdout


def test_unknown_command_and_option(pyheap):
    r = run(pyheap, "frobnicate")
    assert r.returncode == 2 and "no command 'frobnicate'" in r.stderr
    r = run(pyheap, "info", "--frob", "x")
    assert r.returncode == 2 and "unknown option '--frob'" in r.stderr


def test_missing_file(pyheap, tmp_path):
    r = run(pyheap, "info", str(tmp_path / "nope.pyheap"))
    assert r.returncode == 1
    assert "cannot open" in r.stderr and "No such file" in r.stderr


def test_not_a_dump(pyheap, tmp_path):
    p = tmp_path / "x.pyheap"
    p.write_bytes(b"hello world, this is not a heap dump" * 10)
    for cmd in ("info", "validate"):
        r = run(pyheap, cmd, str(p))
        assert r.returncode == 3, (cmd, r.stderr)
        assert "not a pyheap dump" in r.stderr


def test_empty_file(pyheap, tmp_path):
    p = tmp_path / "empty.pyheap"
    p.write_bytes(b"")
    r = run(pyheap, "validate", str(p))
    assert r.returncode == 3 and "empty" in r.stderr


def test_committed_man_page_is_current(pyheap):
    """docs/pyheap.1 is generated from the built-in help: regenerate with `make man`."""
    import os
    here = os.path.dirname(__file__)
    with open(os.path.join(here, "..", "..", "docs", "pyheap.1")) as f:
        committed = f.read()
    assert committed == run(pyheap, "help", "--man").stdout, "docs/pyheap.1 is stale: run make man"


def test_version(pyheap):
    r = run(pyheap, "--version")
    assert r.returncode == 0 and r.stdout.startswith("pyheap ")
