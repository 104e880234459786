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
import json
import os
import sys
import unittest

import boto3
import botocore.exceptions

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "standins"))
from standin_testing import Moto, StandIn, moto_admin_key  # noqa: E402
from hub_under_test import GrantTest, obj  # noqa: E402

os.environ.update({"AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                   "AWS_EC2_METADATA_DISABLED": "true", "AWS_DEFAULT_REGION": "us-east-1"})
for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_STS", "AWS_ACCESS_KEY_ID",
             "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
    os.environ.pop(name, None)


class AwsStsGrant(GrantTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.hub_url = cls.hub.url

        # moto enforcing SigV4 and IAM; the first five actions (the admin's set-up) are free.
        cls.moto = Moto(env={"INITIAL_NO_AUTH_ACTION_COUNT": "5"})
        cls.addClassCleanup(cls.moto.stop)
        key = moto_admin_key(cls.moto.url)
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

        cls.hub.start()
        cls.hub.apply(cls.workloads() + [
            cls.server("s3", "s3.us-east-1.amazonaws.com", method="aws-sigv4"),
            obj("CredentialProvider", "sales-role", {
                "type": "aws-sts", "roleArn": cls.role_arn, "endpoint": cls.front.url,
                "durationSeconds": 900}),
            cls.policy("sales-to-s3", "sales-role", "s3")])

    def access(self, sub):
        return super().access(sub, "s3.us-east-1.amazonaws.com")

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
        self.assert_refused(self.access("pod/billing"), "AccessDenied")


if __name__ == "__main__":
    unittest.main(verbosity=2)
