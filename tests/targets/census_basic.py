# SPDX-License-Identifier: MIT
"""A known heap, a census of it from inside, then a dump by the agent.

usage: census_basic.py OUTDIR [novalues] [external]

Writes OUTDIR/census.json (agent_harness.census: counts, sizes, chosen
objects, and "expect": the references the dump must show, by id) and
OUTDIR/dump.pyheap, then two more dumps without census (OUTDIR/gc_on.pyheap
with the GC enabled, OUTDIR/gc_off.pyheap with it disabled) to check that the
agent leaves the GC as it found it; the agent's results go to
OUTDIR/result.json. Nothing here materialises the __dict__ of `plain` or
`managed`: their attributes are read with plain attribute access.
"""
import array  # noqa: F401 (a C type from lib-dynload for the size census)
import collections
import gc
import json
import os
import sys
import time
import weakref

sys.path.insert(0, os.environ.get("PYHEAP_HARNESS_DIR",
                                  os.path.join(os.path.dirname(__file__), "..", "integration")))
import agent_harness  # noqa: E402

OUT = sys.argv[1]
NOVALUES = "novalues" in sys.argv[2:]
EXTERNAL = "external" in sys.argv[2:]


class Plain:
    def __init__(self):
        self.alpha = "alpha-value"
        self.beta = [1, 2]
        self.gamma = 4242


class Touched(Plain):
    pass


class Slotted:
    __slots__ = ("x", "__z", "y")

    def __init__(self):
        self.x = "slot-x"
        self.__z = ["slot-z"]  # stored as _Slotted__z
        # y stays unset

    def z(self):
        return self.__z


class SlotsAndDict(Slotted):
    __slots__ = ("w", "__dict__")

    def __init__(self):
        super().__init__()
        self.w = ("slot-w",)
        self.extra = "in-dict"


class WithSizeof:
    def __init__(self):
        self.a = 1

    def __sizeof__(self):  # Python-level: the agent must not call it
        return 100000


class LikeWithSizeof:
    def __init__(self):
        self.a = 1


class ListSub(list):
    pass


class DictSub(dict):
    pass


class Meta(type):
    pass


class WithMeta(metaclass=Meta):
    pass


def outer():
    captured = ["captured-value"]

    def inner():
        return captured

    return inner


