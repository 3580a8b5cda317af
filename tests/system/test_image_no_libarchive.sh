#!/bin/sh
# libarchive is loaded on first use (engine/archive_dl.c): berth does not link it, commands
# that need no tar work without it, and those that do fail with a one-line error, not a crash.
# The library is hidden by a bind mount of /dev/null over it in a private mount namespace.
. "$(dirname "$0")/image_lib.sh"
need_root
need_cmd unshare util-linux
busybox_rootfs "$T/rootfs.tar"

say "berth does not link libarchive"
if ldd "$BERTH" | grep -q 'libarchive'; then fail "berth links libarchive"; fi

lib=$(ldconfig -p | awk '$1 == "libarchive.so.13" { print $NF; exit }')
[ -n "$lib" ] || skip "libarchive.so.13 is not in the ld.so cache"
lib=$(readlink -f "$lib")

say "without libarchive: version works, import/save/load fail with the reason"
b image import "$T/rootfs.tar" local/base:1 >/dev/null
cat >"$T/hidden.sh" <<EOS
set -u
mount --bind /dev/null "$lib" || exit 90
"$BERTH" --root "$ROOT" version >/dev/null || exit 91
for cmd in "image import $T/rootfs.tar local/other:1" "image save -o $T/s.tar local/base:1" \
	"image load -i $T/rootfs.tar"; do
	rc=0
	"$BERTH" --root "$ROOT" \$cmd >/dev/null 2>"$T/err" || rc=\$?
	[ \$rc = 1 ] || { echo "\$cmd: exit \$rc"; cat "$T/err"; exit 92; }
	grep -q 'libarchive cannot be loaded' "$T/err" || { cat "$T/err"; exit 93; }
	[ \$(wc -l <"$T/err") = 1 ] || { cat "$T/err"; exit 94; }
done
EOS
unshare -m --propagation private sh "$T/hidden.sh" || fail "hidden libarchive (exit $?)"

say "with it again, the store is intact and the commands work"
b image save -o "$T/s.tar" local/base:1
"$BERTH" --root "$T/root2" image load -i "$T/s.tar" | grep -qx 'Loaded image: local/base:1' ||
	fail "load after the hidden run"
b system check >/dev/null || fail "system check"
echo OK
