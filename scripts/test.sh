#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine (as root): installs the packages,
# builds twice with -Werror (gcc, and clang with ASan+UBSan), runs every test in both
# builds with ctest, runs the fuzzers for a short fixed time, and ends with one summary line.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh || { echo "installing packages failed"; exit 1; }

FUZZ_SECONDS=${FUZZ_SECONDS:-20}
passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

count_ctest() { # adds the "N% tests passed, F tests failed out of T" numbers
  local line t f
  line=$(grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1)
  if [ -z "$line" ]; then failed=$((failed + 1)); return; fi
  f=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$line")
  t=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\2/' <<<"$line")
  passed=$((passed + t - f))
  failed=$((failed + f))
}

run_build() { # name, cmake args...
  local dir=$1; shift
  echo "=== build $dir"
  if ! cmake -S . -B "$dir" -G Ninja -DBERTH_WERROR=ON "$@" >/dev/null ||
     ! ninja -C "$dir"; then
    echo "build $dir FAILED"; failed=$((failed + 1)); return
  fi
  echo "=== test $dir"
  ctest --test-dir "$dir" --output-on-failure -j "$(nproc)" 2>&1 | tee "$log"
  count_ctest
}

run_build build-ci -DCMAKE_BUILD_TYPE=RelWithDebInfo
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  run_build build-ci-asan -DCMAKE_BUILD_TYPE=Debug -DBERTH_SANITIZE=ON -DCMAKE_C_COMPILER=clang

echo "=== fuzz (${FUZZ_SECONDS}s per target)"
if cmake -S . -B build-ci-fuzz -G Ninja -DBERTH_WERROR=ON -DBERTH_FUZZ=ON -DBERTH_SANITIZE=ON \
     -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug >/dev/null && ninja -C build-ci-fuzz >/dev/null; then
  for f in build-ci-fuzz/tests/fuzz/fuzz_*; do
    [ -x "$f" ] || continue
    name=$(basename "$f")
    corpus=tests/fuzz/corpus/${name#fuzz_}
    args=(-max_total_time="$FUZZ_SECONDS" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1)
    work=$(mktemp -d)
    [ -d "$corpus" ] && cp -r "$corpus"/. "$work"/
    # seed with the shared corpora: compose files, Dockerfiles
    seeds=
    [ "$name" = fuzz_compose ] && seeds=$(find ../shared/conformance/compose -name '*.y*ml' 2>/dev/null)
    [ "$name" = fuzz_dockerfile ] && seeds=$(find ../shared/conformance/dockerfile -name Dockerfile 2>/dev/null)
    while IFS= read -r y; do
      [ -n "$y" ] && cp "$y" "$work/$(echo "$y" | md5sum | cut -c1-16)"
    done <<<"$seeds"
    args+=("$work")
    if "$f" "${args[@]}" >"$log" 2>&1; then
      echo "fuzz $name: ok ($(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+' || echo '?') runs)"
      passed=$((passed + 1))
    else
      echo "fuzz $name: FAILED"; tail -n 40 "$log"; failed=$((failed + 1))
    fi
    rm -rf "$work"
  done
else
  echo "fuzz build FAILED"; failed=$((failed + 1))
fi

echo "${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ]
