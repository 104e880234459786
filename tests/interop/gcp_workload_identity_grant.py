#!/usr/bin/env python3
"""The gcp-workload-identity credential provider end to end, with no Google key anywhere.

tests/standins/gcp_sts_iam.py plays Google STS and IAM Credentials: a workload identity pool
provider trusts `tessera hub` as its issuer and validates the hub's subject token as Google does
(discovery and JWKS at the hub's issuer, RS256, kid, aud, exp/iat, sub); one service account
lets the pool subject "sales-analytics" impersonate it.

A workload proves itself with a token from a local OIDC issuer; POST /v1/access returns a grant
with the service account's access token (the stand-in's tokeninfo says whose it is), or, without
impersonation, the federated token of the workload's pool subject. The grant is cached. A pool
provider that does not allow the hub's audience gives an `error` decision whose reason carries
Google's invalid_grant, and a workload the service account does not admit gets
IAM_PERMISSION_DENIED; neither gets a grant.
Environment: TESSERA_BIN.
"""
import json
import unittest
import urllib.parse

from hub_under_test import OPENER, GrantTest, obj

PROJECT = "123456789"
POOL = "tessera-pool"
SA = "reports-reader@sales.iam.gserviceaccount.com"
SCOPE = "https://www.googleapis.com/auth/cloud-platform"


class GcpWorkloadIdentityGrant(GrantTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        principal = (f"principal://iam.googleapis.com/projects/{PROJECT}/locations/global/"
                     f"workloadIdentityPools/{POOL}/subject/sales-analytics")
        config = {"projectNumber": PROJECT, "providers": [
            {"pool": POOL, "provider": "tessera-hub", "issuerUri": cls.hub.url},
            {"pool": POOL, "provider": "strict", "issuerUri": cls.hub.url,
             "allowedAudiences": ["https://other.example"]}],
            "serviceAccounts": {SA: [principal]}}
        cls.gcp = cls.standin("gcp_sts_iam.py", config)
        cls.hub.start()

        def google(name, **spec):
            return obj("CredentialProvider", name, dict(
                {"type": "gcp-workload-identity", "projectNumber": PROJECT, "poolId": POOL,
                 "endpoint": cls.gcp.url + "/v1/token", "iamCredentialsEndpoint": cls.gcp.url},
                **spec))

        cls.hub.apply(cls.workloads() + [
            cls.server("storage", "storage.googleapis.com"),
            cls.server("bigquery", "bigquery.googleapis.com"),
            cls.server("pubsub", "pubsub.googleapis.com"),
            google("reports-reader", providerId="tessera-hub", serviceAccount=SA,
                   lifetimeSeconds=1200),
            google("federated", providerId="tessera-hub"),
            google("strict", providerId="strict"),
            cls.policy("sales-to-storage", "reports-reader", "storage"),
            cls.policy("sales-to-bigquery", "federated", "bigquery"),
            cls.policy("sales-to-pubsub", "strict", "pubsub")])

    def tokeninfo(self, token):
        url = self.gcp.url + "/tokeninfo?" + urllib.parse.urlencode({"access_token": token})
        with OPENER.open(url, timeout=30) as r:
            return json.loads(r.read())

    def test_impersonation_yields_the_service_account_token_and_is_cached(self):
        decision = self.access("pod/sales-analytics", "storage.googleapis.com")
        self.assertEqual(decision["outcome"], "authorized", decision)
        credential = decision["grant"]["credential"]
        self.assertEqual(credential["type"], "gcp")
        self.assertEqual(credential["tokenType"], "Bearer")
        self.assertEqual(credential["serviceAccount"], SA)
        self.assertTrue(credential["expiresAt"])
        info = self.tokeninfo(credential["accessToken"])
        self.assertEqual(info["email"], SA)
        self.assertEqual(info["scope"], SCOPE)
        self.assertLessEqual(int(info["expires_in"]), 1200)
        again = self.access("pod/sales-analytics", "storage.googleapis.com")
        self.assertEqual(again["grant"]["credential"]["accessToken"], credential["accessToken"])

    def test_without_impersonation_the_grant_is_the_federated_token_of_the_workload(self):
        decision = self.access("pod/sales-analytics", "bigquery.googleapis.com")
        self.assertEqual(decision["outcome"], "authorized", decision)
        credential = decision["grant"]["credential"]
        self.assertEqual(credential["type"], "gcp")
        self.assertNotIn("serviceAccount", credential)
        info = self.tokeninfo(credential["accessToken"])
        self.assertEqual(info["sub"], "sales-analytics")
        self.assertEqual(info["pool"], POOL)

    def test_a_provider_that_does_not_allow_the_audience_gives_googles_invalid_grant(self):
        decision = self.access("pod/sales-analytics", "pubsub.googleapis.com")
        self.assert_refused(decision, "invalid_grant")

    def test_a_workload_the_service_account_does_not_admit_gets_iam_permission_denied(self):
        decision = self.access("pod/billing", "storage.googleapis.com")
        self.assert_refused(decision, "PERMISSION_DENIED")


if __name__ == "__main__":
    unittest.main(verbosity=2)
