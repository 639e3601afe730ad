#!/usr/bin/env bash
# Installs minerwatch's dependencies from Debian packages. Idempotent: installs only what is
# missing. Usage: scripts/install-deps.sh [--test]   (--test adds test, fuzz and bench tools)
# Lists: scripts/deps/*.txt, one Debian package a line; test*.txt only with --test.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
lists=("$here/deps/build.txt")
if [[ "${1:-}" == "--test" ]]; then
  for f in "$here"/deps/*.txt; do [[ "$f" == "$here/deps/build.txt" ]] || lists+=("$f"); done
else
  for f in "$here"/deps/*.txt; do
    case "$(basename "$f")" in build.txt|test*.txt) ;; *) lists+=("$f") ;; esac
  done
fi
mapfile -t wanted < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' "${lists[@]}" | grep -v '^$' | sort -u)
# "pkg@cmd" installs pkg only when cmd is not on PATH already (the machine image may ship Node.js
# and npm from elsewhere, and Debian's npm package conflicts with that nodejs).
missing=()
for entry in "${wanted[@]}"; do
  p=${entry%@*}
  if [[ $entry == *@* ]] && command -v "${entry#*@}" >/dev/null 2>&1; then
    continue
  fi
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#wanted[@]} packages present"
  exit 0
fi
echo "install-deps: installing ${#missing[@]} packages: ${missing[*]}"
sudo_cmd=()
[[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
