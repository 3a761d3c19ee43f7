# SPDX-License-Identifier: MIT
"""Benchmark of `pyheap serve`: time to ready, API latency and memory on
synthetic dumps of 1M and 10M objects (`build/test-tool synth`, cached in
build/bench/).

    python3 bench/serve.py [N ...]        (default: 1000000 10000000)

For each dump it starts `pyheap serve --port 0` and reports:
- ready: from the start of the process to the URL on stdout (the dump loaded
  and analyzed, the server listening);
- first answer: to the first /api/summary answer (the dominator tree built,
  the summary computed: what the overview waits for);
- indexed: to the objects index being built (/api/server says so; before it
  the same rows come from a pass over the objects);
- p50/p99/max of 100 requests, one connection, after the index is built:
  the objects list (random pages within the first 200, either sort, one in
  three filtered by one of the 10 largest kinds), an object page and its
  paths (100 random objects, spread over the whole retained order), and the
  first page of a value search (cold: no cache of searches);
- RSS of the server after those requests, and its peak, against the peak of
  `pyheap summary` on the same dump.
Figures go to bench/RESULTS.md by hand, with the machine and commit.
"""
import http.client
import json
import os
import random
import re
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BUILD = os.environ.get("BUILD", os.path.join(ROOT, "build"))
PYHEAP = os.path.join(BUILD, "pyheap")
TOOL = os.path.join(BUILD, "test-tool")


def dump_of(n):
    f = os.path.join(BUILD, "bench", "synth-%d.pyheap" % n)
    if not os.path.exists(f):
        os.makedirs(os.path.dirname(f), exist_ok=True)
        subprocess.run([TOOL, "synth", "-q", "--objects", str(n), "-o", f], check=True)
    return f


def status_kib(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


class Client:
    def __init__(self, host, port):
        self.c = http.client.HTTPConnection(host, port, timeout=120)
        self.host = "%s:%d" % (host, port)

    def get(self, path):
        t = time.perf_counter()
        self.c.request("GET", path, headers={"Host": self.host})
        r = self.c.getresponse()
        body = r.read()
        dt = time.perf_counter() - t
        assert r.status == 200, (path, r.status, body[:200])
        return json.loads(body), dt


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def ms(x):
    return "%.1f" % (x * 1000)


def bench(n, rng):
    f = dump_of(n)
    t0 = time.perf_counter()
    p = subprocess.Popen([PYHEAP, "serve", "--port", "0", f], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    try:
        line = ""
        while "http://" not in line:
            line = p.stdout.readline()
            if not line:
                raise RuntimeError("pyheap serve exited: %s" % p.stderr.read())
        t_ready = time.perf_counter() - t0
        host, port = re.search(r"http://([^:/]+):(\d+)/", line).groups()
        c = Client(host, int(port))
        c.get("/api/summary")
        t_first = time.perf_counter() - t0
        while not c.get("/api/server")[0]["indexed"]:
            time.sleep(0.02)
        t_indexed = time.perf_counter() - t0

        kinds = [r["kind"] for r in c.get("/api/histogram?limit=10")[0]["rows"]]
        lat = {"objects": [], "object": [], "paths": [], "search": []}
        for i in range(100):
            q = "/api/objects?offset=%d&limit=50" % (rng.randrange(200) * 50)
            if i % 2:
                q += "&sort=size"
            if i % 3 == 0:
                q += "&kind=" + rng.choice(kinds).replace(" ", "%20")
            lat["objects"].append(c.get(q)[1])
        addrs = []
        for i in range(100):
            doc = c.get("/api/objects?offset=%d&limit=1" % rng.randrange(n))[0]
            addrs.append(doc["rows"][0]["address"])
        for a in addrs:
            lat["object"].append(c.get("/api/objects/" + a)[1])
        for a in addrs:
            lat["paths"].append(c.get("/api/paths/" + a)[1])
        for i in range(20):
            lat["search"].append(c.get("/api/objects?q=user:%d&limit=50" % rng.randrange(100000))[1])
        rss, hwm = status_kib(p.pid, "VmRSS"), status_kib(p.pid, "VmHWM")
    finally:
        p.terminate()
        p.wait(timeout=30)
    r = subprocess.run(["/usr/bin/time", "-f", "%M %e", PYHEAP, "summary", f], capture_output=True, text=True)
    summary_kib, summary_s = r.stderr.strip().split("\n")[-1].split()
    summary_kib = int(summary_kib)
    print("\n== %d objects (%s)" % (n, os.path.basename(f)))
    print("ready %.2f s, first answer %.2f s, indexed %.2f s (pyheap summary: %s s)"
          % (t_ready, t_first, t_indexed, summary_s))
    print("| request | p50 ms | p99 ms | max ms |")
    print("|---|---|---|---|")
    for k, name in (("objects", "objects list (page of 50)"), ("object", "object page"),
                    ("paths", "paths"), ("search", "value search, first page (20 requests)")):
        xs = lat[k]
        print("| %s | %s | %s | %s |" % (name, ms(pct(xs, 50)), ms(pct(xs, 99)), ms(max(xs))))
    print("RSS %d MiB (peak %d MiB); pyheap summary peak %d MiB: %+.0f%% (peak %+.0f%%)"
          % (rss // 1024, hwm // 1024, summary_kib // 1024, 100.0 * (rss - summary_kib) / summary_kib,
             100.0 * (hwm - summary_kib) / summary_kib))


def main():
    sizes = [int(a) for a in sys.argv[1:]] or [1000000, 10000000]
    subprocess.run(["make", "--no-print-directory", "-s", "-C", ROOT, os.path.relpath(PYHEAP, ROOT),
                    os.path.relpath(TOOL, ROOT)], check=True, stdout=subprocess.DEVNULL)
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    print("machine: %d cores; commit %s" % (os.cpu_count(), commit))
    rng = random.Random(42)
    for n in sizes:
        bench(n, rng)


if __name__ == "__main__":
    main()
