#!/usr/bin/env bash
# minerwatch — SPDX-License-Identifier: Apache-2.0
# Issue 9, must-show 4: stage 1 from memory needs proof of work, not names.
# In a network namespace of its own (loopback only; nothing can leave it) the test runs
#   - dnsmasq, answering 63 real pool names (Falco's miner_domains list) with 10.251.1.x,
#   - an interactive bash (fed through a FIFO) that ran `dig pool.supportxmr.com` and other pool
#     lookups and printed and read a real XMRig config.json (pool URL, wallet, algorithm profiles),
#   - a log reader (python3) holding a real Zeek dns.log plus dnsmasq's query log of those lookups,
#   - a rule loader (python3, as a SIEM or EDR agent) holding public coin-miner detection rules
#     (Elastic endpoint behaviour TOML, Sigma YAML) that list pool names and miner algorithm ids,
# and asserts `host scan --pid` gives none of them a stage-1 finding (the stage-0
# "Discovery: Cryptomining Strings in Memory" is what names alone may give), while
#   - XMRig 6.16.0 (--bench=1M, light RandomX, --no-huge-pages, no MSR writes, one thread) and
#   - Debian's monerod (--offline, --no-igd, a temporary --data-dir) after it computed a RandomX
#     hash (its calc_pow RPC on 127.0.0.1)
# still give a stage-1 `Execution: Cryptomining YARA Rule` backed by a proof-of-work rule.
# Every process runs inside the namespace; miners under `timeout`. ~15-25 s on 2 cores.
# Usage: host_stage_one_test.sh MINERWATCH_BINARY SOURCE_DIR [SHARED_DATA_DIR]
# Exit 0 pass, 1 fail (each failed check named), 77 skipped (the reason printed).
set -euo pipefail
mw=${1:?usage: $0 MINERWATCH_BINARY SOURCE_DIR [SHARED_DATA_DIR]}
src=${2:?usage: $0 MINERWATCH_BINARY SOURCE_DIR [SHARED_DATA_DIR]}
data=${3:-$src/../shared/data}

skip() {
  echo "SKIP: $*"
  exit 77
}
[[ $(id -u) -eq 0 ]] || skip "needs root (a network namespace, other processes' memory)"
for tool in ip dnsmasq dig monerod python3 timeout; do
  command -v "$tool" >/dev/null 2>&1 ||
    skip "$tool not installed (scripts/install-deps.sh --test installs dnsmasq-base, dnsutils, monero)"
done
names_list=$data/threat-intel/falco/extracted_miner_domains.txt
zeek_log=$data/dns-logs/zeek-wrccdc2018-brimdata/dns.log.gz
detection_rules=$data/detection-rules
for f in "$names_list" "$zeek_log" "$detection_rules/elastic-endpoint-behavior"; do
  [[ -r $f ]] || skip "shared data missing: $f"
done
xmrig=$("$src/tests/support/fetch_xmrig.sh") || skip "real XMRig unavailable (fetch_xmrig.sh failed)"
xmrig_config=$(dirname "$xmrig")/config.json
[[ -r $xmrig_config ]] || skip "XMRig's config.json missing next to $xmrig"

work=$(mktemp -d /tmp/mw-stage1.XXXXXX)
chmod 755 "$work"
ns=mw-stage1-$$
dns_ip=10.251.0.53
pids=()
scan_args=()
failed=0
cleanup() {
  set +e
  exec 7>&-
  # TERM first (`timeout` passes it on to the miner it runs), then KILL whatever is left.
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    alive=0
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    ((alive)) || break
    sleep 0.2
  done
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
  # Anything else still in the namespace (a child a pid above did not cover) goes too.
  for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
  wait 2>/dev/null
  ip netns del "$ns" 2>/dev/null
  rm -rf "/etc/netns/$ns"
  if ((failed)); then echo "work dir kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
  echo "FAIL - $*"
  failed=1
}
die() {
  echo "FAIL - $*"
  failed=1
  exit 1
}
wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
  local until=$((SECONDS + $1))
  while ! "${@:3}" 2>/dev/null; do
    ((SECONDS < until)) || die "$2 (not within $1 s)"
    sleep 0.2
  done
}
child_of() {  # child_of PID EXE_GLOB: the child running EXE_GLOB (ip netns exec, bash -c fork)
  local p
  for _ in $(seq 50); do
    for p in $(pgrep -P "$1" || true); do
      [[ $(readlink "/proc/$p/exe") == $2 ]] && { echo "$p"; return; }
    done
    sleep 0.1
  done
}

