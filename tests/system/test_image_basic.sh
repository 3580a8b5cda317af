#!/bin/sh
# berth image import / ls / inspect / history / tag / rm / save / load / prune, system df and
# system check, against their docker-compatible outputs; a hostile tarball leaves the host alone.
. "$(dirname "$0")/image_lib.sh"
need_root
busybox_rootfs "$T/rootfs.tar"

say "import from a file and from stdin (compressed), with --change"
id1=$(b image import "$T/rootfs.tar" busybox:local)
case "$id1" in sha256:????????????????????????????????????????????????????????????????) ;;
*) fail "import printed '$id1', want the image ID" ;; esac
gzip -c "$T/rootfs.tar" >"$T/rootfs.tar.gz"
id2=$(b image import -c 'CMD ["sh", "-c", "echo hi"]' -c 'ENV A=b C=d' -c 'EXPOSE 80' \
	-c 'WORKDIR /srv' -m 'made by test' - example.com/team/app:v1 <"$T/rootfs.tar.gz")
[ "$id1" != "$id2" ] || fail "different configs gave the same image ID"

say "the same rootfs gives the same diff ID whatever the compression"
l1=$(b image inspect -f '{{json .RootFS.Layers}}' busybox:local)
l2=$(b image inspect -f '{{json .RootFS.Layers}}' example.com/team/app:v1)
expect_eq "diff IDs" "$l1" "$l2"
want="[\"sha256:$(sha256sum <"$T/rootfs.tar" | cut -d' ' -f1)\"]"
expect_eq "diff ID is the sha256 of the uncompressed tar" "$l1" "$want"

say "inspect shows the config docker would"
expect_eq "Cmd" "$(b image inspect -f '{{json .Config.Cmd}}' example.com/team/app:v1)" \
	'["sh","-c","echo hi"]'
expect_eq "Env" "$(b image inspect -f '{{json .Config.Env}}' example.com/team/app:v1)" \
	'["A=b","C=d"]'
expect_eq "WorkingDir" "$(b image inspect -f '{{.Config.WorkingDir}}' example.com/team/app:v1)" /srv
expect_eq "Comment" "$(b image inspect -f '{{.Comment}}' example.com/team/app:v1)" 'made by test'
expect_eq "RepoTags" "$(b image inspect -f '{{json .RepoTags}}' busybox:local)" '["busybox:local"]'
b image inspect busybox:local | grep -q '^        "Id": "sha256:' || fail "inspect is not docker's indented JSON"
b image inspect nosuch >/dev/null 2>"$T/err" && fail "inspect of a missing image succeeded"
grep -q 'No such image: nosuch' "$T/err" || fail "wrong error: $(cat "$T/err")"

say "ls: columns, -q, --format json, filters"
b image ls >"$T/ls"
head -1 "$T/ls" | grep -q '^REPOSITORY  *TAG  *IMAGE ID  *CREATED  *SIZE$' || fail "ls header: $(head -1 "$T/ls")"
grep -q '^busybox  *local  *[0-9a-f]\{12\}  ' "$T/ls" || fail "ls row: $(cat "$T/ls")"
grep -q '^example.com/team/app  *v1 ' "$T/ls" || fail "ls row for a registry name"
expect_eq "ls -q lines" "$(b image ls -q | wc -l)" 2
b image ls --format json | head -1 | grep -q '"Repository":' || fail "ls --format json"
expect_eq "ls --format" "$(b image ls --format '{{.Repository}}:{{.Tag}}' busybox)" busybox:local
expect_eq "ls filter" "$(b image ls -q --filter 'reference=example.com/*/*')" "$(echo "$id2" | cut -c8-19)"

say "tag, rm by name keeps the image while another name points at it"
b image tag busybox:local mirror/busybox:1
b image tag "$(echo "$id1" | cut -c8-20)" busybox
expect_eq "ls names" "$(b image ls --format '{{.Repository}}:{{.Tag}}' | sort | tr '\n' ' ')" \
	"busybox:latest busybox:local example.com/team/app:v1 mirror/busybox:1 "
