#!/usr/bin/env python3
"""What `tessera dev` needs beside the hub and the edge to run the example on one machine with no
cloud account. DEVELOPMENT STAND-INS, never for real workloads:

- moto (the AWS emulator) enforcing SigV4 and IAM, set up by an AWS "admin" the way an operator
  sets up a real account (docs/guides/aws.md): the hub registered as an IAM OIDC provider, the
  role sales-analytics that trusts it (aud sts.amazonaws.com, sub sales-analytics) and may read
  the bucket sales-reports but not the bucket payroll.
- aws_sts_front.py in front of moto's STS, which checks the hub's web identity token as AWS does
  (moto does not) before moto issues the session.
- the development OIDC issuer, standing in for a Kubernetes cluster and a CI system:
  * {root}/dev-kubernetes: projected service-account tokens in Kubernetes' exact shape for two
    "pods", written to STATE/pods/<pod>/token (mode 0600) and rewritten every 10 minutes as the
    kubelet does (1 hour lifetime): sales-analytics-7f9c4 (namespace analytics, service account
    sales-analytics) and billing-export-5d8b2 (namespace billing, service account
    billing-export);
  * {root}/dev-github-actions: GitHub Actions ID tokens for the repository acme/sales-analytics
    on refs/heads/main, served the way a runner's token service does: GET
    {root}/dev-github-actions/token?api-version=2.0&audience=AUD with
    "Authorization: Bearer <ACTIONS_ID_TOKEN_REQUEST_TOKEN>" answers {"count": 1, "value": JWT}.
  Discovery and JWKS at <issuer>/.well-known/openid-configuration; the signing key is kept in
  STATE/dev-issuer-key.pem so that a second run signs with the same key.

Usage: dev_peers.py --hub-issuer URL --state-dir DIR [--aws-port N] [--issuer-port N]
                    [--sts-port N]            (0: a free port; loopback only)
Prints one line "READY {json}" when everything answers, then serves until SIGTERM or SIGINT,
when it stops moto and the STS front. The JSON holds "substitutions" (the ${TESSERA_DEV_*}
values examples/dev/*.yaml and examples/dev/try.txt use), "edgeTokenFile" (the token of the pod
the development edge stands beside) and "pods" (pod name -> token file).
"""
import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid

import boto3
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import standin_common as common  # noqa: E402

ACCOUNT = "123456789012"  # moto's default account
ROLE = "sales-analytics"
POD_TOKEN_LIFETIME = 3600
POD_TOKEN_REFRESH = 600
PODS = [  # (pod, namespace, service account)
    ("sales-analytics-7f9c4", "analytics", "sales-analytics"),
    ("billing-export-5d8b2", "billing", "billing-export"),
]
GITHUB_REPOSITORY = "acme/sales-analytics"


def log(message):
    print(f"dev-peers: {message}", file=sys.stderr, flush=True)


