# SPDX-License-Identifier: MIT
"""`pyheap export` as a command: where it writes, what it does with an
existing file, and what it leaves behind when it fails - a full disk (the
fault-injection shim's ENOSPC on write(2), build/inject-errors.so), no
memory at any allocation, a corrupt dump, bad usage. The output file only
ever holds a complete export: an existing one is replaced atomically, and a
failure leaves it as it was with no temporary file next to it. A real full disk
too: a 64 KiB tmpfs in a private mount namespace (skipped where it cannot be
mounted)."""
import json
import os
import subprocess

import pytest

from conftest import BUILD, ROOT
from exportutil import read_jsonl

SHIM = os.path.join(BUILD, "inject-errors.so")
TOOL = os.path.join(BUILD, "test-tool")
FORMATS = ["heapsnapshot", "jsonl"]


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    d = tmp_path_factory.mktemp("export-cli")
    path = str(d / "app.pyheap")
    subprocess.run([TOOL, "fixture", "app", "-o", path], check=True)
    return path


def run(pyheap, *args, env=None):
    e = dict(os.environ, **(env or {}))
    return subprocess.run([pyheap, "export"] + list(args), capture_output=True, timeout=120, env=e)


def listing(d):
    return sorted(os.listdir(d))


@pytest.mark.parametrize("fmt", FORMATS)
def test_outputs_are_the_same_everywhere(pyheap, app, tmp_path, fmt):
    out = tmp_path / ("x." + fmt)
    assert run(pyheap, "--format", fmt, "-o", str(out), app).returncode == 0
    body = out.read_bytes()
    assert os.stat(out).st_mode & 0o777 == 0o600
    to_stdout = run(pyheap, "--format", fmt, "-o", "-", app)
    assert to_stdout.returncode == 0 and to_stdout.stdout == body
    # a directory gets the default name; the default is next to the dump
    assert run(pyheap, "--format", fmt, "-o", str(tmp_path) + "/", app).returncode == 0
    assert (tmp_path / ("app." + fmt)).read_bytes() == body
    assert run(pyheap, "--format", fmt, app).returncode == 0
    assert open(os.path.splitext(app)[0] + "." + fmt, "rb").read() == body
    if fmt == "heapsnapshot":
        assert json.loads(body)["snapshot"]["node_count"] > 10
    else:
        header, threads, roots, objects = read_jsonl(out)
        assert header["objects"] == len(objects) > 10


