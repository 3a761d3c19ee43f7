# SPDX-License-Identifier: MIT
"""`pyheap serve`: the JSON API against a running server.

On the hand-made dumps of test_analyze_cli.py (every number known) and on real
dumps of tests/targets/serve_target.py: every route answers the document the
command line prints with --json, byte for byte (with ?pretty=1, which indents
as the CLI does); paging keeps the filters; bad requests get a JSON 4xx and
the server keeps serving; the Host header is checked.
"""
import json
import os
import subprocess
import time

import pytest

from serveutil import Server, cli_json, real_dumps
from test_analyze_cli import A, TOOL, run


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory):
    d = tmp_path_factory.mktemp("serve-fixtures")
    out = {}
    for name in ("app", "app-grown"):
        p = str(d / (name + ".pyheap"))
        r = run(TOOL, "fixture", name, "-o", p)
        assert r.returncode == 0, r.stderr
        out[name] = p
    return out


@pytest.fixture(scope="module")
def pyheap_bin():
    from conftest import PYHEAP
    return PYHEAP


@pytest.fixture(scope="module")
def diff_server(pyheap_bin, fixtures):
    with Server(pyheap_bin, fixtures["app"], fixtures["app-grown"]) as s:
        yield s
        assert s.stop() == 0


@pytest.fixture(scope="module")
def one_server(pyheap_bin, fixtures):
    with Server(pyheap_bin, fixtures["app"]) as s:
        yield s


# (API path, CLI arguments): the same document. NEW is app-grown, OLD app.
def routes(old, new):
    g = lambda i: "0x%x" % (0x7F0000100000 + 0x40 * i)  # app-grown moved every address
    return [
        ("/api/summary", ["summary", new]),
        ("/api/summary?limit=3", ["summary", "-n", "3", new]),
        ("/api/summary?dump=old", ["summary", old]),
        ("/api/histogram", ["histogram", new]),
        ("/api/histogram?by=owner&limit=5", ["histogram", "--by", "owner", "-n", "5", new]),
        ("/api/histogram?by=module", ["histogram", "--by", "module", new]),
        ("/api/histogram?by=via", ["histogram", "--by", "via", new]),
        ("/api/histogram?by=referrer&kind=dict%20of%20app.Node&limit=5",
         ["histogram", "--by", "referrer", "--kind", "dict of app.Node", "-n", "5", new]),
        ("/api/histogram?by=size&kind=bytes&kind_by=type&dump=old",
         ["histogram", "--by", "size", "--kind", "bytes", "--kind-by", "type", old]),
        ("/api/top", ["top", new]),
        ("/api/top?limit=4&kind=dict", ["top", "-n", "4", "--type", "dict", new]),
        ("/api/objects?limit=50", ["top", "-n", "50", new]),
        ("/api/objects?sort=size&offset=3&limit=5", ["top", "--sort", "size", "--offset", "3", "-n", "5", new]),
        ("/api/objects?kind=dict%20of%20app.Node&by=owner&limit=50",
         ["top", "--by", "owner", "--type", "dict of app.Node", "-n", "50", new]),
        ("/api/objects?q=payload&sort=size&limit=50", ["top", "--query", "payload", "--sort", "size", "-n", "50", new]),
        ("/api/objects?q=pay&kind=bytes&offset=1&limit=2",
         ["top", "--query", "pay", "--type", "bytes", "--offset", "1", "-n", "2", new]),
        ("/api/objects?dump=old&limit=50", ["top", "-n", "50", old]),
        ("/api/threads", ["threads", new]),
        ("/api/suspects", ["suspects", new]),
        ("/api/suspects?threshold=2.5", ["suspects", "--threshold", "2.5", new]),
        ("/api/waste", ["waste", new]),
        ("/api/waste?limit=3&dump=old", ["waste", "-n", "3", old]),
        ("/api/paths?kind=bytes", ["paths", "--kind", "bytes", new]),
        ("/api/paths?kind=dict%20of%20app.Node&by=owner&limit=2&dump=old",
         ["paths", "--kind", "dict of app.Node", "--by", "owner", "-n", "2", old]),
        ("/api/leaks", ["leaks", old, new]),
        ("/api/leaks?limit=1", ["leaks", "-n", "1", old, new]),
        ("/api/diff", ["diff", old, new]),
        ("/api/diff?by=owner&all=1&limit=3", ["diff", "--by", "owner", "--all", "-n", "3", old, new]),
        ("/api/objects/" + A(5) + "?dump=old", ["object", old, A(5)]),
        ("/api/objects/" + A(0) + "?dump=old&limit=1", ["object", "-n", "1", old, A(0)]),
        ("/api/paths/" + A(23) + "?dump=old", ["paths", old, A(23)]),
        ("/api/paths/" + A(24) + "?dump=old&limit=1", ["paths", "-n", "1", old, A(24)]),
    ]


