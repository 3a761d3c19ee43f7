# SPDX-License-Identifier: MIT
"""No Python code of the application runs during a dump.

usage: census_traps.py OUTDIR

Objects whose classes (and metaclass) define every hook the agent could be
tempted to call - __getattribute__, __getattr__, __repr__, __str__, __dir__,
__hash__, __eq__, __sizeof__, __len__, __iter__, properties, descriptors -
record each call while armed. The dump is taken armed; nothing may be
recorded. Attribute names that are Trap instances (dict keys) too.
"""
import json
import os
import sys

sys.path.insert(0, os.environ.get("PYHEAP_HARNESS_DIR",
                                  os.path.join(os.path.dirname(__file__), "..", "integration")))
import agent_harness  # noqa: E402

OUT = sys.argv[1]
calls = []
armed = [False]


def hook(name):
    def f(self, *a, **k):
        if armed[0]:
            calls.append(name)
        return getattr(object, name)(self, *a, **k) if hasattr(object, name) else None
    return f


class TrapMeta(type):
    def __getattribute__(cls, name):
        if armed[0]:
            calls.append("meta.__getattribute__")
        return type.__getattribute__(cls, name)


class Descr:
    def __get__(self, obj, typ=None):
        if armed[0]:
            calls.append("descr.__get__")
        return 1


class Trap(metaclass=TrapMeta):
    __getattribute__ = hook("__getattribute__")
    __repr__ = hook("__repr__")
    __str__ = hook("__str__")
    __dir__ = hook("__dir__")
    __hash__ = hook("__hash__")
    __eq__ = hook("__eq__")
    __sizeof__ = hook("__sizeof__")
    descr = Descr()

    def __getattr__(self, name):
        if armed[0]:
            calls.append("__getattr__")
        raise AttributeError(name)

    def __len__(self):
        if armed[0]:
            calls.append("__len__")
        return 0

    def __iter__(self):
        if armed[0]:
            calls.append("__iter__")
        return iter(())

    @property
    def prop(self):
        if armed[0]:
            calls.append("property")
        return 1


class SlottedTrap(Trap):
    __slots__ = ("a",)


def main():
    traps = [Trap() for _ in range(10)]
    for i, t in enumerate(traps):
        t.payload = ["payload", i]
    st = SlottedTrap()
    st.a = "slot"
    keyed = {traps[0]: "value", traps[1]: traps[2]}
    bag = {traps[3], traps[4]}
    agent = agent_harness.Agent(os.path.join(OUT, "dump.pyheap"))
    armed[0] = True
    res = agent.run()
    armed[0] = False
    with open(os.path.join(OUT, "result.json"), "w") as f:
        json.dump({"result": res, "calls": calls, "keyed": id(keyed), "bag": id(bag),
                   "trap0": id(traps[0]), "payload0": id(traps[0].payload), "st": id(st),
                   "st_a": id(st.a)}, f)


main()
