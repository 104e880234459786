"""The edge's metadata emulators against unmodified SDKs.

Usage: edge_metadata_interop.py aws_boto3 | gcp_google_auth | azure_identity

Starts edge_metadata_tool (EDGE_METADATA_TOOL) on 127.0.0.1:0 with fixed grants and runs the
client scripts beside this file against it: boto3 through AWS_CONTAINER_CREDENTIALS_FULL_URI,
google-auth-library through GCE_METADATA_HOST, @azure/identity through IMDS
(AZURE_POD_IDENTITY_AUTHORITY_HOST) and App Service (IDENTITY_ENDPOINT/IDENTITY_HEADER). The
clients run with a minimal environment (a fresh HOME, no proxy, no cloud configuration, no
gcloud on PATH), so no SDK can fall back to a real metadata address or a developer's credentials.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOOL = os.environ["EDGE_METADATA_TOOL"]
NODE = os.environ.get("NODE_EXECUTABLE") or shutil.which("node")

AWS_TOKEN = "interop-aws-token"
FILE_TOKEN = "interop-file-token"
IDENTITY_HEADER = "interop-identity-header"
GCP_EMAIL = "reader@interop-project.iam.gserviceaccount.com"
ID_TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL3J1bi5leGFtcGxlIn0.c2ln"


def target(host):
    return {"host": host, "port": 443, "protocol": "http"}


CONFIG = {
    "grants": {
        "s3.amazonaws.com": {"type": "aws", "expiresInSeconds": 3600, "fields": {
            "accessKeyId": "ASIAINTEROPEXAMPLE", "secretAccessKey": "interop/secret+key",
            "sessionToken": "interop-session-token",
            "assumedRoleArn": "arn:aws:sts::123456789012:assumed-role/reader/tessera"}},
        "storage.googleapis.com": {"type": "gcp", "expiresInSeconds": 1800, "fields": {
            "accessToken": "ya29.interop-gcp", "tokenType": "Bearer"}},
        "run.example": {"type": "id-token", "expiresInSeconds": 600,
                        "fields": {"token": ID_TOKEN}},
        "vault.azure.net": {"type": "azure", "expiresInSeconds": 3600, "fields": {
            "accessToken": "eyJ.interop-azure", "tokenType": "Bearer"}},
        "denied.example": {"error": "permission_denied",
                           "message": "no_policy: no access policy matched (context c-1)"},
    },
    "aws": {"target": target("s3.amazonaws.com"), "authorizationToken": AWS_TOKEN},
    "gce": {"target": target("storage.googleapis.com"), "serviceAccountEmail": GCP_EMAIL,
            "projectId": "interop-project", "numericProjectId": "123456789",
            "identityAudiences": [{"audience": "https://run.example",
                                   "target": target("run.example")}]},
    "azure": {"resources": [
        {"resource": "https://vault.azure.net", "target": target("vault.azure.net")},
        {"resource": "https://denied.example", "target": target("denied.example")}],
        "clientId": "5e29463d-0000-4afe-9504-59967a63f810",
        "appServicePath": "/msi/token", "identityHeader": IDENTITY_HEADER},
}


class MetadataTool:
    """edge_metadata_tool with CONFIG, stopped by closing its stdin."""

    def __init__(self, workdir):
        token_file = os.path.join(workdir, "aws-token")
        with open(token_file, "w") as f:
            f.write(FILE_TOKEN)  # no newline: botocore sends the file's bytes verbatim
        self.token_file = token_file
        config = json.loads(json.dumps(CONFIG))
        config["aws"]["authorizationTokenFile"] = token_file
        config_file = os.path.join(workdir, "config.json")
        with open(config_file, "w") as f:
            json.dump(config, f)
        self.process = subprocess.Popen([TOOL, config_file], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()
        if not line.startswith("PORT="):
            self.stop()
            raise RuntimeError(f"edge_metadata_tool did not start: {line!r}")
        self.port = int(line.strip().split("=", 1)[1])

    def stop(self):
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class MetadataInterop(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.workdir = tempfile.mkdtemp(prefix="tessera-edge-meta-")
        # PATH holds node and python only: google-auth-library would otherwise run `gcloud`.
        bindir = os.path.join(cls.workdir, "bin")
        os.mkdir(bindir)
        os.symlink(NODE, os.path.join(bindir, "node"))
        home = os.path.join(cls.workdir, "home")
        os.mkdir(home)
        cls.env = {"PATH": bindir, "HOME": home, "CLOUDSDK_CONFIG": os.path.join(home, "gcloud"),
                   "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
                   "HTTP_PROXY": "", "HTTPS_PROXY": "", "http_proxy": "", "https_proxy": "",
                   "LANG": "C.UTF-8"}
        cls.tool = MetadataTool(cls.workdir)
        cls.base = f"http://127.0.0.1:{cls.tool.port}"

    @classmethod
    def tearDownClass(cls):
        cls.tool.stop()
        shutil.rmtree(cls.workdir, ignore_errors=True)
        # A clean exit on stdin EOF (and, in the ASan build, no sanitizer report).
        if cls.tool.process.returncode != 0:
            raise RuntimeError(f"edge_metadata_tool exited with {cls.tool.process.returncode}")

    def run_client(self, argv, expect_ok=True):
        started = time.monotonic()
        done = subprocess.run(argv, env=self.env, capture_output=True, text=True, timeout=240,
                              cwd=HERE)
        lines = done.stdout.strip().splitlines()
        self.assertTrue(lines, f"no output from {argv}: {done.stderr}")
        out = json.loads(lines[-1])
        self.assertEqual(out["ok"], expect_ok, f"{out}\n{done.stderr}")
        self.assertEqual(done.returncode, 0 if expect_ok else 1)
        out["seconds"] = time.monotonic() - started
        return out


class AwsBoto3(MetadataInterop):
    def client(self, *args, expect_ok=True):
        return self.run_client([sys.executable, os.path.join(HERE, "edge_metadata_aws_client.py"),
                                "--uri", f"{self.base}/aws/credentials", *args],
                               expect_ok=expect_ok)

    def check_grant(self, out):
        self.assertEqual(out["accessKeyId"], "ASIAINTEROPEXAMPLE")
        self.assertEqual(out["secretAccessKey"], "interop/secret+key")
        self.assertEqual(out["token"], "interop-session-token")
        self.assertEqual(out["method"], "container-role")

    def test_token_from_the_environment(self):
        out = self.client("--token", AWS_TOKEN)
        self.check_grant(out)
        if out.get("accountId") is not None:  # botocore versions that read AccountId
            self.assertEqual(out["accountId"], "123456789012")

    def test_token_from_a_file(self):
        self.check_grant(self.client("--token-file", self.tool.token_file))

    def test_wrong_token_is_a_botocore_error(self):
        out = self.client("--token", "not-the-token", expect_ok=False)
        self.assertEqual(out["errorType"], "CredentialRetrievalError")
        self.assertIn("403", out["message"])
        self.assertIn("does not match", out["message"])
        self.assertNotIn("interop", out["message"])


class GcpGoogleAuth(MetadataInterop):
    def client(self, *args, expect_ok=True):
        return self.run_client([NODE, os.path.join(HERE, "edge_metadata_gcp_client.mjs"),
                                "--host", f"127.0.0.1:{self.tool.port}", *args],
                               expect_ok=expect_ok)

    def test_access_token_project_and_email(self):
        out = self.client()
        self.assertEqual(out["accessToken"], "ya29.interop-gcp")
        self.assertEqual(out["projectId"], "interop-project")
        self.assertEqual(out["email"], GCP_EMAIL)

    def test_identity_token_for_a_configured_audience(self):
        out = self.client("--audience", "https://run.example")
        self.assertEqual(out["idToken"], ID_TOKEN)

    def test_identity_token_for_an_unknown_audience_is_refused(self):
        out = self.client("--audience", "https://unknown.example", expect_ok=False)
        self.assertIn("404", out["message"] + str(out.get("status")))


class AzureIdentity(MetadataInterop):
    def client(self, scope, *args, expect_ok=True):
        return self.run_client([NODE, os.path.join(HERE, "edge_metadata_azure_client.mjs"),
                                "--scope", scope, *args], expect_ok=expect_ok)

    def check_token(self, out):
        self.assertEqual(out["token"], "eyJ.interop-azure")
        # The grant lasts an hour: the SDK's expiry comes from our expires_on.
        remaining = out["expiresOnTimestamp"] / 1000 - time.time()
        self.assertGreater(remaining, 3500)
        self.assertLess(remaining, 3601)

    def test_imds(self):
        self.check_token(self.client("https://vault.azure.net/.default", "--imds", self.base))

    def test_app_service(self):
        self.check_token(self.client("https://vault.azure.net/.default", "--identity-endpoint",
                                     f"{self.base}/msi/token", "--identity-header",
                                     IDENTITY_HEADER))

    def test_app_service_with_a_wrong_header_fails(self):
        out = self.client("https://vault.azure.net/.default", "--identity-endpoint",
                          f"{self.base}/msi/token", "--identity-header", "wrong",
                          "--max-retries", "0", expect_ok=False)
        self.assertIn("X-IDENTITY-HEADER", out["message"])

    def test_imds_unknown_resource_fails(self):
        out = self.client("https://management.azure.com/.default", "--imds", self.base,
                          "--max-retries", "0", expect_ok=False)
        self.assertIn("not configured on this Tessera edge", out["message"])

    def test_imds_refused_grant_names_the_reason(self):
        out = self.client("https://denied.example/.default", "--imds", self.base,
                          "--max-retries", "0", expect_ok=False)
        self.assertIn("no access policy matched", out["message"])


SUITES = {"aws_boto3": AwsBoto3, "gcp_google_auth": GcpGoogleAuth,
          "azure_identity": AzureIdentity}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in SUITES:
        sys.exit(f"usage: {sys.argv[0]} {' | '.join(SUITES)}")
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(SUITES[sys.argv[1]])
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    sys.exit(0 if result.wasSuccessful() else 1)
