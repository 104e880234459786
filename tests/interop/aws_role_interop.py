"""The aws-role trust provider against moto's STS, with requests signed by botocore.

Starts moto_server on a free loopback port, creates a role and a user, and has botocore sign
GetCallerIdentity with the X-Tessera-Server-ID header added before signing (the request is
captured, never sent by botocore). aws_role_tool then does what the hub does: checks the
request, replays it to moto with Tessera's HTTP client and reads the identity.
"""
import json
import os
import signal
import socket
import subprocess
import sys
import time
import unittest

import boto3
import botocore.session

TOOL = os.environ["AWS_ROLE_TOOL"]
SERVER_ID = "hub.interop.test"
ACCOUNT = "123456789012"  # moto's default account

# Only loopback traffic, and nothing from the developer's AWS configuration.
os.environ.update({
    "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
    "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true", "AWS_DEFAULT_REGION": "us-east-1",
})
for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_STS", "AWS_ACCESS_KEY_ID",
             "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "HTTP_PROXY", "HTTPS_PROXY",
             "http_proxy", "https_proxy"):
    os.environ.pop(name, None)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Captured(Exception):
    pass


def signed_get_caller_identity(endpoint, credentials, server_id):
    """The request botocore would send, with the server id header signed in."""
    session = botocore.session.get_session()
    client = session.create_client("sts", region_name="us-east-1", endpoint_url=endpoint,
                                   **credentials)
    captured = {}

    def add_server_id(request, **_):
        request.headers["X-Tessera-Server-ID"] = server_id

    def capture(request, **_):
        body = request.body
        captured.update(
            method=request.method, url=request.url,
            headers={k: v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()},
            body=body.decode() if isinstance(body, bytes) else (body or ""))
        raise Captured()

    client.meta.events.register("before-sign.sts.GetCallerIdentity", add_server_id)
    client.meta.events.register("before-send.sts.GetCallerIdentity", capture)
    try:
        client.get_caller_identity()
    except Captured:
        return captured
    raise AssertionError("botocore sent the request instead of handing it over")


