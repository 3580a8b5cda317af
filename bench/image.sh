#!/bin/sh
# bench/image.sh: berth image import / load of a ~200 MB image against `docker load` of the
# same tarball, and the disk used by 10 images that share a base.
#
#   BERTH=build-release/compose/berth bench/image.sh [SIZE_MB] [RUNS]
#
# Build berth with -DCMAKE_BUILD_TYPE=Release for meaningful numbers. Needs root and
# busybox-static; docker is optional (the docker column is skipped without it). A dockerd is
# only started with its own data root, exec root and socket under the bench's temp dir, and
# stopped by PID. Every run starts from an empty berth root; page cache is left warm, as for
# docker (the input is read from cache by both).
set -eu

: "${BERTH:?set BERTH to a berth binary (a Release build)}"
SIZE_MB=${1:-200}
RUNS=${2:-3}
T=$(mktemp -d /tmp/berth-bench.XXXXXX)
DOCKERD_PID=
DOCKER=

cleanup() {
	set +e
	if [ -n "$DOCKERD_PID" ]; then
		kill "$DOCKERD_PID"
		while kill -0 "$DOCKERD_PID" 2>/dev/null; do sleep 0.2; done
	fi
	grep " $T/" /proc/self/mounts | awk '{print $2}' | sort -r | while read -r m; do umount -l "$m"; done
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

[ "$(id -u)" = 0 ] || { echo "bench/image.sh: needs root" >&2; exit 1; }
command -v busybox >/dev/null || { echo "bench/image.sh: needs busybox-static" >&2; exit 1; }

now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc; }
# median of the numbers on stdin
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "== making a ${SIZE_MB} MB rootfs (busybox + half random, half text files)"
mkdir -p "$T/rootfs/bin" "$T/rootfs/data"
cp "$(command -v busybox)" "$T/rootfs/bin/busybox"
ln -s busybox "$T/rootfs/bin/sh"
i=0
while [ $i -lt $((SIZE_MB / 2)) ]; do
	head -c 1000000 /dev/urandom >"$T/rootfs/data/random$i"
	yes "line $i of a compressible text file" | head -c 1000000 >"$T/rootfs/data/text$i"
	i=$((i + 1))
done
tar -C "$T/rootfs" --numeric-owner -cf "$T/rootfs.tar" .
rm -rf "$T/rootfs"
echo "rootfs.tar: $(du -m "$T/rootfs.tar" | cut -f1) MB"

start_docker() {
	command -v docker >/dev/null || return 1
	if docker info >/dev/null 2>&1; then
		DOCKER=docker
		return 0
	fi
	command -v dockerd >/dev/null || return 1
	mkdir -p "$T/docker"
	dockerd --data-root "$T/docker/data" --exec-root "$T/docker/exec" --pidfile "$T/docker/pid" \
		-H "unix://$T/docker/sock" --bridge=none --iptables=false --ip6tables=false \
		>"$T/docker/log" 2>&1 &
	DOCKERD_PID=$!
	DOCKER="docker -H unix://$T/docker/sock"
	i=0
	until $DOCKER info >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt 150 ] || return 1
		sleep 0.2
	done
}

# The input both sides load: `docker save` when docker is there, else berth's own save.
if start_docker; then
	$DOCKER import "$T/rootfs.tar" berth-bench:big >/dev/null
	$DOCKER save -o "$T/image.tar" berth-bench:big
	echo "== docker load ($RUNS runs)"
	for r in $(seq "$RUNS"); do
		$DOCKER rmi berth-bench:big >/dev/null
		sync
		t0=$(now)
		$DOCKER load -i "$T/image.tar" >/dev/null
		t1=$(now)
		elapsed "$t0" "$t1" | tee -a "$T/docker.times"
	done
	docker_load=$(median <"$T/docker.times")
else
	echo "== docker not available: no docker column"
	"$BERTH" --root "$T/seed" image import "$T/rootfs.tar" berth-bench:big >/dev/null
	"$BERTH" --root "$T/seed" image save -o "$T/image.tar" berth-bench:big
	rm -rf "$T/seed"
	docker_load=
