#!/usr/bin/env bash
# Times `berth config` against `docker-compose config` (Debian's docker-compose, v1) on the
# compose-go full example and on a generated 200-service file. Prints both side by side.
# Usage: bash bench/config.sh [BUILD_DIR]   (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
berth=$(readlink -f "$build/compose/berth")
[ -x "$berth" ] || { echo "no berth binary in $build (build first)"; exit 1; }
runs=${RUNS:-20}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

full=../shared/conformance/compose/compose-go/full-example
if [ -d "$full" ]; then
  cp -r "$full" "$work/full"
else
  mkdir -p "$work/full"; cp examples/webapp/compose.yaml "$work/full/full-example.yml"
fi
touch "$work/full/example1.env" "$work/full/example2.env"
mkdir -p "$work/big"
{
  echo "services:"
  for i in $(seq 1 200); do
    cat <<SVC
  svc$i:
    image: busybox:1.36
    command: ["sh", "-c", "echo service $i; sleep 3600"]
    environment:
      INDEX: "$i"
      MODE: \${MODE:-production}
    ports:
      - "127.0.0.1:$((20000 + i)):8080"
    volumes:
      - data:/data
      - ./conf/svc$i:/etc/svc:ro
    labels:
      com.example.tier: backend
    healthcheck:
      test: ["CMD", "true"]
      interval: 10s
SVC
    [ "$i" -gt 1 ] && echo "    depends_on: [svc$((i - 1))]"
  done
  echo "volumes:"
  echo "  data: {}"
} > "$work/big/compose.yaml"

# median wall time in ms of "$@" over $runs runs
median_ms() {
  local t=()
  for _ in $(seq 1 "$runs"); do
    local s e
    s=$(date +%s%N)
    "$@" >/dev/null 2>&1 || { echo "rejects-file"; return; }
    e=$(date +%s%N)
    t+=($(( (e - s) / 1000 )))
  done
  printf '%s\n' "${t[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.2f", a[int((NR+1)/2)]/1000}'
}

mkdir -p "$work/webapp"
cp -r examples/webapp/. "$work/webapp/"

envs=(env HOME=/HOME BAR=x QUX=y)
printf '%-28s %12s %18s %10s\n' "file" "berth (ms)" "docker-compose (ms)" "speedup"
for case in full webapp big; do
  f=compose.yaml
  # the full example is not consistent (compose-go's own test skips that check)
  extra=()
  if [ "$case" = full ]; then f=full-example.yml; extra=(--no-consistency); fi
  b=$(cd "$work/$case" && median_ms "${envs[@]}" "$berth" -f "$f" config "${extra[@]}")
  if command -v docker-compose >/dev/null; then
    # docker-compose v1 rejects files that use newer keys (name:, the full example)
    d=$(cd "$work/$case" && runs=5 median_ms "${envs[@]}" docker-compose -f "$f" config)
  else
    d="n/a"
  fi
  s=$(awk -v b="$b" -v d="$d" 'BEGIN { if (d+0 > 0 && b+0 > 0) printf "%.0fx", d/b; else print "-" }')
  printf '%-28s %12s %18s %10s\n' "$case ($f)" "$b" "$d" "$s"
done
echo "(median of $runs runs for berth, 5 for docker-compose; target: berth at least 50x faster)"
