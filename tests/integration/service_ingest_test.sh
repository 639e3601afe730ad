#!/usr/bin/env bash
# POST /api/v1/findings against `minerwatch up`: malformed findings get 400 naming the field,
# nothing of a refused batch is stored, an accepted ingest is in the audit log with the token's
# name and the fields it changed, and the store is owner-only on disk.
# Usage: service_ingest_test.sh /path/to/minerwatch
set -euo pipefail
bin=${1:?usage: $0 MINERWATCH_BINARY}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=service_common.sh
source "$here/service_common.sh"
service_scratch
service_config "$(freeport)"
# Room for a 1001-finding body, so the batch bound (not the body bound) is what answers.
sed -i 's/^server:$/server:\n  max_body_bytes: 1048576/' "$work/mw.yaml"
admin=$("$bin" token --config "$work/mw.yaml" create --name admin --role admin)
agent=$("$bin" token --config "$work/mw.yaml" create --name agent-7 --role responder)
service_start "$bin"

python3 - "$url" "$agent" "$admin" <<'PY' || fail "ingest checks failed"
import copy, datetime, json, sys, urllib.error, urllib.request
url, agent, admin = sys.argv[1:4]
now = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=5)
ts = lambda s: (now + datetime.timedelta(seconds=s)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

def call(method, path, token, body=None):
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    req = urllib.request.Request(url + path, data=data, method=method, headers={
        "Authorization": "Bearer " + token, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")

good = {"id": "agent7-0001", "category": "Execution: Cryptomining Pool Protocol", "stage": 0,
        "severity": "medium", "attack": ["T1496"],
        "resource": {"host_ip": "10.0.0.5", "hostname": "web-1"},
        "indicator": "pool.example:3333", "evidence": {"agent": "XMRig/6.16.0"},
        "detector": "stratum_session", "source": "test", "first_seen": ts(0), "last_seen": ts(1),
        "count": 1, "revision": 1}
def with_(**kv):
    f = copy.deepcopy(good)
    f.update(kv)
    return {"findings": [f]}
huge = json.dumps(with_(count=1)).replace('"count": 1', '"count": 9223372036854775813').encode()
cases = [
    (with_(id="mw-<script>alert(1)</script>"), "findings[0].id: must be 1-128 characters"),
    (with_(severity="urgent"), "findings[0].severity: must be one of info, low, medium, high, critical"),
    (huge, "findings[0].count: must be an integer from 0 to 9007199254740991"),
    (with_(count=-7), "findings[0].count: must be an integer from 0 to 9007199254740991"),
    (with_(indicator="x" * 5000), "findings[0].indicator: at most 1024 bytes"),
    ({"findings": [good] * 1001}, "findings: at most 1000 findings per request"),
    (with_(stage="1"), "findings[0].stage: must be 0 (precursor) or 1 (mining)"),
    (with_(evidence=[1]), "findings[0].evidence: must be an object"),
    (with_(state="muted"), "findings[0].state: unknown field"),
    ({"findings": [good, good, good, dict(good, severity="bogus")]}, "findings[3].severity:"),
    ({"findings": "all"}, "findings: must be an array"),
]
for body, want in cases:
    status, answer = call("POST", "/api/v1/findings", agent, body)
    message = answer.get("error", {}).get("message", "")
    assert status == 400 and message.startswith(want), (status, message, want)
# A refused batch stores nothing, not even its valid findings.
status, answer = call("GET", "/api/v1/findings/agent7-0001", admin)
assert status == 404, (status, answer)

status, answer = call("POST", "/api/v1/findings", agent, {"findings": [good]})
assert status == 200 and answer["created"] == 1, (status, answer)
rewrite = dict(good, severity="critical", stage=1, evidence={"agent": "rewritten"}, count=5,
               revision=2, last_seen=ts(2))
status, answer = call("POST", "/api/v1/findings", agent, {"findings": [rewrite]})
assert status == 200 and answer["updated"] == 1, (status, answer)

status, answer = call("GET", "/api/v1/audit?limit=10", admin)
assert status == 200, (status, answer)
mine = [e for e in answer["audit"] if e["action"] == "finding.ingest"]
assert len(mine) == 2, answer
update, create = mine  # newest first
assert create["actor"] == "token:agent-7" and create["target"] == "agent7-0001", create
assert create["detail"]["change"] == "created", create
assert update["actor"] == "token:agent-7" and update["detail"]["change"] == "updated", update
assert update["detail"]["severity"] == {"from": "medium", "to": "critical"}, update
assert update["detail"]["stage"] == {"from": "precursor", "to": "mining"}, update
for field in ("severity", "stage", "evidence", "last_seen", "count"):
    assert field in update["detail"]["fields"], (field, update)
# An accepted id is one the id routes can address.
status, answer = call("POST", "/api/v1/findings/agent7-0001/mute", agent, {"reason": "lab"})
assert status == 200, (status, answer)
PY

# Owner-only on disk: the folder, the database and its WAL files.
for f in "$work/state" "$work/state/minerwatch.db" "$work/state/minerwatch.db-wal" \
  "$work/state/minerwatch.db-shm"; do
  want=600
  [[ -d $f ]] && want=700
  got=$(stat -c %a "$f")
  [[ $got == "$want" ]] || fail "$f is $got, want $want"
done
kill -TERM "$pid"
wait "$pid" || fail "up exited non-zero"
echo "service_ingest_test: OK"