b image rm busybox:local >"$T/rm"
expect_eq "rm output" "$(cat "$T/rm")" "Untagged: busybox:local"
b image rm "$id1" >"$T/rm" 2>&1 && fail "rm by ID of an image with 2 names must need -f"
grep -q 'must be forced' "$T/rm" || fail "rm conflict message: $(cat "$T/rm")"

say "history"
b image history example.com/team/app:v1 >"$T/hist"
head -1 "$T/hist" | grep -q '^IMAGE  *CREATED  *CREATED BY  *SIZE  *COMMENT$' || fail "history header"
grep -q 'made by test$' "$T/hist" || fail "history comment: $(cat "$T/hist")"

say "save / load round trip (docker and OCI formats) into a second root"
b image save -o "$T/d.tar" mirror/busybox:1 example.com/team/app:v1
b image save --format oci -o "$T/o.tar" busybox
tar -tf "$T/d.tar" | grep -qx manifest.json || fail "docker archive without manifest.json"
tar -tf "$T/o.tar" | grep -qx index.json || fail "OCI archive without index.json"
ROOT2="$T/root2"
"$BERTH" --root "$ROOT2" image load -i "$T/d.tar" >"$T/load"
grep -qx 'Loaded image: mirror/busybox:1' "$T/load" || fail "load output: $(cat "$T/load")"
"$BERTH" --root "$ROOT2" image load <"$T/o.tar" | grep -qx 'Loaded image: busybox:latest' ||
	fail "load of an OCI archive from stdin"
expect_eq "same ID after the round trip" \
	"$("$BERTH" --root "$ROOT2" image inspect -f '{{.Id}}' example.com/team/app:v1)" "$id2"
"$BERTH" --root "$ROOT2" system check >/dev/null || fail "system check after load"

say "system df counts the shared layer once"
b system df >"$T/df"
head -1 "$T/df" | grep -q '^TYPE  *TOTAL  *ACTIVE  *SIZE  *RECLAIMABLE$' || fail "df header"
grep -q '^Images  *2  *0 ' "$T/df" || fail "df images row: $(cat "$T/df")"
b system df --format json | grep -q '"Type":"Images"' || fail "df json"

say "system check finds a corrupted blob"
blob=$(ls "$ROOT2/store/blobs/sha256" | head -1)
chmod u+w "$ROOT2/store/blobs/sha256/$blob"
printf 'x' >>"$ROOT2/store/blobs/sha256/$blob"
"$BERTH" --root "$ROOT2" system check >"$T/check" 2>&1 && fail "check missed a corrupted blob"
grep -q "$blob" "$T/check" || fail "check output: $(cat "$T/check")"

say "rm the last name deletes the image; prune removes dangling images"
b image rm -f "$id1" >"$T/rm"
grep -q "^Deleted: $id1" "$T/rm" || fail "rm -f output: $(cat "$T/rm")"
id3=$(b image import "$T/rootfs.tar")
b image ls --format '{{.Repository}}' | grep -qx '<none>' || fail "untagged image not listed"
b image prune -f >"$T/prune"
grep -q "^deleted: $id3" "$T/prune" || fail "prune output: $(cat "$T/prune")"
b image prune -a -f >/dev/null
expect_eq "images after prune -a" "$(b image ls -q | wc -l)" 0
expect_eq "blobs after prune -a" "$(ls "$ROOT/store/blobs/sha256" | wc -l)" 0
expect_eq "layers after prune -a" "$(ls "$ROOT/layers" | grep -v lock | wc -l)" 0

say "a hostile tarball is refused and the host is untouched"
echo sentinel >"$T/sentinel"
echo pwned >"$T/x"
(cd "$T" && tar -P --transform="s,^x,../../../../../../..$T/sentinel," -cf "$T/evil.tar" x)
b image import "$T/evil.tar" evil 2>"$T/err" && fail "import of a ../ entry succeeded"
grep -q 'escapes the layer root' "$T/err" || fail "hostile import error: $(cat "$T/err")"
expect_eq "sentinel" "$(cat "$T/sentinel")" sentinel
b system check >/dev/null || fail "store inconsistent after a refused import"
echo "PASS"
