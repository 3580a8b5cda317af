#!/bin/sh
# bench/pull.sh: berth image push / pull of a ~200 MB image on a local registry (Debian's
# docker-registry on 127.0.0.1, filesystem storage in a temp dir), beside skopeo and docker.
#
#   BERTH=build-release/compose/berth bench/pull.sh [SIZE_MB] [RUNS]
#
# Build berth with -DCMAKE_BUILD_TYPE=Release for meaningful numbers. Needs root, busybox-static,
# docker-registry, skopeo and curl. docker is used only if a daemon already answers
# (`docker info`); otherwise its column says n/a. Each run pushes to a new repository and pulls
# into an empty berth root (berth's pull also unpacks the layers; skopeo only copies blobs into
# an OCI layout). The numbers are medians of RUNS runs.
set -eu

: "${BERTH:?set BERTH to a berth binary (a Release build)}"
SIZE_MB=${1:-200}
RUNS=${2:-3}
T=$(mktemp -d /tmp/berth-bench.XXXXXX)
REG_PID=

cleanup() {
	set +e
	[ -z "$REG_PID" ] || { kill "$REG_PID"; while kill -0 "$REG_PID" 2>/dev/null; do sleep 0.1; done; }
	grep " $T/" /proc/self/mounts | awk '{print $2}' | sort -r | while read -r m; do umount -l "$m"; done
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

[ "$(id -u)" = 0 ] || { echo "bench/pull.sh: needs root" >&2; exit 1; }
for c in busybox docker-registry skopeo curl python3 bc; do
	command -v $c >/dev/null || { echo "bench/pull.sh: needs $c" >&2; exit 1; }
done

now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# timed FILE CMD...: append CMD's wall time to FILE
timed() {
	f=$1
	shift
	sync # no run pays for the writeback of the one before
	s=$(now)
	"$@" >/dev/null 2>"$T/err" || { echo "failed: $*: $(cat "$T/err")" >&2; exit 1; }
	elapsed "$s" "$(now)" >>"$f"
}

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

# start_registry: a fresh registry (new port, empty storage), so that no client can skip the
# upload by mounting a blob it saw earlier
start_registry() {
	if [ -n "$REG_PID" ]; then
		kill "$REG_PID"
		while kill -0 "$REG_PID" 2>/dev/null; do sleep 0.1; done
	fi
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	REG="127.0.0.1:$port"
	rm -rf "$T/reg"
	mkdir -p "$T/reg"
	printf 'version: 0.1\nlog: {level: error}\nstorage: {filesystem: {rootdirectory: %s}}\nhttp: {addr: %s}\n' \
		"$T/reg" "$REG" >"$T/reg.yml"
	docker-registry serve "$T/reg.yml" >"$T/reg.log" 2>&1 &
	REG_PID=$!
	n=100
	until curl -s -o /dev/null "http://$REG/v2/"; do
		n=$((n - 1))
		[ $n -gt 0 ] || { echo "registry did not start: $(cat "$T/reg.log")" >&2; exit 1; }
		sleep 0.1
	done
}

echo "== importing into berth; an OCI layout of the same image for skopeo"
SRC="$T/src"
start_registry
SRC_ID=$("$BERTH" --root "$SRC" image import "$T/rootfs.tar" "$REG/bench:src")
"$BERTH" --root "$SRC" image push -q "$REG/bench:src" >/dev/null
skopeo copy -q --src-tls-verify=false "docker://$REG/bench:src" "oci:$T/oci:bench" >/dev/null

DOCKER=
docker info >/dev/null 2>&1 && DOCKER=docker

for i in $(seq "$RUNS"); do
	echo "== run $i"
	# each push goes to a registry of its own (one that already holds the blob finishes faster)
	start_registry
	timed "$T/skopeo-push" skopeo copy -q --dest-tls-verify=false "oci:$T/oci:bench" "docker://$REG/skopeo:1"
	start_registry
	"$BERTH" --root "$SRC" image tag "$SRC_ID" "$REG/bench:1"
	timed "$T/berth-push" "$BERTH" --root "$SRC" image push -q "$REG/bench:1"
	timed "$T/berth-pull" "$BERTH" --root "$T/pull$i" image pull -q "$REG/bench:1"
	timed "$T/skopeo-pull" skopeo copy -q --src-tls-verify=false "docker://$REG/bench:1" "oci:$T/spull$i:x"
	if [ -n "$DOCKER" ]; then
		timed "$T/docker-pull" docker pull -q "$REG/bench:1"
		docker tag "$REG/bench:1" "$REG/docker:1"
		timed "$T/docker-push" docker push -q "$REG/docker:1"
		docker rmi -f "$REG/docker:1" "$REG/bench:1" >/dev/null 2>&1 || true
	fi
	rm -rf "$T/pull$i" "$T/spull$i"
done

col() { if [ -s "$T/$1" ]; then median <"$T/$1" | awk '{printf "%.2f", $1}'; else echo n/a; fi; }
echo
echo "image: $(du -m "$T/rootfs.tar" | cut -f1) MB, one uncompressed layer; docker-registry on 127.0.0.1; median of $RUNS runs (s)"
printf '%-28s %10s %10s %10s\n' "" berth skopeo docker
printf '%-28s %10s %10s %10s\n' "push (new repository)" "$(col berth-push)" "$(col skopeo-push)" "$(col docker-push)"
printf '%-28s %10s %10s %10s\n' "pull (empty store)" "$(col berth-pull)" "$(col skopeo-pull)" "$(col docker-pull)"
[ -n "$DOCKER" ] || echo "docker: n/a (no daemon running)"
echo "berth pull includes unpacking the layer; skopeo writes an OCI layout only."
