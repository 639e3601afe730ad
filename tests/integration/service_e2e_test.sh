#!/usr/bin/env bash
# The findings service end to end with a real miner, in a network namespace this test makes
# (`unshare --net`: loopback only). `minerwatch up` captures on lo; XMRig 6.16.0 (one thread,
# --no-huge-pages, under timeout) mines against tests/integration/stratum_pool.py on 127.0.0.1;
# then, within seconds:
#   - the "Execution: Cryptomining Pool Protocol" finding is listed by the API,
#   - the console shows it (web/tests/console.test.mjs in e2e mode, Debian's headless Chromium),
#   - an e-mail lands in OpenSMTPD's Maildir, rsyslogd receives the RFC 5424 line, and the signed
#     webhook is called exactly once (daemons: service_daemons.sh, shared with service_notify_test),
#   - mute as viewer is refused (403), as responder it works, and a restart keeps all of it.
# No acknowledged finding is lost on kill -9 mid-burst: service_up_test.sh checks that.
# Usage: service_e2e_test.sh /path/to/minerwatch ARTIFACTS_DIR. Exit 77 (skip) with the reason
# when it cannot run here (not root, no XMRig, no daemons, no Chromium).
set -euo pipefail
bin=${1:?usage: $0 MINERWATCH_BINARY ARTIFACTS_DIR}
artifacts=${2:?usage: $0 MINERWATCH_BINARY ARTIFACTS_DIR}
here=$(cd "$(dirname "$0")" && pwd)
tests_dir=$here/../../web/tests
skip() { echo "SKIP: $*"; exit 77; }

if [[ ${MW_E2E_IN_NETNS:-} != 1 ]]; then
  # Outside the namespace: everything that needs the network (XMRig, npm) and the checks that
  # decide whether to skip.
  [[ $(id -u) == 0 ]] || skip "needs root (network namespace, OpenSMTPD, packet capture)"
  for tool in unshare ip node npm python3 curl smtpd rsyslogd; do
    command -v "$tool" >/dev/null || skip "$tool not installed (scripts/deps/test-service.txt)"
  done
  [[ -x /usr/bin/chromium ]] || skip "/usr/bin/chromium not installed"
  set +e
  xmrig=$(bash "$here/../support/fetch_xmrig.sh" 2>"${TMPDIR:-/tmp}/mw-e2e-fetch.err")
  rc=$?
  set -e
  [[ $rc == 3 ]] && skip "XMRig 6.16.0 is not available: $(cat "${TMPDIR:-/tmp}/mw-e2e-fetch.err")"
  [[ $rc == 0 && -x $xmrig ]] || { echo "FAIL: fetch_xmrig.sh failed: $(cat "${TMPDIR:-/tmp}/mw-e2e-fetch.err")"; exit 1; }
  if [[ ! -f $tests_dir/node_modules/.package-lock.json || $tests_dir/package-lock.json -nt $tests_dir/node_modules/.package-lock.json ]]; then
    (cd "$tests_dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error) \
      || { echo "FAIL: npm ci in web/tests failed"; exit 1; }
  fi
  mkdir -p "$artifacts"
  artifacts=$(cd "$artifacts" && pwd)
  exec unshare --net -- env MW_E2E_IN_NETNS=1 MW_E2E_XMRIG="$xmrig" bash "$0" "$bin" "$artifacts"
fi

# ---- inside the namespace ----
xmrig=$MW_E2E_XMRIG
ip link set lo up || skip "cannot bring up loopback in the test namespace"
# shellcheck source=service_daemons.sh
source "$here/service_daemons.sh"
daemons_require

work=$(mktemp -d)
chmod 755 "$work"
pids=()
mwpid=""
xpid=""
cleanup() {
  [[ -n $xpid ]] && kill "$xpid" 2>/dev/null
  [[ -n $mwpid ]] && kill -9 "$mwpid" 2>/dev/null
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  for f in up.log xmrig.log pool.log smtpd.log rsyslog.out hook.log console.log; do
    [[ -f $work/$f ]] && tail -n 15 "$work/$f" | sed "s/^/  $f: /" >&2
  done
  exit 1
}
elapsed() { python3 -c "import time,sys; print(round(time.time()-float(sys.argv[1]),1))" "$1"; }

category="Execution: Cryptomining Pool Protocol"
wallet=44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A
api_port=$(freeport tcp)
pool_port=$(freeport tcp)
url=http://127.0.0.1:$api_port
daemons_start

python3 "$here/stratum_pool.py" --host 127.0.0.1 --port "$pool_port" --log "$work/pool.jsonl" \
  --ready-file "$work/pool.ready" >"$work/pool.log" 2>&1 &
pids+=($!)
wait_for 10 test -e "$work/pool.ready" || fail "the test pool did not start"

cat > "$work/mw.yaml" <<YAML
server:
  listen: 127.0.0.1:$api_port
store:
  path: $work/state/minerwatch.db
sensor:
  enabled: true
  interfaces: [lo]
  flush_interval: 1s
hostscan:
  enabled: false
export:
  jsonl_path: $work/export/findings.jsonl
  syslog_address: tcp://127.0.0.1:$tcp_syslog
  syslog_format: rfc5424
$(daemons_notify_yaml 10m 3)
YAML
"$bin" config check "$work/mw.yaml" >/dev/null || fail "config check rejected the test config"
viewer=$("$bin" token --config "$work/mw.yaml" create --name viewer --role viewer)
responder=$("$bin" token --config "$work/mw.yaml" create --name responder --role responder)

sensor_running() {
  curl -fsS "$url/api/v1/health" 2>/dev/null | python3 -c 'import json,sys; h=json.load(sys.stdin); s=h["components"]["sensor"]["status"]; assert s=="running", s' 2>/dev/null
}
start() {
  "$bin" up -c "$work/mw.yaml" >>"$work/up.log" 2>&1 &
  mwpid=$!
  wait_for 15 curl -fs "$url/api/v1/health" -o /dev/null || fail "minerwatch up did not come up"
  # The API answers before the capture thread has opened lo: poll until the sensor reports in.
  wait_for 15 sensor_running || fail "sensor not running: $(curl -s "$url/api/v1/health")"
}
stop() {
  kill -TERM "$mwpid"; wait "$mwpid" || fail "up exited non-zero"; mwpid=""
}
get() {  # token path
  curl -fsS -H "Authorization: Bearer $1" "$url$2"
}
post_code() {  # token path body -> HTTP status
  curl -s -o "$work/r" -w '%{http_code}' -H "Authorization: Bearer $1" -H 'Content-Type: application/json' \
    -d "$3" "$url$2"
}
# Prints the id of the live miner's pool finding (stage mining, from 127.0.0.1, XMRig's agent).
pool_finding_id() {
  get "$viewer" "/api/v1/findings?category=$(python3 -c 'import sys,urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$category")" \
    | python3 -c '
import json, sys
port = sys.argv[1]
for f in json.load(sys.stdin)["findings"]:
    if (f["resource"]["host_ip"] == "127.0.0.1" and f["stage_name"] == "mining"
            and f["indicator"].endswith(":" + port)
            and str(f["evidence"].get("agent", "")).startswith("XMRig/6.16.0")):
        print(f["id"]); break
' "$pool_port"
}
have_pool_finding() { [[ -n $(pool_finding_id 2>/dev/null) ]]; }

