#!/usr/bin/env python3
"""`tessera credentials get` end to end: a real `tessera hub`, a LocalIssuer as the CI's OIDC
issuer, and a GitHub Actions runner stand-in answering the ACTIONS_ID_TOKEN_REQUEST_URL protocol
on 127.0.0.1 (checks the bearer and the audience, answers {"value": jwt}). Checks the env, json
and github formats (::add-mask:: lines first, $GITHUB_OUTPUT in the delimiter form), --token-file,
--token-env, a refusal (exit 3, reason on stderr) and that no secret reaches stderr.
Environment: TESSERA_BIN."""
import http.server
import json
import os
import re
import shlex
import subprocess
import tempfile
import threading
import unittest
import urllib.parse

from hub_under_test import TESSERA, GrantTest, jwt_in, obj

PASSWORD = "p'a\"ss $(word) `x`"  # shell metacharacters: the env format must quote them
RUNNER_BEARER = "runner-request-token-123"


class GithubRunner:
    """ACTIONS_ID_TOKEN_REQUEST_URL: GET ?...&audience=AUD with Authorization: bearer TOKEN."""

    def __init__(self, issuer, sub):
        runner = self
        self.audiences = []

        class H(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                url = urllib.parse.urlsplit(self.path)
                query = urllib.parse.parse_qs(url.query)
                if self.headers.get("Authorization") != f"bearer {RUNNER_BEARER}":
                    return self.answer(401, {"message": "bad bearer"})
                if url.path != "/idtoken" or query.get("api-version") != ["2.0"]:
                    return self.answer(404, {"message": "not found"})
                audience = query.get("audience", [""])[0]
                runner.audiences.append(audience)
                token = issuer.sign(issuer.claims(sub, audience))
                self.answer(200, {"value": token})

            def answer(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/idtoken?api-version=2.0"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class CredentialsGetTest(GrantTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.hub.start()
        trust = obj("TrustProvider", "cluster", {"type": "oidc", "issuer": cls.cluster.url,
                                                 "audiences": ["tessera", cls.hub.url]})
        cls.hub.apply([trust] + cls.workloads()[1:] + [
            cls.server("registry", "registry.acme.example"),
            cls.server("orders-db", "orders-db.acme.example", method="basic"),
            obj("CredentialProvider", "registry-token", {"type": "oidc-id-token",
                                                         "audience": "registry"}),
            obj("CredentialProvider", "db-login", {"type": "static-secret",
                                                   "secretType": "username-password",
                                                   "username": "svc", "password": PASSWORD}),
            cls.policy("registry", "registry-token", "registry"),
            cls.policy("orders-db", "db-login", "orders-db")])
        cls.runner = GithubRunner(cls.cluster, "pod/sales-analytics")
        cls.addClassCleanup(cls.runner.close)
        cls.work = tempfile.TemporaryDirectory()
        cls.addClassCleanup(cls.work.cleanup)

    def run_cli(self, *args, env=None):
        base = {k: v for k, v in os.environ.items()
                if not k.startswith(("ACTIONS_ID_TOKEN", "GITHUB_", "TESSERA_"))}
        base["TESSERA_HUB"] = self.hub.url
        return subprocess.run([TESSERA, "credentials", "get", *args], env={**base, **(env or {})},
                              capture_output=True, text=True, timeout=60)

    def token_file(self, sub):
        path = os.path.join(self.work.name, sub.replace("/", "_"))
        with open(path, "w") as f:
            f.write(self.cluster.sign(self.cluster.claims(sub, "tessera")) + "\n")
        return path

    def test_env_format_with_token_file_quotes_for_the_shell(self):
        r = self.run_cli("--server-workload", "orders-db",
                         "--token-file", self.token_file("pod/billing"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn(PASSWORD, r.stderr)
        # The shell reads back exactly the values.
        script = r.stdout + 'printf "%s\\n%s" "$TESSERA_USERNAME" "$TESSERA_PASSWORD"'
        out = subprocess.run(["sh", "-c", script], capture_output=True, text=True, check=True)
        self.assertEqual(out.stdout, f"svc\n{PASSWORD}")
        self.assertRegex(r.stdout, r"export TESSERA_EXPIRES_AT='\d{4}-")

    def test_json_format_with_token_env(self):
        token = self.cluster.sign(self.cluster.claims("pod/sales-analytics", "tessera"))
        r = self.run_cli("--server-workload", "registry", "--format", "json",
                         "--token-env", "CI_JOB_JWT_TESSERA", env={"CI_JOB_JWT_TESSERA": token})
        self.assertEqual(r.returncode, 0, r.stderr)
        doc = json.loads(r.stdout)
        self.assertEqual(doc["serverWorkload"], "registry")
        self.assertEqual(doc["credential"]["type"], "id-token")
        self.assertTrue(doc["credential"]["token"].startswith("eyJ"))
        self.assertRegex(doc["contextId"], r"^[0-9a-f]{14}")
        self.assertGreater(doc["expiresIn"], 0)

    def test_github_format_masks_and_writes_outputs(self):
        output = os.path.join(self.work.name, "github_output")
        open(output, "w").close()
        r = self.run_cli("--server-workload", "orders-db", "--format", "github", env={
            "ACTIONS_ID_TOKEN_REQUEST_URL": self.runner.url,
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN": RUNNER_BEARER, "GITHUB_OUTPUT": output})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.runner.audiences[-1], self.hub.url, "default audience: the issuer")
        lines = r.stdout.splitlines()
        self.assertIn("::add-mask::svc", lines)
        self.assertIn(f"::add-mask::{PASSWORD}", lines)
        self.assertNotIn(PASSWORD, r.stderr)
        with open(output) as f:
            text = f.read()
        outputs = dict((m.group(1), m.group(3)) for m in re.finditer(
            r"^(\w+)<<(ghadelimiter_\S+)\n(.*?)\n\2\n", text, re.S | re.M))
        self.assertEqual(outputs["TESSERA_USERNAME"], "svc")
        self.assertEqual(outputs["TESSERA_PASSWORD"], PASSWORD)
        self.assertIn("TESSERA_EXPIRES_AT", outputs)

    def test_github_token_with_explicit_audience(self):
        r = self.run_cli("--server-workload", "registry", "--audience", "tessera", env={
            "ACTIONS_ID_TOKEN_REQUEST_URL": self.runner.url,
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN": RUNNER_BEARER})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.runner.audiences[-1], "tessera")
        env = dict(shlex.split(line[len("export "):])[0].split("=", 1)
                   for line in r.stdout.splitlines())
        self.assertTrue(env["TESSERA_TOKEN"].startswith("eyJ"))

    def test_refusals_exit_3_with_the_reason(self):
        # An unknown client workload: the hub refuses (unauthorized_client).
        r = self.run_cli("--server-workload", "registry",
                         "--token-file", self.token_file("pod/intruder"))
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertIn("unauthorized_client", r.stderr)
        self.assertEqual(r.stdout, "")
        r = self.run_cli("--server-workload", "nothing-here",
                         "--token-file", self.token_file("pod/billing"))
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertIn("invalid_target", r.stderr)

    def test_no_token_or_secret_in_the_hub_log(self):
        self.run_cli("--server-workload", "orders-db", "--token-file", self.token_file("pod/billing"))
        log = self.hub.log_text()
        self.assertIn("token exchange for orders-db: authorized", log)
        self.assertIsNone(jwt_in(log))
        self.assertNotIn(PASSWORD, log)

    def test_usage_errors(self):
        r = self.run_cli("--server-workload", "registry")
        self.assertEqual(r.returncode, 1)
        self.assertIn("no workload token", r.stderr)
        r = self.run_cli("--server-workload", "registry", "--format", "github",
                         "--token-file", self.token_file("pod/billing"))
        self.assertEqual(r.returncode, 1)
        self.assertIn("GITHUB_OUTPUT", r.stderr)
        r = self.run_cli("--server-workload", "registry", "--token-file", "/nonexistent")
        self.assertEqual(r.returncode, 1)
        self.assertIn("cannot read the token file", r.stderr)


if __name__ == "__main__":
    unittest.main()
