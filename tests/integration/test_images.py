# SPDX-License-Identifier: MIT
"""Shipping: the static binary (make static), the dumper and UI images (make
images, scripts/build-images) run the way a container engine runs them, and
make install. docs/containers.md says which of its commands these tests run.

The images are built with buildah (no engine), copied with skopeo into an OCI
layout, unpacked with umoci and run by tests/targets/oci_engine.py: namespaces,
mounts, chroot, Docker's default capabilities, as `docker run` would. The
targets run in the Debian root of scripts/pyroots (unstable's CPython 3.14) as
pid 1 of their own pid and mount namespaces, like a container of their own.
"""
import json
import os
import pathlib
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import pytest

from conftest import BUILD, PYHEAP, ROOT, TARGETS
import dumputil
import pythons

STATIC = os.path.join(BUILD, "static", "pyheap")
ENGINE = os.path.join(TARGETS, "oci_engine.py")
USER = (1000, 1000)  # the invoking user who owns the volume (no passwd entry needed)


@pytest.fixture(scope="module")
def static():
    if not os.access(STATIC, os.X_OK):
        pytest.fail("the static binary is not built: %s (make static)" % STATIC)
    return STATIC


def root_required():
    if os.getuid() != 0:
        pytest.skip("needs root: mount and pid namespaces, chroot (as a container engine does)")


def rooted_python():
    """The interpreter of a Debian root (a target in another root), or skip saying why."""
    py = next((p for p in pythons.SUPPORTED_PYTHONS if p.root and p.version == (3, 14)), None)
    py = py or next((p for p in pythons.SUPPORTED_PYTHONS if p.root), None)
    if py is None:
        pytest.skip("no Debian root with a CPython is built (make roots): %s"
                    % ("; ".join(pythons.NOTICES) or "scripts/pyroots list shows none"))
    return py


def check_dump(path, pid=None):
    """The file is a valid dump (pyheap validate) of a process that called itself pid."""
    r = subprocess.run([PYHEAP, "validate", path], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    s = json.loads(subprocess.run([PYHEAP, "summary", "--json", path], capture_output=True,
                                  text=True, timeout=60, check=True).stdout)
    assert s["objects"] > 1000 and s["threads"] >= 1
    if pid is not None:
        assert s["pid"] == pid
    return s


# ---- the static binary ----

def test_static_binary_has_no_dynamic_dependencies(static):
    d = subprocess.run(["readelf", "-d", "-l", static], capture_output=True, text=True,
                       check=True).stdout
    assert "NEEDED" not in d and "INTERP" not in d, d
    # the agent inside is still the shared object, linked against the target's libc
    agent = os.path.join(BUILD, "pyheap-agent.so")
    a = subprocess.run(["readelf", "-d", agent], capture_output=True, text=True, check=True).stdout
    assert "libc.so.6" in a
    # no TLS library came along with libmicrohttpd: its GnuTLS calls end in the stand-in
    # (src/static/notls.c) and nothing else of GnuTLS, nettle or p11-kit is linked in
    def symbols(path):
        out = subprocess.run(["nm", "--defined-only", path], capture_output=True, text=True,
                             check=True).stdout
        return {line.split()[-1] for line in out.splitlines() if line.strip()}
    tls = {n for n in symbols(static) if re.match(r"_?(gnutls|nettle|p11_kit|gmp|tasn1)", n)}
    stand_in = symbols(os.path.join(BUILD, "src", "static", "notls.o"))
    assert tls and tls <= stand_in, sorted(tls - stand_in)[:20]


def test_version_names_the_commit(static):
    r = subprocess.run(["git", "-C", ROOT, "describe", "--always"], capture_output=True,
                       text=True) if shutil.which("git") else None
    if r is None or r.returncode != 0:
        pytest.skip("no git or no git work tree here: the commit cannot be checked")
    for binary in (PYHEAP, static):
        out = subprocess.run([binary, "--version"], capture_output=True, text=True,
                             check=True).stdout
        m = re.fullmatch(r"pyheap \S+ \(commit (\S+), dump format \d+\.\d+\)\n", out)
        assert m, out
        # the commit built (with -dirty when the tree had changes): HEAD's, as git names it
        assert m.group(1).removesuffix("-dirty") == r.stdout.strip(), \
            "%s names %s, HEAD is %s: rebuild (make)" % (binary, m.group(1), r.stdout.strip())


def test_version_without_git_says_unknown():
    """Where git cannot name the commit (a source tarball), the Makefile says 'unknown'."""
    r = subprocess.run(["make", "-C", ROOT, "-p", "-n", "FORCE"], capture_output=True, text=True,
                       env=dict(os.environ, GIT_DIR="/nonexistent"), timeout=60)
    assert re.search(r"^PYHEAP_COMMIT := unknown$", r.stdout, re.M), r.stderr


def empty_root(static, tmp_path):
    """The static binary copied alone into an empty directory, to become the root."""
    root = tmp_path / "root"
    (root / "proc").mkdir(parents=True)
    (root / "out").mkdir()
    shutil.copy(static, root / "pyheap")
    assert sorted(os.listdir(root)) == ["out", "proc", "pyheap"]
    return root


def in_root(root, args):
    """/pyheap ARGS run in root, with this machine's /proc mounted there (what `kubectl cp`
    into a bare pod gives)."""
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c",
            'mount -t proc proc "$0/proc" && exec chroot "$0" /pyheap "$@"', str(root)] + args


