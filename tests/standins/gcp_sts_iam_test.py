"""Self-test of gcp_sts_iam.py: a subject token from a local issuer is exchanged at the STS
stand-in and the federated token impersonates an allowlisted service account; every pool
provider check and every IAM Credentials rule refuses with Google's error body and status."""
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
from standin_testing import LocalIssuer, StandIn  # noqa: E402

PROJECT = "123456789"
POOL = f"//iam.googleapis.com/projects/{PROJECT}/locations/global/workloadIdentityPools/tessera-pool"
PROVIDER = POOL + "/providers/tessera-hub"
STRICT = POOL + "/providers/strict"
SA = "deployer@proj.iam.gserviceaccount.com"
SCOPE = "https://www.googleapis.com/auth/cloud-platform"
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def call(url, data=None, headers=None, method=None):
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with OPENER.open(request, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


class GcpStandInTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.issuer = LocalIssuer()
        cls.addClassCleanup(cls.issuer.close)
        principal = ("principal://iam.googleapis.com/projects/" + PROJECT +
                     "/locations/global/workloadIdentityPools/tessera-pool/subject/"
                     "k8s:prod/deployer")
        config = {"projectNumber": PROJECT, "providers": [
            {"pool": "tessera-pool", "provider": "tessera-hub", "issuerUri": cls.issuer.url},
            {"pool": "tessera-pool", "provider": "strict", "issuerUri": cls.issuer.url,
             "allowedAudiences": ["tessera"],
             "attributeCondition": "assertion.sub.startsWith('k8s:prod/') && "
                                   "assertion.team == 'platform'"},
            {"pool": "tessera-pool", "provider": "switched-off", "issuerUri": cls.issuer.url,
             "disabled": True}],
            "serviceAccounts": {SA: [principal],
                                "any@proj.iam.gserviceaccount.com": [
                                    "principalSet://iam.googleapis.com/projects/" + PROJECT +
                                    "/locations/global/workloadIdentityPools/tessera-pool/*"]}}
        cls.gcp = StandIn("gcp_sts_iam.py", "--config-json", json.dumps(config))
        cls.addClassCleanup(cls.gcp.stop)

    def setUp(self):
        self.issuer.mode = "ok"

    def subject(self, sub="k8s:prod/deployer", aud=None, **kw):
        claims = self.issuer.claims(sub, aud or "https:" + PROVIDER)
        claims.update(kw.pop("claims", {}))
        for name in kw.pop("drop", ()):
            claims.pop(name)
        return self.issuer.sign(claims, **kw)

    def sts(self, token, audience=PROVIDER, **overrides):
        form = dict({"grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
                     "audience": audience, "scope": SCOPE,
                     "requested_token_type": "urn:ietf:params:oauth:token-type:access_token",
                     "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
                     "subject_token": token}, **overrides)
        form = {k: v for k, v in form.items() if v is not None}
        return call(self.gcp.url + "/v1/token", urllib.parse.urlencode(form).encode(),
                    {"Content-Type": "application/x-www-form-urlencoded"})

    def sts_refused(self, token, error, words, **kw):
        status, body = self.sts(token, **kw)
        self.assertEqual(status, 400, body)
        self.assertEqual(body["error"], error, body)
        self.assertIn(words, body["error_description"])

    def federated(self, sub="k8s:prod/deployer"):
        status, body = self.sts(self.subject(sub))
        self.assertEqual(status, 200, body)
        return body["access_token"]

    def generate(self, token, account=SA, body=None, project="-"):
        return call(f"{self.gcp.url}/v1/projects/{project}/serviceAccounts/{account}"
                    ":generateAccessToken",
                    json.dumps(body if body is not None else {"scope": [SCOPE],
                                                              "lifetime": "3600s"}).encode(),
                    {"Content-Type": "application/json", "Authorization": f"Bearer {token}"})

    def google_refused(self, answer, http, status, words):
        code, body = answer
        self.assertEqual(code, http, body)
        self.assertEqual(body["error"]["code"], http)
        self.assertEqual(body["error"]["status"], status)
        self.assertIn(words, body["error"]["message"])
        return body

    # STS

    def test_exchange_and_impersonation(self):
        status, body = self.sts(self.subject())
        self.assertEqual(status, 200, body)
        self.assertEqual(body["issued_token_type"], "urn:ietf:params:oauth:token-type:access_token")
        self.assertEqual(body["token_type"], "Bearer")
        self.assertIsInstance(body["expires_in"], int)
        code, answer = self.generate(body["access_token"], body={"scope": [SCOPE],
                                                                 "lifetime": "1800s"})
        self.assertEqual(code, 200, answer)
        self.assertRegex(answer["expireTime"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        expire = time.mktime(time.strptime(answer["expireTime"], "%Y-%m-%dT%H:%M:%SZ"))
        self.assertAlmostEqual(expire - time.mktime(time.gmtime()), 1800, delta=30)
        _, info = call(self.gcp.url + "/tokeninfo?access_token=" + answer["accessToken"])
        self.assertEqual(info["email"], SA)
        self.assertEqual(info["scope"], SCOPE)

    def test_accepts_both_default_audiences_and_es256(self):
        self.assertEqual(self.sts(self.subject(aud=PROVIDER))[0], 200)
        self.assertEqual(self.sts(self.subject(alg="ES256"))[0], 200)
        self.assertEqual(self.sts(self.subject(), subject_token_type=
                                  "urn:ietf:params:oauth:token-type:id_token")[0], 200)

    def test_refuses_malformed_requests(self):
        self.sts_refused(self.subject(), "unsupported_grant_type", "grant type",
                         grant_type="client_credentials")
        self.sts_refused(self.subject(), "invalid_request", "requested_token_type",
                         requested_token_type="urn:ietf:params:oauth:token-type:id_token")
        self.sts_refused(self.subject(), "invalid_request", "subject_token_type",
                         subject_token_type="urn:ietf:params:aws:token-type:aws4_request")
        self.sts_refused(self.subject(), "invalid_request", "Scope", scope=None)
        self.sts_refused(self.subject(), "invalid_request", "full resource name",
                         audience="projects/1/pools/p")

    def test_refuses_unknown_or_disabled_providers(self):
        self.sts_refused(self.subject(), "invalid_target", "disabled or deleted",
                         audience=POOL + "/providers/nope")
        self.sts_refused(self.subject(), "invalid_target", "disabled or deleted",
                         audience=POOL + "/providers/switched-off")

    def test_refuses_tokens_the_provider_does_not_trust(self):
        self.sts_refused("garbage", "invalid_grant", "parse")
        self.sts_refused(self.subject(aud="sts.amazonaws.com"), "invalid_grant", "audience")
        other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.sts_refused(self.subject(key=other), "invalid_grant", "signature")
        self.sts_refused(self.subject(kid="unknown"), "invalid_grant", "kid")
        self.sts_refused(self.subject(alg="none"), "invalid_grant", "algorithm")
        self.sts_refused(self.subject(claims={"iss": "https://elsewhere.example"}),
                         "invalid_grant", "issuer")
        stranger = LocalIssuer()
        try:
            self.sts_refused(stranger.sign(stranger.claims("k8s:prod/deployer",
                                                           "https:" + PROVIDER)),
                             "invalid_grant", "issuer")
        finally:
            stranger.close()

    def test_refuses_a_token_whose_header_has_no_kid(self):
        import standin_common as common
        claims = self.issuer.claims("k8s:prod/deployer", "https:" + PROVIDER)
        header = common.b64url(json.dumps({"alg": "RS256"}).encode())
        body = common.b64url(json.dumps(claims).encode())
        signed = self.issuer.sign(claims)
        self.sts_refused(f"{header}.{body}.{signed.split('.')[2]}", "invalid_grant", "kid")

    def test_refuses_by_time(self):
        now = int(time.time())
        self.sts_refused(self.subject(claims={"exp": now - 120}), "invalid_grant", "expired")
        self.sts_refused(self.subject(claims={"iat": now + 600}), "invalid_grant", "future")
        self.sts_refused(self.subject(claims={"iat": now - 10, "exp": now - 10 + 48 * 3600}),
                         "invalid_grant", "48 hours")
        self.sts_refused(self.subject(drop=["iat"]), "invalid_grant", "iat")

    def test_refuses_subjects_google_cannot_map(self):
        self.sts_refused(self.subject(drop=["sub"]), "invalid_grant", "sub")
        self.sts_refused(self.subject(sub="s" * 128), "invalid_grant", "127 byte")

    def test_unreachable_issuer_is_refused(self):
        self.issuer.mode = "down"
        self.sts_refused(self.subject(), "invalid_grant", "HTTP 503")

    def test_allowed_audiences_and_attribute_condition(self):
        ok = self.subject(aud="tessera", claims={"team": "platform"})
        self.assertEqual(self.sts(ok, audience=STRICT)[0], 200)
        self.sts_refused(self.subject(claims={"team": "platform"}), "invalid_grant", "audience",
                         audience=STRICT)
        status, body = self.sts(self.subject(aud="tessera", claims={"team": "web"}),
                                audience=STRICT)
        self.assertEqual((status, body["error"]), (400, "unauthorized_client"))
        self.assertIn("attribute condition", body["error_description"])
        status, body = self.sts(self.subject(sub="k8s:dev/x", aud="tessera",
                                             claims={"team": "platform"}), audience=STRICT)
        self.assertEqual(body["error"], "unauthorized_client")

    # IAM Credentials

    def test_generate_refuses_tokens_it_did_not_issue(self):
        self.google_refused(self.generate("ya29.forged"), 401, "UNAUTHENTICATED",
                            "invalid authentication credentials")
        self.google_refused(self.generate(self.subject()), 401, "UNAUTHENTICATED",
                            "invalid authentication credentials")
        sa_token = self.generate(self.federated())[1]["accessToken"]
        self.google_refused(self.generate(sa_token), 401, "UNAUTHENTICATED", "credentials")

    def test_generate_allows_only_allowlisted_principals(self):
        body = self.google_refused(self.generate(self.federated("k8s:prod/other")), 403,
                                   "PERMISSION_DENIED", "iam.serviceAccounts.getAccessToken")
        self.assertEqual(body["error"]["details"][0]["reason"], "IAM_PERMISSION_DENIED")
        self.google_refused(self.generate(self.federated(), account="ghost@p.iam.gserviceaccount"
                                          ".com"), 403, "PERMISSION_DENIED", "may not exist")
        self.assertEqual(self.generate(self.federated("k8s:prod/other"),
                                       account="any@proj.iam.gserviceaccount.com")[0], 200)

    def test_generate_lifetime_is_at_most_an_hour(self):
        token = self.federated()
        for lifetime in ("3601s", "0s", "1h", 3600):
            self.google_refused(self.generate(token, body={"scope": [SCOPE],
                                                           "lifetime": lifetime}),
                                400, "INVALID_ARGUMENT", "lifetime")
        self.assertEqual(self.generate(token, body={"scope": [SCOPE]})[0], 200)

    def test_generate_refuses_bad_bodies(self):
        token = self.federated()
        self.google_refused(self.generate(token, body={"lifetime": "60s"}), 400,
                            "INVALID_ARGUMENT", "Scope")
        self.google_refused(self.generate(token, body={"scope": []}), 400, "INVALID_ARGUMENT",
                            "Scope")
        self.google_refused(self.generate(token, project="my-project"), 400, "INVALID_ARGUMENT",
                            "'-'")


if __name__ == "__main__":
    unittest.main(verbosity=2)
