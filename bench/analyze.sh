#!/bin/bash
# SPDX-License-Identifier: MIT
# Benchmark of the analysis pipeline: load + roots + dominators + retained
# sizes on synthetic dumps of 1M and 10M objects; prints time and peak RSS.
#
#   bench/analyze.sh [N ...]        (default: 1000000 10000000)
#   GEN=gen bench/analyze.sh ...    use bench/analyze_gen.c instead of test-tool synth
#
# Dumps come from `build/test-tool synth` (GEN=synth, the default) or from
# bench/analyze_gen.c (GEN=gen: deeper nesting, more dicts, a frame holding
# big structures); they are cached in build/bench/ by generator and size.
# Then compares address -> id lookup structures on the largest dump
# (bench/analyze_lookup.c). Record the figures in bench/RESULTS.md with the
# machine and commit.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
out=$BUILD/bench
mkdir -p "$out"
make --no-print-directory -s "$BUILD/libpyheap.a" "$BUILD/test-tool" >/dev/null
GEN=${GEN:-synth}
CFLAGS="-std=c11 -D_GNU_SOURCE -O2 -g -Isrc"
LIBS="$BUILD/libpyheap.a -lzstd -lm -lpthread"
for t in analyze_gen analyze_bench analyze_lookup; do
	if [ ! -x "$out/$t" ] || [ "bench/$t.c" -nt "$out/$t" ] || [ "$BUILD/libpyheap.a" -nt "$out/$t" ]; then
		gcc $CFLAGS -o "$out/$t" "bench/$t.c" $LIBS
	fi
done
sizes=("$@")
[ ${#sizes[@]} -eq 0 ] && sizes=(1000000 10000000)
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r)"
echo "commit:  $(git rev-parse --short HEAD)$(git diff --quiet || echo ' (dirty)')"
for n in "${sizes[@]}"; do
	if [ "$GEN" = synth ]; then
		gen="test-tool synth"
		f=$out/synth-$n.pyheap
		[ -f "$f" ] || "$BUILD/test-tool" synth -q --objects "$n" -o "$f"
	else
		gen=analyze_gen
		f=$out/gen-$n.pyheap
		[ -f "$f" ] || "$out/analyze_gen" "$n" "$f"
	fi
	echo
	echo "== $n objects ($gen, $(du -h "$f" | cut -f1) on disk)"
	/usr/bin/time -f "wall %e s, peak RSS %M KiB (/usr/bin/time)" "$out/analyze_bench" "$f"
	last=$f
done
echo
echo "== address lookup structures on the last dump (bench/analyze_lookup.c)"
"$out/analyze_lookup" "$last"
