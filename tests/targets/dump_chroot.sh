#!/bin/sh
# SPDX-License-Identifier: MIT
# Run a command in a container-like place: call it under
#   unshare --pid --fork --mount --uts --kill-child --propagation private
# as  dump_chroot.sh ROOTDIR USER COMMAND [ARGS...]
# ROOTDIR (empty, made by the caller) becomes the root: /usr /etc, the library
# directories and this source tree (at its own path, wherever it was cloned)
# bind-mounted, its own /proc (none when DUMP_CHROOT_PROC=0, as in a bare
# chroot); the host name is pyheap-ns-test; COMMAND runs as USER (root:
# unchanged).
set -eu
R=$1
U=$2
shift 2
chmod 755 "$R"
TOP=$(cd "$(dirname "$0")/../.." && pwd -P)
for d in /usr /etc "$TOP"; do
	mkdir -p "$R$d"
	mount --rbind "$d" "$R$d"
done
for l in bin lib lib64 sbin; do
	if [ -L "/$l" ]; then
		ln -s "$(readlink "/$l")" "$R/$l"
	elif [ -d "/$l" ]; then
		mkdir -p "$R/$l"
		mount --rbind "/$l" "$R/$l"
	fi
done
mkdir -p "$R/proc" "$R/tmp"
hostname pyheap-ns-test
MOUNT_PROC='mount -t proc proc /proc'
[ "${DUMP_CHROOT_PROC:-1}" = 0 ] && MOUNT_PROC=true
if [ "$U" = root ]; then
	exec chroot "$R" /bin/sh -c "$MOUNT_PROC"' && exec "$0" "$@"' "$@"
fi
exec chroot "$R" /bin/sh -c "$MOUNT_PROC"' && exec setpriv --reuid="$0" --regid=nogroup --clear-groups "$@"' "$U" "$@"
