# registry interop: skopeo reads what berth pushed (and umoci unpacks it); berth pulls what
# skopeo pushed (Docker schema2 and OCI, gzip); a hand-made OCI index with a zstd layer and
# a second platform: the host's entry by default, --platform picks the other, an absent
# platform fails plainly; pull by the index digest; a hand-made three-layer image pulled,
# pushed to a second registry (layers in parallel) and pulled back.
. "$(dirname "$0")/lib.sh"
command -v skopeo >/dev/null 2>&1 || skip "skopeo is not installed"
command -v jq >/dev/null 2>&1 || skip "jq is not installed"
command -v zstd >/dev/null 2>&1 || skip "zstd is not installed"
make_busybox
start_registry reg
store_has_blob() { [ -f "$ROOT/store/blobs/sha256/${1#sha256:}" ]; }

say "skopeo copies what berth pushed into an OCI layout"
b image tag busybox "$REG/berth/bb:1"
b image push "$REG/berth/bb:1" >/dev/null 2>"$T/err" || fail "push: $(cat "$T/err")"
skopeo copy -q --src-tls-verify=false "docker://$REG/berth/bb:1" "oci:$T/oci:bb" >/dev/null 2>"$T/err" ||
	fail "skopeo copy from berth's push: $(cat "$T/err")"
if command -v umoci >/dev/null 2>&1; then
	umoci unpack --image "$T/oci:bb" "$T/bundle" >/dev/null 2>"$T/err" || fail "umoci unpack: $(cat "$T/err")"
	[ -x "$T/bundle/rootfs/bin/busybox" ] || fail "umoci bundle has no busybox"
fi

say "berth pulls what skopeo pushed: Docker schema2 + gzip, OCI + gzip"
for fmt in v2s2 oci; do
	skopeo copy -q --dest-tls-verify=false --dest-compress --format $fmt "oci:$T/oci:bb" \
		"docker://$REG/skopeo/$fmt:1" >/dev/null 2>"$T/err" || fail "skopeo push $fmt: $(cat "$T/err")"
	b image pull -q "$REG/skopeo/$fmt:1" >/dev/null 2>"$T/err" || fail "pull $fmt: $(cat "$T/err")"
	out=$(b container run --rm "$REG/skopeo/$fmt:1" echo "$fmt-ok")
	[ "$out" = "$fmt-ok" ] || fail "run $fmt: '$out'"
done
mt=$(curl -fsS -o /dev/null -w '%{content_type}' -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' "http://$REG/v2/skopeo/v2s2/manifests/1")
[ "$mt" = application/vnd.docker.distribution.manifest.v2+json ] || fail "skopeo v2s2 pushed $mt"

# a hand-made multi-platform image: put_blob REPO FILE; put_manifest REPO REF TYPE FILE
put_blob() {
	d="sha256:$(sha256sum "$2" | cut -d' ' -f1)"
	loc=$(curl -fsS -X POST -D - -o /dev/null "http://$REG/v2/$1/blobs/uploads/" |
		tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
	case $loc in http*) ;; *) loc="http://$REG$loc" ;; esac
	curl -fsS -X PUT -H 'Content-Type: application/octet-stream' --data-binary @"$2" \
		-o /dev/null "$loc&digest=$d" || fail "put blob $2"
	echo "$d"
}
put_manifest() {
	curl -fsS -X PUT -H "Content-Type: $3" --data-binary @"$4" -o /dev/null \
		"http://$REG/v2/$1/manifests/$2" || fail "put manifest $4"
	echo "sha256:$(sha256sum "$4" | cut -d' ' -f1)"
}
desc() { printf '{"mediaType":"%s","digest":"%s","size":%s}' "$1" "$2" "$(stat -c %s "$3")"; }

