#!/usr/bin/env bash
# minerwatch — SPDX-License-Identifier: Apache-2.0
# Memory scan of a live miner: minerwatch vs the yara CLI, side by side in one run. Starts a real
# XMRig (tests/support/fetch_xmrig.sh) inside `unshare --net` (loopback only), under `timeout`,
# --bench (no pool), light RandomX, one thread, no huge pages; waits until it is mining; then
# measures CPU time (user+sys, /usr/bin/time) of REPS runs each of
#   minerwatch host scan --pid PID ...        (the project's rules, built in)
#   yara -p 1 <ruleset/yara/*.yar> PID
# and prints each run, the medians and the ratio. Run as root (both read another process).
#
# usage: scripts/bench-memscan.sh [-b MINERWATCH] [-r REPS] [-m light|fast]
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
bin=$src/build/release/apps/minerwatch/minerwatch
reps=5
mode=light
while getopts "b:r:m:h" opt; do
  case $opt in
    b) bin=$OPTARG ;;
    r) reps=$OPTARG ;;
    m) mode=$OPTARG ;;
    *) sed -n '3,11p' "$0"; exit 2 ;;
  esac
done
[[ -x $bin ]] || { echo "no minerwatch binary at $bin (pass -b)" >&2; exit 2; }
command -v yara >/dev/null || { echo "no yara CLI (scripts/install-deps.sh --test)" >&2; exit 2; }
xmrig=$("$src/tests/support/fetch_xmrig.sh") || { echo "no XMRig" >&2; exit 2; }

work=$(mktemp -d)
tpid=""
cleanup() {
  [[ -n $tpid ]] && kill "$tpid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
cat "$src"/ruleset/yara/*.yar > "$work/rules.yar"

timeout 600 unshare --net "$xmrig" --bench=1M --no-huge-pages --randomx-mode="$mode" -t 1 \
  --log-file="$work/xmrig.log" >/dev/null 2>&1 &
tpid=$!
pid=""
for _ in $(seq 100); do  # unshare execs xmrig, so it is timeout's child
  p=$(pgrep -P "$tpid" | head -1 || true)
  [[ -n $p && $(readlink "/proc/$p/exe") != */unshare ]] && { pid=$p; break; }
  sleep 0.1
done
[[ -n $pid ]] || { echo "xmrig did not start" >&2; exit 1; }
for _ in $(seq 120); do  # mining once the bench reports its first speed (dataset/cache ready)
  grep -q "speed\|READY" "$work/xmrig.log" 2>/dev/null && break
  sleep 0.5
done
sleep 2
rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
echo "xmrig pid $pid, RandomX $mode, RSS $((rss / 1024)) MiB, $reps runs each"

cpu() {  # cpu CMD... → "user+sys" seconds; the command's own output is discarded
  /usr/bin/time -f '%U %S' -o "$work/t" "$@" >/dev/null 2>&1 || true
  tail -1 "$work/t" | awk '{printf "%.3f", $1 + $2}'  # after "Command exited with..." lines
}
mw_runs=()
yara_runs=()
for i in $(seq "$reps"); do
  # Its own state folder: the first run compiles the Hyperscan databases into <state>/cache and
  # the later ones load them, as a host's repeated scans would.
  m=$(cpu "$bin" host scan --pid "$pid" --json "$work/f.jsonl" --no-intel -q --cpu-sample-ms 0 \
    --state-dir "$work/state")
  y=$(cpu yara -p 1 "$work/rules.yar" "$pid")
  mw_runs+=("$m")
  yara_runs+=("$y")
  printf 'run %d: minerwatch %s s  yara %s s\n' "$i" "$m" "$y"
done
grep -q "Cryptomining YARA Rule" "$work/f.jsonl" || echo "WARNING: minerwatch found no YARA rule match" >&2
echo "yara rules matched: $(yara -p 1 "$work/rules.yar" "$pid" 2>/dev/null | wc -l)"
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
mm=$(median "${mw_runs[@]}")
ym=$(median "${yara_runs[@]}")
awk -v m="$mm" -v y="$ym" 'BEGIN {printf "median CPU: minerwatch %.3f s, yara %.3f s, yara/minerwatch %.1fx\n", m, y, y / m}'
