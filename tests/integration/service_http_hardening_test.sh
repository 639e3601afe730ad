#!/usr/bin/env bash
# The HTTP front of `minerwatch up` under hostile clients (tests/integration/http_attack.py):
# 1 GiB bodies and 100 MB of headers with and without a token are refused within a second with
# the service's peak RSS bounded; 50 slowloris connections and 200 kept-alive clients do not slow
# an authenticated probe past p99 200 ms. Attackers use 127.0.0.2 and 127.0.0.10-13, the probe
# 127.0.0.1. Usage: service_http_hardening_test.sh /path/to/minerwatch [--bench]
set -euo pipefail
bin=${1:?usage: $0 MINERWATCH_BINARY [--bench]}
bench=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=service_common.sh
source "$here/service_common.sh"
command -v python3 >/dev/null || { echo "SKIP: needs python3"; exit 77; }
command -v curl >/dev/null || { echo "SKIP: needs curl"; exit 77; }
python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.13",0))' 2>/dev/null \
  || { echo "SKIP: cannot bind 127.0.0.13 as a source address"; exit 77; }
service_scratch
# The limits are config keys with ranges: out of range is refused by `config check` (and `up`).
for kv in "read_timeout_s: 30" "read_timeout_s: 0" "idle_timeout_s: 99999" "max_connections: 10" \
  "max_connections_per_ip: 0"; do
  printf 'server:\n  listen: 127.0.0.1:1\n  %s\nstore:\n  path: %s/state/mw.db\nsensor:\n  enabled: false\nhostscan:\n  enabled: false\n' \
    "$kv" "$work" >"$work/limits.yaml"
  if "$bin" config check "$work/limits.yaml" >/dev/null 2>&1; then ok=1; else ok=0; fi
  [[ $kv == "read_timeout_s: 30" ]] && want=1 || want=0
  [[ $ok == "$want" ]] || fail "config check on server.$kv: want accepted=$want"
done
service_config "$(freeport)"
admin=$("$bin" token --config "$work/mw.yaml" create --name admin --role admin)
viewer=$("$bin" token --config "$work/mw.yaml" create --name viewer --role viewer)
service_start "$bin"

echo "== bodies and headers"
python3 "$here/http_attack.py" bodies --url "$url" --pid "$pid" --token "$admin" $bench \
  || fail "oversized requests were not refused in time or grew the service"
echo "== slowloris and 200 kept-alive clients, 20 s"
python3 "$here/http_attack.py" load --url "$url" --token "$viewer" --seconds 20 $bench \
  || fail "the API did not stay available under slow and kept-alive clients"
curl -fsS "$url/api/v1/health" >/dev/null || fail "service not healthy after the attacks"
echo "PASS"
