"""A real PostgreSQL 15 for the edge's end-to-end tests, started as tests/support/postgres_server.cpp
does: initdb in a temporary directory (as the postgres user when running as root, since initdb
refuses root), a pg_hba.conf that trusts only the Unix socket and requires passwords over TCP
(md5 for the role md5_user, SCRAM-SHA-256 for every other role), listening on 127.0.0.1 on a free
port. Administration goes through psql over the Unix socket. Environment: TESSERA_PG_BIN
(default /usr/lib/postgresql/15/bin)."""
import os
import pwd
import shutil
import subprocess
import tempfile

from hub_under_test import free_port

PG_BIN = os.environ.get("TESSERA_PG_BIN", "/usr/lib/postgresql/15/bin")


class PostgresServer:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="tessera-pg-")
        self.as_user = []
        if os.geteuid() == 0:
            pg = pwd.getpwnam("postgres")
            os.chown(self.dir, pg.pw_uid, pg.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self.port = free_port()
        self.data = os.path.join(self.dir, "data")
        self.harness_log = os.path.join(self.dir, "harness.log")
        self.run(f"{PG_BIN}/initdb", "-D", self.data, "-U", "tessera", "-A", "trust", "--no-sync",
                 "-E", "UTF8")
        self.run("sh", "-c", "printf 'local all all trust\\nhost all md5_user 127.0.0.1/32 md5\\n"
                             "host all all 127.0.0.1/32 scram-sha-256\\n' > "
                             f"{self.data}/pg_hba.conf")
        self.run(f"{PG_BIN}/pg_ctl", "-D", self.data, "-l", os.path.join(self.dir, "server.log"),
                 "-w", "-t", "30", "-o",
                 f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
                 "-c max_connections=50", "start")

    def run(self, *argv):
        with open(self.harness_log, "a") as log:
            done = subprocess.run(self.as_user + list(argv), stdout=log, stderr=subprocess.STDOUT,
                                  cwd=self.dir)
        if done.returncode != 0:
            with open(self.harness_log) as f:
                raise RuntimeError(f"PostgreSQL test server: {argv} failed:\n{f.read()}")

    def sql(self, *statements, database="postgres"):
        """Runs the statements in one session over the Unix socket (trusted) as tessera."""
        argv = ["/usr/bin/psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", "-h", self.dir, "-p",
                str(self.port), "-U", "tessera", "-d", database]
        for s in statements:
            argv += ["-c", s]
        done = subprocess.run(argv, capture_output=True, text=True,
                              env={k: v for k, v in os.environ.items() if not k.startswith("PG")})
        if done.returncode != 0:
            raise RuntimeError(f"psql {statements}: {done.stderr}")
        return done.stdout

    def create_role(self, name, password, md5=False):
        encryption = "md5" if md5 else "scram-sha-256"
        self.sql(f"SET password_encryption = '{encryption}'",
                 f"CREATE ROLE {name} LOGIN PASSWORD '{password}'")

    def stop(self):
        subprocess.run(self.as_user + [f"{PG_BIN}/pg_ctl", "-D", self.data, "-m", "immediate",
                                       "stop"], capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)