class AwsRoleAgainstMoto(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        port = free_port()
        cls.endpoint = f"http://127.0.0.1:{port}"
        cls.moto = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1",
                                     "-p", str(port)], stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL, start_new_session=True)
        cls.addClassCleanup(cls.stop_moto)
        deadline = time.monotonic() + 30
        while True:
            if cls.moto.poll() is not None:
                raise RuntimeError("moto_server exited")
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

        admin = dict(endpoint_url=cls.endpoint, region_name="us-east-1",
                     aws_access_key_id="AKIAADMINEXAMPLE", aws_secret_access_key="admin-secret")
        iam = boto3.client("iam", **admin)
        trust = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": "sts:AssumeRole"}]}
        role = iam.create_role(RoleName="deployer", Path="/ci/",
                               AssumeRolePolicyDocument=json.dumps(trust))["Role"]
        cls.role_arn = role["Arn"]
        creds = boto3.client("sts", **admin).assume_role(
            RoleArn=cls.role_arn, RoleSessionName="ci-job-42")["Credentials"]
        cls.role_credentials = dict(aws_access_key_id=creds["AccessKeyId"],
                                    aws_secret_access_key=creds["SecretAccessKey"],
                                    aws_session_token=creds["SessionToken"])
        iam.create_user(UserName="alice", Path="/ops/")
        key = iam.create_access_key(UserName="alice")["AccessKey"]
        cls.user_credentials = dict(aws_access_key_id=key["AccessKeyId"],
                                    aws_secret_access_key=key["SecretAccessKey"])

    @classmethod
    def stop_moto(cls):
        if cls.moto.poll() is None:
            os.killpg(cls.moto.pid, signal.SIGTERM)
            try:
                cls.moto.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(cls.moto.pid, signal.SIGKILL)
                cls.moto.wait()

    def run_tool(self, request, spec=None):
        if spec is None:
            spec = {"stsEndpoints": [self.endpoint + "/"]}
        spec = dict(spec, type="aws-role")
        r = subprocess.run([TOOL, SERVER_ID, json.dumps(spec)], input=json.dumps(request),
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def test_decision_through_the_hub(self):
        """The whole path: tessera hub replays the edge's evidence to moto and authorizes."""
        import tempfile
        import urllib.request
        tessera = os.environ["TESSERA_BIN"]
        with tempfile.TemporaryDirectory() as work:
            port = free_port()
            hub_url = f"http://127.0.0.1:{port}"
            with open(os.path.join(work, "kek"), "w") as f:
                f.write(os.urandom(32).hex())
            os.chmod(os.path.join(work, "kek"), 0o600)
            config = os.path.join(work, "hub.yaml")
            with open(config, "w") as f:
                f.write(f"issuer: {hub_url}\nserver: {{listen: \"127.0.0.1:{port}\"}}\n"
                        "store: {sqlite: {path: hub.db}}\nkeyEncryptionKey: {file: kek}\n"
                        f"access: {{serverId: {SERVER_ID}}}\n")
            hub = subprocess.Popen([tessera, "hub", "--config", config],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                deadline = time.monotonic() + 30
                while True:
                    try:
                        urllib.request.urlopen(hub_url + "/readyz", timeout=1)
                        break
                    except OSError:
                        if time.monotonic() > deadline or hub.poll() is not None:
                            raise
                        time.sleep(0.1)

                def token(role):
                    return subprocess.run([tessera, "admin", "token", "create", "--config",
                                           config, "--role", role], check=True,
                                          capture_output=True, text=True).stdout.strip()

                def post(path, tok, body):
                    req = urllib.request.Request(hub_url + path, data=json.dumps(body).encode(),
                                                 headers={"Authorization": f"Bearer {tok}",
                                                          "Content-Type": "application/json"})
                    with urllib.request.urlopen(req, timeout=30) as r:
                        return json.loads(r.read())

                admin, edge = token("admin"), token("edge")

                def obj(kind, name, spec):
                    return {"apiVersion": "tessera.dev/v1", "kind": kind,
                            "metadata": {"name": name}, "spec": spec}
                post("/v1/apply", admin, {"objects": [
                    obj("TrustProvider", "aws-ci", {
                        "type": "aws-role", "stsEndpoints": [self.endpoint + "/"],
                        "rules": [{"attribute": "accountId", "equals": ACCOUNT}]}),
                    obj("ClientWorkload", "deployer",
                        {"match": {"attribute": "aws.roleName", "equals": "deployer"}}),
                    obj("ServerWorkload", "registry", {
                        "host": "registry.example.com", "port": 443, "protocol": "http",
                        "authentication": {"method": "bearer"}}),
                    obj("CredentialProvider", "registry-token",
                        {"type": "oidc-id-token", "audience": "registry"}),
                    obj("AccessPolicy", "deployer-to-registry", {
                        "clientWorkloads": ["deployer"],
                        "trustProviders": {"match": "any", "names": ["aws-ci"]},
                        "credentialProvider": "registry-token", "serverWorkload": "registry"})]})
                target = {"host": "registry.example.com", "port": 443, "protocol": "http"}

                evidence = signed_get_caller_identity(self.endpoint, self.role_credentials,
                                                      SERVER_ID)
                d = post("/v1/access", edge, {"evidence": {"awsGetCallerIdentity": evidence},
                                              "target": target})
                self.assertEqual(d["outcome"], "authorized", d)
                self.assertEqual(d["clientWorkload"], "deployer")
                self.assertEqual(d["identities"][0]["attributes"]["aws.sessionName"], "ci-job-42")

                # A user is verified, but is not the deployer role.
                evidence = signed_get_caller_identity(self.endpoint, self.user_credentials,
                                                      SERVER_ID)
                d = post("/v1/access", edge, {"evidence": {"awsGetCallerIdentity": evidence},
                                              "target": target})
                self.assertEqual(d["reasonCode"], "MatchRuleFailed", d)

                # Signed for another hub: refused before any replay.
                evidence = signed_get_caller_identity(self.endpoint, self.role_credentials,
                                                      "another-hub")
                d = post("/v1/access", edge, {"evidence": {"awsGetCallerIdentity": evidence},
                                              "target": target})
                self.assertEqual(d["reasonCode"], "InvalidEvidence", d)
                self.assertNotIn(evidence["headers"]["Authorization"], json.dumps(d))
            finally:
                hub.terminate()
                hub.wait(30)

    def test_botocore_targets_the_endpoint_url(self):
        request = signed_get_caller_identity(self.endpoint, self.role_credentials, SERVER_ID)
        self.assertEqual(request["method"], "POST")
        self.assertEqual(request["url"], self.endpoint + "/")
        self.assertIn("x-tessera-server-id", request["headers"]["Authorization"])

    def test_assumed_role_identity_from_moto(self):
        request = signed_get_caller_identity(self.endpoint, self.role_credentials, SERVER_ID)
        out = self.run_tool(request)
        self.assertTrue(out["ok"], out)
        arn = f"arn:aws:sts::{ACCOUNT}:assumed-role/deployer/ci-job-42"
        self.assertEqual(out["subject"], arn)
        attributes = out["attributes"]
        self.assertEqual(attributes["aws.arn"], arn)
        self.assertEqual(attributes["aws.accountId"], ACCOUNT)
        self.assertEqual(attributes["aws.roleName"], "deployer")
        self.assertEqual(attributes["aws.sessionName"], "ci-job-42")
        self.assertTrue(attributes["aws.userId"].endswith(":ci-job-42"))
        # The role's path (/ci/) is not in the assumed-role ARN, so roleArn has none.
        self.assertEqual(self.role_arn, f"arn:aws:iam::{ACCOUNT}:role/ci/deployer")
        self.assertEqual(attributes["aws.roleArn"], f"arn:aws:iam::{ACCOUNT}:role/deployer")

    def test_rules_on_role_name(self):
        request = signed_get_caller_identity(self.endpoint, self.role_credentials, SERVER_ID)
        endpoints = [self.endpoint + "/"]
        passing = self.run_tool(request, {"stsEndpoints": endpoints, "rules": [
            {"attribute": "roleName", "equals": "deployer"},
            {"attribute": "accountId", "equals": ACCOUNT},
            {"attribute": "sessionName", "glob": "ci-*"}]})
        self.assertTrue(passing["ok"], passing)
        failing = self.run_tool(request, {"stsEndpoints": endpoints, "rules": [
            {"attribute": "roleName", "equals": "admin"}]})
        self.assertFalse(failing["ok"])
        self.assertEqual(failing["code"], "trust_rule_failed")
        self.assertTrue(failing["replayed"])
        self.assertIn("roleName 'deployer', required: equals 'admin'", failing["message"])

    def test_iam_user_identity_from_moto(self):
        request = signed_get_caller_identity(self.endpoint, self.user_credentials, SERVER_ID)
        out = self.run_tool(request)
        self.assertTrue(out["ok"], out)
        self.assertEqual(out["subject"], f"arn:aws:iam::{ACCOUNT}:user/ops/alice")
        self.assertEqual(out["attributes"]["aws.userName"], "alice")
        self.assertNotIn("aws.roleName", out["attributes"])

    def test_request_for_another_server_is_refused_before_replay(self):
        request = signed_get_caller_identity(self.endpoint, self.role_credentials, "other-hub")
        out = self.run_tool(request)
        self.assertFalse(out["ok"])
        self.assertEqual(out["stage"], "prepare")
        self.assertFalse(out["replayed"])
        self.assertEqual(out["code"], "evidence_invalid")
        self.assertIn("X-Tessera-Server-ID 'other-hub' is not this hub's", out["message"])
        self.assertNotIn(request["headers"]["Authorization"].split("Signature=")[1], out["message"])

    def test_loopback_endpoint_must_be_configured(self):
        request = signed_get_caller_identity(self.endpoint, self.role_credentials, SERVER_ID)
        out = self.run_tool(request, {})
        self.assertFalse(out["ok"])
        self.assertEqual(out["stage"], "prepare")
        self.assertIn("is not an allowed STS endpoint", out["message"])

    def test_tampered_body_is_refused_before_replay(self):
        request = signed_get_caller_identity(self.endpoint, self.role_credentials, SERVER_ID)
        request["body"] = ("Action=AssumeRole&Version=2011-06-15&RoleSessionName=x"
                           f"&RoleArn={self.role_arn}")
        out = self.run_tool(request)
        self.assertFalse(out["ok"])
        self.assertEqual(out["stage"], "prepare")
        self.assertIn("body must be exactly", out["message"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
