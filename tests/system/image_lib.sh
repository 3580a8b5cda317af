# Shared helpers for the image system tests (sourced, POSIX sh).
#
# Every test: a private temp dir ($T) holding its berth --root, removed by the EXIT trap also on
# failure; `skip REASON` exits 77; `fail MSG` exits 1. A dockerd is only ever started with its
# own data root, exec root, pidfile and unix socket under $T, and stopped by its PID.

set -eu

: "${BERTH:?BERTH must point at the berth binary}"
T=$(mktemp -d /tmp/berth-systest.XXXXXX)
ROOT="$T/root"
DOCKERD_PID=
DOCKER_HOST_OURS=
CLEANUP_EXTRA=

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
say() { echo "== $*"; }

cleanup() {
	rc=$?
	set +e
	if [ -n "$CLEANUP_EXTRA" ]; then eval "$CLEANUP_EXTRA"; fi
	if [ -n "$DOCKERD_PID" ]; then
		kill "$DOCKERD_PID" 2>/dev/null
		i=0
		while kill -0 "$DOCKERD_PID" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.2; i=$((i + 1)); done
		kill -9 "$DOCKERD_PID" 2>/dev/null
	fi
	# anything a dockerd or an overlay check left mounted below $T
	grep " $T/" /proc/self/mounts 2>/dev/null | awk '{print $2}' | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null; done
	rm -rf "$T"
	exit $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM

b() { "$BERTH" --root "$ROOT" "$@"; }

need_root() { [ "$(id -u)" = 0 ] || skip "needs root"; }
need_cmd() { command -v "$1" >/dev/null 2>&1 || skip "$1 is not installed${2:+ ($2)}"; }

# busybox_rootfs OUT.tar: a rootfs from Debian's busybox-static, /bin/busybox plus links.
busybox_rootfs() {
	bb=$(command -v busybox || true)
	[ -n "$bb" ] || skip "busybox-static is not installed"
	file -L "$bb" 2>/dev/null | grep -q 'statically linked' ||
		ldd "$bb" 2>&1 | grep -q 'not a dynamic' || skip "$bb is not static (install busybox-static)"
	d="$T/rootfs.$$"
	mkdir -p "$d/bin" "$d/tmp" "$d/etc"
	cp "$bb" "$d/bin/busybox"
	for c in sh ls cat echo true false test mkdir rm id; do ln -s busybox "$d/bin/$c"; done
	echo "root:x:0:0:root:/root:/bin/sh" >"$d/etc/passwd"
	tar -C "$d" --numeric-owner -cf "$1" .
	rm -rf "$d"
}

# start_docker: use the running dockerd if there is one, else start our own under $T.
# Sets DOCKER (the client command).
start_docker() {
	need_cmd docker docker.io
	if docker info >/dev/null 2>&1; then
		DOCKER="docker"
		return
	fi
	need_cmd dockerd docker.io
	need_root
	mkdir -p "$T/docker"
	dockerd --data-root "$T/docker/data" --exec-root "$T/docker/exec" \
		--pidfile "$T/docker/pid" -H "unix://$T/docker/sock" \
		--bridge=none --iptables=false --ip6tables=false \
		>"$T/docker/log" 2>&1 &
	DOCKERD_PID=$!
	DOCKER="docker -H unix://$T/docker/sock"
	i=0
	while ! $DOCKER info >/dev/null 2>&1; do
		i=$((i + 1))
		if [ $i -gt 150 ] || ! kill -0 "$DOCKERD_PID" 2>/dev/null; then
			tail -20 "$T/docker/log" >&2
			skip "dockerd did not start"
		fi
		sleep 0.2
	done
}

# expect_eq WHAT GOT WANT
expect_eq() {
	[ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"
}
