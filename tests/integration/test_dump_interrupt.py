# SPDX-License-Identifier: MIT
"""Interrupting `pyheap dump` never harms the target: SIGKILL, Ctrl-C (SIGINT) and SIGTERM at
any moment.

Each kind is tried RUNS times (PYHEAP_INTERRUPT_RUNS: 100 in `make check`, 1000 in `make
soak`), spread over the interpreters found, idle and busy targets, and the phases of a dump,
by timing (a random moment within a dump's usual length) and by the test hook
(PYHEAP_TEST_AT=PHASE:ACTION, src/common/testpoint.h) that acts at a named phase:

- SIGKILL: of the `pyheap dump` process (the front end: the worker that holds the target then
  cancels); of the worker itself, the process that traces the target, at a random moment or
  at a named phase (except while breakpoints are planted in a busy target: docs/dump.md,
  "Interruptions", measures that window).

Busy targets are taken at a system call's entry, or (forced with PYHEAP_TEST_FORCE) at a
hardware breakpoint (no window: the worker may die anywhere) or at an int3 breakpoint.
- SIGINT and SIGTERM of the front end, at a random moment or a named phase.

After each run the target must be alive and answer, have handled every SIGUSR1 sent to it
meanwhile (except in runs that kill the worker: a signal that arrives during one of its
remote calls is held by it, and dies with it), have seen no early or late wait and no lost or
repeated byte on its pipe, be back to its own threads and fds within seconds, and have its
original code at the breakpoint sites. Every 20 runs and at the end, a normal dump works, and
leaves the file mappings exactly as they were and no agent mapped.
"""
import os
import random
import re
import signal
import subprocess
import threading
import time

import pytest

import pythons
from dumputil import ROOT, file_mappings, proc_state

RUNS = int(os.environ.get("PYHEAP_INTERRUPT_RUNS", "100"))
SEED = int(os.environ.get("PYHEAP_INTERRUPT_SEED", "20261204"))
TARGET = os.path.join(ROOT, "tests", "targets", "interrupt_target.py")
BP_FUNCTIONS = ["PyObject_Malloc", "PyObject_Free", "PyMem_Malloc", "PyErr_CheckSignals",
                "PyEval_SaveThread", "PyEval_RestoreThread"]

# Named phases (testpoint.h), in dump order. #N: the N-th time (calls and system calls
# happen many times; the load and unload sessions both have them).
COMMON_PHASES = ["ready", "locked", "outfile", "memfd", "dlopen", "started", "pipe-taken",
                 "walking", "streamed", "unload", "unloaded", "commit"]
REPEATED = {"seized": 2, "call": 4, "syscall": 20, "sigreturn": 4, "returned": 4}
BP_PHASES = ["bp-trapped"]  # bp-planted: the worker dying there is the measured window
HW_PHASES = ["sigtrap-ignored", "hw-set", "hw-trapped"]
SIGTRAP_BIT = 1 << (signal.SIGTRAP - 1)


def phase_choices(force, action):
    out = list(COMMON_PHASES)
    for name, n in REPEATED.items():
        out += ["%s#%d" % (name, k) for k in range(1, n + 1)]
    if force == "breakpoints":
        out += BP_PHASES
        if action != "kill":
            out.append("bp-planted")
    elif force == "hw":
        out += HW_PHASES
    elif force == "syscall" or force is None:
        out.append("syscall-taken")
    return out


def sig_masks(pid):
    """SigIgn and SigCgt of the process."""
    text = read("/proc/%d/status" % pid)
    return tuple(int(re.search(r"^%s:\s+([0-9a-f]+)" % k, text, re.M).group(1), 16)
                 for k in ("SigIgn", "SigCgt"))


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def tracer_pid(pid):
    m = re.search(r"^TracerPid:\s+(\d+)", read("/proc/%d/status" % pid) or "", re.M)
    return int(m.group(1)) if m else -1


def children(pid):
    text = read("/proc/%d/task/%d/children" % (pid, pid))
    return [int(x) for x in text.split()] if text else []


