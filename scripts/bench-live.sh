#!/usr/bin/env bash
# minerwatch — SPDX-License-Identifier: Apache-2.0
# Live capture benchmark: tcpreplay (Debian) sends the merged nDPI capture (the file
# scripts/bench-sensor.sh builds, see there) out of one end of a veth pair in a network namespace
# made here, and `minerwatch sensor -i <other end> --workers N` captures the other end. For each
# worker count: one run at tcpreplay's top rate (--topspeed), then a bisection of the rate for the
# highest one with no drops. Drops are counted where they happen: in the capture rings (the
# sensor's kernel drops, tp_drops) and before them, in the receive backlog the veth pair feeds
# (/proc/net/softnet_stat, dropped column, summed over CPUs; machine-wide, so another program's
# backlog drops would count too). "sent - processed" is shown as well: with more than one worker
# the fanout group reassembles IP fragments before hashing (PACKET_FANOUT_FLAG_DEFRAG), so a
# fragmented datagram arrives as one packet and a fragment without the rest never arrives; that
# difference is the same at any rate and is not a drop. Prints a markdown table.
#
# usage: scripts/bench-live.sh [-b BUILD_DIR] [-w "1 2"] [-s SIZE_MB] [-o FILE] [-n STEPS]
#                              [-d DATA_DIR] [-- SENSOR_ARGS...]
#   BUILD_DIR    a Release build with minerwatch and pcap_multiply (default build/release)
#   -w           worker counts to measure (default "1 2")
#   SIZE_MB      size of the merged capture (default 150; about 490,000 packets)
#   FILE         where it goes (default /tmp/minerwatch-bench/ndpi-merged-SIZE.pcap)
#   STEPS        bisection steps below the top rate (default 5: 1/32 of the top rate)
#   SENSOR_ARGS  passed on to `minerwatch sensor`, e.g. -- --rules FILE
# Needs root (a network namespace), tcpreplay and iproute2 (scripts/deps/test-e2e.txt).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$src/build/release
workers="1 2"
size_mb=150
file=
steps=5
data=${MW_SHARED_DATA_DIR:-$src/../shared/data}
while getopts "b:w:s:o:n:d:h" opt; do
  case $opt in
    b) build=$OPTARG ;;
    w) workers=$OPTARG ;;
    s) size_mb=$OPTARG ;;
    o) file=$OPTARG ;;
    n) steps=$OPTARG ;;
    d) data=$OPTARG ;;
    *) sed -n '2,20p' "$0"; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
