# SPDX-License-Identifier: MIT
"""Decoy mappings: a process that maps (mmap, not dlopen) a malformed ELF named libc.so.6 and
an ELF named libpython3.12.so.1.0 that defines Py_GetVersion and Py_Version (Python 9.107) is
dumped like any other: pyheap takes the modules from the dynamic loader's link map (found
through the executable's DT_DEBUG), not by their file names, and never reads the decoys. On
every interpreter: pyenv's (shared libpython), Debian's /usr/bin/python3.11 (libpython inside the
executable) and those of the Debian roots (own pid and mount namespaces)."""
import os
import struct
import subprocess

import pytest

import pythons
from dumputil import info

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TARGET = os.path.join(ROOT, "tests", "targets", "decoy_maps.py")
DECOY_C = r"""
const char *Py_GetVersion(void) { return "9.107.0 (decoy)"; }
const unsigned int Py_Version = 0x096b00f0;
int PyRun_SimpleString(const char *s) { (void)s; return 0; }
"""


def break_dynsym(path):
    """Make the .dynsym section link to itself, not to a string table: the ELF is malformed
    the way pyheap's reader refuses ("links to a non-string section")."""
    data = bytearray(open(path, "rb").read())
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    for i in range(shnum):
        off = shoff + i * shentsize
        if struct.unpack_from("<I", data, off + 4)[0] == 11:  # SHT_DYNSYM
            struct.pack_into("<I", data, off + 0x28, i)  # sh_link: itself
            open(path, "wb").write(bytes(data))
            return
    raise AssertionError("no .dynsym in %s" % path)


@pytest.fixture(scope="module")
def decoys(tmp_path_factory):
    d = tmp_path_factory.mktemp("decoys")
    (d / "decoy.c").write_text(DECOY_C)
    py = d / "libpython3.12.so.1.0"
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", str(py), str(d / "decoy.c")], check=True)
    libc = d / "libc.so.6"
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", str(libc), str(d / "decoy.c")], check=True)
    break_dynsym(str(libc))
    return {"libc": [str(libc)], "libpython": [str(py)], "both": [str(libc), str(py)]}


@pytest.mark.parametrize("which", ["libc", "libpython", "both"])
def test_decoy_mappings_do_not_stop_a_dump(pyheap, python, decoys, which, tmp_path):
    mapped = decoys[which]  # a root binds /tmp at its own path: the same files there
    p = subprocess.Popen([python.path, TARGET] + mapped, stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        line = p.stdout.readline().split()
        assert line and line[0] == "READY", line
        pid = python.host_pid(p, int(line[1]))
        with open("/proc/%d/maps" % pid) as f:
            maps = f.read()
        for path in mapped:
            assert path.split("/")[-2] + "/" + path.split("/")[-1] in maps, path  # pyheap sees it
        out = tmp_path / "d.pyheap"
        r = subprocess.run([pyheap, "dump", "-q", "-p", str(pid), "-o", str(out)],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
    finally:
        p.kill()
        p.wait()
    meta = info(pyheap, out)["metadata"]
    assert meta["python_version"].startswith("%d.%d." % python.version), meta["python_version"]
