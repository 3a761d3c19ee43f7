#!/bin/bash
# Benchmark of the dump format: write speed (objects/s), bytes per object, and
# read and read+validate speed, on synthetic heaps of realistic shape
# (build/test-tool synth) of 1M and 10M objects. Prints a Markdown table to
# paste into bench/RESULTS.md. Usage: bench/format.sh [N ...]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
TOOL=$BUILD/test-tool
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000000 10000000)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

secs() { # command... -> wall seconds and max RSS (KiB) in "$tmp/time"
	/usr/bin/time -f "%e %M" -o "$tmp/time" "$@" >"$tmp/out" 2>"$tmp/err"
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
