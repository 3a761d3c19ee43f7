# SPDX-License-Identifier: MIT
"""A process for `pyheap dump` to attach to, parked in one chosen state.

    python dump_target.py MODE [SECONDS]

Prints "READY <pid>" (plus, for `accept`, the port) on stdout once set up,
then loops forever in MODE. Each wait lasts SECONDS (default 3) and is
followed by a line "waited <mode> <elapsed>", so that a test can check that
a wait interrupted by the dump still lasted as long as asked. Modes:

  sleep     time.sleep                       (clock_nanosleep/select syscall)
  lock      Lock.acquire(timeout=)           (futex on the heap)
  event     Event.wait(timeout)              (futex)
  queue     Queue.get(timeout=)              (futex)
  select    select.select on a pipe          (select/pselect6)
  poll      select.poll on a pipe            (poll)
  epoll     select.epoll on a pipe           (epoll_wait)
  accept    a blocking accept(); each connection gets "pong\\n" (accept4)
  stdin     a blocking read of stdin; each line is echoed back (read)
  asyncio   an idle asyncio event loop       (epoll_wait)
  busy      `while True: x += 1` (prints a line every 2**22 turns)
  threads   named threads in sleep, lock, event, queue and busy states, main in join()
  busythreads  three threads and main all in busy loops
  gil       holds the GIL in a C call (libc sleep(SECONDS) through ctypes.PyDLL),
            then prints "gil released" and sleeps in Python; repeats
  gilexit   holds the GIL in a C call and is killed there by SIGALRM after SECONDS
  finalize  sleeps SECONDS in a __del__ run while the interpreter finalizes
  forker    forks in a loop; each child runs Python (allocates) and exits 7; the parent
            reaps them without blocking and prints "children N bad M stuck K" every 50
            forks (K: children still running 3 s after their fork - a deadlocked child)
  itimer    SIGALRM every millisecond (setitimer) with a Python handler counting them;
            main in sleep, printing "waited sleep" and "alarms N"
  churn     four threads that keep starting and joining short-lived threads; main sleeps
  spin      `while True: pass` (no call, no allocation: no breakpoint is ever hit);
            SIGUSR1 makes it print "usr1" (Python code runs: it calls and allocates)
  memory    holds 60 MB of bytes objects and an anonymous mmap of SECONDS MiB with every
            page written (memory that no Python object's size counts), then sleeps
  numpy     holds a numpy array of SECONDS MiB that owns its data, every page written (native
            bytes the NATIVE section counts), and a view of it; prints "ARRAY <address>" after
            READY; exits 3 without numpy
  leaky     an app that leaks, for `pyheap leaks`: each line "work N" on stdin does N
            requests and prints "worked N". A request appends a new Request to the
            module-level LEAKED list and a new entry to the .history list of one of
            the 10 SESSIONS (round robin), puts a new entry in CACHE, an LRU of 50
            entries (the oldest goes), and makes garbage; nothing else grows
"""
import os
import sys
import threading
import time

MODE = sys.argv[1]
SECONDS = float(sys.argv[2]) if len(sys.argv) > 2 else 3.0


def say(*a):
    print(*a, flush=True)


def timed(name, fn):
    while True:
        t = time.monotonic()
        fn()
        say("waited %s %.3f" % (name, time.monotonic() - t))


def busy(tag, report=True):
    x = 0
    while True:
        x += 1
        if report and x & 0x3FFFFF == 0:
            say("busy %s %d" % (tag, x))


class Request:
    def __init__(self, i):
        self.id = "%d" % i  # not the int: the last one is also the loop's counter
        self.payload = "request-%d-" % i + "p" * 100


class Session:
    def __init__(self):
        self.history = []


def leaky_setup():
    """The state of the leaky mode, in module globals that no local refers to (so that
    their paths from the roots are sys.modules['__main__'].__dict__[...])."""
    global LEAKED, SESSIONS, CACHE
    import collections
    LEAKED = []
    SESSIONS = [Session() for _ in range(10)]
    CACHE = collections.OrderedDict()


def leaky_request(served):
    LEAKED.append(Request(served))
    SESSIONS[served % 10].history.append(("visit", served * 1000))
    CACHE["key-%d" % served] = ["value", served * 7]
    while len(CACHE) > 50:
        CACHE.popitem(last=False)
    garbage = [Request(-1) for _ in range(3)]
    del garbage


