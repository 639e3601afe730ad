#!/usr/bin/env bash
# `minerwatch up` end to end on 127.0.0.1: tokens and roles, ingest through the API, clean
# shutdown on SIGTERM, state kept across a restart, and no acknowledged finding lost on kill -9
# in the middle of a burst of writes. Usage: service_up_test.sh /path/to/minerwatch
set -euo pipefail
bin=${1:?usage: $0 MINERWATCH_BINARY}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=service_common.sh
source "$here/service_common.sh"
service_scratch
service_config "$(freeport)"
"$bin" config check "$work/mw.yaml" >/dev/null || fail "config check rejected a valid file"
start() { service_start "$bin"; }

viewer=$("$bin" token --config "$work/mw.yaml" create --name viewer --role viewer)
responder=$("$bin" token --config "$work/mw.yaml" create --name responder --role responder)
start

finding() {  # id-seed -> finding JSON
  python3 - "$1" <<'PY'
import json, sys, hashlib
n = sys.argv[1]
cat = "Execution: Cryptomining Pool Protocol"
ind = f"pool{n}.example:3333"
fid = hashlib.sha256(f"{cat}|10.0.0.5|{ind}".encode()).hexdigest()[:16]
print(json.dumps({"id": fid, "category": cat, "stage": 1, "severity": "high",
  "attack": ["T1496"], "resource": {"host_ip": "10.0.0.5", "hostname": "web-1"},
  "indicator": ind, "evidence": {"agent": "XMRig/6.16.0", "pool": ind}, "detector": "stratum_session",
  "source": "test", "first_seen": "2026-01-01T00:00:00.000000Z", "last_seen": "2026-01-01T00:00:01.000000Z",
  "count": 1, "revision": 1}))
PY
}
f1=$(finding 1)
id1=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["id"])' "$f1")
code=$(curl -s -o "$work/r" -w '%{http_code}' -H "Authorization: Bearer $viewer" -H 'Content-Type: application/json' \
  -d "{\"findings\":[$f1]}" "$url/api/v1/findings")
[[ $code == 403 ]] || fail "viewer ingest: want 403, got $code"
code=$(curl -s -o "$work/r" -w '%{http_code}' -H "Authorization: Bearer $responder" -H 'Content-Type: application/json' \
  -d "{\"findings\":[$f1]}" "$url/api/v1/findings")
[[ $code == 200 ]] || fail "responder ingest: want 200, got $code: $(cat "$work/r")"
curl -fsS -H "Authorization: Bearer $viewer" "$url/api/v1/findings/$id1" | grep -q '"state":"active"' \
  || fail "finding not visible through the API"

code=$(curl -s -o "$work/r" -w '%{http_code}' -H "Authorization: Bearer $viewer" -H 'Content-Type: application/json' \
  -d '{"reason":"lab"}' "$url/api/v1/findings/$id1/mute")
[[ $code == 403 ]] || fail "viewer mute: want 403, got $code"
code=$(curl -s -o "$work/r" -w '%{http_code}' -H "Authorization: Bearer $responder" -H 'Content-Type: application/json' \
  -d '{"reason":"lab"}' "$url/api/v1/findings/$id1/mute")
[[ $code == 200 ]] || fail "responder mute: want 200, got $code"
curl -fsS "$url/metrics" | grep -q '^minerwatch_findings{category="Execution: Cryptomining Pool Protocol"} 1' \
  || fail "metrics do not count the finding"

# Clean shutdown on SIGTERM, then a restart keeps the state.
kill -TERM "$pid"
wait "$pid" || fail "up exited non-zero on SIGTERM"
pid=""
grep -q "stopped cleanly" "$work/up.log" || fail "no clean-stop message"
start
curl -fsS -H "Authorization: Bearer $viewer" "$url/api/v1/findings/$id1" | grep -q '"state":"muted"' \
  || fail "mute did not survive a restart"

# kill -9 in the middle of a burst: every finding whose POST was answered 200 must be there.
python3 - "$url" "$responder" "$work/acked" <<'PY' &
import json, sys, urllib.request, hashlib
url, tok, acked = sys.argv[1:4]
cat = "Execution: Cryptomining Pool Protocol"
with open(acked, "w") as out:
    for n in range(100000):
        ind = f"burst{n}.example:3333"
        fid = hashlib.sha256(f"{cat}|10.0.0.7|{ind}".encode()).hexdigest()[:16]
        f = {"id": fid, "category": cat, "stage": 1, "severity": "high",
             "resource": {"host_ip": "10.0.0.7"}, "indicator": ind, "evidence": {"n": n},
             "first_seen": "2026-01-01T00:00:00Z", "last_seen": "2026-01-01T00:00:00Z", "count": 1, "revision": 1}
        req = urllib.request.Request(url + "/api/v1/findings", data=json.dumps({"findings": [f]}).encode(),
                                     headers={"Authorization": "Bearer " + tok, "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=5) as r:
                if r.status == 200:
                    out.write(fid + "\n"); out.flush()
        except Exception:
            break
PY
burst=$!
sleep 2
kill -9 "$pid"
pid=""
wait "$burst" || true
acked=$(wc -l < "$work/acked")
(( acked > 10 )) || fail "burst acknowledged only $acked findings before the kill"
start
missing=0
while read -r id; do
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $viewer" "$url/api/v1/findings/$id")
  [[ $code == 200 ]] || missing=$((missing + 1))
done < "$work/acked"
(( missing == 0 )) || fail "$missing of $acked acknowledged findings lost after kill -9"
echo "service_up_test: OK ($acked acknowledged findings all present after kill -9)"
