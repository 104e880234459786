"""JOSE interop with Python joserfc (the preinstalled python3), both directions, every algorithm.

Tokens joserfc signs verify with `tessera token verify`; tokens Tessera signs verify in joserfc.
"""
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest

from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, OKPKey, RSAKey

TESSERA = os.environ["TESSERA_BIN"]
JOSE_TOOL = os.environ["JOSE_TOOL"]
ISS = "https://issuer.interop.test"
AUD = "tessera-interop"
ALGS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]


def generate(alg):
    if alg.startswith(("RS", "PS")):
        return RSAKey.generate_key(2048, private=True)
    if alg == "EdDSA":
        return OKPKey.generate_key("Ed25519", private=True)
    return ECKey.generate_key({"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}[alg], private=True)


class JoserfcInterop(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory(prefix="tessera-joserfc-")

    @classmethod
    def tearDownClass(cls):
        cls.dir.cleanup()

    def path(self, name):
        return os.path.join(self.dir.name, name)

    def test_joserfc_signs_tessera_verifies(self):
        for alg in ALGS:
            with self.subTest(alg=alg):
                key = generate(alg)
                public = key.as_dict(private=False)
                public.update({"kid": "py-" + alg, "alg": alg, "use": "sig"})
                jwks_path = self.path(f"py-{alg}.jwks.json")
                with open(jwks_path, "w") as f:
                    json.dump({"keys": [public]}, f)
                now = int(time.time())
                claims = {"iss": ISS, "aud": AUD, "sub": "py-workload", "iat": now, "exp": now + 300}
                token = jwt.encode({"alg": alg, "kid": public["kid"]}, claims, key, algorithms=[alg])
                r = subprocess.run([TESSERA, "token", "verify", "--jwks", jwks_path, "--issuer", ISS,
                                    "--audience", AUD, token], capture_output=True, text=True)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertIn('"sub": "py-workload"', r.stdout)
                # Expired tokens are rejected with the expiry code and times in words.
                old = dict(claims, iat=now - 4000, exp=now - 3600)
                expired = jwt.encode({"alg": alg, "kid": public["kid"]}, old, key, algorithms=[alg])
                r = subprocess.run([TESSERA, "token", "verify", "--jwks", jwks_path, "--issuer", ISS,
                                    "--audience", AUD, expired], capture_output=True, text=True)
                self.assertEqual(r.returncode, 1)
                self.assertIn("token_expired", r.stderr)
                self.assertIn("s ago; leeway 60 s", r.stderr)

    def test_tessera_signs_joserfc_verifies(self):
        for alg in ALGS:
            with self.subTest(alg=alg):
                key_path = self.path(f"t-{alg}.jwk.json")
                with open(key_path, "w") as f:
                    f.write(subprocess.check_output([JOSE_TOOL, "generate", alg], text=True))
                jwks = json.loads(subprocess.check_output([JOSE_TOOL, "public", key_path], text=True))
                now = int(time.time())
                claims = json.dumps({"iss": ISS, "aud": AUD, "sub": "t-workload", "iat": now, "exp": now + 300})
                token = subprocess.check_output([JOSE_TOOL, "sign", alg, key_path, claims], text=True).strip()
                keyset = KeySet.import_key_set(jwks)
                decoded = jwt.decode(token, keyset, algorithms=[alg])
                self.assertEqual(decoded.header["alg"], alg)
                self.assertEqual(decoded.claims["sub"], "t-workload")
                jwt.JWTClaimsRegistry(iss={"essential": True, "value": ISS},
                                      aud={"essential": True, "value": AUD}).validate(decoded.claims)


if __name__ == "__main__":
    sys.exit(0 if unittest.main(exit=False, verbosity=2).result.wasSuccessful() else 1)
