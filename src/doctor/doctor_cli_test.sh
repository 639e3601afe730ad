#!/usr/bin/env bash
# `minerwatch doctor` as the README writes it, on the real binary:
#   - without -c it checks the deployment `minerwatch up` runs without -c (embedded defaults,
#     http://127.0.0.1:8080): one PASS/WARN/FAIL line per check, the exit status its --help
#     documents (0 pass, 1 warnings, 2 a failure) and the same as --json's exit_code;
#   - against a config whose service is down it names the address it could not reach, fails with 2,
#     and the checks that needed the service say "not checked";
#   - against the running service the same config passes "service reachable";
#   - no advice about threat_engine.mode or remediation.policy; a config naming block is refused.
# Usage: doctor_cli_test.sh /path/to/minerwatch
set -euo pipefail
bin=${1:?usage: $0 MINERWATCH_BINARY}
here=$(cd "$(dirname "$0")/../../tests/integration" && pwd)
# shellcheck source-path=SCRIPTDIR source=../../tests/integration/service_common.sh
source "$here/service_common.sh"
command -v curl >/dev/null || { echo "SKIP: curl not installed"; exit 77; }
service_scratch

# Every line but the totals is VERDICT  NAME  DETAIL[; fix: ...].
one_line_per_check() {  # file
  local n
  n=$(grep -cvE '^(PASS|WARN|FAIL)  [^ ]|^[0-9]+ pass, [0-9]+ warn, [0-9]+ fail$' "$1" || true)
  ((n == 0)) || fail "lines that are not one check each in: $(cat "$1")"
}

"$bin" doctor --help >"$work/help" || fail "doctor --help failed"
grep -q "Exit status: 0 every check passed; 1 warnings only" "$work/help" || fail "--help: $(cat "$work/help")"
grep -q "embedded defaults" "$work/help" || fail "--help does not say what no -c checks"

# 1. No argument: up's embedded defaults. Something may or may not serve 127.0.0.1:8080 here, so
#    only what holds either way is asserted.
rc=0
"$bin" doctor >"$work/default.out" 2>"$work/default.err" || rc=$?
one_line_per_check "$work/default.out"
grep -qE '^PASS  config +embedded defaults \(no -c' "$work/default.out" || fail "no config line: $(cat "$work/default.out")"
grep -qE '^(PASS|WARN|FAIL)  store +(could not check )?/var/lib/minerwatch/minerwatch.db' "$work/default.out" \
  || fail "default store not checked: $(cat "$work/default.out")"
grep -qE '^(PASS  service reachable +http://127.0.0.1:8080 answered|FAIL  service reachable +could not reach http://127.0.0.1:8080 \()' "$work/default.out" \
  || fail "default address not checked: $(cat "$work/default.out")"
if grep -qi 'threat.engine\|remediation' "$work/default.out"; then fail "advice on keys that do nothing: $(cat "$work/default.out")"; fi
json_rc=0
"$bin" doctor --json >"$work/default.json" || json_rc=$?
python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j["checks"][0]["check"]=="config", j' "$work/default.json" \
  || fail "doctor --json: $(cat "$work/default.json")"
want=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["exit_code"])' "$work/default.json")
# Both ran against the same host within a second; the table's status follows its own lines.
if grep -q '^FAIL' "$work/default.out"; then table_want=2; elif grep -q '^WARN' "$work/default.out"; then table_want=1; else table_want=0; fi
((rc == table_want)) || fail "doctor exited $rc, its lines say $table_want"
((json_rc == want)) || fail "doctor --json exited $json_rc, its exit_code says $want"

# 2. A config whose service is not running: the address it could not reach, exit 2.
port=$(freeport tcp)
service_config "$port"
rc=0
"$bin" doctor -c "$work/mw.yaml" >"$work/down.out" 2>&1 || rc=$?
((rc == 2)) || fail "doctor on a stopped service exited $rc, want 2: $(cat "$work/down.out")"
one_line_per_check "$work/down.out"
grep -qE "^FAIL  service reachable +could not reach http://127.0.0.1:$port \(.+\); fix: start it with \`minerwatch up -c $work/mw.yaml\`" "$work/down.out" \
  || fail "unreachable service not named: $(cat "$work/down.out")"
grep -qE "^PASS  config +$work/mw.yaml is valid" "$work/down.out" || fail "config line: $(cat "$work/down.out")"
grep -qE "^WARN  API tokens least privilege +not checked: no answer from http://127.0.0.1:$port" "$work/down.out" \
  || fail "token check does not say why it was not made: $(cat "$work/down.out")"

# 3. The same config with its service up: reachable, and the store it made is there.
service_start "$bin"
"$bin" doctor -c "$work/mw.yaml" >"$work/up.out" 2>&1 || true
one_line_per_check "$work/up.out"
grep -qE "^PASS  service reachable +http://127.0.0.1:$port answered 200" "$work/up.out" || fail "running service: $(cat "$work/up.out")"
grep -qE "^PASS  store +$work/state/minerwatch.db exists" "$work/up.out" || fail "store: $(cat "$work/up.out")"
kill -TERM "$pid"; wait "$pid" || fail "up exited non-zero"; pid=""

# 4. A value that is not implemented is refused before anything is checked, naming the key.
printf 'threat_engine:\n  mode: block\n' >"$work/block.yaml"
rc=0
"$bin" doctor -c "$work/block.yaml" >"$work/block.out" 2>&1 || rc=$?
((rc == 2)) || fail "doctor on threat_engine.mode: block exited $rc, want 2"
grep -qF "threat_engine.mode 'block' is not implemented: only 'detect' works today" "$work/block.out" \
  || fail "block not refused by name: $(cat "$work/block.out")"
echo "PASS: doctor checks up's embedded defaults, names what it could not reach, exit status as documented"
