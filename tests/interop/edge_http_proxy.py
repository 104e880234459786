"""The edge's explicit proxy end to end: `tessera hub` + `tessera edge`, curl as the workload.
- curl through the proxy with the edge CA trusted reaches a local TLS upstream (TLS decrypt); the
  upstream sees the injected bearer and never the client's own Authorization.
- header, query and basic injection into plain-HTTP absolute-form requests.
- responses keep their framing through the proxy: Content-Length (also larger than the relay
  buffer), chunked, until-close, 204, HEAD, 103 Early Hints skipped; several requests on one
  client connection; an HTTP/1.0 client gets HTTP/1.0 answers and keep-alive when it asks.
- simple requests (the proxy's fast path): pipelined, dribbled byte by byte, hop-by-hop fields
  dropped both ways, a server closing after its answer or sending more than it; idle and silent
  peers end at proxy.idleTimeout and proxy.ioTimeout.
- a host without a server workload is tunneled untouched (its own certificate, the client's
  header).
- an unauthorized workload gets 403 with Tessera-Error and a JSON reason, and no request reaches
  the upstream.
- with the hub stopped, a held grant keeps working and a new target gets 503 with the reason.
- the edge never logs a credential; /metrics counts injections.
- a stopping edge (SIGTERM) refuses new connections, lets a request under way finish, and closes
  one still under way at proxy.drainTimeout.
Run by ctest with TESSERA_EDGE_BIN: the edge is the sidecar binary `tessera-edge`, which also
checks a configuration (--check) and names a bad one."""
import base64
import http.client
import http.server
import json
import os
import signal
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from edge_under_test import (EDGE_BIN, Edge, RecordingUpstream, curl,  # noqa: E402
                             make_tls_material)
from hub_under_test import GrantTest, obj  # noqa: E402

SECRET = "upstream-bearer-7f3a9c"
API_KEY = "api-key-51b2e0"
PASSWORD = "basic-password-c0ffee"


