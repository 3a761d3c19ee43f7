# SPDX-License-Identifier: MIT
"""pyheap dump on real applications from Debian's packages (Flask, FastAPI on
uvicorn, Django, SQLAlchemy, an IPython kernel), run by Debian's python3, and
Flask and Django on Debian unstable's python3.14 in its root (scripts/pyroots):
each is dumped while serving, the dump is valid with no dangling reference,
holds the application's own objects, and the application still answers
afterwards, twice over."""
import json
import os
import select
import socket
import subprocess
import time
import urllib.request

import pytest

import pythons
from conftest import TARGETS

PYTHON = "/usr/bin/python3"
KINDS = ["flask", "fastapi", "django", "sqlalchemy", "ipykernel"]
# the same applications on 3.14, inside the Debian root that has them
ROOTED = next((p for p in pythons.SUPPORTED_PYTHONS if p.version == (3, 14) and p.root), None)
CASES = [(k, "debian") for k in KINDS] + [(k, "sid-3.14") for k in ("flask", "django")]
MODULES = {"flask": "flask", "fastapi": "fastapi", "django": "django",
           "sqlalchemy": "sqlalchemy", "ipykernel": "ipykernel"}
# a type the dump must hold, by its qualified name
TYPES = {"flask": "flask.app.Flask", "fastapi": "fastapi.applications.FastAPI",
         "django": "django.core.handlers.wsgi.WSGIHandler",
         "sqlalchemy": "sqlalchemy.engine.base.Engine",
         "ipykernel": "ipykernel.ipkernel.IPythonKernel"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def importable(mod, python=PYTHON):
    return subprocess.run([python, "-c", "import " + mod], capture_output=True).returncode == 0


def wait_ready(app, timeout):
    """Read the app's stdout until a line "ready" (it may print a banner first)."""
    deadline = time.monotonic() + timeout
    pending = b""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            pytest.fail("no 'ready' from the application within %d s" % timeout)
        if select.select([app.stdout], [], [], left)[0]:
            chunk = os.read(app.stdout.fileno(), 4096)
            if not chunk:
                app.wait()
                pytest.fail("the application ended (status %s)" % app.returncode)
            pending += chunk
            if b"ready" in pending.split(b"\n"):
                return


def ask(kind, port, conn):
    """One request to the app; returns its answer."""
    if kind == "ipykernel":
        from jupyter_client import BlockingKernelClient
        kc = BlockingKernelClient(connection_file=conn)
        kc.load_connection_file()
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=30)
            results = []

            def hook(msg):
                if msg["msg_type"] == "execute_result":
                    results.append(msg["content"]["data"]["text/plain"])

            reply = kc.execute_interactive("6 * 7", timeout=30, store_history=False,
                                           output_hook=hook)
            return "%s %s" % (reply["content"]["status"], " ".join(results))
        finally:
            kc.stop_channels()
    with urllib.request.urlopen("http://127.0.0.1:%d/" % port, timeout=30) as r:
        return r.read().decode()


@pytest.mark.parametrize("kind,where", CASES, ids=["%s-%s" % c for c in CASES])
def test_dump_a_real_application(pyheap, kind, where, tmp_path):
    py = pythons.Python("debian", PYTHON, (3, 0)) if where == "debian" else ROOTED
    if py is None:
        pytest.skip("no CPython 3.14 root (scripts/pyroots): %s" % "; ".join(pythons.NOTICES))
    if not os.access(py.path, os.X_OK) or not importable(MODULES[kind], py.path):
        pytest.skip("%s is not installed for %s (Debian package python3-%s)" % (kind, py, kind))
    if kind == "ipykernel" and not importable("jupyter_client"):
        pytest.skip("jupyter_client is not installed")
    port = free_port()
    conn = str(tmp_path / "kernel.json")
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    env["HOME"] = str(tmp_path)  # ipykernel/IPython write their profile there
    errlog = open(tmp_path / "app.stderr", "w+")
    app = subprocess.Popen([py.path, os.path.join(TARGETS, "app_servers.py"), kind, str(port), conn],
                           stdout=subprocess.PIPE, stderr=errlog, env=env)
    try:
        try:
            wait_ready(app, 60)
        except BaseException:
            errlog.seek(0)
            print(errlog.read()[-4000:])
            raise
        expected = "ok 42" if kind == "ipykernel" else kind
        assert expected in ask(kind, port, conn)
        for n in range(2):
            out = tmp_path / ("dump%d.pyheap" % n)
            r = subprocess.run([pyheap, "dump", "--pid", str(py.host_pid(app)), "-o", str(out),
                                "--quiet"],
                               capture_output=True, text=True, timeout=120)
            assert r.returncode == 0, r.stderr
            v = subprocess.run([pyheap, "validate", "--strict", "--json", str(out)],
                               capture_output=True, text=True, timeout=120)
            assert v.returncode == 0, v.stdout + v.stderr
            assert json.loads(v.stdout)["objects"] > 20000
            h = subprocess.run([pyheap, "histogram", "--json", "-n", "0", str(out)],
                               capture_output=True, text=True, timeout=120)
            assert h.returncode == 0, h.stderr
            kinds = {row["kind"] for row in json.loads(h.stdout)["rows"]}
            assert TYPES[kind] in kinds, sorted(k for k in kinds if "." in k)[:50]
            assert app.poll() is None, "the application died"
            assert expected in ask(kind, port, conn), "the application answers differently"
    finally:
        app.kill()
        app.wait()
        app.stdout.close()
        errlog.close()
