#!/usr/bin/env bash
# bench/build.sh [BUILD_DIR]: time `berth image build` next to docker's classic builder
# (DOCKER_BUILDKIT=0) where a docker daemon runs ("n/a" otherwise):
#   - a small 13-step Dockerfile (FROM, ARG, ENV, WORKDIR, COPY x3, RUN x3, LABEL, EXPOSE,
#     CMD), cold (empty cache) and fully cached;
#   - a COPY of a 200 MB / 2,000-file context, cold and cached.
# berth runs as root on a private --root; the base image is busybox-static imported as
# "busybox" (docker uses busybox:latest when it has it, else the same tarball imported).
# Reference (issue 7): small cold <= 0.6 s (docker 2.1 s), cached <= 20 ms (docker 77 ms);
# COPY 200 MB cold near disk speed (docker 5.3 s), cached <= 0.2 s (docker 2.5 s).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
berth=$(readlink -f "$build/compose/berth")
[ -x "$berth" ] || { echo "no berth binary in $build (build first)"; exit 1; }
[ "$(id -u)" = 0 ] || { echo "bench/build.sh needs root (RUN steps run containers)"; exit 1; }
bb=$(command -v busybox) || { echo "busybox-static is needed for the base image"; exit 1; }
work=$(mktemp -d /tmp/berth-bench-build.XXXXXX)
trap 'rm -rf "$work"' EXIT
root="$work/root"
b() { "$berth" --root "$root" "$@"; }

mkdir -p "$work/rootfs/bin" "$work/rootfs/etc" "$work/rootfs/tmp"
cp "$bb" "$work/rootfs/bin/busybox"
for c in $("$bb" --list); do [ "$c" = busybox ] || ln -s busybox "$work/rootfs/bin/$c"; done
echo "root:x:0:0:root:/root:/bin/sh" >"$work/rootfs/etc/passwd"
tar -C "$work/rootfs" --numeric-owner -cf "$work/rootfs.tar" .
b image import "$work/rootfs.tar" busybox >/dev/null

small="$work/small"
mkdir -p "$small/src"
for i in 1 2 3; do echo "file $i" >"$small/src/f$i.txt"; done
cat >"$small/Dockerfile" <<'EOF'
FROM busybox
ARG VERSION=1
ENV APP=/app
WORKDIR /app
COPY src/f1.txt ./
COPY src/f2.txt ./
COPY src/f3.txt ./
RUN cat f1.txt f2.txt > both.txt
RUN echo "$VERSION" > version.txt
RUN ls -la > listing.txt
LABEL bench=small
EXPOSE 8080
CMD ["cat", "/app/both.txt"]
EOF

big="$work/big"
mkdir -p "$big"
for d in $(seq 1 20); do
  mkdir -p "$big/d$d"
  for f in $(seq 1 100); do head -c 100000 /dev/urandom >"$big/d$d/f$f.bin"; done
done
printf 'FROM busybox\nCOPY . /data/\n' >"$big/Dockerfile"

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f s", b - a }'; }
run_berth() { # DIR: prints "cold cached"
  b builder prune -f >/dev/null
  local t0 t1 t2
  t0=$(now); b image build -q "$1" >/dev/null; t1=$(now)
  b image build -q "$1" >/dev/null; t2=$(now)
  echo "$(secs "$t0" "$t1")|$(secs "$t1" "$t2")"
}
run_docker() {
  if ! docker info >/dev/null 2>&1; then echo "n/a|n/a"; return; fi
  docker image inspect busybox:latest >/dev/null 2>&1 || docker import "$work/rootfs.tar" busybox:latest >/dev/null
  local t0 t1 t2 tag=berth-bench-build
  t0=$(now); DOCKER_BUILDKIT=0 docker build -q --no-cache -t $tag "$1" >/dev/null; t1=$(now)
  DOCKER_BUILDKIT=0 docker build -q -t $tag "$1" >/dev/null; t2=$(now)
  docker rmi $tag >/dev/null 2>&1 || true
  echo "$(secs "$t0" "$t1")|$(secs "$t1" "$t2")"
}

printf '%-32s %-12s %-12s\n' "case" "berth" "docker"
for c in small big; do
  dir="$work/$c"
  IFS='|' read -r bc bw <<<"$(run_berth "$dir")"
  IFS='|' read -r dc dw <<<"$(run_docker "$dir")"
  label=$([ $c = small ] && echo "13-step build" || echo "COPY 200 MB / 2000 files")
  printf '%-32s %-12s %-12s\n' "$label, cold" "$bc" "$dc"
  printf '%-32s %-12s %-12s\n' "$label, cached" "$bw" "$dw"
done