def main():
    plain = Plain()
    touched = Touched()
    touched.__dict__["delta"] = "delta-value"  # materialises the dict
    slotted = Slotted()
    both = SlotsAndDict()
    sized = WithSizeof()
    like_sized = LikeWithSizeof()

    strs = {
        "ascii": "hello world",
        "latin1": "h\xe9llo w\xf6rld",
        "bmp": "\u65e5\u672c\u8a9e\u30c6\u30ad\u30b9\u30c8",
        "astral": "emoji \U0001F600 clef \U0001D11E",
        "surrogate": "lone \udcff surrogate",
        "long": "L" * 5000,
        "long_bmp": "\u4e00" * 3000,
        "empty": "",
        "interned": sys.intern("an_interned_identifier_for_pyheap"),
    }
    byts = {"bytes": b"\x00\xffbinary\x7f", "long_bytes": bytes(range(256)) * 40, "empty_bytes": b""}
    ints = {"zero": 0, "one": 1, "minus": -1, "small": 255, "big62": 2 ** 62, "min64": -2 ** 63,
            "max64": 2 ** 63 - 1, "over64": 2 ** 64 + 5, "neg_over": -(2 ** 63) - 1,
            "huge": -(10 ** 40) + 7, "enormous": 10 ** 1000 + 1}
    floats = {"pi": 3.14159, "negzero": -0.0, "inf": float("inf"), "tiny": 5e-324}
    dict_str = {"k1": [1], "k2": "v2"}
    dict_mixed = {1: "one", (2, 3): "tuple-key", "s": 4, None: "none-key", 2.5: "float-key"}
    lst = [plain, "item", 7, None]
    tup = (lst, "tuple-item")
    cyc_a = []
    cyc_b = [cyc_a]
    cyc_a.append(cyc_b)
    wtarget = Plain()
    wref = weakref.ref(wtarget)
    wproxy = weakref.proxy(wtarget)
    wdead_target = Plain()
    wdead = weakref.ref(wdead_target)
    del wdead_target
    wvd = weakref.WeakValueDictionary()
    wvd["key"] = wtarget
    fn = outer()
    st = {"set-a", "set-b", 3}
    fst = frozenset({"fs-a", 99})
    lsub = ListSub(["ls-0", "ls-1"])
    lsub.attr = "ls-attr"
    dsub = DictSub(dk="dv")
    dsub.attr = "ds-attr"
    odict = collections.OrderedDict([("o1", "v1"), ("o2", "v2")])
    deq = collections.deque(["dq-0", "dq-1"])
    withmeta = WithMeta()

    chosen = {"plain": plain, "touched": touched, "slotted": slotted, "both": both,
              "sized": sized, "like_sized": like_sized, "dict_str": dict_str,
              "dict_mixed": dict_mixed, "lst": lst, "tup": tup, "wref": wref, "fn": fn,
              "set": st, "frozenset": fst, "lsub": lsub, "dsub": dsub, "odict": odict,
              "deq": deq, "Plain": Plain, "Meta": Meta, "WithMeta": WithMeta,
              "withmeta": withmeta, "module": sys.modules[__name__], "code": outer.__code__,
              "true": True, "false": False, "none": None}
    chosen.update(strs)
    chosen.update(byts)
    chosen.update(ints)
    chosen.update(floats)

    def ids(d):
        return {k: id(v) for k, v in d.items()}

    expect = {
        "entries_str": {str(id(dict_str)): ids(dict_str)},
        "entries_any": {str(id(dict_mixed)): [[id(k), id(v)] for k, v in dict_mixed.items()],
                        str(id(odict)): [[id(k), id(v)] for k, v in odict.items()],
                        str(id(dsub)): [[id(k), id(v)] for k, v in dsub.items()]},
        "attrs": {
            str(id(plain)): {"alpha": id(plain.alpha), "beta": id(plain.beta),
                             "gamma": id(plain.gamma)},
            str(id(touched)): {"alpha": id(touched.alpha), "beta": id(touched.beta),
                               "gamma": id(touched.gamma), "delta": id(touched.delta)},
            str(id(wtarget)): {"alpha": id(wtarget.alpha)},
            str(id(both)): {"extra": id(both.extra)},
            str(id(lsub)): {"attr": id(lsub.attr)},
            str(id(dsub)): {"attr": id(dsub.attr)},
        },
        "attr_names": {"alpha": id(sys.intern("alpha")), "beta": id(sys.intern("beta")),
                       "gamma": id(sys.intern("gamma"))},
        "fields": {
            str(id(slotted)): {"x": id(slotted.x), "_Slotted__z": id(slotted.z())},
            str(id(both)): {"x": id(both.x), "_Slotted__z": id(both.z()), "w": id(both.w)},
            str(id(fn)): {"__code__": id(fn.__code__), "__globals__": id(fn.__globals__),
                          "__closure__": id(fn.__closure__), "__name__": id(fn.__name__),
                          "__qualname__": id(fn.__qualname__)},
            str(id(fn.__closure__[0])): {"cell_contents": id(fn.__closure__[0].cell_contents)},
            str(id(Plain)): {"__mro__": id(Plain.__mro__), "__bases__": id(Plain.__bases__),
                             "__base__": id(object), "__name__": id(Plain.__name__),
                             "__qualname__": id(Plain.__qualname__), "__class__": None},
            str(id(WithMeta)): {"__class__": id(Meta)},
            str(id(withmeta)): {"__class__": id(WithMeta)},
            str(id(plain)): {"__class__": id(Plain)},
            str(id(outer.__code__)): {"co_consts": id(outer.__code__.co_consts),
                                      "co_names": id(outer.__code__.co_names),
                                      "co_filename": id(outer.__code__.co_filename),
                                      "co_name": id(outer.__code__.co_name)},
            str(id(sys.modules[__name__])): {"__dict__": id(globals())},
        },
        "no_slot": {str(id(slotted)): "y"},
        "index": {str(id(lst)): [id(x) for x in lst], str(id(tup)): [id(x) for x in tup],
                  str(id(cyc_a)): [id(cyc_b)], str(id(cyc_b)): [id(cyc_a)],
                  str(id(lsub)): [id(x) for x in lsub]},
        "keyref": {str(id(st)): sorted(id(x) for x in st),
                   str(id(fst)): sorted(id(x) for x in fst)},
        "referents": {str(id(deq)): [id(x) for x in deq]},
        "weak": {str(id(wref)): id(wtarget), str(id(wproxy)): id(wtarget)},
        "dead_weak": [id(wdead)],
        "dict_of": {"plain": id(plain), "touched": id(touched)},
        "roots": {"sys.modules": id(sys.modules), "interp.sysdict": id(sys.__dict__),
                  "interp.builtins": id(__builtins__.__dict__ if hasattr(__builtins__, "__dict__")
                                        else __builtins__)},
        "texts": {str(id(outer.__code__)): outer.__code__.co_name if sys.version_info < (3, 11)
                  else outer.__code__.co_qualname,
                  str(id(outer)): "outer", str(id(sys.modules[__name__])): __name__,
                  str(id(Plain)): "__main__.Plain", str(id(int)): "int",
                  str(id(collections.OrderedDict)): "collections.OrderedDict"},
        "python_sizeof": [id(sized), id(like_sized)],
        "novalues": NOVALUES,
    }
    if EXTERNAL:
        # as agent_harness.dump does: no collection between the census and the dump
        gc.collect()
        gc.disable()
        agent_harness.census(os.path.join(OUT, "census.json"), chosen, True, expect)
        agent_harness.census(os.path.join(OUT, "census.json"), chosen, True, expect)
        # no file object: it would stay referenced by this frame and be in the dump
        fd = os.open(os.path.join(OUT, "ready"), os.O_WRONLY | os.O_CREAT, 0o644)
        os.close(fd)
        time.sleep(600)
        return
    results = {}
    results["main"] = agent_harness.dump(
        os.path.join(OUT, "dump.pyheap"), os.path.join(OUT, "census.json"), chosen=chosen,
        flags=agent_harness.NO_VALUES if NOVALUES else 0, max_value_len=256, expect=expect)
    if not NOVALUES:
        gc.enable()
        results["gc_on"] = agent_harness.dump(os.path.join(OUT, "gc_on.pyheap"))
        results["gc_on"]["gc_enabled_before"] = True
        gc.disable()
        results["gc_off"] = agent_harness.dump(os.path.join(OUT, "gc_off.pyheap"))
        results["gc_off"]["gc_enabled_before"] = False
        gc.enable()
    with open(os.path.join(OUT, "result.json"), "w") as f:
        json.dump(results, f)


main()
