#!/usr/bin/env bash
# The real `minerwatch config check` on what is not a config file (a directory, /dev/zero, a FIFO
# with no writer, a file over the size limit), and `minerwatch up -c` on the same: each is one
# clear error and exit 2, at once. Then `minerwatch intel import` on match-everything entries
# and junk lines: refused with the reason, line numbers and examples, kept only with
# --allow-broad. Usage: config_cli_test.sh /path/to/minerwatch
set -euo pipefail
bin=${1:?usage: $0 MINERWATCH_BINARY}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export MINERWATCH_STATE_DIR=$work/state
fails=0
fail() {
  echo "FAIL: $*" >&2
  fails=$((fails + 1))
}

# want_error NAME EXPECTED-TEXT CMD...: exit 2 within 5 s, stderr naming EXPECTED-TEXT.
want_error() {
  local name=$1 expected=$2 rc=0
  shift 2
  timeout 5 "$@" >"$work/out" 2>"$work/err" || rc=$?
  if ((rc != 2)); then
    fail "$name: exit $rc, want 2 ($(head -3 "$work/err"))"
  elif ! grep -qF -- "$expected" "$work/err"; then
    fail "$name: stderr does not say '$expected': $(cat "$work/err")"
  else
    echo "ok   $name: $(grep -F -- "$expected" "$work/err" | head -1)"
  fi
}

mkdir -p "$work/a_dir"
mkfifo "$work/fifo"
head -c $((4 * 1024 * 1024 + 1)) /dev/zero | tr '\0' '#' >"$work/big.yaml"
for cmd in "config check" "up -c"; do
  # shellcheck disable=SC2086  # $cmd is two words on purpose
  want_error "$cmd directory" "config file $work/a_dir: is a directory, expected a regular file" \
    "$bin" $cmd "$work/a_dir"
  # shellcheck disable=SC2086
  want_error "$cmd /dev/zero" "config file /dev/zero: is not a regular file" "$bin" $cmd /dev/zero
  # shellcheck disable=SC2086
  want_error "$cmd fifo" "config file $work/fifo: is not a regular file" "$bin" $cmd "$work/fifo"
  # shellcheck disable=SC2086
  want_error "$cmd oversized" "config file $work/big.yaml: larger than 4194304 bytes" \
    "$bin" $cmd "$work/big.yaml"
done

# ---- intel import ----
cat >"$work/feed.txt" <<'EOF'
# a feed with the lines that once made every connection a Bad IP
pool.example.com
0.0.0.0/0
::/0
10.0.0.0/7
com
co.uk
3.p
-leading-dash.x
10.0.0.0/8
EOF
rc=0
"$bin" intel import --intel-dir "$work/intel" "$work/feed.txt" >"$work/out" 2>&1 || rc=$?
((rc == 0)) || fail "intel import: exit $rc: $(cat "$work/out")"
for want in "domains=1 ips=0 cidrs=1" "broad=4" \
  "rejected 3: prefix shorter than /8 (IPv4) or /16 (IPv6)" "line 3: 0.0.0.0/0" "line 4: ::/0" \
  "line 5: 10.0.0.0/7" "rejected 2: a public suffix" "line 6: com" "line 7: co.uk" \
  "rejected 2: not a valid host name" "line 8: 3.p" "line 9: -leading-dash.x" "--allow-broad keeps them"; do
  grep -qF -- "$want" "$work/out" || fail "intel import summary lacks '$want':$(printf '\n%s' "$(cat "$work/out")")"
done
rc=0
"$bin" intel check --intel-dir "$work/intel" --no-defaults 198.51.100.7 >"$work/out" 2>&1 || rc=$?
((rc == 0)) || fail "after import, an arbitrary address is listed (exit $rc): $(cat "$work/out")"
"$bin" intel check --intel-dir "$work/intel" --no-defaults 10.1.2.3 >/dev/null 2>&1 && fail "10.0.0.0/8 was not stored"

# --allow-broad keeps them, and the intel dir keeps them at start-up too.
rc=0
"$bin" intel import --allow-broad --intel-dir "$work/intel" "$work/feed.txt" >"$work/out" 2>&1 || rc=$?
((rc == 0)) || fail "intel import --allow-broad: exit $rc"
grep -qF "cidrs=4" "$work/out" || fail "--allow-broad did not keep the prefixes: $(cat "$work/out")"
rc=0
"$bin" intel check --intel-dir "$work/intel" --no-defaults 198.51.100.7 >"$work/out" 2>&1 || rc=$?
((rc == 1)) || fail "--allow-broad import: 0.0.0.0/0 not effective (exit $rc)"
"$bin" intel import --help | grep -q -- "--allow-broad" || fail "--allow-broad has no help text"

# A million junk lines: none becomes a domain, and the summary says why.
python3 - "$work/junk.txt" <<'PY'
import random, sys
r = random.Random(7)
alphabet = "abcdefghijklmnopqrstuvwxyz0123456789-_.!*/:"
with open(sys.argv[1], "w") as f:
    for _ in range(1000000):
        n = r.randint(1, 12)
        f.write("".join(r.choice(alphabet) for _ in range(n)) + "\n")
PY
rc=0
"$bin" intel import --format plain --intel-dir "$work/intel2" "$work/junk.txt" >"$work/out" 2>&1 || rc=$?
((rc == 0)) || fail "junk import: exit $rc"
domains=$(sed -n 's/.* domains=\([0-9]*\).*/\1/p' "$work/out" | head -1)
echo "     1M random junk lines -> $domains domains; $(grep -c "rejected" "$work/out") reasons listed"
# Random 1..12 character strings that happen to be valid names ("ab.cd") are the only ones
# allowed through: every stored name must pass the host name rules.
if [[ -f $work/intel2/junk.txt.tsv ]]; then
  bad=$(grep -v '^#' "$work/intel2/junk.txt.tsv" | cut -f1 | sed 's/^\*\.//' |
    grep -vE ':|^[0-9.]+(/[0-9]+)?$' |
    grep -cvE '^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+([a-z]{2,63}|xn--[a-z0-9-]+)$' || true)
  ((bad == 0)) || fail "$bad stored junk names are not host names"
fi
grep -qF "not a valid host name" "$work/out" || fail "junk summary lacks the reason"

((fails == 0)) || { echo "FAIL: $fails checks" >&2; exit 1; }
echo "PASS: config check, up -c and intel import refuse what they must"
