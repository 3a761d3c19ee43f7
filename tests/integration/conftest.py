# SPDX-License-Identifier: MIT
"""Shared pytest fixtures for pyheap's integration tests.

Environment (set by tests/run): PYHEAP (the binary), PYHEAP_BUILD (build
directory), TEST_TOOL (build/test-tool).
"""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import pythons  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PYHEAP = os.environ.get("PYHEAP", os.path.join(ROOT, "pyheap"))
BUILD = os.environ.get("PYHEAP_BUILD", os.path.join(ROOT, "build"))
TEST_TOOL = os.environ.get("TEST_TOOL", os.path.join(BUILD, "test-tool"))
TARGETS = os.path.join(ROOT, "tests", "targets")


def pytest_report_header(config):
    lines = ["pyheap: %s" % PYHEAP]
    lines.append("supported interpreters: %s" % (", ".join(map(str, pythons.SUPPORTED_PYTHONS)) or "none"))
    if pythons.MISSING_SUPPORTED:
        lines.append("NOT FOUND (their tests are skipped): %s"
                     % ", ".join("%d.%d" % v for v in pythons.MISSING_SUPPORTED))
    lines += ["NOTICE: %s" % n for n in pythons.NOTICES]
    return lines


def pytest_generate_tests(metafunc):
    if "python" in metafunc.fixturenames:
        params = pythons.SUPPORTED_PYTHONS or [pytest.param(None, marks=pytest.mark.skip(
            reason="no supported CPython (%s) found on this machine" % pythons.RANGE_TEXT))]
        metafunc.parametrize("python", params, ids=str)
    if "unsupported_python" in metafunc.fixturenames:
        params = pythons.UNSUPPORTED_PYTHONS or [pytest.param(None, marks=pytest.mark.skip(
            reason="no CPython 2.7/3.6/3.7 found on this machine"))]
        metafunc.parametrize("unsupported_python", params, ids=str)


@pytest.fixture
def pyheap():
    if not os.access(PYHEAP, os.X_OK):
        pytest.fail("pyheap binary not built: %s" % PYHEAP)
    return PYHEAP