class DevIssuer:
    """The development OIDC issuer (a stand-in for a Kubernetes cluster and a CI system)."""

    def __init__(self, state_dir, port):
        self.state_dir = state_dir
        self.key = self._load_or_make_key(os.path.join(state_dir, "dev-issuer-key.pem"))
        self.kid = "dev-" + common.b64url(
            self.key.public_key().public_bytes(serialization.Encoding.DER,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
        )[:16]
        self.request_token = self._load_or_make_secret(
            os.path.join(state_dir, "github-request-token"))
        self.lock = threading.Lock()
        issuer = self

        class H(common.Handler):
            server_version = "tessera-dev-issuer (development stand-in)"

            def do_GET(self):
                url = urllib.parse.urlsplit(self.path)
                for name in ("dev-kubernetes", "dev-github-actions"):
                    base = "/" + name
                    if url.path == base + "/.well-known/openid-configuration":
                        return self.send(200, {
                            "issuer": issuer.root + base,
                            "jwks_uri": issuer.root + base + issuer.jwks_path(name),
                            "response_types_supported": ["id_token"],
                            "subject_types_supported": ["public"],
                            "id_token_signing_alg_values_supported": ["RS256"]})
                    if url.path == base + issuer.jwks_path(name):
                        return self.send(200, {"keys": [common.public_jwk(issuer.key,
                                                                          issuer.kid)]})
                if url.path == "/dev-github-actions/token":
                    return self.github_token(url)
                self.send(404, {"message": "Not Found"})

            def github_token(self, url):
                # The runner's token service: bearer ACTIONS_ID_TOKEN_REQUEST_TOKEN, optional
                # audience (default: the repository owner's URL, as GitHub does).
                auth = self.headers.get("Authorization", "")
                scheme, _, presented = auth.partition(" ")
                if scheme.lower() != "bearer" or not secrets.compare_digest(
                        presented.strip().encode(), issuer.request_token.encode()):
                    return self.send(401, {"message": "Bad credentials"})
                query = urllib.parse.parse_qs(url.query)
                audience = query.get("audience", ["https://github.com/acme"])[0]
                if not audience or len(audience) > 512:
                    return self.send(400, {"message": "audience: 1 to 512 characters"})
                self.send(200, {"count": 1, "value": issuer.github_token(audience)})

        self.server = common.Server(("127.0.0.1", port), H)
        self.root = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.kubernetes_issuer = self.root + "/dev-kubernetes"
        self.github_issuer = self.root + "/dev-github-actions"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.pod_files = {}
        for pod, namespace, account in PODS:
            directory = os.path.join(state_dir, "pods", pod)
            os.makedirs(directory, exist_ok=True)
            self.pod_files[pod] = os.path.join(directory, "token")
        self.write_pod_tokens()
        threading.Thread(target=self._refresh_pod_tokens, daemon=True).start()

    @staticmethod
    def jwks_path(name):
        # Kubernetes serves its keys at /openid/v1/jwks; GitHub at /.well-known/jwks.
        return "/openid/v1/jwks" if name == "dev-kubernetes" else "/.well-known/jwks"

    @staticmethod
    def _load_or_make_key(path):
        if os.path.exists(path):
            with open(path, "rb") as f:
                return serialization.load_pem_private_key(f.read(), password=None)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        write_private(path, key.private_bytes(serialization.Encoding.PEM,
                                              serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption()))
        return key

    @staticmethod
    def _load_or_make_secret(path):
        if os.path.exists(path):
            with open(path) as f:
                value = f.read().strip()
            if value:
                return value
        value = secrets.token_urlsafe(32)
        write_private(path, value.encode() + b"\n")
        return value

    def pod_token(self, pod, namespace, account):
        now = int(time.time())
        claims = {
            "aud": ["tessera"], "exp": now + POD_TOKEN_LIFETIME, "iat": now, "nbf": now,
            "iss": self.kubernetes_issuer, "jti": str(uuid.uuid4()),
            "kubernetes.io": {
                "namespace": namespace,
                "node": {"name": "dev-node-1", "uid": str(uuid.uuid5(uuid.NAMESPACE_DNS,
                                                                      "dev-node-1"))},
                "pod": {"name": pod, "uid": str(uuid.uuid5(uuid.NAMESPACE_DNS, pod))},
                "serviceaccount": {"name": account, "uid": str(uuid.uuid5(
                    uuid.NAMESPACE_DNS, namespace + "/" + account))}},
            "sub": f"system:serviceaccount:{namespace}:{account}"}
        return common.sign_jwt(claims, self.key, "RS256", self.kid)

    def write_pod_tokens(self):
        for pod, namespace, account in PODS:
            write_private(self.pod_files[pod], self.pod_token(pod, namespace, account).encode())

    def _refresh_pod_tokens(self):
        while True:
            time.sleep(POD_TOKEN_REFRESH)
            try:
                self.write_pod_tokens()
            except OSError as e:  # the data directory went away: keep serving
                log(f"cannot rewrite the pod tokens: {e}")

    def github_token(self, audience):
        now = int(time.time())
        run_id = str(int(now) % 10_000_000_000)
        claims = {
            "jti": str(uuid.uuid4()), "sub": f"repo:{GITHUB_REPOSITORY}:ref:refs/heads/main",
            "aud": audience, "ref": "refs/heads/main", "sha": "0" * 40,
            "repository": GITHUB_REPOSITORY, "repository_owner": "acme",
            "repository_owner_id": "1000001", "run_id": run_id, "run_number": "1",
            "run_attempt": "1", "repository_visibility": "private", "repository_id": "2000002",
            "actor_id": "3000003", "actor": "dev-user", "workflow": "nightly-report",
            "head_ref": "", "base_ref": "", "event_name": "workflow_dispatch",
            "ref_protected": "true", "ref_type": "branch",
            "workflow_ref": f"{GITHUB_REPOSITORY}/.github/workflows/nightly.yml@refs/heads/main",
            "workflow_sha": "0" * 40,
            "job_workflow_ref":
                f"{GITHUB_REPOSITORY}/.github/workflows/nightly.yml@refs/heads/main",
            "job_workflow_sha": "0" * 40, "runner_environment": "self-hosted",
            "iss": self.github_issuer, "nbf": now, "exp": now + 300, "iat": now}
        return common.sign_jwt(claims, self.key, "RS256", self.kid)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def write_private(path, data):
    """Writes a file only its owner can read, replacing it in one step (readers never see half
    a token)."""
    tmp = f"{path}.{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def set_up_aws(moto_url, hub_issuer):
    """What an AWS operator does once (docs/guides/aws.md), against moto. The first actions run
    before moto enforces IAM (INITIAL_NO_AUTH_ACTION_COUNT); everything after is signed."""
    key = common.moto_admin_key(moto_url)
    admin = dict(aws_access_key_id=key["AccessKeyId"],
                 aws_secret_access_key=key["SecretAccessKey"], region_name="us-east-1")
    iam = boto3.client("iam", endpoint_url=moto_url, **admin)
    provider_arn = iam.create_open_id_connect_provider(
        Url=hub_issuer, ClientIDList=["sts.amazonaws.com"],
        ThumbprintList=["0" * 40])["OpenIDConnectProviderArn"]
    hub_host = hub_issuer.split("://", 1)[1]
    role_arn = iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Federated": provider_arn},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {f"{hub_host}:aud": "sts.amazonaws.com",
                                           f"{hub_host}:sub": ROLE}}}]}))["Role"]["Arn"]
    iam.put_role_policy(RoleName=ROLE, PolicyName="read-sales-reports",
                        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{
                            "Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetObject"],
                            "Resource": ["arn:aws:s3:::sales-reports",
                                         "arn:aws:s3:::sales-reports/*"]}]}))
    s3 = boto3.client("s3", endpoint_url=moto_url, **admin)
    s3.create_bucket(Bucket="sales-reports")
    s3.put_object(Bucket="sales-reports", Key="2026/q3-summary.csv",
                  Body=b"region,revenue\nus-west,1200000\nus-east,980000\n")
    s3.put_object(Bucket="sales-reports", Key="2026/q4-forecast.csv",
                  Body=b"region,forecast\nus-west,1350000\nus-east,1010000\n")
    s3.create_bucket(Bucket="payroll")
    s3.put_object(Bucket="payroll", Key="salaries.csv", Body=b"name,salary\n")
    return key, role_arn


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hub-issuer", required=True)
    parser.add_argument("--state-dir", required=True)
    parser.add_argument("--aws-port", type=int, default=0)
    parser.add_argument("--issuer-port", type=int, default=0)
    parser.add_argument("--sts-port", type=int, default=0)
    args = parser.parse_args()
    if not common.is_loopback_url(args.hub_issuer):
        parser.error("--hub-issuer must be a loopback URL (development only)")
    os.makedirs(args.state_dir, mode=0o700, exist_ok=True)

    stopping = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.set())

    # moto enforcing SigV4 and IAM policies; the first three actions (creating the admin) are
    # free, as on a new account's root user.
    moto = common.Moto(env={"INITIAL_NO_AUTH_ACTION_COUNT": "3"}, port=args.aws_port)
    front = None
    issuer = None
    try:
        key, role_arn = set_up_aws(moto.url, args.hub_issuer)
        front = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "aws_sts_front.py"), "--moto-url", moto.url,
             "--sign-forwarded", "--port", str(args.sts_port)],
            stdout=subprocess.PIPE, text=True, start_new_session=True,
            env=dict(os.environ, MOTO_ACCESS_KEY_ID=key["AccessKeyId"],
                     MOTO_SECRET_ACCESS_KEY=key["SecretAccessKey"]))
        line = front.stdout.readline().split()
        if len(line) != 2 or line[0] != "PORT":
            raise RuntimeError("the STS front did not start")
        sts_url = f"http://127.0.0.1:{line[1]}"
        issuer = DevIssuer(args.state_dir, args.issuer_port)
        moto_port = moto.url.rsplit(":", 1)[1]
        ready = {
            "substitutions": {
                "TESSERA_DEV_KUBERNETES_ISSUER": issuer.kubernetes_issuer,
                "TESSERA_DEV_GITHUB_ISSUER": issuer.github_issuer,
                "TESSERA_DEV_GITHUB_TOKEN_URL":
                    issuer.github_issuer + "/token?api-version=2.0",
                "TESSERA_DEV_GITHUB_REQUEST_TOKEN_FILE":
                    os.path.join(args.state_dir, "github-request-token"),
                "TESSERA_DEV_AWS_STS": sts_url,
                "TESSERA_DEV_AWS_ROLE_ARN": role_arn,
                "TESSERA_DEV_S3_PORT": moto_port,
                "TESSERA_DEV_S3_ENDPOINT": f"https://localhost:{moto_port}",
            },
            "edgeTokenFile": issuer.pod_files[PODS[0][0]],
            "pods": issuer.pod_files,
        }
        print("READY " + json.dumps(ready), flush=True)
        log(f"moto (S3, IAM, STS) at {moto.url}, its STS front at {sts_url}, the development "
            f"OIDC issuer at {issuer.root}")
        while not stopping.wait(1):
            if moto.proc.poll() is not None or front.poll() is not None:
                log("moto or the STS front exited; stopping")
                return 1
        return 0
    finally:
        if issuer:
            issuer.close()
        if front:
            common.stop_process_group(front)
        moto.stop()


if __name__ == "__main__":
    sys.exit(main())
