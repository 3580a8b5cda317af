#!/bin/sh
# bench/monitor.sh BERTH [N]: memory of the per-container monitor and `run --rm true` time.
#
# Starts N (default 10) detached `sleep` containers from a busybox image (Debian's
# busybox-static) under a private --root, prints the monitors' mean RSS (anon + file + shmem),
# anon part and PSS, and what the monitors run from: the file itself through read-only
# private clones of its mount (its page cache, shared with everything that runs it), or where
# the kernel refuses those, sealed in-memory copies (memfd pages are shmem), then times 20
# `container run --rm --network none busybox true` and prints the median and the mean CPU
# time (user + sys of the CLI, the monitor and the container). Needs root.
# Removes everything it made, also when interrupted.
set -eu
BERTH=${1:?usage: bench/monitor.sh BERTH [N]}
N=${2:-10}
[ "$(id -u)" = 0 ] || { echo "needs root"; exit 77; }
bb=$(command -v busybox) || { echo "needs busybox-static"; exit 77; }
T=$(mktemp -d /tmp/berth-bench-mon.XXXXXX)
b() { "$BERTH" --root "$T/root" "$@"; }
cleanup() {
	set +e
	for id in $(b container ls -aq 2>/dev/null); do b container rm -f "$id" >/dev/null 2>&1; done
	b network rm --predefined bridge >/dev/null 2>&1 # the default network, if made
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

mkdir -p "$T/rootfs/bin" "$T/rootfs/etc" "$T/rootfs/tmp"
cp "$bb" "$T/rootfs/bin/busybox"
for c in sh true sleep; do ln -s busybox "$T/rootfs/bin/$c"; done
echo "root:x:0:0:root:/root:/bin/sh" >"$T/rootfs/etc/passwd"
tar -C "$T/rootfs" --numeric-owner -cf "$T/rootfs.tar" .
b image import "$T/rootfs.tar" busybox >/dev/null

i=0
while [ $i -lt "$N" ]; do b container run -d --network none busybox sleep 600 >/dev/null; i=$((i + 1)); done
tot_rss=0 tot_pss=0 tot_anon=0 exe=
: >"$T/copies"
: >"$T/paths"
for st in "$T"/root/containers/*/state.json; do
	pid=$(sed -n 's/.*"MonitorPid":\([0-9]*\).*/\1/p' "$st")
	rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
	anon=$(awk '/^RssAnon/ {print $2}' "/proc/$pid/status")
	pss=$(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup")
	exe=$(tr '\0' '\n' <"/proc/$pid/cmdline" | head -n 1)
	stat -L -c %d:%i "/proc/$pid/exe" >>"$T/copies"
	readlink "/proc/$pid/exe" >>"$T/paths"
	tot_rss=$((tot_rss + rss)) tot_anon=$((tot_anon + anon)) tot_pss=$((tot_pss + pss))
done
echo "monitor memory over $N containers (KiB, mean): RSS $((tot_rss / N)) (anon $((tot_anon / N)))" \
	"PSS $((tot_pss / N))"
mon=$(dirname "$BERTH")/berth-monitor
if [ "$exe" = berth-monitor ] && [ -f "$mon" ]; then
	kind=dynamic
	file -L "$mon" | grep -q 'statically linked' && kind=static
	size=$(stat -c %s "$mon")
	echo "monitor executable: berth-monitor ($kind)"
else
	size=$(stat -c %s "$BERTH")
	echo "monitor executable: $exe (the full berth binary)"
fi
if grep -q '^/memfd:' "$T/paths"; then
	echo "sealed copies of it: $(sort -u "$T/copies" | wc -l) for $N monitors, $((size / 1024)) KiB each (shmem)"
else
	echo "run from: $(sort -u "$T/copies" | wc -l) file(s) for $N monitors through read-only clones of its mount, $((size / 1024)) KiB (page cache)"
fi

i=0
: >"$T/times"
while [ $i -lt 20 ]; do
	s=$(date +%s%N)
	b container run --rm --network none busybox true
	e=$(date +%s%N)
	echo $(((e - s) / 1000)) >>"$T/times"
	i=$((i + 1))
done
echo "container run --rm --network none busybox true: median $(sort -n "$T/times" | sed -n 10p) us"
if command -v perf >/dev/null; then
	# task-clock counts the whole process tree (CLI, monitor, container): less noisy than wall time
	cpu=$(perf stat -r 20 -x, -e task-clock "$BERTH" --root "$T/root" container run --rm --network none \
		busybox true 2>&1 >/dev/null | awk -F, '/task-clock/ {printf "%.1f", $1}')
	echo "container run --rm --network none busybox true: CPU time $cpu ms (mean of 20, perf stat)"
fi
