#!/usr/bin/env python3
"""The admin API conforms to its own OpenAPI document.

Starts `tessera dev` on a free loopback port, fetches /v1/openapi.json, validates the document
(openapi-spec-validator), then exercises every operation (success and error cases) and validates
every response body against the schema documented for its status with openapi-schema-validator's
OAS30ReadValidator (so write-only secrets must be absent). Fails if a status is undocumented for
its operation, a body does not match, or an operation was never exercised.

Needs TESSERA_BIN (set by ctest) and the python3 with openapi-schema-validator.
"""

import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse

from openapi_schema_validator import OAS30ReadValidator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

try:
    from openapi_spec_validator import validate as validate_spec
except ImportError:  # pragma: no cover - structure checks below still run
    validate_spec = None

DOC_URI = "urn:tessera:openapi"
HTTP_METHODS = {"get", "put", "post", "delete", "patch"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Conformance:
    def __init__(self, port):
        self.port = port
        self.failures = []
        self.exercised = {}  # (METHOD, pattern) -> set of statuses
        self.spec = None
        self.registry = None
        self.routes = []  # (METHOD, pattern, regex, operation)

    # ---- the document ----

    def load(self, spec):
        self.spec = spec
        if validate_spec is not None:
            validate_spec(spec)
        else:
            assert spec["openapi"].startswith("3.0"), spec.get("openapi")
            assert "paths" in spec and "components" in spec
        resource = Resource.from_contents(spec, default_specification=DRAFT4)
        self.registry = Registry().with_resource(DOC_URI, resource)
        for pattern, item in spec["paths"].items():
            regex = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(pattern)) + "$"
            for method, op in item.items():
                if method in HTTP_METHODS:
                    self.routes.append((method.upper(), pattern, re.compile(regex), op))
                    self.exercised[(method.upper(), pattern)] = set()

    def operation(self, method, path):
        for m, pattern, regex, op in self.routes:
            if m == method and regex.match(path):
                return pattern, op
        return None, None

    @staticmethod
    def pointer(*parts):
        return "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in parts)

    def resolve(self, node):
        while "$ref" in node:
            ref = node["$ref"]
            assert ref.startswith("#/"), ref
            node = self.spec
            for part in ref[2:].split("/"):
                node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    # ---- requests ----

    def raw(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            res = conn.getresponse()
            return res.status, dict(res.getheaders()), res.read()
        finally:
            conn.close()

    def call(self, method, path, token=None, body=None, raw_body=None,
             content_type="application/json", headers=None, expect=None, check=True):
        hdrs = dict(headers or {})
        if token is not None:
            hdrs["Authorization"] = "Bearer " + token
        data = raw_body
        if body is not None:
            data = json.dumps(body).encode()
        if data is not None and content_type is not None:
            hdrs["Content-Type"] = content_type
        status, res_headers, payload = self.raw(method, path, data, hdrs)
        doc = json.loads(payload) if payload else None
        label = f"{method} {path}"
        if expect is not None and status != expect:
            self.fail(f"{label}: expected {expect}, got {status}: {payload[:500]!r}")
        if check:
            self.check_response(method, path, status, res_headers, payload, doc)
        return status, res_headers, doc

    def check_response(self, method, path, status, headers, payload, doc):
        label = f"{method} {path} -> {status}"
        pattern, op = self.operation(method, urllib.parse.urlsplit(path).path)
        if op is None:
            self.fail(f"{label}: no documented operation")
            return
        self.exercised[(method, pattern)].add(status)
        responses = op["responses"]
        if str(status) not in responses:
            self.fail(f"{label}: status {status} is not documented for {method} {pattern} "
                      f"(documented: {sorted(responses)})")
            return
        response = self.resolve(responses[str(status)])
        content = response.get("content")
        if not content:
            if payload:
                self.fail(f"{label}: documented without a body but has one: {payload[:200]!r}")
            return
        media = headers.get("Content-Type", "").split(";")[0].strip()
        if media not in content:
            self.fail(f"{label}: Content-Type {media!r} is not documented ({sorted(content)})")
            return
        # Validate through the document itself, so every $ref resolves as a client's would.
        where = responses[str(status)]
        if "$ref" in where:
            base = where["$ref"][1:] + "/content"
        else:
            base = "/" + self.pointer("paths", pattern, method.lower(), "responses", str(status),
                                      "content")
        schema_ref = {"$ref": DOC_URI + "#" + base + "/" + self.pointer(media, "schema")}
        validator = OAS30ReadValidator(schema_ref, registry=self.registry)
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
        for e in errors[:5]:
            self.fail(f"{label}: body does not match its schema at /"
                      f"{'/'.join(str(p) for p in e.absolute_path)}: {e.message}")
        for name, header in response.get("headers", {}).items():
            if name == "WWW-Authenticate" and name not in headers:
                self.fail(f"{label}: documented header {name} is missing")

    def fail(self, message):
        print("FAIL:", message, flush=True)
        self.failures.append(message)

    def require(self, condition, message):
        if not condition:
            self.fail(message)


# ---- fixtures ----

def doc(kind, name, spec, labels=None):
    meta = {"name": name}
    if labels:
        meta["labels"] = labels
    return {"apiVersion": "tessera.dev/v1", "kind": kind, "metadata": meta, "spec": spec}


FIXTURES = [
    ("clientWorkloads", doc("ClientWorkload", "web",
                            {"match": {"all": [{"attribute": "k8s.namespace", "equals": "web"},
                                               {"attribute": "sourceIp",
                                                "cidr": "10.0.0.0/8"}]}},
                            {"team": "payments"})),
    ("serverWorkloads", doc("ServerWorkload", "api",
                            {"host": "api.example.com", "port": 443, "protocol": "http",
                             "authentication": {"method": "header", "header": "X-Api-Key"}})),
    ("trustProviders", doc("TrustProvider", "cluster",
                           {"type": "oidc", "issuer": "https://issuer.example.com",
                            "audiences": ["tessera"]})),
    ("accessConditions", doc("AccessCondition", "office",
                             {"type": "network", "allow": ["10.0.0.0/8"],
                              "deny": ["10.9.0.0/16"]})),
    ("credentialProviders", doc("CredentialProvider", "api-key",
                                {"type": "static-secret", "secretType": "api-key",
                                 "value": "very-secret-value-123"})),
    ("accessPolicies", doc("AccessPolicy", "web-to-api",
                           {"clientWorkloads": ["web"],
                            "trustProviders": {"match": "any", "names": ["cluster"]},
                            "accessConditions": ["office"],
                            "credentialProvider": "api-key", "serverWorkload": "api"})),
]
SECRET = "very-secret-value-123"


def run(c, admin):
    # Tokens for the other roles, through the API.
    _, _, created = c.call("POST", "/v1/adminTokens", admin,
                           {"role": "auditor", "description": "conformance"}, expect=201)
    auditor = created["token"]
    _, _, created = c.call("POST", "/v1/adminTokens", admin, {"role": "editor"}, expect=201)
    editor, editor_id = created["token"], created["id"]

    # Create all six kinds, read each back.
    for collection, body in FIXTURES:
        status, headers, obj = c.call("POST", f"/v1/{collection}", editor, body, expect=201)
        c.require(headers.get("Location") == f"/v1/{collection}/{body['metadata']['name']}",
                  f"Location of {collection}: {headers.get('Location')}")
        c.require(headers.get("ETag") == '"1"', f"ETag of a new object: {headers.get('ETag')}")
        _, headers, obj = c.call("GET", f"/v1/{collection}/{body['metadata']['name']}", auditor,
                                 expect=200)
        c.require(SECRET not in json.dumps(obj), f"{collection}: secret returned")
    c.call("POST", "/v1/clientWorkloads", editor, FIXTURES[0][1], expect=409)
    c.call("GET", "/v1/clientWorkloads/nope", auditor, expect=404)

    # Pagination and label selectors.
    for i in range(5):
        c.call("POST", "/v1/clientWorkloads", editor,
               doc("ClientWorkload", f"page-{i}",
                   {"match": {"attribute": "k8s.namespace", "equals": f"p{i}"}},
                   {"page": "yes", "parity": str(i % 2)}), expect=201)
    names, token, pages = [], None, 0
    while True:
        q = "?limit=2" + (f"&pageToken={urllib.parse.quote(token)}" if token else "")
        _, _, page = c.call("GET", "/v1/clientWorkloads" + q, auditor, expect=200)
        names += [o["metadata"]["name"] for o in page["items"]]
        pages += 1
        token = page.get("nextPageToken")
        if not token or pages > 10:
            break
    c.require(names == sorted(names) and len(names) == 6 and len(set(names)) == 6,
              f"pagination: {names}")
    _, _, page = c.call("GET", "/v1/clientWorkloads?labelSelector=page,parity!=1", auditor,
                        expect=200)
    c.require([o["metadata"]["name"] for o in page["items"]] == ["page-0", "page-2", "page-4"],
              f"labelSelector: {page}")
    c.call("GET", "/v1/clientWorkloads?limit=0", auditor, expect=400)
    c.call("GET", "/v1/clientWorkloads?labelSelector=bad%20key", auditor, expect=400)
    c.call("GET", "/v1/clientWorkloads?pageToken=%25%25", auditor, expect=400)

    # Optimistic concurrency: If-Match, a stale one, a malformed one.
    _, headers, obj = c.call("GET", "/v1/credentialProviders/api-key", auditor, expect=200)
    etag = headers["ETag"]
    update = doc("CredentialProvider", "api-key",
                 {"type": "static-secret", "secretType": "api-key"}, {"rotated": "no"})
    _, headers, obj = c.call("PUT", "/v1/credentialProviders/api-key", editor, update,
                             headers={"If-Match": etag}, expect=200)
    c.require(headers.get("ETag") == '"2"', f"ETag after PUT: {headers.get('ETag')}")
    c.require(obj["metadata"]["version"] == 2 and SECRET not in json.dumps(obj),
              f"PUT response: {obj}")
    c.call("PUT", "/v1/credentialProviders/api-key", editor, update, headers={"If-Match": etag},
           expect=412)
    c.call("PUT", "/v1/credentialProviders/api-key", editor, update,
           headers={"If-Match": "yesterday"}, expect=400)
    c.call("PUT", "/v1/credentialProviders/nope", editor,
           doc("CredentialProvider", "nope", update["spec"]), expect=404)
    c.call("PUT", "/v1/credentialProviders/api-key", editor,
           doc("CredentialProvider", "other", update["spec"]), expect=400)
    for collection, body in FIXTURES:
        c.call("PUT", f"/v1/{collection}/{body['metadata']['name']}", editor, body, expect=200)

    # Deletes: referenced, stale, missing, fine.
    c.call("DELETE", "/v1/clientWorkloads/web", editor, expect=409)
    c.call("DELETE", "/v1/clientWorkloads/page-4", editor, headers={"If-Match": '"9"'},
           expect=412)
    c.call("DELETE", "/v1/clientWorkloads/page-4", editor, headers={"If-Match": '"1"'},
           expect=204)
    c.call("DELETE", "/v1/clientWorkloads/page-4", editor, expect=404)
    c.call("DELETE", "/v1/accessPolicies/web-to-api", editor, expect=204)
    c.call("POST", "/v1/accessPolicies", editor, FIXTURES[5][1], expect=201)

    # Apply: dry run, real, unknown field, stale version.
    changed = json.loads(json.dumps(FIXTURES[1][1]))
    changed["spec"]["port"] = 8443
    new = doc("ClientWorkload", "batch", {"match": {"attribute": "k8s.namespace",
                                                    "equals": "batch"}})
    objects = [FIXTURES[0][1], changed, new, FIXTURES[4][1]]
    _, _, plan = c.call("POST", "/v1/apply", editor, {"objects": objects, "dryRun": True},
                        expect=200)
    c.require(plan and plan["dryRun"] is True and
              [r["action"] for r in plan["results"]] == ["unchanged", "updated", "created",
                                                          "unchanged"],
              f"dry run: {plan}")
    c.require(SECRET not in json.dumps(plan), "dry run shows a secret")
    c.call("GET", "/v1/serverWorkloads/api", auditor, expect=200)
    _, _, applied = c.call("POST", "/v1/apply", editor, {"objects": objects}, expect=200)
    c.require(applied and applied["dryRun"] is False, f"apply: {applied}")
    _, _, body = c.call("POST", "/v1/apply", editor, {"objects": objects, "force": True},
                        expect=400)
    c.require(body and any(d["pointer"] == "/force" for d in body.get("details", [])),
              f"apply unknown field: {body}")
    stale = json.loads(json.dumps(changed))
    stale["metadata"]["version"] = 1
    c.call("POST", "/v1/apply", editor, {"objects": [stale]}, expect=412)
    bad = json.loads(json.dumps(new))
    bad["spec"]["match"] = {"attribute": "x"}
    _, _, body = c.call("POST", "/v1/apply", editor, {"objects": [FIXTURES[0][1], bad]},
                        expect=400)
    c.require(body and any(d["pointer"].startswith("/objects/1/spec")
                           for d in body.get("details", [])), f"apply pointer: {body}")

    # Export.
    _, _, exported = c.call("GET", "/v1/export", auditor, expect=200)
    c.require(exported and len(exported["objects"]) >= 6 and SECRET not in json.dumps(exported),
              "export")

    # Audit: pages, filters, bad parameters.
    _, _, events = c.call("GET", "/v1/audit?limit=3", auditor, expect=200)
    c.require(events and len(events["items"]) == 3 and "nextPageToken" in events,
              f"audit page: {events}")
    c.require(SECRET not in json.dumps(events), "audit shows a secret")
    c.call("GET", f"/v1/audit?limit=3&pageToken={events['nextPageToken']}", auditor, expect=200)
    c.call("GET", "/v1/audit?kind=AdminToken&since=2000-01-01T00:00:00Z"
                  "&until=2999-01-01T00:00:00Z", admin, expect=200)
    c.call("GET", "/v1/audit?kind=ClientWorkload", auditor, expect=200)
    c.call("GET", "/v1/audit?since=yesterday", auditor, expect=400)
    c.call("GET", "/v1/audit?kind=Nope", auditor, expect=400)
    c.call("GET", "/v1/audit?pageToken=x", auditor, expect=400)

    # The access API: explain for operators, decisions for edges.
    _, _, created = c.call("POST", "/v1/adminTokens", admin, {"role": "edge"}, expect=201)
    edge = created["token"]
    target = {"host": "nowhere.example.com", "port": 443, "protocol": "http"}
    _, _, decision = c.call("POST", "/v1/access/explain", auditor,
                            {"target": target, "context": {"sourceIp": "10.0.0.1"}}, expect=200)
    c.require(decision and decision["outcome"] == "unauthorized"
              and decision["reasonCode"] == "NoPolicy" and decision["trace"],
              f"explain of an unknown host: {decision}")
    _, _, decision = c.call("POST", "/v1/access", edge,
                            {"target": target, "evidence": {"tokens": ["a.b.c"]}}, expect=200)
    c.require(decision and "trace" not in decision, f"access answers without trace: {decision}")
    c.call("POST", "/v1/access", edge, {"target": {"host": "x", "port": 0}}, expect=400)
    c.call("POST", "/v1/access/explain", auditor, {"evidence": {"tokenz": []}}, expect=400)
    c.call("POST", "/v1/access", edge, raw_body=b"{}", content_type="text/plain", expect=415)
    too_large(c, edge, "POST", "/v1/access", size=300 << 10)
    c.call("POST", "/v1/access", auditor, {"target": target}, expect=403)
    _, _, routes = c.call("GET", "/v1/edge/routes", edge, expect=200)
    assert isinstance(routes["serverWorkloads"], list), routes
    c.call("GET", "/v1/edge/routes", auditor, expect=403)
    c.call("POST", "/v1/access/explain", edge, {"target": target}, expect=403)
    c.call("POST", "/v1/access/explain", None, {"target": target}, expect=401)
    c.call("POST", "/v1/access", None, {"target": target}, expect=401)
    _, _, page = c.call("GET", "/v1/events?limit=1", auditor, expect=200)
    for _ in range(50):  # events are written behind the decision
        if page and page["items"]:
            break
        time.sleep(0.1)
        _, _, page = c.call("GET", "/v1/events?limit=1", auditor, expect=200)
    c.require(page and page["items"] and page["items"][0]["reasonCode"] == "NoPolicy",
              f"the decision's event: {page}")
    context_id = page["items"][0]["contextId"]
    c.call("GET", f"/v1/events/{context_id}", admin, expect=200)
    c.call("GET", "/v1/events/nope", admin, expect=404)
    c.call("GET", "/v1/events?outcome=unauthorized&serverWorkload=x&since=2000-01-01T00:00:00Z",
           auditor, expect=200)
    c.call("GET", "/v1/events?outcome=maybe", auditor, expect=400)
    c.call("GET", "/v1/events?pageToken=zz", auditor, expect=400)
    c.call("GET", "/v1/events", edge, expect=403)

    # Admin tokens.
    _, _, tokens = c.call("GET", "/v1/adminTokens", admin, expect=200)
    c.require(tokens and all("token" not in t for t in tokens["items"]), "token list")
    c.call("DELETE", f"/v1/adminTokens/{editor_id}", admin, expect=204)
    c.call("GET", "/v1/adminTokens", admin, expect=200)
    c.call("DELETE", "/v1/adminTokens/ffffffffffffffff", admin, expect=404)
    c.call("GET", "/v1/export", editor, expect=401)
    c.call("POST", "/v1/adminTokens", admin, {"role": "root"}, expect=400)
    c.call("POST", "/v1/adminTokens", admin, {"role": "admin", "extra": 1}, expect=400)

    # Error cases.
    unknown = json.loads(json.dumps(FIXTURES[1][1]))
    unknown["metadata"]["name"] = "unknown-field"
    unknown["spec"]["colour"] = "blue"
    _, _, body = c.call("POST", "/v1/serverWorkloads", admin, unknown, expect=400)
    c.require(body and any(d["pointer"] == "/spec/colour" for d in body.get("details", [])),
              f"unknown field pointer: {body}")
    c.call("POST", "/v1/serverWorkloads", admin, raw_body=b'{"a": 1, "a": 2}', expect=400)
    c.call("POST", "/v1/serverWorkloads", admin, raw_body=b"{not json", expect=400)
    c.call("POST", "/v1/serverWorkloads", admin, raw_body=json.dumps(unknown).encode(),
           content_type="text/plain", expect=415)
    c.call("PUT", "/v1/serverWorkloads/api", admin, raw_body=b"x", content_type=None,
           expect=415)
    c.call("POST", "/v1/adminTokens", admin, raw_body=b"role=admin",
           content_type="application/x-www-form-urlencoded", expect=415)
    c.call("POST", "/v1/apply", admin, raw_body=b"{}", content_type="text/yaml", expect=415)
    too_large(c, admin, "POST", "/v1/clientWorkloads")
    too_large(c, admin, "PUT", "/v1/clientWorkloads/web")
    too_large(c, admin, "POST", "/v1/adminTokens")
    too_large(c, admin, "POST", "/v1/apply", size=65 << 20)
    for path in ["/v1/clientWorkloads", "/v1/audit", "/v1/adminTokens"]:
        _, headers, _ = c.call("GET", path, None, expect=401)
        c.require(headers.get("WWW-Authenticate", "").startswith("Bearer"),
                  f"{path}: WWW-Authenticate {headers.get('WWW-Authenticate')}")
    c.call("GET", "/v1/export", "tsa_malformed", expect=401)
    c.call("POST", "/v1/clientWorkloads", auditor, FIXTURES[0][1], expect=403)
    c.call("DELETE", "/v1/clientWorkloads/web", auditor, expect=403)
    c.call("POST", "/v1/apply", auditor, {"objects": []}, expect=403)
    c.call("GET", "/v1/adminTokens", auditor, expect=403)
    _, _, body = c.call("PUT", "/v1/clientWorkloads/web", auditor, FIXTURES[0][1], expect=403)
    c.require(body and "auditor" in body["message"], f"403 names the role: {body}")
    # Every kind's remaining operations as the auditor (403) and without a token (401).
    for collection, body in FIXTURES:
        name = body["metadata"]["name"]
        c.call("PUT", f"/v1/{collection}/{name}", auditor, body, expect=403)
        c.call("DELETE", f"/v1/{collection}/{name}", None, expect=401)
        c.call("GET", f"/v1/{collection}", None, expect=401)

    # Every kind listed, then deleted (referrers first).
    for collection, body in FIXTURES:
        _, _, page = c.call("GET", f"/v1/{collection}", auditor, expect=200)
        c.require(page and body["metadata"]["name"] in [o["metadata"]["name"]
                                                        for o in page["items"]],
                  f"{collection} list: {page}")
    for collection, body in reversed(FIXTURES):
        c.call("DELETE", f"/v1/{collection}/{body['metadata']['name']}", admin, expect=204)


def too_large(c, token, method, path, size=None):
    """A Content-Length over the limit is refused before the body is sent."""
    size = size or (2 << 20)
    conn = http.client.HTTPConnection("127.0.0.1", c.port, timeout=30)
    try:
        conn.putrequest(method, path)
        conn.putheader("Authorization", "Bearer " + token)
        conn.putheader("Content-Type", "application/json")
        conn.putheader("Content-Length", str(size))
        conn.putheader("Expect", "100-continue")
        conn.endheaders()
        res = conn.getresponse()
        payload = res.read()
        headers = dict(res.getheaders())
    finally:
        conn.close()
    if res.status != 413:
        c.fail(f"{method} {path} with {size} bytes: expected 413, got {res.status}")
    c.check_response(method, path, res.status, headers, payload,
                     json.loads(payload) if payload else None)


def main():
    tessera = os.environ.get("TESSERA_BIN") or shutil.which("tessera")
    if not tessera:
        print("TESSERA_BIN is not set", file=sys.stderr)
        return 2
    work = tempfile.mkdtemp(prefix="tessera-openapi-")
    port = free_port()
    log = open(os.path.join(work, "dev.log"), "w")
    hub = subprocess.Popen([tessera, "dev", "--data-dir", os.path.join(work, "dev"),
                            "--listen", f"127.0.0.1:{port}"], stdout=log, stderr=subprocess.STDOUT)
    c = Conformance(port)
    try:
        deadline = time.time() + 30
        while True:
            try:
                if c.raw("GET", "/readyz")[0] == 200:
                    break
            except OSError:
                pass
            if hub.poll() is not None or time.time() > deadline:
                print(open(os.path.join(work, "dev.log")).read(), file=sys.stderr)
                raise SystemExit("tessera dev did not become ready")
            time.sleep(0.1)
        with open(os.path.join(work, "dev", "admin-token")) as f:
            admin = f.read().strip()

        status, headers, payload = c.raw("GET", "/v1/openapi.json")
        assert status == 200, status
        spec = json.loads(payload)
        c.load(spec)
        c.check_response("GET", "/v1/openapi.json", status, headers, payload, spec)
        run(c, admin)

        for (method, pattern), statuses in sorted(c.exercised.items()):
            if not statuses:
                c.fail(f"{method} {pattern} was never exercised")
            elif not any(200 <= s < 300 for s in statuses):
                c.fail(f"{method} {pattern} never succeeded (saw {sorted(statuses)})")
        calls = sum(len(s) for s in c.exercised.values())
        print(f"{len(c.exercised)} operations, {calls} (operation, status) pairs checked")
    finally:
        hub.terminate()
        try:
            hub.wait(timeout=15)
        except subprocess.TimeoutExpired:
            hub.kill()
        log.close()
        shutil.rmtree(work, ignore_errors=True)
    if c.failures:
        print(f"{len(c.failures)} failures", file=sys.stderr)
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
