"""The edge's cloud evidence end to end: `tessera hub` + `tessera edge` beside VMs played by the
cloud metadata stand-in (tests/standins/cloud_metadata.py: IMDSv2, Azure IMDS, GCE metadata),
curl through the edge proxy as the workload.
- AWS: the instance identity document (rsa2048 by a test "AWS" certificate the hub pins) and a
  GetCallerIdentity signed with the instance role's credentials — real moto keys of an assumed
  role — which the hub's aws-role provider replays to moto (allowlisted on loopback).
- Azure: attested data signed by a leaf "metadata.azure.com" under a test CA, nonce = Unix time.
- GCP: an identity token (format=full) signed by a LocalIssuer standing in for Google.
Each server workload is reached with the injected bearer only when its cloud's evidence matches;
a VM whose document names another account is refused with 403 and the hub says why; the edge
never logs the role's credentials or the signed request. Environment: TESSERA_BIN."""
import datetime
import json
import os
import sys
import tempfile
import unittest

import boto3
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from edge_under_test import Edge, RecordingUpstream, curl  # noqa: E402
from hub_under_test import GrantTest, jwt_in, obj  # noqa: E402
from standin_testing import LocalIssuer, Moto, StandIn  # noqa: E402

SERVER_ID = "tessera-hub-interop"
ACCOUNT = "123456789012"  # moto's account
OTHER_ACCOUNT = "999988887777"
AUDIENCE = "https://tessera.hub.test"
SECRETS = {"aws": "aws-bearer-3c1d", "azure": "azure-bearer-8e2f", "gcp": "gcp-bearer-51aa"}


def write_pem(directory, name, data):
    path = os.path.join(directory, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def certificate(subject, key, issuer=None, issuer_key=None, ca=False, dns=None):
    now = datetime.datetime.now(datetime.timezone.utc)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    builder = (x509.CertificateBuilder().subject_name(name)
               .issuer_name(issuer.subject if issuer else name).public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(hours=1))
               .not_valid_after(now + datetime.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if dns:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(dns)]),
                                        critical=False)
    return builder.sign(issuer_key or key, hashes.SHA256())


def key_pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def cert_pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


def document(account, instance):
    # Compact and in IMDS's member order; the signature covers these exact bytes.
    return json.dumps({"accountId": account, "architecture": "x86_64",
                       "availabilityZone": "us-east-1a", "imageId": "ami-0abcdef1234567890",
                       "instanceId": instance, "instanceType": "t3.micro",
                       "pendingTime": "2026-11-30T10:00:00Z", "privateIp": "10.0.1.23",
                       "region": "us-east-1", "version": "2017-09-30"}, indent=2)


