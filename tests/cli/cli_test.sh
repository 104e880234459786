#!/usr/bin/env bash
# End-to-end checks of the tessera CLI as an operator uses it: configuration errors, `tessera dev`
# (what `make dev` runs), token sign/verify/inspect against the running dev hub, key rotation,
# exit codes and graceful shutdown. Usage: cli_test.sh /path/to/tessera
set -uo pipefail
TESSERA=$1
work=$(mktemp -d /tmp/tessera-cli-XXXXXX)
hub_pid=""
cleanup() {
  [ -n "$hub_pid" ] && kill "$hub_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
# shellcheck source=check.sh
source "$(dirname "$0")/check.sh"

# A bad configuration is refused at start with file, line and field.
cat >"$work/bad.yaml" <<'YAML'
issuer: https://hub.example.com
store: {sqlite: {path: hub.db}}
keyEncryptionKey: {env: TESSERA_TEST_KEK}
keys:
  rotationPeriod: monthly
YAML
out=$("$TESSERA" hub --config "$work/bad.yaml" 2>&1)
code=$?
check "hub refuses a bad config with exit 1" test "$code" -eq 1
check "config error names file, line and field" contains "$out" "bad.yaml:5: keys.rotationPeriod: 'monthly' is not a duration"
out=$("$TESSERA" hub --config "$work/missing.yaml" 2>&1)
check "missing config file is named" contains "$out" "missing.yaml: cannot read configuration"

# Development mode refuses non-loopback addresses.
out=$("$TESSERA" dev --data-dir "$work/dev" --listen 0.0.0.0:8080 2>&1)
check "dev refuses 0.0.0.0" contains "$out" "loopback only"

# Start a dev hub on a free port.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
url="http://127.0.0.1:$port"
"$TESSERA" dev --data-dir "$work/dev" --listen "127.0.0.1:$port" >"$work/dev.out" 2>&1 &
hub_pid=$!
for _ in $(seq 50); do
  curl -sf "$url/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done
check "dev hub becomes ready" curl -sf "$url/readyz" -o /dev/null
check "dev banner prints the JWKS URL" grep -qF "JWKS        $url/jwks" "$work/dev.out"
check "dev warns about the development KEK" grep -q "DEVELOPMENT MODE" "$work/dev.out"
check "dev KEK is private" test "$(stat -c %a "$work/dev/dev-kek")" = 600

token=$("$TESSERA" token sign --data-dir "$work/dev" --sub demo --aud sts.amazonaws.com --claim team=payments)
out=$("$TESSERA" token verify --jwks "$url/jwks" --issuer "$url" --audience sts.amazonaws.com - <<<"$token" 2>&1)
check "token signed by the dev hub verifies via its JWKS URL" contains "$out" "VERIFIED"
check "verified claims are printed" contains "$out" '"team": "payments"'
out=$("$TESSERA" token verify --jwks "$url/jwks" --issuer "$url" --audience someone-else "$token" 2>&1)
code=$?
check "wrong audience exits 1" test "$code" -eq 1
check "wrong audience is explained" contains "$out" "token_audience_mismatch"
check "rejection never echoes the token" bash -c "! grep -qF -- '$token' <<<'$out'"
out=$("$TESSERA" token inspect "$token" 2>&1)
check "inspect warns that nothing is verified" contains "$out" "NOT VERIFIED"
out=$("$TESSERA" token sign --data-dir "$work/dev" --sub demo --aud x --ttl 13h 2>&1)
check "tokens outliving the key policy are refused" contains "$out" "keys.maxTokenLifetime"

out=$("$TESSERA" keys rotate --data-dir "$work/dev" 2>&1)
check "keys rotate schedules the next keys" contains "$out" "RS256: next key signs from"
sleep 1.5
check "the running hub publishes the next keys" test "$(curl -s "$url/jwks" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["keys"]))')" = 4
out=$("$TESSERA" keys list --data-dir "$work/dev" 2>&1)
check "keys list shows next and current keys" bash -c "grep -q ' next ' <<<'$out' && grep -q ' current ' <<<'$out'"

# Admin tokens: dev creates one on first start; operators create, list and revoke more.
check "dev wrote an admin token, mode 0600" test "$(stat -c %a "$work/dev/admin-token")" = 600
check "dev banner prints the new admin token" grep -qF "Admin token $(cat "$work/dev/admin-token")" "$work/dev.out"
created=$("$TESSERA" admin token create --data-dir "$work/dev" --role auditor --description nightly 2>/dev/null)
check "admin token create prints a tsa_ token" bash -c "[[ '$created' =~ ^tsa_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$ ]]"
id=${created:4:16}
out=$("$TESSERA" admin token list --data-dir "$work/dev" 2>&1)
check "admin token list shows id, role and description" bash -c "grep -q '$id  auditor .* nightly' <<<'$out'"
check "admin token list never shows secrets" bash -c "! grep -qF -- '${created:21}' <<<'$out'"
out=$("$TESSERA" admin token create --data-dir "$work/dev" --role root 2>&1)
check "unknown role is refused" contains "$out" "not one of admin, editor, auditor, edge"
out=$("$TESSERA" admin token revoke --data-dir "$work/dev" "$id" 2>&1)
check "admin token revoke" contains "$out" "revoked $id"
out=$("$TESSERA" admin token revoke --data-dir "$work/dev" ffffffffffffffff 2>&1)
check "revoking an unknown token fails" contains "$out" "not_found"

kill -TERM "$hub_pid"
wait "$hub_pid"
code=$?
hub_pid=""
check "hub exits 0 on SIGTERM" test "$code" -eq 0

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
