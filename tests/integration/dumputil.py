# SPDX-License-Identifier: MIT
"""Helpers for the `pyheap dump` integration tests: target processes from
tests/targets/dump_target.py, their observable state, and running pyheap."""
import json
import os
import queue
import re
import signal
import subprocess
import threading
import time

import pythons

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TARGET = os.path.join(ROOT, "tests", "targets", "dump_target.py")


class Target:
    """A dump_target.py process; lines of its stdout are collected in a queue, each with
    the time it was read (the reader thread reads as soon as the target prints). Use it
    as a context manager, or call kill() in a finally."""

    def __init__(self, python_path, mode, seconds=3, argv_prefix=(), **popen):
        cmd = list(argv_prefix) + [python_path, TARGET, mode, str(seconds)]
        self.mode = mode
        self.seconds = seconds
        # its own process group, so that kill() also ends children it leaves behind
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, bufsize=1,
                                     start_new_session=True, **popen)
        self.lines = queue.Queue()
        self.log = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.last_at = None  # when the line expect() returned last was read
        try:
            ready = self.expect(r"READY (\d+)(?: (\d+))?", timeout=30)
        except BaseException:
            self.kill()
            raise
        self.pid = int(ready.group(1))
        self.port = int(ready.group(2)) if ready.group(2) else None
        py = pythons.BY_PATH.get(python_path)
        if py is not None and py.root:
            # an interpreter in a Debian root runs as pid 1 of its own namespace
            self.pid = py.host_pid(self.proc, self.pid)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()

    def _read(self):
        try:
            for line in self.proc.stdout:
                self.lines.put((time.monotonic(), line.rstrip("\n")))
        except (ValueError, OSError):  # closed by kill()
            pass
        self.lines.put(None)

    def expect(self, pattern, timeout=10):
        """The next line matching pattern (a regex matched at the start), within timeout."""
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise AssertionError("no line matching %r within %.1f s; saw: %r"
                                     % (pattern, timeout, self.log[-20:]))
            try:
                item = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            if item is None:
                self.lines.put(None)
                raise AssertionError("target exited (status %s) before a line matching %r; "
                                     "saw: %r" % (self.proc.poll(), pattern, self.log[-20:]))
            self.last_at, line = item
            self.log.append(line)
            m = re.match(pattern, line)
            if m:
                return m

    def drain(self):
        """Forget the lines printed so far."""
        while True:
            try:
                item = self.lines.get_nowait()
            except queue.Empty:
                return
            if item is None:
                self.lines.put(None)
                return
            self.log.append(item[1])

    def state(self):
        return proc_state(self.pid)

    def threads(self):
        return sorted(os.listdir("/proc/%d/task" % self.pid))

    def fds(self):
        return sorted(os.listdir("/proc/%d/fd" % self.pid))

    def maps(self):
        with open("/proc/%d/maps" % self.pid) as f:
            return f.read()

    def alive(self):
        return self.proc.poll() is None

    def kill(self):
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # the target and any child of it
        except OSError:
            pass
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        for f in (self.proc.stdin, self.proc.stdout):
            try:
                f.close()
            except OSError:
                pass


def proc_state(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("State:"):
                return line.split()[1]
    return "?"


def mapping_ranges(maps_text):
    """The process's mappings as reserved ranges: file mappings exactly (range, perms,
    offset, file); contiguous anonymous mappings merged, whatever their protections. glibc's
    malloc moves the rw/none boundary inside an arena's reservation as it grows and trims
    it: that is not a new mapping; a new reservation or file mapping is."""
    out = []
    for line in maps_text.splitlines():
        parts = line.split(None, 5)
        lo, hi = (int(x, 16) for x in parts[0].split("-"))
        path = parts[5] if len(parts) > 5 else ""
        anon = parts[4] == "0" and path == ""
        if anon and out and out[-1][0] == "anon" and out[-1][2] == lo:
            out[-1] = ("anon", out[-1][1], hi)
        elif anon:
            out.append(("anon", lo, hi))
        else:
            out.append(("map", line))
    return out


ARENA_HEAP = 64 << 20  # glibc's HEAP_MAX_SIZE on 64-bit: a thread arena reserves this much


def file_mappings(maps_text):
    """The file mappings, exactly."""
    return [line for line in maps_text.splitlines() if len(line.split(None, 5)) > 5
            and line.split(None, 5)[5].startswith("/")]


def anon_reserved(maps_text):
    """Bytes of anonymous (unnamed) mappings, whatever their protection."""
    total = 0
    for line in maps_text.splitlines():
        parts = line.split(None, 5)
        if parts[4] == "0" and len(parts) == 5:
            lo, hi = (int(x, 16) for x in parts[0].split("-"))
            total += hi - lo
    return total


def agent_mapped(maps_text):
    """Is anything of the agent mapped: a memfd, or a file with pyheap in its path (the
    files of the Debian roots under a cache directory named pyheap aside)?"""
    roots = tuple(p.root + "/" for p in pythons.ALL if p.root)
    for line in maps_text.splitlines():
        parts = line.split(None, 5)
        path = parts[5] if len(parts) > 5 else ""
        if "memfd:" in path or ("pyheap" in path and not (roots and path.startswith(roots))):
            return True
    return False


def dump(pyheap, pid, out=None, *args, timeout=120, **kw):
    cmd = [pyheap, "dump", "--pid", str(pid)]
    if out is not None:
        cmd += ["-o", str(out)]
    cmd += list(args)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)


def start_dump(pyheap, pid, out, *args):
    """pyheap dump in the background (stop it with reap() in a finally)."""
    return subprocess.Popen([pyheap, "dump", "--pid", str(pid), "-o", str(out)] + list(args),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def reap(p):
    """Kill a background process if it still runs, and wait for it."""
    if p is not None and p.poll() is None:
        p.kill()
    if p is not None:
        p.communicate()


def info(pyheap, path):
    r = subprocess.run([pyheap, "info", "--json", str(path)], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def validate(pyheap, path):
    return subprocess.run([pyheap, "validate", str(path)], capture_output=True, text=True,
                          timeout=120)


def check_wait(target, since, seconds=None):
    """The first wait that ended at or after since (time.monotonic()) lasted as long as
    asked. Pass the time the dump started to check the wait the dump interrupted."""
    seconds = seconds or target.seconds
    while True:
        m = target.expect(r"waited \S+ ([\d.]+)", timeout=seconds + 10)
        if target.last_at >= since:
            break
    took = float(m.group(1))
    assert seconds - 0.01 <= took <= seconds + 0.75, (
        "an interrupted %s wait of %.1f s took %.3f s" % (target.mode, seconds, took))
    return took
