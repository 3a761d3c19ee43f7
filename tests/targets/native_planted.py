# SPDX-License-Identifier: MIT
"""Objects with a known native footprint, dumped by the agent from inside
(tests/integration/agent_harness.py), for tests/integration/test_native.py.

usage: native_planted.py OUTDIR

Writes OUTDIR/expect.json (what the target itself measured) and dumps to
OUTDIR/dump.pyheap:
- numpy (when the interpreter has it): OWN, an array that owns exactly
  OWN.nbytes bytes; VIEW, a slice of it (owns nothing, its base is OWN);
  FRAME, a pandas DataFrame (when pandas is there) and the arrays that own
  its blocks' data, with their nbytes;
- ARR, an array.array, and BIO, an io.BytesIO: sys.getsizeof counts their
  buffers (their C __sizeof__), with buffer_info() and getbuffer().nbytes;
- MM, an anonymous mmap.mmap of 1 MiB;
- on 3.11+, PLANTED, an instance with four attributes whose __dict__ was
  never asked for: its values array (separate on 3.11/3.12, inline on 3.13+)
  is measured with tracemalloc as what creating it allocated beyond
  sys.getsizeof(PLANTED);
- ENCODER_DICTS, the materialised __dict__s of the utf_8 IncrementalEncoder
  instances (the issue's case of sizes that disagreed): sys.getsizeof of a
  split dict counts the values slots the class's shared keys have *now*,
  and on 3.11+ each new instance of the class takes one away, so their
  sizes are measured once, then again after one more encoder was made
  (what a text-mode open() does), and a last time just before the dump,
  after which nothing makes one (expect.json is written in binary).
"""
import array
import codecs
import gc
import io
import json
import mmap
import os
import sys
import tracemalloc

sys.path.insert(0, os.environ.get("PYHEAP_HARNESS_DIR",
                                  os.path.join(os.path.dirname(__file__), "..", "integration")))
import agent_harness  # noqa: E402

OUT = sys.argv[1]
expect = {"version": list(sys.version_info[:2])}


def a(o):
    return "0x%x" % id(o)


class Planted:
    def __init__(self):
        self.a = 1
        self.b = 2
        self.c = None
        self.d = True


try:
    import numpy
except ImportError:
    numpy = None

if numpy is not None:
    OWN = numpy.zeros((1000, 3001), dtype=numpy.uint8)
    VIEW = OWN[10:20]
    expect["numpy"] = {"version": numpy.__version__, "own": a(OWN), "own_nbytes": OWN.nbytes,
                       "view": a(VIEW), "view_base": a(VIEW.base),
                       "own_flag": bool(OWN.flags.owndata), "view_flag": bool(VIEW.flags.owndata)}
    # more dtypes: every owning array's native size is its nbytes
    MORE = [numpy.arange(12345, dtype=numpy.float64), numpy.ones((7, 11, 13), dtype=numpy.int32),
            numpy.array([1 + 2j] * 99), numpy.empty(0, dtype=numpy.float32),
            numpy.array(["abc", "defgh"] * 50)]
    expect["numpy"]["more"] = [[a(x), x.nbytes] for x in MORE]
    try:
        import pandas
    except ImportError:
        pandas = None
    if pandas is not None:
        FRAME = pandas.DataFrame({"i": numpy.arange(200000, dtype=numpy.int64),
                                  "f": numpy.arange(200000, dtype=numpy.float64) / 3,
                                  "g": numpy.ones(200000)})

        def owners_of(frame):
            owners = {}
            for blk in frame._mgr.blocks:
                x = blk.values
                while isinstance(x.base, numpy.ndarray):
                    x = x.base
                assert x.flags.owndata, blk
                owners[a(x)] = x.nbytes
            return owners

        expect["pandas"] = {"version": pandas.__version__, "frame": a(FRAME),
                            "owners": owners_of(FRAME)}

ARR = array.array("d", range(50000))
BIO = io.BytesIO()
BIO.write(b"x" * 300000)
with BIO.getbuffer() as view:
    bio_nbytes = view.nbytes
del view
expect["array"] = {"address": a(ARR), "getsizeof": sys.getsizeof(ARR),
                   "nbytes": ARR.buffer_info()[1] * ARR.itemsize,
                   "empty": sys.getsizeof(array.array("d"))}
expect["bytesio"] = {"address": a(BIO), "getsizeof": sys.getsizeof(BIO), "nbytes": bio_nbytes,
                     "empty": sys.getsizeof(io.BytesIO())}

MM = mmap.mmap(-1, 1 << 20)
MM[0:4] = b"abcd"
expect["mmap"] = {"address": a(MM), "length": len(MM), "getsizeof": sys.getsizeof(MM)}

if sys.version_info >= (3, 11):
    WARM = Planted()  # the class's shared keys are made and filled by the first instance
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    PLANTED = Planted()
    allocated = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    expect["planted"] = {"address": a(PLANTED), "getsizeof": sys.getsizeof(PLANTED),
                         "allocated": allocated}

ENCODER_DICTS = [o.__dict__ for o in gc.get_objects()
                 if type(o) is codecs.getincrementalencoder("utf-8")]
before = [sys.getsizeof(d) for d in ENCODER_DICTS]
MORE_ENCODER = codecs.getincrementalencoder("utf-8")()
after = [sys.getsizeof(d) for d in ENCODER_DICTS]
agent = agent_harness.Agent(os.path.join(OUT, "dump.pyheap"))
expect["encoder_dicts"] = {"before": before, "after": after,
                           "now": [["0x%x" % id(d), sys.getsizeof(d)] for d in ENCODER_DICTS]}
with open(os.path.join(OUT, "expect.json"), "wb") as f:
    f.write(json.dumps(expect).encode())
result = agent.run()
with open(os.path.join(OUT, "result.json"), "w") as f:
    json.dump(result, f)
