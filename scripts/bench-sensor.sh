#!/usr/bin/env bash
# minerwatch — SPDX-License-Identifier: Apache-2.0
# Sensor throughput benchmark: single-thread `minerwatch scan pcap` (every detector on) against
# nDPI classifying the same file (tools/ndpi_compare) and against reading the file from the page
# cache (the ceiling). The file is nDPI's capture suite merged and repeated with addresses
# rewritten per copy (tools/pcap_multiply), about SIZE_MB megabytes. Prints a markdown table.
#
# usage: scripts/bench-sensor.sh [-b BUILD_DIR] [-s SIZE_MB] [-o FILE] [-r RUNS] [-d DATA_DIR]
#   BUILD_DIR  a Release build (default build/bench, configured and built here if missing)
#   SIZE_MB    size of the merged capture (default 300)
#   FILE       where the merged capture goes (default /tmp/minerwatch-bench/ndpi-merged.pcap)
#   RUNS       runs per program; the best is reported (default 3)
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$src/build/bench
size_mb=300
file=/tmp/minerwatch-bench/ndpi-merged.pcap
runs=3
data=${MW_SHARED_DATA_DIR:-$src/../shared/data}
cpu=${BENCH_CPU:-0}
while getopts "b:s:o:r:d:h" opt; do
  case $opt in
    b) build=$OPTARG ;;
    s) size_mb=$OPTARG ;;
    o) file=$OPTARG ;;
    r) runs=$OPTARG ;;
    d) data=$OPTARG ;;
    *) sed -n '2,12p' "$0"; exit 2 ;;
  esac
done
die() { echo "bench-sensor: $*" >&2; exit 2; }
for tool in /usr/bin/time taskset; do
  command -v "$tool" >/dev/null || die "$tool is missing (scripts/deps/test-e2e.txt)"
done
[[ -d $data/pcaps/ndpi ]] || die "no captures in $data/pcaps/ndpi (use -d or MW_SHARED_DATA_DIR)"

if [[ ! -x $build/apps/minerwatch/minerwatch || ! -x $build/tools/ndpi_compare/ndpi_compare ]]; then
  if [[ ! -f $build/build.ninja ]]; then
    cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMW_BUILD_TESTS=ON \
      -DMW_BUILD_BENCHMARKS=OFF >/dev/null
  fi
  cmake --build "$build" --target minerwatch pcap_multiply ndpi_compare -j2 >/dev/null
fi
mw=$build/apps/minerwatch/minerwatch
ndpi=$build/tools/ndpi_compare/ndpi_compare
mult=$build/tools/pcap_multiply/pcap_multiply

mkdir -p "$(dirname "$file")"
if [[ ! -s $file ]]; then
  echo "building $file (~${size_mb} MB) ..." >&2
  "$mult" --size-mb "$size_mb" -o "$file" "$data/pcaps/ndpi" 2>/dev/null | sed 's/^/  /' >&2
fi
bytes=$(stat -c %s "$file")
cat "$file" >/dev/null; cat "$file" >/dev/null  # into the page cache

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Runs a command pinned to one CPU, RUNS times, its stdout to OUT; sets best_s and rss_kb for
# the fastest run and keeps that run's stdout in $tmp/best.out.
measure() {  # OUT command...
  local out=$1
  shift
  best_s=""; rss_kb=0
  for ((i = 0; i < runs; i++)); do
    local t0 t1 s
    rm -f "$tmp/findings.jsonl"  # the JSON Lines sink appends
    t0=$(date +%s.%N)
    if ! /usr/bin/time -v -o "$tmp/time" taskset -c "$cpu" "$@" >"$out" 2>"$tmp/err"; then
      # exit 1 from minerwatch means "findings reported", not failure
      [[ $(awk -F': ' '/Exit status/ {print $2}' "$tmp/time") == 1 ]] ||
        die "$* failed: $(tail -3 "$tmp/err")"
    fi
    t1=$(date +%s.%N)
    s=$(echo "$t1 - $t0" | bc -l)
    if [[ -z $best_s ]] || (( $(echo "$s < $best_s" | bc -l) )); then
      best_s=$s
      rss_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$tmp/time")
      [[ $out == /dev/null ]] || cp "$out" "$tmp/best.out"
    fi
  done
}

measure /dev/null cat "$file"
cat_s=$best_s; cat_rss=$rss_kb
measure "$tmp/out" "$ndpi" --read-only "$file"
pcap_s=$best_s; pcap_rss=$rss_kb
measure "$tmp/out" "$ndpi" "$file"
ndpi_s=$best_s; ndpi_rss=$rss_kb
packets=$(awk '/^packets / {print $2}' "$tmp/best.out")
ndpi_flows=$(awk '/^flows / {print $2}' "$tmp/best.out")
ndpi_version=$(awk '/^ndpi / {print $2}' "$tmp/best.out")
measure "$tmp/out" "$mw" scan pcap "$file" --json "$tmp/findings.jsonl" --quiet
mw_s=$best_s; mw_rss=$rss_kb
findings=$(wc -l <"$tmp/findings.jsonl")

row() {  # name seconds rss
  awk -v n="$1" -v s="$2" -v r="$3" -v p="$packets" -v b="$bytes" -v ref="$ndpi_s" 'BEGIN {
    printf "| %s | %.2f | %.2f | %.3f | %.0f | %.1fx |\n", n, s, p / s / 1e6, b * 8 / s / 1e9,
           r / 1024, ref / s }'
}
echo
echo "File: $(basename "$file"), $(awk -v b="$bytes" 'BEGIN {printf "%.0f", b / 1e6}') MB," \
  "$packets packets ($ndpi_flows flows for nDPI); CPU $(lscpu | awk -F': +' '/Model name/ {print $2; exit}')," \
  "pinned to CPU $cpu, best of $runs runs, file in page cache."
echo
echo "| Program | seconds | Mpackets/s | Gbit/s | peak RSS (MB) | speed vs nDPI |"
echo "|---|---|---|---|---|---|"
row "cat (page-cache ceiling)" "$cat_s" "$cat_rss"
row "libpcap read only (ndpi_compare --read-only)" "$pcap_s" "$pcap_rss"
row "nDPI $ndpi_version (tools/ndpi_compare)" "$ndpi_s" "$ndpi_rss"
row "minerwatch scan pcap" "$mw_s" "$mw_rss"
echo
echo "minerwatch wrote $findings finding lines. Gbit/s counts the bytes of the file."