fi

bench_berth() { # NAME COMMAND...
	name=$1
	shift
	for r in $(seq "$RUNS"); do
		rm -rf "$T/root"
		sync
		t0=$(now)
		"$BERTH" --root "$T/root" "$@" >/dev/null
		t1=$(now)
		elapsed "$t0" "$t1" >>"$T/$name.times"
	done
	median <"$T/$name.times"
}
echo "== berth image load ($RUNS runs)"
berth_load=$(bench_berth load image load -i "$T/image.tar")
echo "== berth image import ($RUNS runs)"
berth_import=$(bench_berth import image import "$T/rootfs.tar" berth-bench:big)

echo "== 10 images sharing the base"
mkdir -p "$T/ten/base"
cp "$T/rootfs.tar" "$T/ten/base/layer.tar"
base=$(sha256sum <"$T/ten/base/layer.tar" | cut -d' ' -f1)
manifest="["
for i in 0 1 2 3 4 5 6 7 8 9; do
	mkdir -p "$T/layer$i/etc" "$T/ten/l$i"
	echo "image $i" >"$T/layer$i/etc/which"
	tar -C "$T/layer$i" --numeric-owner -cf "$T/ten/l$i/layer.tar" .
	top=$(sha256sum <"$T/ten/l$i/layer.tar" | cut -d' ' -f1)
	printf '{"architecture":"amd64","os":"linux","config":{"Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s","sha256:%s"]}}' \
		"$base" "$top" >"$T/cfg"
	cfg=$(sha256sum <"$T/cfg" | cut -d' ' -f1)
	mv "$T/cfg" "$T/ten/$cfg.json"
	[ $i = 0 ] || manifest="$manifest,"
	manifest="$manifest{\"Config\":\"$cfg.json\",\"RepoTags\":[\"berth-bench/app$i:1\"],\"Layers\":[\"base/layer.tar\",\"l$i/layer.tar\"]}"
done
echo "$manifest]" >"$T/ten/manifest.json"
tar -C "$T/ten" -cf "$T/ten.tar" .
rm -rf "$T/ten" "$T/root"
"$BERTH" --root "$T/root" image load -i "$T/ten.tar" >/dev/null
berth_disk=$(du -sb "$T/root" | cut -f1)
one=$(stat -c %s "$T/image.tar")
if [ -n "$DOCKERD_PID" ]; then
	$DOCKER rmi berth-bench:big >/dev/null
	before=$(du -sb "$T/docker/data" | cut -f1)
	$DOCKER load -i "$T/ten.tar" >/dev/null
	docker_disk=$(($(du -sb "$T/docker/data" | cut -f1) - before))
fi

echo
echo "results (median of $RUNS, seconds)"
printf '  %-36s %8s\n' "image tarball" "$(echo "scale=1; $one / 1000000" | bc) MB"
[ -z "$docker_load" ] || printf '  %-36s %8s\n' "docker load" "$docker_load"
printf '  %-36s %8s\n' "berth image load" "$berth_load"
printf '  %-36s %8s\n' "berth image import" "$berth_import"
if [ -n "$docker_load" ]; then
	printf '  %-36s %8s\n' "speed-up of load vs docker" "$(echo "scale=1; $docker_load / $berth_load" | bc)x"
fi
printf '  %-36s %8s\n' "berth load throughput" "$(echo "scale=0; $one / $berth_load / 1000000" | bc) MB/s"
echo "disk used by 10 images sharing the base"
printf '  %-36s %8s\n' "berth --root" "$(echo "scale=1; $berth_disk / 1000000" | bc) MB"
[ -z "${docker_disk:-}" ] || printf '  %-36s %8s\n' "docker data-root (overlay2)" "$(echo "scale=1; $docker_disk / 1000000" | bc) MB"
printf '  %-36s %8s\n' "10 x the image, unshared" "$(echo "scale=1; 10 * $one / 1000000" | bc) MB"
