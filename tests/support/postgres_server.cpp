#include "postgres_server.hpp"

#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#include "store/postgres/postgres_db.hpp"

namespace tessera::testing {

namespace {
int freeLoopbackPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw std::runtime_error("cannot find a free loopback port");
  }
  const int port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}
}  // namespace

PostgresServer& PostgresServer::shared() {
  static PostgresServer server(false);
  return server;
}

PostgresServer& PostgresServer::withPasswords() {
  static PostgresServer server(true);
  return server;
}

std::string PostgresServer::run(const std::string& command) const {
  const std::string full = asUser_ + command + " >> " + dir_ + "/harness.log 2>&1";
  if (std::system(full.c_str()) != 0) {
    throw std::runtime_error("PostgreSQL test server: `" + command + "` failed; see " + dir_ +
                             "/harness.log");
  }
  return full;
}

PostgresServer::PostgresServer(bool passwords) {
  const char* bin = std::getenv("TESSERA_PG_BIN");
  bin_ = bin ? bin : "/usr/lib/postgresql/15/bin";
  char tmpl[] = "/tmp/tessera-pg-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) {
    throw std::runtime_error("cannot create a directory for the PostgreSQL test server");
  }
  dir_ = tmpl;
  if (::geteuid() == 0) {
    // initdb refuses to run as root.
    const passwd* pg = ::getpwnam("postgres");
    if (pg == nullptr || ::chown(dir_.c_str(), pg->pw_uid, pg->pw_gid) != 0) {
      throw std::runtime_error("running as root needs the postgres user (postgresql-15 package)");
    }
    asUser_ = "runuser -u postgres -- ";
  }
  port_ = freeLoopbackPort();
  run(bin_ + "/initdb -D " + dir_ + "/data -U tessera -A trust --no-sync -E UTF8");
  if (passwords) {
    // The role md5_user answers md5 (PostgreSQL 15 has no patterns here); every other TCP
    // login SCRAM-SHA-256.
    run("sh -c 'printf \"local all all trust\\nhost all md5_user 127.0.0.1/32 md5\\n"
        "host all all 127.0.0.1/32 scram-sha-256\\n\" > " +
        dir_ + "/data/pg_hba.conf'");
  }
  run(bin_ + "/pg_ctl -D " + dir_ + "/data -l " + dir_ + "/server.log -w -t 30 -o \"-p " +
      std::to_string(port_) + " -k " + dir_ +
      " -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50\" start");
}

PostgresServer::~PostgresServer() {
  const std::string stop =
      asUser_ + bin_ + "/pg_ctl -D " + dir_ + "/data -m immediate stop > /dev/null 2>&1";
  (void)std::system(stop.c_str());
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void PostgresServer::createRole(const std::string& name, const std::string& password, bool md5) {
  auto admin = store::PostgresDb::connect("host=" + dir_ + " port=" + std::to_string(port_) +
                                          " user=tessera dbname=postgres");
  if (!admin) {
    throw std::runtime_error(admin.error().describe());
  }
  const std::string encryption = md5 ? "md5" : "scram-sha-256";
  for (const std::string& sql : {"SET password_encryption = '" + encryption + "'",
                                 "CREATE ROLE " + name + " LOGIN PASSWORD '" + password + "'"}) {
    if (auto r = (*admin)->exec(sql); !r) {
      throw std::runtime_error(r.error().describe());
    }
  }
}

void PostgresServer::enableTls(const std::string& certificateChainPem,
                               const std::string& privateKeyPem) {
  const std::string cert = dir_ + "/server.crt";
  const std::string key = dir_ + "/server.key";
  const std::vector<std::pair<std::string, std::string>> files = {{cert, certificateChainPem},
                                                                  {key, privateKeyPem}};
  for (const auto& [path, pem] : files) {
    std::ofstream(path, std::ios::trunc) << pem;
    // PostgreSQL refuses a key file that others can read; it must belong to the server's user.
    ::chmod(path.c_str(), 0600);
    if (const passwd* pg = asUser_.empty() ? nullptr : ::getpwnam("postgres")) {
      if (::chown(path.c_str(), pg->pw_uid, pg->pw_gid) != 0) {
        throw std::runtime_error("cannot hand " + path + " to the postgres user");
      }
    }
  }
  auto admin = store::PostgresDb::connect("host=" + dir_ + " port=" + std::to_string(port_) +
                                          " user=tessera dbname=postgres");
  if (!admin) {
    throw std::runtime_error(admin.error().describe());
  }
  for (const std::string& sql :
       {"ALTER SYSTEM SET ssl_cert_file = '" + cert + "'",
        "ALTER SYSTEM SET ssl_key_file = '" + key + "'", std::string("ALTER SYSTEM SET ssl = on"),
        std::string("SELECT pg_reload_conf()")}) {
    if (auto r = (*admin)->exec(sql); !r) {
      throw std::runtime_error(r.error().describe());
    }
  }
  // The reload is asynchronous; new backends see it once the postmaster has processed SIGHUP.
  for (int attempt = 0; attempt < 100; ++attempt) {
    auto probe = store::PostgresDb::connect("host=" + dir_ + " port=" + std::to_string(port_) +
                                            " user=tessera dbname=postgres");
    if (probe) {
      auto r = (*probe)->query("SHOW ssl");
      if (r && r->rows() == 1 && r->text(0, 0) == "on") {
        return;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  throw std::runtime_error("PostgreSQL test server: ssl did not turn on; see " + dir_ +
                           "/server.log");
}

std::string PostgresServer::createDatabase() {
  const std::string base = "host=127.0.0.1 port=" + std::to_string(port_) + " user=tessera";
  // Over the Unix socket, which stays trusted on the server that requires passwords over TCP.
  auto admin = store::PostgresDb::connect("host=" + dir_ + " port=" + std::to_string(port_) +
                                          " user=tessera dbname=postgres");
  if (!admin) {
    throw std::runtime_error(admin.error().describe());
  }
  const std::string name = "t" + std::to_string(::getpid()) + "_" + std::to_string(++databases_);
  if (auto r = (*admin)->exec("CREATE DATABASE " + name); !r) {
    throw std::runtime_error(r.error().describe());
  }
  return base + " dbname=" + name;
}

}  // namespace tessera::testing
