"""Cloud instance metadata stand-in: AWS IMDSv2, Azure IMDS attested data, GCE metadata server.

Test code only: never part of the product. One process plays the link-local metadata address of
one VM (the real services all live at 169.254.169.254; the paths do not overlap) and validates
its callers the way the real services do:
  - IMDSv2: PUT /latest/api/token needs X-aws-ec2-metadata-token-ttl-seconds in 1..21600 (400),
    refuses X-Forwarded-For and versioned paths (403); every GET needs a live
    X-aws-ec2-metadata-token (401). The instance identity document is served as exact bytes with
    its rsa2048 PKCS#7 (SHA-256, content attached, base64 in 64-column lines like IMDS); the role
    credentials are whatever the test put in (real moto keys, so STS replays resolve).
  - Azure IMDS: /metadata/attested/document needs `Metadata: true` and api-version, refuses
    X-Forwarded-For (400 like Azure); answers {"encoding": "pkcs7", "signature"} with the nonce
    the caller gave signed into the attested JSON.
  - GCE: every request needs Metadata-Flavor: Google and no X-Forwarded-For (403); identity
    needs audience (400); answers a JWT signed with the configured "Google" key, format=full
    adding the google.compute_engine claims. Answers carry Metadata-Flavor: Google.
Config JSON: {"aws": {"document", "certificate", "key", "role", "credentials"},
              "azure": {"attested", "certificate", "key", "chain"},
              "gce": {"issuer", "key", "kid", "email", "computeEngine"}}  (paths to PEM files)
"""
import base64
import datetime
import json
import os
import secrets
import sys
import threading
import time
import urllib.parse

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs7

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import standin_common as common  # noqa: E402

CONFIG = {}
_TOKENS = {}  # IMDSv2 session token -> expiry (monotonic)
_LOCK = threading.Lock()


def _load(path):
    with open(path, "rb") as f:
        return f.read()


def pkcs7_signed(data, cert_path, key_path, chain=()):
    """base64 PKCS#7 SignedData over `data` (attached, SHA-256), as IMDS serves it."""
    cert = x509.load_pem_x509_certificate(_load(cert_path))
    key = serialization.load_pem_private_key(_load(key_path), None)
    builder = pkcs7.PKCS7SignatureBuilder().set_data(data).add_signer(cert, key, hashes.SHA256())
    for extra in chain:
        builder = builder.add_certificate(x509.load_pem_x509_certificate(_load(extra)))
    der = builder.sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary])
    return base64.b64encode(der).decode()


def azure_time(t):
    return t.strftime("%m/%d/%y %H:%M:%S -0000")


class MetadataHandler(common.Handler):
    def reply(self, status, body, content_type="text/plain", headers=None):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    # -- AWS IMDSv2 ------------------------------------------------------------------------------
    def do_PUT(self):
        self.read_body()
        if "aws" not in CONFIG:
            return self.reply(404, "Not Found")
        if self.headers.get("X-Forwarded-For") is not None or self.path != "/latest/api/token":
            return self.reply(403, "Forbidden")
        ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds", "")
        if not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
            return self.reply(400, "Bad Request")
        token = "AQAEA" + secrets.token_urlsafe(40)
        with _LOCK:
            _TOKENS[token] = time.monotonic() + int(ttl)
        self.reply(200, token, headers={"X-aws-ec2-metadata-token-ttl-seconds": ttl})

    def aws_get(self):
        aws = CONFIG["aws"]
        token = self.headers.get("X-aws-ec2-metadata-token")
        with _LOCK:
            live = token is not None and _TOKENS.get(token, 0) > time.monotonic()
        if not live:
            return self.reply(401, "Unauthorized")
        role = aws.get("role")
        if self.path == "/latest/dynamic/instance-identity/document":
            return self.reply(200, aws["document"])
        if self.path == "/latest/dynamic/instance-identity/rsa2048":
            signed = pkcs7_signed(aws["document"].encode(), aws["certificate"], aws["key"])
            return self.reply(200, "\n".join(signed[i:i + 64] for i in range(0, len(signed), 64)))
        if self.path == "/latest/meta-data/iam/security-credentials/" and role:
            return self.reply(200, role)
        if role and self.path == "/latest/meta-data/iam/security-credentials/" + role:
            now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            return self.reply(200, json.dumps(dict({"Code": "Success", "LastUpdated": now,
                                                    "Type": "AWS-HMAC"}, **aws["credentials"])))
        return self.reply(404, "Not Found")

    # -- Azure IMDS ------------------------------------------------------------------------------
    def azure_get(self, query):
        azure = CONFIG["azure"]
        if self.headers.get("X-Forwarded-For") is not None:
            return self.send(400, {"error": "Bad request. Forwarded requests are not allowed"})
        if self.headers.get("Metadata") != "true":
            return self.send(400, {"error": "Bad request. Required metadata header not specified"})
        if "api-version" not in query:
            return self.send(400, {"error": "Bad request. api-version was not specified"})
        now = datetime.datetime.now(datetime.timezone.utc)
        attested = dict(azure["attested"])
        attested.update({"nonce": query.get("nonce", ["20261201-000000"])[0],
                         "timeStamp": {"createdOn": azure_time(now),
                                       "expiresOn": azure_time(now + datetime.timedelta(hours=6))}})
        signature = pkcs7_signed(json.dumps(attested).encode(), azure["certificate"],
                                 azure["key"], azure.get("chain", []))
        self.send(200, {"encoding": "pkcs7", "signature": signature})

    # -- GCE metadata server ---------------------------------------------------------------------
    def gce_get(self, path, query):
        gce = CONFIG["gce"]
        flavor = {"Metadata-Flavor": "Google", "Server": "Metadata Server for VM"}
        if self.headers.get("X-Forwarded-For") is not None or \
                self.headers.get("Metadata-Flavor") != "Google":
            return self.reply(403, 'Missing required header "Metadata-Flavor": "Google"',
                              headers=flavor)
        if path != "/computeMetadata/v1/instance/service-accounts/default/identity":
            return self.reply(404, "Not Found", headers=flavor)
        audience = query.get("audience", [""])[0]
        if not audience:
            return self.reply(400, "non-empty audience parameter required", headers=flavor)
        now = int(time.time())
        claims = {"iss": gce["issuer"], "aud": audience, "azp": "1077",
                  "sub": gce.get("sub", "107517467455664443765"), "email": gce["email"],
                  "email_verified": True, "iat": now, "exp": now + 3600}
        if query.get("format", ["standard"])[0] == "full":
            claims["google"] = {"compute_engine": gce["computeEngine"]}
        key = serialization.load_pem_private_key(_load(gce["key"]), None)
        self.reply(200, common.sign_jwt(claims, key, "RS256", gce.get("kid", "rsa-1")),
                   headers=flavor)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        if url.path.startswith("/latest/") and "aws" in CONFIG:
            return self.aws_get()
        if url.path == "/metadata/attested/document" and "azure" in CONFIG:
            return self.azure_get(query)
        if url.path.startswith("/computeMetadata/") and "gce" in CONFIG:
            return self.gce_get(url.path, query)
        self.reply(404, "Not Found")


def main():
    global CONFIG
    args, CONFIG = common.load_config(__doc__.split("\n")[0])
    return common.serve(MetadataHandler, args.port)


if __name__ == "__main__":
    common.main_guard(main)
