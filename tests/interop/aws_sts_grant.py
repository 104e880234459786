#!/usr/bin/env python3
"""The aws-sts credential provider end to end, with no AWS secret anywhere.

moto runs with INITIAL_NO_AUTH_ACTION_COUNT, so it enforces SigV4 and IAM policies. An AWS admin
(set up in moto) registers `tessera hub` as an IAM OIDC provider and creates a role whose trust
policy admits the client workload "sales-analytics" and whose policy may list one bucket only.
moto's STS does not check web identity tokens, so tests/standins/aws_sts_front.py sits in front
of it and validates the hub's token as AWS does (discovery and JWKS at the hub's issuer, RS256,
aud, exp, sub, the trust policy).

A workload proves itself with a token from a local OIDC issuer; POST /v1/access returns a grant
with the role's session credentials; boto3 lists the bucket the role may read with them and is
refused on the other. A workload the role does not trust gets an `error` decision whose reason
names AWS's AccessDenied, and no credentials.
Environment: TESSERA_BIN.
"""
import base64
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

import boto3
import botocore.exceptions

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "standins"))
from standin_testing import LocalIssuer, Moto, StandIn  # noqa: E402

TESSERA = os.environ["TESSERA_BIN"]
os.environ.update({"AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                   "AWS_EC2_METADATA_DISABLED": "true", "AWS_DEFAULT_REGION": "us-east-1"})
for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_STS", "AWS_ACCESS_KEY_ID",
             "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
    os.environ.pop(name, None)
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def obj(kind, name, spec):
    return {"apiVersion": "tessera.dev/v1", "kind": kind, "metadata": {"name": name}, "spec": spec}


class AwsStsGrant(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.TemporaryDirectory()
        cls.addClassCleanup(cls.work.cleanup)
        cls.cluster = LocalIssuer()  # stands in for the workloads' identity issuer
        cls.addClassCleanup(cls.cluster.close)
        port = free_port()
        cls.hub_url = f"http://127.0.0.1:{port}"

        # moto enforcing SigV4 and IAM; the first five actions (the admin's set-up) are free.
        cls.moto = Moto(env={"INITIAL_NO_AUTH_ACTION_COUNT": "5"})
        cls.addClassCleanup(cls.moto.stop)
        bootstrap = dict(aws_access_key_id="testing", aws_secret_access_key="testing")
        iam = boto3.client("iam", endpoint_url=cls.moto.url, **bootstrap)
        iam.create_user(UserName="admin")
        iam.put_user_policy(UserName="admin", PolicyName="all", PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
        key = iam.create_access_key(UserName="admin")["AccessKey"]
        admin = dict(aws_access_key_id=key["AccessKeyId"],
                     aws_secret_access_key=key["SecretAccessKey"])
        iam = boto3.client("iam", endpoint_url=cls.moto.url, **admin)
        provider_arn = iam.create_open_id_connect_provider(
            Url=cls.hub_url, ClientIDList=["sts.amazonaws.com"],
            ThumbprintList=["a" * 40])["OpenIDConnectProviderArn"]
        hub_host = cls.hub_url.split("://", 1)[1]
        cls.role_arn = iam.create_role(RoleName="sales-analytics", AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Federated": provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {"StringEquals": {f"{hub_host}:aud": "sts.amazonaws.com",
                                               f"{hub_host}:sub": "sales-analytics"}}}]}))[
            "Role"]["Arn"]
        iam.put_role_policy(RoleName="sales-analytics", PolicyName="read-reports",
                            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{
                                "Effect": "Allow", "Action": "s3:ListBucket",
                                "Resource": "arn:aws:s3:::sales-reports"}]}))
        s3 = boto3.client("s3", endpoint_url=cls.moto.url, **admin)
        s3.create_bucket(Bucket="sales-reports")
        s3.put_object(Bucket="sales-reports", Key="q3.csv", Body=b"region,total\n")
        s3.create_bucket(Bucket="payroll")

        cls.front = StandIn("aws_sts_front.py", "--moto-url", cls.moto.url, "--sign-forwarded",
                            "--access-key-id", key["AccessKeyId"],
                            "--secret-access-key", key["SecretAccessKey"])
        cls.addClassCleanup(cls.front.stop)

        kek = os.path.join(cls.work.name, "kek")
        with open(kek, "w") as f:
            f.write(base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode())
        os.chmod(kek, 0o600)
        cls.config = os.path.join(cls.work.name, "hub.yaml")
        with open(cls.config, "w") as f:
            f.write(f"issuer: {cls.hub_url}\nserver: {{listen: \"127.0.0.1:{port}\"}}\n"
                    "store: {sqlite: {path: hub.db}}\nkeyEncryptionKey: {file: kek}\n")
        cls.hub_log = open(os.path.join(cls.work.name, "hub.log"), "w")
        cls.addClassCleanup(cls.hub_log.close)
        cls.hub = subprocess.Popen([TESSERA, "hub", "--config", cls.config],
                                   stdout=cls.hub_log, stderr=subprocess.STDOUT,
                                   cwd=cls.work.name)
        cls.addClassCleanup(cls.stop_hub)
        deadline = time.monotonic() + 30
        while True:
            try:
                OPENER.open(cls.hub_url + "/readyz", timeout=1)
                break
            except OSError:
                if time.monotonic() > deadline or cls.hub.poll() is not None:
                    raise
                time.sleep(0.1)
        cls.admin = cls.token("admin")
        cls.edge = cls.token("edge")
        cls.post("/v1/apply", cls.admin, {"objects": [
            obj("TrustProvider", "cluster", {"type": "oidc", "issuer": cls.cluster.url,
                                             "audiences": ["tessera"]}),
            obj("ClientWorkload", "sales-analytics",
                {"match": {"attribute": "oidc.sub", "equals": "pod/sales-analytics"}}),
            obj("ClientWorkload", "billing",
                {"match": {"attribute": "oidc.sub", "equals": "pod/billing"}}),
            obj("ServerWorkload", "s3", {"host": "s3.us-east-1.amazonaws.com", "port": 443,
                                         "protocol": "http",
                                         "authentication": {"method": "aws-sigv4"}}),
            obj("CredentialProvider", "sales-role", {
                "type": "aws-sts", "roleArn": cls.role_arn, "endpoint": cls.front.url,
                "durationSeconds": 900}),
            obj("AccessPolicy", "sales-to-s3", {
                "clientWorkloads": ["sales-analytics", "billing"],
                "trustProviders": {"match": "any", "names": ["cluster"]},
                "credentialProvider": "sales-role", "serverWorkload": "s3"})]})

    @classmethod
    def stop_hub(cls):
        cls.hub.terminate()
        cls.hub.wait(30)

    @classmethod
    def token(cls, role):
        return subprocess.run([TESSERA, "admin", "token", "create", "--config", cls.config,
                               "--role", role], check=True, capture_output=True, text=True,
                              cwd=cls.work.name).stdout.strip()

    @classmethod
    def post(cls, path, token, body):
        request = urllib.request.Request(cls.hub_url + path, data=json.dumps(body).encode(),
                                         headers={"Authorization": f"Bearer {token}",
                                                  "Content-Type": "application/json"})
        try:
            with OPENER.open(request, timeout=60) as r:
                return json.loads(r.read())
        except urllib.error.HTTPError as e:
            raise AssertionError(f"{path}: HTTP {e.code}: {e.read().decode()}") from None

    def access(self, sub):
        pod_token = self.cluster.sign(self.cluster.claims(sub, "tessera"))
        return self.post("/v1/access", self.edge, {
            "evidence": {"tokens": [pod_token]},
            "target": {"host": "s3.us-east-1.amazonaws.com", "port": 443, "protocol": "http"}})

    def test_brokered_credentials_obey_the_role_policy(self):
        decision = self.access("pod/sales-analytics")
        self.assertEqual(decision["outcome"], "authorized", decision)
        grant = decision["grant"]
        credential = grant["credential"]
        self.assertEqual(credential["type"], "aws")
        self.assertTrue(credential["accessKeyId"])
        self.assertEqual(grant["injection"]["method"], "aws-sigv4")
        self.assertIn("assumed-role/sales-analytics/", credential["assumedRoleArn"])
        s3 = boto3.client("s3", endpoint_url=self.moto.url,
                          aws_access_key_id=credential["accessKeyId"],
                          aws_secret_access_key=credential["secretAccessKey"],
                          aws_session_token=credential["sessionToken"])
        listed = s3.list_objects_v2(Bucket="sales-reports")
        self.assertEqual([o["Key"] for o in listed["Contents"]], ["q3.csv"])
        with self.assertRaises(botocore.exceptions.ClientError) as refused:
            s3.list_objects_v2(Bucket="payroll")
        self.assertEqual(refused.exception.response["Error"]["Code"], "AccessDenied")
        # The grant is cached: the same workload gets the same session again.
        again = self.access("pod/sales-analytics")
        self.assertEqual(again["grant"]["credential"]["accessKeyId"], credential["accessKeyId"])

    def test_a_workload_the_role_does_not_trust_gets_aws_reason_and_no_credential(self):
        decision = self.access("pod/billing")
        self.assertEqual(decision["outcome"], "error", decision)
        self.assertEqual(decision["reasonCode"], "ProviderError")
        self.assertIn("AccessDenied", decision["reason"])
        self.assertNotIn("grant", decision)
        with open(self.hub_log.name) as f:
            log = f.read()
        self.assertNotIn("eyJ", log, "no token in the hub's log")


if __name__ == "__main__":
    unittest.main(verbosity=2)
