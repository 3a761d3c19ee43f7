# SPDX-License-Identifier: MIT
"""A module whose memory is spread over many globals, for the suspects'
namespace rule (tests/integration/test_suspects_namespace.py), dumped by the
agent from inside (tests/integration/agent_harness.py).

usage: analyze_namespace.py OUTDIR

Eight module globals G0..G7, each a list of 300 unique bytes of 1000 + 100*i
bytes: none holds a tenth of the heap alone, together they hold most of it,
so the module is a suspect whose memory sits in its namespace. expect.json
has what each global retains (sys.getsizeof of the list and its bytes).
"""
import os
import sys

sys.path.insert(0, os.environ.get("PYHEAP_HARNESS_DIR",
                                  os.path.join(os.path.dirname(__file__), "..", "integration")))
import agent_harness  # noqa: E402

OUT = sys.argv[1]

for _i in range(8):
    globals()["G%d" % _i] = [bytes(1000 + 100 * _i + k % 7) for k in range(300)]
del _i


def main():
    expect = {"G%d" % i: sys.getsizeof(globals()["G%d" % i]) +
              sum(sys.getsizeof(b) for b in globals()["G%d" % i]) for i in range(8)}
    agent_harness.dump_planted(OUT, expect)


main()