extra=("$@")
file=${file:-/tmp/minerwatch-bench/ndpi-merged-$size_mb.pcap}
die() { echo "bench-live: $*" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || die "needs root (a network namespace and a veth pair)"
for tool in ip tcpreplay python3 bc; do
  command -v "$tool" >/dev/null || die "$tool is missing (scripts/install-deps.sh --test)"
done
mw=$build/apps/minerwatch/minerwatch
mult=$build/tools/pcap_multiply/pcap_multiply
[[ -x $mw ]] || die "no $mw (cmake --build $build --target minerwatch pcap_multiply)"
mkdir -p "$(dirname "$file")"
if [[ ! -s $file ]]; then
  [[ -x $mult ]] || die "no $mult to build $file"
  [[ -d $data/pcaps/ndpi ]] || die "no captures in $data/pcaps/ndpi (use -d or MW_SHARED_DATA_DIR)"
  echo "building $file (~${size_mb} MB) ..." >&2
  "$mult" --size-mb "$size_mb" -o "$file" "$data/pcaps/ndpi" >/dev/null 2>&1
fi

# tcpreplay refuses a record whose wire length is above its limit, and some of nDPI's fuzzed
# captures carry absurd ones (it sends the captured bytes anyway): a copy with len = caplen.
replay_file=${file%.pcap}.replay.pcap
if [[ ! -s $replay_file || $replay_file -ot $file ]]; then
  python3 - "$file" "$replay_file" <<'EOF2'
import struct, sys
src, dst = open(sys.argv[1], "rb"), open(sys.argv[2] + ".tmp", "wb")
dst.write(src.read(24))
while True:
    h = src.read(16)
    if len(h) < 16: break
    sec, frac, cap, wire = struct.unpack("<IIII", h)
    dst.write(struct.pack("<IIII", sec, frac, cap, cap) + src.read(cap))
dst.close()
EOF2
  mv "$replay_file.tmp" "$replay_file"
fi

tmp=$(mktemp -d)
ns=mw-bench-live-$$
sensor_pid=
cleanup() {
  [[ -z $sensor_pid ]] || kill "$sensor_pid" 2>/dev/null || true
  ip netns del "$ns" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
ip netns add "$ns"
in_ns() { ip netns exec "$ns" "$@"; }
in_ns ip link add mwb0 type veth peer name mwb1
# Frames up to 64 KiB (offloaded segments in the captures) must fit; no IPv6 chatter.
for dev in mwb0 mwb1; do
  in_ns ip link set "$dev" mtu 65535 up 2>/dev/null || in_ns ip link set "$dev" mtu 9000 up
  in_ns sysctl -qw "net.ipv6.conf.$dev.disable_ipv6=1"
done
mkdir -p "$tmp/intel"

backlog_drops() {
  local s=0 _a b _rest
  while read -r _a b _rest; do s=$((s + 16#$b)); done </proc/net/softnet_stat
  echo "$s"
}

# measure WORKERS RATE (packets/s, or "top"):
# prints "achieved_pps sent processed kernel_drops backlog_drops sensor_cpu_s"
measure() {
  local n=$1 rate=$2 rate_args
  [[ $rate == top ]] && rate_args=(--topspeed) || rate_args=(--pps "$rate")
  # Not through in_ns: $! must be the sensor itself (ip netns exec execs it), not a subshell.
  ip netns exec "$ns" "$mw" sensor -i mwb1 --workers "$n" --intel-dir "$tmp/intel" --json /dev/null \
    --stats-json "$tmp/stats.json" "${extra[@]}" >/dev/null 2>"$tmp/err" &
  sensor_pid=$!
  for _ in $(seq 100); do
    grep -q "capturing on" "$tmp/err" && break
    sleep 0.1
  done
  grep -q "capturing on" "$tmp/err" || { kill "$sensor_pid"; die "sensor did not start: $(cat "$tmp/err")"; }
  local before
  before=$(backlog_drops)
  in_ns tcpreplay -i mwb0 --preload-pcap "${rate_args[@]}" "$replay_file" >"$tmp/replay" 2>&1 ||
    { kill "$sensor_pid"; die "tcpreplay failed: $(tail -3 "$tmp/replay")"; }
  echo $(($(backlog_drops) - before)) >"$tmp/backlog"
  sleep 1
  # user + system time of all its threads, in clock ticks (fields 14 and 15)
  awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$sensor_pid/stat" \
    >"$tmp/cpu"
  kill -TERM "$sensor_pid"  # a background job of a script ignores SIGINT
  wait "$sensor_pid" || true
  sensor_pid=
  python3 - "$tmp/replay" "$tmp/stats.json" "$(cat "$tmp/backlog")" "$(cat "$tmp/cpu")" <<'EOF'
import json, re, sys
replay = open(sys.argv[1]).read()
pps = float(re.search(r"Rated: [\d.]+ Bps, [\d.]+ Mbps, ([\d.]+) pps", replay).group(1))
sent = int(re.search(r"Successful packets:\s+(\d+)", replay).group(1))
s = json.load(open(sys.argv[2]))
print("%.0f %d %d %d %s %s" % (pps, sent, s["packets"], s["kernel_drops"], sys.argv[3], sys.argv[4]))
EOF
}

row() {  # workers what "achieved sent processed kernel_drops backlog_drops"
  local r=($3)
  awk -v w="$1" -v what="$2" -v pps="${r[0]}" -v sent="${r[1]}" -v got="${r[2]}" -v kd="${r[3]}" \
    -v bd="${r[4]}" -v cpu="${r[5]}" 'BEGIN {
      printf "| %s | %s | %.0f | %d | %d | %d | %d | %d | %.2f%% | %.2f |\n", w, what, pps, sent,
             got, sent - got, kd, bd, (sent > 0 ? 100 * (kd + bd) / sent : 0), cpu }'
}
dropped() { local r=($1); echo $((r[3] + r[4])); }

packets=$(python3 -c '
import struct, sys
f = open(sys.argv[1], "rb"); f.read(24); n = 0
while True:
    h = f.read(16)
    if len(h) < 16: break
    f.seek(struct.unpack("<IIII", h)[2], 1); n += 1
print(n)' "$replay_file")
echo
echo "File: $(basename "$replay_file"), $(($(stat -c %s "$replay_file") / 1000000)) MB, $packets packets;" \
  "CPU $(lscpu | awk -F': +' '/Model name/ {print $2; exit}'), $(nproc) cores;" \
  "load average before: $(cut -d' ' -f1-3 /proc/loadavg); sensor args: ${extra[*]:-(none)}"
echo
echo "| workers | run | tcpreplay pps | sent | processed | sent - processed | ring drops | backlog drops | drop rate | sensor CPU s |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for n in $workers; do
  top=$(measure "$n" top)
  row "$n" "top rate" "$top"
  read -r top_pps _ <<<"$top"
  if (($(dropped "$top") == 0)); then
    row "$n" "**drop-free** (top rate)" "$top"
    continue
  fi
  lo=0 hi=${top_pps%.*} best=
  for ((i = 0; i < steps; i++)); do
    mid=$(((lo + hi) / 2))
    r=$(measure "$n" "$mid")
    row "$n" "--pps $mid" "$r"
    if (($(dropped "$r") == 0)); then lo=$mid best=$r; else hi=$mid; fi
  done
  [[ -z $best ]] || row "$n" "**drop-free** (highest)" "$best"
done
