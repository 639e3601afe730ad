#!/usr/bin/env bash
# `-c FILE` of `scan pcap` and `host scan` starts the outputs the file configures (export.*),
# beside the command's own --json: the same findings reach the export file. The pcap half needs
# ../shared/data (skipped, with the reason, when absent). Usage: command_config_outputs_test.sh
# /path/to/minerwatch /path/to/shared/data
set -euo pipefail
bin=${1:?usage: $0 MINERWATCH_BINARY SHARED_DATA}
data=${2:?usage: $0 MINERWATCH_BINARY SHARED_DATA}
work=$(mktemp -d)
fake=""
cleanup() {
  [[ -n $fake ]] && kill "$fake" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
export MINERWATCH_STATE_DIR=$work/state
fails=0
fail() {
  echo "FAIL: $*" >&2
  fails=$((fails + 1))
}
cat >"$work/mw.yaml" <<YAML
export:
  jsonl_path: $work/export/findings.jsonl
YAML

# same_findings NAME: the export file holds one stored finding per line of the command's --json.
same_findings() {
  local name=$1 json exported
  json=$(wc -l <"$work/out.jsonl")
  exported=$(wc -l <"$work/export/findings.jsonl" 2>/dev/null || echo 0)
  if ((json == 0)); then
    fail "$name: no findings to compare"
  elif ((exported != json)); then
    fail "$name: $exported exported lines for $json findings"
  else
    echo "ok   $name: $json findings, $exported exported"
  fi
}

pcap=$data/pcaps/ndpi/mining.pcapng
if [[ -f $pcap ]]; then
  rc=0
  "$bin" scan pcap -c "$work/mw.yaml" "$pcap" --json "$work/out.jsonl" -q \
    || rc=$?
  ((rc == 1)) || fail "scan pcap: exit $rc, want 1 (findings)"
  same_findings "scan pcap -c"
else
  echo "SKIP scan pcap -c: $pcap not found (../shared/data)"
fi
rm -rf "$work/export"

# A process that looks like a miner by its command line (really a sleeping python3).
(exec -a xmrig python3 -c 'import time; time.sleep(60)' -o stratum+tcp://pool.example:3333 \
  -u wallet -t 1) &
fake=$!
sleep 0.5
rc=0
"$bin" host scan -c "$work/mw.yaml" --pid "$fake" --no-memory --no-intel --cpu-sample-ms 0 -q \
  --json "$work/out.jsonl" || rc=$?
((rc == 1)) || fail "host scan: exit $rc, want 1 (findings)"
same_findings "host scan -c"

((fails == 0)) || exit 1
echo "all passed"
