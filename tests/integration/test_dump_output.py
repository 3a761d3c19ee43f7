# SPDX-License-Identifier: MIT
"""`pyheap dump -o` at something that is not a regular file: a character device, a FIFO,
standard output (`-`, /dev/stdout), a symlink to a device. What is there is written into
or refused, never replaced. The device cases run in a private mount namespace with a /dev
of its own (a tmpfs with nodes made by mknod), so that a regression harms no file of the
host."""
import json
import os
import pty
import socket
import stat
import subprocess
import sys

import pytest

import pythons
from dumputil import Target, dump, validate

PY = pythons.by_version(3, 12) or (pythons.SUPPORTED_PYTHONS or [None])[0]
pytestmark = pytest.mark.skipif(PY is None, reason="no supported CPython found")
needs_root = pytest.mark.skipif(os.getuid() != 0, reason="needs root (unshare, mknod)")

# Run inside `unshare -m`: a tmpfs over /dev, nodes as given, then each pyheap command; what
# each left behind is printed as JSON. Commands are shell lines (pipes allowed).
IN_NAMESPACE = r"""
import json, os, stat, subprocess, sys
spec = json.loads(sys.argv[1])
subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=755", "pyheap-test-dev", "/dev"], check=True)
for name, kind, major, minor, mode in spec["nodes"]:
    path = "/dev/" + name
    if kind == "link":
        os.symlink(major, path)
    elif kind == "fifo":
        os.mkfifo(path, mode)
    else:
        os.mknod(path, mode | (stat.S_IFCHR if kind == "chr" else stat.S_IFBLK),
                 os.makedev(major, minor))
    os.chmod(path, mode) if kind != "link" else None
out = []
for cmd in spec["commands"]:
    r = subprocess.run(["bash", "-c", "set -o pipefail; " + cmd], capture_output=True,
                       timeout=120)
    out.append({"rc": r.returncode, "stdout": r.stdout.decode("latin-1"),
                "stderr": r.stderr.decode("latin-1")})
nodes = {}
for name in sorted(os.listdir("/dev")):
    st = os.lstat("/dev/" + name)
    nodes[name] = {"mode": st.st_mode, "rdev": [os.major(st.st_rdev), os.minor(st.st_rdev)],
                   "link": os.readlink("/dev/" + name) if stat.S_ISLNK(st.st_mode) else None}
print(json.dumps({"runs": out, "nodes": nodes}))
"""