def test_default_format_is_heapsnapshot(pyheap, app):
    r = run(pyheap, "-o", "-", app)
    assert r.returncode == 0 and json.loads(r.stdout)["snapshot"]["edge_count"] > 10


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_existing_file_is_replaced_whole(pyheap, app, tmp_path, fmt):
    out = tmp_path / "out"
    out.write_text("old content\n")
    assert run(pyheap, "--format", fmt, "-o", str(out), app).returncode == 0
    assert out.read_bytes() == run(pyheap, "--format", fmt, "-o", "-", app).stdout
    assert listing(tmp_path) == ["out"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_full_disk_leaves_the_old_file(pyheap, app, tmp_path, fmt):
    size = len(run(pyheap, "--format", fmt, "-o", "-", app).stdout)
    out = tmp_path / "out"
    for budget in (0, 1, 100, size // 2, size - 1):
        out.write_text("old content\n")
        r = run(pyheap, "--format", fmt, "-o", str(out), app,
                env={"LD_PRELOAD": SHIM, "PH_FAIL_WRITE_AFTER": str(budget)})
        err = r.stderr.decode()
        assert r.returncode == 1, (budget, r.returncode, err)
        assert "No space left on device" in err and "cannot write" in err, err
        assert out.read_text() == "old content\n", budget
        assert listing(tmp_path) == ["out"], budget
    out.unlink()
    r = run(pyheap, "--format", fmt, "-o", str(out), app,
            env={"LD_PRELOAD": SHIM, "PH_FAIL_WRITE_AFTER": str(size // 3)})
    assert r.returncode == 1 and listing(tmp_path) == []
    # with room for exactly the export, it is written
    r = run(pyheap, "--format", fmt, "-o", str(out), app,
            env={"LD_PRELOAD": SHIM, "PH_FAIL_WRITE_AFTER": str(size)})
    assert r.returncode == 0, r.stderr
    assert len(out.read_bytes()) == size


@pytest.mark.parametrize("fmt", FORMATS)
def test_out_of_memory_at_every_allocation(pyheap, app, tmp_path, fmt):
    out = tmp_path / "out"
    full = run(pyheap, "--format", fmt, "-o", "-", app).stdout
    failures = 0
    for n in range(0, 3000):
        r = run(pyheap, "--format", fmt, "-o", str(out), app,
                env={"LD_PRELOAD": SHIM, "PH_FAIL_MALLOC_AFTER": str(n)})
        assert r.returncode >= 0, "killed by signal %d at allocation %d" % (-r.returncode, n)
        if r.returncode == 0:
            assert out.read_bytes() == full, "allocation %d failed silently" % n
            break
        failures += 1
        err = r.stderr.decode()
        assert r.returncode == 1, (n, r.returncode, err)
        assert "out of memory" in err or "cannot allocate" in err, (n, err)
        assert listing(tmp_path) == [], (n, listing(tmp_path))
    else:
        pytest.fail("still failing after 3000 allocations")
    assert failures > 10, "the shim never made an allocation fail"


def test_errors(pyheap, app, tmp_path):
    r = run(pyheap, "--format", "hprof", app)
    assert r.returncode == 2 and b"unknown format 'hprof'" in r.stderr
    assert run(pyheap).returncode == 2
    assert run(pyheap, app, app).returncode == 2
    r = run(pyheap, "-o", str(tmp_path / "no" / "such" / "dir" / "x"), app)
    assert r.returncode == 1 and b"cannot open directory" in r.stderr
    bad = tmp_path / "bad.pyheap"
    bad.write_bytes(b"not a dump at all" * 10)
    r = run(pyheap, "-o", str(tmp_path / "x"), str(bad))
    assert r.returncode == 3, r.stderr
    assert listing(tmp_path) == ["bad.pyheap"]
    r = run(pyheap, "--help")
    assert r.returncode == 0 and b"--format" in r.stdout and b"heapsnapshot" in r.stdout


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_fuzz_seed_exports_or_is_refused(pyheap, tmp_path, fmt):
    """The reader's fuzzing seeds (valid, odd and corrupt dumps): an export or exit status 3,
    never a crash; a valid one gives a complete document."""
    corpus = os.path.join(ROOT, "tests", "fuzz", "corpus")
    seeds = sorted(os.listdir(corpus))
    assert len(seeds) >= 10
    exported = 0
    for name in seeds:
        r = run(pyheap, "--format", fmt, "-o", "-", os.path.join(corpus, name))
        assert r.returncode in (0, 3), (name, r.returncode, r.stderr)
        if r.returncode == 0:
            exported += 1
            if fmt == "heapsnapshot":
                doc = json.loads(r.stdout)
                assert len(doc["nodes"]) == 7 * doc["snapshot"]["node_count"]
                assert len(doc["edges"]) == 3 * doc["snapshot"]["edge_count"]
            else:
                lines = [json.loads(x) for x in r.stdout.decode().splitlines()]
                assert lines[0]["objects"] == sum(x["record"] == "object" for x in lines)
    assert exported > 0


def test_a_real_full_tmpfs(pyheap, app, tmp_path):
    """On a 64 KiB tmpfs (mounted in a private mount namespace): the export fails with the
    disk's own ENOSPC, and the file that was there is still there, alone."""
    big = tmp_path / "big.pyheap"
    subprocess.run([TOOL, "synth", "-q", "--objects", "20000", "-o", str(big)], check=True)
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    script = ('mount -t tmpfs -o size=64k tmpfs "$1" && echo old > "$1/out" && '
              '"$2" export -o "$1/out" "$3"; echo "status $?"; cat "$1/out"; ls -A "$1"')
    r = subprocess.run(["unshare", "-m", "sh", "-c", script, "sh", str(mnt), pyheap, str(big)],
                       capture_output=True, text=True, timeout=120)
    if "status" not in r.stdout:
        pytest.skip("cannot mount a tmpfs here: %s" % r.stderr.strip())
    assert "No space left on device" in r.stderr, r.stderr
    assert r.stdout.split("\n") == ["status 1", "old", "out", ""], r.stdout
