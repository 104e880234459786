"""`tessera edge` for the edge's end-to-end tests: writes an edge.yaml beside a Hub (from
hub_under_test) — hub URL and edge token, the pod's token file as evidence, the explicit proxy,
a self-signed development CA, admin listener, and whatever postgres/metadata sections the test
adds — starts the process on free loopback ports and stops it. Also a TLS upstream that records
what it receives. Environment: TESSERA_BIN."""
import datetime
import http.server
import json
import os
import ssl
import subprocess
import tempfile
import threading
import time
import urllib.request

from hub_under_test import OPENER, TESSERA, free_port

# The sidecar binary (`tessera-edge --config ...`) when a test names it, else `tessera edge`.
EDGE_BIN = os.environ.get("TESSERA_EDGE_BIN", "")


def edge_command(config):
    return [EDGE_BIN, "--config", config] if EDGE_BIN else [TESSERA, "edge", "--config", config]


class Edge:
    def __init__(self, hub, pod_token, extra_yaml="", proxy=True, evidence=None, uid=None,
                 proxy_options=""):
        self.hub = hub
        self.uid = uid  # run as this uid (root tests: the edge's own traffic is told apart by it)
        self.work = tempfile.TemporaryDirectory()
        self.dir = self.work.name
        self.proxy_port = free_port() if proxy else 0
        self.admin_port = free_port()
        self.token_file = os.path.join(self.dir, "pod-token")
        self.set_pod_token(pod_token)
        with open(os.path.join(self.dir, "edge-token"), "w") as f:
            f.write(hub.edge + "\n")
        os.chmod(os.path.join(self.dir, "edge-token"), 0o600)
        self.config = os.path.join(self.dir, "edge.yaml")
        with open(self.config, "w") as f:
            f.write(f"hub: {{url: \"{hub.url}\", tokenFile: edge-token, routesRefresh: 1s}}\n"
                    f"evidence: {evidence or '{tokenFiles: [pod-token]}'}\n"
                    f"tls: {{selfSignedDir: ca}}\n"
                    f"admin: {{listen: \"127.0.0.1:{self.admin_port}\"}}\n"
                    f"log: {{level: debug}}\n")
            if proxy:
                more = f", {proxy_options}" if proxy_options else ""
                f.write(f"proxy: {{listen: \"127.0.0.1:{self.proxy_port}\"{more}}}\n")
            f.write(extra_yaml)
        self.log_path = os.path.join(self.dir, "edge.log")
        self.proc = None
        self.ca_file = os.path.join(self.dir, "ca", "ca.crt")

    def set_pod_token(self, token):
        with open(self.token_file, "w") as f:
            f.write(token + "\n")

    def start(self):
        self.log = open(self.log_path, "w")
        command = edge_command(self.config)
        if self.uid is not None:
            for root, dirs, files in os.walk(self.dir):
                for name in [root] + [os.path.join(root, n) for n in dirs + files]:
                    os.chown(name, self.uid, -1)
            command = ["setpriv", f"--reuid={self.uid}", f"--regid={self.uid}", "--clear-groups",
                       "--"] + command
        self.proc = subprocess.Popen(command, stdout=self.log,
                                     stderr=subprocess.STDOUT, cwd=self.dir)
        deadline = time.monotonic() + 30
        while True:
            try:
                health = json.loads(OPENER.open(self.admin_url("/healthz"), timeout=1).read())
                if health["routesRevision"] >= 0:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise AssertionError(f"the edge did not start (exit {self.proc.poll()}):\n"
                                     + self.log_text())
            time.sleep(0.1)

    def wait_for_routes(self, revision_at_least):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            health = json.loads(OPENER.open(self.admin_url("/healthz"), timeout=1).read())
            if health["routesRevision"] >= revision_at_least:
                return
            time.sleep(0.1)
        raise AssertionError("the edge never saw configuration revision "
                             f"{revision_at_least}:\n" + self.log_text())

    def admin_url(self, path):
        return f"http://127.0.0.1:{self.admin_port}{path}"

    def metrics(self):
        return OPENER.open(self.admin_url("/metrics"), timeout=5).read().decode()

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(30)
        if self.proc is not None:
            self.log.close()
        self.work.cleanup()

    def log_text(self):
        if self.proc is not None:
            self.log.flush()
        with open(self.log_path) as f:
            return f.read()


def make_tls_material(directory, host="localhost"):
    """A CA and a server certificate for `host` (PEM files in `directory`): (ca, cert, key)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "upstream test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(hours=1))
          .not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False,
                                       False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
            .issuer_name(ca_name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = [os.path.join(directory, n) for n in ("upstream-ca.pem", "upstream.pem",
                                                  "upstream.key")]
    with open(paths[0], "wb") as f:
        f.write(ca.public_bytes(serialization.Encoding.PEM))
    with open(paths[1], "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(paths[2], "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    return paths


class RecordingUpstream:
    """An HTTP(S) server on 127.0.0.1 that answers every request with a JSON echo of what it
    received (method, path, headers, body length) and keeps the list in `requests`."""

    def __init__(self, tls_files=None, address=("127.0.0.1", 0)):
        self.requests = []
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def handle_any(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                seen = {"method": self.command, "path": self.path,
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "bodyLength": len(body)}
                outer.requests.append(seen)
                answer = json.dumps(seen).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            do_GET = do_POST = do_PUT = do_DELETE = handle_any

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(address, H)
        if tls_files:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(tls_files[1], tls_files[2])
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def curl(*args, env=None):
    """curl with no proxy environment of its own; returns (exit code, stdout, stderr)."""
    clean = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    clean.update(env or {})
    p = subprocess.run(["curl", "-sS", "--max-time", "20", *args], capture_output=True,
                       text=True, env=clean)
    return p.returncode, p.stdout, p.stderr
