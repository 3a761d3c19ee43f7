# SPDX-License-Identifier: MIT
"""Find the CPython interpreters installed on this machine.

Supported targets are the range src/agent/agent.h defines (PH_PY_MINOR_MIN to
PH_PY_MINOR_MAX, read from there): every pyenv build found under
$(pyenv root)/versions, Debian's /usr/bin/python3.X (static, stripped), and the
interpreters of the Debian roots scripts/pyroots builds (unstable's 3.14 and
3.15, trixie's 3.13), which run inside their root as in a container: own pid
and mount namespaces, the interpreter is pid 1 there. Unsupported ones (2.7,
3.6, 3.7) are listed separately for the error tests. A machine may have any
subset; tests run on what is there and skip the rest with a visible reason
(NOTICES, printed in pytest's header).

A rooted interpreter's `path` is a small wrapper script (under the build
directory) that runs it in its root, so that `[python.path, script, args]` works
for every interpreter alike; `exe` is the interpreter's path as the process sees
it, `root` the root's directory on this machine, and host_pid() translates the
process's own pid (1) into the pid `pyheap dump --pid` needs.
"""
import os
import re
import subprocess
import time
from dataclasses import dataclass

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
AGENT_H = os.path.join(TOP, "src", "agent", "agent.h")
PYROOTS = os.path.join(TOP, "scripts", "pyroots")
BUILD = os.environ.get("PYHEAP_BUILD", os.path.join(TOP, "build"))


def _supported_range():
    text = open(AGENT_H).read()
    lo = int(re.search(r"#define PH_PY_MINOR_MIN\s+(\d+)", text).group(1))
    hi = int(re.search(r"#define PH_PY_MINOR_MAX\s+(\d+)", text).group(1))
    return lo, hi


MINOR_MIN, MINOR_MAX = _supported_range()
SUPPORTED = [(3, m) for m in range(MINOR_MIN, MINOR_MAX + 1)]
UNSUPPORTED = [(2, 7), (3, 6), (3, 7)]
RANGE_TEXT = "3.%d-3.%d" % (MINOR_MIN, MINOR_MAX)


@dataclass(frozen=True)
class Python:
    label: str  # e.g. "pyenv-3.11.7", "debian-3.11", "sid-3.14"
    path: str  # what to execute on this machine
    version: tuple  # (major, minor)
    exe: str = ""  # the interpreter's own path (sys.executable): path unless rooted
    root: str = ""  # the root filesystem it runs in, or "" (this machine's)

    def __post_init__(self):
        if not self.exe:
            object.__setattr__(self, "exe", self.path)

    def __str__(self):
        return self.label

    def host_path(self, p):
        """The file the interpreter calls p, as a path on this machine."""
        return os.path.join(self.root, p.lstrip("/")) if self.root else p

    def host_pid(self, proc, pid=None):
        """The pid on this machine of the interpreter started as proc (a Popen of path)
        that calls itself pid (default: proc's own pid for host interpreters, 1 in a root)."""
        if not self.root:
            return proc.pid if pid is None else pid
        return ns_host_pid(proc.pid, 1 if pid is None else pid)


def ns_host_pid(ancestor, ns_pid, timeout=10):
    """The host pid of the descendant of process ancestor whose pid in its own (innermost)
    pid namespace is ns_pid."""
    deadline = time.monotonic() + timeout
    while True:
        children = {}
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open("/proc/%s/status" % d) as f:
                    st = dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)
            except (OSError, ValueError):
                continue
            children.setdefault(int(st.get("PPid", "0")), []).append(
                (int(d), [int(x) for x in st.get("NSpid", d).split()]))
        todo = [ancestor]
        while todo:
            for pid, nspids in children.get(todo.pop(), []):
                if len(nspids) > 1 and nspids[-1] == ns_pid:
                    return pid
                todo.append(pid)
        if time.monotonic() > deadline:
            raise AssertionError("no process %d in a pid namespace below process %d"
                                 % (ns_pid, ancestor))
        time.sleep(0.01)