# --- The namespace: loopback only, the resolver on a namespace address ----------------------
ip netns add "$ns" || skip "cannot create a network namespace"
mkdir -p "/etc/netns/$ns"
echo "nameserver $dns_ip" >"/etc/netns/$ns/resolv.conf"  # `ip netns exec` binds it over resolv.conf
ip -n "$ns" link set lo up
ip -n "$ns" addr add "$dns_ip/32" dev lo
ip -n "$ns" addr add 10.251.1.0/24 dev lo
echo "namespace $ns: $(ip -n "$ns" -brief addr | tr -s ' ' | tr '\n' ';')"

# Pool names from a public list (Falco's miner_domains), each answered with a local address.
sed -e 's/#.*//' -e 's/[[:space:]]//g' "$names_list" | grep -v '^$' >"$work/pool-names.txt"
for n in pool.supportxmr.com xmr.pool.minergate.com pool.minexmr.com; do
  grep -qx "$n" "$work/pool-names.txt" || die "$n is not in $names_list any more"
done
{
  echo "port=53"
  echo "listen-address=$dns_ip"
  echo "bind-interfaces"
  echo "no-resolv"
  echo "no-hosts"
  echo "no-poll"
  echo "log-queries"
  i=0
  while read -r n; do
    i=$((i + 1))
    echo "address=/$n/10.251.1.$i"
  done <"$work/pool-names.txt"
} >"$work/dnsmasq.conf"
echo "pool names answered by dnsmasq: $(wc -l <"$work/pool-names.txt") (from ${names_list#"$data"/})"

ip netns exec "$ns" dnsmasq --keep-in-foreground --conf-file="$work/dnsmasq.conf" --log-facility=- \
  --pid-file="$work/dnsmasq.pid" --user=nobody >"$work/dnsmasq.log" 2>&1 &
dnsmasq_pid=$!
pids+=("$dnsmasq_pid")
wait_for 10 "dnsmasq answers pool.supportxmr.com" \
  bash -c "ip netns exec $ns dig +short +time=1 +tries=1 @$dns_ip pool.supportxmr.com | grep -q '^10\.251\.1\.'"

# monerod takes a few seconds to initialise: start it now, scan it last.
mkdir -p "$work/monerod"
timeout 150 ip netns exec "$ns" monerod --offline --no-igd --non-interactive \
  --data-dir "$work/monerod" --log-file "$work/monerod/monerod.log" --log-level 0 \
  --check-updates disabled --disable-dns-checkpoints --no-zmq --max-concurrency 1 \
  --p2p-bind-ip 127.0.0.1 --rpc-bind-ip 127.0.0.1 >"$work/monerod.out" 2>&1 &
monerod_timeout=$!
pids+=("$monerod_timeout")

# --- An administrator's interactive bash ----------------------------------------------------
mkfifo "$work/shell.in"
ip netns exec "$ns" env -i HOME="$work" PATH=/usr/sbin:/usr/bin:/sbin:/bin TERM=dumb PS1='admin$ ' \
  HISTFILE="$work/history" bash --norc -i <"$work/shell.in" >"$work/shell.out" 2>&1 &
