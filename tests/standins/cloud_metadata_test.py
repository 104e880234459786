"""Self-test of the cloud metadata stand-in (cloud_metadata.py): what the real IMDSv2, Azure IMDS
and GCE metadata server refuse, it refuses the same way; what it signs verifies with openssl."""
import base64
import datetime
import json
import os
import subprocess
import sys
import tempfile
import unittest
import urllib.error
import urllib.request

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import standin_common as common  # noqa: E402
from standin_testing import StandIn  # noqa: E402

OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
DOCUMENT = '{\n  "accountId" : "123456789012",\n  "region" : "us-east-1"\n}'


def call(url, method="GET", headers=None):
    """(status, body bytes, headers)."""
    request = urllib.request.Request(url, method=method, headers=headers or {},
                                     data=b"" if method == "PUT" else None)
    try:
        with OPENER.open(request, timeout=10) as r:
            return r.status, r.read(), r.headers
    except urllib.error.HTTPError as e:
        return e.code, e.read(), e.headers


def verified_content(der):
    """The content of a PKCS#7 SignedData whose signature openssl verifies (chain not checked)."""
    p = subprocess.run(["openssl", "smime", "-verify", "-noverify", "-inform", "DER", "-binary"],
                       input=der, capture_output=True)
    assert p.returncode == 0, p.stderr.decode()
    return p.stdout


class CloudMetadataStandIn(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        now = datetime.datetime.now(datetime.timezone.utc)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "metadata.azure.com")])
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                .public_key(key.public_key()).serial_number(1)
                .not_valid_before(now - datetime.timedelta(hours=1))
                .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
        cert_path = os.path.join(cls.tmp.name, "signer.crt")
        key_path = os.path.join(cls.tmp.name, "signer.key")
        with open(cert_path, "wb") as f:
            f.write(cert.public_bytes(serialization.Encoding.PEM))
        with open(key_path, "wb") as f:
            f.write(key.private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
        cls.key = key
        cls.standin = StandIn("cloud_metadata.py", "--config-json", json.dumps({
            "aws": {"document": DOCUMENT, "certificate": cert_path, "key": key_path,
                    "role": "web", "credentials": {"AccessKeyId": "ASIA1", "SecretAccessKey": "s",
                                                   "Token": "t",
                                                   "Expiration": "2030-01-01T00:00:00Z"}},
            "azure": {"attested": {"vmId": "vm-1", "subscriptionId": "sub-1"},
                      "certificate": cert_path, "key": key_path},
            "gce": {"issuer": "https://accounts.google.com", "key": key_path, "kid": "k1",
                    "email": "web@p.iam.gserviceaccount.com",
                    "computeEngine": {"project_id": "p", "instance_name": "web-1"}}}))
        cls.url = cls.standin.url

    @classmethod
    def tearDownClass(cls):
        cls.standin.stop()
        cls.tmp.cleanup()

    def token(self):
        status, body, _ = call(self.url + "/latest/api/token", "PUT",
                               {"X-aws-ec2-metadata-token-ttl-seconds": "60"})
        self.assertEqual(status, 200)
        return body.decode()

    def test_imdsv2_session_token_rules(self):
        ttl = {"X-aws-ec2-metadata-token-ttl-seconds": "60"}
        self.assertEqual(call(self.url + "/latest/api/token", "PUT")[0], 400)
        self.assertEqual(call(self.url + "/latest/api/token", "PUT",
                              {"X-aws-ec2-metadata-token-ttl-seconds": "21601"})[0], 400)
        self.assertEqual(call(self.url + "/latest/api/token", "PUT",
                              dict(ttl, **{"X-Forwarded-For": "10.0.0.9"}))[0], 403)
        self.assertEqual(call(self.url + "/2021-03-23/api/token", "PUT", ttl)[0], 403)
        document = self.url + "/latest/dynamic/instance-identity/document"
        self.assertEqual(call(document)[0], 401)
        self.assertEqual(call(document, headers={"X-aws-ec2-metadata-token": "forged"})[0], 401)

    def test_imdsv2_document_role_and_signature(self):
        h = {"X-aws-ec2-metadata-token": self.token()}
        status, document, _ = call(self.url + "/latest/dynamic/instance-identity/document",
                                   headers=h)
        self.assertEqual((status, document.decode()), (200, DOCUMENT))
        _, rsa2048, _ = call(self.url + "/latest/dynamic/instance-identity/rsa2048", headers=h)
        self.assertIn(b"\n", rsa2048)  # 64-column lines like IMDS
        self.assertEqual(verified_content(base64.b64decode(rsa2048)), document)
        _, role, _ = call(self.url + "/latest/meta-data/iam/security-credentials/", headers=h)
        self.assertEqual(role, b"web")
        _, creds, _ = call(self.url + "/latest/meta-data/iam/security-credentials/web", headers=h)
        creds = json.loads(creds)
        self.assertEqual((creds["Code"], creds["AccessKeyId"], creds["Type"]),
                         ("Success", "ASIA1", "AWS-HMAC"))

    def test_azure_attested_needs_metadata_header_and_signs_the_nonce(self):
        url = self.url + "/metadata/attested/document?api-version=2020-09-01&nonce=1764561000"
        self.assertEqual(call(url)[0], 400)
        self.assertEqual(call(url, headers={"Metadata": "true", "X-Forwarded-For": "1.2.3.4"})[0],
                         400)
        self.assertEqual(call(self.url + "/metadata/attested/document",
                              headers={"Metadata": "true"})[0], 400)
        status, body, _ = call(url, headers={"Metadata": "true"})
        self.assertEqual(status, 200)
        answer = json.loads(body)
        self.assertEqual(answer["encoding"], "pkcs7")
        attested = json.loads(verified_content(base64.b64decode(answer["signature"])))
        self.assertEqual((attested["nonce"], attested["vmId"]), ("1764561000", "vm-1"))
        self.assertRegex(attested["timeStamp"]["createdOn"],
                         r"^\d\d/\d\d/\d\d \d\d:\d\d:\d\d -0000$")

    def test_gce_identity_rules_and_claims(self):
        url = (self.url + "/computeMetadata/v1/instance/service-accounts/default/identity"
               "?audience=https://hub&format=full")
        self.assertEqual(call(url)[0], 403)
        self.assertEqual(call(url, headers={"Metadata-Flavor": "Google",
                                            "X-Forwarded-For": "1.2.3.4"})[0], 403)
        self.assertEqual(call(url.split("?")[0], headers={"Metadata-Flavor": "Google"})[0], 400)
        status, token, headers = call(url, headers={"Metadata-Flavor": "Google"})
        self.assertEqual((status, headers["Metadata-Flavor"]), (200, "Google"))
        header, claims, _, _ = common.parse_jwt(token.decode())
        self.assertEqual((header["alg"], header["kid"]), ("RS256", "k1"))
        self.assertEqual(claims["aud"], "https://hub")
        self.assertEqual(claims["google"]["compute_engine"]["instance_name"], "web-1")
        self.assertTrue(claims["email_verified"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