def test_every_route_is_the_cli_document(diff_server, pyheap_bin, fixtures):
    old, new = fixtures["app"], fixtures["app-grown"]
    # objects of the new dump by address, as the CLI finds them
    top = json.loads(cli_json(pyheap_bin, "top", "-n", "100", new))["rows"]
    extra = [("/api/objects/" + r["address"], ["object", new, r["address"]]) for r in top[:6]]
    extra += [("/api/paths/" + r["address"] + "?limit=3", ["paths", "-n", "3", new, r["address"]])
              for r in top[:6]]
    for path, args in routes(old, new) + extra:
        want = cli_json(pyheap_bin, *args)
        sep = "&" if "?" in path else "?"
        status, headers, body = diff_server.request(path + sep + "pretty=1")
        assert status == 200, (path, body)
        assert body.decode() == want, (path, args)
        # and compact without pretty=1, the same document
        assert diff_server.get(path) == json.loads(want), path


def test_api_speaks_the_fixture_answers(diff_server):
    s = diff_server.get("/api/summary?dump=old")
    assert s["objects"] == 29 and s["total_size"] == 7026
    assert s["unreachable"] == {"objects": 2, "size": 500, "native": 0}
    o = diff_server.get("/api/objects/%s?dump=old" % A(5))
    assert o["retained"] == 2546 and o["path"] == "sys.modules['app'].__dict__['cache']"
    # decimal addresses, as PyHeap's links write them
    assert diff_server.get("/api/objects/%d?dump=old" % int(A(5), 16)) == o
    t = diff_server.get("/api/tree/root?dump=old&depth=1&limit=3")
    assert t["retained"] == 7026 and t["children_count"] == len(t["children"]) + sum(
        g["count"] for g in t["groups"])
    assert [c["id"] for c in t["children"]] == [A(0), A(12), A(26)]
    assert sum(c["retained"] for c in t["children"]) + sum(g["retained"] for g in t["groups"]) == 7026
    sub = diff_server.get("/api/tree/%s?dump=old" % A(5))
    assert sub["dominator"] == A(3) and sub["retained"] == 2546
    frame = diff_server.get("/api/tree/frame:1?dump=old&depth=0")
    assert frame["name"].startswith("<thread 'MainThread'>") and "children" not in frame
    info = diff_server.get("/api/server")
    assert info["objects"] == 40 and info["old_file"].endswith("app.pyheap") and info["max_limit"] == 1000


