"""Helpers for the stand-ins' self-tests: a local OIDC issuer (discovery + JWKS over loopback
http, RSA and EC keys, switchable failures) and a way to run a stand-in as the tests will."""
import os
import subprocess
import sys
import threading
import time

from cryptography.hazmat.primitives.asymmetric import ec, rsa

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import standin_common as common  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))

for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
    os.environ.pop(name, None)
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"


class LocalIssuer:
    """An OIDC issuer on 127.0.0.1 that signs tokens. mode: "ok", "down" (discovery answers 503),
    "not-found" (404), "wrong-issuer" (the document names another issuer)."""

    def __init__(self, path=""):
        self.rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.ec = ec.generate_private_key(ec.SECP256R1())
        self.mode = "ok"
        issuer = self
        base = path.rstrip("/")  # discovery strips a trailing '/' of the issuer (OIDC 4)

        class H(common.Handler):
            def do_GET(self):
                if self.path == base + "/.well-known/openid-configuration":
                    if issuer.mode == "down":
                        return self.send(503, {"error": "down"})
                    if issuer.mode == "not-found":
                        return self.send(404, {"error": "not found"})
                    name = issuer.url + ("/other" if issuer.mode == "wrong-issuer" else "")
                    return self.send(200, {"issuer": name, "jwks_uri": issuer.root + base + "/jwks",
                                           "response_types_supported": ["id_token"],
                                           "subject_types_supported": ["public"],
                                           "id_token_signing_alg_values_supported": ["RS256",
                                                                                     "ES256"]})
                if self.path == base + "/jwks":
                    return self.send(200, issuer.jwks())
                self.send(404, {"error": "not found"})

        self.server = common.Server(("127.0.0.1", 0), H)
        self.root = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.url = self.root + path
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def jwks(self):
        return {"keys": [common.public_jwk(self.rsa, "rsa-1"), common.public_jwk(self.ec, "ec-1")]}

    def sign(self, claims, alg="RS256", kid=None, key=None):
        key = key or (self.ec if alg == "ES256" else self.rsa)
        return common.sign_jwt(claims, key, alg, kid or ("ec-1" if alg == "ES256" else "rsa-1"))

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
        common.stop_process_group(self.proc)
        self.proc.stdout.close()
        self.proc.stderr.close()


# moto_server on a free loopback port; stop() ends it.
Moto = common.Moto
moto_admin_key = common.moto_admin_key
