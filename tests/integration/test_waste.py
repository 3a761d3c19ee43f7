"""`pyheap waste` on real dumps of a target with planted waste
(tests/targets/analyze_waste.py), on every interpreter: each planted
duplicate, empty container and slack is a row with the exact count and
saving the target measured with sys.getsizeof, held where it was planted."""
import json
import os
import re
import subprocess

import pytest

from agentrun import TARGETS, jrun, planted_dump

TARGET = os.path.join(TARGETS, "analyze_waste.py")


@pytest.fixture
def planted(python, tmp_path):
    return planted_dump(python, os.path.basename(TARGET), tmp_path)


def one(rows, **want):
    found = [r for r in rows if all(r[k] == v for k, v in want.items())]
    assert len(found) == 1, (want, found)
    return found[0]


def test_planted_waste(pyheap, planted):
    dump, expect = planted
    doc = jrun(pyheap, "waste", "--json", "-n", "0", dump)
    rows = doc["rows"]
    assert doc["saving"] == sum(r["saving"] for r in rows)
    for what in ("duplicate", "empty", "slack"):
        assert doc["saving_" + what] == sum(r["saving"] for r in rows if r["what"] == what)
    assert [r["saving"] for r in rows] == sorted((r["saving"] for r in rows), reverse=True)

    # 300 copies in the list and the module's own VALUE: every copy but one is saved
    s = expect["str"]
    dup = one(rows, what="duplicate", type="str", value=repr(s["value"]))
    assert dup["count"] == s["count"] + 1
    assert dup["saving"] == s["saving"] + s["saving"] // (s["count"] - 1)
    assert (dup["where"], dup["where_count"], dup["places"]) == ("list[*]", 300, 2)

    for kind in ("tuple", "frozenset"):
        planted = {hex(a) for a in expect[kind]["addresses"]}
        row = [r for r in rows if r["what"] == "duplicate" and r["example"] in planted]
        assert len(row) == 1, kind
        assert (row[0]["type"], row[0]["count"], row[0]["saving"]) == \
            (kind, expect[kind]["count"], expect[kind]["saving"])
        assert row[0]["where"] == ("dict[*]" if kind == "tuple" else "list[*]")

    # an instance attribute: .extra of the instance (3.11+ inline values) or of its __dict__
    empty = [r for r in rows if r["what"] == "empty" and r["type"] == "dict"
             and r["where"] in ("__main__.Holder.extra", "dict of __main__.Holder['extra']")]
    assert len(empty) == 1, [r for r in rows if r["what"] == "empty"]
    assert (empty[0]["count"], empty[0]["saving"]) == (expect["empty"]["count"],
                                                       expect["empty"]["saving"])

    slack = one(rows, what="slack", example=hex(expect["slack"]["address"]))
    assert (slack["type"], slack["saving"]) == ("list", expect["slack"]["saving"])
    assert slack["where"] == "dict of module['SLACKY']"
    sparse = one(rows, what="slack", example=hex(expect["sparse"]["address"]))
    assert (sparse["type"], sparse["saving"]) == ("set", expect["sparse"]["saving"])


def test_waste_text_and_limit(pyheap, planted):
    dump, expect = planted
    r = subprocess.run([pyheap, "waste", "-n", "3", dump], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("Waste: ") and "could be saved" in lines[0]
    body = [ln for ln in lines if re.match(r"\s*\d+\s+\d+\s+(duplicate|empty|slack)\s", ln)]
    assert len(body) == 3, r.stdout
    assert lines[-1] == "<-n 0 shows every row>"
    assert len(jrun(pyheap, "waste", "--json", "-n", "3", dump)["rows"]) == 3
