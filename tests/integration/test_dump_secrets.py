# SPDX-License-Identifier: MIT
"""`pyheap dump --no-values` leaves every planted secret out of the file: the test scans the
raw bytes of the dump (rewritten uncompressed by test-tool rawcopy) for each marker in
every form the format could hold it (UTF-8 text, the int's zig-zag varint, 8 little-endian
bytes, decimal digits, the float's bytes, slices of the big int's magnitude), on every
interpreter found. The same target dumped without --no-values holds every marker (so the
scan can see them), and with --no-values the names of code stay (docs/dump.md)."""
import json
import os
import random
import struct
import subprocess

import pytest

import pythons

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TARGET = os.path.join(ROOT, "tests", "targets", "secrets_target.py")


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def markers():
    r = random.SystemRandom()
    hx = "%016x" % r.getrandbits(64)
    big = r.getrandbits(2048) | (1 << 2047)
    return {
        "hex": hx,
        "int": r.getrandbits(62) | (1 << 61),
        "float": r.getrandbits(52) / 7.0 + 12345.678,
        "big": big,
        "key": "key-%s" % hx,
        "ikey": "ikey%s" % hx,
        "akia": "AKIA%s" % hx.upper(),
        "attr": "attr_%s" % hx,
        "thread": "thread-%s" % hx,
        "ithread": "ithread%s" % hx,
        "arg": "--token=ARG%s" % hx,
    }


def forms(m):
    """What to look for, per secret: the byte strings any of which would give it away."""
    i, big = m["int"], m["big"]
    mag = big.to_bytes(256, "little")
    return {
        "str value": ["pw-" + m["hex"]],
        "int": [varint(i << 1), struct.pack("<q", i), str(i)],
        "float": [struct.pack("<d", m["float"])],
        "big int (low bytes)": [mag[:16]],
        "big int (high bytes)": [mag[-16:]],
        "big int (middle)": [mag[120:136]],
        "dict key": [m["key"]],
        "interned dict key": [m["ikey"]],
        "literal in code": [m["akia"]],
        "thread name": [m["thread"]],
        "interned thread name": [m["ithread"]],
        "argv": [m["arg"], "ARG" + m["hex"]],
    }


def find(data, pats):
    return [p for p in pats if (p.encode() if isinstance(p, str) else p) in data]


def dump_raw(pyheap, test_tool, python, m, out_dir, *args):
    p = subprocess.Popen([python.path, TARGET, m["arg"]], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        p.stdin.write(json.dumps(m) + "\n")
        p.stdin.flush()
        line = p.stdout.readline().split()
        assert line and line[0] == "READY", line
        pid = python.host_pid(p, int(line[1])) if python.root else int(line[1])
        f = out_dir / ("d%s.pyheap" % "".join(args).replace("-", ""))
        r = subprocess.run([pyheap, "dump", "-q", "-p", str(pid), "-o", str(f)] + list(args),
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
    finally:
        p.kill()
        p.wait()
    raw = out_dir / (f.name + ".raw")
    r = subprocess.run([test_tool, "rawcopy", str(f), str(raw)], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    return f, raw.read_bytes()


def test_no_values_leaves_every_secret_out(pyheap, python, tmp_path):
    test_tool = os.environ.get("TEST_TOOL", os.path.join(ROOT, "build", "test-tool"))
    m = markers()
    want = forms(m)
    # without --no-values every secret is there, in one of its forms: the scan sees them
    _, data = dump_raw(pyheap, test_tool, python, m, tmp_path)
    missing = [k for k, pats in want.items() if not find(data, pats)]
    assert missing == [], missing
    # with --no-values none is, in any form; the names of code are
    f, data = dump_raw(pyheap, test_tool, python, m, tmp_path, "--no-values")
    leaked = {k: find(data, pats) for k, pats in want.items() if find(data, pats)}
    assert leaked == {}, leaked
    for name in (m["attr"], "SecretHolder", "parked_function", "parked_local", "secret_int"):
        assert name.encode() in data, name
    # --max-value-len 0 with --no-values: not one byte of the big int either
    m2 = markers()
    _, data = dump_raw(pyheap, test_tool, python, m2, tmp_path, "--no-values",
                       "--max-value-len", "0")
    leaked = {k: find(data, pats) for k, pats in forms(m2).items() if find(data, pats)}
    assert leaked == {}, leaked
    # what the analysis shows: the program's name kept, the values said to be omitted
    r = subprocess.run([pyheap, "info", "--json", str(f)], capture_output=True, text=True,
                       timeout=60)
    meta = json.loads(r.stdout)["metadata"]
    assert meta["values"] == "none"
    assert meta["argv"] and m["arg"] not in meta["argv"]
