#!/usr/bin/env bash
# `minerwatch config check` and `minerwatch up` agree on every golden config
# (src/config/testdata/golden/{good,bad}/*.yaml): up refuses exactly the configs config check
# refuses, each bad one fails with the error its "# expect:" line names, and up prints the same
# error lines as config check. Good configs must bring up the API (it answers /api/v1/health);
# up is then stopped at once. Usage: config_golden_test.sh /path/to/minerwatch GOLDEN_DIR
set -euo pipefail
bin=${1:?usage: $0 MINERWATCH_BINARY GOLDEN_DIR}
golden=${2:?usage: $0 MINERWATCH_BINARY GOLDEN_DIR}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=service_common.sh
source "$here/service_common.sh"
command -v curl >/dev/null || { echo "SKIP: curl not installed"; exit 77; }
service_scratch
export MINERWATCH_STATE_DIR=$work/state  # nothing of the user's own state is read

# The files the golden configs name.
mkdir -p "$work/files" "$work/intel" "$work/export" "$work/state"
printf 'k3y-for-hmac\n' >"$work/files/secret"
printf 'rule golden_rule { strings: $a = "xmrig" condition: $a }\n' >"$work/files/rules.yar"
printf 'rule broken { strings: $a = "x" condition: $undefined }\n' >"$work/files/broken.yar"
printf 'pool.example.com\n0.0.0.0/0\n::/0\nco.uk\n' >"$work/files/broad_feed.txt"

failures=0
check_one() {  # kind file
  local kind=$1 src=$2 name cfg port expect warn
  name=$(basename "$src" .yaml)
  cfg=$work/$kind-$name.yaml
  port=$(freeport)
  sed -e "s|@WORK@|$work|g" -e "s|@PORT@|$port|g" "$src" >"$cfg"
  expect=$(sed -n 's/^# expect: //p' "$cfg")
  warn=$(sed -n 's/^# warn: //p' "$cfg")

  local check_rc=0
  "$bin" config check "$cfg" >"$work/check.out" 2>"$work/check.err" || check_rc=$?

  : >"$work/up.log"
  "$bin" up -c "$cfg" >>"$work/up.log" 2>&1 &
  local pid=$! served=0 up_rc=""
  pids+=("$pid")
  for _ in $(seq 100); do
    if curl -fsS "http://127.0.0.1:$port/api/v1/health" >/dev/null 2>&1; then
      served=1
      break
    fi
    if ! kill -0 "$pid" 2>/dev/null; then break; fi
    sleep 0.1
  done
  if ((served)); then
    kill -TERM "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null && up_rc=0 || up_rc=$?

  local verdict="ok"
  if [[ $kind == good ]]; then
    ((check_rc == 0)) || verdict="config check refused a good config (rc $check_rc)"
    ((served)) || verdict="up did not serve a good config (rc $up_rc)"
  else
    ((check_rc == 2)) || verdict="config check did not refuse (rc $check_rc)"
    ((served == 0)) || verdict="up served a config that config check refuses"
    [[ $up_rc == 2 ]] || verdict="up exited $up_rc, want 2"
    if [[ -n $expect ]] && ! grep -qF -- "$expect" "$work/check.err"; then
      verdict="config check's error does not say: $expect"
    fi
    # The same validation: every error line config check printed, up printed too.
    while IFS= read -r line; do
      [[ $line == "$cfg"* ]] || continue
      grep -qF -- "$line" "$work/up.log" || verdict="up did not report: $line"
    done <"$work/check.err"
  fi
  # Warnings too: config check and up say the same about skipped intel entries.
  if [[ -n $warn ]]; then
    grep -qF -- "$warn" "$work/check.err" || verdict="config check did not warn: $warn"
    grep -qF -- "$warn" "$work/up.log" || verdict="up did not warn: $warn"
  fi
  if [[ $verdict == ok ]]; then
    echo "ok   $kind/$name (config check rc $check_rc, up $([[ $served == 1 ]] && echo served || echo "refused rc $up_rc"))"
  else
    echo "FAIL $kind/$name: $verdict" >&2
    sed 's/^/  check: /' "$work/check.err" >&2
    sed 's/^/  up:    /' "$work/up.log" >&2
    failures=$((failures + 1))
  fi
}

n=0
for kind in good bad; do
  for f in "$golden/$kind"/*.yaml; do
    check_one "$kind" "$f"
    n=$((n + 1))
  done
done
((n >= 10)) || { echo "FAIL: only $n golden configs found in $golden" >&2; exit 1; }
((failures == 0)) || { echo "FAIL: $failures of $n golden configs" >&2; exit 1; }
echo "PASS: config check and up agree on $n golden configs"
