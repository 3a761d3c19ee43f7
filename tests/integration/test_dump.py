# SPDX-License-Identifier: MIT
"""`pyheap dump` against live interpreters in every state a target can be in:
idle in each kind of wait, busy in pure Python, multi-threaded, all busy.
Afterwards each target must behave exactly as before: the interrupted wait
keeps its length, same threads and fds, nothing of the agent mapped."""
import os
import socket
import stat
import time

from dumputil import (ARENA_HEAP, Target, agent_mapped, anon_reserved, check_wait, dump,
                      file_mappings, info, mapping_ranges, validate)

IDLE_MODES = ["sleep", "lock", "event", "queue", "select", "poll", "epoll", "asyncio"]


def check_file(pyheap, path, python, pid):
    st = os.stat(path)
    assert stat.S_IMODE(st.st_mode) == 0o600
    assert st.st_uid == os.getuid()
    r = validate(pyheap, path)
    assert r.returncode == 0, r.stdout + r.stderr
    meta = info(pyheap, path)["metadata"]
    assert meta["python_version"].startswith("%d.%d." % python.version)
    assert meta["pid"] == pid
    assert meta["writer"].startswith("pyheap ")
    assert meta["executable"] and os.path.samefile(meta["executable"], python.host_path(python.exe))
    assert meta["argv"][0] == python.exe
    assert meta["values"] == "all"
    assert meta["duration_ns"] > 0 and meta["time_ns"] > 1.6e18
    assert meta["hostname"] == socket.gethostname()
    return meta


def test_idle_states(pyheap, python, tmp_path):
    """Every thread in one kind of wait; each mode in its own process, in parallel."""
    targets = {}
    try:
        for m in IDLE_MODES:
            targets[m] = Target(python.path, m, seconds=2)
        for mode, t in targets.items():
            t.drain()
            before = (t.threads(), t.fds())
            maps_before = t.maps()
            out = tmp_path / ("%s.pyheap" % mode)
            t.dump_started = time.monotonic()
            r = dump(pyheap, t.pid, out)
            assert r.returncode == 0, "%s: %s" % (mode, r.stderr)
            assert "written to %s" % out in r.stdout
            check_file(pyheap, out, python, t.pid)
            assert (t.threads(), t.fds()) == before, mode
            maps_after = t.maps()
            assert not agent_mapped(maps_after), mode
            # nothing left mapped: the same files, and anonymous memory grown by nothing but
            # whole malloc arena heaps that glibc gave the agent thread (kept for reuse)
            assert file_mappings(maps_after) == file_mappings(maps_before), mode
            grown = anon_reserved(maps_after) - anon_reserved(maps_before)
            assert grown >= 0 and grown % ARENA_HEAP == 0, "%s: %d bytes" % (mode, grown)
            assert t.state() in ("S", "R"), mode
        for mode, t in targets.items():
            check_wait(t, t.dump_started)  # the wait the dump interrupted
    finally:
        for t in targets.values():
            t.kill()


def test_sleep_keeps_its_length(pyheap, python, tmp_path):
    """An interrupted time.sleep(3) still lasts 3 s."""
    t = Target(python.path, "sleep", seconds=3)
    try:
        t.expect("waited")  # start from the beginning of a sleep
        time.sleep(1)
        r = dump(pyheap, t.pid, tmp_path / "a.pyheap")
        assert r.returncode == 0, r.stderr
        took = check_wait(t, 0)
        assert 2.99 <= took <= 3.5
    finally:
        t.kill()


def test_busy(pyheap, python, tmp_path):
    """A pure-Python loop (`while True: x += 1`): no thread in a syscall, so a breakpoint."""
    t = Target(python.path, "busy")
    try:
        t.expect("busy main")
        before = (t.threads(), t.fds())
        out = tmp_path / "busy.pyheap"
        r = dump(pyheap, t.pid, out, "--timeout", "20")
        assert r.returncode == 0, r.stderr
        check_file(pyheap, out, python, t.pid)
        assert (t.threads(), t.fds()) == before
        assert not agent_mapped(t.maps())
        t.drain()
        a = int(t.expect(r"busy main (\d+)").group(1))
        b = int(t.expect(r"busy main (\d+)").group(1))
        assert b > a  # still counting
        assert t.state() == "R"
    finally:
        t.kill()


def test_threads(pyheap, python, tmp_path):
    """Named threads in sleep, lock, event, queue and a busy loop; main in join()."""
    t = Target(python.path, "threads", seconds=2)
    try:
        time.sleep(0.3)
        t.drain()
        before = (t.threads(), t.fds())
        assert len(before[0]) == 6
        out = tmp_path / "threads.pyheap"
        r = dump(pyheap, t.pid, out)
        assert r.returncode == 0, r.stderr
        check_file(pyheap, out, python, t.pid)
        assert (t.threads(), t.fds()) == before
        assert not agent_mapped(t.maps())
        done = time.monotonic()
        seen = set()
        while len(seen) < 4:
            m = t.expect(r"waited (\S+) ([\d.]+)", timeout=10)
            took = float(m.group(2))
            assert 1.99 <= took <= 2.75, m.group(0)
            if time.monotonic() > done:
                seen.add(m.group(1))
        assert seen == {"sleep", "lock", "event", "queue"}
    finally:
        t.kill()


