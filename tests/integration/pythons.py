# SPDX-License-Identifier: MIT
"""Find the CPython interpreters installed on this machine.

Supported targets are CPython 3.8-3.13: every pyenv build found under
$(pyenv root)/versions, plus Debian's /usr/bin/python3.X (static, stripped).
Unsupported ones (2.7, 3.6, 3.7) are listed separately for the error tests.
A machine may have any subset; tests run on what is there and skip the rest
with a visible reason.
"""
import os
import re
import subprocess
from dataclasses import dataclass

SUPPORTED = [(3, 8), (3, 9), (3, 10), (3, 11), (3, 12), (3, 13)]
UNSUPPORTED = [(2, 7), (3, 6), (3, 7)]


@dataclass(frozen=True)
class Python:
    label: str  # e.g. "pyenv-3.11.7", "debian-3.11"
    path: str
    version: tuple  # (major, minor)

    def __str__(self):
        return self.label


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
    for minor in range(6, 14):
        exe = "/usr/bin/python3.%d" % minor
        if os.access(exe, os.X_OK) and not os.path.islink(exe):
            found.append(Python("debian-3.%d" % minor, exe, (3, minor)))
    return found


ALL = _find()
SUPPORTED_PYTHONS = [p for p in ALL if p.version in SUPPORTED]
UNSUPPORTED_PYTHONS = [p for p in ALL if p.version in UNSUPPORTED]
MISSING_SUPPORTED = [v for v in SUPPORTED if not any(p.version == v for p in SUPPORTED_PYTHONS)]


def by_version(major, minor):
    """The first interpreter of that version, or None."""
    for p in SUPPORTED_PYTHONS + UNSUPPORTED_PYTHONS:
        if p.version == (major, minor):
            return p
    return None
