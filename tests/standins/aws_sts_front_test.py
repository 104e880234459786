"""Self-test of aws_sts_front.py: a token signed by a local issuer is accepted the way AWS would
accept it (boto3 gets working credentials from moto through the front), and each check of
PROTOCOLS.md 1.5 refuses with AWS's own error code and HTTP status. A second case runs moto with
INITIAL_NO_AUTH_ACTION_COUNT so that it enforces SigV4 and IAM policies: the brokered role
credentials list the bucket the role may read and are refused on the other one."""
import json
import os
import sys
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

import boto3
import botocore.exceptions
from botocore import UNSIGNED
from botocore.config import Config
from cryptography.hazmat.primitives.asymmetric import rsa

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from standin_testing import LocalIssuer, Moto, StandIn, moto_admin_key  # noqa: E402

ACCOUNT = "123456789012"  # moto's default account
os.environ.update({"AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                   "AWS_EC2_METADATA_DISABLED": "true", "AWS_DEFAULT_REGION": "us-east-1"})
for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_STS", "AWS_ACCESS_KEY_ID",
             "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
    os.environ.pop(name, None)
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def trust_policy(provider_arn, provider_url, sub_pattern="k8s:prod/*"):
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": provider_arn},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {f"{provider_url}:aud": "sts.amazonaws.com"},
                      "StringLike": {f"{provider_url}:sub": sub_pattern}}}]})


def setup_account(moto_url, issuer, admin):
    """The IAM OIDC provider for the issuer and a role it may assume, as an AWS admin would."""
    iam = boto3.client("iam", endpoint_url=moto_url, region_name="us-east-1", **admin)
    provider_arn = iam.create_open_id_connect_provider(
        Url=issuer.url, ClientIDList=["sts.amazonaws.com"],
        ThumbprintList=["a" * 40])["OpenIDConnectProviderArn"]
    provider_url = issuer.url.split("://", 1)[1]
    role = iam.create_role(RoleName="deployer", MaxSessionDuration=3600,
                           AssumeRolePolicyDocument=trust_policy(provider_arn, provider_url))
    return iam, role["Role"]["Arn"]


class AwsStsFrontTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.issuer = LocalIssuer()
        cls.addClassCleanup(cls.issuer.close)
        cls.front = StandIn("aws_sts_front.py", "--start-moto", "--max-token-age", "3600")
        cls.addClassCleanup(cls.front.stop)
        cls.moto_url = cls.front.lines["MOTO"]
        admin = dict(aws_access_key_id="testing", aws_secret_access_key="testing")
        cls.iam, cls.role_arn = setup_account(cls.moto_url, cls.issuer, admin)

    def setUp(self):
        self.issuer.mode = "ok"

    def token(self, sub="k8s:prod/deployer", aud="sts.amazonaws.com", **kw):
        claims = self.issuer.claims(sub, aud)
        claims.update(kw.pop("claims", {}))
        for name in kw.pop("drop", ()):
            claims.pop(name)
        return self.issuer.sign(claims, **kw)

    def post(self, token, role_arn=None, **params):
        form = dict({"Action": "AssumeRoleWithWebIdentity", "Version": "2011-06-15",
                     "RoleArn": role_arn or self.role_arn, "RoleSessionName": "app1",
                     "WebIdentityToken": token}, **params)
        request = urllib.request.Request(
            self.front.url + "/", data=urllib.parse.urlencode(form).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
        try:
            with OPENER.open(request, timeout=30) as r:
                return r.status, ET.fromstring(r.read())
        except urllib.error.HTTPError as e:
            return e.code, ET.fromstring(e.read())

    def refused(self, token, code, status=400, message=None, **params):
        got_status, doc = self.post(token, **params)
        ns = {"s": "https://sts.amazonaws.com/doc/2011-06-15/"}
        self.assertEqual(doc.tag, "{https://sts.amazonaws.com/doc/2011-06-15/}ErrorResponse")
        self.assertEqual(doc.findtext("s:Error/s:Code", namespaces=ns), code)
        self.assertEqual(doc.findtext("s:Error/s:Type", namespaces=ns), "Sender")
        self.assertTrue(doc.findtext("s:RequestId", namespaces=ns))
        self.assertEqual(got_status, status)
        if message:
            self.assertIn(message, doc.findtext("s:Error/s:Message", namespaces=ns))

    def test_accepts_a_valid_token_through_boto3(self):
        sts = boto3.client("sts", endpoint_url=self.front.url, region_name="us-east-1",
                           config=Config(signature_version=UNSIGNED))
        answer = sts.assume_role_with_web_identity(
            RoleArn=self.role_arn, RoleSessionName="app1", WebIdentityToken=self.token(),
            DurationSeconds=900)
        creds = answer["Credentials"]
        self.assertTrue(creds["AccessKeyId"])
        self.assertEqual(answer["SubjectFromWebIdentityToken"], "k8s:prod/deployer")
        self.assertEqual(answer["Audience"], "sts.amazonaws.com")
        self.assertEqual(answer["Provider"], self.issuer.url)
        self.assertTrue(answer["AssumedRoleUser"]["Arn"].endswith(":assumed-role/deployer/app1"))
        # The credentials are moto's: GetCallerIdentity (passed through the front) knows them.
        me = boto3.client("sts", endpoint_url=self.front.url, region_name="us-east-1",
                          aws_access_key_id=creds["AccessKeyId"],
                          aws_secret_access_key=creds["SecretAccessKey"],
                          aws_session_token=creds["SessionToken"]).get_caller_identity()
        self.assertTrue(me["Arn"].endswith(":assumed-role/deployer/app1"), me["Arn"])

    def test_accepts_an_expiry_within_five_minutes_of_skew(self):
        now = int(time.time())
        status, _ = self.post(self.token(claims={"exp": now - 200, "iat": now - 500,
                                                 "nbf": now - 500}))
        self.assertEqual(status, 200)

    def test_boto3_sees_the_aws_error_code(self):
        sts = boto3.client("sts", endpoint_url=self.front.url, region_name="us-east-1",
                           config=Config(signature_version=UNSIGNED))
        with self.assertRaises(botocore.exceptions.ClientError) as caught:
            sts.assume_role_with_web_identity(RoleArn=self.role_arn, RoleSessionName="app1",
                                              WebIdentityToken=self.token(aud="other"))
        self.assertEqual(caught.exception.response["Error"]["Code"], "InvalidIdentityToken")

    def test_refuses_an_issuer_without_an_iam_oidc_provider(self):
        stranger = LocalIssuer()
        try:
            token = stranger.sign(stranger.claims("k8s:prod/deployer", "sts.amazonaws.com"))
            self.refused(token, "InvalidIdentityToken",
                         message=f"No OpenIDConnect provider found in your account for "
                                 f"{stranger.url}")
        finally:
            stranger.close()

    def test_refuses_a_wrong_audience(self):
        self.refused(self.token(aud="api://AzureADTokenExchange"), "InvalidIdentityToken",
                     message="Incorrect token audience")
        self.refused(self.token(aud=["a", "b"]), "InvalidIdentityToken")
        self.assertEqual(self.post(self.token(aud=["x", "sts.amazonaws.com"]))[0], 200)

    def test_refuses_expired_and_stale_tokens(self):
        now = int(time.time())
        self.refused(self.token(claims={"exp": now - 301}), "ExpiredTokenException",
                     message="Token expired: current date/time")
        self.refused(self.token(claims={"iat": now - 7200, "nbf": now - 7200}),
                     "ExpiredTokenException", message="Token too old")
        self.refused(self.token(claims={"nbf": now + 3600}), "InvalidIdentityToken")
        self.refused(self.token(claims={"iat": now + 3600}), "InvalidIdentityToken")
        self.refused(self.token(drop=["exp"]), "InvalidIdentityToken")
        self.refused(self.token(claims={"exp": str(now + 300)}), "InvalidIdentityToken",
                     message="integer")

    def test_refuses_a_token_without_sub(self):
        self.refused(self.token(drop=["sub"]), "InvalidIdentityToken", message="sub")

    def test_refuses_bad_keys_signatures_and_algorithms(self):
        keys_message = "Couldn't retrieve verification key from your identity provider"
        self.refused(self.token(kid="unknown"), "InvalidIdentityToken", message=keys_message)
        other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.refused(self.token(key=other), "InvalidIdentityToken", message="Signature")
        self.refused(self.token(alg="ES256"), "InvalidIdentityToken", message="ES256")
        self.refused(self.token(alg="none"), "InvalidIdentityToken")
        self.refused("not.a.jwt", "InvalidIdentityToken", message="not a valid JWT")

    def test_unreachable_issuer_is_an_idp_communication_error(self):
        self.issuer.mode = "down"
        self.refused(self.token(), "IDPCommunicationError")

    def test_unusable_discovery_is_an_invalid_identity_token(self):
        for mode in ("not-found", "wrong-issuer"):
            self.issuer.mode = mode
            self.refused(self.token(), "InvalidIdentityToken")

    def test_trust_policy_decides_with_access_denied(self):
        self.refused(self.token(sub="k8s:dev/deployer"), "AccessDenied", status=403,
                     message="Not authorized to perform sts:AssumeRoleWithWebIdentity")
        self.refused(self.token(), "AccessDenied", status=403,
                     role_arn=f"arn:aws:iam::{ACCOUNT}:role/nobody")

    def test_refuses_parameters_aws_would_refuse(self):
        self.refused(self.token(), "ValidationError", DurationSeconds="7200",
                     message="MaxSessionDuration")
        self.refused(self.token(), "ValidationError", DurationSeconds="899")
        self.refused(self.token(), "ValidationError", RoleSessionName="a b")
        self.refused("abc", "ValidationError")


class AwsStsFrontWithEnforcementTest(unittest.TestCase):
    """moto with INITIAL_NO_AUTH_ACTION_COUNT: IAM policies and SigV4 are enforced."""

    def test_brokered_role_credentials_obey_the_role_policy(self):
        issuer = LocalIssuer()
        self.addCleanup(issuer.close)
        # The first five actions (the admin's set-up below) are not authenticated.
        moto = Moto(env={"INITIAL_NO_AUTH_ACTION_COUNT": "5"})
        self.addCleanup(moto.stop)
        moto_url = moto.url
        key = moto_admin_key(moto_url)
        admin = dict(aws_access_key_id=key["AccessKeyId"],
                     aws_secret_access_key=key["SecretAccessKey"])
        iam, role_arn = setup_account(moto_url, issuer, admin)  # actions 4 and 5
        iam.put_role_policy(RoleName="deployer", PolicyName="read-artifacts",
                            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{
                                "Effect": "Allow", "Action": "s3:ListBucket",
                                "Resource": "arn:aws:s3:::artifacts"}]}))
        s3_admin = boto3.client("s3", endpoint_url=moto_url, region_name="us-east-1", **admin)
        s3_admin.create_bucket(Bucket="artifacts")
        s3_admin.create_bucket(Bucket="secrets")
        # The front needs the admin's key to read IAM and to sign what it forwards.
        front = StandIn("aws_sts_front.py", "--moto-url", moto_url, "--sign-forwarded",
                        "--access-key-id", key["AccessKeyId"],
                        "--secret-access-key", key["SecretAccessKey"])
        self.addCleanup(front.stop)

        sts = boto3.client("sts", endpoint_url=front.url, region_name="us-east-1",
                           config=Config(signature_version=UNSIGNED))
        creds = sts.assume_role_with_web_identity(
            RoleArn=role_arn, RoleSessionName="app1",
            WebIdentityToken=issuer.sign(issuer.claims("k8s:prod/deployer",
                                                       "sts.amazonaws.com")))["Credentials"]
        s3 = boto3.client("s3", endpoint_url=moto_url, region_name="us-east-1",
                          aws_access_key_id=creds["AccessKeyId"],
                          aws_secret_access_key=creds["SecretAccessKey"],
                          aws_session_token=creds["SessionToken"])
        self.assertEqual(s3.list_objects_v2(Bucket="artifacts")["KeyCount"], 0)
        with self.assertRaises(botocore.exceptions.ClientError) as caught:
            s3.list_objects_v2(Bucket="secrets")
        self.assertEqual(caught.exception.response["Error"]["Code"], "AccessDenied")


if __name__ == "__main__":
    unittest.main(verbosity=2)
