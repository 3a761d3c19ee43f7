#!/bin/bash
# SPDX-License-Identifier: MIT
# The analyses of sets of objects next to `pyheap summary` on the same dumps:
# wall time and peak RSS of each command, side by side.
#
#   bench/sets.sh DUMP ...
#
# Real dumps of realistic heaps come from `bench/dump.py --sizes 1M,10M
# --keep DIR`. Record the figures in bench/RESULTS.md with the machine and
# commit.
set -eu
cd "$(dirname "$0")/.."
PYHEAP=${PYHEAP:-./pyheap}
[ $# -gt 0 ] || { echo "usage: bench/sets.sh DUMP ..." >&2; exit 2; }
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r)"
echo "commit:  $(git rev-parse --short HEAD)$(git diff --quiet || echo ' (dirty)')"
printf '%-40s %-10s %8s %10s\n' dump command "wall s" "peak MiB"
for f in "$@"; do
	for cmd in summary waste; do
		t=$( { /usr/bin/time -f "%e %M" "$PYHEAP" "$cmd" "$f" >/dev/null; } 2>&1 | tail -n1)
		printf '%-40s %-10s %8s %10d\n' "$(basename "$f")" "$cmd" "${t% *}" $(( ${t#* } / 1024 ))
	done
done
