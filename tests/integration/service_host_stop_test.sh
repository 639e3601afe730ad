#!/usr/bin/env bash
# SIGTERM while a host-scan pass is running: `minerwatch up` must exit within 5 s with status 0,
# log the cut-short pass as incomplete (never as clean), and keep what the pass had found.
#
# The pass is made long on purpose: a 1 MiB/s memory read cap and a fake miner (python3 named
# xmrig, a stratum+tcp:// pool on its command line) holding 64 MiB of touched memory, so the
# pass spends minutes in the rate limiter. Before the fix, stop waited for the pass (46-56 s).
# "The pass is running" is checked twice: the fake miner's inventory finding is in the store
# (delivered before the memory phase) and /api/v1/health says a pass is running and none has
# finished.
# Usage: service_host_stop_test.sh /path/to/minerwatch
set -euo pipefail
bin=${1:?usage: $0 MINERWATCH_BINARY}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=service_common.sh
source "$here/service_common.sh"
service_scratch

pool=mwstop$$.supportxmr.com
port=$(freeport)
service_config "$port" "hostscan:
  enabled: true
  interval: 10m
  read_rate_mb: 1
  state_dir: $work/state
detectors:
  memory_rules: {enabled: true}
  hash_match: {enabled: false}
  persistence: {enabled: false}"
viewer=$("$bin" token --config "$work/mw.yaml" create --name viewer --role viewer)

(exec -a xmrig python3 -c 'import time; b = b"\x01" * (64 << 20); time.sleep(300)' \
  -o "stratum+tcp://$pool:3333" -u wallet -t 1) &
fake=$!
pids+=("$fake")
sleep 0.5  # the 64 MiB are touched before the first pass lists processes
service_start "$bin"

miner_stored() {
  curl -fsS -H "Authorization: Bearer $viewer" "$url/api/v1/findings?limit=1000" 2>/dev/null |
    python3 -c '
import json, sys
pid = int(sys.argv[1])
ok = any(f["category"] == "Execution: Miner Process" and ("\"pid\": %d" % pid) in json.dumps(f["evidence"])
         for f in json.load(sys.stdin)["findings"])
sys.exit(0 if ok else 1)' "$fake"
}
pass_running() {
  curl -fsS "$url/api/v1/health" 2>/dev/null | python3 -c '
import json, sys
h = json.load(sys.stdin)["components"]["hostscan"]
sys.exit(0 if h["pass_running"] and h["passes"] == 0 else 1)'
}
wait_for 60 miner_stored || fail "the pass's inventory finding did not reach the store"
sleep 1  # well into the memory phase
pass_running || fail "no host-scan pass running: $(curl -fsS "$url/api/v1/health")"

start=$(date +%s.%N)
kill -TERM "$pid"
status=0
wait "$pid" || status=$?
took=$(python3 -c "import sys; print(round($(date +%s.%N) - $start, 2))")
pid=""
echo "up exited $took s after SIGTERM with status $status"
[[ $status == 0 ]] || fail "up exited with status $status"
python3 -c "import sys; sys.exit(0 if $took < 5 else 1)" || fail "up took $took s to stop (limit 5 s)"
grep -q "host scan pass incomplete: stopped before the end of the pass" "$work/up.log" ||
  fail "the interrupted pass was not logged as incomplete"
grep -q "stopped cleanly" "$work/up.log" || fail "no clean stop in the log"

# The store was closed cleanly (WAL checkpointed and removed) and holds what the pass found.
[[ ! -s $work/state/minerwatch.db-wal ]] || fail "store WAL left behind: not closed cleanly"
service_config "$port"
service_start "$bin"
miner_stored || fail "the interrupted pass's finding is not in the store after restart"
kill -TERM "$pid"
wait "$pid" || fail "second up exited non-zero"
pid=""
echo "PASS: SIGTERM during a host-scan pass: exit in $took s, status 0, pass logged incomplete, finding kept"
