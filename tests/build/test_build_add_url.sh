# ADD <url>: a download from a local HTTP server (python3 http.server on 127.0.0.1), with and
# without --checksum; a wrong checksum and a 404 are errors; an unchanged remote file is a
# cache hit, a changed one a miss; the history names the download as docker does.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || skip "python3 is not installed"
make_busybox_full

mkdir -p "$T/www" "$T/ctx"
echo "remote v1" >"$T/www/r.txt"
(cd "$T/www" && exec python3 -u -m http.server 0 --bind 127.0.0.1 >"$T/srv.out" 2>&1) &
SRV=$!
trap 'rc=$?; kill "$SRV" 2>/dev/null; (exit $rc); cleanup' EXIT
for i in $(seq 1 50); do
	port=$(sed -n 's/.* port \([0-9]*\).*/\1/p' "$T/srv.out" | head -1)
	[ -n "$port" ] && break
	sleep 0.1
done
[ -n "$port" ] || skip "the test HTTP server did not start: $(cat "$T/srv.out")"
url="http://127.0.0.1:$port/r.txt"

sum=$(sha256sum "$T/www/r.txt" | cut -d' ' -f1)
printf 'FROM busybox\nADD --checksum=sha256:%s %s /dl/\nADD %s /named.txt\n' "$sum" "$url" "$url" >"$T/ctx/Dockerfile"
id=$(build "$T/ctx") || fail "build: $(cat "$T/build.out")"
out=$(b container run --rm "$id" sh -c 'cat /dl/r.txt /named.txt; stat -c %a /dl/r.txt')
[ "$out" = "remote v1
remote v1
600" ] || fail "unexpected download: $out"
build "$T/ctx" >/dev/null || fail "rebuild"
[ "$(grep -c CACHED "$T/build.out")" = 2 ] || fail "unchanged URL not cached: $(cat "$T/build.out")"

say "a changed remote file is a miss"
printf 'FROM busybox\nADD %s /named.txt\n' "$url" >"$T/ctx/Dockerfile"
build "$T/ctx" >/dev/null || fail "build"
echo "remote v2" >"$T/www/r.txt"
id=$(build "$T/ctx") || fail "build after change"
grep -q CACHED "$T/build.out" && fail "a changed download was taken from the cache"
[ "$(b container run --rm "$id" cat /named.txt)" = "remote v2" ] || fail "stale download"
# docker's history: the tarsum of its 0600 root-owned download named after the URL
h=$( (printf 'namer.txtmode33152uid0gid0size10typeflag0linknameunamerootgnamerootdevmajor0devminor0'
	cat "$T/www/r.txt") | sha256sum | cut -d' ' -f1)
b image history --no-trunc --format '{{.CreatedBy}}' "$id" |
	grep -qxF "/bin/sh -c #(nop) ADD file:$h in /named.txt " || fail "ADD <url> history: $(
	b image history --no-trunc --format '{{.CreatedBy}}' "$id")"

say "errors"
printf 'FROM busybox\nADD --checksum=sha256:%064d %s /x\n' 0 "$url" >"$T/ctx/Dockerfile"
expect_code 1 b image build "$T/ctx"
grep -q "checksum mismatch" "$T/err" || fail "wrong checksum: $(cat "$T/err")"
printf 'FROM busybox\nADD http://127.0.0.1:%s/missing.txt /x\n' "$port" >"$T/ctx/Dockerfile"
expect_code 1 b image build "$T/ctx"
grep -q "404" "$T/err" || fail "404: $(cat "$T/err")"
no_build_leftovers
say "ok"
