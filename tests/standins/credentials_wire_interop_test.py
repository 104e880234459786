"""The src/credentials wire codecs against the stand-ins: credentials_wire_tool signs the
hub-style JWT with a local issuer's key, builds each request with the codecs, sends it with
net::HttpClient and reads the answer with the codecs. Successful exchanges come back with the
credentials, refusals with the Error code and retry verdict the codecs give them."""
import json
import os
import subprocess
import sys
import unittest

from cryptography.hazmat.primitives import serialization

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from aws_sts_front_test import setup_account  # noqa: E402
from standin_testing import LocalIssuer, StandIn  # noqa: E402

TOOL = os.environ["CREDENTIALS_WIRE_TOOL"]
PROJECT = "123456789"
POOL = f"//iam.googleapis.com/projects/{PROJECT}/locations/global/workloadIdentityPools/tessera-pool"
PROVIDER = POOL + "/providers/tessera-hub"
SA = "deployer@proj.iam.gserviceaccount.com"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
CLIENT = "97e0a5b7-d745-40b6-94fe-5f77d35c6e05"
SUBJECT = "k8s:prod/deployer"


class CredentialsWireInterop(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.issuer = LocalIssuer()
        cls.addClassCleanup(cls.issuer.close)
        cls.pem = cls.issuer.rsa.private_bytes(serialization.Encoding.PEM,
                                               serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()).decode()
        cls.aws_standin = StandIn("aws_sts_front.py", "--start-moto")
        cls.addClassCleanup(cls.aws_standin.stop)
        _, cls.role_arn = setup_account(cls.aws_standin.lines["MOTO"], cls.issuer,
                                        dict(aws_access_key_id="testing",
                                             aws_secret_access_key="testing"))
        principal = (f"principal://iam.googleapis.com/projects/{PROJECT}/locations/global/"
                     f"workloadIdentityPools/tessera-pool/subject/{SUBJECT}")
        cls.gcp_standin = StandIn("gcp_sts_iam.py", "--config-json", json.dumps({
            "projectNumber": PROJECT,
            "providers": [{"pool": "tessera-pool", "provider": "tessera-hub",
                           "issuerUri": cls.issuer.url}],
            "serviceAccounts": {SA: [principal]}}))
        cls.addClassCleanup(cls.gcp_standin.stop)
        cls.entra_standin = StandIn("entra_token.py", "--config-json", json.dumps({
            "tenants": {TENANT: {"apps": {CLIENT: {"federatedIdentityCredentials": [{
                "name": "hub", "issuer": cls.issuer.url, "subject": SUBJECT,
                "audiences": ["api://AzureADTokenExchange"]}]}}}},
            "resources": ["api://artifacts"]}))
        cls.addClassCleanup(cls.entra_standin.stop)

    def setUp(self):
        self.issuer.mode = "ok"

    def run_tool(self, provider, **fields):
        request = dict({"provider": provider, "privateKeyPem": self.pem, "kid": "rsa-1",
                        "issuer": self.issuer.url, "subject": SUBJECT}, **fields)
        r = subprocess.run([TOOL], input=json.dumps(request), capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def aws(self, **fields):
        return self.run_tool("aws", endpoint=self.aws_standin.url + "/", roleArn=self.role_arn,
                             **fields)

    def gcp(self, **fields):
        return self.run_tool("gcp", **dict({"stsEndpoint": self.gcp_standin.url + "/v1/token",
                                            "audience": PROVIDER, "iamBase": self.gcp_standin.url,
                                            "serviceAccount": SA}, **fields))

    def entra(self, **fields):
        return self.run_tool("entra", **dict({"authority": self.entra_standin.url, "tenant": TENANT,
                                              "clientId": CLIENT,
                                              "scope": "api://artifacts/.default"}, **fields))

    def test_aws_assume_role_with_web_identity(self):
        out = self.aws()
        self.assertTrue(out["ok"], out)
        self.assertTrue(out["accessKeyId"])
        self.assertTrue(out["secretAccessKey"].startswith("sha256:"))
        self.assertEqual(out["subjectFromWebIdentityToken"], SUBJECT)
        self.assertEqual(out["audience"], "sts.amazonaws.com")
        self.assertEqual(out["provider"], self.issuer.url)
        session = out["roleSessionName"]
        self.assertRegex(session, r"^k8s-prod-deployer-[0-9a-f]{8}$")
        self.assertTrue(out["assumedRoleArn"].endswith(f":assumed-role/deployer/{session}"))

    def test_aws_refusals_become_decision_errors(self):
        denied = self.aws(subject="k8s:dev/intruder")
        self.assertEqual((denied["ok"], denied["code"], denied["retryable"]),
                         (False, "permission_denied", False), denied)
        self.assertIn("AccessDenied", denied["message"])
        self.assertIn("trust policy", denied["message"])
        too_long = self.aws(durationSeconds=7200)
        self.assertEqual(too_long["code"], "config_invalid", too_long)
        self.assertIn("ValidationError", too_long["message"])
        self.issuer.mode = "down"
        unreachable = self.aws()
        self.assertEqual((unreachable["code"], unreachable["retryable"]), ("unavailable", True))
        self.assertIn("IDPCommunicationError", unreachable["message"])

    def test_aws_request_refused_before_sending(self):
        out = self.aws(durationSeconds=600)
        self.assertEqual((out["stage"], out["code"]), ("build", "invalid_argument"), out)

    def test_gcp_exchange_and_impersonation(self):
        out = self.gcp(lifetimeSeconds=1200)
        self.assertTrue(out["ok"], out)
        self.assertGreater(out["federatedExpiresIn"], 0)
        self.assertTrue(out["accessToken"].startswith("ya29."))

    def test_gcp_refusals_become_decision_errors(self):
        denied = self.gcp(subject="k8s:prod/other")
        self.assertEqual((denied["stage"], denied["code"], denied["retryable"]),
                         ("read", "permission_denied", False), denied)
        self.assertIn("PERMISSION_DENIED", denied["message"])
        self.assertIn("IAM_PERMISSION_DENIED", denied["message"])
        unknown = self.gcp(audience=POOL + "/providers/unknown")
        self.assertEqual(unknown["code"], "config_invalid", unknown)
        self.assertIn("invalid_target", unknown["message"])
        self.assertEqual(self.gcp(lifetimeSeconds=3601)["stage"], "build")

    def test_entra_client_credentials_with_a_federated_assertion(self):
        out = self.entra()
        self.assertTrue(out["ok"], out)
        self.assertEqual(out["tokenType"], "Bearer")
        self.assertEqual(out["expiresIn"], 3599)

    def test_entra_refusals_become_decision_errors(self):
        no_fic = self.entra(subject="k8s:prod/other")
        self.assertEqual((no_fic["code"], no_fic["retryable"]), ("permission_denied", False))
        self.assertIn("AADSTS70021", no_fic["message"])
        self.assertIn("trace id", no_fic["message"])
        self.assertEqual(self.entra(clientId="00000000-0000-0000-0000-000000000000")["code"],
                         "config_invalid")
        self.issuer.mode = "down"
        unreachable = self.entra()
        self.assertEqual((unreachable["code"], unreachable["retryable"]), ("unavailable", True))
        self.assertIn("AADSTS90061", unreachable["message"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
