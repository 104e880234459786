"""What the cloud stand-ins share: a loopback HTTP server that prints its port, and the checks
every cloud runs on a JWT presented to it (OIDC discovery, JWKS, signature).

Test code only: never part of the product. The clouds fetch discovery and JWKS over public
https; the stand-ins also accept plain http on loopback so that tests can serve them locally.
"""
import base64
import http.server
import ipaddress
import json
import os
import signal
import socket
import subprocess
import sys
import time
import threading
import urllib.error
import urllib.parse
import urllib.request

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (decode_dss_signature,
                                                              encode_dss_signature)

MAX_BODY = 256 * 1024
MAX_TOKEN = 20000
MAX_JWKS_KEYS = 100  # AWS and Entra keep only the first 100 keys of a JWKS

# Nothing goes through a proxy: every peer is on loopback.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


# ---------------------------------------------------------------------------------------------
# HTTP plumbing


class Handler(http.server.BaseHTTPRequestHandler):
    """Base request handler: small helpers, quiet logs, bounded bodies."""

    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # the tests read stdout for the port only
        pass

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise ValueError("body too large")
        return self.rfile.read(length) if length else b""

    def form(self):
        """The form body (application/x-www-form-urlencoded) as a dict of first values."""
        body = self.read_body().decode("utf-8", "replace")
        return {k: v[0] for k, v in urllib.parse.parse_qs(body, keep_blank_values=True).items()}

    def send(self, status, body, content_type="application/json", headers=None):
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def serve(handler_cls, port=0, announce=None):
    """Serves on 127.0.0.1:port until SIGTERM/SIGINT; prints the announce lines, then
    "PORT <n>" last (readers stop at it)."""
    server = Server(("127.0.0.1", port), handler_cls)
    for line in announce or []:
        print(line, flush=True)
    print(f"PORT {server.server_address[1]}", flush=True)

    def stop(*_):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    server.serve_forever()
    server.server_close()
    return 0


def is_loopback_url(url):
    host = urllib.parse.urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# ---------------------------------------------------------------------------------------------
# JWT checks


class JwtError(Exception):
    """A token the stand-in refuses. kind: malformed | alg | kid | signature."""

    def __init__(self, kind, detail):
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


class IdpError(Exception):
    """The issuer's discovery document or JWKS could not be used. unreachable: a network
    failure, timeout or 5xx (transient); otherwise the issuer answered something unusable."""

    def __init__(self, detail, unreachable):
        super().__init__(detail)
        self.detail = detail
        self.unreachable = unreachable