def in_private_dev(nodes, commands):
    """Run commands (shell lines) in a private mount namespace whose /dev holds only nodes;
    returns (the runs' rc/stdout/stderr, what /dev holds afterwards)."""
    r = subprocess.run(["unshare", "-m", "--propagation", "private", sys.executable, "-c",
                        IN_NAMESPACE, json.dumps({"nodes": nodes, "commands": commands})],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    return doc["runs"], doc["nodes"]


@pytest.fixture
def target():
    t = Target(PY.path, "sleep", seconds=1)
    yield t
    t.kill()


@needs_root
def test_device_nodes_written_into_never_replaced(pyheap, target, tmp_path):
    """-o /dev/null writes into the device (the node is the same char device, same mode,
    afterwards, and the report counts the bytes); -o /dev/full fails writing into it; a
    block device and a symlink to a device are refused; all are left as they were."""
    ref = tmp_path / "ref.pyheap"
    r = dump(pyheap, target.pid, ref)
    assert r.returncode == 0, r.stderr
    p = "%s dump -p %d" % (pyheap, target.pid)
    err = tmp_path / "stderr.txt"
    runs, nodes = in_private_dev(
        [["null", "chr", 1, 3, 0o666], ["full", "chr", 1, 7, 0o666],
         ["loop7", "blk", 7, 7, 0o660], ["rtc", "link", "null", 0, 0],
         ["stderr", "link", "/proc/self/fd/2", 0, 0]],
        ["%s -o /dev/null" % p, "%s -o /dev/full" % p, "%s -o /dev/loop7" % p,
         "%s -o /dev/rtc" % p, "%s -o /dev/stderr 2>%s" % (p, err)])
    null, full, blk, link, to_stderr = runs
    assert null["rc"] == 0, null["stderr"]
    assert "written to /dev/null" in null["stdout"], null["stdout"]
    # about as many bytes as the same dump to a file (the heap moved a little meanwhile)
    size = os.path.getsize(ref)
    said = null["stdout"].split(" written to")[0].split(", ")[-1]
    assert said.endswith(("KiB", "MiB")), said
    n = float(said.split()[0]) * (1024 if said.endswith("KiB") else 1 << 20)
    assert 0.8 * size < n < 1.25 * size, (said, size)
    assert full["rc"] != 0 and "No space left on device" in full["stderr"], full
    assert blk["rc"] == 2 and "a block device" in blk["stderr"], blk
    assert link["rc"] == 2 and "is a symlink to a character device" in link["stderr"], link
    # standard error redirected to a regular file: /dev/stderr leads to a regular file, yet the
    # system's link is not replaced
    assert to_stderr["rc"] == 2 and "is a symlink into /proc" in err.read_text(), err.read_text()
    assert stat.S_ISLNK(nodes["stderr"]["mode"]) and nodes["stderr"]["link"] == "/proc/self/fd/2"
    assert stat.S_ISCHR(nodes["null"]["mode"]) and stat.S_IMODE(nodes["null"]["mode"]) == 0o666
    assert nodes["null"]["rdev"] == [1, 3]
    assert stat.S_ISCHR(nodes["full"]["mode"]) and nodes["full"]["rdev"] == [1, 7]
    assert stat.S_ISBLK(nodes["loop7"]["mode"]) and nodes["loop7"]["rdev"] == [7, 7]
    assert stat.S_ISLNK(nodes["rtc"]["mode"]) and nodes["rtc"]["link"] == "null"
    assert sorted(nodes) == ["full", "loop7", "null", "rtc", "stderr"]  # nothing new in /dev


@needs_root
def test_dev_stdout_piped_to_a_reader(pyheap, target, tmp_path):
    """-o /dev/stdout (a symlink to /proc/self/fd/1) and -o - write into the pipe: the
    reader gets a valid dump, the report goes to stderr, the symlink stays."""
    a, b = tmp_path / "a.pyheap", tmp_path / "b.pyheap"
    p = "%s dump -p %d" % (pyheap, target.pid)
    runs, nodes = in_private_dev(
        [["stdout", "link", "/proc/self/fd/1", 0, 0], ["null", "chr", 1, 3, 0o666]],
        ["%s -o /dev/stdout | cat > %s" % (p, a), "%s -o - | cat > %s" % (p, b)])
    for run, out in zip(runs, (a, b)):
        assert run["rc"] == 0, run["stderr"]
        assert run["stdout"] == ""
        assert "written to standard output" in run["stderr"], run["stderr"]
        v = validate(pyheap, out)
        assert v.returncode == 0, v.stdout + v.stderr
    assert stat.S_ISLNK(nodes["stdout"]["mode"]) and nodes["stdout"]["link"] == "/proc/self/fd/1"


@needs_root
def test_stdout_redirected_to_a_file(pyheap, target, tmp_path):
    """Standard output redirected to a file is written into (the shell's file, no rename,
    nothing else created next to it)."""
    out = tmp_path / "redirected.pyheap"
    runs, nodes = in_private_dev(
        [["stdout", "link", "/proc/self/fd/1", 0, 0]],
        ["%s dump -p %d -o /dev/stdout > %s" % (pyheap, target.pid, out)])
    assert runs[0]["rc"] == 0, runs[0]["stderr"]
    assert validate(pyheap, out).returncode == 0
    assert os.listdir(tmp_path) == ["redirected.pyheap"]
    assert stat.S_ISLNK(nodes["stdout"]["mode"]) and nodes["stdout"]["link"] == "/proc/self/fd/1"


def test_terminal_refused(pyheap, target, tmp_path):
    """A terminal on standard output is refused before the process is touched."""
    master, slave = pty.openpty()
    try:
        r = subprocess.run([pyheap, "dump", "-p", str(target.pid), "-o", "-"], stdout=slave,
                           stderr=subprocess.PIPE, text=True, timeout=120, cwd=tmp_path)
    finally:
        os.close(slave)
        os.close(master)
    assert r.returncode == 2 and "standard output is a terminal" in r.stderr, r.stderr
    assert os.listdir(tmp_path) == []


def test_fifo(pyheap, target, tmp_path):
    """A FIFO with its reader is written into; one that nothing reads, or that belongs to
    another user, is refused at once; the FIFO stays a FIFO."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo, 0o600)
    got = tmp_path / "got.pyheap"
    reader = subprocess.Popen(["sh", "-c", "cat %s > %s" % (fifo, got)])
    try:
        r = dump(pyheap, target.pid, fifo)
        assert r.returncode == 0, r.stderr
        assert "written to %s" % fifo in r.stdout
        reader.wait(timeout=60)
    finally:
        reader.kill()
        reader.wait()
    assert validate(pyheap, got).returncode == 0
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    r = dump(pyheap, target.pid, fifo, timeout=60)
    assert r.returncode == 2 and "a FIFO that nothing reads" in r.stderr, r.stderr
    if os.getuid() == 0:
        os.chown(fifo, 65534, 65534)
        r = dump(pyheap, target.pid, fifo, timeout=60)
        assert r.returncode == 2 and "belongs to user 65534" in r.stderr, r.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_socket_refused(pyheap, target, tmp_path):
    path = tmp_path / "sock"
    s = socket.socket(socket.AF_UNIX)
    try:
        s.bind(str(path))
        r = dump(pyheap, target.pid, path, timeout=60)
    finally:
        s.close()
    assert r.returncode == 2 and "is a socket, not a regular file" in r.stderr, r.stderr
    assert stat.S_ISSOCK(os.lstat(path).st_mode)
