"""The edge's PostgreSQL listener end to end: `tessera hub` + `tessera edge` (real processes) in
front of a real PostgreSQL 15 that requires passwords (SCRAM-SHA-256; md5 for md5_user).
- The hub holds the role's password in a static-secret credential provider (username-password);
  the server workload is {127.0.0.1, <pg port>, postgres, password} and only pod/sales-analytics
  may use it. psql, psycopg2 (/usr/bin/python3, libpq) and npm pg connect to the edge's listener
  with no password anywhere and run queries as the grant's role; a second listener for
  localhost:<pg port> logs in as md5_user with md5.
- An edge whose pod token is pod/billing gets a PostgreSQL ErrorResponse: FATAL, SQLSTATE 28000,
  "tessera: access denied: " + the hub's own reason; psql prints it.
- With the hub stopped, an edge that holds the grant still lets new connections in; an edge that
  holds none answers FATAL 08006 "tessera: no credential available: ...".
- No password or token appears in the edge's or the hub's log.
Environment: TESSERA_BIN, NODE_EXECUTABLE (optional)."""
import os
import shutil
import socket
import struct
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from edge_under_test import Edge  # noqa: E402
from hub_under_test import GrantTest, free_port, jwt_in, obj  # noqa: E402
from postgres_under_test import PostgresServer  # noqa: E402

NODE = os.environ.get("NODE_EXECUTABLE") or shutil.which("node")
CLIENTS = os.path.join(HERE, "edge_pg_clients")
SCRAM_PASSWORD = "scram-pw-5d1e8b7a42c9"
MD5_PASSWORD = "md5-pw-91c3f0e6ab27"
DATABASE = "sales"