def code_bytes(pid):
    """The first byte of each breakpoint site, read from the target's memory."""
    maps = read("/proc/%d/maps" % pid)
    lib = None
    for line in maps.splitlines():
        parts = line.split()
        if len(parts) >= 6 and parts[3] != "00:00" and \
                re.search(r"(libpython3\.\d+\.so|/python3\.\d+)$", parts[5]) and parts[2] == "00000000":
            lo, hi = (int(x, 16) for x in parts[0].split("-"))
            lib = (lo, parts[5], "%x-%x" % (lo, hi))
            if "libpython" in parts[5]:
                break
    assert lib, "no Python module in the target's maps"
    path = "/proc/%d/map_files/%s" % (pid, lib[2])  # the very file mapped, in a root or not
    out = subprocess.run(["nm", "-D", "--defined-only", path], capture_output=True, text=True).stdout
    with open(path, "rb") as f:
        f.seek(16)
        et = int.from_bytes(f.read(2), "little")  # ET_EXEC (2): addresses are absolute
    base = 0 if et == 2 else lib[0]
    res = {}
    with open("/proc/%d/mem" % pid, "rb") as mem:
        for name in BP_FUNCTIONS:
            m = re.search(r"^([0-9a-f]+) [Tt] %s$" % name, out, re.M)
            if m:
                mem.seek(base + int(m.group(1), 16))
                res[name] = mem.read(1)
    return res


class Target:
    """An interrupt_target.py process, talked to over its stdin and stdout."""

    def __init__(self, python, mode):
        self.python = python
        self.mode = mode
        self.proc = subprocess.Popen([python.path, TARGET, mode], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     bufsize=1, start_new_session=True)
        self.lines = []
        self.cv = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()
        m = self.expect(r"READY (\d+)", 30)
        self.pid = python.host_pid(self.proc, int(m.group(1))) if python.root else int(m.group(1))
        self.n = 0
        self.usr1 = 0

    def _read(self):
        for line in self.proc.stdout:
            with self.cv:
                self.lines.append(line.rstrip("\n"))
                self.cv.notify_all()
        with self.cv:
            self.lines.append(None)
            self.cv.notify_all()

    def expect(self, pattern, timeout):
        end = time.monotonic() + timeout
        with self.cv:
            while True:
                while self.lines:
                    line = self.lines.pop(0)
                    if line is None:
                        self.lines.append(None)
                        raise AssertionError("the %s target (%s) exited with %s" %
                                             (self.mode, self.python, self.proc.poll()))
                    m = re.match(pattern, line)
                    if m:
                        return m
                left = end - time.monotonic()
                if left <= 0:
                    raise AssertionError("the %s target (%s) did not answer %r" %
                                         (self.mode, self.python, pattern))
                self.cv.wait(left)

    def ping(self):
        self.n += 1
        self.proc.stdin.write("ping %d\n" % self.n)
        self.proc.stdin.flush()
        m = self.expect(r"pong %d usr1=(\d+) bad=(\d+) last=(\S+)" % self.n, 20)
        return int(m.group(1)), int(m.group(2)), m.group(3)

    def signal_usr1(self):
        os.kill(self.pid, signal.SIGUSR1)
        self.usr1 += 1

    def state(self):
        return (sorted(os.listdir("/proc/%d/task" % self.pid)),
                sorted(os.listdir("/proc/%d/fd" % self.pid)))

    def kill(self):
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except OSError:
            pass
        self.proc.wait(timeout=10)