class EdgeCloudEvidence(GrantTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tmp = tempfile.TemporaryDirectory()
        cls.addClassCleanup(cls.tmp.cleanup)
        d = cls.tmp.name

        # The test PKI: a pinned "AWS" RSA-2048 certificate, an Azure CA with its signer leaf.
        aws_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        aws_cert = certificate("ec2.amazonaws.com test", aws_key)
        azure_ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        azure_ca = certificate("Azure test root CA", azure_ca_key, ca=True)
        azure_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        azure_leaf = certificate("metadata.azure.com", azure_key, azure_ca, azure_ca_key,
                                 dns="metadata.azure.com")
        cls.google = LocalIssuer()
        cls.addClassCleanup(cls.google.close)
        files = {
            "aws.crt": cert_pem(aws_cert), "aws.key": key_pem(aws_key),
            "azure.crt": cert_pem(azure_leaf), "azure.key": key_pem(azure_key),
            "google.key": key_pem(cls.google.rsa),
        }
        paths = {name: write_pem(d, name, data) for name, data in files.items()}

        # moto as STS: the instance role is an assumed role with real moto keys.
        cls.moto = Moto()
        cls.addClassCleanup(cls.moto.stop)
        admin = dict(endpoint_url=cls.moto.url, region_name="us-east-1",
                     aws_access_key_id="AKIAADMINEXAMPLE", aws_secret_access_key="admin-secret")
        trust = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole"}]}
        role_arn = boto3.client("iam", **admin).create_role(
            RoleName="web-instance", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        creds = boto3.client("sts", **admin).assume_role(
            RoleArn=role_arn, RoleSessionName="i-0123456789abcdef0")["Credentials"]
        cls.role_secret = creds["SecretAccessKey"]
        cls.role_token = creds["SessionToken"]
        instance_credentials = {
            "AccessKeyId": creds["AccessKeyId"], "SecretAccessKey": creds["SecretAccessKey"],
            "Token": creds["SessionToken"],
            "Expiration": creds["Expiration"].astimezone(datetime.timezone.utc)
            .strftime("%Y-%m-%dT%H:%M:%SZ")}

        def vm(account, instance):
            return cls.standin("cloud_metadata.py", {
                "aws": {"document": document(account, instance), "certificate": paths["aws.crt"],
                        "key": paths["aws.key"], "role": "web-instance",
                        "credentials": instance_credentials},
                "azure": {"attested": {"vmId": "5c08b38e-4d57-4c23-ac45-aca61037f084",
                                       "subscriptionId": "8d10da13-8125-4ba9-a717-bf7490507b3d",
                                       "sku": "22_04-lts-gen2", "licenseType": "",
                                       "plan": {"name": "", "product": "", "publisher": ""}},
                          "certificate": paths["azure.crt"], "key": paths["azure.key"]},
                "gce": {"issuer": cls.google.url, "key": paths["google.key"], "kid": "rsa-1",
                        "email": "web@proj-1.iam.gserviceaccount.com",
                        "computeEngine": {"project_id": "proj-1", "project_number": 716149158341,
                                          "zone": "us-central1-a",
                                          "instance_id": "4340508760561261530",
                                          "instance_name": "web-1"}}})

        cls.vm = vm(ACCOUNT, "i-0123456789abcdef0")
        cls.other_vm = vm(OTHER_ACCOUNT, "i-0fedcba9876543210")

        cls.upstreams = {cloud: RecordingUpstream() for cloud in SECRETS}
        for upstream in cls.upstreams.values():
            cls.addClassCleanup(upstream.close)
        cls.hub.extra_config = f"access: {{serverId: \"{SERVER_ID}\"}}\n"
        cls.hub.start()

        def server(cloud):
            return obj("ServerWorkload", f"{cloud}-api", {
                "host": "localhost", "port": cls.upstreams[cloud].port, "protocol": "http",
                "tls": {"enabled": False}, "authentication": {"method": "bearer"}})

        def match(*pairs):
            return {"match": {"all": [{"attribute": a, "equals": v} for a, v in pairs]}}

        def policy(cloud, client, providers):
            return obj("AccessPolicy", f"{cloud}-api", {
                "clientWorkloads": [client],
                "trustProviders": {"match": "all", "names": providers},
                "credentialProvider": f"{cloud}-secret", "serverWorkload": f"{cloud}-api"})

        objects = [
            obj("TrustProvider", "aws-role", {"type": "aws-role",
                                              "stsEndpoints": [cls.moto.url + "/"]}),
            obj("TrustProvider", "aws-document", {"type": "aws-instance-identity",
                                                  "certificates": [files["aws.crt"].decode()]}),
            obj("TrustProvider", "azure-vm", {"type": "azure-attested",
                                              "caCertificates": [cert_pem(azure_ca).decode()]}),
            obj("TrustProvider", "gce-vm", {"type": "gcp-identity", "issuer": cls.google.url,
                                            "audiences": [AUDIENCE]}),
            obj("ClientWorkload", "web-ec2", match(("aws.accountId", ACCOUNT),
                                                   ("aws.roleName", "web-instance"),
                                                   ("aws.region", "us-east-1"))),
            obj("ClientWorkload", "web-azure",
                match(("azure.subscriptionId", "8d10da13-8125-4ba9-a717-bf7490507b3d"))),
            obj("ClientWorkload", "web-gce", match(("gcp.projectId", "proj-1"),
                                                   ("gcp.instanceName", "web-1"))),
        ]
        for cloud in SECRETS:
            objects.append(obj("CredentialProvider", f"{cloud}-secret", {
                "type": "static-secret", "secretType": "bearer-token", "value": SECRETS[cloud]}))
            objects.append(server(cloud))
        objects += [policy("aws", "web-ec2", ["aws-role", "aws-document"]),
                    policy("azure", "web-azure", ["azure-vm"]),
                    policy("gcp", "web-gce", ["gce-vm"])]
        cls.hub.apply(objects)

        def edge(standin):
            e = Edge(cls.hub, "unused", evidence=(
                "{hostFacts: true, "
                f"awsImds: {{endpoint: \"{standin.url}\", region: us-east-1, "
                f"stsEndpoint: \"{cls.moto.url}\", serverId: \"{SERVER_ID}\"}}, "
                f"azureImds: {{endpoint: \"{standin.url}\"}}, "
                f"gceMetadata: {{endpoint: \"{standin.url}\", audience: \"{AUDIENCE}\"}}}}"))
            cls.addClassCleanup(e.stop)
            e.start()
            return e

        cls.edge = edge(cls.vm)
        cls.other_edge = edge(cls.other_vm)

    def get(self, edge, cloud):
        return curl("-x", f"http://127.0.0.1:{edge.proxy_port}", "-i",
                    f"http://localhost:{self.upstreams[cloud].port}/items")

    def test_1_each_cloud_gets_its_bearer(self):
        for cloud, secret in SECRETS.items():
            with self.subTest(cloud=cloud):
                code, out, err = self.get(self.edge, cloud)
                self.assertEqual(code, 0, err)
                self.assertIn(" 200 ", out.splitlines()[0], out + self.hub.log_text())
                seen = json.loads(out.split("\n\n", 1)[1])
                self.assertEqual(seen["headers"]["authorization"], f"Bearer {secret}")

    def test_2_another_account_is_refused(self):
        before = len(self.upstreams["aws"].requests)
        code, out, err = self.get(self.other_edge, "aws")
        self.assertEqual(code, 0, err)
        self.assertIn(" 403 ", out.splitlines()[0], out)
        # Refused for the account: the role evidence verified, the client workload did not match.
        self.assertIn("Tessera-Error: permission_denied", out)
        self.assertIn("aws.accountId", out, out)
        self.assertEqual(len(self.upstreams["aws"].requests), before, "nothing reached the upstream")
        # The same VM's Azure and GCE evidence still hold: only the document differs.
        code, out, _ = self.get(self.other_edge, "gcp")
        self.assertIn(" 200 ", out.splitlines()[0], out)

    def test_3_no_credential_in_the_logs(self):
        for log in (self.edge.log_text(), self.other_edge.log_text(), self.hub.log_text()):
            for secret in [self.role_secret, self.role_token, *SECRETS.values()]:
                self.assertNotIn(secret, log)
            self.assertNotIn("Signature=", log)
            self.assertIsNone(jwt_in(log))
        self.assertNotIn("left out", self.edge.log_text())


if __name__ == "__main__":
    unittest.main(verbosity=2)
