# SPDX-License-Identifier: MIT
"""The analysis commands under fault injection (the build/inject-errors.so shim
of test_faults.py): out of memory at every allocation in turn must end in a clear
"out of memory" error with exit status 1 - never a crash, a hang or a wrong answer
printed as if it were right."""
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
def dumps(tmp_path_factory):
    d = tmp_path_factory.mktemp("analyze-faults")
    out = {}
    for name in ("app", "app-grown"):
        out[name] = str(d / (name + ".pyheap"))
        subprocess.run([TOOL, "fixture", name, "-o", out[name]], check=True)
    out["synth"] = str(d / "synth.pyheap")
    subprocess.run([TOOL, "synth", "--objects", "3000", "-q", "-o", out["synth"]], check=True)
    return out


CASES = [
    ("summary", ["synth"], []),
    ("histogram", ["synth"], ["--by", "owner"]),
    ("suspects", ["app"], ["--threshold", "1"]),
    ("threads", ["app"], []),
    ("object", ["app"], ["ADDR"]),
    ("paths", ["app"], ["ADDR"]),
    ("diff", ["app", "app-grown"], []),
    ("waste", ["app"], ["-n", "0"]),
    ("leaks", ["app", "app-grown"], ["-n", "0"]),
    ("paths", ["app"], ["--kind", "bytes"]),
    ("histogram", ["app"], ["--by", "referrer"]),
    ("histogram", ["app"], ["--by", "via", "--kind", "dict of app.Node"]),
]


@pytest.mark.parametrize("json", [True, False], ids=["json", "text"])
@pytest.mark.parametrize("cmd,files,extra", CASES, ids=["-".join([c[0]] + c[2]) for c in CASES])
def test_out_of_memory_at_every_allocation(pyheap, dumps, cmd, files, extra, json):
    args = (["--json"] if json else []) + [x for x in extra if x != "ADDR"] + [
        dumps[f] for f in files] + (["0x7f0000100300"] if "ADDR" in extra else [])
    full = subprocess.run([pyheap, cmd] + args, capture_output=True, text=True, timeout=60)
    assert full.returncode == 0, full.stderr
    failures = 0
    for n in range(0, 2000):
        r = run({"PH_FAIL_MALLOC_AFTER": str(n)}, pyheap, cmd, *args)
        assert r.returncode >= 0, "killed by signal %d at allocation %d" % (-r.returncode, n)
        if r.returncode == 0:
            assert r.stdout == full.stdout, "allocation %d failed silently" % n
            break
        failures += 1
        assert r.returncode == 1, (n, r.returncode, r.stderr)
        assert "out of memory" in r.stderr or "cannot allocate" in r.stderr, (n, r.stderr)
        if json:
            assert r.stdout == "", "half a JSON document at allocation %d" % n
    else:
        pytest.fail("still failing after 2000 allocations")
    assert failures > 10, "the shim never made an allocation fail"
