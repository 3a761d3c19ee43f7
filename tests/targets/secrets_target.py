# SPDX-License-Identifier: MIT
"""A target that holds planted secrets of every kind `pyheap dump --no-values` must leave
out, and names it must keep. The markers come as one JSON line on stdin (so that they
are nowhere else in the process); argv carries its own. Prints "READY <pid>", waits for
a second line, exits.

Secrets: a str value, an int (held three times), a float, a 2048-bit int, a dict key
(a plain one and an interned identifier-like one), a literal compiled in code (interned
by the compiler: 'AKIA...'), two thread names (one interned), argv. Names: a class, a
function, a local variable and an attribute."""
import json
import os
import sys
import threading

m = json.loads(sys.stdin.readline())
secret_str = "".join(["pw-", m["hex"]])
secret_int = m["int"]
ints = [secret_int, {"n": secret_int}]
secret_float = m["float"]
big = m["big"]
keyed = {m["key"]: 1, sys.intern(m["ikey"]): 2}
conf = {}
exec(compile("AKIA_CONST = %r\n" % m["akia"], "<conf>", "exec"), conf)


class SecretHolder:
    pass


holder = SecretHolder()
setattr(holder, m["attr"], [1, 2])
stop = threading.Event()


def parked_function(evt):
    parked_local = holder
    evt.wait()
    return parked_local


threads = [threading.Thread(target=parked_function, args=(stop,), name=m["thread"], daemon=True),
           threading.Thread(target=parked_function, args=(stop,), name=sys.intern(m["ithread"]),
                            daemon=True)]
for t in threads:
    t.start()
print("READY %d" % os.getpid(), flush=True)
sys.stdin.readline()
stop.set()
