# SPDX-License-Identifier: MIT
"""The dump file: default name, --output/-o/-f, mode 0600 whatever the umask,
an existing file replaced atomically, the dumper's metadata (--no-values,
--max-value-len), --quiet, and a target in its own pid namespace."""
import os
import re
import stat
import subprocess
import time

import pytest

import pythons
from dumputil import Target, agent_mapped, check_wait, dump, info, validate

PY = pythons.by_version(3, 11) or (pythons.SUPPORTED_PYTHONS or [None])[0]
pytestmark = pytest.mark.skipif(PY is None, reason="no supported CPython found")


@pytest.fixture
def target():
    t = Target(PY.path, "sleep", seconds=1)
    yield t
    t.kill()


def test_default_name(pyheap, target, tmp_path):
    r = subprocess.run([pyheap, "dump", "-p", str(target.pid)], cwd=tmp_path,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    files = os.listdir(tmp_path)
    assert len(files) == 1
    assert re.fullmatch(r"pyheap-%d-\d{8}-\d{6}\.pyheap" % target.pid, files[0]), files
    assert files[0] in r.stdout
    assert validate(pyheap, tmp_path / files[0]).returncode == 0


def test_file_alias_mode_and_umask(pyheap, target, tmp_path):
    out = tmp_path / "f.pyheap"
    old = os.umask(0)
    try:
        r = subprocess.run([pyheap, "dump", "-p", str(target.pid), "-f", str(out)],
                           capture_output=True, text=True, timeout=60)
    finally:
        os.umask(old)
    assert r.returncode == 0, r.stderr
    st = os.stat(out)
    assert stat.S_IMODE(st.st_mode) == 0o600 and st.st_uid == os.getuid()
    assert os.listdir(tmp_path) == ["f.pyheap"]  # no temporary file left


def test_replaces_existing_file(pyheap, target, tmp_path):
    out = tmp_path / "x.pyheap"
    out.write_text("old content")
    os.chmod(out, 0o644)
    r = dump(pyheap, target.pid, out)
    assert r.returncode == 0, r.stderr
    assert validate(pyheap, out).returncode == 0
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    assert sorted(os.listdir(tmp_path)) == ["x.pyheap"]


def test_never_follows_a_planted_symlink(pyheap, target, tmp_path):
    """The final name is replaced by rename(2): a symlink there is replaced, not followed."""
    victim = tmp_path / "victim"
    victim.write_text("keep me")
    out = tmp_path / "x.pyheap"
    os.symlink(victim, out)
    r = dump(pyheap, target.pid, out)
    assert r.returncode == 0, r.stderr
    assert victim.read_text() == "keep me"
    assert not os.path.islink(out) and validate(pyheap, out).returncode == 0


def test_metadata_options_and_quiet(pyheap, target, tmp_path):
    out = tmp_path / "nv.pyheap"
    r = dump(pyheap, target.pid, out, "--no-values", "--max-value-len", "7", "--quiet")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "" and r.stderr == ""
    meta = info(pyheap, out)["metadata"]
    assert meta["values"] == "none"
    assert meta["max_value_len"] == 7
    assert meta["pid"] == target.pid
    r = dump(pyheap, target.pid, tmp_path / "v.pyheap")
    assert r.returncode == 0, r.stderr
    meta = info(pyheap, tmp_path / "v.pyheap")["metadata"]
    assert meta["values"] == "all" and meta["max_value_len"] == 1024
    assert re.search(r"\d+ objects, .* written to .*v\.pyheap; the target's Python threads "
                     r"were paused for [\d.]+ ms", r.stdout), r.stdout


def test_help_is_truthful(pyheap):
    r = subprocess.run([pyheap, "dump", "--help"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0
    for opt in ("--pid", "-p,", "--output", "-o,", "--file", "-f,", "--timeout", "--no-values",
                "--max-value-len", "--quiet", "--docker-container", "default 30", "0600"):
        assert opt in r.stdout, opt


def test_pid_namespace(pyheap, tmp_path):
    """A target in its own pid namespace (and mount namespace with its own /proc), dumped
    from the host by its host pid."""
    if os.getuid() != 0:
        pytest.skip("needs root for unshare")
    t = Target(PY.path, "sleep", seconds=1,
               argv_prefix=["unshare", "--pid", "--fork", "--mount-proc", "--kill-child"])
    try:
        assert t.pid == 1 or t.pid < 10  # the pid it sees of itself
        inner = host_pid_of(t)
        out = tmp_path / "ns.pyheap"
        r = dump(pyheap, inner, out)
        assert r.returncode == 0, r.stderr
        meta = info(pyheap, out)["metadata"]
        assert meta["pid"] == inner
        assert meta["python_version"].startswith("%d.%d." % PY.version)
        with open("/proc/%d/maps" % inner) as f:
            assert not agent_mapped(f.read())
        t.drain()
        check_wait(t, time.monotonic())
    finally:
        t.kill()


def descends_from(pid, ancestor):
    """Whether process pid is ancestor or one of its descendants."""
    for _ in range(64):
        if pid == ancestor:
            return True
        try:
            with open("/proc/%d/status" % pid) as f:
                pid = int([x for x in f if x.startswith("PPid:")][0].split()[1])
        except (OSError, IndexError):
            return False
        if pid <= 1:
            return False
    return False


def host_pid_of(t):
    """The host pid of a Target running in another pid namespace (under its own unshare:
    other tests' namespaced targets have the same inner pid)."""
    for line in subprocess.run(["pgrep", "-f", "dump_target.py %s" % t.mode], capture_output=True,
                               text=True).stdout.split():
        try:
            with open("/proc/%s/status" % line) as f:
                ns = [x for x in f if x.startswith("NSpid:")][0].split()[1:]
            if len(ns) == 2 and int(ns[1]) == t.pid and descends_from(int(line), t.proc.pid) and \
                    os.readlink("/proc/%s/ns/pid" % line) != os.readlink("/proc/self/ns/pid"):
                return int(line)
        except OSError:
            pass
    raise AssertionError("cannot find the host pid of the namespaced target")


# An interpreter under /usr (Debian's): the user nobody can run it (pyenv's builds usually live
# in a home directory closed to others) and the chroot of test_container_like binds /usr.
SYSTEM_PY = next((p.path for p in pythons.SUPPORTED_PYTHONS if p.path.startswith("/usr/")), None)
needs_system_py = pytest.mark.skipif(SYSTEM_PY is None,
                                     reason="needs a supported CPython under /usr (python3)")
AS_NOBODY = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]


@pytest.fixture
def open_dir():
    """A directory any user may write to (pytest's tmp_path is closed to others)."""
    import shutil
    import tempfile
    d = tempfile.mkdtemp(prefix="pyheap-test-")
    os.chmod(d, 0o777)
    yield d
    shutil.rmtree(d, ignore_errors=True)


@needs_system_py
@pytest.mark.parametrize("user", ["root", "nobody"])
def test_container_like(pyheap, tmp_path, open_dir, user):
    """Own pid, mount and UTS namespaces and a chroot of bind mounts. As root pyheap reads
    the target's files through /proc/PID/map_files; as the target's own unprivileged user it
    cannot, and resolves the mapped paths inside the target's root instead."""
    if os.getuid() != 0:
        pytest.skip("needs root for unshare and chroot")
    root = tmp_path / "root"
    root.mkdir()
    outdir = open_dir
    script = os.path.join(os.path.dirname(__file__), "..", "targets", "dump_chroot.sh")
    t = Target(SYSTEM_PY, "sleep", seconds=1,
               argv_prefix=["unshare", "--pid", "--fork", "--mount", "--uts", "--kill-child",
                            "--propagation", "private", "sh", script, str(root), user])
    try:
        inner = host_pid_of(t)
        assert os.readlink("/proc/%d/root" % inner) == str(root)
        out = os.path.join(outdir, "c.pyheap")
        cmd = [pyheap, "dump", "--pid", str(inner), "-o", str(out)]
        r = subprocess.run((AS_NOBODY if user == "nobody" else []) + cmd, capture_output=True,
                           text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        meta = info(pyheap, out)["metadata"]
        assert meta["pid"] == inner
        assert meta["hostname"] == "pyheap-ns-test"  # the agent asks from inside
        with open("/proc/%d/maps" % inner) as f:
            assert not agent_mapped(f.read())
        t.drain()
        check_wait(t, time.monotonic())
    finally:
        t.kill()


@needs_system_py
def test_chroot_without_proc(pyheap, tmp_path):
    """A bare chroot with no /proc mounted (no /proc/self/fd/N to dlopen): the agent is
    still loaded (from a memfd that dlopen itself opens) and nothing is left in the root."""
    if os.getuid() != 0:
        pytest.skip("needs root for unshare and chroot")
    root = tmp_path / "root"
    root.mkdir()
    script = os.path.join(os.path.dirname(__file__), "..", "targets", "dump_chroot.sh")
    t = Target(SYSTEM_PY, "sleep", seconds=1,
               argv_prefix=["unshare", "--pid", "--fork", "--mount", "--uts", "--kill-child",
                            "--propagation", "private", "sh", script, str(root), "root"],
               env=dict(os.environ, DUMP_CHROOT_PROC="0"))
    try:
        inner = host_pid_of(t)
        assert not os.listdir("/proc/%d/root/proc" % inner)  # really no /proc in there
        # The root's /tmp holds the mount point of the source tree when the tree
        # itself lives under /tmp (a CI clone): only what the dump adds counts.
        tmp_before = sorted(os.listdir(root / "tmp"))
        out = tmp_path / "c.pyheap"
        r = subprocess.run([pyheap, "dump", "--pid", str(inner), "-o", str(out)],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        assert validate(pyheap, out).returncode == 0
        with open("/proc/%d/maps" % inner) as f:
            assert not agent_mapped(f.read())
        assert sorted(os.listdir(root / "tmp")) == tmp_before
        t.drain()
        check_wait(t, time.monotonic())
    finally:
        t.kill()


@needs_system_py
def test_unprivileged_same_user(pyheap, open_dir):
    """No root, no capability: the same user may dump its own process (no map_files)."""
    if os.getuid() != 0:
        pytest.skip("needs root to switch to nobody")
    t = Target(SYSTEM_PY, "sleep", seconds=1, argv_prefix=AS_NOBODY)
    try:
        out = os.path.join(open_dir, "n.pyheap")
        r = subprocess.run(AS_NOBODY + [pyheap, "dump", "--pid", str(t.pid), "-o", str(out)],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        assert os.stat(out).st_uid != 0  # owned by the invoking user
        assert validate(pyheap, out).returncode == 0
        t.drain()
        check_wait(t, time.monotonic())
    finally:
        t.kill()
