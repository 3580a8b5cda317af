# Shared helpers for the container system tests (sourced, POSIX sh).
#
# $T is a private temp dir holding the berth --root; the EXIT trap removes every container
# (rm -f) and the default network "bridge" (its bridge and nftables table), then checks that none of their processes, cgroups or mounts remain, then deletes
# $T. `skip WHY` exits 77, `fail WHY` exits 1. `b ARGS` runs berth on the private root.

set -eu

: "${BERTH:?BERTH must point at the berth binary}"
T=$(mktemp -d /tmp/berth-ctrtest.XXXXXX)
ROOT="$T/root"

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
say() { echo "== $*"; }
b() { "$BERTH" --root "$ROOT" "$@"; }

# leftovers: one line per cgroup dir or mount that still names one of our containers
leftovers() {
	for d in "$ROOT"/containers/* "$T"/ids/*; do
		[ -e "$d" ] || continue
		id=$(basename "$d")
		find /sys/fs/cgroup -maxdepth 4 -type d -name "$id" 2>/dev/null
	done
	grep " $T/" /proc/self/mountinfo 2>/dev/null || true
	for r in "$T"/root "$T"/root-*; do
		[ -d "$r" ] || continue
		# monitors and DNS responders of the root (networks a test made are its to remove)
		pgrep -af "berth(-monitor)? --root $r " 2>/dev/null || true
		# its nftables table (berth_<8 hex of sha256(root)>) goes with its last network
		t=berth_$(printf '%s' "$r" | sha256sum | cut -c1-8)
		nft list table ip "$t" >/dev/null 2>&1 && echo "nftables table $t of $r left"
	done
	true
}

cleanup() {
	rc=$?
	set +e
	# every root the test used ($T/root, and $T/root-* some tests switch to)
	for r in "$T"/root "$T"/root-*; do
		[ -d "$r" ] || continue
		ROOT=$r
		if [ -d "$ROOT/containers" ]; then
			for id in $(b container ls -aq 2>/dev/null); do b container rm -f "$id" >/dev/null 2>&1; done
		fi
		# the default network a container without --network created (hidden --predefined:
		# `network rm bridge` is refused as docker refuses it)
		if [ -f "$ROOT/networks/bridge.json" ]; then
			b network rm --predefined bridge >/dev/null 2>&1 ||
				{ echo "FAIL: could not remove the default network" >&2; [ $rc -eq 0 ] && rc=1; }
		fi
	done
	left=$(leftovers)
	if [ -n "$left" ]; then
		echo "FAIL: left behind after rm -f:" >&2
		echo "$left" >&2
		[ $rc -eq 0 ] && rc=1
	fi
	rm -rf "$T"
	exit $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM

[ "$(id -u)" = 0 ] || skip "needs root"

# remember_id NAME: keep the id so the final check can look for its cgroups after removal
remember_id() {
	mkdir -p "$T/ids"
	touch "$T/ids/$(b container inspect "$1" | sed -n 's/^ *"Id": "\([0-9a-f]*\)".*/\1/p')"
}

# make_busybox: import a busybox image from Debian's busybox-static as "busybox"
make_busybox() {
	bb=$(command -v busybox || true)
	[ -n "$bb" ] || skip "busybox-static is not installed"
	file -L "$bb" 2>/dev/null | grep -q 'statically linked' || skip "$bb is not static"
	d="$T/rootfs"
	mkdir -p "$d/bin" "$d/tmp" "$d/etc" "$d/root"
	cp "$bb" "$d/bin/busybox"
	for c in sh ls cat echo true false test mkdir rm id sleep touch env pwd hostname ulimit; do
		ln -s busybox "$d/bin/$c"
	done
	printf 'not a program\n' >"$d/bin/noexec"
	chmod 644 "$d/bin/noexec"
	echo "root:x:0:0:root:/root:/bin/sh" >"$d/etc/passwd"
	echo "root:x:0:" >"$d/etc/group"
	tar -C "$d" --numeric-owner -cf "$T/rootfs.tar" .
	rm -rf "$d"
	b image import "$T/rootfs.tar" busybox >/dev/null 2>"$T/import.err" ||
		skip "berth image import does not work yet: $(cat "$T/import.err")"
}

# expect_code WANT CMD...: run CMD, check its exit code
expect_code() {
	want=$1
	shift
	set +e
	"$@" >"$T/out" 2>"$T/err"
	got=$?
	set -e
	[ "$got" = "$want" ] || fail "'$*' exited $got, want $want; stderr: $(cat "$T/err")"
}

# state_of NAME KEY: a value from `container inspect` (first match of "KEY": value)
state_of() {
	b container inspect "$1" | sed -n "s/^ *\"$2\": \"*\([^\",]*\)\"*,*\$/\1/p" | head -n 1
}

# wait_for SECS CMD...: retry CMD every 0.1 s until it succeeds
wait_for() {
	n=$(($1 * 10))
	shift
	while [ $n -gt 0 ]; do
		if "$@" >/dev/null 2>&1; then return 0; fi
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}
