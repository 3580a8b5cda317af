#!/bin/sh
# busybox-image.sh BERTH [IMAGE]: import a busybox image (default busybox:latest) built from
# Debian's busybox-static, with every applet linked, so that stacks run offline.
# Extra berth global options (such as --root DIR) come from $BERTH_OPTS.
set -eu
berth=${1:?usage: busybox-image.sh BERTH [IMAGE]}
image=${2:-busybox:latest}
bb=$(command -v busybox || true)
[ -n "$bb" ] || { echo "busybox-image: busybox-static is not installed" >&2; exit 77; }
t=$(mktemp -d /tmp/berth-bb.XXXXXX)
trap 'rm -rf "$t"' EXIT
d="$t/rootfs"
mkdir -p "$d/bin" "$d/tmp" "$d/etc" "$d/root" "$d/var/www"
chmod 1777 "$d/tmp"
cp "$bb" "$d/bin/busybox"
for a in $("$bb" --list); do
	[ "$a" = busybox ] || ln -s busybox "$d/bin/$a"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$d/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$d/etc/group"
tar -C "$d" --numeric-owner -cf "$t/rootfs.tar" .
# shellcheck disable=SC2086
"$berth" ${BERTH_OPTS:-} image import -c 'CMD ["sh"]' -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' "$t/rootfs.tar" "$image" >/dev/null
