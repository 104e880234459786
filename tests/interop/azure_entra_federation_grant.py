#!/usr/bin/env python3
"""The azure-entra-federation credential provider end to end, with no client secret anywhere.

tests/standins/entra_token.py plays the Entra token endpoint: an app's federated identity
credential names `tessera hub` as issuer, the client workload "sales-analytics" as subject and
api://AzureADTokenExchange as audience, and the hub's client assertion is validated as Entra does
(exact iss/sub/aud match, RS256, discovery and JWKS at the hub's issuer, time window).

A workload proves itself with a token from a local OIDC issuer; POST /v1/access returns a grant
with the access token Entra issued for the resource (verified against the stand-in's keys). The
grant is cached. A workload without a federated identity credential gets an `error` decision
whose reason carries AADSTS70021, an assertion audience the app does not expect AADSTS700212;
neither gets a grant.
Environment: TESSERA_BIN.
"""
import json
import unittest

from hub_under_test import OPENER, GrantTest, obj
import standin_common as common  # tests/standins, on the path through hub_under_test

TENANT = "8eaef023-2b34-4da1-9baa-8bc8c9d6a490"
CLIENT = "97e0a5b7-d745-40b6-94fe-5f77d35c6e05"
RESOURCE = "https://management.azure.com"


class AzureEntraFederationGrant(GrantTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        config = {"tenants": {TENANT: {"domains": ["contoso.onmicrosoft.com"], "apps": {CLIENT: {
            "roles": ["Deployments.Write"],
            "federatedIdentityCredentials": [{
                "name": "tessera-hub", "issuer": cls.hub.url, "subject": "sales-analytics",
                "audiences": ["api://AzureADTokenExchange"]}]}}}},
            "resources": [RESOURCE]}
        cls.entra = cls.standin("entra_token.py", config)
        cls.hub.start()

        def entra(name, **spec):
            return obj("CredentialProvider", name, dict(
                {"type": "azure-entra-federation", "tenantId": TENANT, "clientId": CLIENT,
                 "scope": RESOURCE + "/.default", "authorityHost": cls.entra.url}, **spec))

        cls.hub.apply(cls.workloads() + [
            cls.server("arm", "management.azure.com"),
            cls.server("arm-by-domain", "arm.contoso.example"),
            cls.server("arm-other-audience", "arm.other.example"),
            entra("deployer"),
            entra("deployer-by-domain", tenantId="contoso.onmicrosoft.com"),
            entra("other-audience", audience="api://other-exchange"),
            cls.policy("sales-to-arm", "deployer", "arm"),
            cls.policy("sales-to-arm-by-domain", "deployer-by-domain", "arm-by-domain"),
            cls.policy("sales-to-arm-other-audience", "other-audience", "arm-other-audience")])

    def entra_claims(self, token):
        """The claims of an access token the stand-in issued, its signature verified."""
        header, claims, signing_input, signature = common.parse_jwt(token)
        with OPENER.open(f"{self.entra.url}/{TENANT}/discovery/v2.0/keys", timeout=30) as r:
            keys = json.loads(r.read())["keys"]
        common.verify_signature(header, signing_input, signature, keys, ("RS256",))
        return claims

    def test_the_grant_is_the_access_token_entra_issued_and_is_cached(self):
        decision = self.access("pod/sales-analytics", "management.azure.com")
        self.assertEqual(decision["outcome"], "authorized", decision)
        credential = decision["grant"]["credential"]
        self.assertEqual(credential["type"], "azure")
        self.assertEqual(credential["tokenType"], "Bearer")
        self.assertTrue(credential["expiresAt"])
        claims = self.entra_claims(credential["accessToken"])
        self.assertEqual(claims["aud"], RESOURCE)
        self.assertEqual(claims["appid"], CLIENT)
        self.assertEqual(claims["tid"], TENANT)
        self.assertEqual(claims["roles"], ["Deployments.Write"])
        again = self.access("pod/sales-analytics", "management.azure.com")
        self.assertEqual(again["grant"]["credential"]["accessToken"], credential["accessToken"])

    def test_a_tenant_named_by_its_domain_works_too(self):
        decision = self.access("pod/sales-analytics", "arm.contoso.example")
        self.assertEqual(decision["outcome"], "authorized", decision)
        self.assertEqual(self.entra_claims(decision["grant"]["credential"]["accessToken"])["tid"],
                         TENANT)

    def test_a_workload_without_a_federated_credential_gets_aadsts70021(self):
        self.assert_refused(self.access("pod/billing", "management.azure.com"), "AADSTS70021")

    def test_an_audience_the_app_does_not_expect_gets_aadsts700212(self):
        self.assert_refused(self.access("pod/sales-analytics", "arm.other.example"),
                            "AADSTS700212")


if __name__ == "__main__":
    unittest.main(verbosity=2)
