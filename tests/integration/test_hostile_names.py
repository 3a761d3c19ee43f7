# SPDX-License-Identifier: MIT
"""Names from a dump never reach a terminal raw. tests/targets/hostile_names.py names a
module, a class, an attribute, a function, its file, a local, a thread and an argument
with terminal escape sequences (OSC, CSI, the C1 CSI) and control characters; every text
command's output holds no control character but the newline, no DEL, no C1 control and
nothing that is not UTF-8, and shows the names escaped, while --json keeps them exact."""
import json
import os
import subprocess

import pytest

import pythons

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TARGET = os.path.join(ROOT, "tests", "targets", "hostile_names.py")
EVIL = "\x1b]0;pwned\x07\x1b[2J\x9b31m\x08\n\r"
SHOWN = r"\x1b]0;pwned\x07\x1b[2J\x9b31m\x08\n\r"  # as text output shows it
ARG = "arg\x1b]0;x\x07\x9b"

PYS = [p for p in (pythons.by_version(3, 8), pythons.by_version(3, 12)) if p is not None]


def bad_chars(data):
    """The characters of data (bytes) a terminal could act on."""
    text = data.decode("utf-8", "surrogateescape")
    return sorted({hex(ord(c)) for c in text
                   if (ord(c) < 0x20 and c != "\n") or 0x7f <= ord(c) < 0xa0
                   or 0xdc80 <= ord(c) < 0xdd00})


@pytest.fixture(scope="module", params=PYS or [None], ids=str)
def hostile_dump(request, tmp_path_factory):
    py = request.param
    if py is None:
        pytest.skip("no CPython 3.8 or 3.12 found")
    pyheap = os.environ.get("PYHEAP", os.path.join(ROOT, "pyheap"))
    proc = subprocess.Popen([py.path, TARGET, ARG], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True, start_new_session=True)
    try:
        ready = proc.stdout.readline().split()
        assert ready and ready[0] == "READY", ready
        pid = py.host_pid(proc, int(ready[1])) if py.root else int(ready[1])
        out = tmp_path_factory.mktemp("hostile") / "h.pyheap"
        r = subprocess.run([pyheap, "dump", "-p", str(pid), "-o", str(out), "-q"],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
    finally:
        proc.stdin.close()
        proc.kill()
        proc.wait()
    return pyheap, out, ready[2], ready[3]


def run(pyheap, *args):
    r = subprocess.run([pyheap] + list(args), capture_output=True, timeout=120)
    assert r.returncode == 0, (args, r.stderr)
    return r


def test_text_output_escapes_every_name(hostile_dump):
    pyheap, f, inst, attr = hostile_dump
    f = str(f)
    shown = {}
    for args in (["summary", f], ["histogram", "-n", "0", f], ["histogram", "--by", "module", "-n", "0", f],
                 ["histogram", "--by", "owner", f], ["top", "-n", "200", f], ["threads", f],
                 ["object", f, inst], ["paths", f, attr], ["suspects", "--threshold", "0.01", f],
                 ["info", f], ["diff", f, f], ["validate", f]):
        r = run(pyheap, *args)
        for stream in (r.stdout, r.stderr):
            assert bad_chars(stream) == [], (args, bad_chars(stream))
        shown[" ".join(args)] = r.stdout.decode()
    # the names are there, escaped (so the checks above saw them)
    cls = "hmod" + SHOWN + ".HCls" + SHOWN
    assert cls in shown["histogram -n 0 " + f]
    assert "hmod" + SHOWN in shown["histogram --by module -n 0 " + f]
    threads = shown["threads " + f]
    assert "<thread 'hthread" + SHOWN + "'>" in threads
    assert r"/srv/hfile\x1b]0;pwn" in threads and "hlocal" + SHOWN in threads  # the file cut
    assert "hfunc" + SHOWN in threads or "_body" in threads  # 3.8 shows co_name
    obj = shown["object %s %s" % (f, inst)]
    assert "object %s (%s)" % (inst, cls) in obj
    assert "'hattr" + SHOWN + "'" in shown["paths %s %s" % (f, attr)]
    assert r"arg\x1b]0;x\x07\x9b" in shown["info " + f]


def test_json_keeps_names_exact(hostile_dump):
    pyheap, f, inst, attr = hostile_dump
    f = str(f)
    cls = "hmod" + EVIL + ".HCls" + EVIL
    kinds = [row["kind"] for row in json.loads(run(pyheap, "histogram", "--json", "-n", "0",
                                                   f).stdout)["rows"]]
    assert cls in kinds
    kinds = [row["kind"] for row in json.loads(run(pyheap, "histogram", "--by", "module",
                                                   "--json", "-n", "0", f).stdout)["rows"]]
    assert "hmod" + EVIL in kinds
    threads = json.loads(run(pyheap, "threads", "--json", f).stdout)["threads"]
    t = [t for t in threads if t["name"] == "hthread" + EVIL]
    assert len(t) == 1, [x["name"] for x in threads]
    fr = [fr for fr in t[0]["frames"] if fr["function"].startswith("hfunc")]
    assert fr and fr[0]["function"] in ("hfunc" + EVIL, "_body")  # 3.8: co_name
    assert fr[0]["file"] == "/srv/hfile" + EVIL + ".py"
    assert "hlocal" + EVIL in [lo["name"] for lo in fr[0]["locals"]]
    assert json.loads(run(pyheap, "object", "--json", f, inst).stdout)["type"] == cls
    meta = json.loads(run(pyheap, "info", "--json", f).stdout)["metadata"]
    assert meta["argv"][-1] == ARG
