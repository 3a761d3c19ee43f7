# SPDX-License-Identifier: MIT
"""A small reader of .pyheap dumps for the tests (docs/format.md).

It trusts the file's structure (pyheap validate checks that); it decodes
raw and zstd chunks (zstd only if the zstandard module is present) and
gives plain Python structures:

  d = Dump(path)
  d.meta['python_version']          metadata (the last value of each key)
  d.types[i] -> Type                module, qualname, base, address, ...
  d.objects[addr] -> Obj            type id, size, refcount, flags, value
  d.edges[addr] -> [Edge]           (kind, weak, label, target)
  d.threads -> [Thread]             with frames and locals
  d.roots -> [(kind, label, addr)]
  d.native(addr) -> {kind: bytes}   native bytes the object owns (NATIVE, format 1.1)
  d.tracebacks -> [[(file, line)]]  allocation tracebacks, the most recent call first
  d.sites[addr] -> traceback index  the objects that have one
"""
import struct
from collections import namedtuple

KIND_META, KIND_STRINGS, KIND_TYPES, KIND_OBJECTS, KIND_EDGES, KIND_THREADS, KIND_ROOTS = range(1, 8)
KIND_NATIVE = 8
KIND_TRACEBACKS, KIND_SITES = 9, 10
KIND_TOC = 15
NATIVE_NUMPY, NATIVE_MMAP, NATIVE_VALUES = 1, 2, 3

OBJ_GC, OBJ_VALUE, OBJ_IMMORTAL, OBJ_STATIC = 1, 2, 4, 8
VAL_STR, VAL_BYTES, VAL_INT, VAL_BIGINT, VAL_FLOAT, VAL_BOOL, VAL_NONE, VAL_TEXT = range(1, 9)
VALF_TRUNCATED, VALF_OMITTED = 1, 2
LABEL_NONE, LABEL_INDEX, LABEL_ATTR, LABEL_KEY, LABEL_FIELD, LABEL_KEYREF, LABEL_ENTRY, \
    LABEL_INTERNAL = range(8)
EDGE_WEAK = 0x10
THREAD_DAEMON, THREAD_MAIN = 1, 2
ROOT_MODULES, ROOT_INTERP, ROOT_THREAD, ROOT_OTHER = 1, 2, 3, 4

Type = namedtuple("Type", "address module qualname base basicsize itemsize flags")
Obj = namedtuple("Obj", "id address type size refcount flags value")
Value = namedtuple("Value", "kind flags length data")
Edge = namedtuple("Edge", "kind weak label target")
Frame = namedtuple("Frame", "function filename line code frame locals")
Thread = namedtuple("Thread", "ident native_id name flags frames")


class Cursor:
    __slots__ = ("b", "p")

    def __init__(self, b):
        self.b = b
        self.p = 0

    def v(self):
        b, p = self.b, self.p
        x = b[p]
        if x < 0x80:
            self.p = p + 1
            return x
        r = 0
        s = 0
        while True:
            x = b[p]
            p += 1
            r |= (x & 0x7F) << s
            if x < 0x80:
                break
            s += 7
        self.p = p
        return r

    def s(self):
        n = self.v()
        return (n >> 1) ^ -(n & 1)

    def u8(self):
        x = self.b[self.p]
        self.p += 1
        return x

    def bytes(self):
        n = self.v()
        r = self.b[self.p:self.p + n]
        self.p += n
        return bytes(r)

    def f64(self):
        r = struct.unpack_from("<d", self.b, self.p)[0]
        self.p += 8
        return r


def _decompress(enc, payload, raw_len):
    if enc == 0:
        return payload
    import zstandard  # noqa: only for compressed files
    return zstandard.ZstdDecompressor().decompress(payload, max_output_size=raw_len)


