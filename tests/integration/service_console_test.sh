#!/usr/bin/env bash
# Browser test of the web console: `minerwatch up` on loopback (sensor off), findings ingested
# through the API as a responder, then web/tests/console.test.mjs drives Debian's headless
# Chromium with Playwright (playwright-core from web/tests/package-lock.json, `npm ci`; no browser
# is ever downloaded). The screenshot is kept at ARTIFACTS/console.png.
# Usage: service_console_test.sh /path/to/minerwatch ARTIFACTS_DIR
set -euo pipefail
bin=${1:?usage: $0 MINERWATCH_BINARY ARTIFACTS_DIR}
artifacts=${2:?usage: $0 MINERWATCH_BINARY ARTIFACTS_DIR}
mkdir -p "$artifacts"
artifacts=$(cd "$artifacts" && pwd)  # node runs in web/tests: the path must be absolute
here=$(cd "$(dirname "$0")" && pwd)
tests_dir=$here/../../web/tests
for tool in node npm python3 curl; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool not installed (scripts/deps/test-notify.txt)"; exit 77; }
done
[[ -x /usr/bin/chromium ]] || { echo "SKIP: /usr/bin/chromium not installed"; exit 77; }

# shellcheck source=service_common.sh
source "$here/service_common.sh"
service_scratch

# Packages from the lock file; node_modules is a cache, refreshed when the lock file changes.
if [[ ! -f $tests_dir/node_modules/.package-lock.json || $tests_dir/package-lock.json -nt $tests_dir/node_modules/.package-lock.json ]]; then
  (cd "$tests_dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error) \
    || fail "npm ci in web/tests failed"
fi

service_config "$(freeport)"
token=$("$bin" token --config "$work/mw.yaml" create --name console-test --role responder)
service_start "$bin"

# Three findings: two pool connections (mining) on two hosts, one pool-domain lookup (precursor).
pool_id=$(python3 - "$url" "$token" <<'PY'
import datetime, json, sys, urllib.request
url, token = sys.argv[1], sys.argv[2]
# Recent timestamps: findings idle longer than store.auto_resolve_after are resolved on the first tick.
now = datetime.datetime.now(datetime.timezone.utc)
ts = lambda d: (now - datetime.timedelta(seconds=d)).strftime("%Y-%m-%dT%H:%M:%S.000000Z")
def f(fid, cat, stage, sev, host, name, ind, ev, count, det):
    return {"id": fid, "category": cat, "stage": stage, "severity": sev, "attack": ["T1496"],
            "resource": {"host_ip": host, "hostname": name}, "indicator": ind, "evidence": ev,
            "detector": det, "source": "console-test", "first_seen": ts(300),
            "last_seen": ts(10), "count": count, "revision": 1}
pool = "Execution: Cryptomining Pool Protocol"
findings = [
    f("c0ffee0000000001", pool, 1, "critical", "10.0.0.5", "web-1", "pool.supportxmr.example:3333",
      {"agent": "XMRig/6.16.0", "pool": "pool.supportxmr.example:3333", "protocol": "stratum"}, 12, "stratum_session"),
    f("c0ffee0000000002", pool, 1, "high", "10.0.0.6", "web-2", "pool.minexmr.example:4444",
      {"agent": "xmr-stak/2.10", "pool": "pool.minexmr.example:4444"}, 3, "stratum_session"),
    f("c0ffee0000000003", "Malware: Bad Domain", 0, "medium", "10.0.0.7", "build-3", "xmr.pool.example",
      {"server": "10.0.0.53"}, 1, "pool_intel"),
]
req = urllib.request.Request(url + "/api/v1/findings", data=json.dumps({"findings": findings}).encode(),
                             headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
assert urllib.request.urlopen(req).status == 200
print(findings[0]["id"])
PY
) || fail "ingest through the API failed"

mkdir -p "$artifacts"
rm -f "$artifacts/console.png"
(cd "$tests_dir" && MW_URL=$url MW_TOKEN=$token MW_POOL_ID=$pool_id MW_SCREENSHOT=$artifacts/console.png \
   timeout 90 node console.test.mjs) || fail "browser test failed"
[[ -s $artifacts/console.png ]] || fail "no screenshot at $artifacts/console.png"
kill -TERM "$pid"; wait "$pid" || fail "up exited non-zero"; pid=""
echo "PASS: console browser test; screenshot $artifacts/console.png"