start

# ---- the miner ----
t0=$(date +%s.%N)
timeout 60 "$xmrig" -o "127.0.0.1:$pool_port" -u "$wallet" -p x -a cn/0 --no-huge-pages \
  --log-file="$work/xmrig.log" -t 1 --cpu-priority=0 --no-color --donate-level=1 --print-time=60 \
  --retries=2 --retry-pause=1 >"$work/xmrig.stdout" 2>&1 &
xpid=$!
wait_for 30 have_pool_finding || fail "no '$category' finding through the API 30 s after XMRig started"
t_api=$(elapsed "$t0")
id=$(pool_finding_id)
echo "finding $id listed by the API $t_api s after XMRig started"

# ---- notifications: e-mail, syslog, webhook ----
wait_for 20 mails_ge 1 || fail "no e-mail arrived in the Maildir"
t_mail=$(elapsed "$t0")
mail=$(find "$work/Maildir/new" -type f | head -1)
grep -q "^Subject: \[minerwatch\] [A-Z]* $category on 127.0.0.1" "$mail" || fail "e-mail subject: $(grep -i ^subject "$mail")"
grep -q "^To: secops <secops@example.com>" "$mail" || fail "e-mail To header"
wait_for 10 grep -q "id=\"$id\"" "$work/rsyslog.out" 2>/dev/null || fail "rsyslog did not receive finding $id"
grep "id=\"$id\"" "$work/rsyslog.out" | head -1 | python3 -c '
import sys
ver, app, msgid, sd, msg = sys.stdin.read().rstrip("\n").split("|", 4)
assert ver == "1" and app == "minerwatch" and msgid == "finding", (ver, app, msgid)
assert "Execution: Cryptomining Pool Protocol" in sd, sd
' || fail "rsyslog line: $(grep "id=\"$id\"" "$work/rsyslog.out" | head -1)"
wait_for 10 hooks_ge 1 || fail "webhook not called"
python3 - "$work/hook.log" "$id" <<'PY' || fail "webhook payload: $(cut -c1-400 "$work/hook.log")"
import json, sys
calls = [json.loads(l) for l in open(sys.argv[1])]
c = calls[0]
assert c["ok"] and c["event"] == "finding", c
f = c["body"]["findings"][0]
assert f["id"] == sys.argv[2] and f["evidence"]["agent"].startswith("XMRig/6.16.0"), f
PY
echo "e-mail, syslog line and webhook within $(elapsed "$t0") s (e-mail at $t_mail s)"

