"""Helpers for the stand-ins' self-tests: a local OIDC issuer (discovery + JWKS over loopback
http, RSA and EC keys, switchable failures) and a way to run a stand-in as the tests will."""
import json
import os
import signal
import subprocess
import sys
import threading
import time

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import standin_common as common  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))

for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
    os.environ.pop(name, None)
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"


def _int_b64(n, length=None):
    length = length or (n.bit_length() + 7) // 8
    return common.b64url(n.to_bytes(length, "big"))


class LocalIssuer:
    """An OIDC issuer on 127.0.0.1 that signs tokens. mode: "ok", "down" (discovery answers 503),
    "not-found" (404), "wrong-issuer" (the document names another issuer)."""

    def __init__(self, path=""):
        self.rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.ec = ec.generate_private_key(ec.SECP256R1())
        self.mode = "ok"
        issuer = self

        class H(common.Handler):
            def do_GET(self):
                if self.path == path + "/.well-known/openid-configuration":
                    if issuer.mode == "down":
                        return self.send(503, {"error": "down"})
                    if issuer.mode == "not-found":
                        return self.send(404, {"error": "not found"})
                    name = issuer.url + ("/other" if issuer.mode == "wrong-issuer" else "")
                    return self.send(200, {"issuer": name, "jwks_uri": issuer.url + "/jwks",
                                           "response_types_supported": ["id_token"],
                                           "subject_types_supported": ["public"],
                                           "id_token_signing_alg_values_supported": ["RS256",
                                                                                     "ES256"]})
                if self.path == path + "/jwks":
                    return self.send(200, issuer.jwks())
                self.send(404, {"error": "not found"})

        self.server = common.Server(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{path}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def jwks(self):
        r = self.rsa.public_key().public_numbers()
        e = self.ec.public_key().public_numbers()
        return {"keys": [
            {"kty": "RSA", "kid": "rsa-1", "alg": "RS256", "use": "sig", "n": _int_b64(r.n),
             "e": _int_b64(r.e)},
            {"kty": "EC", "kid": "ec-1", "alg": "ES256", "use": "sig", "crv": "P-256",
             "x": _int_b64(e.x, 32), "y": _int_b64(e.y, 32)}]}

    def sign(self, claims, alg="RS256", kid=None, key=None):
        header = {"alg": alg, "typ": "JWT", "kid": kid or ("rsa-1" if alg == "RS256" else "ec-1")}
        signing_input = (common.b64url(json.dumps(header).encode()) + "." +
                         common.b64url(json.dumps(claims).encode())).encode()
        if alg == "RS256":
            signature = (key or self.rsa).sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
        elif alg == "ES256":
            r, s = decode_dss_signature((key or self.ec).sign(signing_input,
                                                               ec.ECDSA(hashes.SHA256())))
            signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
        else:  # e.g. "none" or an algorithm no cloud accepts
            signature = b"x"
        return signing_input.decode() + "." + common.b64url(signature)

    def claims(self, sub, aud, lifetime=300, **extra):
        now = int(time.time())
        return dict({"iss": self.url, "sub": sub, "aud": aud, "iat": now, "nbf": now,
                     "exp": now + lifetime}, **extra)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class StandIn:
    """Runs tests/standins/<script> as a subprocess and reads the "PORT <n>" line it prints."""

    def __init__(self, script, *args, env=None):
        self.proc = subprocess.Popen([sys.executable, os.path.join(HERE, script), *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     start_new_session=True, env=dict(os.environ, **(env or {})))
        self.lines = {}
        deadline = time.monotonic() + 60
        while "PORT" not in self.lines:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError(f"{script} exited: {self.proc.stderr.read()}")
            key, _, value = line.strip().partition(" ")
            self.lines[key] = value
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{script} did not print its port")
        self.port = int(self.lines["PORT"])
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc.stdout.close()
        self.proc.stderr.close()


class Moto:
    """moto_server on a free loopback port (env: e.g. INITIAL_NO_AUTH_ACTION_COUNT)."""

    def __init__(self, env=None):
        import socket
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
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