def client_env(**extra):
    """No password source at all: no PGPASSWORD, no password file, no service file."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PG") and "proxy" not in k.lower()}
    env.update(PGPASSFILE="/nonexistent/tessera-no-pgpass", PGCONNECT_TIMEOUT="10", **extra)
    return env


def run(argv, **extra_env):
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120,
                          env=client_env(**extra_env))
    return done.returncode, done.stdout + done.stderr


def psql(port, sql="select current_user", sslmode="disable"):
    return run(["/usr/bin/psql", "-X", "-w", "-At", "-h", "127.0.0.1", "-p", str(port),
                "-U", "whoever", "-d", DATABASE, "-c", sql], PGSSLMODE=sslmode)


def startup_error(port):
    """Sends a StartupMessage and returns the fields of the ErrorResponse that answers it."""
    params = b"user\0whoever\0database\0" + DATABASE.encode() + b"\0\0"
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(struct.pack("!ii", 8 + len(params), 196608) + params)
        data = b""
        while len(data) < 5 or len(data) < 1 + struct.unpack("!i", data[1:5])[0]:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    assert data[:1] == b"E", f"not an ErrorResponse: {data[:64]!r}"
    body = data[5:1 + struct.unpack("!i", data[1:5])[0]]
    fields = {}
    for part in body.split(b"\0"):
        if part:
            fields[chr(part[0])] = part[1:].decode()
    return fields


class EdgePostgres(GrantTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pg = PostgresServer()
        cls.addClassCleanup(cls.pg.stop)
        cls.pg.create_role("edge_app", SCRAM_PASSWORD)
        cls.pg.create_role("md5_user", MD5_PASSWORD, md5=True)
        cls.pg.sql(f"CREATE DATABASE {DATABASE}")
        cls.hub.start()

        def login(name, username, password):
            return obj("CredentialProvider", name, {
                "type": "static-secret", "secretType": "username-password",
                "username": username, "password": password})

        def database(name, host):
            return obj("ServerWorkload", name, {
                "host": host, "port": cls.pg.port, "protocol": "postgres",
                "tls": {"enabled": False}, "authentication": {"method": "password"}})

        def policy(name, provider, target):
            return obj("AccessPolicy", name, {
                "clientWorkloads": ["sales-analytics"],
                "trustProviders": {"match": "any", "names": ["cluster"]},
                "credentialProvider": provider, "serverWorkload": target})

        cls.hub.apply(cls.workloads() + [
            login("sales-db-login", "edge_app", SCRAM_PASSWORD),
            login("sales-db-md5-login", "md5_user", MD5_PASSWORD),
            database("sales-db", "127.0.0.1"),
            database("sales-db-md5", "localhost"),
            policy("sales-db", "sales-db-login", "sales-db"),
            policy("sales-db-md5", "sales-db-md5-login", "sales-db-md5")])

        cls.tokens = {name: cls.cluster.sign(cls.cluster.claims(f"pod/{name}", "tessera",
                                                                lifetime=3600))
                      for name in ("sales-analytics", "billing")}

        def edge(pod, hosts):
            ports = [free_port() for _ in hosts]
            yaml = "postgres:\n" + "".join(
                f"  - {{listen: \"127.0.0.1:{p}\", host: {h}, port: {cls.pg.port}}}\n"
                for p, h in zip(ports, hosts))
            e = Edge(cls.hub, cls.tokens[pod], extra_yaml=yaml, proxy=False)
            cls.addClassCleanup(e.stop)
            e.start()
            return e, ports

        cls.edge, (cls.port, cls.md5_port) = edge("sales-analytics", ["127.0.0.1", "localhost"])
        cls.billing_edge, (cls.billing_port,) = edge("billing", ["127.0.0.1"])
        # Started now, while the hub runs, and never used before the hub stops: it holds no grant.
        cls.fresh_edge, (cls.fresh_port,) = edge("sales-analytics", ["127.0.0.1"])

    def test_1_psql_without_a_password_runs_as_the_grants_role(self):
        code, out = psql(self.port, "select current_user, current_database(), 41 + 1")
        self.assertEqual(code, 0, out)
        self.assertEqual(out, f"edge_app|{DATABASE}|42\n")
        # libpq's default sslmode=prefer: the listener declines SSL and the login goes on.
        code, out = psql(self.port, sslmode="prefer")
        self.assertEqual(code, 0, out)
        self.assertEqual(out, "edge_app\n")
        # The same psql straight at the database, with no password, is refused: the server
        # really requires one.
        code, out = psql(self.pg.port)
        self.assertNotEqual(code, 0, out)
        self.assertIn("password", out)

    def test_2_psycopg2_without_a_password(self):
        for mode in ("basic", "bulk"):
            code, out = run(["/usr/bin/python3", os.path.join(CLIENTS, "psycopg2_client.py"),
                             str(self.port), DATABASE, "edge_app", mode])
            self.assertEqual(code, 0, out)
        self.assertIn('"copyBytes"', out)

    def test_2_npm_pg_without_a_password(self):
        code, out = run([NODE, os.path.join(CLIENTS, "pg_client.mjs"), str(self.port), DATABASE,
                          "edge_app"])
        self.assertEqual(code, 0, out)
        self.assertIn('"currentUser":"edge_app"', out)

    def test_3_md5_role(self):
        code, out = psql(self.md5_port)
        self.assertEqual(code, 0, out)
        self.assertEqual(out, "md5_user\n")
        code, out = run(["/usr/bin/python3", os.path.join(CLIENTS, "psycopg2_client.py"),
                         str(self.md5_port), DATABASE, "md5_user"])
        self.assertEqual(code, 0, out)

    def test_4_an_unauthorized_workload_gets_an_error_response_with_the_hubs_reason(self):
        decision = self.hub.access(self.tokens["billing"], "127.0.0.1", self.pg.port, "postgres")
        self.assertEqual(decision["outcome"], "unauthorized", decision)
        hub_reason = f"{decision['reasonCode']}: {decision['reason']}"
        fields = startup_error(self.billing_port)
        self.assertEqual(fields["S"], "FATAL")
        self.assertEqual(fields["C"], "28000")
        self.assertTrue(fields["M"].startswith("tessera: access denied: "), fields)
        self.assertIn(hub_reason, fields["M"])
        self.assertNotIn(SCRAM_PASSWORD, str(fields))
        code, out = psql(self.billing_port)
        self.assertNotEqual(code, 0, out)
        self.assertIn("FATAL:  tessera: access denied: " + hub_reason, out)
        code, out = run([NODE, os.path.join(CLIENTS, "pg_client.mjs"), str(self.billing_port),
                         DATABASE, "edge_app"])
        self.assertNotEqual(code, 0, out)
        self.assertIn("tessera: access denied", out)

    def test_5_the_hub_stopped_a_held_grant_still_works_a_fresh_edge_has_none(self):
        # The first edge holds the grant (a connection now makes sure of it), then the hub stops.
        code, out = psql(self.port)
        self.assertEqual(code, 0, out)
        self.hub.proc.terminate()
        self.hub.proc.wait(30)
        for _ in range(2):
            code, out = psql(self.port, "select current_user, 1 + 1")
            self.assertEqual(code, 0, out)
            self.assertEqual(out, "edge_app|2\n")
        code, out = run(["/usr/bin/python3", os.path.join(CLIENTS, "psycopg2_client.py"),
                         str(self.port), DATABASE, "edge_app"])
        self.assertEqual(code, 0, out)
        # An edge that never asked for this grant has nothing to serve: 08006 with the reason.
        fields = startup_error(self.fresh_port)
        self.assertEqual(fields["S"], "FATAL")
        self.assertEqual(fields["C"], "08006")
        self.assertTrue(fields["M"].startswith("tessera: no credential available: "), fields)
        self.assertIn(self.hub.url, fields["M"])
        self.assertIn("cannot be reached", fields["M"])
        code, out = psql(self.fresh_port)
        self.assertNotEqual(code, 0, out)
        self.assertIn("FATAL:  tessera: no credential available: ", out)

    def test_6_no_credential_in_the_logs(self):
        secrets = [SCRAM_PASSWORD, MD5_PASSWORD, self.hub.edge, self.hub.admin,
                   *self.tokens.values()]
        logs = {"hub": self.hub.log_text(), "edge": self.edge.log_text(),
                "billing edge": self.billing_edge.log_text(),
                "fresh edge": self.fresh_edge.log_text()}
        for name, log in logs.items():
            self.assertTrue(log, f"the {name} log is empty")
            for secret in secrets:
                self.assertNotIn(secret, log, f"a credential in the {name} log")
            self.assertIsNone(jwt_in(log), f"a JWT in the {name} log")
        # The edge did log the grant's use (so the check above looked at a working log).
        self.assertIn("127.0.0.1", logs["edge"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
