# registry auth: basic auth (htpasswd) and the bearer-token flow (a token issuer started
# here, trusted by the registry), login/logout writing docker's config.json (0600, base64
# user:pass), credentials read from ~/.docker/config.json, refused credentials.
. "$(dirname "$0")/lib.sh"
python3 -c 'import crypt' 2>/dev/null || skip "python3 has no crypt module (for bcrypt)"
python3 -c 'import cryptography' 2>/dev/null || skip "python3 has no cryptography package"
command -v openssl >/dev/null 2>&1 || skip "openssl is not installed"
make_busybox

# bcrypt the way htpasswd -B does (the registry accepts only bcrypt)
hash=$(python3 -W ignore -c 'import crypt; print(crypt.crypt("secret", crypt.mksalt(crypt.METHOD_BLOWFISH)))')
printf 'tester:%s\n' "$hash" >"$T/htpasswd"
start_registry basic "auth: {htpasswd: {realm: basic-realm, path: $T/htpasswd}}"
BASIC=$REG
cfg="$DOCKER_CONFIG/config.json"

say "basic: anonymous push and pull are refused"
b image tag busybox "$BASIC/bb:1"
expect_code 1 b image push "$BASIC/bb:1"
grep -q "401\|authentication required" "$T/err" || fail "anonymous push: $(cat "$T/err")"

say "basic: a wrong password is refused and not stored"
expect_code 1 sh -c "echo wrong | '$BERTH' --root '$ROOT' login -u tester --password-stdin $BASIC"
grep -q "incorrect username or password" "$T/err" || fail "wrong password: $(cat "$T/err")"
[ ! -f "$cfg" ] || ! grep -q "$BASIC" "$cfg" || fail "refused credentials were stored"

say "basic: login without a terminal and without --password-stdin is refused"
expect_code 1 sh -c "'$BERTH' --root '$ROOT' login -u tester $BASIC </dev/null"
grep -q "cannot perform an interactive login from a non TTY device" "$T/err" || fail "non-tty login: $(cat "$T/err")"

say "basic: login stores docker's config.json"
out=$(echo secret | b login -u tester --password-stdin "$BASIC") || fail "login failed"
[ "$out" = "Login Succeeded" ] || fail "login output: '$out'"
[ "$(stat -c %a "$cfg")" = 600 ] || fail "config.json mode $(stat -c %a "$cfg")"
auth64=$(printf 'tester:secret' | base64)
[ "$(jq -r ".auths[\"$BASIC\"].auth" "$cfg")" = "$auth64" ] || fail "config.json: $(cat "$cfg")"
jq -e '.auths' "$cfg" >/dev/null || fail "config.json is not JSON"

say "basic: push and pull with the stored credentials"
b image push "$BASIC/bb:1" >/dev/null 2>"$T/err" || fail "push: $(cat "$T/err")"
b image rm "$BASIC/bb:1" >/dev/null
b image pull -q "$BASIC/bb:1" >/dev/null 2>"$T/err" || fail "pull: $(cat "$T/err")"

say "basic: logout removes the entry (other keys stay)"
jq '. + {"detachKeys": "ctrl-x"}' "$cfg" >"$T/cfg" && cp "$T/cfg" "$cfg"
out=$(b logout "$BASIC")
[ "$out" = "Removing login credentials for $BASIC" ] || fail "logout output: '$out'"
[ "$(jq -r ".auths[\"$BASIC\"]" "$cfg")" = null ] || fail "logout left: $(cat "$cfg")"
[ "$(jq -r .detachKeys "$cfg")" = ctrl-x ] || fail "logout lost other keys: $(cat "$cfg")"
out=$(b logout "$BASIC")
[ "$out" = "Not logged in to $BASIC" ] || fail "second logout: '$out'"
expect_code 1 b image pull "$BASIC/bb:1"

say "credentials from ~/.docker/config.json written by docker (a URL key)"
mkdir -p "$T/home/.docker"
printf '{"auths":{"http://%s/v2/":{"auth":"%s"}}}\n' "$BASIC" "$auth64" >"$T/home/.docker/config.json"
(unset DOCKER_CONFIG; HOME="$T/home" b image pull -q "$BASIC/bb:1" >/dev/null 2>"$T/err") ||
	fail "pull with ~/.docker/config.json: $(cat "$T/err") $(cat "$T/home/.docker/config.json")"

say "token: a registry that trusts a token issuer"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" -days 2 \
	-subj /CN=berth-test-issuer >/dev/null 2>&1 || fail "openssl req"
tport=$(free_port)
bg python3 "$(dirname "$0")/token_server.py" --key "$T/key.pem" --cert "$T/cert.pem" \
	--port "$tport" --user tester --password secret 2>"$T/token.log"
wait_for 10 curl -s -o /dev/null "http://127.0.0.1:$tport/token" || fail "token server did not start"
start_registry token "auth: {token: {realm: \"http://127.0.0.1:$tport/token\", service: test-registry, issuer: test-issuer, rootcertbundle: $T/cert.pem}}"
TOK=$REG
curl -si "http://$TOK/v2/" | grep -qi '^www-authenticate: Bearer' || fail "the registry does not ask for tokens"

say "token: anonymous gets pull only, so a push is denied"
b image tag busybox "$TOK/team/bb:1"
expect_code 1 b image push "$TOK/team/bb:1"
grep -qi "denied\|401\|403\|unauthorized\|authentication required" "$T/err" || fail "anonymous push: $(cat "$T/err")"

say "token: wrong password refused; right one accepted"
expect_code 1 sh -c "echo nope | '$BERTH' --root '$ROOT' login -u tester --password-stdin $TOK"
grep -q "incorrect username or password" "$T/err" || fail "token wrong password: $(cat "$T/err")"
out=$(b login -u tester -p secret "$TOK" 2>"$T/err") || fail "token login: $(cat "$T/err")"
[ "$out" = "Login Succeeded" ] || fail "token login output: '$out'"
grep -q "insecure" "$T/err" || fail "no warning for --password"

say "token: push and pull with tokens (scope pull,push; anonymous pull after logout)"
b image push "$TOK/team/bb:1" >/dev/null 2>"$T/err" || fail "token push: $(cat "$T/err")"
grep -q "sub='tester'.*team/bb.*push" "$T/token.log" || fail "no push token issued: $(cat "$T/token.log")"
b logout "$TOK" >/dev/null
b image rm "$TOK/team/bb:1" >/dev/null
b image pull -q "$TOK/team/bb:1" >/dev/null 2>"$T/err" || fail "anonymous token pull: $(cat "$T/err")"
out=$(b container run --rm "$TOK/team/bb:1" echo token-ok)
[ "$out" = token-ok ] || fail "run: '$out'"
say "ok"
