# Reproducible builds: with SOURCE_DATE_EPOCH two builds (no cache, and in a second state
# root) give the same image ID; the layer mtimes are clamped.
. "$(dirname "$0")/lib.sh"
make_busybox_full

C="$T/ctx"
mkdir -p "$C/d"
echo a >"$C/d/a.txt"
echo b >"$C/d/b.txt"
cat >"$C/Dockerfile" <<'EOF'
FROM busybox
COPY d/ /d/
RUN echo built > /built.txt && mkdir -p /x/y && touch /x/y/z
ENV K=v
CMD ["cat", "/built.txt"]
EOF
export SOURCE_DATE_EPOCH=1700000000
id1=$(build --no-cache "$C") || fail "build 1: $(cat "$T/build.out")"
sleep 1
touch "$C/d/a.txt"
id2=$(build --no-cache "$C") || fail "build 2: $(cat "$T/build.out")"
[ "$id1" = "$id2" ] || fail "two builds differ: $id1 $id2"
b image inspect "$id1" | jq -e '.[0].Created == "2023-11-14T22:13:20Z"' >/dev/null ||
	fail "created is not the epoch: $(b image inspect "$id1" | jq '.[0].Created')"
unset SOURCE_DATE_EPOCH
id3=$(build --no-cache "$C") || fail "build 3"
[ "$id3" != "$id1" ] || fail "without SOURCE_DATE_EPOCH the image should carry the build time"
no_build_leftovers
say "ok"
