# SPDX-License-Identifier: MIT
"""Helpers for the `pyheap serve` tests: a server process, HTTP requests with
full control of the request (Host header, raw bytes), and real dumps of
tests/targets/serve_target.py taken with `pyheap dump`."""
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TARGET = os.path.join(ROOT, "tests", "targets", "serve_target.py")
PYTHON = "/usr/bin/python3"  # Debian's CPython: a supported target, always there


class Server:
    """`pyheap serve ARGS --port 0`, running until stop(); .url, .host, .port once ready."""

    def __init__(self, pyheap, *args, timeout=120, env=None):
        self.proc = subprocess.Popen([pyheap, "serve", "--port", "0", *args], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env=env)
        self.stdout, self.stderr = [], []
        self._t = [threading.Thread(target=self._read, args=(s, out), daemon=True)
                   for s, out in ((self.proc.stdout, self.stdout), (self.proc.stderr, self.stderr))]
        for t in self._t:
            t.start()
        end = time.monotonic() + timeout
        self.url = None
        while time.monotonic() < end and self.proc.poll() is None:
            for line in list(self.stdout):
                m = re.search(r"at (http://([^/]+)/)$", line)
                if m:
                    self.url, self.host = m.group(1), m.group(2)
                    break
            if self.url:
                break
            time.sleep(0.02)
        if not self.url:
            self.stop()
            raise AssertionError("pyheap serve did not get ready: stdout %r stderr %r"
                                 % (self.stdout, self.stderr))
        self.port = int(self.host.rsplit(":", 1)[1])

    @staticmethod
    def _read(stream, out):
        for line in stream:
            out.append(line.rstrip("\n"))

    def wait_stderr(self, text, timeout=10):
        """Whether a line of stderr holding text comes within timeout."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if any(text in line for line in list(self.stderr)):
                return True
            time.sleep(0.02)
        return False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self):
        """SIGTERM, as a service manager stops it; returns the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for t in self._t:
            t.join(timeout=5)
        return self.proc.returncode

    def request(self, path, host=None, method="GET", headers=None):
        """(status, headers as a dict with lowercase names, body bytes)."""
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            c.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            c.putheader("Host", self.host if host is None else host)
            for k, v in (headers or {}).items():
                c.putheader(k, v)
            c.endheaders()
            r = c.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            c.close()

    def get(self, path, expect=200, **kw):
        """The JSON document at path, checking the status and the content type."""
        status, headers, body = self.request(path, **kw)
        assert status == expect, (path, status, body[:500])
        assert headers["content-type"] == "application/json; charset=utf-8", headers
        return json.loads(body)

    def raw(self, data, timeout=10):
        """Send raw bytes; the raw answer (b"" if the server just closed)."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as s:
            try:
                s.sendall(data)
                s.shutdown(socket.SHUT_WR)
            except OSError:
                pass  # the server answered and closed before reading it all
            chunks = []
            try:
                while True:
                    b = s.recv(65536)
                    if not b:
                        break
                    chunks.append(b)
            except OSError:  # reset, or a timeout
                pass
            return b"".join(chunks)


def cli_json(pyheap, *args):
    r = subprocess.run([pyheap, args[0], "--json", *args[1:]], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, (args, r.stderr)
    return r.stdout


class RealTarget:
    """serve_target.py under Debian's python3, dumped with `pyheap dump`."""

    def __init__(self):
        self.proc = subprocess.Popen([PYTHON, TARGET], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, bufsize=1, start_new_session=True)
        line = self.proc.stdout.readline()
        assert line.startswith("READY "), line
        self.pid = int(line.split()[1])

    def grow(self):
        self.proc.stdin.write("grow\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        assert line.startswith("GROWN "), line
        return int(line.split()[1])

    def wait_parked(self, timeout=10):
        """Until every thread sleeps in the kernel (the main thread in read(), the worker in
        a futex): a thread caught between two system calls would make the dumper wait for a
        breakpoint that a thread about to block never reaches."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            states = []
            for tid in os.listdir("/proc/%d/task" % self.pid):
                try:
                    with open("/proc/%d/task/%s/stat" % (self.pid, tid)) as f:
                        states.append(f.read().rsplit(")", 1)[1].split()[0])
                except OSError:
                    states.append("?")
            if states and all(st == "S" for st in states):
                return
            time.sleep(0.02)
        raise AssertionError("the target's threads did not park: %r" % states)

    def dump(self, pyheap, out):
        self.wait_parked()
        r = subprocess.run([pyheap, "dump", "--pid", str(self.pid), "-o", str(out), "--quiet"],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        return str(out)

    def close(self):
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def real_dumps(pyheap, tmp):
    """(old, new): the target dumped, then grown by 300 sessions and dumped again."""
    t = RealTarget()
    try:
        old = t.dump(pyheap, tmp / "old.pyheap")
        t.grow()
        new = t.dump(pyheap, tmp / "new.pyheap")
    finally:
        t.close()
    return old, new
