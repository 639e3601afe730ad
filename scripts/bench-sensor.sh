#!/usr/bin/env bash
# minerwatch — SPDX-License-Identifier: Apache-2.0
# Sensor throughput benchmark: single-thread `minerwatch scan pcap` (every detector on) against
# nDPI classifying the same file (tools/ndpi_compare, a lean harness on libndpi; and nDPI's own
# ndpiReader when Debian's libndpi-bin is installed) and against reading the file from the page
# cache (the ceiling). The file is nDPI's capture suite merged and repeated with addresses
# rewritten per copy (tools/pcap_multiply), about SIZE_MB megabytes. Prints a markdown table.
#
# usage: scripts/bench-sensor.sh [-b BUILD_DIR] [-s SIZE_MB] [-o FILE] [-r RUNS] [-d DATA_DIR]
#                                [-p PREV_BIN] [-R "RULE_FILE..."]
#   BUILD_DIR  a Release build (default build/bench, configured and built here if missing)
#   PREV_BIN   another minerwatch binary (e.g. the previous commit's) run side by side, round-robin
#   SIZE_MB    size of the merged capture (default 300)
#   FILE       where the merged capture goes (default /tmp/minerwatch-bench/ndpi-merged.pcap)
#   RUNS       runs per program, round-robin; the fastest is reported (default 3)
#   RULE_FILE  Suricata rule files: one more row, the same scan with --rules for each of them
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$src/build/bench
size_mb=300
file=/tmp/minerwatch-bench/ndpi-merged.pcap
runs=3
prev=
rules=()
data=${MW_SHARED_DATA_DIR:-$src/../shared/data}
cpu=${BENCH_CPU:-0}
while getopts "b:s:o:r:d:p:R:h" opt; do
  case $opt in
    b) build=$OPTARG ;;
    s) size_mb=$OPTARG ;;
    o) file=$OPTARG ;;
    r) runs=$OPTARG ;;
    d) data=$OPTARG ;;
    p) prev=$OPTARG ;;
    R) for f in $OPTARG; do rules+=(--rules "$f"); done ;;
    *) sed -n '2,15p' "$0"; exit 2 ;;
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
# run_once KEY OUT command...: runs the command pinned to one CPU, its stdout to OUT, and keeps
# for KEY the fastest wall time so far (best_s[KEY]) with that run's CPU time (user + system,
# cpu_s[KEY]) and peak RSS (rss_kb[KEY]); the fastest run's stdout is kept in $tmp/KEY.out.
declare -A best_s cpu_s rss_kb
run_once() {
  local key=$1 out=$2
  shift 2
  local t0 t1 s
  rm -f "$tmp/findings.jsonl"  # the JSON Lines sink appends
  t0=$(date +%s.%N)
  if ! /usr/bin/time -f '%e %U %S %M %x' -o "$tmp/time" taskset -c "$cpu" "$@" >"$out" 2>"$tmp/err"; then
    # exit 1 from minerwatch means "findings reported", not failure
    [[ $(awk 'END {print $5}' "$tmp/time") == 1 ]] || die "$* failed: $(tail -3 "$tmp/err")"
  fi
  t1=$(date +%s.%N)
  s=$(echo "$t1 - $t0" | bc -l)
  if [[ -z ${best_s[$key]:-} ]] || (( $(echo "$s < ${best_s[$key]}" | bc -l) )); then
    best_s[$key]=$s
    cpu_s[$key]=$(awk 'END {print $2 + $3}' "$tmp/time")
    rss_kb[$key]=$(awk 'END {print $4}' "$tmp/time")
    [[ $out == /dev/null ]] || cp "$out" "$tmp/$key.out"
    [[ ! -f $tmp/findings.jsonl ]] || cp "$tmp/findings.jsonl" "$tmp/best-findings.jsonl"
  fi
}

# Round-robin, so a burst of load from elsewhere on the machine hits every program alike.
reader=$(command -v ndpiReader || true)
for ((i = 0; i < runs; i++)); do
  run_once cat /dev/null cat "$file"
  run_once pcap "$tmp/out" "$ndpi" --read-only "$file"
  run_once ndpi "$tmp/out" "$ndpi" "$file"
  [[ -z $reader ]] || run_once reader "$tmp/out" "$reader" -q -i "$file"
  run_once mw "$tmp/out" "$mw" scan pcap "$file" --json "$tmp/findings.jsonl" --quiet
  [[ -z $prev ]] || run_once prev /dev/null "$prev" scan pcap "$file" --json /dev/null --quiet
  ((${#rules[@]} == 0)) || run_once rules /dev/null "$mw" scan pcap "$file" --json /dev/null \
    --quiet "${rules[@]}"
done
packets=$(awk '/^packets / {print $2}' "$tmp/ndpi.out")
ndpi_flows=$(awk '/^flows / {print $2}' "$tmp/ndpi.out")
ndpi_version=$(awk '/^ndpi / {print $2}' "$tmp/ndpi.out")
findings=$(wc -l <"$tmp/best-findings.jsonl")

row() {  # name key
  awk -v n="$1" -v s="${best_s[$2]}" -v c="${cpu_s[$2]}" -v r="${rss_kb[$2]}" -v p="$packets" \
      -v b="$bytes" -v ref="${best_s[ndpi]}" -v refc="${cpu_s[ndpi]}" 'BEGIN {
    printf "| %s | %.2f | %.2f | %.2f | %.3f | %.0f | %.1fx | %s |\n", n, s, c, p / s / 1e6,
           b * 8 / s / 1e9, r / 1024, ref / s, (c > 0 ? sprintf("%.1fx", refc / c) : "-") }'
}
echo
echo "File: $(basename "$file"), $(awk -v b="$bytes" 'BEGIN {printf "%.0f", b / 1e6}') MB," \
  "$packets packets ($ndpi_flows flows for nDPI); CPU $(lscpu | awk -F': +' '/Model name/ {print $2; exit}')," \
  "pinned to CPU $cpu, best of $runs runs, file in page cache."
echo
echo "| Program | wall s | CPU s | Mpackets/s | Gbit/s | peak RSS (MB) | vs nDPI (wall) | vs nDPI (CPU) |"
echo "|---|---|---|---|---|---|---|---|"
row "cat (page-cache ceiling)" cat
row "libpcap read only (ndpi_compare --read-only)" pcap
row "nDPI $ndpi_version (tools/ndpi_compare)" ndpi
[[ -z $reader ]] || row "nDPI's own reader (ndpiReader -q -i)" reader
row "minerwatch scan pcap" mw
[[ -z $prev ]] || row "minerwatch scan pcap, -p $prev" prev
((${#rules[@]} == 0)) || row "minerwatch scan pcap --rules ($((${#rules[@]} / 2)) files)" rules
echo
echo "minerwatch wrote $findings finding lines. Gbit/s counts the bytes of the file. CPU s is" \
  "user + system time of the fastest run (10 ms resolution)."
[[ -n $reader ]] || echo "ndpiReader is not installed (Debian package libndpi-bin): its row is left out."
