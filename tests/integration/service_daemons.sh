# minerwatch — SPDX-License-Identifier: Apache-2.0
# Sourced (not run) by service_notify_test.sh and service_e2e_test.sh: the real Debian daemons
# notifications and export are checked against, all on 127.0.0.1 of whatever network namespace the
# caller is in: OpenSMTPD (every recipient delivered to one Maildir as "nobody"), rsyslogd
# (imtcp + imudp; what it parsed goes to $work/rsyslog.out, one line per message) and a webhook
# receiver that checks the HMAC-SHA256 signature of every call ($work/hook.log, one JSON line each).
#
# The caller sets $work (a 0755 directory), appends to the array "pids", and defines fail().
# daemons_require exits 77 when something is missing; daemons_start sets smtp_port, hook_port,
# tcp_syslog, udp_syslog and $work/hook.key.

# freeport, wait_for, listening (and a default fail, which callers redefine).
# shellcheck source=service_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/service_common.sh"

daemons_require() {
  for tool in smtpd rsyslogd python3 curl; do
    command -v "$tool" >/dev/null || { echo "SKIP: $tool not installed (scripts/deps/test-notify.txt)"; exit 77; }
  done
  [[ $(id -u) == 0 ]] || { echo "SKIP: smtpd must start as root"; exit 77; }
  # The control socket lives on the file system, which network namespaces share.
  if [[ -S /run/smtpd.sock ]] && smtpctl show status >/dev/null 2>&1; then
    echo "SKIP: another smtpd is running (its control socket /run/smtpd.sock is shared)"; exit 77
  fi
}

daemons_start() {
  smtp_port=$(freeport tcp); hook_port=$(freeport tcp)
  tcp_syslog=$(freeport tcp); udp_syslog=$(freeport udp)

  mkdir -p "$work/Maildir"
  chown nobody "$work/Maildir"
  cat > "$work/smtpd.conf" <<CONF
table vusers { "@" = "nobody" }
listen on 127.0.0.1 port $smtp_port
action "box" maildir "$work/Maildir" virtual <vusers>
match from any for any action "box"
CONF
  smtpd -n -f "$work/smtpd.conf" >/dev/null 2>&1 || fail "smtpd rejected the test config"
  smtpd -d -f "$work/smtpd.conf" >"$work/smtpd.log" 2>&1 &
  pids+=($!)

  cat > "$work/rsyslog.conf" <<CONF
global(workDirectory="$work" maxMessageSize="64k")
module(load="imtcp")
module(load="imudp")
template(name="mw" type="string" string="%protocol-version%|%app-name%|%msgid%|%structured-data%|%msg%\n")
ruleset(name="mw") { action(type="omfile" file="$work/rsyslog.out" template="mw") }
input(type="imtcp" address="127.0.0.1" port="$tcp_syslog" ruleset="mw")
input(type="imudp" address="127.0.0.1" port="$udp_syslog" ruleset="mw")
CONF
  rsyslogd -n -f "$work/rsyslog.conf" -i "$work/rsyslog.pid" >"$work/rsyslog.log" 2>&1 &
  pids+=($!)

  printf 'hook-secret-%s\n' "$RANDOM$RANDOM" > "$work/hook.key"
  cat > "$work/hook.py" <<'PY'
import hashlib, hmac, http.server, json, sys
port, key_file, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
key = open(key_file, "rb").read().strip()
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        want = "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()
        ok = hmac.compare_digest(want, self.headers.get("X-Minerwatch-Signature", ""))
        with open(out, "a") as f:
            f.write(json.dumps({"ok": ok, "event": self.headers.get("X-Minerwatch-Event"),
                                "body": json.loads(body)}) + "\n")
        self.send_response(204 if ok else 401)
        self.end_headers()
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
PY
  : > "$work/hook.log"
  python3 "$work/hook.py" "$hook_port" "$work/hook.key" "$work/hook.log" &
  pids+=($!)

  wait_for 10 listening "$smtp_port" || fail "smtpd did not listen"
  wait_for 10 listening "$tcp_syslog" || fail "rsyslogd did not listen"
  wait_for 10 listening "$hook_port" || fail "webhook receiver did not listen"
}

# The notify: section for a config that sends to these daemons: contact "secops" gets e-mail and
# the signed webhook for high and above. Args: window, max_per_window.
daemons_notify_yaml() {
  cat <<YAML
notify:
  window: $1
  max_per_window: $2
  webhook_retries: 2
  smtp:
    url: smtp://127.0.0.1:$smtp_port
    from: minerwatch@example.org
    starttls: "off"
    timeout: 10s
  contacts:
    - name: secops
      email: secops@example.com
      webhook_url: http://127.0.0.1:$hook_port/hook
      webhook_secret_file: $work/hook.key
      min_severity: high
YAML
}

hooks() { grep -c . "$work/hook.log" || true; }
mails() { find "$work/Maildir/new" -type f 2>/dev/null | wc -l; }
# wait_for re-runs its command: these re-count on every try.
mails_ge() { (( $(mails) >= $1 )); }
hooks_ge() { (( $(hooks) >= $1 )); }