def test_paging_keeps_the_filters(diff_server):
    full = diff_server.get("/api/objects?dump=old&limit=1000")
    assert full["total"] == 29 and len(full["rows"]) == 29
    pages = []
    for off in range(0, 29, 7):
        p = diff_server.get("/api/objects?dump=old&limit=7&offset=%d" % off)
        assert p["total"] == 29 and p["offset"] == off
        pages += p["rows"]
    assert pages == full["rows"]
    rs = [r["retained"] for r in full["rows"]]
    assert rs == sorted(rs, reverse=True)
    # kind and value filters, on every page
    d1 = diff_server.get("/api/objects?dump=old&kind=dict&limit=4")
    d2 = diff_server.get("/api/objects?dump=old&kind=dict&limit=4&offset=4")
    assert d1["total"] == d2["total"] == 7
    assert len(d1["rows"]) == 4 and len(d2["rows"]) == 3
    assert {r["type"] for r in d1["rows"] + d2["rows"]} == {"dict"}
    q = diff_server.get("/api/objects?dump=old&q=payload-&limit=2&offset=2")
    assert q["total"] == 3 and [r["value"] for r in q["rows"]] == ["b'payload-2'"]
    # empty filters are no filters
    assert diff_server.get("/api/objects?dump=old&kind=&q=&limit=1000")["rows"] == full["rows"]
    none = diff_server.get("/api/objects?dump=old&kind=no.Such&limit=5")
    assert none["total"] == 0 and none["rows"] == []
    past = diff_server.get("/api/objects?dump=old&offset=100")
    assert past["total"] == 29 and past["rows"] == []
    sz = diff_server.get("/api/objects?dump=old&sort=size&limit=1000")
    sizes = [r["size"] for r in sz["rows"]]
    assert sizes == sorted(sizes, reverse=True) and sz["sort"] == "size"
    # the new dump (answered from the index) pages the same way as a scan would
    n = diff_server.get("/api/objects?by=owner&kind=dict%20of%20app.Node&limit=2&offset=3")
    assert n["total"] == 5 and len(n["rows"]) == 2
    big = diff_server.get("/api/objects?limit=5000", expect=400)
    assert "limit" in big["error"]


BAD = [
    ("/api/nope", 404, "no such API route"),
    ("/api/objects/0x1234", 404, "no object at address 0x1234"),
    ("/api/objects/zzz", 400, "not an address"),
    ("/api/objects/-1", 400, "not an address"),
    ("/api/objects/0x", 400, "not an address"),
    ("/api/objects/99999999999999999999999", 400, "not an address"),
    ("/api/paths/0xffffffffffffffff", 404, "no object"),
    ("/api/paths/%s?limit=0" % A(5), 400, "limit takes an integer from 1 to 100"),
    ("/api/objects?limit=0", 400, "limit takes an integer from 1 to 1000"),
    ("/api/objects?limit=-5", 400, "limit"),
    ("/api/objects?limit=1e3", 400, "limit"),
    ("/api/objects?offset=99999999999999999999", 400, "offset"),
    ("/api/objects?sort=name", 400, "sort takes retained or size"),
    ("/api/objects?by=color", 400, "by takes type, owner, module, via, referrer, size or site"),
    ("/api/objects?kind=a&kind=b", 400, "given twice"),
    ("/api/objects?q=" + "x" * 2000, 400, "longer than 1024"),
    ("/api/summary?bogus=1", 400, "unknown parameter 'bogus'"),
    ("/api/threads?limit=3", 400, "unknown parameter 'limit'"),
    ("/api/suspects?threshold=0", 400, "threshold"),
    ("/api/suspects?threshold=abc", 400, "threshold"),
    ("/api/suspects?threshold=nan", 400, "threshold"),
    ("/api/diff?all=maybe", 400, "all takes"),
    ("/api/tree/thread:99", 404, "no thread 99"),
    ("/api/tree/frame:x", 404, "no frame"),
    ("/api/tree/root?depth=9", 400, "depth"),
    ("/api/tree/root?depth=3&limit=50", 400, "too many nodes"),
    ("/api/summary?dump=older", 400, "dump takes new or old"),
    ("/api/" + "a/" * 20 + "?" + "&".join("p%d=1" % i for i in range(20)), 400, "more than 16 parameters"),
    ("/nope", 404, "no such page"),
    ("/assets/../../../etc/passwd", 404, "no such page"),
    ("/assets/%2e%2e/%2e%2e/etc/passwd", 404, "no such page"),
    ("/assets/app.js/../../pyheap", 404, "no such page"),
    ("/objects", 404, "no such page"),
    ("/index.html/..", 404, "no such page"),
    ("/api/../../etc/passwd", 404, None),
]


