#!/usr/bin/env bash
# bench/stack.sh: `up -d` and `down` of stacks of 10 and 50 busybox services (depends_on
# chains, one network, one named volume, two published ports on 127.0.0.1), median of N
# runs, and the RSS of every berth process while 10 containers idle; next to docker compose
# (v2 plugin or docker-compose v1) and podman-compose when they are installed and can run.
#
#   bench/stack.sh [BUILD_DIR] [N]      (as root; BUILD_DIR defaults to build)
# Targets (issue 8): 10 services up -d <= 150 ms, down <= 150 ms; 50 services up -d <= 0.6 s;
# all berth processes for 10 idle containers <= 10 MiB RSS. Peers measured on this kind of
# machine: docker-compose 2.4 s / 1.4 s / 8.9 s, 266 MiB; podman 19.6 MiB.
set -u
build=${1:-build}
n=${2:-5}
berth=$(cd "$build" && pwd)/compose/berth
src=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" = 0 ] || { echo "bench/stack.sh: needs root"; exit 1; }
[ -x "$berth" ] || { echo "bench/stack.sh: build first (no $berth)"; exit 1; }

tmp=$(mktemp -d /tmp/berth-stack-bench.XXXXXX)
root=$tmp/root
cleanup() {
        local d
        for d in "$tmp"/s*; do
                [ -f "$d/compose.yaml" ] && (cd "$d" && "$berth" --root "$root" down -v -t 0 >/dev/null 2>&1)
        done
        rm -rf "$tmp"
}
trap cleanup EXIT
BERTH_OPTS="--root $root" sh "$src/scripts/busybox-image.sh" "$berth" busybox:latest

# stack COUNT DIR: COUNT services, each depending on the one before in chains of 5
stack() {
        local count=$1 dir=$2 i
        mkdir -p "$dir"
        {
                echo "name: s$count"
                echo "services:"
                for i in $(seq 1 "$count"); do
                        echo "  svc$i:"
                        echo "    image: busybox"
                        echo "    init: true"
                        echo "    command: [\"sleep\", \"100000\"]"
                        [ "$i" -le 2 ] && echo "    ports: [\"127.0.0.1::80\"]"
                        [ "$i" = 1 ] && echo "    volumes: [\"data:/data\"]"
                        [ $(( (i - 1) % 5 )) != 0 ] && echo "    depends_on: [svc$((i - 1))]"
                done
                echo "volumes:"
                echo "  data: {}"
        } >"$dir/compose.yaml"
}

ms() { echo $(( ($2 - $1) / 1000 )); }
median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2)}'; }

# measure CMD...: "UP_MS DOWN_MS" of one up -d / down cycle in the current directory
measure() {
        local s m e
        s=${EPOCHREALTIME/./}
        "$@" up -d >/dev/null 2>&1 || { echo "fail fail"; return; }
        m=${EPOCHREALTIME/./}
        "$@" down -v -t 10 >/dev/null 2>&1
        e=${EPOCHREALTIME/./}
        echo "$(ms "$s" "$m") $(ms "$m" "$e")"
}

run_series() { # NAME COUNT CMD...
        local name=$1 count=$2 dir=$tmp/s$2 i ups downs
        shift 2
        stack "$count" "$dir"
        ups=$tmp/ups; downs=$tmp/downs; : >"$ups"; : >"$downs"
        for i in $(seq 1 "$n"); do
                read -r u d < <(cd "$dir" && measure "$@")
                echo "$u" >>"$ups"; echo "$d" >>"$downs"
        done
        printf '%-22s %3d services   up -d %6s ms   down %6s ms\n' "$name" "$count" \
                "$(median <"$ups")" "$(median <"$downs")"
}

# berth's processes for this root: CLIs, and berth-monitor (container monitors, DNS responders)
berth_pids() { pgrep -f "berth(-monitor)? --root $root( |$)"; }

rss_kib() { # the summed RSS of berth's processes for this root
        local total=0 pid kb
        for pid in $(berth_pids); do
                kb=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
                total=$((total + ${kb:-0}))
        done
        echo $total
}

pss_kib() { # the summed PSS (shared pages divided among their users) of the same processes
        local total=0 pid kb
        for pid in $(berth_pids); do
                kb=$(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup" 2>/dev/null || echo 0)
                total=$((total + ${kb:-0}))
        done
        echo $total
}

echo "berth stack bench: median of $n runs ($(nproc) cores)"
run_series berth 10 "$berth" --root "$root"
run_series berth 50 "$berth" --root "$root"
stack 10 "$tmp/s10"
(cd "$tmp/s10" && "$berth" --root "$root" up -d >/dev/null 2>&1)
sleep 1
kib=$(rss_kib)
printf '%-22s 10 idle containers: all berth processes %d KiB RSS, %d KiB PSS (%d processes)\n' \
        berth "$kib" "$(pss_kib)" "$(berth_pids | wc -l)"
(cd "$tmp/s10" && "$berth" --root "$root" down -v -t 0 >/dev/null 2>&1)

if docker info >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; then
        run_series "docker compose" 10 docker compose
        run_series "docker compose" 50 docker compose
elif docker info >/dev/null 2>&1 && command -v docker-compose >/dev/null; then
        run_series docker-compose 10 docker-compose
        run_series docker-compose 50 docker-compose
else
        echo "docker compose         n/a (no docker daemon here; measured on this kind of machine: 10 up 2.4 s, down 1.4 s, 50 up 8.9 s, 266 MiB)"
fi
if command -v podman-compose >/dev/null && podman info >/dev/null 2>&1; then
        run_series podman-compose 10 podman-compose
else
        echo "podman-compose         n/a (not installed; measured: 19.6 MiB for 10 idle containers)"
fi
