#!/bin/sh
# Interop with the OCI tools: an OCI archive written by skopeo (gzip layers) loads in berth with
# the same diff IDs; umoci unpacks the OCI layout berth saves, and berth's store itself.
. "$(dirname "$0")/image_lib.sh"
need_root
need_cmd skopeo skopeo
need_cmd umoci umoci
busybox_rootfs "$T/rootfs.tar"

say "skopeo oci-archive -> berth load"
id=$(b image import -c 'CMD ["sh"]' "$T/rootfs.tar" local/base:1)
b image save -o "$T/d.tar" local/base:1
skopeo copy -q "docker-archive:$T/d.tar" "oci-archive:$T/sk.tar:localhost/skopeo-img:v2" ||
	fail "skopeo copy"
tar -xOf "$T/sk.tar" index.json | grep -q 'localhost/skopeo-img:v2' || fail "skopeo wrote no ref name"
ROOT2="$T/root2"
"$BERTH" --root "$ROOT2" image load -i "$T/sk.tar" | grep -qx 'Loaded image: localhost/skopeo-img:v2' ||
	fail "berth load of skopeo's OCI archive"
expect_eq "diff IDs survive gzip" \
	"$("$BERTH" --root "$ROOT2" image inspect -f '{{json .RootFS.Layers}}' localhost/skopeo-img:v2)" \
	"$(b image inspect -f '{{json .RootFS.Layers}}' local/base:1)"
expect_eq "Cmd" "$("$BERTH" --root "$ROOT2" image inspect -f '{{json .Config.Cmd}}' localhost/skopeo-img:v2)" \
	'["sh"]'
say "berth re-saves the gzip-layer image as a docker archive (uncompressed layer.tar)"
"$BERTH" --root "$ROOT2" image save -o "$T/re.tar" localhost/skopeo-img:v2
"$BERTH" --root "$T/root3" image load -i "$T/re.tar" >/dev/null
"$BERTH" --root "$T/root3" system check >/dev/null || fail "check after re-save"

say "skopeo reads berth's OCI layout"
mkdir -p "$T/layout"
b image save --format oci -o "$T/o.tar" local/base:1
tar -C "$T/layout" -xf "$T/o.tar"
skopeo inspect --raw "oci:$T/layout:1" | grep -q '"config"' || fail "skopeo inspect of berth's layout"

say "umoci unpacks berth's saved layout and berth's store"
umoci unpack --image "$T/layout:1" "$T/bundle" >/dev/null 2>&1 || fail "umoci unpack (saved layout)"
[ -x "$T/bundle/rootfs/bin/busybox" ] || fail "umoci bundle has no /bin/busybox"
cmp "$T/bundle/rootfs/bin/busybox" "$(command -v busybox)" || fail "unpacked busybox differs"
umoci unpack --image "$ROOT/store:docker.io/local/base:1" "$T/bundle2" >/dev/null 2>&1 ||
	fail "umoci unpack (store)"
[ -L "$T/bundle2/rootfs/bin/sh" ] || fail "umoci bundle from the store has no /bin/sh link"
echo "PASS"
