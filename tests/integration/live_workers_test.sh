#!/usr/bin/env bash
# minerwatch — SPDX-License-Identifier: Apache-2.0
# Issue 10, must-show 4: two capture workers on a veth pair give the same findings as one on the
# same replayed traffic. In a network namespace of its own (made and deleted here) tcpreplay sends
# nDPI's mining capture (4 real Stratum sessions) and four benign captures (about 200 more flows,
# so the kernel's flow-hash fanout has something to split) out of one end of a veth pair at a
# moderate rate; `minerwatch sensor -i <other end>` runs with --workers 1, then --workers 2.
# Checks: the (category, host, indicator) sets are identical, not empty, and equal to `scan pcap`
# of the same files; each run processed every packet tcpreplay sent, no kernel drops; with two
# workers both processed packets. ~10 s.
# Usage: live_workers_test.sh MINERWATCH_BINARY [SHARED_DATA_DIR]
# Exit 0 pass, 1 fail (each failed check named), 77 skipped (the reason printed).
set -euo pipefail
mw=${1:?usage: $0 MINERWATCH_BINARY [SHARED_DATA_DIR]}
data=${2:-$(cd "$(dirname "$0")/../.." && pwd)/../shared/data}

skip() {
  echo "SKIP: $*"
  exit 77
}
[[ $(id -u) -eq 0 ]] || skip "needs root (a network namespace and a veth pair)"
for tool in ip tcpreplay python3 timeout; do
  command -v "$tool" >/dev/null 2>&1 ||
    skip "$tool not installed (scripts/install-deps.sh --test installs iproute2, tcpreplay)"
done
pcaps=()
for f in mining.pcapng kerberos.pcap zabbix.pcap alicloud.pcap jabber.pcap; do
  [[ -r $data/pcaps/ndpi/$f ]] || skip "shared data missing: $data/pcaps/ndpi/$f"
  pcaps+=("$data/pcaps/ndpi/$f")
done

work=$(mktemp -d /tmp/mw-live-workers.XXXXXX)
ns=mw-live-$$
failed=0
sensor_pid=
cleanup() {
  [[ -z $sensor_pid ]] || kill "$sensor_pid" 2>/dev/null || true
  ip netns del "$ns" 2>/dev/null || true
  if ((failed)); then echo "work dir kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*"
  failed=1
}

ip netns add "$ns"
in_ns() { ip netns exec "$ns" "$@"; }
in_ns ip link set lo up
in_ns ip link add mwl0 type veth peer name mwl1
# Some captures hold frames above 1500 bytes (offloaded segments); IPv6 autoconfiguration would
# add packets of its own to the link.
for dev in mwl0 mwl1; do
  in_ns ip link set "$dev" mtu 9000 up
  in_ns sysctl -qw "net.ipv6.conf.$dev.disable_ipv6=1"
done
mkdir -p "$work/intel"

# findings JSONL → sorted unique "category|host|indicator" lines
keys() {
  python3 -c '
import json, sys
keys = set()
for line in open(sys.argv[1]):
    if line.strip():
        f = json.loads(line)
        keys.add("%s|%s|%s" % (f["category"], f["resource"]["host_ip"], f["indicator"]))
print("\n".join(sorted(keys)))' "$1"
}
stat_of() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }

# run WORKERS: sensor on mwl1, replay on mwl0, SIGTERM; leaves $work/wN.{jsonl,stats,sent}
run() {
  local n=$1 out=$work/w$1
  # Not through in_ns: $! must be the sensor itself (ip netns exec execs it), not a subshell.
  ip netns exec "$ns" "$mw" sensor -i mwl1 --workers "$n" --flush-interval 1 --intel-dir "$work/intel" \
    --json "$out.jsonl" --stats-json "$out.stats" 2>"$out.err" &
  sensor_pid=$!
  for _ in $(seq 100); do
    grep -q "capturing on" "$out.err" 2>/dev/null && break
    sleep 0.1
  done
  grep -q "capturing on" "$out.err" || { fail "workers=$n: sensor did not start: $(cat "$out.err")"; return; }
  in_ns timeout 30 tcpreplay -i mwl0 --pps 2000 "${pcaps[@]}" >"$out.replay" 2>&1 ||
    fail "workers=$n: tcpreplay failed: $(tail -3 "$out.replay")"
  sleep 1  # the last block's timeout (100 ms) and a margin
  kill -TERM "$sensor_pid"  # a background job of a script ignores SIGINT
  local rc=0
  wait "$sensor_pid" || rc=$?
  sensor_pid=
  # exit 1 = findings reported
  ((rc == 0 || rc == 1)) || fail "workers=$n: sensor exited $rc: $(tail -3 "$out.err")"
  awk '/Successful packets:/ {print $3}' "$out.replay" >"$out.sent"
  sed 's/^/  /' "$out.err" | grep -E "summary|capture "
}

run 1
run 2
((failed)) && exit 1

"$mw" scan pcap "${pcaps[@]}" --intel-dir "$work/intel" --json "$work/file.jsonl" --quiet || true
keys "$work/w1.jsonl" >"$work/w1.keys"
keys "$work/w2.jsonl" >"$work/w2.keys"
keys "$work/file.jsonl" >"$work/file.keys"
echo "findings with 1 worker:"
sed 's/^/  /' "$work/w1.keys"
[[ -s $work/w1.keys ]] || fail "no findings with 1 worker (the mining capture has 4 Stratum sessions)"
grep -q "^Execution: Cryptomining Pool Protocol|" "$work/w1.keys" ||
  fail "no pool-protocol finding with 1 worker"
diff -u "$work/w1.keys" "$work/w2.keys" >"$work/diff" || fail "2 workers differ from 1: $(cat "$work/diff")"
diff -u "$work/file.keys" "$work/w1.keys" >"$work/diff-file" ||
  fail "live differs from scan pcap of the same files: $(cat "$work/diff-file")"

for n in 1 2; do
  sent=$(cat "$work/w$n.sent")
  got=$(stat_of "$work/w$n.stats" packets)
  drops=$(stat_of "$work/w$n.stats" kernel_drops)
  [[ -n $sent && $sent -gt 0 ]] || fail "workers=$n: tcpreplay sent nothing"
  [[ $got == "$sent" ]] || fail "workers=$n: sensor processed $got packets, tcpreplay sent $sent"
  [[ $drops == 0 ]] || fail "workers=$n: $drops kernel drops at 2000 packets/s"
done
busy=$(python3 -c '
import json, sys
print(sum(1 for c in json.load(open(sys.argv[1]))["captures"] if c["packets"] > 0))' "$work/w2.stats")
[[ $busy == 2 ]] || fail "with --workers 2 only $busy worker(s) processed packets (fanout split nothing)"

((failed)) && exit 1
echo "PASS: $(wc -l <"$work/w1.keys") findings, the same with 1 and 2 workers and in scan pcap;" \
  "$(cat "$work/w1.sent") packets, none dropped"
