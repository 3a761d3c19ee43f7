# SPDX-License-Identifier: MIT
"""A target that maps files it does not load (mmap, not dlopen): each path given on the
command line is mapped read-only from offset 0, the way an application maps a data file.
The test names them libc.so.6 (a malformed ELF) and libpython3.12.so.1.0 (an ELF that
defines Py_GetVersion and Py_Version of a Python 9.107). Prints "READY <pid>" and waits
for stdin to close."""
import mmap
import os
import sys

maps = []
for path in sys.argv[1:]:
    with open(path, "rb") as f:
        maps.append(mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ))
print("READY %d" % os.getpid(), flush=True)
sys.stdin.read()
