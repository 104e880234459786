"""The edge's transparent mode end to end: iptables REDIRECT + SO_ORIGINAL_DST, with curl as a
workload that has NO proxy settings.

Setup: the script (as root) creates a private network namespace (`ip netns add`, a unique name,
deleted afterwards also on failure) and re-runs itself inside it with `ip netns exec`. Inside,
only `lo` exists: hub, edge, upstreams and curl all use 127.0.0.x, so nothing leaves the
namespace. The nat OUTPUT chain REDIRECTs TCP to the upstreams' ports to the edge's transparent
listener, except connections made by uid 65534 (`-m owner ! --uid-owner 65534`): the edge runs as
that uid (setpriv), so its own connections to the upstreams are not redirected back to itself.

- plain HTTP to http://127.0.0.1:<port>/ gets the header credential injected.
- HTTPS to https://localhost:<port>/ with the edge CA trusted is decrypted (the SNI names the
  host) and gets the bearer; without the edge CA curl refuses the leaf.
- HTTPS to a host:port without a server workload passes untouched (its own certificate).
- a Host header naming a routed server on a connection that was going to another address gets
  403, and nothing reaches either server.
- a connection straight to the transparent listener (not redirected) is refused (loop guard).
- the edge never logs a credential.

Needs root and `ip netns` (CI runs as root): anything else is a FAILURE with the reason, never a
skip. Environment: TESSERA_BIN."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

INNER = "TESSERA_TRANSPARENT_NETNS"
EDGE_UID = 65534  # nobody
SECRET = "transparent-bearer-9d41"
API_KEY = "transparent-key-5e77"


def iptables_command():
    """iptables (nft backend on Debian 12), else iptables-legacy: whichever can list nat."""
    for name in ("iptables", "iptables-legacy", "iptables-nft"):
        path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
        if path and subprocess.run([path, "-t", "nat", "-L", "-n"], capture_output=True).returncode == 0:
            return path
    raise AssertionError("no working iptables (tried iptables, iptables-legacy, iptables-nft)")


def outer():
    """Creates the namespace, runs the tests inside it, deletes it."""
    if os.geteuid() != 0:
        print("FAIL: interop.edge.transparent needs root (it creates a network namespace and "
              "iptables rules); CI runs as root.", file=sys.stderr)
        return 1
    ip = shutil.which("ip") or shutil.which("ip", path="/usr/sbin:/sbin")
    if ip is None:
        print("FAIL: `ip` (iproute2) is not installed; the test needs `ip netns`.",
              file=sys.stderr)
        return 1
    name = f"tessera-t-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    created = subprocess.run([ip, "netns", "add", name], capture_output=True, text=True)
    if created.returncode != 0:
        print(f"FAIL: `ip netns add {name}` failed: {created.stderr.strip()}", file=sys.stderr)
        return 1
    try:
        env = dict(os.environ, **{INNER: name})
        return subprocess.run([ip, "netns", "exec", name, sys.executable,
                               os.path.abspath(__file__), *sys.argv[1:]], env=env).returncode
    finally:
        subprocess.run([ip, "netns", "delete", name], check=False)


if os.environ.get(INNER):
    from edge_under_test import Edge, RecordingUpstream, curl, make_tls_material  # noqa: E402
    from hub_under_test import GrantTest, free_port, obj  # noqa: E402

    class EdgeTransparent(GrantTest):
        @classmethod
        def setUpClass(cls):
            subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
            cls.iptables = iptables_command()
            super().setUpClass()
            cls.tmp = tempfile.TemporaryDirectory()
            cls.addClassCleanup(cls.tmp.cleanup)
            cls.tls_files = make_tls_material(cls.tmp.name)
            cls.tls_upstream = RecordingUpstream(cls.tls_files)
            cls.addClassCleanup(cls.tls_upstream.close)
            cls.plain_upstream = RecordingUpstream()
            cls.addClassCleanup(cls.plain_upstream.close)
            # Another server on the same port at another address: where a forged Host goes.
            cls.decoy = RecordingUpstream(address=("127.0.0.2", cls.plain_upstream.port))
            cls.addClassCleanup(cls.decoy.close)
            cls.untouched = RecordingUpstream(cls.tls_files)
            cls.addClassCleanup(cls.untouched.close)
            cls.hub.start()
            with open(cls.tls_files[0]) as f:
                upstream_ca = f.read()

            def policy(name, provider, target):
                return obj("AccessPolicy", name, {
                    "clientWorkloads": ["sales-analytics"],
                    "trustProviders": {"match": "any", "names": ["cluster"]},
                    "credentialProvider": provider, "serverWorkload": target})

            cls.hub.apply(cls.workloads() + [
                obj("CredentialProvider", "bearer-secret",
                    {"type": "static-secret", "secretType": "bearer-token", "value": SECRET}),
                obj("CredentialProvider", "api-key",
                    {"type": "static-secret", "secretType": "api-key", "value": API_KEY}),
                obj("ServerWorkload", "tls-api", {
                    "host": "localhost", "port": cls.tls_upstream.port, "protocol": "http",
                    "tls": {"decrypt": True, "caBundle": upstream_ca},
                    "authentication": {"method": "bearer"}}),
                obj("ServerWorkload", "header-api", {
                    "host": "127.0.0.1", "port": cls.plain_upstream.port, "protocol": "http",
                    "tls": {"enabled": False},
                    "authentication": {"method": "header", "header": "X-Api-Key"}}),
                policy("tls-api", "bearer-secret", "tls-api"),
                policy("header-api", "api-key", "header-api"),
            ])
            cls.transparent_port = free_port()
            cls.edge = Edge(cls.hub, cls.cluster.sign(cls.cluster.claims(
                "pod/sales-analytics", "tessera", lifetime=3600)), proxy=False, uid=EDGE_UID,
                extra_yaml=f"proxy: {{transparentListen: \"127.0.0.1:{cls.transparent_port}\"}}\n")
            cls.addClassCleanup(cls.edge.stop)
            cls.edge.start()
            # Workload traffic to the upstreams goes to the edge; the edge's own does not.
            for port in sorted({cls.tls_upstream.port, cls.plain_upstream.port,
                                cls.untouched.port}):
                subprocess.run([cls.iptables, "-t", "nat", "-A", "OUTPUT", "-p", "tcp",
                                "--dport", str(port), "-m", "owner", "!", "--uid-owner",
                                str(EDGE_UID), "-j", "REDIRECT", "--to-ports",
                                str(cls.transparent_port)], check=True)

        def test_1_plain_http_gets_the_header(self):
            code, out, err = curl("-H", "X-Api-Key: mine",
                                  f"http://127.0.0.1:{self.plain_upstream.port}/q?a=1")
            self.assertEqual(code, 0, err + self.edge.log_text())
            seen = json.loads(out)
            self.assertEqual(seen["headers"]["x-api-key"], API_KEY)
            self.assertEqual(seen["path"], "/q?a=1")
            # Keep-alive: two requests on one connection both carry it.
            code, out, err = curl(f"http://127.0.0.1:{self.plain_upstream.port}/1",
                                  "--next", f"http://127.0.0.1:{self.plain_upstream.port}/2")
            self.assertEqual(code, 0, err)
            self.assertEqual(self.plain_upstream.requests[-1]["headers"]["x-api-key"], API_KEY)
            self.assertEqual(self.plain_upstream.requests[-2]["headers"]["x-api-key"], API_KEY)

        def test_2_tls_is_decrypted_by_sni_and_gets_the_bearer(self):
            code, out, err = curl("--cacert", self.edge.ca_file,
                                  "-H", "Authorization: Bearer client-placeholder",
                                  f"https://localhost:{self.tls_upstream.port}/v1/items")
            self.assertEqual(code, 0, err + self.edge.log_text())
            seen = json.loads(out)
            self.assertEqual(seen["headers"]["authorization"], f"Bearer {SECRET}")
            self.assertEqual(seen["path"], "/v1/items")
            self.assertNotIn("client-placeholder", json.dumps(self.tls_upstream.requests))
            # Without the edge CA, curl refuses the edge's leaf: decryption is visible.
            code, _, _ = curl(f"https://localhost:{self.tls_upstream.port}/")
            self.assertEqual(code, 60)

        def test_3_a_host_without_a_server_workload_passes_untouched(self):
            code, out, err = curl("--cacert", self.tls_files[0],
                                  "-H", "Authorization: Bearer mine",
                                  f"https://localhost:{self.untouched.port}/")
            self.assertEqual(code, 0, err + self.edge.log_text())
            self.assertEqual(json.loads(out)["headers"]["authorization"], "Bearer mine")
            self.assertIn("tessera_edge_tunnels_total", self.edge.metrics())

        def test_4_a_forged_host_gets_no_credential(self):
            before = (len(self.plain_upstream.requests), len(self.decoy.requests))
            code, out, err = curl("-i", "-H", f"Host: 127.0.0.1:{self.plain_upstream.port}",
                                  f"http://127.0.0.2:{self.plain_upstream.port}/steal")
            self.assertEqual(code, 0, err)
            self.assertIn("403", out.splitlines()[0])
            self.assertIn("Tessera-Error: permission_denied", out)
            self.assertEqual((len(self.plain_upstream.requests), len(self.decoy.requests)),
                             before)

        def test_5_a_connection_straight_to_the_listener_is_refused(self):
            code, out, err = curl(f"http://127.0.0.1:{self.transparent_port}/")
            self.assertNotEqual(code, 0)
            self.assertEqual(out, "")
            self.assertIn("to the listener itself", self.edge.log_text())

        def test_6_metrics_and_no_credential_in_the_log(self):
            metrics = self.edge.metrics()
            self.assertIn('tessera_edge_connections_total{listener="transparent"}', metrics)
            self.assertIn('tessera_edge_injections_total{method="bearer"}', metrics)
            log = self.edge.log_text()
            for secret in (SECRET, API_KEY, self.hub.edge):
                self.assertNotIn(secret, log)


if __name__ == "__main__":
    if not os.environ.get(INNER):
        sys.exit(outer())
    unittest.main(verbosity=2)
