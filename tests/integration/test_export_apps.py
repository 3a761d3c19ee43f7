# SPDX-License-Identifier: MIT
"""`pyheap export` of real applications (Flask and Django from Debian's
packages, on Debian's python3, as test_dump_apps.py runs them): each is dumped
while serving, exported in both formats, and the heap snapshot is loaded by
Chrome DevTools' own heap snapshot code (tests/devtools): it loads without a
problem report, and its node and edge counts, every object's retained size
and immediate dominator agree with pyheap's jsonl export of the same dump; and
VS Code's heap snapshot parser loads it and computes the same retained sizes
(but for the rare objects where its dominator algorithm errs, each checked by
removal: exportutil.check_vscode)."""
import os
import subprocess

import pytest

import pythons
from conftest import TARGETS
from exportutil import check_agreement, check_vscode, devtools_load, export, read_jsonl, vscode_load
from test_dump_apps import PYTHON, TYPES, free_port, importable, wait_ready


@pytest.mark.parametrize("kind", ["flask", "django"])
def test_export_a_real_application(pyheap, kind, tmp_path):
    py = pythons.Python("debian", PYTHON, (3, 0))
    if not os.access(py.path, os.X_OK) or not importable(kind, py.path):
        pytest.skip("%s is not installed for %s (Debian package python3-%s)" % (kind, py, kind))
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    env["HOME"] = str(tmp_path)
    app = subprocess.Popen([py.path, os.path.join(TARGETS, "app_servers.py"), kind,
                            str(free_port()), str(tmp_path / "kernel.json")],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    try:
        wait_ready(app, 60)
        dump = tmp_path / "app.pyheap"
        r = subprocess.run([pyheap, "dump", "--pid", str(app.pid), "-o", str(dump), "--quiet"],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
    finally:
        app.kill()
        app.wait()
        app.stdout.close()
    snap = export(pyheap, dump, "heapsnapshot", tmp_path / "app.heapsnapshot")
    header, threads, roots, objects = read_jsonl(export(pyheap, dump, "jsonl", tmp_path / "app.jsonl"))
    assert header["objects"] > 20000
    assert any(o["kind"] == TYPES[kind] for o in objects)
    dt = devtools_load(snap, all_nodes=True)
    check_agreement(dt, header, threads, roots, objects)
    assert TYPES[kind] in dt["names"]
    check_vscode(vscode_load(snap), snap, threads, objects)
