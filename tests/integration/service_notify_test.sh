#!/usr/bin/env bash
# Notifications and SIEM export through `minerwatch up`, against real Debian daemons on
# 127.0.0.1: OpenSMTPD (e-mail lands in a Maildir), rsyslogd (imtcp octet-counted RFC 5424 and
# imudp CEF), and a webhook receiver that checks the HMAC-SHA256 signature of every request.
# One finding: exactly one e-mail and one webhook call. A 10,000-event burst: a handful of each,
# and every event accounted for in them. Usage: service_notify_test.sh /path/to/minerwatch
# Exit 77 (skip) when a daemon is missing or another smtpd already owns its control socket.
set -euo pipefail
bin=${1:?usage: $0 MINERWATCH_BINARY}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=service_daemons.sh
source "$here/service_daemons.sh"
daemons_require

work=$(mktemp -d)
chmod 755 "$work"
pids=()
mwpid=""
cleanup() {
  [[ -n $mwpid ]] && kill -9 "$mwpid" 2>/dev/null
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  for f in up.log smtpd.log rsyslog.out hook.log; do
    [[ -f $work/$f ]] && tail -n 15 "$work/$f" | sed "s/^/  $f: /" >&2
  done
  exit 1
}
api_port=$(freeport tcp)
url=http://127.0.0.1:$api_port
daemons_start

write_config() {  # syslog address, syslog format
  cat > "$work/mw.yaml" <<YAML
server:
  listen: 127.0.0.1:$api_port
  max_body_bytes: 4194304
store:
  path: $work/state/minerwatch.db
sensor:
  enabled: false
hostscan:
  enabled: false
notify:
  window: 4s
  max_per_window: 3
  webhook_retries: 2
  smtp:
    url: smtp://127.0.0.1:$smtp_port
    from: minerwatch@example.org
    starttls: "off"
    timeout: 10s
  contacts:
    - name: secops
      email: secops@example.com
      webhook_url: http://127.0.0.1:$hook_port/hook
      webhook_secret_file: $work/hook.key
      min_severity: high
    - name: me
      email: john.smith@example.com
      min_severity: critical
export:
  jsonl_path: $work/export/findings.jsonl
  ocsf_path: $work/export/ocsf.jsonl
  syslog_address: $1
  syslog_format: $2
YAML
  "$bin" config check "$work/mw.yaml" >/dev/null || fail "config check rejected the test config"
}
start() {
  "$bin" up -c "$work/mw.yaml" >>"$work/up.log" 2>&1 &
  mwpid=$!
  wait_for 10 curl -fs "$url/api/v1/health" -o /dev/null || fail "minerwatch up did not come up"
}
stop() {
  kill -TERM "$mwpid"; wait "$mwpid" || fail "up exited non-zero"; mwpid=""
}

write_config "tcp://127.0.0.1:$tcp_syslog" rfc5424
token=$("$bin" token --config "$work/mw.yaml" create --name responder --role responder)
start
grep -q "john.smith@example.com looks like a personal address" "$work/up.log" \
  || fail "no personal-address warning in the log"

