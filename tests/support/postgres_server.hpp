// A real PostgreSQL 15 server for tests: initdb in a temporary directory, started on a free
// loopback port (and a Unix socket in that directory), stopped and removed when the test process
// exits. Runs the server as the `postgres` system user when the tests run as root (CI does).
#pragma once

#include <string>

namespace tessera::testing {

class PostgresServer {
 public:
  // Started on first use; throws std::runtime_error (failing the test) if it cannot start.
  static PostgresServer& shared();
  // A second server whose TCP connections must authenticate: md5 for the role "md5_user",
  // scram-sha-256 for every other. Local (Unix socket) connections stay trusted for set-up.
  static PostgresServer& withPasswords();

  // A login role with a password (stored as md5 when `md5`, else as a SCRAM verifier).
  void createRole(const std::string& name, const std::string& password, bool md5 = false);

  // Turns on TLS (ssl = on, reloaded) with a PEM certificate chain and its PEM private key; TCP
  // clients may then negotiate TLS (pg_hba's `host` lines accept both). Idempotent per call.
  void enableTls(const std::string& certificateChainPem, const std::string& privateKeyPem);

  // A new, empty database on the server, and a connection string for it.
  std::string createDatabase();
  int port() const { return port_; }

  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

 private:
  explicit PostgresServer(bool passwords);
  std::string run(const std::string& command) const;  // as the server's user
  std::string dir_;
  std::string bin_;
  std::string asUser_;  // "runuser -u postgres -- " when root
  int port_ = 0;
  int databases_ = 0;
};

}  // namespace tessera::testing
