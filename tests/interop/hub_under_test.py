"""`tessera hub` for the credential provider interop tests: started with a hub.yaml (sqlite
store, key encryption key) on a free loopback port in a temporary directory, admin and edge
tokens from `tessera admin token create`, objects applied through POST /v1/apply, decisions
through POST /v1/access with a token from a LocalIssuer (the workloads' identity issuer).
GrantTest holds what the tests share: the client workloads "sales-analytics" and "billing"
(oidc.sub pod/<name>) and the checks of a decision. Environment: TESSERA_BIN."""
import base64
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "standins"))
from standin_testing import LocalIssuer, StandIn  # noqa: E402

TESSERA = os.environ["TESSERA_BIN"]
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


# A compact JWT: a base64url JSON header ("eyJ" is '{"'), a dot, then the next segment. Logs and
# event streams carry random base64url ids (context ids, key ids) that contain "eyJ" by chance
# (about once in 20,000 ids), so a bare substring test fails now and then on a clean log.
JWT_SHAPE = re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+")


def jwt_in(text):
    """The first JWT-shaped string in `text`, or None."""
    match = JWT_SHAPE.search(text)
    return match.group(0) if match else None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def obj(kind, name, spec):
    return {"apiVersion": "tessera.dev/v1", "kind": kind, "metadata": {"name": name}, "spec": spec}


class Hub:
    """The hub process. url is fixed before start() so that upstream stand-ins can be told to
    trust it as an issuer first."""

    def __init__(self):
        self.work = tempfile.TemporaryDirectory()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = None
        self.log_path = os.path.join(self.work.name, "hub.log")
        self.config = os.path.join(self.work.name, "hub.yaml")
        self.extra_config = ""  # more hub.yaml, written by start()

    def start(self):
        kek = os.path.join(self.work.name, "kek")
        with open(kek, "w") as f:
            f.write(base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode())
        os.chmod(kek, 0o600)
        with open(self.config, "w") as f:
            f.write(f"issuer: {self.url}\nserver: {{listen: \"127.0.0.1:{self.port}\"}}\n"
                    "store: {sqlite: {path: hub.db}}\nkeyEncryptionKey: {file: kek}\n"
                    + self.extra_config)
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen([TESSERA, "hub", "--config", self.config], stdout=self.log,
                                     stderr=subprocess.STDOUT, cwd=self.work.name)
        deadline = time.monotonic() + 30
        while True:
            try:
                OPENER.open(self.url + "/readyz", timeout=1)
                break
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise
                time.sleep(0.1)
        self.admin = self.token("admin")
        self.edge = self.token("edge")

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(30)
            self.log.close()
        self.work.cleanup()

    def token(self, role):
        return subprocess.run([TESSERA, "admin", "token", "create", "--config", self.config,
                               "--role", role], check=True, capture_output=True, text=True,
                              cwd=self.work.name).stdout.strip()

    def post(self, path, token, body):
        request = urllib.request.Request(self.url + path, data=json.dumps(body).encode(),
                                         headers={"Authorization": f"Bearer {token}",
                                                  "Content-Type": "application/json"})
        try:
            with OPENER.open(request, timeout=60) as r:
                return json.loads(r.read())
        except urllib.error.HTTPError as e:
            raise AssertionError(f"{path}: HTTP {e.code}: {e.read().decode()}") from None

    def apply(self, objects):
        return self.post("/v1/apply", self.admin, {"objects": objects})

    def access(self, pod_token, host, port=443, protocol="http"):
        return self.post("/v1/access", self.edge, {
            "evidence": {"tokens": [pod_token]},
            "target": {"host": host, "port": port, "protocol": protocol}})

    def log_text(self):
        self.log.flush()
        with open(self.log_path) as f:
            return f.read()


class GrantTest(unittest.TestCase):
    """A hub (not yet started: stand-ins must learn its URL first) and a workload issuer."""

    @classmethod
    def setUpClass(cls):
        cls.cluster = LocalIssuer()
        cls.addClassCleanup(cls.cluster.close)
        cls.hub = Hub()
        cls.addClassCleanup(cls.hub.stop)

    @classmethod
    def standin(cls, script, config):
        """tests/standins/<script> configured with `config`, stopped after the class."""
        process = StandIn(script, "--config-json", json.dumps(config))
        cls.addClassCleanup(process.stop)
        return process

    @classmethod
    def workloads(cls):
        """The trust provider "cluster" and the client workloads sales-analytics and billing."""
        return [obj("TrustProvider", "cluster", {"type": "oidc", "issuer": cls.cluster.url,
                                                 "audiences": ["tessera"]}),
                obj("ClientWorkload", "sales-analytics",
                    {"match": {"attribute": "oidc.sub", "equals": "pod/sales-analytics"}}),
                obj("ClientWorkload", "billing",
                    {"match": {"attribute": "oidc.sub", "equals": "pod/billing"}})]

    @staticmethod
    def server(name, host, method="bearer"):
        return obj("ServerWorkload", name, {"host": host, "port": 443, "protocol": "http",
                                            "authentication": {"method": method}})

    @staticmethod
    def policy(name, provider, server):
        """Both client workloads, through "cluster", to `server` with `provider`."""
        return obj("AccessPolicy", name, {
            "clientWorkloads": ["sales-analytics", "billing"],
            "trustProviders": {"match": "any", "names": ["cluster"]},
            "credentialProvider": provider, "serverWorkload": server})

    def access(self, sub, host):
        pod_token = self.cluster.sign(self.cluster.claims(sub, "tessera"))
        return self.hub.access(pod_token, host)

    def assert_refused(self, decision, upstream_code):
        """An `error` decision naming the upstream's error code, without a grant, and no token
        in the hub's log."""
        self.assertEqual(decision["outcome"], "error", decision)
        self.assertEqual(decision["reasonCode"], "ProviderError")
        self.assertIn(upstream_code, decision["reason"])
        self.assertNotIn("grant", decision)
        self.assertIsNone(jwt_in(self.hub.log_text()), "no token in the hub's log")