shell_pid=$!
pids+=("$shell_pid")
exec 7>"$work/shell.in"  # held open: the shell waits for more input, like one at a prompt
cat >&7 <<EOF
cd $work
dig @$dns_ip pool.supportxmr.com
dig pool.supportxmr.com
for i in 1 2 3; do dig +short @$dns_ip pool.supportxmr.com; dig +short @$dns_ip xmr.pool.minergate.com; done
dig +short @$dns_ip pool.minexmr.com A
addr=\$(dig +short @$dns_ip pool.supportxmr.com); echo "pool.supportxmr.com is \$addr"
cat $xmrig_config
config=\$(cat $xmrig_config); grep -E '"(url|user|coin)"' <<<"\$config"
for i in \$(seq 10); do dig +short +time=1 +tries=1 @$dns_ip -f $work/pool-names.txt >/dev/null; done
echo "__shell_done__ \$((6 + 10 * \$(wc -l <$work/pool-names.txt))) lookups"
EOF
wait_for 30 "the shell ran its dig and cat commands" grep -q '^__shell_done__' "$work/shell.out"
grep -q "pool.supportxmr.com is 10.251.1." "$work/shell.out" || die "dig in the shell got no answer"
grep -q 'xmrpool.eu:9999' "$work/shell.out" || die "the shell did not print XMRig's config"
echo "shell (pid $shell_pid): $(grep '^__shell_done__' "$work/shell.out" | cut -d' ' -f2-)," \
  "printed $(wc -c <"$xmrig_config") bytes of XMRig config"

# --- A log reader holding DNS logs full of pool names ---------------------------------------
cat >"$work/dns_log_reader.py" <<'EOF'
import collections, gzip, sys, time
lines = []
with gzip.open(sys.argv[1], "rt") as f:  # Zeek dns.log: query is the 10th field
    lines += [("zeek", l) for l in f if not l.startswith("#")]
with open(sys.argv[2]) as f:              # dnsmasq: "... query[A] NAME from IP"
    lines += [("dnsmasq", l) for l in f if " query[" in l]
names = collections.Counter()
for kind, l in lines:
    if kind == "zeek":
        fields = l.split("\t")
        if len(fields) > 9: names[fields[9]] += 1
    else:
        names[l.split(" query[", 1)[1].split()[1]] += 1
pool = [l for _, l in lines if "supportxmr" in l or "minergate" in l or "minexmr" in l]
print(f"ready: {len(lines)} log lines, {len(names)} names, {len(pool)} lines naming "
      "supportxmr/minergate/minexmr; top:", names.most_common(5), flush=True)
time.sleep(3600)
EOF
ip netns exec "$ns" python3 "$work/dns_log_reader.py" "$zeek_log" "$work/dnsmasq.log" >"$work/reader.out" 2>&1 &
reader_pid=$!
pids+=("$reader_pid")
wait_for 30 "the log reader read its logs" grep -q '^ready:' "$work/reader.out"
echo "log reader (pid $reader_pid): $(cut -c1-220 "$work/reader.out")"
# --- A rule loader holding public coin-miner detection rules (names and algorithm ids) -------
cat >"$work/rule_loader.py" <<'EOF'
import pathlib, sys, time
rules = {p.name: p.read_text() for p in sorted(pathlib.Path(sys.argv[1]).rglob("*"))
         if p.suffix in (".toml", ".yml")}
ids = [a for a in ("rx/wow", "rx/arq", "cn/upx2", "argon2/chukwa", "cn-heavy/xhv")
       if any(a in t for t in rules.values())]
print(f"ready: {len(rules)} detection rules, {sum(map(len, rules.values()))} bytes, naming", ids,
      flush=True)
time.sleep(3600)
EOF
ip netns exec "$ns" python3 "$work/rule_loader.py" "$detection_rules" >"$work/rules.out" 2>&1 &
rules_pid=$!
pids+=("$rules_pid")
wait_for 30 "the rule loader read its rules" grep -q '^ready:' "$work/rules.out"
echo "rule loader (pid $rules_pid): $(cut -c1-220 "$work/rules.out")"
queries=$(grep -c ' query\[' "$work/dnsmasq.log" || true)
echo "dnsmasq (pid $dnsmasq_pid): answered $queries queries"
((queries >= 600)) || die "dnsmasq logged only $queries queries"