say "an OCI index: host entry with a zstd layer, another platform uncompressed"
cfgd=$(image_json busybox Id)
cp "$ROOT/store/blobs/sha256/${cfgd#sha256:}" "$T/config.json"
layer=$(jq -r '.rootfs.diff_ids[0]' "$T/config.json")
cp "$ROOT/store/blobs/sha256/${layer#sha256:}" "$T/layer.tar"
zstd -q -c "$T/layer.tar" >"$T/layer.tar.zst"
cfgd=$(put_blob multi "$T/config.json")
tard=$(put_blob multi "$T/layer.tar")
zstd_d=$(put_blob multi "$T/layer.tar.zst")
OCI_M=application/vnd.oci.image.manifest.v1+json
printf '{"schemaVersion":2,"mediaType":"%s","config":%s,"layers":[%s]}' "$OCI_M" \
	"$(desc application/vnd.oci.image.config.v1+json "$cfgd" "$T/config.json")" \
	"$(desc application/vnd.oci.image.layer.v1.tar+zstd "$zstd_d" "$T/layer.tar.zst")" >"$T/m-host.json"
printf '{"schemaVersion":2,"mediaType":"%s","config":%s,"layers":[%s],"annotations":{"which":"other"}}' "$OCI_M" \
	"$(desc application/vnd.oci.image.config.v1+json "$cfgd" "$T/config.json")" \
	"$(desc application/vnd.oci.image.layer.v1.tar "$tard" "$T/layer.tar")" >"$T/m-other.json"
mhost=$(put_manifest multi "$(sha256sum "$T/m-host.json" | sed 's/^\([0-9a-f]*\).*/sha256:\1/')" $OCI_M "$T/m-host.json")
mother=$(put_manifest multi "$(sha256sum "$T/m-other.json" | sed 's/^\([0-9a-f]*\).*/sha256:\1/')" $OCI_M "$T/m-other.json")
case $(uname -m) in x86_64) host=amd64 other=arm64 ;; aarch64) host=arm64 other=amd64 ;; *) skip "host arch $(uname -m)" ;; esac
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[%s,%s,%s]}' \
	"$(desc $OCI_M "$mother" "$T/m-other.json" | sed "s/}\$/,\"platform\":{\"os\":\"linux\",\"architecture\":\"$other\"}}/")" \
	"$(desc $OCI_M "$mhost" "$T/m-host.json" | sed "s/}\$/,\"platform\":{\"os\":\"linux\",\"architecture\":\"$host\"}}/")" \
	"$(desc $OCI_M "$mother" "$T/m-other.json" | sed 's/}$/,"platform":{"os":"unknown","architecture":"unknown"}}/')" \
	>"$T/index.json"
idx=$(put_manifest multi 1 application/vnd.oci.image.index.v1+json "$T/index.json")

say "default platform: the host's entry (the zstd layer)"
b image pull "$REG/multi:1" >/dev/null 2>"$T/err" || fail "pull index: $(cat "$T/err")"
grep -q "Digest: $idx" "$T/err" || fail "pull digest: $(cat "$T/err")"
store_has_blob "$zstd_d" || fail "the host manifest was not the one pulled"
out=$(b container run --rm "$REG/multi:1" echo zstd-ok)
[ "$out" = zstd-ok ] || fail "run zstd image: '$out'"
b image pull -q "$REG/multi@$idx" >/dev/null 2>"$T/err" || fail "pull by index digest: $(cat "$T/err")"
b image inspect "$REG/multi@$idx" >/dev/null || fail "image not found by its index digest"

say "an image pulled through an index is pushed as its platform manifest, unchanged"
ROOT="$T/root-repush" # a fresh store (in the first one the image ID is busybox's)
b image pull -q "$REG/multi:1" >/dev/null 2>"$T/err" || fail "pull index: $(cat "$T/err")"
b image tag "$REG/multi:1" "$REG/repush:1"
out=$(b image push -q "$REG/repush:1" 2>"$T/err") || fail "push of a pulled index: $(cat "$T/err")"
[ "$out" = "1: digest: $mhost size: $(stat -c %s "$T/m-host.json")" ] || fail "repush: '$out', want $mhost"

