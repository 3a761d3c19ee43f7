# SPDX-License-Identifier: MIT
"""Fault injection: out of memory, a full disk and a refused open, made to happen
at every point with an LD_PRELOAD shim (build/inject-errors.so). pyheap must end
with a clear error and a non-zero exit status - never a crash, never a hang."""
import os
import subprocess

import pytest

from conftest import BUILD

SHIM = os.path.join(BUILD, "inject-errors.so")
TOOL = os.path.join(BUILD, "test-tool")


def run(env_extra, *args):
    env = dict(os.environ, LD_PRELOAD=SHIM, **env_extra)
    return subprocess.run(list(args), capture_output=True, text=True, timeout=120, env=env)


@pytest.fixture(scope="module")
def dump(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("faults") / "heap.pyheap")
    subprocess.run([TOOL, "synth", "--objects", "20000", "-q", "-o", path], check=True)
    return path


@pytest.mark.parametrize("cmd", ["validate", "info"])
def test_out_of_memory_at_every_allocation(pyheap, dump, cmd):
    failures = 0
    for n in range(0, 400):
        r = run({"PH_FAIL_MALLOC_AFTER": str(n)}, pyheap, cmd, dump)
        assert r.returncode >= 0, "killed by signal %d at allocation %d" % (-r.returncode, n)
        if r.returncode == 0:
            break
        failures += 1
        assert r.returncode == 1, (n, r.returncode, r.stderr)
        assert "out of memory" in r.stderr, r.stderr
    else:
        pytest.fail("still failing after 400 allocations")
    assert failures > 3, "the shim never made an allocation fail"


def test_disk_full_while_writing(tmp_path):
    out = tmp_path / "x.pyheap"
    for budget in (0, 10, 100, 5000, 100000):
        r = run({"PH_FAIL_WRITE_AFTER": str(budget)}, TOOL, "synth", "--objects", "50000", "-o", str(out))
        assert r.returncode == 1, (budget, r.returncode, r.stderr)
        assert "No space left on device" in r.stderr, r.stderr


def test_open_refused(pyheap, dump):
    r = run({"PH_FAIL_OPEN": os.path.basename(dump)}, pyheap, "validate", dump)
    assert r.returncode == 1
    assert "Permission denied" in r.stderr and "cannot open" in r.stderr