def test_all_threads_busy(pyheap, python, tmp_path):
    """Four threads, all in pure-Python loops: the first to hit a breakpoint is taken."""
    t = Target(python.path, "busythreads")
    try:
        t.expect("busy main")
        before = (t.threads(), t.fds())
        out = tmp_path / "b.pyheap"
        r = dump(pyheap, t.pid, out, "--timeout", "20")
        assert r.returncode == 0, r.stderr
        check_file(pyheap, out, python, t.pid)
        assert (t.threads(), t.fds()) == before
        assert not agent_mapped(t.maps())
        t.drain()
        t.expect("busy main")
        t.expect("busy main")
    finally:
        t.kill()


def test_accept_and_read(pyheap, python, tmp_path):
    """Blocked in accept() and in read() of stdin: both keep serving after the dump."""
    with Target(python.path, "accept") as acc, Target(python.path, "stdin") as rd:
        for t in (acc, rd):
            before = (t.threads(), t.fds())
            r = dump(pyheap, t.pid, tmp_path / ("%s.pyheap" % t.mode))
            assert r.returncode == 0, r.stderr
            assert (t.threads(), t.fds()) == before
            assert not agent_mapped(t.maps())
        with socket.create_connection(("127.0.0.1", acc.port), timeout=10) as s:
            assert s.makefile().readline() == "pong\n"
        acc.expect("accepted")
        rd.proc.stdin.write("hello\n")
        rd.proc.stdin.flush()
        rd.expect("echo hello")


def test_twenty_dumps(pyheap, python, tmp_path):
    """20 dumps in a row of one process all succeed and leave it as it was."""
    t = Target(python.path, "sleep", seconds=1)
    try:
        r = dump(pyheap, t.pid, tmp_path / "first.pyheap")
        assert r.returncode == 0, r.stderr
        # glibc gives the agent thread a malloc arena on the first dump (as for any new
        # thread); from then on no mapping may appear (the arena is reused)
        maps, threads, fds = mapping_ranges(t.maps()), t.threads(), t.fds()
        for i in range(20):
            out = tmp_path / ("d%02d.pyheap" % i)
            r = dump(pyheap, t.pid, out)
            assert r.returncode == 0, "dump %d: %s" % (i, r.stderr)
            assert out.exists()
        assert mapping_ranges(t.maps()) == maps
        assert (t.threads(), t.fds()) == (threads, fds)
        t.drain()
        check_wait(t, time.monotonic())
    finally:
        t.kill()


def test_forking_target(pyheap, python, tmp_path):
    """A target that forks all the time, children running Python: a child forked while
    breakpoints are in place must not inherit them (it would die of SIGTRAP), and a child
    forked while the agent makes its thread state must not deadlock (3.8-3.12 fork without
    the runtime's HEAD_LOCK)."""
    t = Target(python.path, "forker")
    try:
        t.expect("children")
        for i in range(20):
            r = dump(pyheap, t.pid, tmp_path / ("f%d.pyheap" % i), "--timeout", "20")
            assert r.returncode == 0, r.stderr
        assert not agent_mapped(t.maps())
        t.drain()
        end = time.monotonic() + 3.5  # long enough for a deadlocked child to count as stuck
        last = t.expect(r"children (\d+) bad (\d+) stuck (\d+)")
        while time.monotonic() < end:
            last = t.expect(r"children (\d+) bad (\d+) stuck (\d+)")
        assert last.group(2) == "0", [x for x in t.log if x.startswith("BAD")]
        assert last.group(3) == "0", "children deadlocked after fork: %s" % last.group(0)
        assert not [x for x in t.log if x.startswith("BAD")]
        assert t.alive()
    finally:
        t.kill()


def test_signal_flood(pyheap, python, tmp_path):
    """SIGALRM every millisecond with a Python handler: signals arriving while threads are
    held are delivered, the dumps succeed, the handler keeps counting."""
    t = Target(python.path, "itimer", seconds=1)
    try:
        a = int(t.expect(r"alarms (\d+)").group(1))
        for i in range(5):
            r = dump(pyheap, t.pid, tmp_path / ("s%d.pyheap" % i), "--timeout", "20")
            assert r.returncode == 0, r.stderr
        assert not agent_mapped(t.maps())
        t.drain()
        b = int(t.expect(r"alarms (\d+)").group(1))
        c = int(t.expect(r"alarms (\d+)").group(1))
        assert a < b < c  # still running, still handling its signals
        assert t.alive()
    finally:
        t.kill()


def test_thread_churn(pyheap, python, tmp_path):
    """Threads created and ending all the time while pyheap attaches and detaches."""
    t = Target(python.path, "churn", seconds=1)
    try:
        time.sleep(0.3)
        fds = t.fds()
        for i in range(10):
            r = dump(pyheap, t.pid, tmp_path / ("c%d.pyheap" % i), "--timeout", "20")
            assert r.returncode == 0, r.stderr
        assert not agent_mapped(t.maps())
        assert t.fds() == fds
        t.drain()
        check_wait(t, time.monotonic())
        assert len(t.threads()) >= 5 and t.alive()
    finally:
        t.kill()
