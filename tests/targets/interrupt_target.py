# SPDX-License-Identifier: MIT
"""A target for the interrupt tests: it says whether anything pyheap did to it
showed, as a program would notice it.

    python interrupt_target.py MODE

Prints "READY <pid>" once set up. Commands on stdin, one per line:

    ping N   answered "pong N usr1=<SIGUSR1 handled> bad=<anomalies> last=<text>"

Modes:
  idle    the main thread waits for stdin in select() with a 20 ms timeout (a
          parked thread: pyheap borrows it or another one); a thread waits on
          threading.Event with a timeout (a futex); a thread reads a pipe one
          byte at a time (a blocking read) while the main thread writes a
          counting sequence into it every turn.
  busy    one thread only, in a pure-Python loop that allocates; it looks at
          stdin (select with no timeout) every few thousand turns: no thread
          is ever parked, so pyheap takes it at a breakpoint.

Anomalies counted in bad=: a timed wait that returned before its time or
more than 2 s late; a byte read from the pipe out of sequence (lost or
repeated data); an exception anywhere. SIGUSR1 has a Python handler that
counts it.
"""
import os
import select
import sys
import threading
import time

MODE = sys.argv[1]
usr1 = 0
bad = 0
last = "-"
lock = threading.Lock()


def anomaly(what):
    global bad, last
    with lock:
        bad += 1
        last = what.replace(" ", "_")


def on_usr1(signum, frame):
    global usr1
    usr1 += 1


def answer(line):
    parts = line.split()
    if len(parts) == 2 and parts[0] == "ping":
        sys.stdout.write("pong %s usr1=%d bad=%d last=%s\n" % (parts[1], usr1, bad, last))
        sys.stdout.flush()


def timed(seconds, fn):
    """Run fn (a wait of `seconds` that returns something true when woken early for a
    reason); count it if it came back early for no reason, or far too late."""
    t = time.monotonic()
    r = fn()
    took = time.monotonic() - t
    if (took < seconds - 0.002 and not r) or took > seconds + 2.0:
        anomaly("wait %.3f took %.3f" % (seconds, took))
    return r


def event_waiter():
    ev = threading.Event()
    while True:
        timed(0.03, lambda: ev.wait(0.03))


def pipe_reader(fd):
    expect = 0
    while True:
        b = os.read(fd, 1)
        if not b:
            return
        if b[0] != expect:
            anomaly("pipe byte %d expected %d" % (b[0], expect))
        expect = (b[0] + 1) & 0xFF


class Commands:
    """Lines from stdin, answered once whole."""

    def __init__(self):
        self.fd = sys.stdin.fileno()
        self.buf = b""

    def take(self):
        """Read what stdin has (it is readable) and answer each whole line; False at its end."""
        chunk = os.read(self.fd, 4096)
        if not chunk:
            return False
        self.buf += chunk
        while b"\n" in self.buf:
            line, self.buf = self.buf.split(b"\n", 1)
            answer(line.decode())
        return True


def idle():
    r, w = os.pipe()
    threading.Thread(target=event_waiter, daemon=True).start()
    threading.Thread(target=pipe_reader, args=(r,), daemon=True).start()
    cmds = Commands()
    seq = 0
    print("READY", os.getpid(), flush=True)
    while True:
        ready = timed(0.02, lambda: select.select([cmds.fd], [], [], 0.02)[0])
        os.write(w, bytes([seq]))
        seq = (seq + 1) & 0xFF
        if ready and not cmds.take():
            return


def busy():
    cmds = Commands()
    print("READY", os.getpid(), flush=True)
    x = 0
    while True:
        junk = [str(i) for i in range(20)]
        x += len(junk)
        if x % 4000 == 0 and select.select([cmds.fd], [], [], 0)[0] and not cmds.take():
            return


def main():
    import signal
    signal.signal(signal.SIGUSR1, on_usr1)
    try:
        {"idle": idle, "busy": busy}[MODE]()
    except BaseException as e:  # noqa: B902 - any exception is an anomaly to report
        anomaly("exception %r" % (e,))
        raise


main()
