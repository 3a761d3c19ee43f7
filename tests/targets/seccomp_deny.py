#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Run a command under a seccomp filter that fails the named system calls with
EPERM and allows every other one, as a container engine's profile does for
calls it grants only with a capability (Docker's default profile: pidfd_getfd
without CAP_SYS_PTRACE, perf_event_open without CAP_SYS_ADMIN).

    seccomp_deny.py NR[,NR...] COMMAND [ARG...]

NRs are x86_64 system call numbers (pidfd_getfd 438, perf_event_open 298).
"""
import ctypes
import os
import sys

PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
LD_ABS_W, JEQ_K, RET_K = 0x20, 0x15, 0x06
AUDIT_ARCH_X86_64 = 0xC000003E
RET_ALLOW, RET_EPERM = 0x7FFF0000, 0x00050000 | 1


class Insn(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8),
                ("k", ctypes.c_uint32)]


class Prog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_uint16), ("filter", ctypes.POINTER(Insn))]


def install(nrs, no_new_privs=True):
    """Fail the system calls numbered nrs with EPERM in this process and what it runs next.
    Without no_new_privs the caller needs CAP_SYS_ADMIN (an engine, before dropping it)."""
    code = [(LD_ABS_W, 0, 0, 4),                    # the architecture
            (JEQ_K, 1, 0, AUDIT_ARCH_X86_64),
            (RET_K, 0, 0, RET_ALLOW),               # not x86_64: not ours to filter
            (LD_ABS_W, 0, 0, 0)]                    # the system call's number
    for nr in nrs:
        code += [(JEQ_K, 0, 1, nr), (RET_K, 0, 0, RET_EPERM)]
    code.append((RET_K, 0, 0, RET_ALLOW))
    insns = (Insn * len(code))(*[Insn(*c) for c in code])
    prog = Prog(len(code), insns)
    libc = ctypes.CDLL(None, use_errno=True)
    if no_new_privs and libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP)")


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    try:
        install([int(x) for x in sys.argv[1].split(",")])
    except OSError as e:
        sys.exit("seccomp_deny: %s: %s" % (e.strerror, os.strerror(e.errno)))
    os.execvp(sys.argv[2], sys.argv[2:])


if __name__ == "__main__":
    main()
