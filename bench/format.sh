#!/bin/bash
# Benchmark of the dump format: write speed (objects/s), bytes per object, and
# read and read+validate speed, on synthetic heaps of realistic shape
# (build/test-tool synth) of 1M and 10M objects. Prints a Markdown table to
# paste into bench/RESULTS.md. Usage: [REPEAT=3] bench/format.sh [N ...]
# Each figure is the best of REPEAT runs (default 3): the machine is shared.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
TOOL=$BUILD/test-tool
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000000 10000000)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

REPEAT=${REPEAT:-3}
secs() { # command... -> best wall seconds and its max RSS (KiB) of REPEAT runs in "$tmp/time"
	local best="" rss="" s m
	for _ in $(seq "$REPEAT"); do
		/usr/bin/time -f "%e %M" -o "$tmp/time1" "$@" >"$tmp/out" 2>"$tmp/err"
		read -r s m <"$tmp/time1"
		if [ -z "$best" ] || awk -v a="$s" -v b="$best" 'BEGIN { exit !(a < b) }'; then
			best=$s
			rss=$m
		fi
	done
	echo "$best $rss" >"$tmp/time"
}

echo "| objects | encoding | write s | write Mobj/s | bytes/object | read s | read Mobj/s | validate s | validate Mobj/s | validate peak RSS |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for n in "${sizes[@]}"; do
	for enc in zstd raw; do
		f=$tmp/synth-$n-$enc.pyheap
		flag=()
		[ $enc = raw ] && flag=(--raw)
		secs "$TOOL" synth -n "$n" "${flag[@]}" -o "$f"
		read -r wsec _ <"$tmp/time"
		objs=$(sed -n 's/^synth: \([0-9]*\) objects.*/\1/p' "$tmp/err")
		bytes=$(stat -c %s "$f")
		secs "$TOOL" decode "$f"
		read -r rsec _ <"$tmp/time"
		secs ./pyheap validate "$f"
		read -r vsec vrss <"$tmp/time"
		awk -v n="$objs" -v enc=$enc -v w="$wsec" -v b="$bytes" -v r="$rsec" -v v="$vsec" -v m="$vrss" 'BEGIN {
			printf "| %d | %s | %.2f | %.1f | %.2f | %.2f | %.1f | %.2f | %.1f | %.0f MiB |\n",
				n, enc, w, n / w / 1e6, b / n, r, n / r / 1e6, v, n / v / 1e6, m / 1024 }'
		rm -f "$f"
	done
done
