#!/usr/bin/env python3
"""Real AWS clients through `tessera hub` + `tessera edge`, with no AWS secret in the workload.

moto runs with INITIAL_NO_AUTH_ACTION_COUNT, so it enforces SigV4 and IAM policies. As in
aws_sts_grant.py, an AWS admin (set up in moto) registers the hub as an IAM OIDC provider and
creates the role "sales-analytics", which may read and write the bucket sales-reports and not the
bucket payroll; tests/standins/aws_sts_front.py checks the hub's web identity token as AWS does.
The server workload is moto itself (host localhost, moto's port): moto speaks plain HTTP, the
workload speaks HTTPS to the edge, which decrypts with its CA, re-signs SigV4 with the grant's
session credentials and forwards in plain HTTP.

- awscli (`aws s3 ls --recursive`, `aws s3 cp` up and down of a 12 MB file: a multipart upload
  through s3transfer whose parts go as STREAMING-UNSIGNED-PAYLOAD-TRAILER aws-chunked bodies)
  with placeholder keys, HTTPS_PROXY=the edge and AWS_CA_BUNDLE=the edge CA works; the role's
  policy still applies (payroll: AccessDenied); without the edge the placeholder keys are refused
  (moto enforces). `aws s3 ls` without --recursive sends delimiter=%2F, whose signature moto
  5.x gets wrong even for real keys: a test records that it is moto, not the edge.
- boto3 with no proxy at all and no keys reads the container credentials endpoint the edge
  emulates (AWS_CONTAINER_CREDENTIALS_FULL_URI + AWS_CONTAINER_AUTHORIZATION_TOKEN) and reaches
  moto with the role's session.
- STREAMING-AWS4-HMAC-SHA256-PAYLOAD uploads (aws-chunked, every chunk signed; with
  Content-Length, and with Transfer-Encoding: chunked and a signed CRC32 trailer), which no
  client here sends on its own (botocore never does): made by this test with botocore's SigV4
  signer for the seed, through the proxy. moto does not check chunk signatures, so a relay
  between the edge and moto (a second server workload) verifies every re-signed chunk and the
  trailer with the grant's secret, then moto checks the seed and stores the data.
- neither the edge's log nor the hub's holds the grant's secret access key or session token, the
  container endpoint's token, or a JWT.
Environment: TESSERA_BIN.
"""
import base64
import hashlib
import hmac
import http.client
import http.server
import io
import json
import os
import secrets
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading
import unittest
import urllib.request
import zlib

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.credentials

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "standins"))
sys.path.insert(0, HERE)
from standin_testing import Moto, StandIn, moto_admin_key  # noqa: E402
from edge_under_test import Edge  # noqa: E402
from hub_under_test import OPENER, GrantTest, free_port, jwt_in, obj  # noqa: E402

BIG_BYTES = 12 * 1024 * 1024  # above s3transfer's 8 MiB multipart threshold: two parts
AWS = (os.path.join(os.path.dirname(sys.executable), "aws")
       if os.path.exists(os.path.join(os.path.dirname(sys.executable), "aws"))
       else shutil.which("aws"))


