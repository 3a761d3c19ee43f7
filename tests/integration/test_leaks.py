# SPDX-License-Identifier: MIT
"""`pyheap leaks` on three real dumps of a leaking app (dump_target.py leaky), on
every interpreter: the module-level list that grows and the per-session lists
that grow are named, with the exact number of new objects they hold, the ten
sessions merged into one pattern; the LRU cache that only churns is not named
once a final dump is given (and is, with two dumps only). Dumps of another
process, or given out of order, are refused."""
import json
import subprocess

import pytest

from dumputil import Target, dump

LEAKED = "sys.modules['__main__'].__dict__['LEAKED']"
HISTORY = "sys.modules['__main__'].__dict__['SESSIONS'][*].history"
CACHE = "sys.modules['__main__'].__dict__['CACHE']"


def leaks(pyheap, *args):
    return subprocess.run([pyheap, "leaks"] + list(args), capture_output=True, text=True,
                          timeout=300)


def work(t, n):
    t.proc.stdin.write("work %d\n" % n)
    t.proc.stdin.flush()
    t.expect("worked %d" % n, timeout=60)


@pytest.fixture
def three(pyheap, python, tmp_path):
    files = [tmp_path / ("%s.pyheap" % n) for n in ("base", "target", "final")]
    t = Target(python.path, "leaky")
    try:
        for f, n in zip(files, (200, 300, 300)):
            work(t, n)
            r = dump(pyheap, t.pid, f)
            assert r.returncode == 0, r.stderr
    finally:
        t.kill()
    return [str(f) for f in files]


def cache_objects(rows):
    return sum(r["count"] for p, r in rows.items() if p.startswith(CACHE))


def test_three_dumps_name_the_leaks(pyheap, python, three):
    r = leaks(pyheap, "--json", "-n", "0", *three)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["same_start"] is True
    rows = {row["path"]: row for row in doc["rows"]}
    # each request leaks a Request (with its __dict__ before 3.11) and its two strs
    leaked = rows[LEAKED]
    assert leaked["holders"] == 1 and leaked["example_type"] == "list"
    assert leaked["count"] == (4 if python.version < (3, 11) else 3) * 300, leaked
    # and a tuple ('visit', n) with its int into one of ten sessions' history lists: one pattern
    history = rows[HISTORY]
    assert (history["holders"], history["count"]) == (10, 2 * 300), history
    assert doc["rows"][0]["path"] == LEAKED
    assert doc["count"] >= leaked["count"] + history["count"]
    # the cache's entries of the target were all replaced by the final dump: none is named,
    # though new lists take the addresses of the freed ones (their new ints tell them apart)
    cache3 = cache_objects(rows)
    assert cache3 == 0, rows

    text = leaks(pyheap, *three)
    assert text.returncode == 0, text.stderr
    assert "still alive in the final one" in text.stdout and LEAKED in text.stdout

    # two dumps only: the same leaks, and the cache's churn too (its 50 new ints at least)
    r = leaks(pyheap, "--json", "-n", "0", three[0], three[1])
    assert r.returncode == 0, r.stderr
    rows2 = {row["path"]: row for row in json.loads(r.stdout)["rows"]}
    assert rows2[LEAKED]["count"] == leaked["count"]
    assert rows2[HISTORY]["count"] == history["count"]
    assert cache_objects(rows2) >= 50 > cache3


def test_refused(pyheap, python, three, tmp_path):
    other = tmp_path / "other.pyheap"
    with Target(python.path, "leaky") as t:
        work(t, 1)
        r = dump(pyheap, t.pid, other)
        assert r.returncode == 0, r.stderr
    r = leaks(pyheap, three[0], str(other))
    assert r.returncode == 2 and "different processes" in r.stderr, r.stderr
    r = leaks(pyheap, three[1], three[0])
    assert r.returncode == 2 and "in the order they were taken" in r.stderr, r.stderr
    r = leaks(pyheap, three[0])
    assert r.returncode == 2 and "BASE TARGET [FINAL]" in r.stderr, r.stderr
