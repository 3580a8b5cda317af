#!/usr/bin/env bash
# bench/start.sh: how long starting a container that runs `true` takes, end to end (create,
# start, wait, delete), and how long `container exec C true` takes in a running one, as the
# median of N runs: berth's runtime (tests/runtime/rt-probe,
# --network none), next to `docker run --rm --network none` when a docker daemon answers
# and bare runc / crun when installed, all on the same busybox rootfs (Debian's
# busybox-static). Each is measured back to back and after 0.3 s of idleness: on a cgroup v1
# host the first cgroup migration after a quiet spell waits for an RCU grace period.
#
#   bench/start.sh [BUILD_DIR] [N]      (as root; BUILD_DIR defaults to build)
# Targets (issue 5): median <= 10 ms for berth's start (rt-probe and `berth container run
# --rm`, which adds the CLI and the berth-monitor process), <= 5 ms for `berth container exec`
# (docker exec: 60 ms).
set -u
build=${1:-build}
n=${2:-30}
probe=$build/tests/runtime/rt-probe
berth=$build/compose/berth
[ "$(id -u)" = 0 ] || { echo "bench/start.sh: needs root"; exit 1; }
[ -x "$probe" ] || { echo "bench/start.sh: build first (no $probe)"; exit 1; }
[ -x /bin/busybox ] || { echo "bench/start.sh: apt-get install busybox-static"; exit 1; }

tmp=$(mktemp -d /tmp/berth-start-bench.XXXXXX)
cgp=berth-bench-$$
docker_image=
docker_ctr=
cleanup() {
        local d
        [ -d "$tmp/root/containers" ] && "$berth" --root "$tmp/root" container rm -f bench >/dev/null 2>&1
        # the default network (bridge, nftables table), if anything made it
        [ -d "$tmp/root" ] && "$berth" --root "$tmp/root" network rm --predefined bridge >/dev/null 2>&1
        [ -n "$docker_ctr" ] && docker rm -f "$docker_ctr" >/dev/null 2>&1
        for d in /sys/fs/cgroup/*/"$cgp" /sys/fs/cgroup/"$cgp"; do
                [ -d "$d" ] && rmdir "$d" 2>/dev/null
        done
        [ -n "$docker_image" ] && docker rmi -f "$docker_image" >/dev/null 2>&1
        rm -rf "$tmp"
}
trap cleanup EXIT

rootfs=$tmp/rootfs
mkdir -p "$rootfs/bin" "$rootfs/etc" "$rootfs/proc" "$rootfs/sys" "$rootfs/dev" "$rootfs/tmp"
cp /bin/busybox "$rootfs/bin/"
chroot "$rootfs" /bin/busybox --install -s /bin
echo 'root:x:0:0:root:/root:/bin/sh' >"$rootfs/etc/passwd"
echo 'root:x:0:' >"$rootfs/etc/group"
mkdir -p "$tmp/cache" && chmod 700 "$tmp/cache"

# series PAUSE CMD...: N timings in microseconds, one per line (bash's clock: no fork)
series() {
        local pause=$1 i s e
        shift
        for i in $(seq 1 "$n"); do
                [ "$pause" = 0 ] || sleep "$pause"
                s=${EPOCHREALTIME/./}
                "$@" >/dev/null 2>&1 </dev/null || { echo "failed: $*" >&2; return 1; }
                e=${EPOCHREALTIME/./}
                echo $((e - s))
        done
}

median_ms() { sort -n | awk '{v[NR] = $1} END {m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.1f", m / 1000}'; }

report() { # NAME CMD...
        local name=$1 warm cold
        shift
        "$@" >/dev/null 2>&1 </dev/null || { printf '%-34s failed: %s\n' "$name" "$*"; return; }
        warm=$(series 0 "$@" | median_ms)
        cold=$(series 0.3 "$@" | median_ms)
        printf '%-34s %8s ms %12s ms\n' "$name" "$warm" "$cold"
}

berth_run() {
        "$probe" --cgroup-parent "$cgp" --cache-dir "$tmp/cache" --run-dir "$tmp/run" \
                --network none "$rootfs" true
}

oci_bundle() { # RUNTIME: a bundle for `RUNTIME run` with args ["true"]
        local b=$tmp/bundle-$1
        mkdir -p "$b"
        (cd "$b" && "$1" spec >/dev/null 2>&1) || return 1
        sed -i -e 's/"terminal": true/"terminal": false/' -e 's/"sh"$/"true"/' -e "s|\"path\": \"rootfs\"|\"path\": \"$rootfs\"|" \
                -e 's/"readonly": true/"readonly": false/' "$b/config.json"
        echo "$b"
}

oci_run() { "$1" run --bundle "$2" "bench-$$-$RANDOM" >/dev/null 2>&1 </dev/null; }

mode=v1
grep -q ' - cgroup2 ' /proc/self/mountinfo && mode=hybrid
grep -q ' - cgroup ' /proc/self/mountinfo || mode=v2
echo "container start: run \`true\`, median of $n runs ($(uname -r), cgroups $mode)"
printf '%-34s %11s %15s\n' "" "back to back" "after 0.3 s idle"
report "berth runtime (rt-probe)" berth_run
# the whole CLI path: berth + the berth-monitor process + the container, with --rm
if [ -x "$berth" ] && tar -C "$rootfs" -cf "$tmp/rootfs.tar" . &&
        "$berth" --root "$tmp/root" image import "$tmp/rootfs.tar" bench-busybox >/dev/null; then
        report "berth container run --rm" "$berth" --root "$tmp/root" container run --rm \
                --network none bench-busybox true
else
        printf '%-34s cannot import the image\n' "berth container run --rm"
fi

for rt in runc crun; do
        command -v "$rt" >/dev/null || { printf '%-34s not installed\n' "bare $rt"; continue; }
        bundle=$(oci_bundle "$rt") || { printf '%-34s cannot make a bundle\n' "bare $rt"; continue; }
        report "bare $rt" oci_run "$rt" "$bundle"
done

if command -v docker >/dev/null && timeout 5 docker info >/dev/null 2>&1; then
        docker_image=berth-bench-busybox:$$
        tar -C "$rootfs" -c . | docker import - "$docker_image" >/dev/null
        report "docker run --rm --network none" docker run --rm --network none "$docker_image" true
else
        printf '%-34s no daemon reachable\n' "docker run --rm"
fi

echo
echo "exec: \`exec C true\` in a running container (sleep), median of $n runs"
printf '%-34s %11s %15s\n' "" "back to back" "after 0.3 s idle"
if [ -x "$berth" ] && [ -d "$tmp/root" ] &&
        "$berth" --root "$tmp/root" container run -d --network none --name bench bench-busybox sleep 100000 >/dev/null; then
        report "berth container exec" "$berth" --root "$tmp/root" container exec bench true
else
        printf '%-34s cannot start a container\n' "berth container exec"
fi
if [ -n "$docker_image" ] && docker_ctr=$(docker run -d --network none "$docker_image" sleep 100000); then
        report "docker exec" docker exec "$docker_ctr" true
else
        printf '%-34s no daemon reachable\n' "docker exec"
fi