say "--platform linux/$other picks the other entry; an absent platform fails"
ROOT="$T/root-other" # a fresh store
b image pull -q --platform "linux/$other" "$REG/multi:1" >/dev/null 2>"$T/err" || fail "pull --platform: $(cat "$T/err")"
store_has_blob "$mother" || fail "--platform linux/$other did not pull its manifest"
! store_has_blob "$zstd_d" || fail "--platform linux/$other pulled the host's layer"
b image tag "$REG/multi:1" "$REG/repush:2"
out=$(b image push -q "$REG/repush:2" 2>"$T/err") || fail "push of the other platform: $(cat "$T/err")"
[ "$out" = "2: digest: $mother size: $(stat -c %s "$T/m-other.json")" ] || fail "repush other: '$out'"
expect_code 1 b image pull --platform linux/ppc64le "$REG/multi:1"
grep -q "no matching manifest for linux/ppc64le" "$T/err" || fail "absent platform: $(cat "$T/err")"
say "a three-layer image: pulled, pushed to a second registry, pulled back, run"
mkdir -p "$T/l2" "$T/l3"
echo two >"$T/l2/a"
echo three >"$T/l3/b"
tar -C "$T/l2" -cf "$T/l2.tar" a
tar -C "$T/l3" -cf "$T/l3.tar" b
gzip -n -c "$T/l3.tar" >"$T/l3.tar.gz"
d1="sha256:$(sha256sum "$T/layer.tar" | cut -d' ' -f1)"
d2="sha256:$(sha256sum "$T/l2.tar" | cut -d' ' -f1)"
d3="sha256:$(sha256sum "$T/l3.tar" | cut -d' ' -f1)"
printf '{"architecture":"%s","os":"linux","config":{"Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":["%s","%s","%s"]}}' \
	"$host" "$d1" "$d2" "$d3" >"$T/c3.json"
c3=$(put_blob three "$T/c3.json")
b1=$(put_blob three "$T/layer.tar")
b2=$(put_blob three "$T/l2.tar")
b3=$(put_blob three "$T/l3.tar.gz")
printf '{"schemaVersion":2,"mediaType":"%s","config":%s,"layers":[%s,%s,%s]}' "$OCI_M" \
	"$(desc application/vnd.oci.image.config.v1+json "$c3" "$T/c3.json")" \
	"$(desc application/vnd.oci.image.layer.v1.tar "$b1" "$T/layer.tar")" \
	"$(desc application/vnd.oci.image.layer.v1.tar "$b2" "$T/l2.tar")" \
	"$(desc application/vnd.oci.image.layer.v1.tar+gzip "$b3" "$T/l3.tar.gz")" >"$T/m3.json"
m3=$(put_manifest three 1 $OCI_M "$T/m3.json")
ROOT="$T/root-three"
b image pull -q "$REG/three:1" >/dev/null 2>"$T/err" || fail "pull three layers: $(cat "$T/err")"
out=$(b container run --rm "$REG/three:1" sh -c 'cat /a /b')
[ "$out" = "two
three" ] || fail "three layers: '$out'"
REG1=$REG
start_registry reg2
b image tag "$REG1/three:1" "$REG/three:1"
out=$(b image push "$REG/three:1" 2>"$T/err") || fail "push three layers: $(cat "$T/err")"
[ "$out" = "1: digest: $m3 size: $(stat -c %s "$T/m3.json")" ] || fail "push three: '$out'"
[ "$(grep -c ': Pushed$' "$T/err")" = 3 ] || fail "not three layers pushed: $(cat "$T/err")"
ROOT="$T/root-three-back"
b image pull -q "$REG/three:1" >/dev/null 2>"$T/err" || fail "pull back: $(cat "$T/err")"
out=$(b container run --rm "$REG/three:1" sh -c 'cat /a /b')
[ "$out" = "two
three" ] || fail "three layers pulled back: '$out'"
say "ok"
