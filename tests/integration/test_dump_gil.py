# SPDX-License-Identifier: MIT
"""`pyheap dump` and the GIL: a target inside a long C call that keeps the GIL
(libc sleep() through ctypes.PyDLL). The dump waits for it, bounded by
--timeout; the target may exit meanwhile; Ctrl-C may end the wait."""
import signal
import subprocess
import time

import pytest

import pythons
from dumputil import Target, agent_mapped, dump, info, reap, start_dump

PY = pythons.by_version(3, 12) or (pythons.SUPPORTED_PYTHONS or [None])[0]


needs_py = pytest.mark.skipif(PY is None, reason="no supported CPython found")


def test_waits_for_the_gil(pyheap, python, tmp_path):
    t = Target(python.path, "gil", seconds=2)
    try:
        start = time.monotonic()
        r = dump(pyheap, t.pid, tmp_path / "g.pyheap", "--timeout", "20")
        took = time.monotonic() - start
        assert r.returncode == 0, r.stderr
        assert took >= 1.0  # it waited for the C call to return
        t.expect("gil released")
        assert not agent_mapped(t.maps())
        meta = info(pyheap, tmp_path / "g.pyheap")["metadata"]
        assert meta["pause_ns"] > 0
    finally:
        t.kill()


def test_gil_timeout(pyheap, python, tmp_path):
    """The GIL never comes within --timeout: exit 5, no file; the target carries on."""
    t = Target(python.path, "gil", seconds=5)
    try:
        threads = t.threads()
        r = dump(pyheap, t.pid, tmp_path / "g.pyheap", "--timeout", "1")
        assert r.returncode == 5, r.stderr
        assert "timed out" in r.stderr and "waiting for the GIL" in r.stderr
        assert "warning" in r.stderr and "stays mapped" in r.stderr
        assert not list(tmp_path.iterdir())
        t.expect("gil released", timeout=15)
        # the agent got the GIL, saw the cancel and ended its thread
        for _ in range(100):
            if t.threads() == threads:
                break
            time.sleep(0.05)
        assert t.threads() == threads
        r = dump(pyheap, t.pid, tmp_path / "h.pyheap", "--timeout", "20")
        assert r.returncode == 0, r.stderr
    finally:
        t.kill()


@needs_py
def test_exit_during_dump(pyheap, tmp_path):
    t = Target(PY.path, "gilexit", seconds=2)
    try:
        r = dump(pyheap, t.pid, tmp_path / "g.pyheap", "--timeout", "30")
        assert r.returncode == 4, r.stderr
        assert "exited during the dump" in r.stderr
        assert not list(tmp_path.iterdir())
        assert t.proc.wait(timeout=10) == -signal.SIGALRM
    finally:
        t.kill()


@needs_py
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_waiting_for_the_gil(pyheap, sig, tmp_path):
    """Ctrl-C while the agent waits for the GIL: the agent is cancelled and, once the
    GIL comes (within the grace period), unloaded; exit 130; no file."""
    t = Target(PY.path, "gil", seconds=3)
    p = None
    try:
        threads, fds = t.threads(), t.fds()
        p = start_dump(pyheap, t.pid, tmp_path / "g.pyheap")
        time.sleep(1.0)
        assert p.poll() is None
        p.send_signal(sig)
        out, err = p.communicate(timeout=30)
        assert p.returncode == 130, err
        assert "interrupted" in err and "warning" not in err
        assert not list(tmp_path.iterdir())
        t.expect("gil released")
        assert not agent_mapped(t.maps())
        assert (t.threads(), t.fds()) == (threads, fds)
    finally:
        reap(p)
        t.kill()


@needs_py
def test_progress_on_a_terminal(pyheap, tmp_path):
    """stderr a terminal: progress lines (here: the wait for the GIL), then the result."""
    import shlex
    t = Target(PY.path, "gil", seconds=2)
    try:
        cmd = "%s dump --pid %d -o %s" % (shlex.quote(pyheap), t.pid,
                                          shlex.quote(str(tmp_path / "p.pyheap")))
        r = subprocess.run(["script", "-qec", cmd, "/dev/null"], capture_output=True,
                           timeout=60)
        out = r.stdout.decode(errors="replace")  # bytes: keep the \r
        assert r.returncode == 0, out
        assert "pyheap dump: waiting for the GIL (" in out
        assert "\r\x1b[Kpyheap dump: waiting" in out  # rewritten in place
        assert "written to" in out
    finally:
        t.kill()


@needs_py
def test_sigkill_leaves_no_file(pyheap, tmp_path):
    """pyheap killed outright while the agent waits: no file, not even a temporary one,
    and the target runs on (the agent ends once it gets the GIL and finds no reader)."""
    t = Target(PY.path, "gil", seconds=3)
    p = None
    try:
        p = start_dump(pyheap, t.pid, tmp_path / "k.pyheap")
        time.sleep(1.0)
        assert p.poll() is None
        p.kill()
        p.wait()
        assert not list(tmp_path.iterdir())
        t.expect("gil released", timeout=15)
        t.expect("gil released", timeout=15)
        assert t.alive()
    finally:
        reap(p)
        t.kill()