def test_bad_requests_get_json_errors(diff_server):
    for path, status, words in BAD:
        st, headers, body = diff_server.request(path)
        assert st == status, (path, st, body[:300])
        assert headers["content-type"] == "application/json; charset=utf-8", path
        doc = json.loads(body)
        assert doc["status"] == status and (words is None or words in doc["error"]), (path, doc)
    for method in ("POST", "PUT", "DELETE", "OPTIONS"):
        st, headers, body = diff_server.request("/api/summary", method=method)
        assert st == 405 and json.loads(body)["status"] == 405 and headers["allow"] == "GET, HEAD"
    # still serving, and still right
    assert diff_server.get("/api/summary?dump=old")["objects"] == 29


def test_one_dump_has_no_diff(one_server):
    assert "no diff" in one_server.get("/api/diff", expect=404)["error"]
    assert "no leaks" in one_server.get("/api/leaks", expect=404)["error"]
    assert "no object is of kind" in one_server.get("/api/paths?kind=no.Such", expect=404)["error"]
    assert "takes kind=KIND" in one_server.get("/api/paths", expect=400)["error"]
    assert "only one dump" in one_server.get("/api/summary?dump=old", expect=400)["error"]
    assert one_server.get("/api/server")["old_file"] is None


def test_host_header_is_checked(one_server):
    port = one_server.port
    for host in ("localhost:%d" % port, "127.0.0.1:%d" % port, "LOCALHOST:%d" % port):
        assert one_server.request("/api/server", host=host)[0] == 200, host
    for host in ("evil.example:%d" % port, "evil.example", "127.0.0.1", "localhost:%d" % (port + 1),
                 "127.0.0.1.evil.example:%d" % port, "[::1]x:%d" % port, "", "localhost:%dx" % port,
                 "10.0.0.1:%d" % port):
        st, headers, body = one_server.request("/api/server", host=host)
        assert st == 403, (host, st)
        assert "DNS rebinding" in json.loads(body)["error"]
    # the page itself is refused too, and an HTTP/1.0 request without Host
    assert one_server.request("/", host="attacker.example:%d" % port)[0] == 403
    answer = one_server.raw(b"GET /api/server HTTP/1.0\r\n\r\n")
    assert answer.startswith(b"HTTP/1.0 403") or answer.startswith(b"HTTP/1.1 403"), answer[:100]


def test_security_headers_and_assets(one_server):
    st, headers, body = one_server.request("/heap?kind=dict")
    assert st == 200 and headers["content-type"] == "text/html; charset=utf-8"
    csp = headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "default-src 'none'" in csp
    assert headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY"
    assert b'<script type="module" src="/assets/app.js">' in body and b"<script>" not in body
    for path in ("/", "/threads", "/suspects", "/waste", "/paths", "/diff", "/objects/0x7f0000100000",
                 "/objects/42"):
        assert one_server.request(path)[2] == body, path
    st, headers, js = one_server.request("/assets/app.js")
    assert st == 200 and headers["content-type"].startswith("text/javascript") and len(js) > 10000
    st, headers, css = one_server.request("/assets/style.css")
    assert st == 200 and headers["content-type"].startswith("text/css")
    st, headers, lic = one_server.request("/assets/LICENSES.txt")
    assert st == 200 and b"preact" in lic and b"d3-hierarchy" in lic and b"htm" in lic
    # the API is not cacheable; HEAD answers without a body
    assert one_server.request("/api/summary")[1]["cache-control"] == "no-store"
    st, headers, body = one_server.request("/api/summary", method="HEAD")
    assert st == 200 and body == b""


