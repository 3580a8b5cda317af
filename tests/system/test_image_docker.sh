#!/bin/sh
# Interop with docker: an image saved by berth loads in docker and its container runs; an image
# saved by docker (with real overlay whiteouts from a build) loads in berth with identical diff
# IDs; the whiteout-layers corpus stacked by berth gives the expected merged view, both in
# docker and in berth's own overlay mount.
. "$(dirname "$0")/image_lib.sh"
need_root
: "${CONFORMANCE_DIR:=$(dirname "$0")/../../../shared/conformance}"
WH="$CONFORMANCE_DIR/image/whiteout-layers"
[ -f "$WH/layer1.tar" ] || skip "conformance corpus not found at $CONFORMANCE_DIR"
busybox_rootfs "$T/rootfs.tar"
start_docker
TAG="berth-systest-$$"
CLEANUP_EXTRA='$DOCKER rmi -f $($DOCKER images -q --filter "reference=$TAG*") >/dev/null 2>&1'

say "berth save -> docker load -> docker run"
b image import -c 'CMD ["echo", "hello from berth"]' "$T/rootfs.tar" "$TAG-base:1" >/dev/null
b image save -o "$T/b.tar" "$TAG-base:1"
$DOCKER load -i "$T/b.tar" | grep -q "Loaded image: $TAG-base:1" || fail "docker load"
out=$($DOCKER run --rm --network none "$TAG-base:1")
expect_eq "container output" "$out" "hello from berth"
expect_eq "docker sees berth's image ID" "$($DOCKER image inspect -f '{{.Id}}' "$TAG-base:1")" \
	"$(b image inspect -f '{{.Id}}' "$TAG-base:1")"

say "berth's OCI layout tar loads in docker too"
b image save --format oci -o "$T/o.tar" "$TAG-base:1"
$DOCKER rmi "$TAG-base:1" >/dev/null
$DOCKER load -i "$T/o.tar" >/dev/null || fail "docker load of berth's OCI archive"
$DOCKER run --rm --network none "$TAG-base:1" >/dev/null || fail "run after OCI load"

say "docker build (whiteouts) -> docker save -> berth load: same diff IDs"
mkdir -p "$T/ctx"
cp "$WH/Dockerfile" "$T/ctx/Dockerfile"
sed -i "s|^FROM .*|FROM $TAG-base:1|" "$T/ctx/Dockerfile"
echo hello >"$T/ctx/hello.txt"
DOCKER_BUILDKIT=0 $DOCKER build -q --network none -t "$TAG-wh:1" "$T/ctx" >"$T/build.log" 2>&1 ||
	fail "docker build: $(cat "$T/build.log")"
$DOCKER save -o "$T/d.tar" "$TAG-wh:1"
b image load -i "$T/d.tar" | grep -q "Loaded image: $TAG-wh:1" || fail "berth load of docker save"
expect_eq "diff IDs" "$(b image inspect -f '{{json .RootFS.Layers}}' "$TAG-wh:1")" \
	"$($DOCKER image inspect -f '{{json .RootFS.Layers}}' "$TAG-wh:1")"
expect_eq "image ID" "$(b image inspect -f '{{.Id}}' "$TAG-wh:1")" \
	"$($DOCKER image inspect -f '{{.Id}}' "$TAG-wh:1")"

say "berth's layer dirs mount as the merged view docker shows"
lower=$(b image inspect -f '{{.GraphDriver.Data.LowerDir}}' "$TAG-wh:1")
upper=$(b image inspect -f '{{.GraphDriver.Data.UpperDir}}' "$TAG-wh:1")
mkdir -p "$T/merged"
mount -t overlay overlay -o "ro,lowerdir=$upper:$lower" "$T/merged" || skip "overlay mount failed"
check_merged() { # DIR
	expect_eq "hello.txt" "$(cat "$1/data/hello.txt")" hello
	expect_eq "keep/a" "$(cat "$1/data/keep/a" | tr '\n' ' ')" "a a2 "
	expect_eq "replace/" "$(ls -A "$1/data/replace" | tr '\n' ' ')" "new "
	expect_eq "data/" "$(ls -A "$1/data" | tr '\n' ' ')" "hello.txt keep replace "
}
check_merged "$T/merged"
umount "$T/merged"

say "the corpus layers stacked on berth's base: berth save -> docker run sees the same"
mkdir -p "$T/wh/base" "$T/wh/l1" "$T/wh/l2" "$T/wh/l3"
cp "$T/rootfs.tar" "$T/wh/base/layer.tar"
for i in 1 2 3; do cp "$WH/layer$i.tar" "$T/wh/l$i/layer.tar"; done
ids=""
for l in base l1 l2 l3; do
	ids="$ids${ids:+,}\"sha256:$(sha256sum <"$T/wh/$l/layer.tar" | cut -d' ' -f1)\""
done
printf '{"architecture":"amd64","os":"linux","config":{"Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":[%s]}}' \
	"$ids" >"$T/cfg.json"
cfg=$(sha256sum <"$T/cfg.json" | cut -d' ' -f1)
mv "$T/cfg.json" "$T/wh/$cfg.json"
printf '[{"Config":"%s.json","RepoTags":["%s-corpus:1"],"Layers":["base/layer.tar","l1/layer.tar","l2/layer.tar","l3/layer.tar"]}]' \
	"$cfg" "$TAG" >"$T/wh/manifest.json"
tar -C "$T/wh" -cf "$T/wh.tar" .
b image load -i "$T/wh.tar" >/dev/null
b image save -o "$T/wh2.tar" "$TAG-corpus:1"
$DOCKER load -i "$T/wh2.tar" >/dev/null
out=$($DOCKER run --rm --network none "$TAG-corpus:1" sh -c \
	'cat /data/hello.txt /data/keep/a; ls -A /data/replace; ls -A /data')
expect_eq "docker's merged view" "$(echo "$out" | tr '\n' ' ')" "hello a a2 new hello.txt keep replace "
b system check >/dev/null || fail "system check"
echo "PASS"
