# SPDX-License-Identifier: MIT
"""Source hygiene that the compiler does not check (STYLE.md)."""
import os
import re

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# As in git's banned.h: unbounded or error-prone string functions.
BANNED = re.compile(r"\b(strcpy|strcat|sprintf|vsprintf|gets|strtok|strncpy|strncat)\s*\(")


def c_sources():
    for top in ("src", "tests"):
        for d, _, files in os.walk(os.path.join(ROOT, top)):
            for f in files:
                if f.endswith((".c", ".h")):
                    yield os.path.join(d, f)


def test_no_banned_string_functions():
    bad = []
    for path in c_sources():
        with open(path, errors="replace") as f:
            for n, line in enumerate(f, 1):
                code = line.split("//")[0]
                if BANNED.search(code) and not code.lstrip().startswith(("*", "/*")):
                    bad.append("%s:%d: %s" % (os.path.relpath(path, ROOT), n, line.strip()))
    assert not bad, "banned functions (use snprintf, ph_buf, memcpy with a length):\n" + "\n".join(bad)


def test_every_c_file_starts_with_spdx():
    missing = []
    for path in c_sources():
        with open(path, errors="replace") as f:
            if not f.readline().startswith("/* SPDX-License-Identifier:"):
                missing.append(os.path.relpath(path, ROOT))
    assert not missing, "files without an SPDX line: %s" % ", ".join(missing)
