#!/usr/bin/env bash
# The real `minerwatch rules check`: exit 0 when every rule loads, 1 with each skipped rule named
# as FILE:LINE: sid N: reason and the summary, 2 for a file it cannot read; and a file of errors
# still loads its good rules. Usage: rules_cli_test.sh /path/to/minerwatch
set -euo pipefail
bin=${1:?usage: $0 MINERWATCH_BINARY}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fails=0
fail() {
  echo "FAIL: $*" >&2
  fails=$((fails + 1))
}
# want RC NAME FILE...: the exit code, output kept in $work/out.
want() {
  local want_rc=$1 name=$2 rc=0
  shift 2
  "$bin" rules check "$@" >"$work/out" 2>&1 || rc=$?
  if ((rc != want_rc)); then fail "$name: exit $rc, want $want_rc: $(head -5 "$work/out")"; else echo "ok   $name"; fi
}
want_line() {
  grep -qxF -- "$1" "$work/out" || fail "output lacks '$1': $(cat "$work/out")"
}

printf '%s\n' '# alert tcp any any -> any any (msg:"off"; sid:9;)' \
  'alert tcp $HOME_NET any -> $EXTERNAL_NET any (msg:"ok"; content:"mining.subscribe"; sid:1;)' \
  >"$work/good.rules"
want 0 "good file" "$work/good.rules"
want_line "1 of 1 rules loaded (0 skipped, 1 disabled)"

printf '%s\n' 'alert tcp any any -> any any (msg:"one"; sid:1;)' \
  'alert tcp any any -> any any (msg:"bad"; frobnicate; sid:2;)' \
  'alert tcp any any -> any any (msg:"worse"; content:"|4|"; sid:3;)' \
  'alert tcp any any -> any any (msg:"two"; \' '  sid:4;)' >"$work/mixed.rules"
want 1 "file with errors" "$work/mixed.rules"
want_line "$work/mixed.rules:2: sid 2: unsupported keyword 'frobnicate'"
want_line "$work/mixed.rules:3: sid 3: content: odd number of hex digits"
want_line "2 of 4 rules loaded (2 skipped, 0 disabled)"

want 2 "missing file" "$work/none.rules"
"$bin" rules check --help | grep -q "FILE:LINE: sid N: reason" || fail "--help does not explain"
((fails == 0)) || exit 1
echo "rules_cli_test: all passed"