def test_malformed_requests(one_server):
    for data in (b"garbage\r\n\r\n", b"GET\r\n\r\n", b"GET /api/server\r\n\r\n",
                 b"GET /api/server HTTP/9.9\r\nHost: x\r\n\r\n",
                 b"GET /api/server HTTP/1.1\r\nHost localhost\r\n\r\n",
                 b"GET /api/\x00summary HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % one_server.port,
                 b"GET /api/objects?q=%%zz%%00 HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % one_server.port,
                 b"GET /" + b"a" * 100000 + b" HTTP/1.1\r\n\r\n",
                 b"GET /api/server HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nX: " % one_server.port + b"y" * 100000 + b"\r\n\r\n",
                 b"\xff\xfe\xfd" * 1000, b""):
        answer = one_server.raw(data, timeout=3)  # a request that never ends is left to time out
        if b"%%00" in data or b"%00" in data:
            assert answer.startswith(b"HTTP/1.1 400") and b"NUL byte" in answer, answer[:300]
        if answer:
            status = int(answer.split(b" ", 2)[1])
            # HTTP/9.9 is answered as HTTP says: 505 Version Not Supported
            assert 400 <= status < 500 or (status == 505 and b"HTTP/9.9" in data), (data[:60], answer[:200])
        assert one_server.get("/api/server")["objects"] == 29


def test_fifty_concurrent_clients(one_server):
    import concurrent.futures as cf

    paths = ["/api/summary", "/api/objects?limit=5&offset=%d", "/api/objects/%s" % A(5),
             "/api/paths/%s" % A(23), "/api/histogram?by=owner", "/api/tree/root", "/api/threads",
             "/api/suspects", "/api/objects?kind=dict&offset=%d&limit=2", "/api/nope"]
    expect = {}
    for p in paths:
        pp = p % 1 if "%d" in p else p
        st, _, body = one_server.request(pp)
        expect[pp] = (st, body)

    def client(k):
        for i in range(12):
            p = paths[(k + i) % len(paths)]
            pp = p % 1 if "%d" in p else p
            st, _, body = one_server.request(pp)
            assert (st, body) == expect[pp], (k, pp, st)
        return k

    with cf.ThreadPoolExecutor(max_workers=50) as ex:
        assert sorted(ex.map(client, range(50))) == list(range(50))