# ingest SEED COUNT... : one POST per call, findings built by python (ids as the store derives them)
cat > "$work/ingest.py" <<'PY'
import datetime, json, sys, urllib.request
url, token, spec = sys.argv[1], sys.argv[2], sys.argv[3]
# Recent timestamps: findings idle longer than store.auto_resolve_after are resolved on a tick.
now = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=5)
ts = lambda s: (now + datetime.timedelta(seconds=s)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
def finding(n, rnd, host="10.0.0.5"):
    return {"id": f"burst{n:05d}", "category": "Execution: Cryptomining Pool Protocol", "stage": 1,
            "severity": "high", "attack": ["T1496"], "resource": {"host_ip": host, "hostname": f"web-{n}"},
            "indicator": f"pool{n}.example:3333", "evidence": {"agent": "XMRig/6.16.0"},
            "detector": "stratum_session", "source": "test",
            "first_seen": ts(0), "last_seen": ts(rnd),
            "count": rnd, "revision": rnd}
def post(batch):
    req = urllib.request.Request(url + "/api/v1/findings", data=json.dumps({"findings": batch}).encode(),
                                 headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    assert urllib.request.urlopen(req).status == 200
if spec == "one":
    f = finding(99999, 1)
    f["id"], f["indicator"], f["resource"]["hostname"] = "single0000000001", "xmr.pool.example:443", "db-1"
    f["evidence"]["agent"] = 'XMRig/6.16.0 "quoted" ]bracket'
    post([f])
elif spec == "cef":
    f = finding(88888, 1)
    f["id"], f["indicator"] = "cefcef0000000001", "cef|pool=example:3333"
    post([f])
else:  # burst: 200 findings x 50 rounds = 10,000 events, 500 findings per request
    events, batch = 0, []
    for rnd in range(1, 51):
        for n in range(200):
            batch.append(finding(n, rnd)); events += 1
            if len(batch) == 500:
                post(batch); batch = []
    print(events)
PY
# --- One finding: one e-mail, one signed webhook, one RFC 5424 line, one JSON Lines + OCSF line.
python3 "$work/ingest.py" "$url" "$token" one
wait_for 15 mails_ge 1 || fail "no e-mail arrived in the Maildir: $(find "$work/Maildir" | head)"
wait_for 10 hooks_ge 1 || fail "webhook not called"
mail=$(find "$work/Maildir/new" -type f | head -1)
grep -q "^Subject: \[minerwatch\] HIGH Execution: Cryptomining Pool Protocol on db-1" "$mail" || fail "e-mail subject: $(grep -i ^subject "$mail")"
grep -q "^To: secops <secops@example.com>" "$mail" || fail "e-mail To header"
grep -q "indicator: xmr.pool.example:443" "$mail" || fail "e-mail body lacks the indicator"
wait_for 10 grep -q single0000000001 "$work/rsyslog.out" 2>/dev/null || fail "rsyslog did not receive the finding"
line=$(grep single0000000001 "$work/rsyslog.out")
python3 - "$line" <<'PY' || fail "rsyslog parse: $line"
import sys
ver, app, msgid, sd, msg = sys.argv[1].split("|", 4)
assert ver == "1", ver                      # parsed as RFC 5424
assert app == "minerwatch" and msgid == "finding", (app, msgid)
assert sd.startswith("[minerwatch@32473 id=\"single0000000001\" "), sd
assert 'indicator="xmr.pool.example:443"' in sd and 'severity="high"' in sd, sd
assert "minerwatch high mining finding on db-1" in msg, msg
PY
sleep 5  # the 4 s window closes: nothing more may be sent for this one finding
[[ $(hooks) == 1 ]] || fail "webhook called $(hooks) times for one finding, want exactly 1"
[[ $(mails) == 1 ]] || fail "$(mails) e-mails for one finding, want exactly 1"
python3 - "$work/hook.log" <<'PY' || fail "webhook payload"
import json, sys
calls = [json.loads(l) for l in open(sys.argv[1])]
c = calls[0]
assert c["ok"] and c["event"] == "finding", c
assert c["body"]["type"] == "finding" and c["body"]["findings"][0]["id"] == "single0000000001", c
assert c["body"]["findings"][0]["evidence"]["agent"] == 'XMRig/6.16.0 "quoted" ]bracket'
PY
python3 - "$work/export/findings.jsonl" "$work/export/ocsf.jsonl" <<'PY' || fail "export files"
import json, sys
j = [json.loads(l) for l in open(sys.argv[1])]
o = [json.loads(l) for l in open(sys.argv[2])]
assert len(j) == 1 and j[0]["id"] == "single0000000001" and j[0]["state"] == "active", j
assert len(o) == 1 and o[0]["class_uid"] == 2004 and o[0]["type_uid"] == 200401, o
assert o[0]["finding_info"]["uid"] == "single0000000001" and o[0]["severity_id"] == 4, o
PY

# --- Burst: 10,000 events on 200 findings.
: > "$work/hook.log"
mails_before=$(mails)
t0=$(date +%s.%N)
events=$(python3 "$work/ingest.py" "$url" "$token" burst)
t1=$(date +%s.%N)
[[ $events == 10000 ]] || fail "burst sent $events events"
sleep 6  # one window after the burst: its digest goes out
wait_for 10 python3 - "$work/hook.log" <<'PY' || fail "burst webhooks do not add up to 10000 events: $(cat "$work/hook.log" | cut -c1-300)"
import json, sys
calls = [json.loads(l) for l in open(sys.argv[1])]
assert all(c["ok"] for c in calls)
assert sum(c["body"]["total_events"] for c in calls) == 10000
PY
n=$(hooks)
burst_mails=$(( $(mails) - mails_before ))
echo "burst: 10000 events ingested in $(python3 -c "print(round($t1-$t0,2))") s -> $n webhook calls, $burst_mails e-mails"
(( n >= 2 && n <= 8 )) || fail "burst produced $n webhook calls, want a handful (2-8)"
(( burst_mails >= 2 && burst_mails <= 8 )) || fail "burst produced $burst_mails e-mails, want a handful"
grep -q '"event": "digest"' "$work/hook.log" || fail "no digest in the burst"
curl -fsS "$url/metrics" | grep -q '^minerwatch_notify_sent_total{channel="webhook"}' || fail "notify metrics missing"
jl=$(wc -l < "$work/export/findings.jsonl")
(( jl == 10001 )) || fail "JSON Lines export has $jl lines, want 10001"

# --- CEF over UDP after a restart (config change); no re-notification of what was sent.
stop
write_config "udp://127.0.0.1:$udp_syslog" cef
: > "$work/hook.log"
start
python3 "$work/ingest.py" "$url" "$token" cef
wait_for 10 grep -q "CEF:0|minerwatch|minerwatch|" "$work/rsyslog.out" || fail "no CEF line over UDP"
cef=$(grep "CEF:0|" "$work/rsyslog.out" | tail -1)
[[ $cef == *"cs1=cef|pool\\=example:3333"* ]] || fail "CEF extension escaping: $cef"
[[ $cef == *"|stratum_session|Execution: Cryptomining Pool Protocol|8|"* ]] || fail "CEF header: $cef"
wait_for 10 hooks_ge 1 || fail "webhook not called after restart"
sleep 1
[[ $(hooks) == 1 ]] || fail "after restart: $(hooks) webhook calls, want 1 (the new finding only)"
stop
grep -q "stopped cleanly" "$work/up.log" || fail "no clean stop"
echo "PASS: e-mail, signed webhook, rate-limited burst, RFC 5424/TCP and CEF/UDP syslog, JSON Lines and OCSF"
