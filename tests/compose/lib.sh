# Shared helpers for the compose system tests (sourced, POSIX sh).
#
# $T is a private temp dir: $T/root is the berth --root, $T/proj the project directory (the
# test writes $T/proj/compose.yaml). The EXIT trap runs `down -v` for every project the test
# used, removes whatever containers remain, then checks that nothing is left behind
# (containers, networks, bridges/veths of ours, the nftables table of this root, mounts under
# $T, monitor processes) and deletes $T. `b ARGS` runs berth on the private root from $T/proj.

set -eu

: "${BERTH:?BERTH must point at the berth binary}"
: "${BERTH_SRC:?BERTH_SRC must point at the source tree}"
T=$(mktemp -d /tmp/berth-composetest.XXXXXX)
ROOT="$T/root"
P="$T/proj"
mkdir -p "$P"

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
say() { echo "== $*"; }
# b ARGS: berth on the private root from the project dir; remembers every container id seen
# so that the final check can look for their cgroups after they are gone
b() {
	_rc=0
	(cd "$P" && "$BERTH" --root "$ROOT" "$@") || _rc=$?
	ls "$ROOT/containers" 2>/dev/null | grep -E '^[0-9a-f]{64}$' >>"$T/ids.seen" || true
	return $_rc
}

# berth's bridges (berth-*) and host-side veths (bv*): none of ours may remain (the count is
# only exact when no other berth test runs at the same time, as under ctest's RUN_SERIAL)
our_links() { ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | grep -c '^berth-\|^bv' || true; }
links_before=$(our_links)

leftovers() {
	if [ -d "$ROOT/containers" ]; then
		n=$(find "$ROOT/containers" -mindepth 1 -maxdepth 1 -type d -regex '.*/[0-9a-f]\{64\}' | wc -l)
		[ "$n" = 0 ] || echo "containers left: $n"
	fi
	[ -z "$(ls "$ROOT/networks" 2>/dev/null)" ] || echo "networks left: $(ls "$ROOT/networks")"
	grep " $T/" /proc/self/mountinfo 2>/dev/null || true
	pgrep -f "berth(-monitor)? --root $ROOT " >/dev/null 2>&1 &&
		echo "processes left: $(pgrep -af "berth(-monitor)? --root $ROOT ")"
	t=berth_$(printf '%s' "$ROOT" | sha256sum | cut -c1-8)
	nft list table ip "$t" >/dev/null 2>&1 && echo "nftables table $t left"
	links_after=$(our_links)
	[ "$links_after" -le "$links_before" ] || echo "links left: $links_before -> $links_after"
	true
}

cleanup() {
	rc=$?
	set +e
	ids=$( (cat "$T/ids.seen"; ls "$ROOT/containers") 2>/dev/null | grep -E '^[0-9a-f]{64}$' | sort -u)
	if [ -f "$P/compose.yaml" ]; then
		b down -v -t 1 --remove-orphans >/dev/null 2>&1
	fi
	for id in $("$BERTH" --root "$ROOT" container ls -aq 2>/dev/null); do
		"$BERTH" --root "$ROOT" container rm -f "$id" >/dev/null 2>&1
	done
	for n in $(ls "$ROOT/networks" 2>/dev/null | sed 's/\.json$//'); do
		# --predefined (hidden): also the default network "bridge"
		"$BERTH" --root "$ROOT" network rm --predefined "$n" >/dev/null 2>&1
	done
	left=$(leftovers)
	for id in $ids; do
		cg=$(find /sys/fs/cgroup -maxdepth 4 -type d -name "$id" 2>/dev/null)
		[ -z "$cg" ] || left="$left cgroup left: $cg"
	done
	if [ -n "$left" ]; then
		echo "FAIL: left behind:" >&2
		echo "$left" >&2
		[ $rc -eq 0 ] && rc=1
	fi
	rm -rf "$T"
	exit $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM

[ "$(id -u)" = 0 ] || skip "needs root"

make_busybox() {
	BERTH_OPTS="--root $ROOT" sh "$BERTH_SRC/scripts/busybox-image.sh" "$BERTH" busybox:latest ||
		skip "cannot make the busybox image"
}

# id_of NAME: the full id of container NAME
id_of() { "$BERTH" --root "$ROOT" container inspect "$1" | sed -n 's/^ *"Id": "\([0-9a-f]*\)".*/\1/p'; }

# free_port: a TCP port nothing listens on
free_port() {
	p=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 20000 ))
	while ss -ltn | grep -q ":$p "; do p=$((p + 1)); done
	echo $p
}

# eventually CMD...: CMD succeeds within 10 s (polled every 0.1 s)
eventually() {
	i=0
	while ! "$@" >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt 100 ] || return 1
		sleep 0.1
	done
}