BIG = b"0123456789abcdef" * 12_500  # 200,000 bytes: many relay buffers
FRAMED = {
    "/length": b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Kind: length\r\n\r\nhello",
    "/chunked": (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Kind: chunked\r\n\r\n"
                 b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"),
    "/no-content": b"HTTP/1.1 204 No Content\r\nX-Kind: none\r\n\r\n",
    "/big": b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(BIG) + BIG,
    "/hints": (b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
               b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
    "/close": b"HTTP/1.1 200 OK\r\nX-Kind: close\r\n\r\nuntil the server closes",
    # Length-framed, then the server closes its connection.
    "/length-close": (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n"
                      b"Keep-Alive: timeout=5\r\nX-Kind: length-close\r\n\r\nok"),
    # More than the response: the edge must not read the rest as the next response.
    "/surplus": b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Kind: surplus\r\n\r\nokEXTRA",
}
# Paths after which the upstream closes its connection.
CLOSING = ("/close", "/length-close")


class ThreadedUpstream:
    """A socketserver on 127.0.0.1 run by a daemon thread; close() stops it."""

    def serve(self, server):
        server.daemon_threads = True
        self.server = server
        self.port = server.server_address[1]
        threading.Thread(target=server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class FramingUpstream(ThreadedUpstream):
    """A keep-alive HTTP/1.1 server answering each path with fixed bytes (FRAMED), so that the
    framing the proxy must keep is exact; HEAD gets the head of /length only. Records the
    X-Api-Key of every request."""

    def __init__(self):
        self.keys = []
        self.heads = []
        outer = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                data = b""
                while True:
                    while b"\r\n\r\n" not in data:
                        more = self.request.recv(65536)
                        if not more:
                            return
                        data += more
                    head, data = data.split(b"\r\n\r\n", 1)
                    lines = head.decode("latin-1").split("\r\n")
                    method, path = lines[0].split(" ")[:2]
                    for line in lines[1:]:
                        name, _, value = line.partition(":")
                        if name.lower() == "x-api-key":
                            outer.keys.append(value.strip())
                    if method == "HEAD":
                        self.request.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n")
                        continue
                    outer.heads.append(head.decode("latin-1"))
                    self.request.sendall(FRAMED[path])
                    if path in CLOSING:
                        return

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self.serve(socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler))


class SlowUpstream(ThreadedUpstream):
    """Answers GET /delay/<ms> after that many milliseconds with `done <ms>`; counts arrivals and
    records the X-Api-Key of each request."""

    def __init__(self):
        self.arrived = threading.Semaphore(0)
        self.keys = []
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                outer.keys.append(self.headers.get("X-Api-Key"))
                outer.arrived.release()
                ms = int(self.path.rsplit("/", 1)[1])
                time.sleep(ms / 1000)
                answer = f"done {ms}".encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except OSError:
                    pass  # the edge closed the connection meanwhile

            def log_message(self, *args):
                pass

        self.serve(http.server.ThreadingHTTPServer(("127.0.0.1", 0), H))


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
        cls.framing = FramingUpstream()
        cls.addClassCleanup(cls.framing.close)
        cls.slow = SlowUpstream()
        cls.addClassCleanup(cls.slow.close)
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
            server("framing-api", cls.framing.port,
                   {"method": "header", "header": "X-Api-Key", "prefix": "Key "}, plain),
            policy("framing-api", "api-key", "framing-api"),
            server("slow-api", cls.slow.port,
                   {"method": "header", "header": "X-Api-Key", "prefix": "Key "}, plain),
            policy("slow-api", "api-key", "slow-api"),
            server("never-asked", 2, {"method": "bearer"}, plain),
            policy("never-asked", "bearer-secret", "never-asked"),
        ])
        cls.pod_token = cls.cluster.sign(cls.cluster.claims("pod/sales-analytics", "tessera",
                                                            lifetime=3600))
        cls.edge = Edge(cls.hub, cls.pod_token)
        cls.addClassCleanup(cls.edge.stop)
        cls.edge.start()
        cls.proxy = f"http://127.0.0.1:{cls.edge.proxy_port}"

    @unittest.skipUnless(EDGE_BIN, "runs with the sidecar binary (TESSERA_EDGE_BIN)")
    def test_0_the_sidecar_binary_checks_a_configuration(self):
        ok = subprocess.run([EDGE_BIN, "--config", self.edge.config, "--check"],
                            capture_output=True, text=True)
        self.assertEqual((ok.returncode, ok.stdout.strip()), (0, f"{self.edge.config} is valid"))
        bad = os.path.join(self.tmp.name, "bad-edge.yaml")
        with open(bad, "w") as f:
            f.write("hub: {url: \"ftp://hub\", tokenFile: t}\nproxy: {listen: \"127.0.0.1:1\"}\n")
        refused = subprocess.run([EDGE_BIN, "--config", bad, "--check"], capture_output=True,
                                 text=True)
        self.assertEqual(refused.returncode, 1)
        self.assertTrue(refused.stderr.startswith("error: "), refused.stderr)
        self.assertIn("hub.url", refused.stderr)
        version = subprocess.run([EDGE_BIN, "--version"], capture_output=True, text=True)
        self.assertTrue(version.stdout.startswith("tessera-edge "), version.stdout)

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

    def test_3_responses_keep_their_framing_on_one_client_connection(self):
        base = f"http://localhost:{self.framing.port}"
        before = len(self.framing.keys)
        conn = http.client.HTTPConnection("127.0.0.1", self.edge.proxy_port, timeout=20)
        try:
            for path, body, kind in (("/length", b"hello", "length"),
                                     ("/chunked", b"hello world", "chunked"),
                                     ("/no-content", b"", "none"), ("/big", BIG, None),
                                     ("/hints", b"ok", None), ("/length", b"hello", "length")):
                conn.request("GET", base + path)
                res = conn.getresponse()
                self.assertEqual(res.read(), body, path)
                self.assertEqual(res.status, 204 if path == "/no-content" else 200, path)
                self.assertEqual(res.getheader("X-Kind"), kind, path)
                self.assertFalse(res.will_close, path)  # the client connection stays open
            conn.request("HEAD", base + "/length")
            res = conn.getresponse()
            self.assertEqual((res.status, res.getheader("Content-Length"), res.read()),
                             (200, "5", b""))
            # Until-close: the edge re-frames it (chunked) and the client connection stays.
            conn.request("GET", base + "/close")
            res = conn.getresponse()
            self.assertEqual(res.read(), b"until the server closes")
            self.assertEqual(res.getheader("Transfer-Encoding"), "chunked")
            conn.request("GET", base + "/length")
            self.assertEqual(conn.getresponse().read(), b"hello")
        finally:
            conn.close()
        self.assertEqual(self.framing.keys[before:], [f"Key {API_KEY}"] * 9)

    def test_3_simple_requests_pipelined_dribbled_and_without_hop_by_hop_fields(self):
        """The proxy's fast path (simple heads): requests pipelined in one write and a head sent
        byte by byte are each answered in order; hop-by-hop fields do not cross the edge either
        way; a server that closes after a length-framed answer, or sends more than it, costs the
        client nothing (the edge opens a new server connection)."""
        url = f"http://localhost:{self.framing.port}"
        with socket.create_connection(("127.0.0.1", self.edge.proxy_port), timeout=20) as s:
            pending = b""

            def response():
                nonlocal pending
                while b"\r\n\r\n" not in pending:
                    more = s.recv(65536)
                    self.assertTrue(more, "the edge closed early")
                    pending += more
                head, pending = pending.split(b"\r\n\r\n", 1)
                head = head.decode("latin-1")
                fields = {}
                for line in head.split("\r\n")[1:]:
                    name, _, value = line.partition(":")
                    fields[name.strip().lower()] = value.strip()
                length = int(fields.get("content-length", "0"))
                while len(pending) < length:
                    pending += s.recv(65536)
                body, pending = pending[:length], pending[length:]
                return head.split("\r\n")[0], fields, body

            before = len(self.framing.heads)
            get = (f"GET {url}/length HTTP/1.1\r\nHost: localhost\r\nX-Api-Key: mine\r\n"
                   f"Keep-Alive: timeout=9\r\nTE: trailers\r\nProxy-Connection: keep-alive\r\n"
                   f"Proxy-Authorization: Basic c2VjcmV0\r\n\r\n").encode()
            s.sendall(get + get.replace(b"/length", b"/no-content"))
            self.assertEqual(response()[2], b"hello")
            status, fields, body = response()
            self.assertEqual((status, body), ("HTTP/1.1 204 No Content", b""))
            for byte in get:
                s.send(bytes([byte]))
            self.assertEqual(response()[2], b"hello")
            heads = self.framing.heads[before:]
            self.assertEqual(len(heads), 3)
            for head in heads:
                lower = head.lower()
                self.assertIn(f"x-api-key: key {API_KEY}".lower(), lower)
                self.assertNotIn("mine", lower)
                for hop in ("keep-alive:", "te:", "proxy-connection:", "proxy-authorization:",
                            "connection:"):
                    self.assertNotIn("\r\n" + hop, lower)
            # The server's hop-by-hop fields stay with it; the client's connection stays open.
            s.sendall(f"GET {url}/length-close HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
            status, fields, body = response()
            self.assertEqual((status, body, fields.get("x-kind")), ("HTTP/1.1 200 OK", b"ok",
                                                                    "length-close"))
            self.assertNotIn("connection", fields)
            self.assertNotIn("keep-alive", fields)
            s.sendall(f"GET {url}/surplus HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
            self.assertEqual(response()[2], b"ok")
            s.sendall(f"GET {url}/length HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
            status, fields, body = response()
            self.assertEqual((status, body), ("HTTP/1.1 200 OK", b"hello"))
            # The client's "Connection: close": answered with it, then the edge closes.
            s.sendall(f"GET {url}/length HTTP/1.1\r\nConnection: close\r\n\r\n".encode())
            status, fields, body = response()
            self.assertEqual((body, fields.get("connection")), (b"hello", "close"))
            self.assertEqual(s.recv(100), b"")

    def test_3_time_limits_end_idle_clients_and_silent_servers(self):
        """proxy.idleTimeout ends a client connection that sends nothing, or only part of a head;
        proxy.ioTimeout answers 502 with the reason when a server accepts the request and never
        answers (the fast path's deadlines, swept once per tick, not one timer per operation)."""
        import time
        silent = socket.socket()
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        held = []
        stop = threading.Event()

        def hold():
            silent.settimeout(0.2)
            while not stop.is_set():
                try:
                    held.append(silent.accept()[0])
                except OSError:
                    pass
        threading.Thread(target=hold, daemon=True).start()
        edge = Edge(self.hub, self.cluster.sign(self.cluster.claims("pod/sales-analytics",
                                                                    "tessera", lifetime=3600)),
                    proxy_options="idleTimeout: 1s, ioTimeout: 1s")
        try:
            edge.start()
            for sent in (b"", b"GET http://127.0.0.1:1/ HTTP/1.1\r\nHost: 127.0.0.1"):
                with socket.create_connection(("127.0.0.1", edge.proxy_port), timeout=10) as s:
                    s.sendall(sent)
                    began = time.monotonic()
                    self.assertEqual(s.recv(100), b"", sent)  # closed, nothing said
                    self.assertTrue(0.9 <= time.monotonic() - began < 5, sent)
            with socket.create_connection(("127.0.0.1", edge.proxy_port), timeout=10) as s:
                port = silent.getsockname()[1]
                s.sendall(f"GET http://127.0.0.1:{port}/ HTTP/1.1\r\nHost: x\r\n\r\n".encode())
                began = time.monotonic()
                data = b""
                while b"\r\n\r\n" not in data:
                    more = s.recv(65536)
                    self.assertTrue(more)
                    data += more
                elapsed = time.monotonic() - began
                head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1")
                self.assertTrue(head.startswith("HTTP/1.1 502 "), head)
                self.assertIn("Tessera-Error: upstream_error", head)
                self.assertTrue(0.9 <= elapsed < 5, elapsed)
                while True:  # the body names the reason, then the edge closes
                    more = s.recv(65536)
                    if not more:
                        break
                    data += more
                self.assertIn(b"timed out", data)
        finally:
            stop.set()
            edge.stop()
            silent.close()
            for conn in held:
                conn.close()

    def test_3_an_http10_client_gets_http10_answers_and_keep_alive_when_it_asks(self):
        with socket.create_connection(("127.0.0.1", self.edge.proxy_port), timeout=20) as s:
            def exchange(request):
                s.sendall(request)
                data = b""
                while b"\r\n\r\n" not in data:
                    data += s.recv(65536)
                head, body = data.split(b"\r\n\r\n", 1)
                while len(body) < 5:
                    body += s.recv(65536)
                return head.decode("latin-1"), body
            url = f"http://localhost:{self.framing.port}/length"
            head, body = exchange(f"GET {url} HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
                                  .encode())
            self.assertTrue(head.startswith("HTTP/1.0 200 OK\r\n"), head)
            self.assertIn("\r\nConnection: keep-alive", head)
            self.assertEqual(body, b"hello")
            head, body = exchange(f"GET {url} HTTP/1.0\r\n\r\n".encode())
            self.assertTrue(head.startswith("HTTP/1.0 200 OK\r\n"), head)
            self.assertNotIn("keep-alive", head.lower())
            self.assertEqual(body, b"hello")
            self.assertEqual(s.recv(100), b"")  # the edge closed, as HTTP/1.0 without keep-alive

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

    def test_6_a_stopping_edge_finishes_requests_under_way_until_its_drain_timeout(self):
        edge = Edge(self.hub, self.pod_token, proxy_options="drainTimeout: 2s")
        self.addCleanup(edge.stop)
        edge.start()
        results = {}

        def fetch(name, ms):
            conn = http.client.HTTPConnection("127.0.0.1", edge.proxy_port, timeout=30)
            try:
                conn.request("GET", f"http://localhost:{self.slow.port}/delay/{ms}")
                response = conn.getresponse()
                results[name] = (response.status, response.read())
            except (OSError, http.client.HTTPException) as e:
                results[name] = e
            finally:
                conn.close()

        fetches = [threading.Thread(target=fetch, args=("short", 800)),
                   threading.Thread(target=fetch, args=("long", 15_000))]
        for t in fetches:
            t.start()
        for _ in fetches:
            self.assertTrue(self.slow.arrived.acquire(timeout=10), "a request did not arrive")
        started = time.monotonic()
        edge.proc.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        with self.assertRaises(ConnectionRefusedError, msg="a stopping edge accepts nothing new"):
            socket.create_connection(("127.0.0.1", edge.proxy_port), timeout=2).close()
        edge.proc.wait(20)
        stopped = time.monotonic() - started
        for t in fetches:
            t.join(20)
        self.assertEqual(results["short"], (200, b"done 800"), edge.log_text())
        self.assertIsInstance(results["long"], (OSError, http.client.HTTPException))
        self.assertEqual(edge.proc.returncode, 0)
        # The drain waited for the short one and gave up on the long one at 2 s.
        self.assertGreaterEqual(stopped, 1.9)
        self.assertLess(stopped, 8)
        self.assertIn("closing the requests still under way (1)", edge.log_text())
        self.assertEqual(self.slow.keys[-2:], [f"Key {API_KEY}"] * 2)

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
