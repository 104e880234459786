"""JOSE interop with PyJWT (Debian's python3-jwt, run by /usr/bin/python3), both directions.

Tokens PyJWT signs verify with `tessera token verify`; tokens Tessera signs verify in PyJWT.
"""
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm, RSAPSSAlgorithm

TESSERA = os.environ["TESSERA_BIN"]
JOSE_TOOL = os.environ["JOSE_TOOL"]
ISS = "https://issuer.interop.test"
AUD = "tessera-interop"
ALGS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]
CURVES = {"ES256": ec.SECP256R1, "ES384": ec.SECP384R1, "ES512": ec.SECP521R1}


def generate(alg):
    if alg.startswith(("RS", "PS")):
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if alg == "EdDSA":
        return ed25519.Ed25519PrivateKey.generate()
    return ec.generate_private_key(CURVES[alg]())


def public_jwk(alg, private_key):
    public = private_key.public_key()
    if alg.startswith("RS"):
        return json.loads(RSAAlgorithm.to_jwk(public))
    if alg.startswith("PS"):
        return json.loads(RSAPSSAlgorithm.to_jwk(public))
    if alg == "EdDSA":
        return json.loads(OKPAlgorithm.to_jwk(public))
    return json.loads(ECAlgorithm.to_jwk(public))


def load_public(alg, jwk_dict):
    text = json.dumps(jwk_dict)
    if alg.startswith(("RS", "PS")):
        return RSAAlgorithm.from_jwk(text)
    if alg == "EdDSA":
        return OKPAlgorithm.from_jwk(text)
    return ECAlgorithm.from_jwk(text)


class PyJwtInterop(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory(prefix="tessera-pyjwt-")

    @classmethod
    def tearDownClass(cls):
        cls.dir.cleanup()

    def test_pyjwt_signs_tessera_verifies(self):
        for alg in ALGS:
            with self.subTest(alg=alg):
                key = generate(alg)
                jwk = public_jwk(alg, key)
                jwk.update({"kid": "pyjwt-" + alg, "alg": alg, "use": "sig"})
                jwks_path = os.path.join(self.dir.name, f"pyjwt-{alg}.jwks.json")
                with open(jwks_path, "w") as f:
                    json.dump({"keys": [jwk]}, f)
                now = int(time.time())
                token = jwt.encode({"iss": ISS, "aud": AUD, "sub": "pyjwt-workload", "iat": now,
                                    "exp": now + 300}, key, algorithm=alg, headers={"kid": jwk["kid"]})
                r = subprocess.run([TESSERA, "token", "verify", "--jwks", jwks_path, "--issuer", ISS,
                                    "--audience", AUD, token], capture_output=True, text=True)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertIn('"sub": "pyjwt-workload"', r.stdout)
                r = subprocess.run([TESSERA, "token", "verify", "--jwks", jwks_path, "--issuer", ISS,
                                    "--audience", "someone-else", token], capture_output=True, text=True)
                self.assertEqual(r.returncode, 1)
                self.assertIn("token_audience_mismatch", r.stderr)

    def test_tessera_signs_pyjwt_verifies(self):
        for alg in ALGS:
            with self.subTest(alg=alg):
                key_path = os.path.join(self.dir.name, f"t-{alg}.jwk.json")
                with open(key_path, "w") as f:
                    f.write(subprocess.check_output([JOSE_TOOL, "generate", alg], text=True))
                jwks = json.loads(subprocess.check_output([JOSE_TOOL, "public", key_path], text=True))
                now = int(time.time())
                claims = json.dumps({"iss": ISS, "aud": AUD, "sub": "t", "iat": now, "exp": now + 300})
                token = subprocess.check_output([JOSE_TOOL, "sign", alg, key_path, claims], text=True).strip()
                decoded = jwt.decode(token, load_public(alg, jwks["keys"][0]), algorithms=[alg],
                                     audience=AUD, issuer=ISS)
                self.assertEqual(decoded["sub"], "t")
                self.assertEqual(jwt.get_unverified_header(token)["kid"], jwks["keys"][0]["kid"])


if __name__ == "__main__":
    sys.exit(0 if unittest.main(exit=False, verbosity=2).result.wasSuccessful() else 1)
