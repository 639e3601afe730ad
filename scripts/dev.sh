#!/usr/bin/env bash
# The README's two commands:
#   scripts/dev.sh run    install what is needed, build (release) and run the main job
#   scripts/dev.sh test   install what is needed, build and run every test (what CI runs)
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

build() {  # build PRESET
  cmake --preset "$1" >/dev/null
  cmake --build --preset "$1" -j "$jobs"
}

case "${1:-}" in
  run)
    shift
    scripts/install-deps.sh
    build release
    exec build/release/apps/minerwatch/minerwatch up "$@"
    ;;
  test)
    scripts/install-deps.sh --test
    scripts/run-tests.sh
    ;;
  *)
    echo "usage: scripts/dev.sh run|test" >&2
    exit 2
    ;;
esac