monerod_pid=$(child_of "$monerod_timeout" "*/monerod")
[[ -n $monerod_pid ]] || die "monerod did not start: $(tail -3 "$work/monerod.out")"
pids+=("$monerod_pid")
# Initialised: the core (blockchain with the genesis block, its PoW code) and the RPC server.
wait_for 40 "monerod initialised (core RPC server started)" \
  grep -q 'core RPC server started ok' "$work/monerod.out"
# And RandomX itself: the node's calc_pow RPC (127.0.0.1 inside the namespace) hashes a block
# blob with rx/0, so monerod builds its RandomX cache and JIT-compiles a RandomX program.
# Started now, so it runs while the other processes are scanned.
ip netns exec "$ns" timeout 50 python3 - >"$work/calc_pow.out" 2>&1 <<'EOF' &
import json, time, urllib.request
req = {"jsonrpc": "2.0", "id": "0", "method": "calc_pow",
       "params": {"major_version": 12, "height": 2000000, "block_blob": "0c0c" + "00" * 72,
                  "seed_hash": "00" * 32}}
t = time.time()
r = urllib.request.urlopen(urllib.request.Request(
    "http://127.0.0.1:18081/json_rpc", json.dumps(req).encode(),
    {"Content-Type": "application/json"}), timeout=45)
print(f"rx/0 hash {json.load(r)['result']} in {time.time() - t:.1f} s")
EOF
calc_pow_pid=$!
pids+=("$calc_pow_pid")

# --- Scans ----------------------------------------------------------------------------------
# What each shipped rule declares as its evidence (meta evidence = "proof_of_work" or "names").
python3 - "$src/ruleset/yara" >"$work/rule-evidence.tsv" <<'EOF'
import pathlib, re, sys
for f in sorted(pathlib.Path(sys.argv[1]).glob("*.yar")):
    for name, body in re.findall(r"^rule\s+(\w+)\s*\{(.*?)^\}", f.read_text(), re.M | re.S):
        m = re.search(r'evidence\s*=\s*"(\w+)"', body)
        print(f"{name}\t{m.group(1) if m else 'names'}")
