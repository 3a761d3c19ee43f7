# SPDX-License-Identifier: MIT
"""`pyheap dump` refusing, timing out or being interrupted: each error has a
clear message and its documented exit status, and leaves the target as it
was (running, untraced, nothing of pyheap mapped, no output file)."""
import os
import re
import signal
import stat
import subprocess
import time

import pytest

import pythons
from dumputil import Target, agent_mapped, dump, proc_state, reap, start_dump

PY = pythons.by_version(3, 12) or (pythons.SUPPORTED_PYTHONS or [None])[0]
needs_py = pytest.mark.skipif(PY is None, reason="no supported CPython found")


def tracer_pid(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("TracerPid:"):
                return int(line.split()[1])
    return -1


def parent_pid(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("PPid:"):
                return int(line.split()[1])
    return -1


def traced_by(target_pid, dump):
    """Whether the target is traced by the worker of the `pyheap dump` process dump (its
    child, which does the dump in a session of its own)."""
    tracer = tracer_pid(target_pid)
    try:
        return tracer > 0 and parent_pid(tracer) == dump.pid and os.getsid(tracer) == tracer
    except OSError:
        return False


def assert_untouched(t, maps_before=None):
    assert t.alive()
    assert tracer_pid(t.pid) == 0
    assert not agent_mapped(t.maps())
    if maps_before is not None:
        assert t.maps() == maps_before


def free_pid():
    p = subprocess.Popen(["true"])
    p.wait()
    return p.pid


def test_no_such_process(pyheap, tmp_path):
    r = dump(pyheap, free_pid(), tmp_path / "x.pyheap")
    assert r.returncode == 4
    assert "no process with pid" in r.stderr
    assert not list(tmp_path.iterdir())


def test_not_python(pyheap, tmp_path):
    p = subprocess.Popen(["sleep", "30"])
    try:
        time.sleep(0.1)
        r = dump(pyheap, p.pid, tmp_path / "x.pyheap")
        assert r.returncode == 4
        assert "is not a CPython interpreter" in r.stderr and "(sleep)" in r.stderr
        assert p.poll() is None and tracer_pid(p.pid) == 0
        assert not list(tmp_path.iterdir())
    finally:
        p.kill()
        p.wait()


def test_unsupported_python(pyheap, unsupported_python, tmp_path):
    p = subprocess.Popen([unsupported_python.path, "-c", "import time; time.sleep(30)"])
    try:
        time.sleep(0.3)
        r = dump(pyheap, p.pid, tmp_path / "x.pyheap")
        assert r.returncode == 4, r.stderr
        assert "unsupported: pyheap supports CPython %s" % pythons.RANGE_TEXT in r.stderr
        if unsupported_python.version != (3, 6):
            assert "Python %d.%d" % unsupported_python.version in r.stderr
        assert p.poll() is None and tracer_pid(p.pid) == 0
        assert not list(tmp_path.iterdir())
    finally:
        p.kill()
        p.wait()


@needs_py
def test_permission_denied(pyheap, tmp_path):
    """An unprivileged user against a root-owned target: say what to do."""
    if os.getuid() != 0:
        pytest.skip("needs root to run the target as another user than pyheap")
    t = Target(PY.path, "sleep")
    try:
        os.chmod(tmp_path, 0o777)
        r = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                            pyheap, "dump", "--pid", str(t.pid), "-o", str(tmp_path / "x.pyheap")],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 4, r.stderr
        assert "not permitted" in r.stderr
        assert "root" in r.stderr and "CAP_SYS_PTRACE" in r.stderr
        assert "kernel.yama.ptrace_scope" in r.stderr
        assert_untouched(t)
        assert not list(tmp_path.iterdir())
    finally:
        t.kill()


def test_root_without_cap_sys_ptrace(pyheap, tmp_path):
    """Root in a container that dropped CAP_SYS_PTRACE, against another user's target: the
    advice is the capability, not "run as root"."""
    if os.getuid() != 0:
        pytest.skip("needs root to run the target as another user than pyheap")
    # Debian's interpreter: nobody cannot read pyenv's under /root
    t = Target("/usr/bin/python3", "sleep", argv_prefix=("setpriv", "--reuid=nobody",
                                                         "--regid=nogroup", "--clear-groups"))
    try:
        r = subprocess.run(["setpriv", "--inh-caps=-sys_ptrace", "--bounding-set=-sys_ptrace",
                            pyheap, "dump", "--pid", str(t.pid), "-o", str(tmp_path / "x.pyheap")],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 4, r.stderr
        assert "not permitted" in r.stderr
        assert "runs as root but without CAP_SYS_PTRACE" in r.stderr, r.stderr
        assert "--cap-add=SYS_PTRACE" in r.stderr and "run pyheap as root" not in r.stderr
        assert_untouched(t)
        assert not list(tmp_path.iterdir())
    finally:
        t.kill()


@needs_py
def test_already_traced(pyheap, tmp_path):
    t = Target(PY.path, "sleep")
    st = None
    try:
        st = subprocess.Popen(["strace", "-p", str(t.pid), "-o", "/dev/null"],
                              stderr=subprocess.DEVNULL)
        for _ in range(100):
            if tracer_pid(t.pid) == st.pid:
                break
            time.sleep(0.05)
        assert tracer_pid(t.pid) == st.pid
        r = dump(pyheap, t.pid, tmp_path / "x.pyheap")
        assert r.returncode == 4, r.stderr
        assert "already traced by process %d (strace)" % st.pid in r.stderr
        assert tracer_pid(t.pid) == st.pid  # strace still has it
        assert not list(tmp_path.iterdir())
        st.terminate()
        st.wait()
        r = dump(pyheap, t.pid, tmp_path / "y.pyheap")
        assert r.returncode == 0, r.stderr
    finally:
        reap(st)
        t.kill()


@needs_py
def test_stopped(pyheap, tmp_path):
    t = Target(PY.path, "sleep")
    try:
        os.kill(t.pid, signal.SIGSTOP)
        for _ in range(100):
            if proc_state(t.pid) == "T":
                break
            time.sleep(0.02)
        r = dump(pyheap, t.pid, tmp_path / "x.pyheap")
        assert r.returncode == 4, r.stderr
        assert "is stopped" in r.stderr and "kill -CONT" in r.stderr
        assert proc_state(t.pid) == "T"  # pyheap did not resume it
        assert not list(tmp_path.iterdir())
        os.kill(t.pid, signal.SIGCONT)
        t.expect("waited sleep")
    finally:
        t.kill()


def test_finalizing(pyheap, python, tmp_path):
    """An interpreter that is shutting down (a __del__ sleeping during finalization)."""
    t = Target(python.path, "finalize", seconds=4)
    try:
        t.expect("FINALIZING")
        r = dump(pyheap, t.pid, tmp_path / "x.pyheap")
        assert r.returncode == 4, r.stderr
        assert "finalizing" in r.stderr
        assert tracer_pid(t.pid) == 0 and not agent_mapped(t.maps())
        assert not list(tmp_path.iterdir())
        t.expect("finalized")
        assert t.proc.wait(timeout=20) == 0
    finally:
        t.kill()


def test_docker_unavailable(pyheap, tmp_path):
    r = subprocess.run([pyheap, "dump", "--docker-container", "no-such-container-x",
                        "-o", str(tmp_path / "x.pyheap")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 4
    assert "cannot find container 'no-such-container-x'" in r.stderr
    assert "docker" in r.stderr
    env = dict(os.environ, PATH=str(tmp_path))
    r = subprocess.run([pyheap, "dump", "--docker-container", "web"], capture_output=True,
                       text=True, timeout=60, env=env)
    assert r.returncode == 4
    assert "cannot run docker" in r.stderr


@pytest.mark.parametrize("args,msg", [
    ([], "give either --pid PID or --docker-container NAME"),
    (["--pid", "1", "--docker-container", "x"], "give either"),
    (["--pid", "abc"], "--pid needs a non-negative integer"),
    (["--pid", "0"], "--pid needs a process id"),
    (["--pid", "1", "--timeout", "0"], "--timeout needs 1 to 86400 seconds"),
    (["--pid", "1", "extra"], "unexpected argument 'extra'"),
    (["--pid", "1", "--max-value-len", "-3"], "--max-value-len needs a non-negative integer"),
])
def test_usage(pyheap, args, msg):
    r = subprocess.run([pyheap, "dump"] + args, capture_output=True, text=True, timeout=30)
    assert r.returncode == 2
    assert msg in r.stderr


@needs_py
def test_bad_output_dir(pyheap, tmp_path):
    """The output file is created before the target is touched."""
    t = Target(PY.path, "sleep")
    try:
        maps = t.maps()
        r = dump(pyheap, t.pid, tmp_path / "missing" / "x.pyheap")
        assert r.returncode == 1
        assert "cannot open directory" in r.stderr
        assert_untouched(t, maps)
    finally:
        t.kill()


@needs_py
def test_no_space(pyheap, tmp_path):
    """A full filesystem: a clear error, no partial file, the agent unloaded."""
    if os.getuid() != 0:
        pytest.skip("needs root to mount a small tmpfs")
    t = Target(PY.path, "sleep", seconds=1)
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    try:
        # a private mount namespace: the tmpfs disappears with the shell
        script = ('mount -t tmpfs -o size=16k tmpfs "$1" && '
                  '(dd if=/dev/zero of="$1/filler" bs=4k 2>/dev/null; true) && '
                  '"$2" dump --pid "$3" -o "$1/x.pyheap"; rc=$?; ls -A "$1"; exit $rc')
        r = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script,
                            "sh", str(mnt), pyheap, str(t.pid)],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 1, r.stdout + r.stderr
        assert "No space left on device" in r.stderr
        assert r.stdout.split() == ["filler"]  # no dump, no temporary file
        assert_untouched(t)
        t.drain()
        t.expect("waited sleep")
    finally:
        t.kill()


def test_breakpoint_timeout(pyheap, python, tmp_path):
    """`while True: pass` never reaches a breakpoint: time out, remove them, restore."""
    t = Target(python.path, "spin")
    try:
        time.sleep(0.2)
        before = (t.threads(), t.fds(), t.maps())
        start = time.monotonic()
        r = dump(pyheap, t.pid, tmp_path / "x.pyheap", "--timeout", "1")
        assert r.returncode == 5, r.stderr
        assert "timed out" in r.stderr and "breakpoint" in r.stderr
        assert time.monotonic() - start < 10
        assert (t.threads(), t.fds(), t.maps()) == before
        assert tracer_pid(t.pid) == 0 and proc_state(t.pid) == "R"
        assert not list(tmp_path.iterdir())
        # Python code runs again in the target (a signal handler that calls and allocates):
        # an int3 left behind would kill it now
        os.kill(t.pid, signal.SIGUSR1)
        t.expect("usr1")
        assert t.alive()
    finally:
        t.kill()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_while_waiting_for_a_thread(pyheap, sig, tmp_path):
    """Ctrl-C / SIGTERM while pyheap waits at its breakpoints: exit 130, target restored."""
    if PY is None:
        pytest.skip("no supported CPython found")
    t = Target(PY.path, "spin")
    p = None
    try:
        time.sleep(0.2)
        maps = t.maps()
        p = start_dump(pyheap, t.pid, tmp_path / "x.pyheap", "--timeout", "60")
        for _ in range(200):  # wait until pyheap has attached
            if traced_by(t.pid, p):
                break
            time.sleep(0.01)
        assert traced_by(t.pid, p)
        time.sleep(0.3)
        p.send_signal(sig)
        out, err = p.communicate(timeout=30)
        assert p.returncode == 130, err
        assert "interrupted" in err
        assert t.maps() == maps
        assert tracer_pid(t.pid) == 0 and proc_state(t.pid) == "R"
        assert not list(tmp_path.iterdir())
        os.kill(t.pid, signal.SIGUSR1)
        t.expect("usr1")
    finally:
        reap(p)
        t.kill()


def test_bad_output_is_refused_before_the_target_is_touched(pyheap, tmp_path):
    """A destination that cannot be written is refused before pyheap attaches: the trace of
    the phases it reached (PYHEAP_TEST_TRACE) ends at the output check."""
    if PY is None:
        pytest.skip("no supported CPython found")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)  # nothing reads it
    link = tmp_path / "link-to-null"
    os.symlink("/dev/null", link)
    cases = {
        str(tmp_path / "no-such-dir" / "x.pyheap"): "cannot open directory",
        str(tmp_path / ("x" * 300)): "too long for a file name",
        str(fifo): "a FIFO that nothing reads",
        str(link): "is a symlink to a character device",
        "/proc/x.pyheap": "cannot create",
    }
    t = Target(PY.path, "sleep", seconds=1)
    try:
        for out, says in cases.items():
            trace = tmp_path / "trace.txt"
            if trace.exists():
                trace.unlink()
            r = subprocess.run([pyheap, "dump", "-p", str(t.pid), "-o", out],
                               capture_output=True, text=True, timeout=60,
                               env=dict(os.environ, PYHEAP_TEST_TRACE=str(trace)))
            assert r.returncode in (1, 2), (out, r.returncode, r.stderr)
            assert says in r.stderr, (out, r.stderr)
            phases = [line.split()[0] for line in trace.read_text().splitlines()]
            assert phases == ["locked"], (out, phases)
            assert tracer_pid(t.pid) == 0
        assert os.path.exists("/dev/null") and not os.path.isfile("/dev/null")
        assert os.path.islink(link) and stat.S_ISFIFO(os.lstat(fifo).st_mode)
        # a directory: the default name inside it
        d = tmp_path / "dir"
        d.mkdir()
        r = subprocess.run([pyheap, "dump", "-p", str(t.pid), "-o", str(d)],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        names = os.listdir(d)
        assert len(names) == 1 and re.fullmatch(r"pyheap-%d-\d{8}-\d{6}\.pyheap" % t.pid, names[0])
        assert str(d / names[0]) in r.stdout
    finally:
        t.kill()
