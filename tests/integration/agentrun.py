# SPDX-License-Identifier: MIT
"""Helpers for the agent tests: run a census target, load what it wrote,
and compare a dump with its census.

Tolerance (documented here, used by every count check): between the census
and the dump, the harness creates exactly the objects listed in
agent_harness.OBJECTS_CREATED_BY_RUN (a ctypes view of the agent's state),
and gc.get_objects() does not list the GC's permanent generation
(gc.freeze(); on 3.12 the interpreter itself keeps the tuples of its static
types there), which the agent walks: so the dump's GC-tracked objects are
the census's, plus those, plus gc.get_freeze_count() objects.
"""
import json
import os
import subprocess

import pyheapfile
from conftest import BUILD, PYHEAP, ROOT

TARGETS = os.path.join(ROOT, "tests", "targets")
HERE = os.path.dirname(os.path.abspath(__file__))


def run_target(python, name, outdir, *args, timeout=300, env=None):
    """Run tests/targets/NAME with python; returns the CompletedProcess."""
    e = dict(os.environ)
    e["PYHEAP_HARNESS_DIR"] = HERE
    e["PYHEAP_BUILD"] = BUILD
    e.pop("PYTHONPATH", None)
    e.pop("PYTHONHOME", None)
    if env:
        e.update(env)
    if os.environ.get("PYHEAP_TARGET_PRELOAD"):  # make asan-agent
        libs = os.environ["PYHEAP_TARGET_PRELOAD"].split()
        e["LD_PRELOAD"] = " ".join(libs)
        if python.root:  # this machine's runtimes, bound into the root (scripts/pyroots)
            real = [os.path.realpath(p) for p in libs]
            e["PYHEAP_ROOTS_BIND"] = ":".join(real)
            e["LD_PRELOAD"] = " ".join("/run/pyroots-bind/" + os.path.basename(p) for p in real)
    r = subprocess.run([python.path, os.path.join(TARGETS, name), str(outdir)] + list(args),
                       capture_output=True, text=True, timeout=timeout, env=e)
    assert r.returncode == 0, "target %s failed (%d):\n%s\n%s" % (name, r.returncode, r.stdout,
                                                                 r.stderr)
    return r


def jrun(pyheap, *args):
    """pyheap ARGS, which must succeed; its stdout as JSON."""
    r = subprocess.run([pyheap] + list(args), capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def planted_dump(python, name, outdir):
    """Run a target that plants structures and dumps itself from inside (the agent
    harness): (the dump's path, the expect.json it wrote)."""
    run_target(python, name, outdir)
    result = load_json(os.path.join(str(outdir), "result.json"))
    assert result["phase"] == 5 and result["error"] == 0, result
    return os.path.join(str(outdir), "dump.pyheap"), load_json(os.path.join(str(outdir), "expect.json"))


def load_json(path):
    with open(path) as f:
        return json.load(f)


def validate(path, strict=True):
    """pyheap validate --json; asserts the dump is valid (and has no dangling reference)."""
    args = [PYHEAP, "validate", "--json"] + (["--strict"] if strict else []) + [str(path)]
    r = subprocess.run(args, capture_output=True, text=True, timeout=300)
    rep = json.loads(r.stdout) if r.stdout.strip() else {}
    assert r.returncode == 0 and rep.get("valid"), "invalid dump %s: %s %s" % (path, r.stdout,
                                                                              r.stderr)
    return rep


def assert_done(result):
    assert result["phase"] == 5, "agent failed: %r" % (result,)
    assert result["error"] == 0


def gc_counts(dump):
    """GC-tracked objects of the dump by type address."""
    counts = {}
    for o in dump.objects.values():
        if o.flags & pyheapfile.OBJ_GC:
            a = dump.types[o.type].address
            counts[a] = counts.get(a, 0) + 1
    return counts


def compare_counts(dump, census, created_by_run, exact=True):
    """Check the dump's GC objects by type against the census (see the module doc).

    exact=False: only check that nothing of the census is missing (objects
    of other interpreters may be reachable too).
    """
    got = gc_counts(dump)
    want = {int(k): v for k, v in census["counts"].items()}
    name_of = {int(k): v for k, v in census["names"].items()}
    for a in got:
        name_of.setdefault(a, dump.type_named(a))
    diff = {a: got.get(a, 0) - want.get(a, 0) for a in set(got) | set(want)}
    missing = {name_of[a]: d for a, d in diff.items() if d < 0}
    assert not missing, "objects of the census missing from the dump: %r" % missing
    allowed = dict(created_by_run)
    for a in sorted(diff):
        n = min(diff[a], allowed.get(name_of[a], 0))
        diff[a] -= n
        if name_of[a] in allowed:
            allowed[name_of[a]] -= n
    assert not any(allowed.values()), "the harness's own objects are missing: %r" % allowed
    if not exact:
        return got
    extra = {}
    for a, d in diff.items():
        if d:
            extra[name_of[a]] = extra.get(name_of[a], 0) + d
    assert sum(extra.values()) == census["freeze_count"], (
        "GC objects in the dump but not in the census: %r (frozen: %d)"
        % (extra, census["freeze_count"]))
    return got


def compare_sizes(dump, census):
    """Every object sized by the census that the dump holds with the same type has the same size.

    Returns how many objects were compared. Objects of the census that the
    dump lacks are reported: a GC-tracked one is an error (the census took its
    list of GC objects at the same moment); an untracked referent may have
    been freed by the harness after the census (none are, in practice: the referents of the
    interned-strings dict, which can, are left out of the census).
    """
    compared = 0
    wrong = []
    missing = []
    for k, (t, size) in census["sizes"].items():
        a = int(k)
        o = dump.objects.get(a)
        if o is None:
            missing.append((a, census["names"].get(str(t), t)))
            continue
        if dump.types[o.type].address != t:
            continue  # the address was reused by another object
        compared += 1
        if o.size != size:
            wrong.append((hex(a), dump.type_name(a), size, o.size))
    assert not wrong, "%d sizes differ from sys.getsizeof, e.g. %r" % (len(wrong), wrong[:10])
    assert not missing, "census objects missing from the dump: %r" % missing[:10]
    return compared