EOF
# scan NAME PID EXE_GLOB [OTHER_PID...]: host scan of the process (memory, command line,
# sockets with intel), in one pass with OTHER_PIDs if given; prints every finding with its stage
# and why; sets stage1 to the number of stage-1 findings about PID.
scan() {
  local name=$1 pid=$2 want_exe=$3 rc=0 exe pid_args=()
  kill -0 "$pid" 2>/dev/null || die "$name (pid $pid) is not running"
  exe=$(readlink "/proc/$pid/exe")
  [[ $exe == $want_exe ]] || die "$name: pid $pid runs $exe, not $want_exe"
  for p in "$pid" "${@:4}"; do pid_args+=(--pid "$p"); done
  "$mw" host scan "${pid_args[@]}" "${scan_args[@]}" --json "$work/$name.jsonl" --summary-json "$work/$name.summary.json" \
    --state-dir "$work/state" --cpu-sample-ms 500 -q 2>"$work/$name.err" || rc=$?
  if ((rc != 0 && rc != 1)); then
    fail "$name: host scan exited $rc (want 0 or 1: a complete scan): $(tail -3 "$work/$name.err")"
  fi
  stage1=$(python3 - "$work/$name.jsonl" "$name" "$pid" "$work/$name.summary.json" \
    "$work/rule-evidence.tsv" <<'EOF'
import json, sys
path, name, pid, summary, kinds = sys.argv[1:]
kind = dict(l.rstrip("\n").split("\t") for l in open(kinds) if "\t" in l)
try:
    findings = [json.loads(l) for l in open(path) if l.strip()]
except OSError:
    findings = []
try:
    mem = json.load(open(summary)).get("memory", {})
except (OSError, ValueError, AttributeError):
    mem = {}
print(f"  {name} (pid {pid}): {len(findings)} findings; memory read: "
      f"{mem.get('bytes_read', '?')} bytes", file=sys.stderr)
for f in findings:
    ev = f.get("evidence", {})
    hits = {}
    for r in ev.get("rules", []):  # one hit per rule and region; keep the first
        hits.setdefault(r["rule"], r)
    rules = ", ".join(f"{n} ({kind.get(n, '?')})" for n in sorted(hits))
    pids = ",".join(str(p.get("pid")) for p in ev.get("processes", []))
    line = f"    stage {f['stage']} {f['severity']:8} {f['category']} [{f['detector']}] pid {pids}"
    print(line, file=sys.stderr)
    for key, label in (("proof", "proof"), ("why_not_stage_1", "why not stage 1"),
                       ("reasons", "reasons"), ("where", "where"), ("intel", "intel")):
        if key in ev:
            print(f"      {label}: {ev[key]}", file=sys.stderr)
    if rules:
        print(f"      rules: {rules}", file=sys.stderr)
        pow_first = sorted(hits.values(), key=lambda r: kind.get(r["rule"]) != "proof_of_work")
        for r in pow_first[:4]:
            print(f"        {r['rule']} at {r['address']} in {r['region']} ({r['string']})",
                  file=sys.stderr)
def about(f):
    procs = f.get("evidence", {}).get("processes")
    return procs is None or any(str(p.get("pid")) == pid for p in procs)
print(sum(1 for f in findings if f["stage"] == 1 and about(f)))
EOF
)
}
# stage1_why NAME PID: one line per stage-1 finding about PID: category, detector, rules, proof,
# reasons.
stage1_why() {
  python3 - "$work/$1.jsonl" "$2" <<'EOF'
import json, sys
for l in open(sys.argv[1]):
    if not l.strip(): continue
    f = json.loads(l)
    if f["stage"] != 1: continue
    ev = f.get("evidence", {})
    procs = ev.get("processes")
    if procs is not None and not any(str(p.get("pid")) == sys.argv[2] for p in procs): continue
    rules = sorted({r["rule"] for r in ev.get("rules", [])})
    print(f"{f['category']} by {f['detector']}: rules {rules or '-'}, proof {ev.get('proof', '-')},"
          f" reasons {ev.get('reasons', '-')}, intel {ev.get('intel', '-')}")
EOF
}
has_pow_yara() {  # has_pow_yara NAME: a stage-1 YARA Rule finding proven by a proof-of-work rule
  python3 - "$work/$1.jsonl" <<'EOF'
import json, sys
for l in open(sys.argv[1]):
    f = json.loads(l) if l.strip() else {}
    if (f.get("category") == "Execution: Cryptomining YARA Rule" and f.get("stage") == 1
            and f.get("evidence", {}).get("proof") == "proof_of_work rule"):
        sys.exit(0)
sys.exit(1)
EOF
}

echo "--- processes that only handled pool names and miner strings: no stage 1"
for target in "shell:$shell_pid:*/bash" "dnsmasq:$dnsmasq_pid:*/dnsmasq" \
  "dns-log-reader:$reader_pid:*/python3*" "detection-rule-loader:$rules_pid:*/python3*"; do
  IFS=: read -r name pid want_exe <<<"$target"
  scan "$name" "$pid" "$want_exe"
  if ((stage1 == 0)); then
    echo "ok   - $name (pid $pid, $(readlink "/proc/$pid/exe")): no stage-1 finding"
  else
    fail "$name (pid $pid) gave $stage1 stage-1 finding(s) from names alone:"
    stage1_why "$name" "$pid" | sed 's/^/       /'
  fi
done

