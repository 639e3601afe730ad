#!/usr/bin/env bash
# minerwatch — SPDX-License-Identifier: Apache-2.0
# CPU cost of the host agent's periodic loop inside `minerwatch up`: starts N ordinary processes
# (sleep, python3, bash), runs `up` with only the host agent on (memory, page hashes and
# persistence as configured by default), lets it make PASSES passes INTERVAL apart, and reads
# the service's own counters (minerwatch_hostscan_cpu_seconds_total, _passes_total) from
# /metrics. Prints CPU per pass and the average share of one core at the default interval (15m).
# Run as root to let the scan read other processes' memory, as the agent does in production.
#
# usage: scripts/bench-host-loop.sh [-b MINERWATCH] [-n PROCESSES] [-p PASSES] [-i INTERVAL_S]
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
bin=$src/build/release/apps/minerwatch/minerwatch
nproc_extra=300
passes=4
interval=20
while getopts "b:n:p:i:h" opt; do
  case $opt in
    b) bin=$OPTARG ;;
    n) nproc_extra=$OPTARG ;;
    p) passes=$OPTARG ;;
    i) interval=$OPTARG ;;
    *) sed -n '3,10p' "$0"; exit 2 ;;
  esac
done
[[ -x $bin ]] || { echo "no minerwatch binary at $bin (build the release preset or pass -b)" >&2; exit 2; }

# shellcheck source=../tests/integration/service_common.sh
source "$src/tests/integration/service_common.sh"
service_scratch  # $work and "pids", both cleaned up on exit

for i in $(seq "$nproc_extra"); do
  case $((i % 3)) in
    0) sleep 100000 & ;;
    1) python3 -c 'import time; time.sleep(100000)' & ;;
    2) bash -c 'sleep 100000' & ;;
  esac
  pids+=($!)
done
sleep 2

service_config "$(freeport)" "hostscan:
  enabled: true
  interval: ${interval}s
  state_dir: $work/state"
service_start "$bin"

metric() { curl -fsS "$url/metrics" 2>/dev/null | awk -v m="$1" '$1 == m {print $2}' || true; }
first_cpu=""
deadline=$((SECONDS + interval * (passes + 2) + 120))
while ((SECONDS < deadline)); do
  done_passes=$(metric minerwatch_hostscan_passes_total)
  if [[ -n $done_passes && -z $first_cpu && ${done_passes%.*} -ge 1 ]]; then
    first_cpu=$(metric minerwatch_hostscan_cpu_seconds_total)
  fi
  [[ -n $done_passes && ${done_passes%.*} -ge $passes ]] && break
  sleep 1
done
total_cpu=$(metric minerwatch_hostscan_cpu_seconds_total)
done_passes=$(metric minerwatch_hostscan_passes_total)
procs=$(metric minerwatch_hostscan_processes)
[[ -n $total_cpu && -n $first_cpu ]] || { echo "no host-scan metrics; up.log:" >&2; cat "$work/up.log" >&2; exit 1; }
python3 - "$first_cpu" "$total_cpu" "${done_passes%.*}" "$procs" <<'PY'
import sys
first, total, passes, procs = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
later = (total - first) / max(passes - 1, 1)
print(f"processes seen: {procs}; passes: {passes}")
print(f"first pass: {first:.3f} CPU s; later passes: {later:.3f} CPU s each")
print(f"average at the default 15m interval: {100 * later / 900:.3f}% of one core "
      f"(first pass included over one hour: {100 * (first + 3 * later) / 3600:.3f}%)")
PY
