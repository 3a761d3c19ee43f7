#!/bin/bash
# SPDX-License-Identifier: MIT
# The memory budget's estimate against what an analysis really takes: for
# synthetic dumps (test-tool synth), dumps of bench/analyze_gen.c and crafted
# chains (test-tool craft chain), prints the need pyheap estimates from the
# TOC (ph_heap_need: the estimate must stay below the real peak, so that no
# dump that fits is refused) and the peak RSS of `pyheap summary`.
#
#   bench/budget.sh [N ...]        (default: 1000000 4000000)
#
# Record the figures in bench/RESULTS.md with the machine and commit.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
out=$BUILD/bench
mkdir -p "$out"
make --no-print-directory -s "$BUILD/pyheap" "$BUILD/test-tool" >/dev/null
gcc -std=c11 -D_GNU_SOURCE -O2 -Isrc -o "$out/analyze_gen" bench/analyze_gen.c \
	"$BUILD/libpyheap.a" -lzstd -lm -lpthread
sizes=("$@")
[ ${#sizes[@]} -eq 0 ] && sizes=(1000000 4000000)
printf '%-8s %10s %12s %12s %7s\n' dump objects need_MiB peak_MiB peak/need
for n in "${sizes[@]}"; do
	for g in synth gen chain; do
		f=$out/budget-$g-$n.pyheap
		if [ ! -f "$f" ]; then
			case $g in
			synth) "$BUILD/test-tool" synth --objects "$n" -o "$f" >/dev/null ;;
			gen) "$out/analyze_gen" "$n" "$f" >/dev/null ;;
			chain) "$BUILD/test-tool" craft chain -n "$n" -o "$f" ;;
			esac
		fi
		# a budget of one byte: the refusal names the need
		need=$("$BUILD/pyheap" summary --max-memory 1 "$f" 2>&1 |
			sed -n 's/.*needs at least \([0-9.]*\) \([KMG]iB\).*/\1 \2/p')
		need_mib=$(echo "$need" | awk '{v=$1; if ($2=="GiB") v*=1024; if ($2=="KiB") v/=1024; printf "%.0f", v}')
		peak_kb=$( { /usr/bin/time -f '%M' "$BUILD/pyheap" summary --max-memory none "$f" >/dev/null; } 2>&1 | tail -1)
		objects=$("$BUILD/pyheap" info --json "$f" | python3 -c 'import json,sys; print(sum(s["records"] for s in json.load(sys.stdin)["sections"] if s["kind"]=="OBJECTS"))')
		awk -v g="$g" -v o="$objects" -v n="$need_mib" -v p="$peak_kb" \
			'BEGIN { printf "%-8s %10d %12d %12d %7.2f\n", g, o, n, p / 1024, p / 1024 / n }'
	done
done
