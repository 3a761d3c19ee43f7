# SPDX-License-Identifier: MIT
"""A target whose names carry terminal escape sequences and control characters:
a module, a class, an attribute, a function (its name and file), a local
variable and a thread, plus its own argv (given by the test). Prints
"READY <pid> <address of the instance> <address of its attribute's value>" and waits for stdin to close.

The sequences: an OSC that retitles the terminal (ESC ] 0 ; ... BEL), a CSI that
clears the screen (ESC [ 2 J), the C1 CSI (U+009B), a backspace, a newline and a
carriage return."""
import sys
import threading
import types

EVIL = "\x1b]0;pwned\x07\x1b[2J\x9b31m\x08\n\r"

mod = types.ModuleType("hmod" + EVIL)
sys.modules[mod.__name__] = mod
Cls = type("HCls" + EVIL, (), {"__module__": mod.__name__})
mod.Cls = Cls
inst = Cls()
setattr(inst, "hattr" + EVIL, ["payload"] * 3)
keep = [inst]


def _body(evt):
    hlocal = Cls()
    evt.wait()
    return hlocal


def _hostile_function():
    c = _body.__code__
    names = tuple("hlocal" + EVIL if n == "hlocal" else n for n in c.co_varnames)
    kw = dict(co_varnames=names, co_name="hfunc" + EVIL, co_filename="/srv/hfile" + EVIL + ".py")
    if hasattr(c, "co_qualname"):
        kw["co_qualname"] = "hfunc" + EVIL
    return types.FunctionType(c.replace(**kw), globals(), "hfunc" + EVIL)


evt = threading.Event()
t = threading.Thread(target=_hostile_function(), args=(evt,), name="hthread" + EVIL, daemon=True)
t.start()
print("READY %d 0x%x 0x%x" % (__import__("os").getpid(), id(inst), id(getattr(inst, "hattr" + EVIL))),
      flush=True)
sys.stdin.read()
evt.set()
