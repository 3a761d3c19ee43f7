#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A minimal container engine for the image tests: runs an OCI image the way
`docker run` would, with no daemon and no runtime (none works in the test
sandbox), from pieces any Linux root has: umoci to unpack, then namespaces,
mounts, chroot, a capability bounding set and a user.

    oci_engine.py [OPTIONS] oci:LAYOUT:TAG [ARG...]

ARGs replace the image's Cmd; its Entrypoint, Env and WorkingDir are kept.
Options (each as docker's of the same name):
  --bundles DIR        where images are unpacked (once per image digest)
  --pid container:PID  join the pid namespace of process PID (as
                       --pid=container:NAME); --pid host: stay in this
                       machine's; default: a new one (the entry point is
                       pid 1)
  -v HOST:CTR[:ro]     bind-mount a volume
  --user UID:GID       run as this user (its capabilities are cleared, as
                       Docker does for non-root users)
  --cap-add CAP        add a capability to Docker's default set (a root
                       process gets exactly that set as its bounding set)
  --entrypoint CMD     replace the image's Entrypoint with CMD (looked up in
                       the image's PATH, as kubectl debug's `-- CMD ARGS`)
  --security-opt seccomp=unconfined
                       no seccomp filter; by default the rules of Docker's
                       default profile that depend on capabilities are
                       applied (moby's profiles/seccomp/default_linux.go):
                       without SYS_PTRACE, kcmp, pidfd_getfd, process_madvise,
                       process_vm_readv/writev and ptrace fail with EPERM
                       (the last three are allowed anyway on kernels 4.8+, as
                       there); without SYS_ADMIN, bpf, perf_event_open,
                       setns, unshare, mount and the like fail. The rest of
                       Docker's allow-list is not reproduced.
  --read-only          the image's root filesystem read-only (volumes as given)
  --network host|none  host: share this machine's network (default); none: a
                       new network namespace with only loopback up
  -p ADDR:PORT:PORT    with --network none: publish the container's PORT on
                       ADDR:PORT of this machine, through a forwarding
                       process in this namespace (as docker-proxy does)

Exits with the container's status. SIGTERM is passed on to the entry point.
Runs as root (it mounts and chroots), like an engine's daemon.
"""
import ctypes
import hashlib
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import seccomp_deny  # noqa: E402

CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWNET = 0x20000, 0x20000000, 0x40000000
MS_RDONLY, MS_BIND, MS_REMOUNT, MS_REC, MS_PRIVATE = 1, 4096, 32, 16384, 1 << 18
PR_CAPBSET_DROP = 24

# x86_64 numbers of the calls Docker's default seccomp profile grants only with a capability.
SECCOMP_NEEDS = {
    "SYS_PTRACE": {"kcmp": 312, "pidfd_getfd": 438, "process_madvise": 440},
    "SYS_ADMIN": {"bpf": 321, "perf_event_open": 298, "setns": 308, "unshare": 272, "mount": 165,
                  "umount2": 166, "fsopen": 430, "fsmount": 432, "open_tree": 428,
                  "move_mount": 429, "name_to_handle_at": 303, "syslog": 103, "quotactl": 179},
}

# Docker's default capabilities (moby's oci/caps/defaults.go).
DEFAULT_CAPS = ["CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID", "SETUID",
                "SETFCAP", "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL", "AUDIT_WRITE"]
CAP_NUMBERS = {"CHOWN": 0, "DAC_OVERRIDE": 1, "DAC_READ_SEARCH": 2, "FOWNER": 3, "FSETID": 4,
               "KILL": 5, "SETGID": 6, "SETUID": 7, "SETPCAP": 8, "LINUX_IMMUTABLE": 9,
               "NET_BIND_SERVICE": 10, "NET_BROADCAST": 11, "NET_ADMIN": 12, "NET_RAW": 13,
               "IPC_LOCK": 14, "IPC_OWNER": 15, "SYS_MODULE": 16, "SYS_RAWIO": 17, "SYS_CHROOT": 18,
               "SYS_PTRACE": 19, "SYS_PACCT": 20, "SYS_ADMIN": 21, "SYS_BOOT": 22, "SYS_NICE": 23,
               "SYS_RESOURCE": 24, "SYS_TIME": 25, "SYS_TTY_CONFIG": 26, "MKNOD": 27, "LEASE": 28,
               "AUDIT_WRITE": 29, "AUDIT_CONTROL": 30, "SETFCAP": 31, "MAC_OVERRIDE": 32,
               "MAC_ADMIN": 33, "SYSLOG": 34, "WAKE_ALARM": 35, "BLOCK_SUSPEND": 36,
               "AUDIT_READ": 37, "PERFMON": 38, "BPF": 39, "CHECKPOINT_RESTORE": 40}

libc = ctypes.CDLL(None, use_errno=True)


def check(r, what):
    if r != 0:
        e = ctypes.get_errno()
        raise OSError(e, "%s: %s" % (what, os.strerror(e)))


def mount(src, dst, fstype, flags, data=None):
    check(libc.mount(src and src.encode(), dst.encode(), fstype and fstype.encode(),
                     ctypes.c_ulong(flags), data and data.encode()), "mount %s" % dst)


def setns(path, kind):
    fd = os.open(path, os.O_RDONLY)
    try:
        check(libc.setns(fd, kind), "setns %s" % path)
    finally:
        os.close(fd)


def parse(argv):
    o = {"bundles": "/tmp", "pid": None, "volumes": [], "user": None, "caps": list(DEFAULT_CAPS),
         "network": "host", "publish": None, "entrypoint": None, "seccomp": True, "read_only": False}
    i = 0
    while i < len(argv) and argv[i].startswith("-"):
        opt, val = argv[i], argv[i + 1] if i + 1 < len(argv) else None
        if val is None and opt != "--read-only":
            sys.exit("oci_engine: %s needs a value" % opt)
        if opt == "--bundles":
            o["bundles"] = val
        elif opt == "--pid":
            if val != "host" and not val.startswith("container:"):
                sys.exit("oci_engine: --pid container:PID or --pid host")
            o["pid"] = val if val == "host" else int(val.split(":", 1)[1])
        elif opt == "-v":
            o["volumes"].append(val.split(":"))
        elif opt == "--user":
            o["user"] = [int(x) for x in val.split(":")]
        elif opt == "--cap-add":
            o["caps"].append(val.upper().removeprefix("CAP_"))
        elif opt == "--security-opt":
            if val != "seccomp=unconfined":
                sys.exit("oci_engine: --security-opt seccomp=unconfined only")
            o["seccomp"] = False
        elif opt == "--read-only":
            o["read_only"] = True
            i -= 1  # takes no value
        elif opt == "--entrypoint":
            o["entrypoint"] = [val]
        elif opt == "--network":
            o["network"] = val
        elif opt == "-p":
            addr, hport, cport = val.rsplit(":", 2)
            o["publish"] = (addr, int(hport), int(cport))
        else:
            sys.exit("oci_engine: unknown option %s" % opt)
        i += 2
    if i >= len(argv):
        sys.exit(__doc__)
    return o, argv[i], argv[i + 1:]


def unpack(image, bundles):
    """The image's config and the root filesystem umoci unpacked it to."""
    cfg = json.loads(subprocess.run(["skopeo", "inspect", "--config", image], check=True,
                                    capture_output=True, text=True).stdout)
    digest = hashlib.sha256(json.dumps(cfg, sort_keys=True).encode()).hexdigest()[:16]
    bundle = os.path.join(bundles, "bundle-" + digest)
    if not os.path.isdir(os.path.join(bundle, "rootfs")):
        layout, tag = image[len("oci:"):].rsplit(":", 1)
        tmp = bundle + ".tmp.%d" % os.getpid()
        subprocess.run(["umoci", "unpack", "--image", "%s:%s" % (layout, tag), tmp], check=True,
                       capture_output=True)
        os.rename(tmp, bundle)
    return cfg["config"], os.path.join(bundle, "rootfs")


def container(o, cfg, rootfs, args):
    """In the child, in its pid namespace: set up and exec the entry point. Never returns."""
    try:
        check(libc.unshare(CLONE_NEWNS), "unshare mount namespace")
        mount(None, "/", None, MS_REC | MS_PRIVATE)
        if o["network"] == "none":
            subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
        for d in ("proc", "dev"):
            os.makedirs(os.path.join(rootfs, d), exist_ok=True)
        mount(rootfs, rootfs, None, MS_BIND | MS_REC)  # a mount of its own, to make read-only
        mount("proc", os.path.join(rootfs, "proc"), "proc", 0)
        mount("dev", os.path.join(rootfs, "dev"), "tmpfs", 0, "mode=755")
        null = os.path.join(rootfs, "dev", "null")
        open(null, "w").close()
        mount("/dev/null", null, None, MS_BIND)
        for v in o["volumes"]:
            dst = os.path.join(rootfs, v[1].lstrip("/"))
            os.makedirs(dst, exist_ok=True)
            mount(v[0], dst, None, MS_BIND | MS_REC)
            if v[2:] == ["ro"]:
                mount(None, dst, None, MS_BIND | MS_REMOUNT | MS_RDONLY)
        if o["read_only"]:
            mount(None, rootfs, None, MS_BIND | MS_REMOUNT | MS_RDONLY)
        os.chroot(rootfs)
        os.chdir(cfg.get("WorkingDir") or "/")
        if o["seccomp"]:  # while the engine still has CAP_SYS_ADMIN: no no_new_privs, as Docker
            seccomp_deny.install([nr for cap, calls in SECCOMP_NEEDS.items()
                                  if cap not in o["caps"] for nr in calls.values()],
                                 no_new_privs=False)
        keep = {CAP_NUMBERS[c] for c in o["caps"]}
        for cap in range(41):
            if cap not in keep:
                check(libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0), "drop capability %d" % cap)
        if o["user"]:
            uid, gid = o["user"]
            os.setgroups([])
            os.setresgid(gid, gid, gid)
            os.setresuid(uid, uid, uid)
        env = dict(e.split("=", 1) for e in cfg.get("Env") or [])
        argv = (o["entrypoint"] or cfg.get("Entrypoint") or []) + (args or cfg.get("Cmd") or [])
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.execvpe(argv[0], argv, env)  # a name without a slash is looked up in the image's PATH
    except BaseException as e:  # noqa: BLE001 - report anything, in the child
        print("oci_engine: %s" % e, file=sys.stderr)
        os._exit(125)


