#!/usr/bin/env bash
# Builds and runs every test: the release build with unit and integration tests, then one clang
# ASan+UBSan build that holds both the unit tests and the libFuzzer targets (one sanitizer build
# instead of two: on CI's two cores a build is the most expensive step), running the unit tests
# and each fuzzer for a short bounded time. Prints one closing
# line "tests: N passed, N failed". Set MW_SKIP_ASAN=1 / MW_SKIP_FUZZ=1 to skip a stage locally.
set -uo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
fuzz_seconds=${MW_FUZZ_SECONDS:-20}
passed=0
failed=0
logdir=build/test-logs
mkdir -p "$logdir"

# Each stage says when it starts (seconds since the run began), so a slow CI shows where.
stage() { printf '\n==== %s (at %ds) ====\n' "$*" "$SECONDS"; }

count_ctest() {  # count_ctest LOG
  # The tail printed above can cut off why a test failed: print each failed test's own output.
  if grep -qE '\*\*\*(Failed|Timeout|Exception)|  Failed +[0-9.]+ sec' "$1"; then
    echo "---- output of the failed tests ($1) ----"
    awk '/\*\*\*(Failed|Timeout|Exception)|  Failed +[0-9.]+ sec/ {n = 80} n-- > 0' "$1" | head -n 400
  fi
  local line
  line=$(grep -E '[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$1" | tail -1)
  if [[ -z $line ]]; then
    failed=$((failed + 1))
    return
  fi
  local bad total
  bad=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$line")
  total=$(sed -E 's/.* failed out of ([0-9]+).*/\1/' <<<"$line")
  passed=$((passed + total - bad))
  failed=$((failed + bad))
}

build() {  # build PRESET [extra cmake args]
  local preset=$1
  shift
  cmake --preset "$preset" "$@" >"$logdir/configure-$preset.log" 2>&1 ||
    { cat "$logdir/configure-$preset.log"; return 1; }
  cmake --build --preset "$preset" -j "$jobs" 2>&1 | tail -n 40
  return "${PIPESTATUS[0]}"
}

# The README's first command, exactly as a user runs it: `scripts/dev.sh run` must bring up the
# service on embedded defaults (API on 127.0.0.1:8080) and stop cleanly on SIGTERM.
main_job_smoke() {
  local log=$logdir/main-job.log pid ok=0 rc
  echo "---- main job: scripts/dev.sh run ----"
  if python3 -c 'import socket; socket.create_connection(("127.0.0.1", 8080), 1)' 2>/dev/null; then
    echo "SKIP: 127.0.0.1:8080 is in use here, the main job cannot start on its defaults"
    return
  fi
  scripts/dev.sh run >"$log" 2>&1 &
  pid=$!
  for _ in $(seq 600); do
    if curl -fsS http://127.0.0.1:8080/api/v1/health >/dev/null 2>&1; then ok=1; break; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  kill -TERM "$pid" 2>/dev/null
  wait "$pid"
  rc=$?
  if [[ $ok == 1 && $rc == 0 ]]; then
    echo "main job: ok (healthy on 127.0.0.1:8080, clean exit on SIGTERM)"
    passed=$((passed + 1))
  else
    echo "main job: FAILED (healthy=$ok, exit=$rc)"
    tail -n 40 "$log"
    failed=$((failed + 1))
  fi
}

stage "release build: unit and integration tests"
if build release; then
  ctest --test-dir build/release --output-on-failure -j "$jobs" -LE integration \
    2>&1 | tee "$logdir/ctest-unit.log" | tail -n 60
  count_ctest "$logdir/ctest-unit.log"
  ctest --test-dir build/release --output-on-failure -L integration \
    2>&1 | tee "$logdir/ctest-integration.log" | grep -vE '^ +Start ' | tail -n 80
  count_ctest "$logdir/ctest-integration.log"
  main_job_smoke
else
  echo "release build failed"
  failed=$((failed + 1))
fi

asan_built=0
if [[ ${MW_SKIP_ASAN:-0} != 1 || ${MW_SKIP_FUZZ:-0} != 1 ]]; then
  stage "ASan + UBSan build (clang): unit tests and fuzzers"
  if build asan; then
    asan_built=1
  else
    echo "asan build failed"
    failed=$((failed + 1))
  fi
fi

if [[ ${MW_SKIP_ASAN:-0} != 1 && $asan_built == 1 ]]; then
  stage "ASan + UBSan unit tests"
  # alloc_dealloc_mismatch=0: the stratum allocation-counting test replaces operator new.
  ASAN_OPTIONS=detect_leaks=1:alloc_dealloc_mismatch=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build/asan --output-on-failure -j "$jobs" -LE integration \
    2>&1 | tee "$logdir/ctest-asan.log" | tail -n 40
  count_ctest "$logdir/ctest-asan.log"
fi

fuzz_one() {  # fuzz_one BINARY: runs it for fuzz_seconds on its seeds; leaves NAME.ok if clean
  local name corpus
  name=$(basename "$1")
  corpus=$(mktemp -d)
  rm -f "$logdir/$name.ok"
  [[ -d tests/fuzz/corpus/$name ]] && cp -r "tests/fuzz/corpus/$name/." "$corpus/"
  if "$1" -max_total_time="$fuzz_seconds" -rss_limit_mb=2048 -timeout=10 \
    -artifact_prefix="$logdir/$name-" "$corpus" >"$logdir/$name.log" 2>&1; then
    touch "$logdir/$name.ok"
  fi
  rm -rf "$corpus"
}

if [[ ${MW_SKIP_FUZZ:-0} != 1 && $asan_built == 1 ]]; then
  stage "libFuzzer targets, ${fuzz_seconds}s each"
  # Each fuzzer is one thread: run as many side by side as there are cores.
  fuzzers=$(find build/asan -type f -name '*_fuzz' -perm -u+x | sort)
  for fuzzer in $fuzzers; do
    while (($(jobs -rp | wc -l) >= jobs)); do wait -n || true; done
    fuzz_one "$fuzzer" &
  done
  wait
  for fuzzer in $fuzzers; do
    name=$(basename "$fuzzer")
    if [[ -f $logdir/$name.ok ]]; then
      echo "fuzz $name: ok ($(grep -Eo '#[0-9]+' "$logdir/$name.log" | tail -1 | tr -d '#') runs)"
      passed=$((passed + 1))
    else
      echo "fuzz $name: FAILED"
      # The first report lines say what and where; the tail names the input it kept.
      grep -m1 -A20 -E 'ERROR: |runtime error:|deadly signal|Timeout' "$logdir/$name.log"
      tail -n 3 "$logdir/$name.log"
      failed=$((failed + 1))
    fi
  done
fi

echo
echo "total time: ${SECONDS}s"
echo "tests: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
