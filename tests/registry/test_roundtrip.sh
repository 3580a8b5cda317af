# registry round trip: push an image to a local docker-registry, remove it, pull it back
# (by tag and by digest) and run it; a second push finds the blobs there, a push to another
# repository mounts them, a big layer goes up in PATCH chunks; bad references fail plainly.
. "$(dirname "$0")/lib.sh"
make_busybox
start_registry reg

say "push by tag"
b image tag busybox "$REG/test/bb:1"
b image push "$REG/test/bb:1" >"$T/push.out" 2>"$T/push.err" || fail "push: $(cat "$T/push.err")"
grep -q "^1: digest: sha256:[0-9a-f]\{64\} size: [0-9]*$" "$T/push.out" || fail "push output: $(cat "$T/push.out")"
digest=$(sed -n 's/^1: digest: \(sha256:[0-9a-f]*\) .*/\1/p' "$T/push.out")
grep -q "Pushed" "$T/push.err" || fail "push progress: $(cat "$T/push.err")"
curl -fsS "http://$REG/v2/test/bb/tags/list" | grep -q '"1"' || fail "the registry has no tag 1"
id=$(image_json busybox Id)

say "pushing again: every layer is already there"
b image push "$REG/test/bb:1" >/dev/null 2>"$T/push2.err" || fail "second push: $(cat "$T/push2.err")"
grep -q "Layer already exists" "$T/push2.err" || fail "second push uploaded again: $(cat "$T/push2.err")"

say "push to another repository of the same registry: a cross-repository mount"
b image tag busybox "$REG/other/bb:2"
b image push "$REG/other/bb:2" >/dev/null 2>"$T/push3.err" || fail "push other: $(cat "$T/push3.err")"
grep -q "Mounted from test/bb" "$T/push3.err" || fail "no mount: $(cat "$T/push3.err")"
grep -q 'method=POST.*mount=sha256' "$T/reg/log" || grep -q 'mount=sha256' "$T/reg/log" ||
	fail "the registry saw no mount request"

say "remove locally, pull by tag, run"
b image rm "$REG/test/bb:1" "$REG/other/bb:2" busybox >/dev/null
b image prune -a -f >/dev/null
[ -z "$(b image ls -q)" ] || fail "images left after rm"
out=$(b image pull "$REG/test/bb:1" 2>"$T/pull.err") || fail "pull: $(cat "$T/pull.err")"
[ "$out" = "$REG/test/bb:1" ] || fail "pull stdout: '$out'"
grep -q "Digest: $digest" "$T/pull.err" || fail "pull digest: $(cat "$T/pull.err")"
grep -q "Status: Downloaded newer image for $REG/test/bb:1" "$T/pull.err" || fail "pull status: $(cat "$T/pull.err")"
[ "$(image_json "$REG/test/bb:1" Id)" = "$id" ] || fail "pulled image has another ID"
b image pull "$REG/test/bb:1" >/dev/null 2>"$T/pull.err" || fail "pull again: $(cat "$T/pull.err")"
grep -q "Already exists" "$T/pull.err" || fail "pull again downloaded: $(cat "$T/pull.err")"
grep -q "Status: Image is up to date for $REG/test/bb:1" "$T/pull.err" || fail "pull again: $(cat "$T/pull.err")"
out=$(b container run --rm "$REG/test/bb:1" echo pulled-ok)
[ "$out" = "pulled-ok" ] || fail "run pulled image: '$out'"

say "run of an image it lacks pulls it first (docker run's --pull missing); --pull never does not"
b image rm "$REG/test/bb:1" >/dev/null
b image prune -a -f >/dev/null
out=$(b container run --rm --pull never "$REG/test/bb:1" echo no 2>"$T/err") && fail "run --pull never ran: $out"
grep -q "No such image" "$T/err" || fail "run --pull never: $(cat "$T/err")"
out=$(b container run --rm "$REG/test/bb:1" echo auto-pulled 2>"$T/err") || fail "run with a pull: $(cat "$T/err")"
[ "$out" = auto-pulled ] || fail "run after its pull: '$out'"
grep -q "^Unable to find image '$REG/test/bb:1' locally$" "$T/err" || fail "run pull banner: $(cat "$T/err")"
grep -q "Status: Downloaded newer image for $REG/test/bb:1" "$T/err" || fail "run pull status: $(cat "$T/err")"
out=$(b container run --rm --pull always "$REG/test/bb:1" echo again 2>"$T/err") || fail "run --pull always"
grep -q "Status: Image is up to date for $REG/test/bb:1" "$T/err" || fail "run --pull always: $(cat "$T/err")"