def forward(listener, child, port):
    """docker-proxy's job: accept on this machine, connect inside the container's namespace.
    Started before the engine leaves its pid namespace (a thread cannot be started after),
    it is handed the container's pid through the queue child."""
    setns("/proc/%d/ns/net" % child.get(), CLONE_NEWNET)  # this thread only

    def pump(a, b):
        try:
            while True:
                data = a.recv(65536)
                if not data:
                    break
                b.sendall(data)
        except OSError:
            pass
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    while True:
        c, _ = listener.accept()
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
        except OSError:
            c.close()
            continue
        s.settimeout(None)
        for a, b in ((c, s), (s, c)):
            threading.Thread(target=pump, args=(a, b), daemon=True).start()


def main():
    o, image, args = parse(sys.argv[1:])
    cfg, rootfs = unpack(image, o["bundles"])
    listener = None
    if o["publish"]:
        if o["network"] != "none":
            sys.exit("oci_engine: -p needs --network none (a namespace of its own)")
        listener = socket.create_server((o["publish"][0], o["publish"][1]))
        child_q = queue.Queue()
        threading.Thread(target=forward, args=(listener, child_q, o["publish"][2]),
                         daemon=True).start()
    if o["pid"] == "host":
        pass
    elif o["pid"]:
        setns("/proc/%d/ns/pid" % o["pid"], CLONE_NEWPID)
    else:
        check(libc.unshare(CLONE_NEWPID), "unshare pid namespace")
    if o["network"] == "none":
        check(libc.unshare(CLONE_NEWNET), "unshare network namespace")
    elif o["network"] != "host":
        sys.exit("oci_engine: --network host or none")
    sys.stdout.flush()
    child = os.fork()
    if child == 0:
        container(o, cfg, rootfs, args)
    signal.signal(signal.SIGTERM, lambda s, f: os.kill(child, signal.SIGTERM))
    if listener:
        child_q.put(child)
    while True:
        try:
            _, st = os.waitpid(child, 0)
            break
        except InterruptedError:
            continue
    sys.exit(os.waitstatus_to_exitcode(st) if os.WIFEXITED(st) else 128 + os.WTERMSIG(st))


if __name__ == "__main__":
    main()