class Dump:
    def __init__(self, path, want_edges=True):
        data = open(path, "rb").read()
        assert data[:8] == b"\x89PYHEAP\n", "not a pyheap dump"
        assert data[-8:] == b"\x89PHEND\n\x00", "no trailer"
        self.meta = {}
        self.strings = []
        self.types = []
        self.objects = {}
        self.order = []
        self.edges = {}
        self.threads = []
        self.roots = []
        self.native_by_id = {}
        self.tracebacks = []
        self.sites = {}
        self._site_ids = []
        self.chunk_kinds = []
        pos = 32
        chunks = []
        while True:
            magic, kind, enc = struct.unpack_from("<4sIB", data, pos)
            stored, raw, count = struct.unpack_from("<QQQ", data, pos + 16)
            assert magic == b"PHCK"
            self.chunk_kinds.append(kind)
            payload = data[pos + 56:pos + 56 + stored]
            pos += 56 + stored
            if kind == KIND_TOC:
                break
            if kind == KIND_EDGES and not want_edges:
                continue
            chunks.append((kind, enc, payload, raw, count))
        # strings first: records of other chunks name strings written later
        for kind, enc, payload, raw, count in sorted(chunks, key=lambda c: c[0] != KIND_STRINGS):
            c = Cursor(_decompress(enc, payload, raw))
            getattr(self, "_read_%d" % kind, lambda c, n: None)(c, count)
        # SITES name objects by id: resolved once every OBJECTS chunk is read
        for obj_id, tb in self._site_ids:
            self.sites[self.order[obj_id]] = tb

    def s(self, sref):
        return None if sref == 0 else self.strings[sref - 1].decode("utf-8", "surrogatepass")

    def _read_1(self, c, n):
        for _ in range(n):
            key = c.bytes().decode()
            t = c.u8()
            val = c.bytes()
            vc = Cursor(val)
            if t == 1:
                v = val.decode("utf-8", "replace")
            elif t == 2:
                v = vc.s()
            elif t == 3:
                v = vc.v()
            elif t == 4:
                v = struct.unpack("<d", val)[0]
            elif t == 5:
                v = bool(val[0])
            elif t == 6:
                v = []
                while vc.p < len(val):
                    v.append(vc.bytes().decode("utf-8", "replace"))
            else:
                v = val
            self.meta[key] = v

    def _read_2(self, c, n):
        for _ in range(n):
            self.strings.append(c.bytes())

    def _read_3(self, c, n):
        for _ in range(n):
            addr, mod, qn, base, bs, isz, fl = (c.v() for _ in range(7))
            self.types.append(Type(addr, self.s(mod), self.s(qn), base - 1 if base else None, bs,
                                   isz, fl))

    def _read_4(self, c, n):
        prev = 0
        for _ in range(n):
            addr = prev + c.s()
            prev = addr
            t = c.v()
            size = c.v()
            rc = c.v()
            fl = c.u8()
            val = None
            if fl & OBJ_VALUE:
                kind = c.u8()
                vfl = c.u8()
                length = None
                if kind in (VAL_STR, VAL_BYTES):
                    length = c.v()
                    data = c.bytes()
                elif kind == VAL_TEXT:
                    data = c.bytes()
                elif kind == VAL_INT:
                    data = c.s()
                elif kind == VAL_BIGINT:
                    sign = c.u8()
                    length = c.v()
                    mag = c.bytes()
                    data = (sign, mag)
                elif kind == VAL_FLOAT:
                    data = c.f64()
                elif kind == VAL_BOOL:
                    data = bool(c.u8())
                else:
                    data = None
                val = Value(kind, vfl, length, data)
            o = Obj(len(self.order), addr, t, size, rc, fl, val)
            self.objects[addr] = o
            self.order.append(addr)

    def _read_5(self, c, n):
        prev_id = 0
        prev_addr = 0
        for _ in range(n):
            sid = prev_id + c.v()
            saddr = prev_addr + c.s()
            prev_id, prev_addr = sid, saddr
            cnt = c.v()
            lst = self.edges.setdefault(saddr, [])
            for _ in range(cnt):
                tag = c.u8()
                kind = tag & 0x0F
                label = None
                if kind in (LABEL_INDEX, ):
                    label = c.v()
                elif kind in (LABEL_FIELD, LABEL_INTERNAL):
                    label = self.s(c.v())
                elif kind in (LABEL_ATTR, LABEL_KEY, LABEL_ENTRY):
                    label = saddr + c.s()
                target = saddr + c.s()
                lst.append(Edge(kind, bool(tag & EDGE_WEAK), label, target))

    def _read_6(self, c, n):
        for _ in range(n):
            ident = c.v()
            native = c.v()
            name = self.s(c.v())
            fl = c.u8()
            frames = []
            for _ in range(c.v()):
                fn = self.s(c.v())
                fname = self.s(c.v())
                line = c.v()
                code = c.v()
                frame = c.v()
                locs = []
                for _ in range(c.v()):
                    locs.append((self.s(c.v()), c.v()))
                frames.append(Frame(fn, fname, line, code, frame, locs))
            self.threads.append(Thread(ident, native, name, fl, frames))

    def _read_7(self, c, n):
        for _ in range(n):
            self.roots.append((c.u8(), self.s(c.v()), c.v()))

    def _read_8(self, c, n):
        # ids delta-coded against the previous record of the chunk, strictly increasing
        prev = 0
        for i in range(n):
            oid = prev + c.v()
            assert i == 0 or oid > prev, "NATIVE ids out of order"
            parts = {}
            for _ in range(c.v()):
                what = c.u8()
                assert what not in parts
                parts[what] = c.v()
            assert oid not in self.native_by_id, "NATIVE record twice for id %d" % oid
            self.native_by_id[oid] = parts
            prev = oid

    def native(self, addr):
        """{kind: bytes} of the native parts of the object at addr ({} for none)."""
        return self.native_by_id.get(self.objects[addr].id, {})

    def _read_9(self, c, n):
        for _ in range(n):
            self.tracebacks.append([(self.s(c.v()), c.v()) for _ in range(c.v())])

    def _read_10(self, c, n):
        prev = 0
        for _ in range(n):
            prev += c.v()  # object id minus the previous record's in the chunk
            self._site_ids.append((prev, c.v()))

    # ---- helpers for tests ----

    def type_named(self, type_addr):
        """The name of the type whose type object is at type_addr."""
        for t in self.types:
            if t.address == type_addr:
                return t.qualname if t.module == "builtins" else "%s.%s" % (t.module, t.qualname)
        return hex(type_addr)

    def type_of(self, addr):
        return self.types[self.objects[addr].type]

    def type_name(self, addr):
        t = self.type_of(addr)
        return t.qualname if t.module == "builtins" else "%s.%s" % (t.module, t.qualname)

    def text(self, addr):
        """The str value of the object at addr, as Python text (prefix if truncated)."""
        v = self.objects[addr].value
        if v is None or v.kind not in (VAL_STR, VAL_TEXT):
            return None
        return v.data.decode("utf-8", "surrogatepass")

    def out(self, addr, kind=None):
        return [e for e in self.edges.get(addr, []) if kind is None or e.kind == kind]

    def field(self, addr, name):
        for e in self.edges.get(addr, []):
            if e.kind in (LABEL_FIELD, LABEL_INTERNAL) and e.label == name:
                return e.target
        return None

    def entries(self, addr):
        """{key text or key address: value address} of a dict's ENTRY edges."""
        r = {}
        for e in self.edges.get(addr, []):
            if e.kind == LABEL_ENTRY:
                k = self.text(e.label)
                r[k if k is not None else e.label] = e.target
        return r

    def attrs(self, addr):
        """Instance attributes {name: value address}: ATTR edges, then __dict__ entries."""
        r = {}
        for e in self.edges.get(addr, []):
            if e.kind == LABEL_ATTR:
                r[self.text(e.label)] = e.target
        d = self.field(addr, "__dict__")
        if d is not None:
            for k, v in self.entries(d).items():
                r.setdefault(k, v)
        return r