def test_static_binary_alone_in_empty_root_dumps_host_process(static, tmp_path):
    root_required()
    with dumputil.Target("/usr/bin/python3", "sleep") as t:
        root = empty_root(static, tmp_path)
        cmd = in_root(root, ["dump", "--pid", str(t.pid), "-o", "/out/h.pyheap"])
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "written to /out/h.pyheap" in r.stdout
        check_dump(str(root / "out" / "h.pyheap"), t.pid)
        # the target goes on as before
        t.expect(r"waited sleep", timeout=10)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url, host=None, timeout=10):
    """(status, body) of a GET."""
    req = urllib.request.Request(url, headers={"Host": host} if host else {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def wait_http(url, proc, timeout=30):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            out, err = proc.communicate()
            raise AssertionError("server exited %s: %s %s" % (proc.returncode, out, err))
        try:
            return get(url, timeout=2)
        except (urllib.error.URLError, ConnectionError, socket.timeout):
            time.sleep(0.05)
    raise AssertionError("no answer from %s" % url)


def stop(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


@pytest.fixture(scope="module")
def small_dump(tmp_path_factory):
    """A dump of Debian's python3 in a known state, taken with the dynamic build."""
    d = tmp_path_factory.mktemp("dump")
    path = str(d / "heap.pyheap")
    with dumputil.Target("/usr/bin/python3", "sleep") as t:
        r = subprocess.run([PYHEAP, "dump", "--pid", str(t.pid), "-o", path, "-q"],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
    os.chmod(path, 0o644)
    return path


def test_static_binary_serves_its_embedded_ui(static, tmp_path, small_dump):
    root_required()
    root = empty_root(static, tmp_path)
    shutil.copy(small_dump, root / "out" / "heap.pyheap")
    port = free_port()
    cmd = in_root(root, ["serve", "--port", str(port), "/out/heap.pyheap"])
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        status, body = wait_http("http://127.0.0.1:%d/" % port, p)
        assert status == 200 and b"<html" in body.lower()
        scripts = re.findall(rb'src="(/[^"]+\.js)"', body)
        assert scripts, body[:500]
        status, js = get("http://127.0.0.1:%d%s" % (port, scripts[0].decode()))
        assert status == 200 and len(js) > 10000
        status, summary = get("http://127.0.0.1:%d/api/summary" % port)
        want = subprocess.run([PYHEAP, "summary", "--json", small_dump], capture_output=True,
                              check=True).stdout
        assert status == 200
        got, exp = json.loads(summary), json.loads(want)
        got.pop("file"), exp.pop("file")
        assert got == exp
    finally:
        assert stop(p) == 0


# ---- the images ----

@pytest.fixture(scope="module")
def images(tmp_path_factory):
    """scripts/build-images (what make images runs) into a fresh directory: the OCI layout."""
    missing = [t for t in ("buildah", "skopeo", "umoci") if not shutil.which(t)]
    if missing:
        pytest.skip("%s not installed (scripts/install-deps installs them): the images cannot "
                    "be built here" % ", ".join(missing))
    root_required()
    if not os.access(STATIC, os.X_OK):
        pytest.fail("the static binary is not built: %s (make static)" % STATIC)
    out = tmp_path_factory.mktemp("images")
    t0 = time.monotonic()
    r = subprocess.run([os.path.join(ROOT, "scripts", "build-images"), STATIC, str(out), "0.0-test",
                        "test"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    sys.stderr.write("images built in %.1f s: %s\n" % (time.monotonic() - t0, r.stdout.strip()))
    return out


def image(images, kind):
    return "oci:%s:pyheap-%s" % (images / "oci", kind)


def test_images_are_from_scratch_with_the_static_binary_alone(images, tmp_path):
    pyheap = "/usr/local/bin/pyheap"
    for kind, entry in (("dump", [pyheap]),
                        ("ui", [pyheap, "serve", "--bind", "0.0.0.0", "--port", "5000"])):
        cfg = json.loads(subprocess.run(["skopeo", "inspect", "--config", image(images, kind)],
                                        capture_output=True, text=True, check=True).stdout)
        assert cfg["config"]["Entrypoint"] == entry
        assert cfg["config"]["Labels"]["org.opencontainers.image.revision"] == "test"
        manifest = json.loads(subprocess.run(["skopeo", "inspect", "--raw", image(images, kind)],
                                             capture_output=True, text=True, check=True).stdout)
        assert len(manifest["layers"]) == 1  # FROM scratch: the one COPY
        bundle = tmp_path / kind
        subprocess.run(["umoci", "unpack", "--image", "%s:pyheap-%s" % (images / "oci", kind),
                        str(bundle)], check=True, capture_output=True)
        files = sorted(os.path.relpath(os.path.join(d, f), bundle / "rootfs")
                       for d, _, fs in os.walk(bundle / "rootfs") for f in fs)
        assert files == ["usr/local/bin/pyheap"]
        d = subprocess.run(["readelf", "-d", str(bundle / "rootfs" / pyheap.lstrip("/"))],
                           capture_output=True, text=True, check=True).stdout
        assert "NEEDED" not in d
    sizes = dict(line.split() for line in (images / "sizes").read_text().splitlines())
    assert set(sizes) == {"pyheap-dump", "pyheap-ui"}


def engine(images, tmp_path, kind, *args):
    """The command line of oci_engine.py running image pyheap-KIND: args before '--' are the
    engine's options (docker run's), those after it the container's arguments."""
    args = list(args)
    i = args.index("--") if "--" in args else len(args)
    cmd = [sys.executable, ENGINE, "--bundles", str(tmp_path)] + args[:i] + \
        [image(images, kind)] + args[i + 1:]
    return cmd


def volume(tmp_path, name="heap-dumps"):
    """A volume directory owned by the invoking (non-root) user, mode 0755."""
    v = tmp_path / name
    v.mkdir()
    os.chown(v, *USER)
    return v


DOCKER_CAPS = ",".join("+" + c.lower() for c in (
    "chown", "dac_override", "fsetid", "fowner", "mknod", "net_raw", "setgid", "setuid", "setfcap",
    "setpcap", "net_bind_service", "sys_chroot", "kill", "audit_write"))


def rooted_target(py, user=None, docker_caps=False):
    """dump_target.py in a Debian root, as pid 1 of its own namespaces (own container): as
    root with every capability, as user (uid, gid), or as root with only Docker's default
    capabilities (what a container's process has)."""
    if user is None and not docker_caps:
        return dumputil.Target(py.path, "sleep")
    if user:
        prefix = ["setpriv", "--reuid=%d" % user[0], "--regid=%d" % user[1], "--clear-groups"]
    else:
        prefix = ["setpriv", "--bounding-set=-all," + DOCKER_CAPS, "--inh-caps=-all"]
    t = dumputil.Target(py.exe, "sleep", argv_prefix=[pythons.PYROOTS, "run", py.root.rstrip("/")
                                                      .rsplit("/", 1)[1]] + prefix)
    t.pid = pythons.ns_host_pid(t.proc.pid, 1)
    return t


def test_dump_image_with_target_pid_namespace(images, tmp_path):
    """docker run --pid=container:APP --cap-add=SYS_PTRACE --read-only -v VOL:/heap-dumps
    pyheap-dump dump --pid 1 -o /heap-dumps/heap.pyheap, the target in another root. The engine runs as
    root, so the file is root's (0600) in the user's volume: docs/containers.md says so and
    gives --user for a dump the user owns (next test)."""
    py = rooted_python()
    vol = volume(tmp_path)
    with rooted_target(py) as t:
        # without CAP_SYS_PTRACE (Docker's default set) the target, root with every
        # capability, cannot be traced: a clear refusal, and nothing left in the volume
        r = subprocess.run(engine(images, tmp_path, "dump", "--pid", "container:%d" % t.pid,
                                  "-v", "%s:/heap-dumps" % vol, "--", "dump", "--pid", "1",
                                  "-o", "/heap-dumps/heap.pyheap"),
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 4, r.stdout + r.stderr
        assert "CAP_SYS_PTRACE" in r.stderr and "--cap-add=SYS_PTRACE" in r.stderr
        assert os.listdir(vol) == []
        r = subprocess.run(engine(images, tmp_path, "dump", "--pid", "container:%d" % t.pid,
                                  "--cap-add", "SYS_PTRACE", "--read-only",
                                  "-v", "%s:/heap-dumps" % vol, "--",
                                  "dump", "--pid", "1", "-o", "/heap-dumps/heap.pyheap"),
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "written to /heap-dumps/heap.pyheap" in r.stdout
        t.expect(r"waited sleep", timeout=10)
        # the image's own root is read-only there: only the volume takes the dump
        r = subprocess.run(engine(images, tmp_path, "dump", "--pid", "container:%d" % t.pid,
                                  "--cap-add", "SYS_PTRACE", "--read-only", "--", "dump",
                                  "--pid", "1", "-o", "/heap.pyheap"),
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 1 and "Read-only file system" in r.stderr, r.stdout + r.stderr
    out = vol / "heap.pyheap"
    st = os.stat(out)
    assert (st.st_uid, st.st_gid, st.st_mode & 0o777) == (0, 0, 0o600)
    assert os.listdir(vol) == ["heap.pyheap"]
    s = check_dump(str(out), 1)
    assert s["python_version"].startswith("%d.%d." % py.version)


def test_dump_image_without_cap_add_for_a_target_with_docker_capabilities(images, tmp_path):
    """docker run --pid=container:APP pyheap-dump dump --pid 1, no --cap-add: when APP runs
    as root with Docker's default capabilities (what a container's root has), the kernel lets
    a dumper with the same set trace it; Docker's seccomp rules refuse pidfd_getfd (pyheap
    then opens the target's files through /proc/PID/fd) and perf_event_open."""
    py = rooted_python()
    vol = volume(tmp_path)
    with rooted_target(py, docker_caps=True) as t:
        with open("/proc/%d/status" % t.pid) as f:
            assert re.search(r"^CapEff:\t00000000a80425fb$", f.read(), re.M)
        r = subprocess.run(engine(images, tmp_path, "dump", "--pid", "container:%d" % t.pid,
                                  "-v", "%s:/heap-dumps" % vol, "--", "dump", "--pid", "1",
                                  "-o", "/heap-dumps/heap.pyheap"),
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stdout + r.stderr
        t.expect(r"waited sleep", timeout=10)
    check_dump(str(vol / "heap.pyheap"), 1)


def test_engine_seccomp_rules_refuse_what_docker_refuses():
    """The filter the engine installs (seccomp_deny) fails the named calls with EPERM."""
    code = ("import ctypes; l = ctypes.CDLL(None, use_errno=True); "
            "print(l.syscall(438, -1, 0, 0), ctypes.get_errno(), l.syscall(39))")
    r = subprocess.run([sys.executable, os.path.join(TARGETS, "seccomp_deny.py"), "438,298",
                        sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    rv, err, pid = r.stdout.split()
    assert (int(rv), int(err)) == (-1, 1) and int(pid) > 0  # pidfd_getfd: EPERM; getpid works


def test_dump_image_with_host_pid_namespace(images, tmp_path):
    """docker run --pid=host --cap-add=SYS_PTRACE -v VOL:/heap-dumps pyheap-dump dump
    --pid HOSTPID: the target, in its own root and namespaces, named by this machine's pid."""
    py = rooted_python()
    vol = volume(tmp_path)
    with rooted_target(py) as t:
        r = subprocess.run(engine(images, tmp_path, "dump", "--pid", "host", "--cap-add",
                                  "SYS_PTRACE", "-v", "%s:/heap-dumps" % vol, "--", "dump",
                                  "--pid", str(t.pid), "-o", "/heap-dumps/heap.pyheap"),
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stdout + r.stderr
    s = check_dump(str(vol / "heap.pyheap"))
    assert s["python_version"].startswith("%d.%d." % py.version)


def test_kubectl_debug_recipe(images, tmp_path):
    """kubectl debug -it POD --image=pyheap-dump --target=APP --profile=general -- pyheap
    dump --pid 1 -o /proc/1/root/tmp/heap.pyheap: an ephemeral container in the target's
    pid namespace, no volume, the command given by name (found in the image's PATH); the
    dump lands in the target container's own /tmp, where `kubectl cp` (the target's tar)
    reads it."""
    py = rooted_python()
    name = "pyheap-kubectl-%d.pyheap" % os.getpid()
    with rooted_target(py) as t:
        r = subprocess.run(engine(images, tmp_path, "dump", "--pid", "container:%d" % t.pid,
                                  "--cap-add", "SYS_PTRACE", "--entrypoint", "pyheap", "--",
                                  "dump", "--pid", "1", "-o", "/proc/1/root/tmp/" + name),
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stdout + r.stderr
        in_target = "/proc/%d/root/tmp/%s" % (t.pid, name)
        try:
            check_dump(in_target, 1)
        finally:
            if os.path.exists(in_target):
                os.unlink(in_target)


def test_dump_image_as_the_invoking_user(images, tmp_path):
    """docker run --user UID:GID --pid=container:APP --cap-add=SYS_PTRACE -v VOL:/heap-dumps
    pyheap-dump dump --pid 1, for a target that runs as that user: the dump (written to the
    image's working directory, /heap-dumps, under its default name) is the user's."""
    py = rooted_python()
    vol = volume(tmp_path)
    with rooted_target(py, USER) as t:
        with open("/proc/%d/status" % t.pid) as f:
            assert re.search(r"^Uid:\t%d\t" % USER[0], f.read(), re.M)
        r = subprocess.run(engine(images, tmp_path, "dump", "--pid", "container:%d" % t.pid,
                                  "--user", "%d:%d" % USER, "--cap-add", "SYS_PTRACE",
                                  "-v", "%s:/heap-dumps" % vol, "--", "dump", "--pid", "1"),
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stdout + r.stderr
    names = os.listdir(vol)
    assert len(names) == 1 and re.fullmatch(r"pyheap-1-\d{8}-\d{6}\.pyheap", names[0]), names
    st = os.stat(vol / names[0])
    assert (st.st_uid, st.st_gid, st.st_mode & 0o777) == (USER[0], USER[1], 0o600)
    check_dump(str(vol / names[0]), 1)


def test_dump_image_as_another_user_is_refused(images, tmp_path):
    """A non-root dumper has no capabilities (Docker clears them for --user): a root target
    is out of its reach, whatever --cap-add says."""
    py = rooted_python()
    vol = volume(tmp_path)
    with rooted_target(py) as t:
        r = subprocess.run(engine(images, tmp_path, "dump", "--pid", "container:%d" % t.pid,
                                  "--user", "%d:%d" % USER, "--cap-add", "SYS_PTRACE",
                                  "-v", "%s:/heap-dumps" % vol, "--", "dump", "--pid", "1"),
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 4, r.stdout + r.stderr
        assert "not permitted" in r.stderr
    assert os.listdir(vol) == []


def test_ui_image_serves_a_published_port(images, tmp_path, small_dump):
    """docker run -p 127.0.0.1:P:P -v VOL:/heap-dumps:ro pyheap-ui --port P
    /heap-dumps/heap.pyheap: the server listens on 0.0.0.0 in a network namespace of its
    own, and a request from this machine's namespace reaches it through the published
    port. A port published under another number is refused by the Host check (403)."""
    vol = volume(tmp_path)
    shutil.copy(small_dump, vol / "heap.pyheap")
    port = free_port()
    p = subprocess.Popen(engine(images, tmp_path, "ui", "--network", "none", "-p",
                                "127.0.0.1:%d:%d" % (port, port), "-v", "%s:/heap-dumps:ro" % vol,
                                "--", "--port", str(port), "/heap-dumps/heap.pyheap"),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        status, body = wait_http("http://127.0.0.1:%d/" % port, p)
        assert status == 200 and b"<html" in body.lower()
        status, summary = get("http://127.0.0.1:%d/api/summary" % port)
        assert status == 200
        want = json.loads(subprocess.run([PYHEAP, "summary", "--json", small_dump],
                                         capture_output=True, check=True).stdout)
        got = json.loads(summary)
        assert got["file"] == "/heap-dumps/heap.pyheap"
        got.pop("file"), want.pop("file")
        assert got == want
        # the server is in its own network namespace: not on this machine's port itself
        # (the engine's forwarder is what listens here)
        ns = os.readlink("/proc/self/ns/net")
        ui_pid = pythons.ns_host_pid(p.pid, 1)
        assert os.readlink("/proc/%d/ns/net" % ui_pid) != ns
    finally:
        assert stop(p) == 0
    out, err = p.communicate()
    assert "listening on 0.0.0.0" in err
    # published under another port number: the Host header names it, the server refuses
    hport, cport = free_port(), free_port()
    p = subprocess.Popen(engine(images, tmp_path, "ui", "--network", "none", "-p",
                                "127.0.0.1:%d:%d" % (hport, cport), "-v",
                                "%s:/heap-dumps:ro" % vol, "--", "--port", str(cport),
                                "/heap-dumps/heap.pyheap"),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        status, body = wait_http("http://127.0.0.1:%d/api/summary" % hport, p)
        assert status == 403 and b"does not name this server" in body
        status, body = get("http://127.0.0.1:%d/api/summary" % hport,
                           host="127.0.0.1:%d" % cport)
        assert status == 200
    finally:
        stop(p)


def test_docs_process_listing():
    """The sidecar's listing of processes in docs/containers.md, run as written there."""
    with open(os.path.join(ROOT, "docs", "containers.md")) as f:
        m = re.search(r"-- sh -c '(for p in [^']+)'", f.read())
    assert m, "the listing is gone from docs/containers.md"
    with dumputil.Target("/usr/bin/python3", "sleep") as t:
        # Other processes' command lines are whatever bytes they were started with.
        out = subprocess.run(["sh", "-c", m.group(1)], capture_output=True,
                             timeout=60).stdout.decode("utf-8", "surrogateescape")
    assert re.search(r"^%d /usr/bin/python3 %s sleep " % (t.pid, re.escape(dumputil.TARGET)),
                     out, re.M), out[-2000:]


# ---- make install ----

def test_make_install_into_destdir(tmp_path):
    dest = tmp_path / "dest"
    r = subprocess.run(["make", "-s", "-C", ROOT, "install", "DESTDIR=%s" % dest, "PREFIX=/opt/ph",
                        "INSTALL_BIN=%s" % os.path.abspath(PYHEAP)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    binary = dest / "opt" / "ph" / "bin" / "pyheap"
    man = dest / "opt" / "ph" / "share" / "man" / "man1" / "pyheap.1"
    assert os.stat(binary).st_mode & 0o777 == 0o755
    assert os.stat(man).st_mode & 0o777 == 0o644
    with open(PYHEAP, "rb") as a, open(binary, "rb") as b:
        assert a.read() == b.read()
    with open(os.path.join(ROOT, "docs", "pyheap.1")) as a, open(man) as b:
        assert a.read() == b.read()
    files = sorted(os.path.relpath(os.path.join(d, f), dest) for d, _, fs in os.walk(dest)
                   for f in fs)
    assert files == ["opt/ph/bin/pyheap", "opt/ph/share/man/man1/pyheap.1"]
    r = subprocess.run([str(binary), "--version"], capture_output=True, text=True, check=True)
    assert r.stdout.startswith("pyheap ")
    if shutil.which("man"):
        r = subprocess.run(["man", "-l", str(man)], capture_output=True, text=True,
                           env=dict(os.environ, MANPAGER="cat", MANWIDTH="100"))
        assert r.returncode == 0 and "pyheap dump" in r.stdout


# ---- the ptrace permission matrix of docs/containers.md ----

UNSHARE_USERNS = ["unshare", "--user", "--map-root-user"]


@pytest.fixture
def user_dir():
    """A directory of user 1000's that other users can reach (pytest's are root's, 0700)."""
    d = tempfile.mkdtemp(prefix="pyheap-ship-")
    os.chmod(d, 0o755)
    out = os.path.join(d, "out")
    os.mkdir(out)
    os.chown(out, USER[0], USER[1])
    os.chmod(out, 0o777)
    yield pathlib.Path(out)
    shutil.rmtree(d)


def as_user(uid):
    return ["setpriv", "--reuid=%d" % uid, "--regid=%d" % uid, "--clear-groups"]


MATRIX = [
    # (row of the table, how the dumper runs, dumps?)
    ("root", [], True),
    ("root with CAP_SYS_PTRACE and no other capability",
     ["setpriv", "--bounding-set=-all,+sys_ptrace", "--inh-caps=-all"], True),
    ("root without CAP_SYS_PTRACE", ["setpriv", "--bounding-set=-sys_ptrace", "--inh-caps=-all"],
     False),
    ("the target's own user", as_user(USER[0]), True),
    ("the target's own user under Docker's seccomp rules (no pidfd_getfd, no perf_event_open)",
     as_user(USER[0]) + ["/usr/bin/python3", os.path.join(TARGETS, "seccomp_deny.py"), "438,298"],
     True),
    ("another user", as_user(USER[0] + 1), False),
    ("the target's own user as root of a user namespace (a rootless engine)",
     as_user(USER[0]) + UNSHARE_USERNS, False),
]


def userns_or_skip(prefix):
    """Skip, saying why, where an unprivileged user may not create a user namespace."""
    if UNSHARE_USERNS[0] not in prefix:
        return
    r = subprocess.run(as_user(USER[0]) + UNSHARE_USERNS + ["true"], capture_output=True,
                       text=True, timeout=30)
    if r.returncode != 0:
        pytest.skip("an unprivileged user cannot create a user namespace here (as a rootless "
                    "engine does): %s" % r.stderr.strip())


@pytest.mark.parametrize("row,prefix,ok", MATRIX, ids=[m[0] for m in MATRIX])
def test_ptrace_matrix(static, user_dir, row, prefix, ok):
    """Who may dump a process of user 1000 on this machine (no Yama here: see the next test)."""
    root_required()
    userns_or_skip(prefix)
    out = user_dir
    with dumputil.Target("/usr/bin/python3", "sleep", argv_prefix=as_user(USER[0])) as t:
        r = subprocess.run(prefix + [static, "dump", "--pid", str(t.pid), "-o",
                                     str(out / "h.pyheap")],
                           capture_output=True, text=True, timeout=120)
        if ok:
            assert r.returncode == 0, r.stdout + r.stderr
            check_dump(str(out / "h.pyheap"), t.pid)
        else:
            # each refusal says what to do from where pyheap stands (root without the
            # capability gets past the checks of /proc and is stopped at the first read)
            assert r.returncode == 4, r.stdout + r.stderr
            assert "not permitted" in r.stderr
            advice = {"root without CAP_SYS_PTRACE": "runs as root but without CAP_SYS_PTRACE",
                      "another user": "run pyheap as root, or give it CAP_SYS_PTRACE"}
            assert advice.get(row, "user namespace") in r.stderr, r.stderr
            assert os.listdir(out) == []
        t.expect(r"waited sleep", timeout=10)


def test_ptrace_matrix_rootless_engine_dumps_its_own_containers(static, user_dir):
    """A rootless engine's container (a user namespace owned by user 1000, root in it) can
    dump a process of the same user namespace."""
    root_required()
    userns_or_skip(UNSHARE_USERNS)
    out = user_dir
    # the target, then the dumper, in the same user (and pid) namespace
    script = ('"$1" -c "import time; time.sleep(30)" & sleep 0.5; '
              '"$0" dump --pid $! -o "$2"; st=$?; kill $!; exit $st')
    r = subprocess.run(as_user(USER[0]) + UNSHARE_USERNS +
                       ["--pid", "--fork", "--mount-proc", "sh", "-c", script, static,
                        "/usr/bin/python3", str(out / "h.pyheap")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    st = os.stat(out / "h.pyheap")
    assert (st.st_uid, st.st_mode & 0o777) == (USER[0], 0o600)
    check_dump(str(out / "h.pyheap"))


def test_busy_target_under_docker_seccomp_rules(static, tmp_path):
    """Docker's seccomp rules refuse perf_event_open (no hardware breakpoints): a target whose
    threads are all busy is still taken the usual way, one of them waiting for the GIL."""
    root_required()
    with dumputil.Target("/usr/bin/python3", "busythreads") as t:
        r = subprocess.run(["/usr/bin/python3", os.path.join(TARGETS, "seccomp_deny.py"),
                            "438,298", static, "dump", "--pid", str(t.pid), "-o",
                            str(tmp_path / "h.pyheap")], capture_output=True, text=True,
                           timeout=120)
        assert r.returncode == 0, r.stdout + r.stderr
    check_dump(str(tmp_path / "h.pyheap"), t.pid)


def test_ptrace_matrix_yama():
    """Yama's ptrace_scope rows cannot be tested on a kernel without Yama: say so."""
    if not os.path.exists("/proc/sys/kernel/yama/ptrace_scope"):
        pytest.skip("this kernel has no Yama (/proc/sys/kernel/yama): the ptrace_scope rows of "
                    "docs/containers.md are not tested here")
    with open("/proc/sys/kernel/yama/ptrace_scope") as f:
        scope = int(f.read())
    with dumputil.Target("/usr/bin/python3", "sleep", argv_prefix=as_user(USER[0])) as t:
        r = subprocess.run(as_user(USER[0]) + [PYHEAP, "dump", "--pid", str(t.pid), "-o",
                                                "/dev/null/x"], capture_output=True, text=True,
                           timeout=60)
    # scope 0: the same user may attach (the output then fails: exit 1); 1-3: refused (4)
    assert r.returncode == (1 if scope == 0 else 4), (scope, r.stderr)
