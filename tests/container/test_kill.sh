# Reliability: kill -9 of a container's monitor at random points of its life (while it creates
# the container, while the command runs, while it exits), then `container rm -f` must leave no
# process, cgroup, mount, run dir or record behind. Only monitors of this test's own --root
# are killed (matched by the root path in their command line).
. "$(dirname "$0")/lib.sh"
make_busybox

i=0
while [ $i -lt 12 ]; do
	name="k$i"
	"$BERTH" --root "$ROOT" container run -d --name "$name" busybox sh -c 'sleep 0.05; exit 0' \
		>/dev/null 2>&1 &
	cli=$!
	# 0..110 ms: before the monitor exists, while it creates, while the command runs, after
	sleep "0.0$((i % 12))" 2>/dev/null || sleep 0.05
	for p in $(pgrep -f -- "--root $ROOT container __monitor" || true); do kill -9 "$p" 2>/dev/null || true; done
	wait $cli 2>/dev/null || true
	if b container inspect "$name" >/dev/null 2>&1; then
		remember_id "$name"
		b container rm -f "$name" >/dev/null || fail "rm -f $name after kill -9 of its monitor"
	fi
	i=$((i + 1))
done
sleep 0.3
[ -z "$(b container ls -aq)" ] || fail "containers left: $(b container ls -a)"
left=$(ls -A "$ROOT/run/containers" 2>/dev/null || true)
[ -z "$left" ] || fail "run dirs left: $left"
for id in $(ls "$T/ids" 2>/dev/null); do
	[ -z "$(find /sys/fs/cgroup -maxdepth 4 -type d -name "$id" 2>/dev/null)" ] || fail "cgroup of $id left"
	for p in /proc/[0-9]*; do
		grep -qs "$id" "$p/cgroup" && ! grep -qs ') Z' "$p/stat" && fail "process $(basename "$p") of $id left"
	done
done
echo "ok"
