#!/bin/sh
# Several berth processes import, load, tag, remove and prune in one store at the same time, in
# a loop. Afterwards every image that should exist does, none that was removed does, and
# `system check` finds every blob and layer intact: no corruption, no lost images.
. "$(dirname "$0")/image_lib.sh"
need_root
busybox_rootfs "$T/rootfs.tar"
N=${BERTH_CONCURRENCY_ROUNDS:-25}
b image import "$T/rootfs.tar" seed/base:1 >/dev/null
b image save -o "$T/seed.tar" seed/base:1

worker() { # ID: import (a shared layer), tag, remove every other one
	i=0
	while [ $i -lt "$N" ]; do
		b image import -c "ENV WORKER=$1 ROUND=$i" "$T/rootfs.tar" "w$1/img:$i" >/dev/null ||
			{ echo "worker $1 import $i failed" >&2; return 1; }
		b image tag "w$1/img:$i" "w$1/alias:$i" || { echo "worker $1 tag $i failed" >&2; return 1; }
		if [ $((i % 2)) = 1 ]; then
			b image rm "w$1/img:$i" "w$1/alias:$i" >/dev/null ||
				{ echo "worker $1 rm $i failed" >&2; return 1; }
		fi
		i=$((i + 1))
	done
}

loader() { # load the same archive over and over, retagging it
	i=0
	while [ $i -lt "$N" ]; do
		b image load -i "$T/seed.tar" >/dev/null || { echo "load $i failed" >&2; return 1; }
		b image tag seed/base:1 "loaded/img:$i" || { echo "tag $i failed" >&2; return 1; }
		i=$((i + 1))
	done
}

pruner() { # dangling prunes and garbage collection while the others work
	while [ ! -f "$T/stop" ]; do
		b image import "$T/rootfs.tar" >/dev/null || { echo "untagged import failed" >&2; return 1; }
		b image prune -f >/dev/null || { echo "prune failed" >&2; return 1; }
		b system df >/dev/null || { echo "df failed" >&2; return 1; }
	done
}

say "3 importers, a loader and a pruner, $N rounds each"
pids=""
for w in 1 2 3; do
	worker $w >"$T/w$w.log" 2>&1 &
	pids="$pids $!"
done
loader >"$T/loader.log" 2>&1 &
pids="$pids $!"
pruner >"$T/pruner.log" 2>&1 &
pruner_pid=$!
failed=0
for p in $pids; do wait "$p" || failed=1; done
touch "$T/stop"
wait "$pruner_pid" || failed=1
if [ $failed = 1 ]; then
	cat "$T"/*.log >&2
	fail "a concurrent berth command failed"
fi

say "every kept image is there, every removed one is gone"
b image ls --format '{{.Repository}}:{{.Tag}}' | sort >"$T/names"
for w in 1 2 3; do
	i=0
	while [ $i -lt "$N" ]; do
		if [ $((i % 2)) = 0 ]; then
			grep -qx "w$w/img:$i" "$T/names" || fail "lost w$w/img:$i"
			grep -qx "w$w/alias:$i" "$T/names" || fail "lost w$w/alias:$i"
		else
			grep -qx "w$w/img:$i" "$T/names" && fail "w$w/img:$i survived its rm"
		fi
		i=$((i + 1))
	done
done
expect_eq "loaded tags" "$(grep -c '^loaded/img:' "$T/names")" "$N"
b system check >"$T/check" 2>&1 || fail "store corrupted: $(cat "$T/check")"
b image prune -f >/dev/null
expect_eq "no dangling images left" "$(b image ls -q --filter dangling=true | wc -l)" 0
expect_eq "ingest area empty after GC" "$(ls "$ROOT/store/ingest" | wc -l)" 0
echo "PASS"
