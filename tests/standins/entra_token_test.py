"""Self-test of entra_token.py: an assertion from a local issuer that a federated identity
credential trusts gets an access token for the resource; each Entra rule refuses with its AADSTS
code in Entra's JSON error shape."""
import json
import os
import sys
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

from cryptography.hazmat.primitives.asymmetric import rsa

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import standin_common as common  # noqa: E402
from standin_testing import LocalIssuer, StandIn  # noqa: E402

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
CLIENT = "97e0a5b7-d745-40b6-94fe-5f77d35c6e05"
EXCHANGE = "api://AzureADTokenExchange"
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class EntraStandInTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # A path with a trailing slash, like AKS issuers: the FIC must repeat it exactly.
        cls.issuer = LocalIssuer(path="/oidc/")
        cls.addClassCleanup(cls.issuer.close)
        config = {"tenants": {TENANT: {"domains": ["contoso.onmicrosoft.com"], "apps": {CLIENT: {
            "roles": ["Artifacts.Read"],
            "federatedIdentityCredentials": [{
                "name": "hub", "issuer": cls.issuer.url, "subject": "k8s:prod/deployer",
                "audiences": [EXCHANGE]}]}}}},
            "resources": ["https://graph.microsoft.com", "api://artifacts"]}
        cls.entra = StandIn("entra_token.py", "--config-json", json.dumps(config))
        cls.addClassCleanup(cls.entra.stop)

    def setUp(self):
        self.issuer.mode = "ok"

    def assertion(self, sub="k8s:prod/deployer", aud=EXCHANGE, **kw):
        claims = self.issuer.claims(sub, aud, jti="j-1")
        claims.update(kw.pop("claims", {}))
        for name in kw.pop("drop", ()):
            claims.pop(name)
        return self.issuer.sign(claims, **kw)

    def token(self, assertion, tenant=TENANT, **overrides):
        form = dict({"client_id": CLIENT, "scope": "api://artifacts/.default",
                     "grant_type": "client_credentials",
                     "client_assertion_type":
                         "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                     "client_assertion": assertion}, **overrides)
        form = {k: v for k, v in form.items() if v is not None}
        request = urllib.request.Request(
            f"{self.entra.url}/{tenant}/oauth2/v2.0/token",
            data=urllib.parse.urlencode(form).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"})
        try:
            with OPENER.open(request, timeout=30) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    def refused(self, answer, code, error, words, status=400):
        got, body = answer
        self.assertEqual(got, status, body)
        self.assertEqual(body["error"], error, body)
        self.assertEqual(body["error_codes"], [code])
        self.assertTrue(body["error_description"].startswith(f"AADSTS{code}: "), body)
        self.assertIn(words, body["error_description"])
        self.assertIn("\r\nTrace ID: " + body["trace_id"], body["error_description"])
        self.assertIn("\r\nCorrelation ID: " + body["correlation_id"],
                      body["error_description"])
        self.assertEqual(body["error_uri"], f"https://login.microsoftonline.com/error?code={code}")

    def test_issues_an_access_token_for_the_resource(self):
        status, body = self.token(self.assertion())
        self.assertEqual(status, 200, body)
        self.assertEqual(body["token_type"], "Bearer")
        self.assertEqual(body["expires_in"], 3599)
        self.assertEqual(body["ext_expires_in"], 3599)
        header, claims, signing_input, signature = common.parse_jwt(body["access_token"])
        with OPENER.open(f"{self.entra.url}/{TENANT}/discovery/v2.0/keys") as r:
            keys = json.loads(r.read())["keys"]
        common.verify_signature(header, signing_input, signature, keys, ("RS256",))
        self.assertEqual(claims["aud"], "api://artifacts")
        self.assertEqual(claims["appid"], CLIENT)
        self.assertEqual(claims["tid"], TENANT)
        self.assertEqual(claims["roles"], ["Artifacts.Read"])
        self.assertEqual(self.token(self.assertion(), tenant="contoso.onmicrosoft.com")[0], 200)

    def test_refuses_unknown_tenants_apps_and_grants(self):
        self.refused(self.token(self.assertion(), tenant="fabrikam.onmicrosoft.com"), 90002,
                     "invalid_request", "Tenant 'fabrikam.onmicrosoft.com' not found")
        self.refused(self.token(self.assertion(), client_id="00000000-0000-0000-0000-000000000000"),
                     700016, "unauthorized_client", "was not found in the directory")
        self.refused(self.token(self.assertion(), client_id=None), 900144, "invalid_request",
                     "'client_id'")
        self.refused(self.token(self.assertion(), grant_type="password"), 70003,
                     "unsupported_grant_type", "unsupported grant type")

    def test_refuses_scopes_that_are_not_a_known_default(self):
        self.refused(self.token(self.assertion(), scope="api://artifacts/read"), 1002012,
                     "invalid_scope", "/.default")
        self.refused(self.token(self.assertion(), scope="api://artifacts/.default openid"),
                     1002012, "invalid_scope", "/.default")
        self.refused(self.token(self.assertion(), scope="api://unknown/.default"), 500011,
                     "invalid_resource", "api://unknown")

    def test_refuses_missing_or_malformed_assertions(self):
        self.refused(self.token(None), 7000218, "invalid_client", "'client_assertion'",
                     status=401)
        self.refused(self.token(self.assertion(), client_assertion_type="jwt"), 50027,
                     "invalid_request", "client_assertion_type")
        self.refused(self.token("not-a-jwt"), 50027, "invalid_request", "malformed")
        self.refused(self.token(self.assertion(claims={"exp": "soon"})), 50027,
                     "invalid_request", "malformed")

    def test_refuses_assertions_no_federated_credential_matches(self):
        self.refused(self.token(self.assertion(sub="k8s:prod/other")), 70021, "invalid_request",
                     "Assertion Subject: 'k8s:prod/other'")
        self.refused(self.token(self.assertion(sub="K8S:prod/deployer")), 70021,
                     "invalid_request", "No matching federated identity record")
        self.refused(self.token(self.assertion(claims={"iss": self.issuer.url.rstrip("/")})),
                     70021, "invalid_request", "Assertion Issuer")
        self.refused(self.token(self.assertion(aud="sts.amazonaws.com")), 700212,
                     "invalid_request", "audience 'sts.amazonaws.com'")
        self.refused(self.token(self.assertion(aud=[EXCHANGE, "other"])), 700212,
                     "invalid_request", "audience")

    def test_refuses_what_does_not_verify(self):
        self.refused(self.token(self.assertion(alg="ES256")), 5002738, "invalid_request",
                     "'ES256' is not a supported signature algorithm")
        other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.refused(self.token(self.assertion(key=other)), 700027, "invalid_client",
                     "signature validation", status=401)
        self.refused(self.token(self.assertion(kid="gone")), 700027, "invalid_client",
                     "signature validation", status=401)

    def test_refuses_when_the_issuer_cannot_be_reached(self):
        for mode in ("down", "not-found", "wrong-issuer"):
            self.issuer.mode = mode
            self.refused(self.token(self.assertion()), 90061, "invalid_request",
                         "Request to External OIDC endpoint failed")

    def test_refuses_assertions_outside_their_validity(self):
        now = int(time.time())
        self.refused(self.token(self.assertion(claims={"exp": now - 301})), 700024,
                     "invalid_client", "not within its valid time range", status=401)
        self.refused(self.token(self.assertion(claims={"nbf": now + 600})), 700024,
                     "invalid_client", "not within its valid time range", status=401)
        self.refused(self.token(self.assertion(drop=["exp"])), 700024, "invalid_client",
                     "valid time range", status=401)
        self.assertEqual(self.token(self.assertion(claims={"exp": now - 200}))[0], 200)


if __name__ == "__main__":
    unittest.main(verbosity=2)
