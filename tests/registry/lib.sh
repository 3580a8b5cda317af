# Shared helpers for the registry system tests (sourced, POSIX sh), on top of
# tests/container/lib.sh ($T, $ROOT, b, fail, skip, say, expect_code, wait_for, make_busybox).
#
# start_registry NAME [AUTH_YAML]: run Debian's docker-registry on 127.0.0.1:<free port> with
# filesystem storage under $T/NAME; sets REG (host:port) and REGDATA. Every server a test
# starts is recorded in $T/pids and killed by PID on exit (also on failure).

. "$(dirname "$0")/../container/lib.sh"

command -v docker-registry >/dev/null 2>&1 || skip "docker-registry is not installed"
command -v curl >/dev/null 2>&1 || skip "curl is not installed"
command -v python3 >/dev/null 2>&1 || skip "python3 is not installed"

# docker's config dir stays inside $T so the user's ~/.docker is never touched
export DOCKER_CONFIG="$T/docker"
unset BERTH_INSECURE_REGISTRIES

reg_cleanup() {
	rc=$?
	set +e
	if [ -f "$T/pids" ]; then
		while read -r pid; do kill "$pid" 2>/dev/null; done <"$T/pids"
		while read -r pid; do
			n=50
			while kill -0 "$pid" 2>/dev/null && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
			kill -9 "$pid" 2>/dev/null
		done <"$T/pids"
	fi
	(exit $rc)
	cleanup
}
trap reg_cleanup EXIT

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# bg CMD...: start a server in the background, remember its PID
bg() {
	"$@" &
	echo $! >>"$T/pids"
}

start_registry() {
	name=$1
	port=$(free_port)
	REGDATA="$T/$name/data"
	mkdir -p "$REGDATA"
	{
		echo "version: 0.1"
		echo "log: {level: info, accesslog: {disabled: false}}"
		echo "storage:"
		echo "  filesystem: {rootdirectory: $REGDATA}"
		echo "  delete: {enabled: true}"
		echo "http: {addr: 127.0.0.1:$port}"
		[ $# -lt 2 ] || printf '%s\n' "$2"
	} >"$T/$name/config.yml"
	bg docker-registry serve "$T/$name/config.yml" >"$T/$name/log" 2>&1
	REG="127.0.0.1:$port"
	wait_for 10 curl -s -o /dev/null "http://$REG/v2/" || fail "registry $name did not start: $(cat "$T/$name/log")"
}

# blob_file DIGEST: where the registry keeps a blob on disk
blob_file() {
	hex=${1#sha256:}
	echo "$REGDATA/docker/registry/v2/blobs/sha256/$(echo "$hex" | cut -c1-2)/$hex/data"
}

# image_json REF KEY: a string value from `image inspect` (first match)
image_json() {
	b image inspect "$1" | sed -n "s/^ *\"$2\": \"\([^\"]*\)\".*/\1/p" | head -n 1
}
