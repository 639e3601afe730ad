#!/usr/bin/env bash
# The host agent inside `minerwatch up`: a process that looks like a miner (named xmrig, a
# stratum+tcp:// pool on its command line; really a sleeping python3) is found by the periodic
# host scan, its findings reach the store like the sensor's and are listed by the API, /health
# reports the agent's passes and `minerwatch doctor` checks it. Memory and persistence passes are
# off here (slow on a shared runner; the host agent's own tests cover them).
# Usage: service_host_test.sh /path/to/minerwatch
set -euo pipefail
bin=${1:?usage: $0 MINERWATCH_BINARY}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=service_common.sh
source "$here/service_common.sh"
service_scratch

# A name under a pool domain of the shipped default intel (*.supportxmr.com), unique to this run.
pool=mwtest$$.supportxmr.com
service_config "$(freeport)" "hostscan:
  enabled: true
  interval: 10s
  state_dir: $work/state
detectors:
  memory_rules: {enabled: false}
  hash_match: {enabled: false}
  combined_detection: {enabled: false}
  persistence: {enabled: false}"
"$bin" config check "$work/mw.yaml" >/dev/null || fail "config check rejected the test config"
viewer=$("$bin" token --config "$work/mw.yaml" create --name viewer --role viewer)

(exec -a xmrig python3 -c 'import time; time.sleep(120)' -o "stratum+tcp://$pool:3333" -u wallet -t 1) &
fake=$!
pids+=("$fake")
service_start "$bin"

ours() {  # prints "category|indicator" of findings that are about the fake miner
  curl -fsS -H "Authorization: Bearer $viewer" "$url/api/v1/findings?limit=1000" 2>/dev/null | python3 -c '
import json, sys
pool, pid = sys.argv[1], int(sys.argv[2])
for f in json.load(sys.stdin)["findings"]:
    ev = json.dumps(f["evidence"])
    if pool in f["indicator"] or pool in ev or ("\"pid\": %d" % pid) in ev:
        print(f["category"] + "|" + f["indicator"] + "|" + f["detector"])
' "$pool" "$fake" 2>/dev/null
}
# One answer is kept and checked whole: a second request could see a different moment.
got=""
both() { got=$(ours); [[ $got == *"Execution: Miner Process"* && $got == *"Malware: Bad Domain|$pool"* ]]; }
for _ in $(seq 300); do both && break; kill -0 "$pid" 2>/dev/null || fail "up exited"; sleep 0.1; done
both || fail "host agent findings not in the store after 30 s; got: $got"
echo "host agent findings through the API:"; sed 's/^/  /' <<<"$got"
[[ $got == *"|miner_process"* ]] || fail "findings do not name the host detector miner_process"

health=$(curl -fsS "$url/api/v1/health")
python3 -c 'import json,sys; h=json.loads(sys.argv[1])["components"]["hostscan"]; assert h["status"]=="running" and h["passes"]>=1 and h["interval_s"]==10, h' "$health" \
  || fail "health: $health"
doctor=$("$bin" doctor -c "$work/mw.yaml" --json || true)
python3 -c '
import json, sys
c = {x["check"]: x for x in json.loads(sys.argv[1])["checks"]}
assert c["host agent"]["verdict"] == "PASS", c["host agent"]
assert c["host agent"]["detail"].split()[0].isdigit(), c["host agent"]
' "$doctor" || fail "doctor: $doctor"
kill -TERM "$pid"; wait "$pid" || fail "up exited non-zero"; pid=""
echo "PASS: host agent in up: miner-process and bad-domain findings stored, health and doctor report it"