def clean_environment(home):
    """os.environ without any AWS_* or proxy variable, with a fresh HOME (no ~/.aws) and no
    instance metadata lookups."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AWS_") and "proxy" not in k.lower()}
    env.update({"HOME": home, "AWS_EC2_METADATA_DISABLED": "true"})
    return env


class VerifyingRelay:
    """A plain-HTTP server workload between the edge and moto: keeps the head and the raw body of
    every request as the edge sent it (so the test can check chunk signatures, which moto does
    not), forwards it to moto byte for byte (moto checks the seed signature and the session
    token) and relays moto's answer."""

    def __init__(self, moto_port):
        self.requests = []
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def handle_any(self):
                if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
                    body = b""
                    while True:
                        size = int(self.rfile.readline().split(b";")[0], 16)
                        body += self.rfile.read(size)
                        self.rfile.readline()
                        if size == 0:
                            break
                else:
                    body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = [(k, v) for k, v in self.headers.items()
                           if k.lower() not in ("transfer-encoding", "connection")]
                outer.requests.append({"method": self.command, "path": self.path,
                                       "headers": {k.lower(): v for k, v in headers},
                                       "body": body})
                moto = http.client.HTTPConnection("127.0.0.1", moto_port, timeout=60)
                moto.putrequest(self.command, self.path, skip_host=True,
                                skip_accept_encoding=True)
                for k, v in headers:
                    if k.lower() != "content-length":
                        moto.putheader(k, v)
                moto.putheader("Content-Length", str(len(body)))
                moto.endheaders(body)
                answer = moto.getresponse()
                data = answer.read()
                self.send_response(answer.status)
                for k, v in answer.getheaders():
                    if k.lower() not in ("content-length", "transfer-encoding", "connection",
                                         "server", "date"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                moto.close()

            do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = handle_any

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def signing_key(secret, date, region, service):
    key = ("AWS4" + secret).encode()
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def streaming_request(url, data, chunk_size, access_key, secret, trailer=False):
    """A STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER] PUT as the S3 specification (and the SDKs
    that send it, e.g. the AWS SDK for Java over http) makes it: the seed signature by botocore's
    SigV4 signer over a head that states the streaming mode, then every chunk (and the trailing
    CRC32 checksum) signed in turn. Without a trailer the head states Content-Length; with one
    it does not (the body goes with Transfer-Encoding: chunked). Returns (headers, body)."""
    chunks = [data[i:i + chunk_size] for i in range(0, len(data), chunk_size)] + [b""]
    mode = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" + ("-TRAILER" if trailer else "")
    headers = {"Content-Encoding": "aws-chunked", "Content-Type": "application/octet-stream",
               "X-Amz-Content-SHA256": mode, "X-Amz-Decoded-Content-Length": str(len(data))}
    if trailer:
        headers["X-Amz-Trailer"] = "x-amz-checksum-crc32"
    else:
        headers["Content-Length"] = str(sum(len(f"{len(c):x};chunk-signature=") + 64 + 4 + len(c)
                                            for c in chunks))
    request = botocore.awsrequest.AWSRequest(method="PUT", url=url, headers=headers)
    botocore.auth.SigV4Auth(botocore.credentials.Credentials(access_key, secret), "s3",
                            "us-east-1").add_auth(request)
    headers = dict(request.headers.items())
    seed = headers["Authorization"].split("Signature=")[1]
    scope = headers["Authorization"].split("Credential=")[1].split(",")[0].split("/", 1)[1]
    key = signing_key(secret, *scope.split("/")[:3])
    previous, body = seed, b""
    for chunk in chunks:
        previous = hmac.new(key, "\n".join([
            "AWS4-HMAC-SHA256-PAYLOAD", headers["X-Amz-Date"], scope, previous,
            hashlib.sha256(b"").hexdigest(), hashlib.sha256(chunk).hexdigest()]).encode(),
            hashlib.sha256).hexdigest()
        body += f"{len(chunk):x};chunk-signature={previous}\r\n".encode() + chunk
        if chunk or not trailer:
            body += b"\r\n"
    if trailer:
        crc = base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()
        canonical = f"x-amz-checksum-crc32:{crc}\n"
        signature = hmac.new(key, "\n".join([
            "AWS4-HMAC-SHA256-TRAILER", headers["X-Amz-Date"], scope, previous,
            hashlib.sha256(canonical.encode()).hexdigest()]).encode(), hashlib.sha256).hexdigest()
        body += (f"x-amz-checksum-crc32:{crc}\r\nx-amz-trailer-signature:{signature}\r\n"
                 "\r\n").encode()
    else:
        assert len(body) == int(headers["Content-Length"])
    return headers, body


def verify_chunk_signatures(test, headers, body, secret):
    """Checks every chunk signature of an aws-chunked body against the seed signature in its
    Authorization header, with `secret` (the S3 streaming-signature specification, read
    independently of the C++ code). Returns the decoded data."""
    authorization = headers["authorization"]
    seed = authorization.split("Signature=")[1]
    scope = authorization.split("Credential=")[1].split(",")[0].split("/", 1)[1]
    date, region, service, _ = scope.split("/")
    key = signing_key(secret, date, region, service)
    previous, data, chunks = seed, b"", 0
    stream = io.BytesIO(body)
    while True:
        line = stream.readline()
        test.assertTrue(line.endswith(b"\r\n"), line)
        size_text, _, extension = line[:-2].decode().partition(";")
        size = int(size_text, 16)
        chunk = stream.read(size)
        expected = hmac.new(key, "\n".join([
            "AWS4-HMAC-SHA256-PAYLOAD", headers["x-amz-date"], scope, previous,
            hashlib.sha256(b"").hexdigest(), hashlib.sha256(chunk).hexdigest()]).encode(),
            hashlib.sha256).hexdigest()
        test.assertEqual(extension, "chunk-signature=" + expected, f"chunk {chunks}")
        previous, data, chunks = expected, data + chunk, chunks + 1
        trailer = headers["x-amz-content-sha256"].endswith("-TRAILER")
        if size == 0 and trailer:
            break
        test.assertEqual(stream.read(2), b"\r\n")
        if size == 0:
            break
    if trailer:
        trailers = []
        while True:
            line = stream.readline()[:-2].decode()
            name, _, value = line.partition(":")
            if name == "x-amz-trailer-signature":
                break
            trailers.append(f"{name.lower()}:{value.strip()}\n")
        test.assertEqual(len(trailers), 1)
        canonical = "".join(sorted(trailers))
        expected = hmac.new(key, "\n".join([
            "AWS4-HMAC-SHA256-TRAILER", headers["x-amz-date"], scope, previous,
            hashlib.sha256(canonical.encode()).hexdigest()]).encode(), hashlib.sha256).hexdigest()
        test.assertEqual(value, expected, "trailer signature")
        test.assertEqual(stream.read(), b"\r\n")
    test.assertEqual(stream.read(), b"")
    return data, chunks


class EdgeAws(GrantTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tmp = tempfile.TemporaryDirectory()
        cls.addClassCleanup(cls.tmp.cleanup)

        # moto enforcing SigV4 and IAM; the first five actions (the admin's set-up) are free.
        cls.moto = Moto(env={"INITIAL_NO_AUTH_ACTION_COUNT": "5"})
        cls.addClassCleanup(cls.moto.stop)
        cls.moto_port = int(cls.moto.url.rsplit(":", 1)[1])
        key = moto_admin_key(cls.moto.url)
        admin = dict(aws_access_key_id=key["AccessKeyId"],
                     aws_secret_access_key=key["SecretAccessKey"], region_name="us-east-1")
        iam = boto3.client("iam", endpoint_url=cls.moto.url, **admin)
        provider_arn = iam.create_open_id_connect_provider(
            Url=cls.hub.url, ClientIDList=["sts.amazonaws.com"],
            ThumbprintList=["a" * 40])["OpenIDConnectProviderArn"]
        hub_host = cls.hub.url.split("://", 1)[1]
        cls.role_arn = iam.create_role(
            RoleName="sales-analytics", AssumeRolePolicyDocument=json.dumps({
                "Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow", "Principal": {"Federated": provider_arn},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {"StringEquals": {f"{hub_host}:aud": "sts.amazonaws.com",
                                                   f"{hub_host}:sub": "sales-analytics"}}}]}))[
            "Role"]["Arn"]
        iam.put_role_policy(RoleName="sales-analytics", PolicyName="sales-reports",
                            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{
                                "Effect": "Allow", "Action": "s3:*",
                                "Resource": ["arn:aws:s3:::sales-reports",
                                             "arn:aws:s3:::sales-reports/*"]}]}))
        cls.admin_s3 = boto3.client("s3", endpoint_url=cls.moto.url, **admin)
        cls.admin_s3.create_bucket(Bucket="sales-reports")
        cls.admin_s3.put_object(Bucket="sales-reports", Key="q3.csv", Body=b"region,total\n")
        cls.admin_s3.create_bucket(Bucket="payroll")
        cls.admin_s3.put_object(Bucket="payroll", Key="salaries.csv", Body=b"name,salary\n")

        cls.front = StandIn("aws_sts_front.py", "--moto-url", cls.moto.url, "--sign-forwarded",
                            "--access-key-id", key["AccessKeyId"],
                            "--secret-access-key", key["SecretAccessKey"])
        cls.addClassCleanup(cls.front.stop)

        cls.relay = VerifyingRelay(cls.moto_port)
        cls.addClassCleanup(cls.relay.close)

        cls.hub.start()
        cls.hub.apply(cls.workloads() + [
            obj("ServerWorkload", "moto-s3", {
                "host": "localhost", "port": cls.moto_port, "protocol": "http",
                "tls": {"enabled": False, "decrypt": True},
                "authentication": {"method": "aws-sigv4"}}),
            obj("CredentialProvider", "sales-role", {
                "type": "aws-sts", "roleArn": cls.role_arn, "endpoint": cls.front.url,
                "durationSeconds": 900}),
            obj("AccessPolicy", "sales-to-s3", {
                "clientWorkloads": ["sales-analytics"],
                "trustProviders": {"match": "any", "names": ["cluster"]},
                "credentialProvider": "sales-role", "serverWorkload": "moto-s3"}),
            obj("ServerWorkload", "verified-s3", {
                "host": "localhost", "port": cls.relay.port, "protocol": "http",
                "tls": {"enabled": False, "decrypt": True},
                "authentication": {"method": "aws-sigv4"}}),
            obj("AccessPolicy", "sales-to-verified-s3", {
                "clientWorkloads": ["sales-analytics"],
                "trustProviders": {"match": "any", "names": ["cluster"]},
                "credentialProvider": "sales-role", "serverWorkload": "verified-s3"})])

        cls.pod_token = cls.cluster.sign(cls.cluster.claims("pod/sales-analytics", "tessera",
                                                            lifetime=3600))
        cls.metadata_port = free_port()
        cls.metadata_token = "container-token-" + secrets.token_hex(8)
        cls.edge = Edge(cls.hub, cls.pod_token, extra_yaml=(
            f"metadata:\n"
            f"  listen: \"127.0.0.1:{cls.metadata_port}\"\n"
            f"  aws:\n"
            f"    path: /aws/credentials\n"
            f"    target: {{host: localhost, port: {cls.moto_port}}}\n"
            f"    authorizationToken: \"{cls.metadata_token}\"\n"))
        cls.addClassCleanup(cls.edge.stop)
        cls.edge.start()
        cls.edge.wait_for_routes(1)
        cls.endpoint = f"https://localhost:{cls.moto_port}"

    # --- helpers -----------------------------------------------------------------------------

    def aws(self, *args, proxy=True, endpoint=None):
        """The awscli with placeholder keys, through the edge (HTTPS_PROXY, AWS_CA_BUNDLE) or
        straight to moto; returns the CompletedProcess."""
        home = tempfile.mkdtemp(dir=self.tmp.name)
        env = clean_environment(home)
        env.update({"AWS_ACCESS_KEY_ID": "placeholder", "AWS_SECRET_ACCESS_KEY": "placeholder",
                    "AWS_DEFAULT_REGION": "us-east-1", "NO_PROXY": "", "no_proxy": ""})
        if proxy:
            env.update({"HTTPS_PROXY": f"http://127.0.0.1:{self.edge.proxy_port}",
                        "AWS_CA_BUNDLE": self.edge.ca_file})
        endpoint = endpoint or (self.endpoint if proxy else f"http://localhost:{self.moto_port}")
        return subprocess.run([AWS, *args, "--endpoint-url", endpoint], capture_output=True,
                              text=True, env=env, cwd=home, timeout=300)

    def assert_ok(self, p):
        self.assertEqual(p.returncode, 0, f"stdout:\n{p.stdout}\nstderr:\n{p.stderr}\n"
                         f"edge log tail:\n{self.edge.log_text()[-3000:]}")

    def metric(self, name):
        for line in self.edge.metrics().splitlines():
            if line.startswith(name + " ") or line.startswith(name + "{"):
                return float(line.rsplit(" ", 1)[1])
        return 0.0

    def container_credentials(self):
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.metadata_port}/aws/credentials",
            headers={"Authorization": self.metadata_token})
        with OPENER.open(request, timeout=30) as r:
            return json.loads(r.read())

    # --- awscli through the proxy ------------------------------------------------------------

    def test_1_aws_s3_ls_through_the_edge(self):
        decrypted = self.metric("tessera_edge_tls_decrypted_total")
        p = self.aws("s3", "ls", "s3://sales-reports/", "--recursive")
        self.assert_ok(p)
        self.assertRegex(p.stdout, r"\b13 q3\.csv\b")
        self.assertGreater(self.metric("tessera_edge_tls_decrypted_total"), decrypted)
        self.assertIn('tessera_edge_injections_total{method="aws-sigv4"}', self.edge.metrics())

    def test_1_aws_s3_ls_with_a_delimiter_fails_at_moto_not_at_the_edge(self):
        # `aws s3 ls s3://bucket` (no --recursive) sends delimiter=%2F; moto 5.x computes the
        # signature of such a query differently from botocore and refuses it even with the
        # admin's real keys and no edge at all. Either the edge's request lists the bucket, or
        # moto refuses the same command made with real keys straight to it in the same way.
        p = self.aws("s3", "ls", "s3://sales-reports")
        if p.returncode == 0:
            self.assertRegex(p.stdout, r"\b13 q3\.csv\b")
            return
        self.assertIn("SignatureDoesNotMatch", p.stderr)
        credentials = self.admin_s3._request_signer._credentials
        env = clean_environment(tempfile.mkdtemp(dir=self.tmp.name))
        env.update({"AWS_ACCESS_KEY_ID": credentials.access_key,
                    "AWS_SECRET_ACCESS_KEY": credentials.secret_key,
                    "AWS_DEFAULT_REGION": "us-east-1"})
        direct = subprocess.run([AWS, "s3", "ls", "s3://sales-reports", "--endpoint-url",
                                 self.moto.url], capture_output=True, text=True, env=env,
                                timeout=120)
        self.assertNotEqual(direct.returncode, 0, direct.stdout)
        self.assertIn("SignatureDoesNotMatch", direct.stderr)
        print("\nnote: moto refuses `aws s3 ls` with a delimiter even with real keys "
              "(SignatureDoesNotMatch); the tests list with --recursive", file=sys.stderr)

    def test_2_the_role_policy_still_applies(self):
        p = self.aws("s3", "ls", "s3://payroll/", "--recursive")
        self.assertNotEqual(p.returncode, 0, p.stdout)
        self.assertIn("AccessDenied", p.stderr)
        self.assertNotIn("salaries.csv", p.stdout)

    def test_2_without_the_edge_placeholder_keys_are_refused(self):
        p = self.aws("s3", "ls", "s3://sales-reports/", "--recursive", proxy=False)
        self.assertNotEqual(p.returncode, 0, p.stdout)
        self.assertIn("InvalidAccessKeyId", p.stderr)
        self.assertNotIn("q3.csv", p.stdout)

    def test_3_multipart_upload_and_download_of_12_mb(self):
        source = os.path.join(self.tmp.name, "big.bin")
        data = os.urandom(BIG_BYTES)
        with open(source, "wb") as f:
            f.write(data)
        p = self.aws("s3", "cp", source, "s3://sales-reports/big.bin", "--debug")
        self.assert_ok(p)
        # s3transfer split it: a multipart upload of two parts, and the content hashes botocore
        # stated (an aws-chunked body with a trailing checksum over HTTPS).
        self.assertIn("CreateMultipartUpload", p.stderr)
        self.assertEqual(p.stderr.count("OperationModel(name=UploadPart)"), 2)
        modes, operation = {}, None
        for line in p.stderr.splitlines():
            if "Making request for OperationModel(name=" in line:
                operation = line.split("OperationModel(name=", 1)[1].split(")", 1)[0]
            elif "Sending http request" in line and "X-Amz-Content-SHA256': b'" in line:
                mode = line.split("X-Amz-Content-SHA256': b'", 1)[1].split("'", 1)[0]
                modes.setdefault(operation, set()).add("sha256-hex" if len(mode) == 64 and
                                                       "-" not in mode else mode)
        print(f"\nawscli x-amz-content-sha256 per operation: {modes}", file=sys.stderr)
        # botocore over HTTPS: the parts as aws-chunked bodies with an unsigned trailing
        # checksum, passed through by the edge under a re-signed head.
        self.assertEqual(modes["UploadPart"], {"STREAMING-UNSIGNED-PAYLOAD-TRAILER"})
        # What moto stored is what the client had.
        stored = self.admin_s3.get_object(Bucket="sales-reports", Key="big.bin")["Body"].read()
        self.assertEqual(hashlib.sha256(stored).hexdigest(), hashlib.sha256(data).hexdigest())
        target = os.path.join(self.tmp.name, "big.back")
        decrypted = self.metric("tessera_edge_tls_decrypted_total")
        p = self.aws("s3", "cp", "s3://sales-reports/big.bin", target)
        self.assert_ok(p)
        self.assertGreater(self.metric("tessera_edge_tls_decrypted_total"), decrypted)
        with open(target, "rb") as f:
            self.assertEqual(hashlib.sha256(f.read()).hexdigest(),
                             hashlib.sha256(data).hexdigest())

    # --- boto3 and the container credentials endpoint, no proxy ------------------------------

    def test_4_boto3_with_the_container_credentials_endpoint_and_no_proxy(self):
        home = tempfile.mkdtemp(dir=self.tmp.name)
        env = clean_environment(home)
        env.update({
            "AWS_CONTAINER_CREDENTIALS_FULL_URI":
                f"http://127.0.0.1:{self.metadata_port}/aws/credentials",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN": self.metadata_token,
            "AWS_DEFAULT_REGION": "us-east-1"})
        script = (
            "import json, boto3, botocore.config, botocore.exceptions\n"
            "session = boto3.Session()\n"
            "out = {'method': session.get_credentials().method}\n"
            f"s3 = session.client('s3', endpoint_url='http://localhost:{self.moto_port}',\n"
            "    config=botocore.config.Config(s3={'addressing_style': 'path'}))\n"
            "out['keys'] = [o['Key'] for o in\n"
            "    s3.list_objects_v2(Bucket='sales-reports').get('Contents', [])]\n"
            "try:\n"
            "    s3.list_objects_v2(Bucket='payroll')\n"
            "    out['payroll'] = 'listed'\n"
            "except botocore.exceptions.ClientError as e:\n"
            "    out['payroll'] = e.response['Error']['Code']\n"
            "print(json.dumps(out))\n")
        requests_before = self.metric("tessera_edge_connections_total")
        p = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                           env=env, cwd=home, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        out = json.loads(p.stdout)
        self.assertEqual(out["method"], "container-role")
        self.assertIn("q3.csv", out["keys"])
        self.assertEqual(out["payroll"], "AccessDenied")
        # Straight to moto: nothing went through the edge's proxy.
        self.assertEqual(self.metric("tessera_edge_connections_total"), requests_before)

    # --- STREAMING-AWS4-HMAC-SHA256-PAYLOAD ------------------------------------------------

    def test_5_streaming_signed_uploads_are_resigned_chunk_by_chunk(self):
        # With Content-Length, and with Transfer-Encoding: chunked and a signed CRC32 trailer
        # (the proxy decodes the client's framing, re-signs, and frames again).
        for trailer in (False, True):
            with self.subTest(trailer=trailer):
                self.streaming_upload(trailer)

    def streaming_upload(self, trailer):
        data = os.urandom(3 * 1024 * 1024 + 1000)
        key = "streamed-trailer.bin" if trailer else "streamed.bin"
        authority = f"localhost:{self.relay.port}"
        headers, body = streaming_request(f"https://{authority}/sales-reports/{key}", data,
                                          1024 * 1024, "AKIDPLACEHOLDER0000", "placeholder",
                                          trailer=trailer)
        context = ssl.create_default_context(cafile=self.edge.ca_file)
        connection = http.client.HTTPSConnection("127.0.0.1", self.edge.proxy_port,
                                                 context=context, timeout=120)
        connection.set_tunnel("localhost", self.relay.port)
        connection.putrequest("PUT", f"/sales-reports/{key}", skip_host=True,
                              skip_accept_encoding=True)
        connection.putheader("Host", authority)
        for name, value in headers.items():
            connection.putheader(name, value)
        if trailer:
            connection.putheader("Transfer-Encoding", "chunked")
            connection.endheaders()
            for i in range(0, len(body), 100_000):  # framing unrelated to the aws chunks
                piece = body[i:i + 100_000]
                connection.send(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            connection.send(b"0\r\n\r\n")
        else:
            connection.endheaders(body)
        answer = connection.getresponse()
        answer_body = answer.read()
        connection.close()
        self.assertEqual(answer.status, 200, answer_body)

        # What the edge sent: the grant's session, every chunk signed again from the new seed.
        grant = self.hub.access(self.pod_token, "localhost", self.relay.port)["grant"]["credential"]
        sent = self.relay.requests[-1]
        self.assertEqual(sent["method"], "PUT")
        self.assertEqual(sent["headers"]["x-amz-content-sha256"],
                         headers["X-Amz-Content-SHA256"])
        self.assertIn(f"Credential={grant['accessKeyId']}/", sent["headers"]["authorization"])
        self.assertEqual(sent["headers"]["x-amz-security-token"], grant["sessionToken"])
        self.assertEqual(len(sent["body"]), len(body))
        self.assertNotEqual(sent["body"], body)
        decoded, chunks = verify_chunk_signatures(self, sent["headers"], sent["body"],
                                                  grant["secretAccessKey"])
        self.assertEqual(chunks, 5)
        self.assertEqual(decoded, data)
        # moto checked the seed signature and the token, and stored the data.
        stored = self.admin_s3.get_object(Bucket="sales-reports", Key=key)["Body"]
        self.assertEqual(stored.read(), data)

    # --- the logs ----------------------------------------------------------------------------

    def test_9_no_secret_in_the_logs(self):
        credentials = self.container_credentials()
        secret, token = credentials["SecretAccessKey"], credentials["Token"]
        self.assertTrue(secret and token)
        for name, log in (("edge", self.edge.log_text()), ("hub", self.hub.log_text())):
            self.assertNotIn(secret, log, f"the secret access key is in the {name} log")
            self.assertNotIn(token, log, f"the session token is in the {name} log")
            self.assertNotIn(self.metadata_token, log, f"the container token is in the {name} log")
            self.assertIsNone(jwt_in(log), f"a JWT is in the {name} log")
        self.assertNotIn(self.hub.edge, self.edge.log_text())


if __name__ == "__main__":
    unittest.main(verbosity=2)