def test_serve_command_line(pyheap_bin, fixtures, tmp_path):
    r = subprocess.run([pyheap_bin, "serve", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "--bind" in r.stdout and "--open" in r.stdout
    r = subprocess.run([pyheap_bin, "serve"], capture_output=True, text=True)
    assert r.returncode == 2 and "expected FILE, or OLD and NEW" in r.stderr
    r = subprocess.run([pyheap_bin, "serve", "--port", "70000", fixtures["app"]], capture_output=True, text=True)
    assert r.returncode == 2 and "--port takes 0 to 65535" in r.stderr
    r = subprocess.run([pyheap_bin, "serve", str(tmp_path / "missing.pyheap")], capture_output=True, text=True)
    assert r.returncode == 1 and "missing.pyheap" in r.stderr
    bad = tmp_path / "bad.pyheap"
    bad.write_bytes(b"not a dump at all")
    r = subprocess.run([pyheap_bin, "serve", "--port", "0", str(bad)], capture_output=True, text=True)
    assert r.returncode == 3
    r = subprocess.run([pyheap_bin, "serve", "--port", "0", "--bind", "not-an-ip", fixtures["app"]],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "not an IP address" in r.stderr
    with Server(pyheap_bin, fixtures["app"]) as s:
        # a port in use is a clear error
        r = subprocess.run([pyheap_bin, "serve", "--port", str(s.port), fixtures["app"]],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 1 and "cannot listen on 127.0.0.1 port %d" % s.port in r.stderr
        assert "loading" in "\n".join(s.stderr) and "(Ctrl-C stops it)" in s.stdout
        assert s.stop() == 0
    # --open hands the URL to xdg-open
    bindir = tmp_path / "bin"
    bindir.mkdir()
    opener = bindir / "xdg-open"
    opener.write_text("#!/bin/sh\necho \"$1\" > %s/opened\n" % tmp_path)
    opener.chmod(0o755)
    env = dict(os.environ, PATH="%s:%s" % (bindir, os.environ.get("PATH", "")))
    with Server(pyheap_bin, "--open", fixtures["app"], env=env) as s:
        for _ in range(200):
            if (tmp_path / "opened").exists():
                break
            time.sleep(0.05)
        assert (tmp_path / "opened").read_text().strip() == s.url
    # any address: a warning, and the Host header may name any address of the machine
    with Server(pyheap_bin, "--bind", "0.0.0.0", fixtures["app"]) as s:
        assert s.wait_stderr("warning: listening on 0.0.0.0"), s.stderr
        assert s.request("/api/server", host="127.0.0.1:%d" % s.port)[0] == 200
        assert s.request("/api/server", host="evil.example:%d" % s.port)[0] == 403


# ---- real dumps ----

@pytest.fixture(scope="module")
def real(pyheap_bin, tmp_path_factory):
    old, new = real_dumps(pyheap_bin, tmp_path_factory.mktemp("serve-real"))
    with Server(pyheap_bin, old, new) as s:
        yield s, old, new


def test_real_dump_routes_are_the_cli_documents(real, pyheap_bin):
    s, old, new = real
    xss = s.get("/api/objects?q=%3Cscript%3Ewindow&kind=str")
    assert xss["total"] >= 1
    addr = xss["rows"][0]["address"]
    sessions = s.get("/api/objects?kind=__main__.Session&limit=3")
    assert sessions["total"] == 500 + 1 + 300 + 40
    sess = sessions["rows"][0]["address"]
    for path, args in [
        ("/api/summary", ["summary", new]),
        ("/api/histogram?by=owner&limit=30", ["histogram", "--by", "owner", "-n", "30", new]),
        ("/api/objects?kind=__main__.Session&limit=3", ["top", "--type", "__main__.Session", "-n", "3", new]),
        ("/api/objects?q=%3Cscript%3Ewindow&kind=str", ["top", "--query", "<script>window", "--type", "str", "-n", "50", new]),
        ("/api/objects?q=user-1&sort=size&offset=5&limit=20",
         ["top", "--query", "user-1", "--sort", "size", "--offset", "5", "-n", "20", new]),
        ("/api/objects/" + addr, ["object", new, addr]),
        ("/api/objects/" + sess, ["object", new, sess]),
        ("/api/paths/" + sess, ["paths", new, sess]),
        ("/api/threads", ["threads", new]),
        ("/api/suspects?threshold=5", ["suspects", "--threshold", "5", new]),
        ("/api/diff", ["diff", old, new]),
    ]:
        want = cli_json(pyheap_bin, *args)
        st, _, body = s.request(path + ("&" if "?" in path else "?") + "pretty=1")
        assert st == 200 and body.decode() == want, path


def test_real_dump_content(real):
    s, old, new = real
    xss = s.get("/api/objects?q=%3Cimg%20src%3Dx&kind=str")
    assert any(r["value"] == "'<img src=x onerror=\"window.__pyheap_xss=\\'img\\'\">'" for r in xss["rows"]), xss
    threads = s.get("/api/threads")["threads"]
    worker = [t for t in threads if t["name"] == "serve-worker"]
    assert len(worker) == 1
    frame = [f for f in worker[0]["frames"] if f["function"] == "worker"][0]
    pending = [loc for loc in frame["locals"] if loc["name"] == "pending"][0]
    assert pending["type"] == "list" and pending["value"] == "[40 items]" and pending["retained"] > 40 * 1000
    cache = s.get("/api/objects?kind=__main__.Cache")["rows"][0]
    paths = s.get("/api/paths/" + cache["address"])
    assert paths["paths"][0]["expr"] == "sys.modules['__main__'].__dict__['CACHE']"
    assert [st["label"] for st in paths["paths"][0]["steps"]][-1] == "['CACHE']"
    diff = s.get("/api/diff?limit=100")
    grew = {r["kind"]: r for r in diff["rows"]}
    assert grew["__main__.Session"]["count_new"] - grew["__main__.Session"]["count_old"] == 300
    assert any(p["path"].startswith("sys.modules['__main__'].__dict__['CACHE']") for p in diff["paths"])
    old_cache = s.get("/api/objects?kind=__main__.Cache&dump=old")["rows"][0]
    assert old_cache["retained"] < cache["retained"]
