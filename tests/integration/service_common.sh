# minerwatch — SPDX-License-Identifier: Apache-2.0
# Sourced (not run) by the service_*_test.sh scripts and service_daemons.sh: what every test of
# `minerwatch up` needs, on 127.0.0.1 of whatever network namespace the caller is in.
#
#   service_scratch        $work (0755, removed on exit) and the array "pids" (append what you
#                          start; each is killed on exit); define extra_cleanup() for more
#   fail MSG               one FAIL line plus minerwatch's log ($work/up.log), exit 1
#   freeport [tcp|udp]     a free loopback port
#   wait_for SECONDS CMD…  polls CMD every 0.1 s until it succeeds or time runs out
#   listening PORT         something accepts TCP connections on 127.0.0.1:PORT
#   service_config PORT [YAML]
#                          writes $work/mw.yaml: API on PORT, store in $work, sensor off, host
#                          agent off unless YAML has a hostscan section; YAML (further top-level
#                          sections) is appended; sets $url
#   service_start BIN      starts `BIN up -c $work/mw.yaml` (log appended to $work/up.log), sets
#                          $pid and $url, waits until /api/v1/health answers

service_scratch() {
  work=$(mktemp -d)
  chmod 0755 "$work"
  pids=()
  trap service_cleanup EXIT
}

service_cleanup() {
  if declare -F extra_cleanup >/dev/null; then extra_cleanup || true; fi
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null && wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}

fail() {
  echo "FAIL: $*" >&2
  [[ -f $work/up.log ]] && sed 's/^/  up.log: /' "$work/up.log" >&2
  exit 1
}

freeport() { python3 -c 'import socket,sys; s=socket.socket(type=socket.SOCK_DGRAM if sys.argv[1]=="udp" else socket.SOCK_STREAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' "${1:-tcp}"; }

wait_for() {  # seconds command...
  local t=$1
  shift
  for _ in $(seq $((t * 10))); do "$@" && return 0; sleep 0.1; done
  return 1
}

listening() { python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1",int(sys.argv[1])),1)' "$1" 2>/dev/null; }

service_config() {  # port [extra YAML]
  local port=$1 extra=${2:-}
  url=http://127.0.0.1:$port
  cat >"$work/mw.yaml" <<YAML
server:
  listen: 127.0.0.1:$port
store:
  path: $work/state/minerwatch.db
sensor:
  enabled: false
YAML
  if [[ $extra != *"hostscan:"* ]]; then
    printf 'hostscan:\n  enabled: false\n' >>"$work/mw.yaml"
  fi
  [[ -z $extra ]] || printf '%s\n' "$extra" >>"$work/mw.yaml"
}

service_start() {  # binary
  "$1" up -c "$work/mw.yaml" >>"$work/up.log" 2>&1 &
  pid=$!
  pids+=("$pid")
  for _ in $(seq 150); do
    curl -fsS "$url/api/v1/health" >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || fail "minerwatch up exited early"
    sleep 0.1
  done
  fail "minerwatch up did not come up"
}
