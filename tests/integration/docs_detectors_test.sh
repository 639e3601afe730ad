#!/usr/bin/env bash
# docs/config.md's "Detectors" table is what the binary declares (`minerwatch detectors
# --markdown`). `docs_detectors_test.sh BIN --update` rewrites the table in place.
set -euo pipefail
bin=$1
doc="$(cd "$(dirname "$0")/../.." && pwd)/docs/config.md"
want=$("$bin" detectors --markdown)
have=$(sed -n '/<!-- detectors:begin -->/,/<!-- detectors:end -->/p' "$doc" | sed '1d;$d')
if [[ "${2:-}" == --update ]]; then
  python3 - "$doc" "$want" <<'PY'
import sys
path, table = sys.argv[1], sys.argv[2]
s = open(path).read()
b, e = "<!-- detectors:begin -->", "<!-- detectors:end -->"
s = s[:s.index(b) + len(b)] + "\n" + table + "\n" + s[s.index(e):]
open(path, "w").write(s)
PY
  exit 0
fi
if [[ "$want" != "$have" ]]; then
  echo "FAIL: docs/config.md's Detectors table differs from \`minerwatch detectors --markdown\`:" >&2
  diff <(echo "$have") <(echo "$want") >&2 || true
  echo "regenerate: bash tests/integration/docs_detectors_test.sh $bin --update" >&2
  exit 1
fi
echo "docs/config.md Detectors table matches the binary ($(echo "$want" | wc -l) lines)"