# ---- the console ----
(cd "$tests_dir" && MW_URL=$url MW_TOKEN=$viewer MW_MODE=e2e MW_WAIT_CATEGORY="$category" \
   MW_WAIT_HOST=127.0.0.1 MW_SCREENSHOT="$artifacts/console-e2e.png" timeout 60 node console.test.mjs) \
   >"$work/console.log" 2>&1 || fail "console did not show the finding"
cat "$work/console.log"

# The miner keeps mining meanwhile: its updates fold into the window's digest, not more alerts.
submits=$(grep -c '"method": "submit"' "$work/pool.jsonl" || true)
kill "$xpid" 2>/dev/null || true
wait "$xpid" 2>/dev/null || true
xpid=""
grep -q '"agent": *"XMRig/6.16.0' "$work/pool.jsonl" || grep -q 'XMRig/6.16.0' "$work/pool.jsonl" \
  || fail "the pool never saw XMRig's login: test setup broken"
sleep 2  # the sensor's last flush
[[ $(hooks) == 1 ]] || fail "webhook called $(hooks) times for one finding, want exactly 1"
[[ $(mails) == 1 ]] || fail "$(mails) e-mails for one finding, want exactly 1"

# ---- mute: viewer refused, responder allowed ----
code=$(post_code "$viewer" "/api/v1/findings/$id/mute" '{"reason":"e2e"}')
[[ $code == 403 ]] || fail "viewer mute: want 403, got $code: $(cat "$work/r")"
get "$viewer" "/api/v1/findings/$id" | grep -q '"state":"active"' || fail "a refused mute changed the finding"
code=$(post_code "$responder" "/api/v1/findings/$id/mute" '{"reason":"e2e lab miner"}')
[[ $code == 200 ]] || fail "responder mute: want 200, got $code: $(cat "$work/r")"
before=$(get "$viewer" "/api/v1/findings/$id")
python3 -c 'import json,sys; f=json.loads(sys.argv[1]); assert f["state"]=="muted" and f["state_detail"]["by"]=="token:responder", f' "$before" \
  || fail "mute not recorded: $before"
# The mute reaches the SIEM export as a lifecycle change.
muted_exported() { grep "\"$id\"" "$work/export/findings.jsonl" 2>/dev/null | grep -q '"state":"muted"'; }
wait_for 5 muted_exported || fail "the mute did not reach the JSON Lines export"

# ---- restart keeps everything ----
stop
grep -q "stopped cleanly" "$work/up.log" || fail "no clean stop"
start
after=$(get "$viewer" "/api/v1/findings/$id") || fail "finding $id gone after restart"
python3 - "$before" "$after" <<'PY' || fail "state changed across the restart: $before -> $after"
import json, sys
b, a = json.loads(sys.argv[1]), json.loads(sys.argv[2])
for k in ("state", "state_detail", "count", "first_seen", "incident_id", "evidence"):
    assert a[k] == b[k], (k, b[k], a[k])
assert a["count"] >= 1
PY
inc=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["incident_id"])' "$after")
get "$viewer" "/api/v1/incidents/$inc" | grep -q 'muted by token:responder' || fail "incident timeline lacks the mute"
get "$viewer" /api/v1/whoami | grep -q '"role":"viewer"' || fail "tokens lost across the restart"
# A digest of the miner's later updates may go out at shutdown; the finding is never re-alerted.
python3 - "$work/hook.log" <<'PY' || fail "webhook calls after restart: $(cut -c1-300 "$work/hook.log")"
import json, sys
calls = [json.loads(l) for l in open(sys.argv[1])]
assert all(c["ok"] for c in calls), calls
assert sum(c["event"] == "finding" for c in calls) == 1, [c["event"] for c in calls]
PY
stop
echo "PASS: live XMRig ($submits shares) -> finding via API in $t_api s, console, e-mail, syslog, one webhook; viewer mute 403, responder mute 200; restart keeps it"
