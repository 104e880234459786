#!/usr/bin/env bash
# End-to-end checks of the declarative CLI (apply, diff, get, delete, export) against real dev
# hubs over the admin API: idempotence, diffs and their exit codes, errors at file:line with
# nothing written, references, export round trip to a second hub, tokens and roles.
# Usage: config_cli_test.sh /path/to/tessera /path/to/source-tree
set -uo pipefail
TESSERA=$1
SRC=$2
work=$(mktemp -d /tmp/tessera-config-cli-XXXXXX)
# Each hub's pid goes to DATA_DIR.pid: start_hub runs in a command substitution (a subshell),
# so an array it appended to would be lost and the hubs would outlive the test.
cleanup() {
  local f p
  for f in "$work"/*.pid; do
    [ -f "$f" ] || continue
    p=$(cat "$f")
    kill "$p" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null
  done
  rm -rf "$work"
}
trap cleanup EXIT
# shellcheck source=check.sh
source "$(dirname "$0")/check.sh"
lacks() { ! grep -qF -- "$2" <<<"$1"; }
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
start_hub() {  # start_hub DATA_DIR -> prints the URL
  local port
  port=$(free_port)
  "$TESSERA" dev --data-dir "$1" --listen "127.0.0.1:$port" >"$1.out" 2>&1 &
  echo $! >"$1.pid"
  for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && [ -s "$1/admin-token" ] && break
    sleep 0.1
  done
  echo "http://127.0.0.1:$port"
}
# run OUTVAR CODEVAR ARGS...: runs tessera, stdout+stderr into OUTVAR, exit code into CODEVAR.
run() {
  local -n out_=$1 code_=$2
  shift 2
  out_=$("$TESSERA" "$@" 2>&1)
  code_=$?
}

# Isolate from the user's own CLI configuration.
export HOME="$work/home" XDG_CONFIG_HOME="$work/xdg"
mkdir -p "$HOME" "$XDG_CONFIG_HOME"
unset TESSERA_HUB TESSERA_TOKEN

hubA=$(start_hub "$work/a")
check "hub A is ready" curl -sf "$hubA/readyz" -o /dev/null
export TESSERA_HUB=$hubA
TESSERA_TOKEN=$(cat "$work/a/admin-token")
export TESSERA_TOKEN

# --- apply: all six kinds in one multi-document file --------------------------------------------
cat >"$work/all.yaml" <<'YAML'
apiVersion: tessera.dev/v1
kind: ClientWorkload
metadata:
  name: cw-a
  labels: {team: payments}
spec:
  match: {attribute: k8s.namespace, equals: payments}
---
kind: ServerWorkload
metadata:
  name: sw-a
  labels: {team: payments}
spec:
  host: api.example.com
  port: 443
  protocol: http
  authentication:
    method: bearer
---
kind: TrustProvider
metadata: {name: tp-a}
spec:
  type: kubernetes
  issuer: https://k8s.example.com
  audiences: [tessera]
---
kind: AccessCondition
metadata: {name: ac-a}
spec:
  type: network
  allow: [10.0.0.0/8]
---
kind: CredentialProvider
metadata: {name: cp-a}
spec:
  type: aws-sts
  roleArn: arn:aws:iam::123456789012:role/app
---
kind: AccessPolicy
metadata: {name: pol-a}
spec:
  clientWorkloads: [cw-a]
  trustProviders: {match: any, names: [tp-a]}
  accessConditions: [ac-a]
  credentialProvider: cp-a
  serverWorkload: sw-a
---
YAML
run out code apply -f "$work/all.yaml"
check "apply six kinds exits 0" test "$code" -eq 0
check "apply prints a created line per object" test "$(grep -c ' created$' <<<"$out")" -eq 6
for id in clientworkload/cw-a serverworkload/sw-a trustprovider/tp-a accesscondition/ac-a \
  credentialprovider/cp-a accesspolicy/pol-a; do
  check "apply: $id created" contains "$out" "$id created"
done
check "apply prints a summary" contains "$out" "6 objects: 6 created, 0 updated, 0 unchanged"

run out code apply -f "$work/all.yaml"
check "apply again: exit 0" test "$code" -eq 0
check "apply again: everything unchanged (idempotent)" test "$(grep -c ' unchanged$' <<<"$out")" -eq 6
run out code apply -f - <"$work/all.yaml"
check "apply from stdin" contains "$out" "6 objects: 0 created, 0 updated, 6 unchanged"

# --- diff -----------------------------------------------------------------------------------------
run out code diff -f "$work/all.yaml"
check "diff without changes exits 0" test "$code" -eq 0
check "diff without changes prints nothing" test -z "$out"
sed 's/port: 443/port: 8443/' "$work/all.yaml" >"$work/changed.yaml"
run out code diff -f "$work/changed.yaml"
check "diff with a change exits 1" test "$code" -eq 1
check "diff names the object" contains "$out" "+++ serverworkload/sw-a (updated)"
check "diff shows the old line" contains "$out" "-  port: 443"
check "diff shows the new line" contains "$out" "+  port: 8443"
check "diff shows only changed objects" lacks "$out" "clientworkload/cw-a"
run out code get serverworkload sw-a -o yaml
check "diff wrote nothing" contains "$out" "port: 443"
run out code apply -f "$work/changed.yaml"
check "apply the change: updated" contains "$out" "serverworkload/sw-a updated"
check "apply the change: others unchanged" contains "$out" "1 updated, 5 unchanged"

# --- get ------------------------------------------------------------------------------------------
run out code get serverworkloads
check "get table exits 0" test "$code" -eq 0
check "get table has a header" bash -c "grep -q '^NAME *HOST:PORT *LABELS *VERSION *UPDATED' <<<'$out'"
check "get table row" bash -c "grep -q '^sw-a *api.example.com:8443 *team=payments *2 ' <<<'$out'"
run out code get trust-provider
check "get table shows TYPE of typed kinds" bash -c "grep -q '^tp-a *kubernetes ' <<<'$out'"
run out code get ServerWorkload sw-a -o yaml
check "get -o yaml shows the spec" contains "$out" "  port: 8443"
check "get -o yaml shows server fields" contains "$out" "  version: 2"
check "get -o yaml starts with apiVersion" test "$(head -1 <<<"$out")" = "apiVersion: tessera.dev/v1"
run out code get accesspolicies -o json
check "get -o json lists items" test "$(python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["metadata"]["name"])' <<<"$out")" = pol-a
run out code get gizmos
check "get of an unknown kind fails" test "$code" -eq 1
check "get of an unknown kind lists the kinds" contains "$out" "unknown kind 'gizmos'; known: clientWorkloads"
run out code get serverworkload nope
check "get of a missing object fails naming it" contains "$out" "ServerWorkload/nope does not exist"

# --- the example configuration, as a directory ------------------------------------------------------
run out code apply -f "$SRC/examples/config"
check "examples/config applies" test "$code" -eq 0
check "examples/config: 13 objects created" contains "$out" "13 objects: 13 created"
run out code get clientworkloads -l team=payments
check "get -l selects by label" bash -c "grep -q '^invoice-worker ' <<<'$out' && grep -q '^cw-a ' <<<'$out'"
check "get -l leaves others out" lacks "$out" "release-pipeline"
run out code get clientworkloads -l 'team!=payments' -o yaml
check "get -l with != " bash -c "grep -q 'name: release-pipeline' <<<'$out' && ! grep -q 'name: cw-a' <<<'$out'"
run out code get credentialproviders datadog-api-key -o json
check "write-only secrets are never returned" lacks "$out" "REPLACE_WITH"

# --- errors: all or nothing, at file:line ---------------------------------------------------------
cat >"$work/bad.yaml" <<'YAML'
kind: ClientWorkload
metadata: {name: good-one}
spec:
  match: {attribute: k8s.namespace, equals: ok}
---
kind: ServerWorkload
metadata:
  name: bad-port
spec:
  host: db.example.com
  port: 99999
  protocol: http
  authentication: {method: none}
---
kind: ClientWorkload
metadata: {name: good-two}
spec:
  match: {attribute: k8s.namespace, equals: ok}
YAML
run out code apply -f "$work/all.yaml" -f "$work/bad.yaml"
check "one bad object: exit 1" test "$code" -eq 1
check "one bad object: file:line and field" contains "$out" "bad.yaml:11: spec.port: must be"
check "one bad object: says nothing changed" contains "$out" "nothing was changed"
run out code get clientworkloads
check "one bad object: nothing was written" bash -c "! grep -q 'good-one\|good-two' <<<'$out'"
run out code diff -f "$work/bad.yaml"
check "diff of an invalid file exits 2" test "$code" -eq 2

cat >"$work/dangling.yaml" <<'YAML'
kind: ClientWorkload
metadata: {name: lonely}
spec:
  match: {attribute: k8s.namespace, equals: lonely}
---
kind: AccessPolicy
metadata: {name: dangling}
spec:
  clientWorkloads: [lonely]
  trustProviders: {match: any, names: [tp-a]}
  credentialProvider: cp-a
  serverWorkload: no-such-server
YAML
run out code apply -f "$work/dangling.yaml"
check "dangling reference: exit 1" test "$code" -eq 1
check "dangling reference: named at file:line" contains "$out" "dangling.yaml:12: spec.serverWorkload"
check "dangling reference: names the missing object" contains "$out" "no-such-server"
run out code get clientworkloads
check "dangling reference: nothing was written" lacks "$out" "lonely"

printf 'kind: ClientWorkload\nmetadata: {name: x\nspec: {}\n' >"$work/malformed.yaml"
run out code apply -f "$work/malformed.yaml"
check "malformed YAML: exit 1" test "$code" -eq 1
check "malformed YAML: file:line" bash -c "grep -q 'malformed.yaml:[0-9]*: not valid YAML' <<<'$out'"
printf 'kind: ClientWorkload\nmetadata:\n  name: x\n  name: y\nspec: {}\n' >"$work/dupkey.yaml"
run out code apply -f "$work/dupkey.yaml"
check "duplicate key: file:line" contains "$out" "dupkey.yaml:4: metadata.name: duplicate key 'name'"

printf 'kind: ClientWorkload\nmetadata: {name: fine}\nspec: {match: {attribute: a, equals: b}}\n---\nkind: Gizmo\nmetadata: {name: g}\nspec: {}\n' >"$work/unknown.yaml"
run out code apply -f "$work/unknown.yaml"
check "unknown kind: exit 1" test "$code" -eq 1
check "unknown kind: file:line and field" contains "$out" "unknown.yaml:5: kind:"

printf 'kind: ClientWorkload\nmetadata: {name: twin}\nspec: {match: {attribute: a, equals: b}}\n' >"$work/dup1.yaml"
printf '# the same object again\nkind: ClientWorkload\nmetadata: {name: twin}\nspec: {match: {attribute: a, equals: c}}\n' >"$work/dup2.yaml"
run out code apply -f "$work/dup1.yaml" -f "$work/dup2.yaml"
check "duplicate names across files: exit 1" test "$code" -eq 1
check "duplicate names across files: both places named" contains "$out" "dup2.yaml:3: metadata.name: ClientWorkload/twin is already given at $work/dup1.yaml:1"
run out code get clientworkloads
check "duplicate names: nothing was written" lacks "$out" "twin"

# --- delete -----------------------------------------------------------------------------------------
run out code delete serverworkload s3-invoices
check "delete of a referenced object: exit 1" test "$code" -eq 1
check "delete of a referenced object names the policy" contains "$out" "AccessPolicy/invoice-worker-to-s3"
run out code delete access-policy invoice-worker-to-s3
check "delete the policy" contains "$out" "accesspolicy/invoice-worker-to-s3 deleted"
run out code delete serverworkloads s3-invoices
check "then delete the server workload" contains "$out" "serverworkload/s3-invoices deleted"
run out code delete serverworkloads s3-invoices
check "delete of a missing object fails" bash -c "[ $code -eq 1 ] && grep -q 'does not exist' <<<'$out'"

# --- export round trip to a second hub ----------------------------------------------------------------
"$TESSERA" export >"$work/export-a.yaml" 2>"$work/export.err"
check "export exits 0" test $? -eq 0
check "export has no server-managed fields" bash -c "! grep -q 'version:\|createdAt:\|updatedAt:' '$work/export-a.yaml'"
check "export has no secrets" bash -c "! grep -q REPLACE_WITH '$work/export-a.yaml'"
check "export lists referenced kinds first" test "$(grep -m1 '^kind:' "$work/export-a.yaml")" = "kind: ClientWorkload"
hubB=$(start_hub "$work/b")
tokenB=$(cat "$work/b/admin-token")
# Write-only secrets are not exported: provision them first, as a pipeline would from its vault.
run out code apply --hub "$hubB" --token-file "$work/b/admin-token" -f "$SRC/examples/config/40-credential-providers.yaml"
check "hub B: secrets provisioned" test "$code" -eq 0
TESSERA_TOKEN=$tokenB run out code apply --hub "$hubB" -f "$work/export-a.yaml"
check "export applies to a fresh hub" test "$code" -eq 0
TESSERA_TOKEN=$tokenB TESSERA_HUB=$hubB "$TESSERA" export >"$work/export-b.yaml"
check "export round trip is byte-identical" cmp -s "$work/export-a.yaml" "$work/export-b.yaml"
"$TESSERA" export -o json >"$work/export-a.json"
TESSERA_TOKEN=$tokenB run out code diff --hub "$hubB" -f "$work/export-a.json"
check "export -o json applies back: no diff" test "$code" -eq 0

# --- hub and token resolution, 401, 403 ----------------------------------------------------------------
out=$(env -u TESSERA_TOKEN "$TESSERA" get serverworkloads 2>&1)
code=$?
check "no token: exit 1" test "$code" -eq 1
check "no token: says how to get one" contains "$out" "No admin token was given: set TESSERA_TOKEN"
out=$(TESSERA_TOKEN=tsa_0000000000000000_bogus "$TESSERA" get serverworkloads 2>&1)
check "bad token: refused" contains "$out" "[unauthenticated]"
check "bad token: never printed" lacks "$out" "bogus"
run out code get serverworkloads --hub http://127.0.0.1:1
check "unreachable hub: named" contains "$out" "cannot reach the hub at http://127.0.0.1:1"
run out code get serverworkloads --hub http://hub.example.com
check "plain http to a remote hub: refused before sending the token" contains "$out" "plain http is allowed only on loopback"
auditor=$("$TESSERA" admin token create --data-dir "$work/a" --role auditor 2>/dev/null)
out=$(TESSERA_TOKEN=$auditor "$TESSERA" get serverworkloads 2>&1)
check "auditor can get" contains "$out" "sw-a"
out=$(TESSERA_TOKEN=$auditor "$TESSERA" apply -f "$work/all.yaml" 2>&1)
code=$?
check "auditor cannot apply: exit 1" test "$code" -eq 1
check "auditor cannot apply: names the role" contains "$out" "role auditor may not change configuration"
check "auditor cannot apply: says which role is needed" contains "$out" "editor or admin"
check "tokens are never printed" bash -c "! grep -qF -- '${auditor:21}' <<<'$out'"
mkdir -p "$XDG_CONFIG_HOME/tessera"
printf 'hub: %s\ntokenFile: %s\n' "$hubB" "$work/b/admin-token" >"$XDG_CONFIG_HOME/tessera/cli.yaml"
out=$(env -u TESSERA_TOKEN -u TESSERA_HUB "$TESSERA" get accesspolicies 2>&1)
check "cli.yaml gives hub and token" bash -c "grep -q '^release-to-datadog ' <<<'$out' && ! grep -q 'invoice-worker-to-s3' <<<'$out'"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