def main():
    if MODE == "sleep":
        say("READY", os.getpid())
        timed("sleep", lambda: time.sleep(SECONDS))
    elif MODE == "lock":
        lk = threading.Lock()
        lk.acquire()
        say("READY", os.getpid())
        timed("lock", lambda: lk.acquire(timeout=SECONDS))
    elif MODE == "event":
        ev = threading.Event()
        say("READY", os.getpid())
        timed("event", lambda: ev.wait(SECONDS))
    elif MODE == "queue":
        import queue
        q = queue.Queue()

        def get():
            try:
                q.get(timeout=SECONDS)
            except queue.Empty:
                pass
        say("READY", os.getpid())
        timed("queue", get)
    elif MODE in ("select", "poll", "epoll"):
        import select
        r, w = os.pipe()
        if MODE == "select":
            fn = lambda: select.select([r], [], [], SECONDS)  # noqa: E731
        elif MODE == "poll":
            p = select.poll()
            p.register(r, select.POLLIN)
            fn = lambda: p.poll(SECONDS * 1000)  # noqa: E731
        else:
            ep = select.epoll()
            ep.register(r, select.EPOLLIN)
            fn = lambda: ep.poll(SECONDS)  # noqa: E731
        say("READY", os.getpid())
        timed(MODE, fn)
    elif MODE == "accept":
        import socket
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        say("READY", os.getpid(), s.getsockname()[1])
        while True:
            c, _ = s.accept()
            c.sendall(b"pong\n")
            c.close()
            say("accepted")
    elif MODE == "stdin":
        say("READY", os.getpid())
        for line in sys.stdin:
            say("echo", line.strip())
    elif MODE == "asyncio":
        import asyncio

        async def run():
            say("READY", os.getpid())
            while True:
                t = time.monotonic()
                await asyncio.sleep(SECONDS)
                say("waited asyncio %.3f" % (time.monotonic() - t))
        asyncio.run(run())
    elif MODE == "busy":
        say("READY", os.getpid())
        busy("main")
    elif MODE == "threads":
        import queue
        lk = threading.Lock()
        lk.acquire()
        ev = threading.Event()
        q = queue.Queue()

        def qget():
            try:
                q.get(timeout=SECONDS)
            except queue.Empty:
                pass
        jobs = {
            "sleeper": lambda: timed("sleep", lambda: time.sleep(SECONDS)),
            "locker": lambda: timed("lock", lambda: lk.acquire(timeout=SECONDS)),
            "eventer": lambda: timed("event", lambda: ev.wait(SECONDS)),
            "queuer": lambda: timed("queue", qget),
            "spinner": lambda: busy("spinner", report=False),
        }
        ts = [threading.Thread(target=fn, name=name, daemon=True) for name, fn in jobs.items()]
        for t in ts:
            t.start()
        say("READY", os.getpid())
        ts[0].join()
    elif MODE == "busythreads":
        for i in range(3):
            threading.Thread(target=busy, args=("t%d" % i, False), name="busy-%d" % i,
                             daemon=True).start()
        say("READY", os.getpid())
        busy("main")
    elif MODE in ("gil", "gilexit"):
        import ctypes
        libc = ctypes.PyDLL(None)  # PyDLL: the GIL is kept during the call
        say("READY", os.getpid())
        if MODE == "gilexit":
            libc.alarm(int(SECONDS))  # no Python handler: the default action kills
            libc.sleep(int(SECONDS) + 60)
        while True:
            libc.sleep(int(SECONDS))
            say("gil released")
            time.sleep(0.5)
    elif MODE == "finalize":
        class Slow:
            def __del__(self, sleep=time.sleep, say=say):
                say("FINALIZING")
                sleep(SECONDS)
                say("finalized")
        global keep
        keep = Slow()
        say("READY", os.getpid())
    elif MODE == "forker":
        say("READY", os.getpid())
        forked = bad = 0
        live = {}
        while True:
            pid = os.fork()
            if pid == 0:
                junk = [str(i) * 3 for i in range(200)]
                os._exit(7 if len(junk) == 200 else 1)
            live[pid] = time.monotonic()
            forked += 1
            for p in list(live):
                r, st = os.waitpid(p, os.WNOHANG)
                if r:
                    del live[p]
                    if not (os.WIFEXITED(st) and os.WEXITSTATUS(st) == 7):
                        bad += 1
                        say("BAD CHILD status %d" % st)
            if forked % 50 == 0:
                now = time.monotonic()
                stuck = sum(1 for t in live.values() if now - t > 3)
                say("children %d bad %d stuck %d" % (forked, bad, stuck))
    elif MODE == "itimer":
        import signal
        count = [0]

        def on_alarm(*a):
            count[0] += 1
        signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, 0.001, 0.001)
        say("READY", os.getpid())
        while True:
            t = time.monotonic()
            time.sleep(SECONDS)
            say("waited sleep %.3f" % (time.monotonic() - t))
            say("alarms %d" % count[0])
    elif MODE == "churn":
        def worker():
            while True:
                th = threading.Thread(target=lambda: sum(range(2000)))
                th.start()
                th.join()
        for i in range(4):
            threading.Thread(target=worker, name="churn-%d" % i, daemon=True).start()
        say("READY", os.getpid())
        timed("sleep", lambda: time.sleep(SECONDS))
    elif MODE == "spin":
        import signal
        signal.signal(signal.SIGUSR1, lambda *a: say("usr1"))
        say("READY", os.getpid())
        while True:
            pass
    elif MODE == "memory":
        import mmap
        held = [bytes(range(256)) * 40 for _ in range(6000)]  # 6000 x 10 KiB
        size = int(SECONDS) << 20
        buf = mmap.mmap(-1, size) if size else None
        for off in range(0, size, 4096):
            buf[off] = 1
        say("READY", os.getpid())
        while held:
            time.sleep(3600)
    elif MODE == "numpy":
        try:
            import numpy
        except ImportError:
            sys.exit(3)
        held = numpy.ones(int(SECONDS) << 20, dtype=numpy.uint8)
        view = held[::2]
        say("READY", os.getpid())
        say("ARRAY", hex(id(held)))
        while held is not None:
            time.sleep(3600)
    elif MODE == "leaky":
        leaky_setup()
        served = 0
        say("READY", os.getpid())
        for line in sys.stdin:
            n = int(line.split()[1])
            for _ in range(n):
                served += 1
                leaky_request(served)
            say("worked", n)
    elif MODE == "heldc":
        # references leaked from C (an extra Py_INCREF through ctypes): a bytes and a dict
        # holding a str of its own, that no Python object refers to
        import ctypes

        def leak():
            b = ("LEAKED-%d-" % os.getpid()).encode() * 4
            d = {"leaked": "dict-value-%d" % os.getpid()}
            big = b"B" * 100000 + str(os.getpid()).encode()  # from malloc, not pymalloc
            for o in (b, d, big):
                ctypes.pythonapi.Py_IncRef(ctypes.py_object(o))
            return id(b), id(d), id(big)
        ib, idd, ibig = leak()
        say("READY", os.getpid())
        say("LEAKED", hex(ib), hex(idd), hex(ibig))
        while True:
            time.sleep(3600)
    elif MODE == "sites-busy":
        # tracemalloc on, and threads that come and go (their states are raw allocations,
        # traced under tracemalloc's lock without the GIL) and compress with the GIL released
        import tracemalloc
        import zlib
        tracemalloc.start(10)
        churn = []

        def worker():
            data = os.urandom(1 << 15)
            for _ in range(20):
                zlib.compress(data)
            churn.append([str(i) for i in range(100)])
            del churn[:-100]

        def spawner():
            while True:
                ts = [threading.Thread(target=worker) for _ in range(4)]
                for t in ts:
                    t.start()
                for t in ts:
                    t.join()
        threading.Thread(target=spawner, daemon=True).start()
        say("READY", os.getpid())
        while True:
            time.sleep(0.005)
            churn.append(object())
            del churn[:-100]
    elif MODE == "sites":
        # allocation sites: tracemalloc on (PYTHONTRACEMALLOC, or started here with 5 frames),
        # then objects made at known lines (the test reads them from the SITES line)
        import inspect
        import tracemalloc
        if not tracemalloc.is_tracing():
            tracemalloc.start(5)

        class Planted:
            pass

        def plant():
            return [Planted() for _ in range(1000)]  # line P

        line_p = inspect.currentframe().f_lineno - 2
        kept = plant()
        line_l = inspect.currentframe().f_lineno + 1
        leak = [b"leak %06d" % i + bytes(100) for i in range(500)]  # line L
        say("READY", os.getpid())
        say("SITES", line_p, line_l, tracemalloc.get_traceback_limit(), __file__)
        while kept and leak:
            time.sleep(3600)
    else:
        sys.exit("unknown mode " + MODE)


if __name__ == "__main__":
    main()