class Bench:
    """The targets of one test, their baselines, and the runs made so far."""

    def __init__(self, pyheap, tmp_path, rng):
        self.pyheap = pyheap
        self.tmp = tmp_path
        self.rng = rng
        self.interrupted = 0  # runs in which pyheap did not finish its dump
        self.targets = {}
        self.base = {}
        self.usual = {}  # a dump's usual length, per target
        self.runs = 0

    def target(self, python, mode):
        key = (python.label, mode)
        if key not in self.targets:
            t = Target(python, mode)
            try:
                # a first dump: glibc gives the agent thread an arena it keeps (docs/dump.md)
                t0 = time.monotonic()
                self.clean_dump(t)
                self.usual[key] = max(0.02, time.monotonic() - t0)
                usr1, bad, last = t.ping()
                self.base[key] = (t.state(), code_bytes(t.pid),
                                  file_mappings(read("/proc/%d/maps" % t.pid)), sig_masks(t.pid))
            except BaseException:
                t.kill()
                raise
            self.targets[key] = t
        return self.targets[key]

    def clean_dump(self, t):
        out = self.tmp / "clean.pyheap"
        r = subprocess.run([self.pyheap, "dump", "-p", str(t.pid), "-o", str(out), "-q",
                            "--timeout", "20"], capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, "a normal dump after interrupted ones failed: " + r.stderr
        maps = read("/proc/%d/maps" % t.pid)
        assert "pyheap-agent" not in maps, "an agent is still mapped after a normal dump"
        v = subprocess.run([self.pyheap, "validate", str(out)], capture_output=True, text=True,
                           timeout=120)
        assert v.returncode == 0, v.stdout + v.stderr
        out.unlink()

    def run(self, python, mode, victim, delay=None, at=None, force=None):
        """One interrupted dump. victim: 'front' or 'worker' (a signal at delay seconds), or
        None (the test hook `at` acts). force: PYHEAP_TEST_FORCE. Returns a description for
        messages."""
        t = self.target(python, mode)
        key = (python.label, mode)
        env = dict(os.environ)
        env.pop("PYHEAP_TEST_AT", None)
        env.pop("PYHEAP_TEST_FORCE", None)
        if at:
            env["PYHEAP_TEST_AT"] = at
        if force:
            env["PYHEAP_TEST_FORCE"] = force
        out = self.tmp / "x.pyheap"
        what = "%s %s%s %s" % (python, mode, " (" + force + ")" if force else "",
                               at if at else "%s %s after %.1f ms" %
                               (victim[1], victim[0], delay * 1000))
        p = subprocess.Popen([self.pyheap, "dump", "-p", str(t.pid), "-o", str(out), "-q",
                              "--timeout", "10"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, env=env)
        worker = None
        t0 = time.monotonic()
        while worker is None and p.poll() is None and time.monotonic() - t0 < 2:
            kids = children(p.pid)
            worker = kids[0] if kids else None
        # one SIGUSR1 during the run (CPython runs a handler once for signals that come
        # together: one at a time is what can be counted)
        usr1 = at is None or not at.endswith(":kill")
        usr1 = usr1 and not (victim and victim[0] == "worker")
        usr1_at = self.rng.random() * 1.3 * self.usual[key]
        if victim:
            if usr1 and usr1_at < delay:
                time.sleep(max(0.0, usr1_at - (time.monotonic() - t0)))
                t.signal_usr1()
                usr1 = False
            time.sleep(max(0.0, delay - (time.monotonic() - t0)))
            pid = worker if victim[0] == "worker" else p.pid
            if pid:
                try:
                    os.kill(pid, victim[1])
                except ProcessLookupError:
                    pass
        if usr1:
            time.sleep(max(0.0, usr1_at - (time.monotonic() - t0)))
            t.signal_usr1()
        try:
            _, err = p.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            p.kill()
            raise AssertionError("%s: pyheap did not end" % what)
        end = time.monotonic() + 30
        while worker and os.path.exists("/proc/%d" % worker) and proc_state(worker) != "Z" \
                and time.monotonic() < end:
            time.sleep(0.005)
        assert not worker or not os.path.exists("/proc/%d" % worker) or \
            proc_state(worker) == "Z", "%s: the worker did not end" % what
        self.check(t, key, what + " (pyheap exit %s: %s)" % (p.returncode, err.strip()[-300:]))
        self.interrupted += p.returncode != 0
        if out.exists():
            out.unlink()
        self.runs += 1
        if self.runs % 20 == 0:
            self.clean_dump(t)
            assert file_mappings(read("/proc/%d/maps" % t.pid)) == self.base[key][2], \
                "%s: the target's file mappings changed" % what
        return what

    def check(self, t, key, what):
        assert t.proc.poll() is None, "%s: the target died (%s)" % (what, t.proc.poll())
        usr1, bad, last = t.ping()
        assert bad == 0, "%s: the target saw an anomaly: %s" % (what, last)
        end = time.monotonic() + 15
        while usr1 < t.usr1 and time.monotonic() < end:
            time.sleep(0.01)
            usr1, bad, last = t.ping()
        assert usr1 == t.usr1, "%s: %d SIGUSR1 sent, %d handled" % (what, t.usr1, usr1)
        (threads, fds), code, _, masks = self.base[key]
        while t.state() != (threads, fds) and time.monotonic() < end:
            time.sleep(0.02)
        assert t.state() == (threads, fds), "%s: threads or fds differ: %r != %r" % (
            what, t.state(), (threads, fds))
        assert tracer_pid(t.pid) == 0, "%s: still traced" % what
        assert code_bytes(t.pid) == code, "%s: code at a breakpoint site differs" % what
        now = sig_masks(t.pid)
        if now != masks:
            # only SIGTRAP, ignored by a dump whose worker died with hardware breakpoints set;
            # the next dump puts it back
            assert (now[0] ^ masks[0]) == SIGTRAP_BIT and now[1] == masks[1], \
                "%s: signal dispositions changed: %r != %r" % (what, now, masks)
            self.clean_dump(t)
            assert sig_masks(t.pid) == masks, "%s: SIGTRAP's disposition was not put back" % what

    def close(self):
        try:
            for (label, mode), t in self.targets.items():
                if t.proc.poll() is None:
                    self.clean_dump(t)
                    assert file_mappings(read("/proc/%d/maps" % t.pid)) == \
                        self.base[(label, mode)][2]
        finally:
            for t in self.targets.values():
                t.kill()


def plan(kind, rng):
    """RUNS runs of one kind: (python, mode, force, victim, delay, at) each."""
    out = []
    pys = pythons.SUPPORTED_PYTHONS
    for i in range(RUNS):
        python = pys[i % len(pys)]
        mode = "busy" if (i // len(pys)) % 2 else "idle"
        force = (None, "hw", "breakpoints")[(i // (2 * len(pys))) % 3] if mode == "busy" else None
        by_hook = rng.random() < 0.5
        if kind == "KILL":
            # the front end, or the worker itself (the tracer); not at a random moment
            # while breakpoints may be planted
            worker = rng.random() < 0.5 and (force != "breakpoints" or by_hook)
        else:
            worker = False
        if by_hook:
            action = "kill" if worker else "parent-" + kind
            at = rng.choice(phase_choices(force, action)) + ":" + action
            out.append((python, mode, force, None, None, at))
        else:
            sig = getattr(signal, "SIG" + kind)
            out.append((python, mode, force, ("worker" if worker else "front", sig),
                        rng.random(), None))
    return out


@pytest.mark.skipif(not pythons.SUPPORTED_PYTHONS, reason="no supported CPython found")
@pytest.mark.skipif(os.getuid() != 0, reason="needs root (nm on /proc/PID/root, ptrace)")
@pytest.mark.parametrize("kind", ["KILL", "INT", "TERM"])
def test_interrupted_dumps_leave_the_target_whole(pyheap, tmp_path, kind):
    rng = random.Random("%d-%s" % (SEED, kind))
    bench = Bench(pyheap, tmp_path, rng)
    try:
        for python, mode, force, victim, frac, at in plan(kind, rng):
            delay = None
            if victim:
                bench.target(python, mode)
                delay = frac * 1.3 * bench.usual[(python.label, mode)]
            bench.run(python, mode, victim, delay, at, force)
    finally:
        bench.close()
    # most runs must really have cut a dump short, or this tested little
    assert bench.interrupted >= RUNS * 0.6, "only %d of %d runs interrupted a dump" % (
        bench.interrupted, RUNS)


# ---- thread stops scale ----

def report(stdout):
    """(paused, borrowed, others) in ms from pyheap dump's final line."""
    m = re.search(r"paused for ([\d.]+) ms \(and one thread for ([\d.]+) ms to load and unload "
                  r"the agent(?:; each other thread was stopped for at most ([\d.]+) ms)?\)", stdout)
    assert m, stdout
    return float(m.group(1)), float(m.group(2)), float(m.group(3) or 0)


@pytest.mark.skipif(not pythons.SUPPORTED_PYTHONS, reason="no supported CPython found")
@pytest.mark.parametrize("force", [None, "breakpoints"])
def test_5000_threads_stall_no_longer_than_reported(pyheap, tmp_path, force):
    """5000 threads blocked on an Event, a watcher that sleeps 1 ms in a loop and one that
    spins (tests/targets/many_threads.py): after a dump, how long each was kept from running
    is bounded by what pyheap reported. Taking a parked thread (the normal way) stops no
    other thread: the spinner stalls no longer than the pause. Taking one at a breakpoint
    stops threads that may be inside fork() for a moment, and every figure is reported."""
    python = pythons.by_version(3, 12) or pythons.SUPPORTED_PYTHONS[-1]
    p = subprocess.Popen([python.path, os.path.join(ROOT, "tests", "targets", "many_threads.py"),
                          "5000"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                         bufsize=1, start_new_session=True)
    try:
        pid = int(p.stdout.readline().split()[1])

        def ask(cmd):
            p.stdin.write(cmd + "\n")
            p.stdin.flush()
            return p.stdout.readline().split()

        ask("reset")
        time.sleep(1.0)
        noise = max(float(x) for x in ask("gap")[1:])
        ask("reset")
        env = dict(os.environ)
        env.pop("PYHEAP_TEST_FORCE", None)
        if force:
            env["PYHEAP_TEST_FORCE"] = force
        r = subprocess.run([pyheap, "dump", "-p", str(pid), "-o", str(tmp_path / "t.pyheap")],
                           capture_output=True, text=True, env=env, timeout=120)
        assert r.returncode == 0, r.stderr
        time.sleep(0.2)
        sleeper, spinner = (float(x) for x in ask("gap")[1:])
        paused, borrowed, others = report(r.stdout)
        slack = 2 * noise + 50
        if force is None:
            assert others == 0, r.stdout
            assert spinner <= paused + slack, (spinner, r.stdout, noise)
        for gap in (sleeper, spinner):
            assert gap <= paused + borrowed + others + slack, (gap, r.stdout, noise)
    finally:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except OSError:
            pass
        p.wait(timeout=10)


# ---- one dump at a time ----

@pytest.mark.skipif(not pythons.SUPPORTED_PYTHONS, reason="no supported CPython found")
def test_concurrent_dumps_are_refused_or_wait(pyheap, tmp_path):
    """Four dumps of one process at once: each succeeds or is refused at once with a clear
    message; at least one succeeds; the target is whole and nothing stays mapped."""
    python = pythons.SUPPORTED_PYTHONS[0]
    t = Target(python, "idle")
    try:
        before = t.state()
        for rnd in range(3):
            ps = [subprocess.Popen([pyheap, "dump", "-p", str(t.pid), "-o",
                                    str(tmp_path / ("c%d-%d.pyheap" % (rnd, k))), "-q"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                  for k in range(4)]
            results = [(p.wait(timeout=120), p.stderr.read()) for p in ps]
            ok = [rc for rc, _ in results if rc == 0]
            assert ok, results
            for rc, err in results:
                assert rc == 0 or (rc == 4 and "being dumped by another pyheap" in err), results
            end = time.monotonic() + 10
            while t.state() != before and time.monotonic() < end:
                time.sleep(0.02)
            assert t.state() == before
            assert "pyheap-agent" not in read("/proc/%d/maps" % t.pid)
            usr1, bad, last = t.ping()
            assert bad == 0, last
            for k in range(4):
                f = tmp_path / ("c%d-%d.pyheap" % (rnd, k))
                if f.exists():
                    v = subprocess.run([pyheap, "validate", str(f)], capture_output=True, text=True)
                    assert v.returncode == 0, v.stdout + v.stderr
    finally:
        t.kill()


@pytest.mark.skipif(not pythons.SUPPORTED_PYTHONS, reason="no supported CPython found")
@pytest.mark.skipif(os.getuid() != 0, reason="needs root (nm on /proc/PID/root, ptrace)")
@pytest.mark.parametrize("phase", ["sigtrap-ignored", "hw-set", "hw-trapped"])
def test_worker_killed_with_hardware_breakpoints_set(pyheap, tmp_path, phase):
    """The worker SIGKILLed while hardware breakpoints are in a busy target (every thread
    computes, none makes a system call): they go with its fds; SIGTRAP, ignored meanwhile,
    is put back by the next dump. On every interpreter, a few times each."""
    bench = Bench(pyheap, tmp_path, random.Random(SEED))
    try:
        for python in pythons.SUPPORTED_PYTHONS:
            for _ in range(3):
                bench.run(python, "busy", None, None, phase + ":kill", "hw")
    finally:
        bench.close()
    assert bench.interrupted == 3 * len(pythons.SUPPORTED_PYTHONS)
