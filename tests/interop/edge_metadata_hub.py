"""The edge's metadata endpoints end to end: `tessera hub` + `tessera edge` (real processes) and
unmodified SDKs, with no cloud key or secret anywhere.
- The hub brokers a GCP service-account token through the gcp-workload-identity provider
  (tests/standins/gcp_sts_iam.py plays Google STS and IAM Credentials) and an Entra access token
  through azure-entra-federation (tests/standins/entra_token.py), for the server workloads
  storage.googleapis.com:443 and management.azure.com:443. The edge only asks the hub for those
  targets; it never connects to them.
- The edge's metadata listener emulates the GCE metadata server and Azure managed identity (IMDS
  and App Service). npm google-auth-library gets the access token the stand-in issued for the
  service account (tokeninfo says whose), the project id and the service account's email (from
  the grant); @azure/identity ManagedIdentityCredential gets the Entra token for
  https://management.azure.com (its signature and claims verified against the stand-in's keys)
  through IMDS and through App Service.
- An edge whose pod token is pod/billing (no policy) gets errors naming the hub's reason.
- No token appears in the edge's or the hub's log.
The SDKs run with a minimal environment (fresh HOME, no proxy, no cloud configuration, no gcloud
on PATH), as in edge_metadata_interop.py. Environment: TESSERA_BIN, NODE_EXECUTABLE."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from edge_under_test import Edge  # noqa: E402
from hub_under_test import OPENER, GrantTest, free_port, jwt_in, obj  # noqa: E402
import standin_common as common  # noqa: E402  (tests/standins, on the path through hub_under_test)

NODE = os.environ.get("NODE_EXECUTABLE") or shutil.which("node")

PROJECT = "123456789"
POOL = "tessera-pool"
SA = "reports-reader@sales.iam.gserviceaccount.com"
TENANT = "8eaef023-2b34-4da1-9baa-8bc8c9d6a490"
CLIENT = "97e0a5b7-d745-40b6-94fe-5f77d35c6e05"
RESOURCE = "https://management.azure.com"
IDENTITY_HEADER = "e2e-identity-header-3f9a"


class EdgeMetadataHub(GrantTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        principal = (f"principal://iam.googleapis.com/projects/{PROJECT}/locations/global/"
                     f"workloadIdentityPools/{POOL}/subject/sales-analytics")
        cls.gcp = cls.standin("gcp_sts_iam.py", {
            "projectNumber": PROJECT,
            "providers": [{"pool": POOL, "provider": "tessera-hub", "issuerUri": cls.hub.url}],
            "serviceAccounts": {SA: [principal]}})
        cls.entra = cls.standin("entra_token.py", {
            "tenants": {TENANT: {"domains": ["contoso.onmicrosoft.com"], "apps": {CLIENT: {
                "roles": ["Deployments.Write"],
                "federatedIdentityCredentials": [{
                    "name": "tessera-hub", "issuer": cls.hub.url, "subject": "sales-analytics",
                    "audiences": ["api://AzureADTokenExchange"]}]}}}},
            "resources": [RESOURCE]})
        cls.hub.start()

        def policy(name, provider, server):
            return obj("AccessPolicy", name, {
                "clientWorkloads": ["sales-analytics"],
                "trustProviders": {"match": "any", "names": ["cluster"]},
                "credentialProvider": provider, "serverWorkload": server})

        cls.hub.apply(cls.workloads() + [
            cls.server("storage", "storage.googleapis.com"),
            cls.server("arm", "management.azure.com"),
            obj("CredentialProvider", "reports-reader", {
                "type": "gcp-workload-identity", "projectNumber": PROJECT, "poolId": POOL,
                "providerId": "tessera-hub", "serviceAccount": SA,
                "endpoint": cls.gcp.url + "/v1/token", "iamCredentialsEndpoint": cls.gcp.url}),
            obj("CredentialProvider", "deployer", {
                "type": "azure-entra-federation", "tenantId": TENANT, "clientId": CLIENT,
                "scope": RESOURCE + "/.default", "authorityHost": cls.entra.url}),
            policy("sales-to-storage", "reports-reader", "storage"),
            policy("sales-to-arm", "deployer", "arm")])

        cls.tokens = {name: cls.cluster.sign(cls.cluster.claims(f"pod/{name}", "tessera",
                                                                lifetime=3600))
                      for name in ("sales-analytics", "billing")}

        def edge(pod):
            port = free_port()
            yaml = (f"metadata:\n"
                    f"  listen: \"127.0.0.1:{port}\"\n"
                    f"  gce:\n"
                    f"    target: {{host: storage.googleapis.com, port: 443}}\n"
                    f"    projectId: sales-project\n"
                    f"    numericProjectId: \"{PROJECT}\"\n"
                    f"  azure:\n"
                    f"    resources:\n"
                    f"      - {{resource: \"{RESOURCE}\","
                    f" target: {{host: management.azure.com, port: 443}}}}\n"
                    f"    identityHeader: {IDENTITY_HEADER}\n")
            e = Edge(cls.hub, cls.tokens[pod], extra_yaml=yaml, proxy=False)
            cls.addClassCleanup(e.stop)
            e.start()
            return e, port

        cls.edge, cls.port = edge("sales-analytics")
        cls.billing_edge, cls.billing_port = edge("billing")

        cls.workdir = tempfile.mkdtemp(prefix="tessera-edge-meta-e2e-")
        cls.addClassCleanup(shutil.rmtree, cls.workdir, True)
        # PATH holds node only: google-auth-library would otherwise run `gcloud`.
        bindir = os.path.join(cls.workdir, "bin")
        os.mkdir(bindir)
        os.symlink(NODE, os.path.join(bindir, "node"))
        home = os.path.join(cls.workdir, "home")
        os.mkdir(home)
        cls.env = {"PATH": bindir, "HOME": home, "CLOUDSDK_CONFIG": os.path.join(home, "gcloud"),
                   "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
                   "HTTP_PROXY": "", "HTTPS_PROXY": "", "http_proxy": "", "https_proxy": "",
                   "LANG": "C.UTF-8"}

    def run_client(self, script, *args, expect_ok=True):
        done = subprocess.run([NODE, os.path.join(HERE, script), *args], env=self.env,
                              capture_output=True, text=True, timeout=240, cwd=HERE)
        lines = done.stdout.strip().splitlines()
        self.assertTrue(lines, f"no output from {script}: {done.stderr}")
        out = json.loads(lines[-1])
        self.assertEqual(out["ok"], expect_ok, f"{out}\n{done.stderr}")
        self.assertEqual(done.returncode, 0 if expect_ok else 1)
        return out

    def gcp_client(self, port, *args, expect_ok=True):
        return self.run_client("edge_metadata_gcp_client.mjs", "--host", f"127.0.0.1:{port}",
                               *args, expect_ok=expect_ok)

    def azure_client(self, *args, expect_ok=True):
        return self.run_client("edge_metadata_azure_client.mjs", "--scope",
                               RESOURCE + "/.default", *args, expect_ok=expect_ok)

    def entra_claims(self, token):
        """The claims of an access token the Entra stand-in issued, its signature verified."""
        header, claims, signing_input, signature = common.parse_jwt(token)
        with OPENER.open(f"{self.entra.url}/{TENANT}/discovery/v2.0/keys", timeout=30) as r:
            keys = json.loads(r.read())["keys"]
        common.verify_signature(header, signing_input, signature, keys, ("RS256",))
        return claims

    def check_entra_token(self, out):
        claims = self.entra_claims(out["token"])
        self.assertEqual(claims["aud"], RESOURCE)
        self.assertEqual(claims["appid"], CLIENT)
        self.assertEqual(claims["tid"], TENANT)
        self.assertEqual(claims["roles"], ["Deployments.Write"])
        # The SDK's expiry is the token's own (from the grant), not a guess.
        self.assertAlmostEqual(out["expiresOnTimestamp"] / 1000, claims["exp"], delta=5)
        self.assertGreater(out["expiresOnTimestamp"] / 1000, time.time() + 60)

    def test_1_google_auth_library_gets_the_service_accounts_token(self):
        out = self.gcp_client(self.port)
        with OPENER.open(self.gcp.url + "/tokeninfo?" + urllib.parse.urlencode(
                {"access_token": out["accessToken"]}), timeout=30) as r:
            info = json.loads(r.read())
        self.assertEqual(info["email"], SA)
        self.assertEqual(info["scope"], "https://www.googleapis.com/auth/cloud-platform")
        # The very token the hub brokered for this workload (the hub caches it).
        decision = self.hub.access(self.tokens["sales-analytics"], "storage.googleapis.com")
        self.assertEqual(decision["outcome"], "authorized", decision)
        self.assertEqual(out["accessToken"], decision["grant"]["credential"]["accessToken"])
        self.assertEqual(out["projectId"], "sales-project")
        # No serviceAccountEmail in edge.yaml: the email comes from the grant.
        self.assertEqual(out["email"], SA)

    def test_2_azure_identity_through_imds(self):
        self.check_entra_token(self.azure_client("--imds", f"http://127.0.0.1:{self.port}"))

    def test_2_azure_identity_through_app_service(self):
        out = self.azure_client("--identity-endpoint", f"http://127.0.0.1:{self.port}/msi/token",
                                "--identity-header", IDENTITY_HEADER)
        self.check_entra_token(out)
        decision = self.hub.access(self.tokens["sales-analytics"], "management.azure.com")
        self.assertEqual(out["token"], decision["grant"]["credential"]["accessToken"])

    def test_3_an_unauthorized_workload_gets_the_hubs_reason(self):
        decision = self.hub.access(self.tokens["billing"], "management.azure.com")
        self.assertEqual(decision["outcome"], "unauthorized", decision)
        out = self.azure_client("--imds", f"http://127.0.0.1:{self.billing_port}",
                                "--max-retries", "0", expect_ok=False)
        self.assertIn(decision["reason"], out["message"])
        out = self.gcp_client(self.billing_port, expect_ok=False)
        self.assertNotIn("ya29", json.dumps(out))

    def test_4_no_token_in_the_logs(self):
        self.assertIn("storage.googleapis.com", self.edge.log_text())
        sales = self.hub.access(self.tokens["sales-analytics"], "storage.googleapis.com")
        arm = self.hub.access(self.tokens["sales-analytics"], "management.azure.com")
        secrets = [sales["grant"]["credential"]["accessToken"],
                   arm["grant"]["credential"]["accessToken"], IDENTITY_HEADER, self.hub.edge,
                   self.hub.admin, *self.tokens.values()]
        for name, log in (("hub", self.hub.log_text()), ("edge", self.edge.log_text()),
                          ("billing edge", self.billing_edge.log_text())):
            self.assertTrue(log, f"the {name} log is empty")
            for secret in secrets:
                self.assertNotIn(secret, log, f"a credential in the {name} log")
            self.assertIsNone(jwt_in(log), f"a JWT in the {name} log")
            self.assertNotIn("ya29.", log, f"a Google access token in the {name} log")


if __name__ == "__main__":
    unittest.main(verbosity=2)