say "pull -q prints only the reference; pull by digest"
out=$(b image pull -q "$REG/test/bb:1" 2>"$T/err")
[ "$out" = "$REG/test/bb:1" ] && [ ! -s "$T/err" ] || fail "pull -q: '$out' / $(cat "$T/err")"
b image pull -q "$REG/test/bb@$digest" >/dev/null || fail "pull by digest"
b image inspect "$REG/test/bb@$digest" >/dev/null || fail "image by digest not found"

say "progress: plain lines off a terminal, live bars on one, none with --progress quiet"
b image rm "$REG/test/bb:1" "$REG/test/bb@$digest" >/dev/null 2>&1 || true
b image prune -a -f >/dev/null
b image pull "$REG/test/bb:1" >/dev/null 2>"$T/plain.err"
grep -q '^[0-9a-f]\{12\}: Download complete$' "$T/plain.err" || fail "plain progress: $(cat "$T/plain.err")"
grep -q "$(printf '\033')" "$T/plain.err" && fail "escape sequences off a terminal"
b --progress quiet image pull "$REG/test/bb:1" >/dev/null 2>"$T/quiet.err"
[ ! -s "$T/quiet.err" ] || fail "--progress quiet printed: $(cat "$T/quiet.err")"
if command -v script >/dev/null 2>&1; then
	b image rm "$REG/test/bb:1" >/dev/null
	b image prune -a -f >/dev/null
	script -qec "'$BERTH' --root '$ROOT' image pull $REG/test/bb:1" /dev/null >"$T/tty.out" </dev/null ||
		fail "pull on a terminal: $(cat "$T/tty.out")"
	grep -q 'Downloading \[' "$T/tty.out" || fail "no progress bar on a terminal: $(cat "$T/tty.out")"
fi

say "a big layer is pushed in chunks (PATCH) and pulled back"
mkdir -p "$T/big"
head -c 20000000 /dev/urandom >"$T/big/blob"
tar -C "$T/big" -cf "$T/big.tar" .
b image import "$T/big.tar" "$REG/test/big:1" >/dev/null
BERTH_PUSH_CHUNK_SIZE=4000000 b image push "$REG/test/big:1" >/dev/null 2>"$T/err" ||
	fail "push big: $(cat "$T/err")"
[ "$(grep -c 'method=PATCH' "$T/reg/log")" -ge 6 ] || fail "not pushed in 4 MB PATCH chunks"
expect_code 1 env BERTH_PUSH_CHUNK_SIZE=12x "$BERTH" --root "$ROOT" image push "$REG/test/big:1"
grep -q "BERTH_PUSH_CHUNK_SIZE" "$T/err" || fail "bad chunk size: $(cat "$T/err")"
b image rm "$REG/test/big:1" >/dev/null
b image prune -a -f >/dev/null

say "two pulls of the same image at once (compose pulls services in parallel)"
b image pull -q "$REG/test/big:1" >"$T/p1.out" 2>&1 &
p1=$!
b image pull -q "$REG/test/big:1" >"$T/p2.out" 2>&1 || fail "second concurrent pull: $(cat "$T/p2.out")"
wait $p1 || fail "first concurrent pull: $(cat "$T/p1.out")"
[ -z "$(ls "$ROOT/store/ingest")" ] || fail "temp files left: $(ls "$ROOT/store/ingest")"
b system check >/dev/null || fail "store check after pulls"

say "errors: unknown tag, unknown repository, bad reference, bad platform, nothing listening"
expect_code 1 b image pull "$REG/test/bb:nope"
grep -q "manifest unknown\|not found" "$T/err" || fail "unknown tag: $(cat "$T/err")"
expect_code 1 b image pull "$REG/nosuch/repo:1"
expect_code 1 b image pull "Upper"
grep -q "invalid reference format" "$T/err" || fail "bad ref: $(cat "$T/err")"
expect_code 1 b image pull --platform linux "$REG/test/bb:1"
grep -q "invalid platform" "$T/err" || fail "bad platform: $(cat "$T/err")"
expect_code 1 b image pull "127.0.0.1:$(free_port)/x:1"
expect_code 1 b image push "$REG/test/not-local:1"
grep -q "No such image" "$T/err" || fail "push of a missing image: $(cat "$T/err")"
say "ok"
