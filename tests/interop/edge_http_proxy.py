"""The edge's explicit proxy end to end: `tessera hub` + `tessera edge`, curl as the workload.
- curl through the proxy with the edge CA trusted reaches a local TLS upstream (TLS decrypt); the
  upstream sees the injected bearer and never the client's own Authorization.
- header, query and basic injection into plain-HTTP absolute-form requests.
- a host without a server workload is tunneled untouched (its own certificate, the client's
  header).
- an unauthorized workload gets 403 with Tessera-Error and a JSON reason, and no request reaches
  the upstream.
- with the hub stopped, a held grant keeps working and a new target gets 503 with the reason.
- the edge never logs a credential; /metrics counts injections."""
import base64
import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from edge_under_test import Edge, RecordingUpstream, curl, make_tls_material  # noqa: E402
from hub_under_test import GrantTest, obj  # noqa: E402

SECRET = "upstream-bearer-7f3a9c"
API_KEY = "api-key-51b2e0"
PASSWORD = "basic-password-c0ffee"


class EdgeHttpProxy(GrantTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tmp = tempfile.TemporaryDirectory()
        cls.addClassCleanup(cls.tmp.cleanup)
        cls.tls_files = make_tls_material(cls.tmp.name)
        cls.tls_upstream = RecordingUpstream(cls.tls_files)
        cls.addClassCleanup(cls.tls_upstream.close)
        cls.plain_upstream = RecordingUpstream()
        cls.addClassCleanup(cls.plain_upstream.close)
        cls.basic_upstream = RecordingUpstream()
        cls.addClassCleanup(cls.basic_upstream.close)
        cls.untouched = RecordingUpstream(cls.tls_files)
        cls.addClassCleanup(cls.untouched.close)
        cls.hub.start()
        with open(cls.tls_files[0]) as f:
            upstream_ca = f.read()

        def secret(name, secret_type, **fields):
            return obj("CredentialProvider", name,
                       {"type": "static-secret", "secretType": secret_type, **fields})

        def server(name, port, authentication, tls):
            return obj("ServerWorkload", name, {"host": "localhost", "port": port,
                                                "protocol": "http", "tls": tls,
                                                "authentication": authentication})

        def policy(name, provider, target, clients=("sales-analytics",)):
            return obj("AccessPolicy", name, {
                "clientWorkloads": list(clients),
                "trustProviders": {"match": "any", "names": ["cluster"]},
                "credentialProvider": provider, "serverWorkload": target})

        plain = {"enabled": False}
        cls.hub.apply(cls.workloads() + [
            secret("bearer-secret", "bearer-token", value=SECRET),
            secret("api-key", "api-key", value=API_KEY),
            secret("basic", "username-password", username="svc", password=PASSWORD),
            server("tls-api", cls.tls_upstream.port, {"method": "bearer"},
                   {"decrypt": True, "caBundle": upstream_ca}),
            server("header-api", cls.plain_upstream.port,
                   {"method": "header", "header": "X-Api-Key", "prefix": "Key "}, plain),
            policy("tls-api", "bearer-secret", "tls-api"),
            policy("header-api", "api-key", "header-api"),
            obj("ServerWorkload", "query-api", {
                "host": "127.0.0.1", "port": cls.plain_upstream.port, "protocol": "http",
                "tls": plain, "authentication": {"method": "query", "parameter": "api_key"}}),
            policy("query-api", "api-key", "query-api"),
            server("basic-api", cls.basic_upstream.port, {"method": "basic"}, plain),
            policy("basic-api", "basic", "basic-api"),
            server("never-asked", 2, {"method": "bearer"}, plain),
            policy("never-asked", "bearer-secret", "never-asked"),
        ])
        cls.edge = Edge(cls.hub, cls.cluster.sign(cls.cluster.claims("pod/sales-analytics",
                                                                     "tessera", lifetime=3600)))
        cls.addClassCleanup(cls.edge.stop)
        cls.edge.start()
        cls.proxy = f"http://127.0.0.1:{cls.edge.proxy_port}"

    def test_1_tls_decrypt_injects_the_bearer_and_drops_the_clients(self):
        code, out, err = curl("-x", self.proxy, "--cacert", self.edge.ca_file,
                              "-H", "Authorization: Bearer client-placeholder",
                              f"https://localhost:{self.tls_upstream.port}/v1/items?x=1")
        self.assertEqual(code, 0, err)
        seen = json.loads(out)
        self.assertEqual(seen["headers"]["authorization"], f"Bearer {SECRET}")
        self.assertEqual(seen["path"], "/v1/items?x=1")
        self.assertNotIn("client-placeholder", json.dumps(self.tls_upstream.requests))
        # Without the edge CA, curl refuses the edge's leaf: decryption is visible, not silent.
        code, _, _ = curl("-x", self.proxy, f"https://localhost:{self.tls_upstream.port}/")
        self.assertEqual(code, 60)

    def test_2_header_injection_into_plain_http(self):
        code, out, err = curl("-x", self.proxy, "-H", "X-Api-Key: mine",
                              f"http://localhost:{self.plain_upstream.port}/q")
        self.assertEqual(code, 0, err)
        self.assertEqual(json.loads(out)["headers"]["x-api-key"], f"Key {API_KEY}")

    def test_2_query_and_basic_injection(self):
        code, out, err = curl("-x", self.proxy,
                              f"http://127.0.0.1:{self.plain_upstream.port}/q?a=1&api_key=mine&b=2")
        self.assertEqual(code, 0, err)
        self.assertEqual(json.loads(out)["path"], f"/q?a=1&b=2&api_key={API_KEY}")
        code, out, err = curl("-x", self.proxy, "-u", "me:mine",
                              f"http://localhost:{self.basic_upstream.port}/")
        self.assertEqual(code, 0, err)
        expected = base64.b64encode(f"svc:{PASSWORD}".encode()).decode()
        self.assertEqual(json.loads(out)["headers"]["authorization"], f"Basic {expected}")

    def test_3_post_bodies_pass_through(self):
        body = os.path.join(self.tmp.name, "body")
        with open(body, "wb") as f:
            f.write(b"x" * 3_000_000)
        code, out, err = curl("-x", self.proxy, "--cacert", self.edge.ca_file, "-X", "POST",
                              "--data-binary", "@" + body,
                              f"https://localhost:{self.tls_upstream.port}/upload")
        self.assertEqual(code, 0, err)
        self.assertEqual(json.loads(out)["bodyLength"], 3_000_000)

    def test_4_hosts_without_a_server_workload_are_tunneled_untouched(self):
        code, out, err = curl("-x", self.proxy, "--cacert", self.tls_files[0],
                              "-H", "Authorization: Bearer mine",
                              f"https://localhost:{self.untouched.port}/")
        self.assertEqual(code, 0, err)
        self.assertEqual(json.loads(out)["headers"]["authorization"], "Bearer mine")

    def test_5_an_unauthorized_workload_gets_403_with_the_reason(self):
        self.hub.apply([obj("ServerWorkload", "billing-only", {
            "host": "localhost", "port": 1,
            "protocol": "http", "tls": {"enabled": False},
            "authentication": {"method": "bearer"}}),
            obj("AccessPolicy", "billing-only", {
                "clientWorkloads": ["billing"],
                "trustProviders": {"match": "any", "names": ["cluster"]},
                "credentialProvider": "bearer-secret", "serverWorkload": "billing-only"})])
        self.edge.wait_for_routes(2)
        before = len(self.plain_upstream.requests)
        code, out, err = curl("-x", self.proxy, "-i", "http://localhost:1/secret")
        self.assertEqual(code, 0, err)
        self.assertIn("403 Forbidden", out.splitlines()[0])
        self.assertIn("Tessera-Error: permission_denied", out)
        body = json.loads(out.split("\n\n", 1)[1])
        self.assertEqual(body["error"], "permission_denied")
        self.assertIn("context", body["message"])
        self.assertEqual(len(self.plain_upstream.requests), before)

    def test_6_metrics_count_injections(self):
        metrics = self.edge.metrics()
        self.assertIn('tessera_edge_injections_total{method="bearer"}', metrics)
        self.assertIn('tessera_edge_injections_total{method="header"}', metrics)
        self.assertIn("tessera_edge_grant_cache_entries", metrics)

    def test_7_the_hub_stopped_held_grants_work_new_targets_get_503(self):
        # Hold the header-api grant, then stop the hub.
        code, _, err = curl("-x", self.proxy, f"http://localhost:{self.plain_upstream.port}/")
        self.assertEqual(code, 0, err)
        self.hub.proc.terminate()
        self.hub.proc.wait(30)
        code, out, err = curl("-x", self.proxy, f"http://localhost:{self.plain_upstream.port}/a")
        self.assertEqual(code, 0, err)
        self.assertEqual(json.loads(out)["headers"]["x-api-key"], f"Key {API_KEY}")
        # A target the edge holds no grant for: a clear 503.
        code, out, err = curl("-x", self.proxy, "-i", "http://localhost:2/x")
        self.assertEqual(code, 0, err)
        self.assertIn("503", out.splitlines()[0])
        self.assertIn("Tessera-Error: unavailable", out)
        self.assertIn("cannot be reached", out)

    def test_8_no_credential_in_the_edge_log(self):
        log = self.edge.log_text()
        for secret in (SECRET, API_KEY, PASSWORD, self.hub.edge):
            self.assertNotIn(secret, log)


if __name__ == "__main__":
    unittest.main(verbosity=2)
