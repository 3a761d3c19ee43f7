# SPDX-License-Identifier: MIT
"""A tp_traverse that never ends: the agent must stop it and carry on.

usage: census_looping_traverse.py OUTDIR

CPython 3.12's _asyncio module traverses its free list of dead future
iterators; holding them in the list gc.get_referents() returns and dropping
it deallocates them a second time, which links the free list into a loop
(CPython issue 122695): from then on that traversal never returns. The
target makes that happen, then dumps itself, and leaves with os._exit
(its own shutdown would loop too).
"""
import asyncio
import gc
import json
import os
import sys

sys.path.insert(0, os.environ.get("PYHEAP_HARNESS_DIR",
                                  os.path.join(os.path.dirname(__file__), "..", "integration")))
import agent_harness  # noqa: E402

OUT = sys.argv[1]


async def coro(n):
    await asyncio.sleep(0)
    return n


async def run_all():
    return await asyncio.gather(*(coro(i) for i in range(10)))


def main():
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    loop.run_until_complete(run_all())
    refs = gc.get_referents(sys.modules["_asyncio"])
    del refs
    res = agent_harness.dump(os.path.join(OUT, "dump.pyheap"))
    with open(os.path.join(OUT, "result.json"), "w") as f:
        json.dump(res, f)
    os._exit(0)


main()