echo "--- miners and a Monero node: stage 1 from proof of work"
# As miners are often kept running: a bash respawn loop (its command line names XMRig's options).
timeout 60 ip netns exec "$ns" bash -c 'while :; do "$@"; sleep 1; done' respawn \
  "$xmrig" --bench=1M --randomx-mode=light --no-huge-pages --randomx-wrmsr=-1 -t 1 \
  --cpu-priority=0 --log-file="$work/xmrig.log" >/dev/null 2>&1 &
xmrig_timeout=$!
pids+=("$xmrig_timeout")
respawn_pid=$(child_of "$xmrig_timeout" "*/bash")
[[ -n $respawn_pid ]] || die "the XMRig respawn loop did not start"
pids+=("$respawn_pid")
xmrig_pid=$(child_of "$respawn_pid" "$xmrig")
[[ -n $xmrig_pid ]] || die "XMRig did not start"
pids+=("$xmrig_pid")
# "READY threads" comes after "randomx dataset ready": the light-mode cache is built, hashing runs.
wait_for 30 "XMRig initialised RandomX (light) and started hashing" \
  grep -q 'READY threads' "$work/xmrig.log"
sleep 1
scan xmrig "$xmrig_pid" "$xmrig"
if has_pow_yara xmrig; then
  echo "ok   - xmrig (pid $xmrig_pid): stage-1 YARA Rule from proof-of-work constants"
else
  fail "xmrig (pid $xmrig_pid): no stage-1 YARA Rule backed by a proof-of-work rule" \
    "(stage-1 findings: $stage1)"
fi

# Miner evidence is per process: XMRig's bash respawn loop (/usr/bin/bash, miner options on its
# command line) makes no other bash a miner, so the administrator's bash, which holds only pool
# names, stays below stage 1 when both are scanned in one pass.
echo "--- the shell again, in one pass with XMRig's bash respawn loop (pid $respawn_pid)"
scan shell-with-respawn "$shell_pid" "*/bash" "$respawn_pid"
if ((stage1 == 0)); then
  echo "ok   - shell (pid $shell_pid): no stage-1 finding next to a miner's bash respawn loop"
else
  fail "shell (pid $shell_pid) gave stage 1 next to the respawn loop:"
  stage1_why shell-with-respawn "$shell_pid" | sed 's/^/       /'
fi
kill -TERM "$xmrig_timeout" 2>/dev/null || true

wait "$calc_pow_pid" || die "monerod's calc_pow RPC failed: $(tail -2 "$work/calc_pow.out")"
echo "monerod (pid $monerod_pid): $(grep -o 'Monero .*(v[^)]*)' "$work/monerod.out" | head -1)," \
  "librandomx mapped ($(grep -c librandomx "/proc/$monerod_pid/maps") regions), calc_pow:" \
  "$(cat "$work/calc_pow.out"), RSS $(awk '/VmRSS/ {print $2, $3}' "/proc/$monerod_pid/status")"
scan monerod "$monerod_pid" "*/monerod"
if has_pow_yara monerod; then
  echo "ok   - monerod (pid $monerod_pid): stage-1 YARA Rule from proof-of-work constants"
else
  fail "monerod (pid $monerod_pid): no stage-1 YARA Rule backed by a proof-of-work rule" \
    "(stage-1 findings: $stage1)"
fi
# On a synced node the LMDB map (data.mdb, ~200 GB; 1 GiB here) comes before librandomx.so in
# the read order (both file-backed, by address) and uses up the per-process budget: then only
# the PoW code in monerod's own executable (read in full) can show it.
scan_args=(--max-process-mb 128)
scan monerod-budget "$monerod_pid" "*/monerod"
scan_args=()
if has_pow_yara monerod-budget; then
  echo "ok   - monerod (pid $monerod_pid), read budget 128 MiB: stage-1 YARA Rule from its own code"
else
  fail "monerod (pid $monerod_pid), read budget 128 MiB: no stage-1 YARA Rule backed by a" \
    "proof-of-work rule (librandomx.so was past the budget)"
fi

((failed == 0)) && echo "PASS: names alone give no stage 1; XMRig and monerod do (${SECONDS} s)"
exit "$failed"