def _pyenv_root():
    root = os.environ.get("PYENV_ROOT")
    if root and os.path.isdir(root):
        return root
    try:
        out = subprocess.run(["pyenv", "root"], capture_output=True, text=True, timeout=10)
        if out.returncode == 0 and os.path.isdir(out.stdout.strip()):
            return out.stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        pass
    home = os.path.expanduser("~/.pyenv")
    return home if os.path.isdir(home) else None


def _wrapper(root_name, exe):
    """A script that runs exe inside root root_name (written once into the build directory)."""
    d = os.path.join(BUILD, "pythons")
    path = os.path.join(d, "%s-%s" % (root_name, os.path.basename(exe)))
    text = '#!/bin/sh\nexec "%s" run %s %s "$@"\n' % (PYROOTS, root_name, exe)
    try:
        with open(path) as f:
            if f.read() == text:
                return path
    except OSError:
        pass
    os.makedirs(d, exist_ok=True)
    tmp = "%s.%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write(text)
    os.chmod(tmp, 0o755)
    os.replace(tmp, path)
    return path


NOTICES = []  # why interpreters one might expect are not tested here
DEBUG_PYTHONS = []  # debug builds (Py_DEBUG), which pyheap must refuse


def _find_rooted():
    """The roots' interpreters (debug builds, python3.Xd, go to DEBUG_PYTHONS)."""
    found = []
    try:
        r = subprocess.run([PYROOTS, "list"], capture_output=True, text=True, timeout=30)
        lines = r.stdout.splitlines() if r.returncode == 0 else []
    except (OSError, subprocess.TimeoutExpired):
        lines = []
    for line in lines:
        name, rdir, state, detail = (line.split(None, 3) + [""] * 4)[:4]
        if state != "ok":
            NOTICES.append("root %s (%s): %s: %s" % (name, rdir, state, detail))
            continue
        if "without" in detail:
            NOTICES.append("root %s: %s" % (name, detail))
        if os.getuid() != 0:
            NOTICES.append("root %s: running its interpreters needs root (unshare, chroot)" % name)
            continue
        bindir = os.path.join(rdir, "usr", "bin")
        for b in sorted(os.listdir(bindir)):
            m = re.fullmatch(r"python(\d+)\.(\d+)(d?)", b)
            full = os.path.join(bindir, b)
            if not m or os.path.islink(full) or not os.access(full, os.X_OK):
                continue
            ver = (int(m.group(1)), int(m.group(2)))
            exe = "/usr/bin/" + b
            py = Python("%s-%d.%d%s" % ((name,) + ver + (m.group(3),)), _wrapper(name, exe), ver,
                        exe, rdir)
            (DEBUG_PYTHONS if m.group(3) else found).append(py)
    return found


def _find():
    found = []
    root = _pyenv_root()
    if root:
        vdir = os.path.join(root, "versions")
        for name in sorted(os.listdir(vdir)) if os.path.isdir(vdir) else []:
            m = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)", name)
            if not m:
                continue
            ver = (int(m.group(1)), int(m.group(2)))
            exe = os.path.join(vdir, name, "bin", "python%d.%d" % ver)
            if os.access(exe, os.X_OK):
                found.append(Python("pyenv-" + name, exe, ver))
    for minor in range(6, MINOR_MAX + 1):
        exe = "/usr/bin/python3.%d" % minor
        if os.access(exe, os.X_OK) and not os.path.islink(exe):
            found.append(Python("debian-3.%d" % minor, exe, (3, minor)))
    return found + _find_rooted()


ALL = _find()
SUPPORTED_PYTHONS = [p for p in ALL if p.version in SUPPORTED]
UNSUPPORTED_PYTHONS = [p for p in ALL if p.version in UNSUPPORTED]
MISSING_SUPPORTED = [v for v in SUPPORTED if not any(p.version == v for p in SUPPORTED_PYTHONS)]
BY_PATH = {p.path: p for p in ALL + DEBUG_PYTHONS}


def by_version(major, minor):
    """The first interpreter of that version (this machine's before rooted ones), or None."""
    for p in SUPPORTED_PYTHONS + UNSUPPORTED_PYTHONS:
        if p.version == (major, minor):
            return p
    return None