def b64url_decode(text):
    if not isinstance(text, str) or any(c in text for c in "+/="):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def parse_jwt(token):
    """(header, claims, signing_input, signature) of a compact JWS, without verifying it."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN:
        raise JwtError("malformed", "the token is missing or too large")
    parts = token.split(".")
    if len(parts) != 3:
        raise JwtError("malformed", "the token is not a compact JWS (three segments)")
    try:
        header = json.loads(b64url_decode(parts[0]))
        claims = json.loads(b64url_decode(parts[1]))
        signature = b64url_decode(parts[2])
    except (ValueError, UnicodeDecodeError):
        raise JwtError("malformed", "a token segment is not base64url JSON") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise JwtError("malformed", "the token header or payload is not a JSON object")
    return header, claims, (parts[0] + "." + parts[1]).encode(), signature


def fetch_json(url, timeout=5):
    """GET url as JSON; IdpError(unreachable=True) on network errors and 5xx."""
    if not (url.startswith("https://") or (url.startswith("http://") and is_loopback_url(url))):
        raise IdpError(f"{url} is not https", unreachable=False)
    try:
        with _OPENER.open(urllib.request.Request(url, headers={"Accept": "application/json"}),
                          timeout=timeout) as response:
            data = response.read(MAX_BODY + 1)
    except urllib.error.HTTPError as e:
        raise IdpError(f"{url} answered HTTP {e.code}", unreachable=e.code >= 500) from None
    except (OSError, urllib.error.URLError) as e:
        raise IdpError(f"{url} is unreachable ({e})", unreachable=True) from None
    if len(data) > MAX_BODY:
        raise IdpError(f"{url} answered too much", unreachable=False)
    try:
        return json.loads(data)
    except ValueError:
        raise IdpError(f"{url} did not answer JSON", unreachable=False) from None


def issuer_keys(issuer, timeout=5):
    """The JWKS keys of an issuer, found the OIDC Discovery way (PROTOCOLS.md 7.3): GET
    <issuer>/.well-known/openid-configuration, its issuer must equal ours, then GET jwks_uri."""
    doc = fetch_json(issuer.rstrip("/") + "/.well-known/openid-configuration", timeout)
    if not isinstance(doc, dict) or doc.get("issuer") != issuer:
        raise IdpError("the discovery document names another issuer", unreachable=False)
    jwks_uri = doc.get("jwks_uri")
    if not isinstance(jwks_uri, str):
        raise IdpError("the discovery document has no jwks_uri", unreachable=False)
    jwks = fetch_json(jwks_uri, timeout)
    keys = jwks.get("keys") if isinstance(jwks, dict) else None
    if not isinstance(keys, list):
        raise IdpError("the JWKS has no keys", unreachable=False)
    return [k for k in keys[:MAX_JWKS_KEYS] if isinstance(k, dict)]


def _public_key(jwk):
    if jwk.get("kty") == "RSA":
        n = int.from_bytes(b64url_decode(jwk["n"]), "big")
        e = int.from_bytes(b64url_decode(jwk["e"]), "big")
        return rsa.RSAPublicNumbers(e, n).public_key()
    if jwk.get("kty") == "EC" and jwk.get("crv") == "P-256":
        x = int.from_bytes(b64url_decode(jwk["x"]), "big")
        y = int.from_bytes(b64url_decode(jwk["y"]), "big")
        return ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()
    raise ValueError("unsupported key")


def verify_signature(header, signing_input, signature, keys, allowed_algs):
    """Checks alg against allowed_algs, selects the key by kid and verifies. Raises JwtError."""
    alg = header.get("alg")
    if alg not in allowed_algs:
        raise JwtError("alg", f"algorithm {alg!r} is not accepted")
    kid = header.get("kid")
    candidates = [k for k in keys if kid is None or k.get("kid") == kid]
    candidates = [k for k in candidates if k.get("kty") == ("RSA" if alg == "RS256" else "EC")]
    if not candidates:
        raise JwtError("kid", f"no key with kid {kid!r} in the issuer's JWKS")
    for jwk in candidates:
        try:
            key = _public_key(jwk)
            if alg == "RS256":
                key.verify(signature, signing_input, padding.PKCS1v15(), hashes.SHA256())
            else:
                if len(signature) != 64:
                    raise InvalidSignature()
                der = encode_dss_signature(int.from_bytes(signature[:32], "big"),
                                           int.from_bytes(signature[32:], "big"))
                key.verify(der, signing_input, ec.ECDSA(hashes.SHA256()))
            return jwk
        except (InvalidSignature, ValueError, KeyError):
            continue
    raise JwtError("signature", "the token signature does not verify")


def int_b64(n, length=None):
    length = length or (n.bit_length() + 7) // 8
    return b64url(n.to_bytes(length, "big"))


def public_jwk(private_key, kid):
    """The public JWK of an RSA or P-256 private key."""
    if isinstance(private_key, rsa.RSAPrivateKey):
        r = private_key.public_key().public_numbers()
        return {"kty": "RSA", "kid": kid, "alg": "RS256", "use": "sig", "n": int_b64(r.n),
                "e": int_b64(r.e)}
    e = private_key.public_key().public_numbers()
    return {"kty": "EC", "kid": kid, "alg": "ES256", "use": "sig", "crv": "P-256",
            "x": int_b64(e.x, 32), "y": int_b64(e.y, 32)}


def sign_jwt(claims, key, alg, kid):
    """A compact JWS of the claims: RS256 or ES256 with `key`; any other alg gets a junk
    signature (for tests of algorithms nobody accepts, "none" included)."""
    header = {"alg": alg, "typ": "JWT", "kid": kid}
    signing_input = (b64url(json.dumps(header).encode()) + "." +
                     b64url(json.dumps(claims).encode())).encode()
    if alg == "RS256":
        signature = key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    elif alg == "ES256":
        r, s = decode_dss_signature(key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
        signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    else:
        signature = b"x"
    return signing_input.decode() + "." + b64url(signature)


def audiences(claims):
    aud = claims.get("aud")
    if isinstance(aud, str):
        return [aud]
    if isinstance(aud, list):
        return [a for a in aud if isinstance(a, str)]
    return []


def int_claim(claims, name):
    """An integer NumericDate claim, None when absent; ValueError when not an integer."""
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} is not an integer")
    return value


class Moto:
    """moto_server on a loopback port, a free one unless given (env: e.g.
    INITIAL_NO_AUTH_ACTION_COUNT)."""

    def __init__(self, env=None, port=0):
        if not port:
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        self.proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1",
                                      "-p", str(port)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True,
                                     env=dict(os.environ, **(env or {})))
        deadline = time.monotonic() + 30
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("moto_server exited")
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise
                time.sleep(0.1)

    def stop(self):
        stop_process_group(self.proc)


def moto_admin_key(moto_url):
    """What a new AWS account's root user does first, against moto run with
    INITIAL_NO_AUTH_ACTION_COUNT: the IAM user "admin" allowed everything, and its access key
    (the AccessKey dict). Three unauthenticated actions."""
    import boto3  # only the AWS stand-ins and tests need it
    iam = boto3.client("iam", endpoint_url=moto_url, aws_access_key_id="bootstrap",
                       aws_secret_access_key="bootstrap", region_name="us-east-1")
    iam.create_user(UserName="admin")
    iam.put_user_policy(UserName="admin", PolicyName="all", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    return iam.create_access_key(UserName="admin")["AccessKey"]


def stop_process_group(proc, timeout=15):
    """SIGTERM to the process group a start_new_session child leads, SIGKILL if it lingers."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def load_config(description):
    """argparse for a stand-in configured by JSON: --port, --config FILE | --config-json TEXT."""
    import argparse
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--port", type=int, default=0)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--config")
    source.add_argument("--config-json")
    args = parser.parse_args()
    if args.config:
        with open(args.config) as f:
            return args, json.load(f)
    return args, json.loads(args.config_json)


def main_guard(fn):
    try:
        sys.exit(fn())
    except KeyboardInterrupt:
        sys.exit(0)
