#!/bin/bash
# bench/context.sh [BUILD-DIR]: time hashing a 200 MB / 2,000-file build context with berth's
# context walker (tests/conformance/context_hash from BUILD-DIR, default ./build), cold (no
# stat cache) and warm (unchanged context, cache present), next to docker's figure.
#
# docker re-sends and re-hashes the whole context on every build: 2.5 s for this context on
# the reference machine (issue 3). "cold" here means berth's cache is empty; the files are
# in the page cache either way (dropping it needs root: echo 3 > /proc/sys/vm/drop_caches).
set -euo pipefail

build=${1:-./build}
tool="$build/tests/conformance/context_hash"
if [[ ! -x $tool ]]; then
        echo "context.sh: $tool not found; build first (cmake --build $build)" >&2
        exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/berth-bench-context.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
ctx="$tmp/context"
cache="$tmp/state/context.cache"
mkdir -p "$ctx" "$tmp/state"

# 20 directories x 100 files x 100 KiB of random data = 2,000 files, ~200 MB
for d in $(seq -w 0 19); do
        mkdir -p "$ctx/dir$d"
        head -c $((100 * 102400)) /dev/urandom | (cd "$ctx/dir$d" && split -b 102400 -d -a 3 - f)
done
printf 'FROM scratch\nCOPY . /\n' > "$ctx/Dockerfile"
files=$(find "$ctx" -type f | wc -l)
bytes=$(du -sb "$ctx" | cut -f1)
sleep 0.1 # let the clock move past the files' mtimes, so that all of them are cacheable

field() { sed -n "s/^.*$1=\([^ ]*\).*$/\1/p" <<<"$2" | head -1; }

cold=$("$tool" "$ctx" "$cache")
warm=$("$tool" "$ctx" "$cache")
digest_cold=$(head -1 <<<"$cold")
digest_warm=$(head -1 <<<"$warm")
if [[ $digest_cold != "$digest_warm" ]]; then
        echo "context.sh: digests differ between cold and warm runs" >&2
        exit 1
fi

printf 'context: %s files, %s bytes\n' "$files" "$bytes"
printf '%-34s %12s %10s\n' "run" "time" "hashed"
printf '%-34s %9s ms %10s\n' "berth cold (empty stat cache)" "$(field elapsed_ms "$cold")" \
        "$(field files_hashed "$cold")"
printf '%-34s %9s ms %10s\n' "berth warm (unchanged context)" "$(field elapsed_ms "$warm")" \
        "$(field files_hashed "$warm")"
printf '%-34s %9s ms %10s\n' "docker (re-sends and re-hashes)" "2500" "all"
printf 'tree digest: %s\n' "$digest_warm"
