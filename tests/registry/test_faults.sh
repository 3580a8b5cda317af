# registry faults: a blob corrupted on the registry is refused (nothing unverified reaches
# the store, nothing is kept to resume from), and a pull killed with SIGKILL in the middle of
# a blob leaves no blob behind; the next pull resumes it (Range) and succeeds.
. "$(dirname "$0")/lib.sh"
command -v jq >/dev/null 2>&1 || skip "jq is not installed"
make_busybox
start_registry reg

# store_blobs: the blob files in berth's store
store_has_blob() { [ -f "$ROOT/store/blobs/sha256/${1#sha256:}" ]; }

say "a corrupted layer on the registry is refused"
b image tag busybox "$REG/test/bb:1"
b image push "$REG/test/bb:1" >/dev/null 2>"$T/err" || fail "push: $(cat "$T/err")"
layer=$(curl -fsS -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
	"http://$REG/v2/test/bb/manifests/1" | jq -r '.layers[0].digest')
f=$(blob_file "$layer")
[ -f "$f" ] || fail "no blob file $f on the registry"
cp "$f" "$T/good-layer"
printf 'CORRUPTED' | dd of="$f" bs=1 seek=5000 conv=notrunc status=none
b image rm "$REG/test/bb:1" busybox >/dev/null
b image prune -a -f >/dev/null
! store_has_blob "$layer" || fail "the layer is still in the store before the pull"
expect_code 1 b image pull "$REG/test/bb:1"
grep -q "digest mismatch" "$T/err" || fail "corrupt blob: $(cat "$T/err")"
! store_has_blob "$layer" || fail "a corrupt blob reached the store"
[ -z "$(ls "$ROOT/store/ingest")" ] || fail "temp files left: $(ls "$ROOT/store/ingest")"
[ -z "$(b image ls -q)" ] || fail "an image was registered from a corrupt blob"
cp "$T/good-layer" "$f"
b image pull -q "$REG/test/bb:1" >/dev/null || fail "pull after repair"

say "a bad partial blob left in the store is thrown away and fetched again"
b image rm "$REG/test/bb:1" >/dev/null
b image prune -a -f >/dev/null
printf 'not the start of the layer' >"$ROOT/store/ingest/pull-${layer#sha256:}"
b image pull -q "$REG/test/bb:1" >/dev/null 2>"$T/err" || fail "pull over a bad partial: $(cat "$T/err")"
store_has_blob "$layer" || fail "layer not stored"
[ -z "$(ls "$ROOT/store/ingest")" ] || fail "temp files left: $(ls "$ROOT/store/ingest")"

say "a pull killed mid-blob leaves no blob; the next pull succeeds"
mkdir -p "$T/big"
tar -C "$T/big" -xf "$T/rootfs.tar"
head -c 30000000 /dev/urandom >"$T/big/blob"
tar -C "$T/big" -cf "$T/big.tar" .
b image import "$T/big.tar" "$REG/test/big:1" >/dev/null
b image push "$REG/test/big:1" >/dev/null 2>"$T/err" || fail "push big: $(cat "$T/err")"
big=$(curl -fsS -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
	"http://$REG/v2/test/big/manifests/1" | jq -r '.layers[0].digest')
b image rm "$REG/test/big:1" >/dev/null
b image prune -a -f >/dev/null
! store_has_blob "$big" || fail "big layer still stored"
pport=$(free_port)
touch "$T/slow"
bg python3 "$(dirname "$0")/slow_proxy.py" --port "$pport" --upstream "$REG" --slow "$T/slow" 2>"$T/proxy.log"
PROXY="127.0.0.1:$pport"
wait_for 10 curl -s -o /dev/null "http://$PROXY/v2/" || fail "proxy did not start"
"$BERTH" --root "$ROOT" image pull "$PROXY/test/big:1" >/dev/null 2>&1 &
pid=$!
partial() { [ -n "$(find "$ROOT/store/ingest" -type f -size +1M 2>/dev/null)" ]; }
wait_for 30 partial || { kill -9 $pid; fail "the pull never got going"; }
kill -9 $pid
wait $pid 2>/dev/null || true
! store_has_blob "$big" || fail "a killed pull left the blob in place"
part="$ROOT/store/ingest/pull-${big#sha256:}"
[ -f "$part" ] || fail "expected the killed pull's partial blob: $(ls "$ROOT/store/ingest")"
have=$(stat -c %s "$part")
b image inspect "$PROXY/test/big:1" >/dev/null 2>&1 && fail "a killed pull registered the image"
rm -f "$T/slow"
b image pull -q "$PROXY/test/big:1" >/dev/null 2>"$T/err" || fail "second pull: $(cat "$T/err")"
store_has_blob "$big" || fail "second pull did not store the layer"
grep -q "blobs/$big Range: bytes=$have-" "$T/proxy.log" || fail "the second pull did not resume from $have: $(cat "$T/proxy.log")"
[ -z "$(ls "$ROOT/store/ingest")" ] || fail "temp files left after the second pull: $(ls "$ROOT/store/ingest")"
b system check >/dev/null || fail "store check"
out=$(b container run --rm "$PROXY/test/big:1" sh -c 'wc -c </blob')
[ "$out" = 30000000 ] || fail "pulled layer content: '$out'"
say "ok"
