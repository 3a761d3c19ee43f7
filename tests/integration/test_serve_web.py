# SPDX-License-Identifier: MIT
"""The pyheap UI in a real browser: tests/web/ui.mjs (playwright-core driving
Debian's /usr/bin/chromium) against `pyheap serve OLD NEW` of real dumps of
tests/targets/serve_target.py. Screenshots are left in $PYHEAP_BUILD/web-test/.
"""
import os
import shutil
import subprocess

import pytest

from conftest import BUILD, ROOT
from serveutil import Server, real_dumps

CHROMIUM = "/usr/bin/chromium"
SCRIPT = os.path.join(ROOT, "tests", "web", "ui.mjs")


def test_ui_in_chromium(pyheap, tmp_path):
    # scripts/install-deps installs chromium, node and web/node_modules: missing ones are a failure
    assert os.access(CHROMIUM, os.X_OK), "no %s: run scripts/install-deps" % CHROMIUM
    assert shutil.which("node"), "no node: run scripts/install-deps"
    assert os.path.isdir(os.path.join(ROOT, "web", "node_modules", "playwright-core")), \
        "no web/node_modules: run scripts/install-deps"
    shots = os.path.join(BUILD, "web-test")
    shutil.rmtree(shots, ignore_errors=True)
    old, new = real_dumps(pyheap, tmp_path)
    with Server(pyheap, old, new) as s:
        r = subprocess.run(["node", SCRIPT, s.url, shots], capture_output=True, text=True,
                           timeout=600)
        print(r.stdout)
        assert r.returncode == 0, "browser tests failed:\n%s\n%s" % (r.stdout, r.stderr)
        assert "browser tests passed" in r.stdout
        assert s.stop() == 0
    for name in ("overview", "heap-kind-str", "object", "path-step", "threads", "suspects", "diff", "waste", "kind-paths",
                 "xss", "treemap-node", "overview-dark"):
        p = os.path.join(shots, name + ".png")
        assert os.path.getsize(p) > 10000, p
