# Shared helpers for the builder system tests (sourced, POSIX sh): tests/container/lib.sh
# (private --root in $T, cleanup on exit, skip/fail/b) plus a busybox image with every
# applet, a user "app" (1000:1000) and a group "appg" (2000), and helpers to look into a
# built image's layers.

. "$(dirname "$0")/../container/lib.sh"

# make_busybox_full: import "busybox" with all applets linked
make_busybox_full() {
	bb=$(command -v busybox || true)
	[ -n "$bb" ] || skip "busybox-static is not installed"
	file -L "$bb" 2>/dev/null | grep -q 'statically linked' || skip "$bb is not static"
	d="$T/rootfs"
	mkdir -p "$d/bin" "$d/tmp" "$d/etc" "$d/root"
	chmod 1777 "$d/tmp"
	cp "$bb" "$d/bin/busybox"
	for c in $("$bb" --list); do
		[ "$c" = busybox ] || ln -s busybox "$d/bin/$c"
	done
	echo "root:x:0:0:root:/root:/bin/sh" >"$d/etc/passwd"
	echo "app:x:1000:1000:app:/home/app:/bin/sh" >>"$d/etc/passwd"
	echo "root:x:0:" >"$d/etc/group"
	echo "appg:x:2000:" >>"$d/etc/group"
	tar -C "$d" --numeric-owner -cf "$T/rootfs.tar" .
	rm -rf "$d"
	b image import "$T/rootfs.tar" busybox >/dev/null 2>"$T/import.err" ||
		skip "berth image import does not work: $(cat "$T/import.err")"
}

# layers_grep IMAGE TEXT: exit 0 when TEXT is in some blob (layer tar, config) of IMAGE
layers_grep() {
	rm -rf "$T/save" && mkdir -p "$T/save"
	b image save "$1" | tar -C "$T/save" -xf -
	grep -rqs "$2" "$T/save"
}

# build ARGS...: berth image build with plain progress into $T/build.out; prints the ID
# (from --iidfile: without -q the build itself prints nothing on stdout, as docker)
build() {
	rm -f "$T/iid"
	b image build --progress plain --iidfile "$T/iid" "$@" 2>"$T/build.out" >"$T/build.stdout" ||
		return 1
	[ ! -s "$T/build.stdout" ] || fail "image build wrote to stdout: $(cat "$T/build.stdout")"
	cat "$T/iid" && echo
}

# no_build_leftovers: every RUN container removed its run dir (and so its cgroups), and every
# build its scratch dir in the layer store
no_build_leftovers() {
	left=$(ls -A "$ROOT/run/build" 2>/dev/null || true)
	[ -z "$left" ] || fail "RUN containers left behind: $left"
	ls -A "$ROOT/layers" 2>/dev/null | grep -q '^\.build-' && fail "a build left its scratch dir"
	return 0
}
