// The edge's PostgreSQL listener against a real PostgreSQL 15 that requires passwords, with real
// clients that have none: psql, psycopg2 (libpq) and npm pg log in through the listener with the
// grant a test GrantSource hands out; refusals reach them as PostgreSQL errors they print.
#include "edge/postgres_listener.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/pem.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "crypto/random.hpp"
#include "postgres_server.hpp"
#include "scratch_dir.hpp"
#include "test_pki.hpp"

namespace tessera::edge {
namespace {

namespace asio = boost::asio;
using tessera::testing::PostgresServer;

// The GrantSource double: one fixed grant or error for every request, and what it was asked.
class FixedGrantSource : public GrantSource {
 public:
  void set(Result<Grant> answer) {
    std::lock_guard lock(mutex_);
    answer_ = std::move(answer);
  }
  // Answers only after `delay` (to exercise the listener's deadline).
  void delay(std::chrono::milliseconds d) { delay_ = d; }

  asio::awaitable<Result<std::shared_ptr<const Grant>>> grantFor(Target target,
                                                                 ClientContext context) override {
    {
      std::lock_guard lock(mutex_);
      lastTarget_ = target;
      lastContext_ = context;
    }
    if (delay_.count() > 0) {
      asio::steady_timer timer(co_await asio::this_coro::executor, delay_);
      co_await timer.async_wait(asio::use_awaitable);
    }
    std::lock_guard lock(mutex_);
    if (!answer_) {
      co_return answer_.error();
    }
    co_return std::make_shared<const Grant>(*answer_);
  }

  Target lastTarget() {
    std::lock_guard lock(mutex_);
    return lastTarget_;
  }
  ClientContext lastContext() {
    std::lock_guard lock(mutex_);
    return lastContext_;
  }

 private:
  std::mutex mutex_;
  Result<Grant> answer_ = Error{ErrorCode::kUnavailable, "not configured"};
  std::chrono::milliseconds delay_{0};
  Target lastTarget_;
  ClientContext lastContext_;
};

Grant passwordGrant(const std::string& user, const std::string& password) {
  Grant g;
  g.credentialType = "username-password";
  g.fields = {{"username", user}, {"password", password}};
  g.injection.method = "password";
  g.contextId = "ctx-test";
  return g;
}

struct Roles {
  std::string scramPassword = "scram-" + crypto::randomToken(18);
  std::string md5Password = "md5-" + crypto::randomToken(18);
  std::string database;
};

// Roles and a database on the password-requiring server, made once per test process.
const Roles& roles() {
  static const Roles r = [] {
    Roles out;
    auto& server = PostgresServer::withPasswords();
    server.createRole("edge_app", out.scramPassword);
    server.createRole("md5_user", out.md5Password, true);
    const std::string conninfo = server.createDatabase();
    out.database = conninfo.substr(conninfo.rfind("dbname=") + 7);
    return out;
  }();
  return r;
}

struct CommandResult {
  int exitCode = -1;
  std::string output;  // stdout and stderr
};

CommandResult runCommand(const std::string& command) {
  CommandResult result;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) {
    return result;
  }
  char buffer[4096];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) {
    result.output.append(buffer, n);
  }
  const int status = ::pclose(pipe);
  result.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

// psql with no password source at all: no PGPASSWORD, no password file, never prompting.
CommandResult psql(std::uint16_t port, const std::string& args,
                   const std::string& sslmode = "disable") {
  return runCommand(
      "env -u PGPASSWORD -u PGSERVICE -u PGHOST -u PGUSER -u PGDATABASE PGSSLMODE=" + sslmode +
      " PGPASSFILE=/nonexistent/tessera-no-pgpass PGCONNECT_TIMEOUT=10 /usr/bin/psql -X -w -At -h "
      "127.0.0.1 -p " +
      std::to_string(port) + " " + args);
}

std::string interopScript(const std::string& name) {
  return std::string(TESSERA_SOURCE_DIR) + "/tests/interop/edge_pg_clients/" + name;
}

std::string keyPem(const testpki::TestCertificate& cert) {
  crypto::BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), cert.key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

// A CA, the server's certificate for "localhost" (installed in the server), and the CA's file.
struct ServerTls {
  std::string caFile;
};
// The CA files of this process's tests, removed at exit.
const std::filesystem::path& pemDir() {
  static const testing::ScratchDir dir("edge-pg");
  return dir.path();
}
const ServerTls& serverTls() {
  static const ServerTls tls = [] {
    const auto now = std::chrono::system_clock::now();
    testpki::CertificateOptions caOptions;
    caOptions.commonName = "tessera test database CA";
    caOptions.notBefore = now - std::chrono::hours(1);
    caOptions.notAfter = now + std::chrono::hours(24);
    caOptions.ca = true;
    const auto ca = testpki::makeCertificate(caOptions);
    testpki::CertificateOptions leafOptions;
    leafOptions.commonName = "localhost";
    leafOptions.dnsNames = {"localhost"};
    leafOptions.notBefore = caOptions.notBefore;
    leafOptions.notAfter = caOptions.notAfter;
    const auto leaf = testpki::makeCertificate(leafOptions, &ca);
    PostgresServer::withPasswords().enableTls(leaf.pem() + ca.pem(), keyPem(leaf));
    ServerTls out;
    out.caFile = (pemDir() / "ca.pem").string();
    std::ofstream(out.caFile) << ca.pem();
    return out;
  }();
  return tls;
}

class PostgresListenerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    (void)roles();
    threads_.emplace_back([this] { ioc_.run(); });
    threads_.emplace_back([this] { ioc_.run(); });
  }
  void TearDown() override {
    if (listener_) {
      listener_->stop();
    }
    // Let the closes run, then end whatever is still waiting (a slow grant lookup).
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    work_.reset();
    ioc_.stop();
    for (auto& t : threads_) {
      t.join();
    }
    listener_.reset();
  }

  PostgresListenerOptions baseOptions() {
    PostgresListenerOptions options;
    options.bind = "127.0.0.1:0";
    options.upstream.host = "127.0.0.1";
    options.upstream.port = static_cast<std::uint16_t>(PostgresServer::withPasswords().port());
    options.target.host = "orders-db.internal";
    options.target.port = 5432;
    options.target.protocol = "postgres";
    return options;
  }

  std::uint16_t start(PostgresListenerOptions options) {
    listener_ = std::make_unique<PostgresListener>(ioc_, grants_, std::move(options));
    auto started = listener_->start();
    EXPECT_TRUE(started.ok()) << started.error().describe();
    return listener_->port();
  }
  std::uint16_t start() { return start(baseOptions()); }

  asio::io_context ioc_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(ioc_);
  std::vector<std::thread> threads_;
  FixedGrantSource grants_;
  std::unique_ptr<PostgresListener> listener_;
};

TEST_F(PostgresListenerTest, PsqlWithoutAPasswordRunsAsTheGrantsRole) {
  grants_.set(passwordGrant("edge_app", roles().scramPassword));
  const auto port = start();
  const auto r = psql(port, "-U whoever -d " + roles().database + " -c 'select current_user'");
  EXPECT_EQ(r.exitCode, 0) << r.output;
  EXPECT_EQ(r.output, "edge_app\n");
  // The listener asked for its configured target, with the client's address.
  EXPECT_EQ(grants_.lastTarget().host, "orders-db.internal");
  EXPECT_EQ(grants_.lastTarget().protocol, "postgres");
  EXPECT_EQ(grants_.lastContext().sourceIp, "127.0.0.1");
  const auto stats = listener_->stats();
  EXPECT_EQ(stats.injected, 1u);
  EXPECT_EQ(stats.refused, 0u);
}

TEST_F(PostgresListenerTest, PsqlAskingForTlsIsAnsweredNoAndCarriesOn) {
  grants_.set(passwordGrant("edge_app", roles().scramPassword));
  const auto port = start();
  const auto r =
      psql(port, "-U whoever -d " + roles().database + " -c 'select current_user'", "prefer");
  EXPECT_EQ(r.exitCode, 0) << r.output;
  EXPECT_EQ(r.output, "edge_app\n");
}

TEST_F(PostgresListenerTest, ClientParametersReachTheDatabase) {
  grants_.set(passwordGrant("edge_app", roles().scramPassword));
  const auto port = start();
  const auto r = runCommand(
      "env -u PGPASSWORD PGSSLMODE=disable PGPASSFILE=/nonexistent/tessera-no-pgpass "
      "PGAPPNAME=edge-test-app "
      "PGOPTIONS='-c search_path=relayed_path' /usr/bin/psql -X -w -At -h 127.0.0.1 -p " +
      std::to_string(port) + " -U whoever -d " + roles().database +
      " -c \"select current_database(), current_setting('application_name'), "
      "current_setting('search_path')\"");
  EXPECT_EQ(r.exitCode, 0) << r.output;
  EXPECT_EQ(r.output, roles().database + "|edge-test-app|relayed_path\n");
}

TEST_F(PostgresListenerTest, WithoutADatabaseTheClientsUserNameIsTheDatabase) {
  // libpq always sends a database (defaulting to the user name it was given), and the listener
  // keeps the client's meaning: database "whoever", not the grant's role.
  grants_.set(passwordGrant("edge_app", roles().scramPassword));
  const auto port = start();
  const auto r = psql(port, "-U whoever -c 'select 1'");
  EXPECT_NE(r.exitCode, 0);
  EXPECT_NE(r.output.find("database \"whoever\" does not exist"), std::string::npos) << r.output;
}

TEST_F(PostgresListenerTest, Md5RoleLogsIn) {
  grants_.set(passwordGrant("md5_user", roles().md5Password));
  const auto port = start();
  const auto r = psql(port, "-U whoever -d " + roles().database + " -c 'select current_user'");
  EXPECT_EQ(r.exitCode, 0) << r.output;
  EXPECT_EQ(r.output, "md5_user\n");
}

TEST_F(PostgresListenerTest, DeniedByTheHubIsAnAccessDeniedError) {
  grants_.set(
      Error{ErrorCode::kPermissionDenied, "no_policy: no access policy matches (context ctx-42)"});
  const auto port = start();
  const auto r = psql(port, "-U whoever -d " + roles().database + " -c 'select 1'");
  EXPECT_NE(r.exitCode, 0);
  EXPECT_NE(r.output.find("FATAL:  tessera: access denied: no_policy: no access policy matches "
                          "(context ctx-42)"),
            std::string::npos)
      << r.output;
  EXPECT_EQ(listener_->stats().refused, 1u);
}

TEST_F(PostgresListenerTest, HubUnavailableIsNoCredentialAvailable) {
  grants_.set(Error{ErrorCode::kUnavailable, "the hub cannot be reached"});
  const auto port = start();
  const auto r = psql(port, "-U whoever -d " + roles().database + " -c 'select 1'");
  EXPECT_NE(r.exitCode, 0);
  EXPECT_NE(r.output.find("tessera: no credential available: the hub cannot be reached"),
            std::string::npos)
      << r.output;
}

TEST_F(PostgresListenerTest, AGrantThatIsNotAPasswordIsRefused) {
  Grant g;
  g.credentialType = "api-key";
  g.fields = {{"apiKey", "secret-api-key"}};
  g.injection.method = "header";
  grants_.set(g);
  const auto port = start();
  const auto r = psql(port, "-U whoever -d " + roles().database + " -c 'select 1'");
  EXPECT_NE(r.exitCode, 0);
  EXPECT_NE(r.output.find("is not a username and password"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("secret-api-key"), std::string::npos) << r.output;
}

TEST_F(PostgresListenerTest, AWrongGrantPasswordIsTheDatabasesRefusal) {
  grants_.set(passwordGrant("edge_app", "not-the-password"));
  const auto port = start();
  const auto r = psql(port, "-U whoever -d " + roles().database + " -c 'select 1'");
  EXPECT_NE(r.exitCode, 0);
  EXPECT_NE(r.output.find("tessera: the database refused the edge's credential: password "
                          "authentication failed for user \"edge_app\""),
            std::string::npos)
      << r.output;
  EXPECT_EQ(r.output.find("not-the-password"), std::string::npos) << r.output;
  EXPECT_EQ(listener_->stats().upstreamFailures, 1u);
}

TEST_F(PostgresListenerTest, AnUnreachableDatabaseIsNamed) {
  grants_.set(passwordGrant("edge_app", roles().scramPassword));
  auto options = baseOptions();
  options.upstream.port = 1;  // nothing listens there
  const auto port = start(options);
  const auto r = psql(port, "-U whoever -d " + roles().database + " -c 'select 1'");
  EXPECT_NE(r.exitCode, 0);
  EXPECT_NE(r.output.find("tessera: cannot reach the database at 127.0.0.1:1: cannot connect to "
                          "127.0.0.1:1"),
            std::string::npos)
      << r.output;
}

TEST_F(PostgresListenerTest, ASlowHubRunsIntoTheAuthenticationDeadline) {
  grants_.set(passwordGrant("edge_app", roles().scramPassword));
  grants_.delay(std::chrono::seconds(30));
  auto options = baseOptions();
  options.authTimeout = std::chrono::milliseconds(300);
  const auto port = start(options);
  const auto begun = std::chrono::steady_clock::now();
  const auto r = psql(port, "-U whoever -d " + roles().database + " -c 'select 1'");
  EXPECT_LT(std::chrono::steady_clock::now() - begun, std::chrono::seconds(5));
  EXPECT_NE(r.exitCode, 0);
  EXPECT_NE(r.output.find("tessera: no credential available: no grant within 300 ms"),
            std::string::npos)
      << r.output;
}

TEST_F(PostgresListenerTest, ConnectionsBeyondTheLimitAreRefused) {
  grants_.set(passwordGrant("edge_app", roles().scramPassword));
  auto options = baseOptions();
  options.maxConnections = 1;
  const auto port = start(options);
  // One connection that says nothing holds the only slot.
  const int held = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(held, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  for (int i = 0; i < 100 && listener_->stats().active == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const auto r = psql(port, "-U whoever -d " + roles().database + " -c 'select 1'");
  ::close(held);
  EXPECT_NE(r.exitCode, 0);
  EXPECT_NE(r.output.find("tessera: too many connections"), std::string::npos) << r.output;
  EXPECT_EQ(listener_->stats().overLimit, 1u);
}

TEST_F(PostgresListenerTest, AnOversizedStartupPacketIsRefused) {
  grants_.set(passwordGrant("edge_app", roles().scramPassword));
  const auto port = start();
  // A connection string, so that the long value really goes into the startup packet.
  const auto big = runCommand(
      "env -u PGPASSWORD PGSSLMODE=disable PGPASSFILE=/nonexistent/tessera-no-pgpass /usr/bin/psql "
      "-X -w -At "
      "'host=127.0.0.1 port=" +
      std::to_string(port) + " user=whoever dbname=" + roles().database +
      " application_name=" + std::string(12000, 'a') + "' -c 'select 1'");
  EXPECT_NE(big.exitCode, 0);
  EXPECT_NE(big.output.find("tessera: invalid startup packet"), std::string::npos) << big.output;
}

TEST_F(PostgresListenerTest, Psycopg2ConnectsAndQueries) {
  grants_.set(passwordGrant("edge_app", roles().scramPassword));
  const auto port = start();
  const auto r =
      runCommand("env -u PGPASSWORD /usr/bin/python3 " + interopScript("psycopg2_client.py") + " " +
                 std::to_string(port) + " " + roles().database + " edge_app basic");
  EXPECT_EQ(r.exitCode, 0) << r.output;
  EXPECT_NE(r.output.find("\"currentUser\": \"edge_app\""), std::string::npos) << r.output;
}

TEST_F(PostgresListenerTest, LargeResultsAndCopyRelayIntact) {
  grants_.set(passwordGrant("edge_app", roles().scramPassword));
  const auto port = start();
  const auto r =
      runCommand("env -u PGPASSWORD /usr/bin/python3 " + interopScript("psycopg2_client.py") + " " +
                 std::to_string(port) + " " + roles().database + " edge_app bulk");
  EXPECT_EQ(r.exitCode, 0) << r.output;
  EXPECT_NE(r.output.find("\"resultBytes\": 6400000"), std::string::npos) << r.output;
}

TEST_F(PostgresListenerTest, CancelRequestsReachTheDatabase) {
  grants_.set(passwordGrant("edge_app", roles().scramPassword));
  const auto port = start();
  const auto r =
      runCommand("env -u PGPASSWORD /usr/bin/python3 " + interopScript("psycopg2_client.py") + " " +
                 std::to_string(port) + " " + roles().database + " edge_app cancel");
  EXPECT_EQ(r.exitCode, 0) << r.output;
  EXPECT_EQ(listener_->stats().cancelsForwarded, 1u);
}

TEST_F(PostgresListenerTest, NpmPgConnectsAndQueries) {
  grants_.set(passwordGrant("edge_app", roles().scramPassword));
  const auto port = start();
  const auto r = runCommand("env -u PGPASSWORD node " + interopScript("pg_client.mjs") + " " +
                            std::to_string(port) + " " + roles().database + " edge_app");
  EXPECT_EQ(r.exitCode, 0) << r.output;
  EXPECT_NE(r.output.find("\"currentUser\":\"edge_app\""), std::string::npos) << r.output;
}

TEST_F(PostgresListenerTest, UpstreamTlsRequire) {
  const auto& tls = serverTls();
  (void)tls;
  grants_.set(passwordGrant("edge_app", roles().scramPassword));
  auto options = baseOptions();
  options.upstream.tls = PostgresUpstream::TlsMode::kRequire;
  const auto port = start(options);
  const auto r = psql(port, "-U whoever -d " + roles().database +
                                " -c 'select ssl from pg_stat_ssl where pid = pg_backend_pid()'");
  EXPECT_EQ(r.exitCode, 0) << r.output;
  EXPECT_EQ(r.output, "t\n");
}

TEST_F(PostgresListenerTest, UpstreamTlsVerifyFull) {
  const auto& tls = serverTls();
  grants_.set(passwordGrant("edge_app", roles().scramPassword));
  auto options = baseOptions();
  options.upstream.tls = PostgresUpstream::TlsMode::kVerifyFull;
  options.upstream.caBundleFile = tls.caFile;
  options.upstream.serverName = "localhost";
  const auto port = start(options);
  const auto r = psql(port, "-U whoever -d " + roles().database +
                                " -c 'select ssl from pg_stat_ssl where pid = pg_backend_pid()'");
  EXPECT_EQ(r.exitCode, 0) << r.output;
  EXPECT_EQ(r.output, "t\n");
}

TEST_F(PostgresListenerTest, LargeResultsAndCopyRelayIntactOverUpstreamTls) {
  const auto& tls = serverTls();
  grants_.set(passwordGrant("edge_app", roles().scramPassword));
  auto options = baseOptions();
  options.upstream.tls = PostgresUpstream::TlsMode::kVerifyFull;
  options.upstream.caBundleFile = tls.caFile;
  options.upstream.serverName = "localhost";
  const auto port = start(options);
  const auto r =
      runCommand("env -u PGPASSWORD /usr/bin/python3 " + interopScript("psycopg2_client.py") + " " +
                 std::to_string(port) + " " + roles().database + " edge_app bulk");
  EXPECT_EQ(r.exitCode, 0) << r.output;
  EXPECT_NE(r.output.find("\"resultBytes\": 6400000"), std::string::npos) << r.output;
}

TEST_F(PostgresListenerTest, CancelRequestsTravelOverUpstreamTlsToo) {
  const auto& tls = serverTls();
  grants_.set(passwordGrant("edge_app", roles().scramPassword));
  auto options = baseOptions();
  options.upstream.tls = PostgresUpstream::TlsMode::kVerifyFull;
  options.upstream.caBundleFile = tls.caFile;
  options.upstream.serverName = "localhost";
  const auto port = start(options);
  const auto r =
      runCommand("env -u PGPASSWORD /usr/bin/python3 " + interopScript("psycopg2_client.py") + " " +
                 std::to_string(port) + " " + roles().database + " edge_app cancel");
  EXPECT_EQ(r.exitCode, 0) << r.output;
  EXPECT_EQ(listener_->stats().cancelsForwarded, 1u);
}

TEST_F(PostgresListenerTest, UpstreamTlsVerifyFullRefusesAnotherName) {
  const auto& tls = serverTls();
  grants_.set(passwordGrant("edge_app", roles().scramPassword));
  auto options = baseOptions();
  options.upstream.tls = PostgresUpstream::TlsMode::kVerifyFull;
  options.upstream.caBundleFile = tls.caFile;
  options.upstream.serverName = "orders-db.internal";
  const auto port = start(options);
  const auto r = psql(port, "-U whoever -d " + roles().database + " -c 'select 1'");
  EXPECT_NE(r.exitCode, 0);
  EXPECT_NE(r.output.find("tessera: cannot reach the database at 127.0.0.1:"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("certificate verification failed (expecting orders-db.internal)"),
            std::string::npos)
      << r.output;
}

TEST_F(PostgresListenerTest, UpstreamTlsVerifyFullRefusesAnUnknownCa) {
  (void)serverTls();
  grants_.set(passwordGrant("edge_app", roles().scramPassword));
  const auto now = std::chrono::system_clock::now();
  testpki::CertificateOptions otherOptions;
  otherOptions.commonName = "some other CA";
  otherOptions.notBefore = now - std::chrono::hours(1);
  otherOptions.notAfter = now + std::chrono::hours(1);
  otherOptions.ca = true;
  const auto other = testpki::makeCertificate(otherOptions);
  const std::string otherFile = (pemDir() / "other-ca.pem").string();
  std::ofstream(otherFile) << other.pem();
  auto options = baseOptions();
  options.upstream.tls = PostgresUpstream::TlsMode::kVerifyFull;
  options.upstream.caBundleFile = otherFile;
  options.upstream.serverName = "localhost";
  const auto port = start(options);
  const auto r = psql(port, "-U whoever -d " + roles().database + " -c 'select 1'");
  EXPECT_NE(r.exitCode, 0);
  EXPECT_NE(r.output.find("certificate verification failed"), std::string::npos) << r.output;
}

// --- A raw client and a scripted stand-in database, for what real peers cannot show. ---

std::string int32Bytes(std::int32_t value) {
  const auto v = static_cast<std::uint32_t>(value);
  return {static_cast<char>(v >> 24), static_cast<char>((v >> 16) & 0xff),
          static_cast<char>((v >> 8) & 0xff), static_cast<char>(v & 0xff)};
}

// A blocking loopback socket with a receive timeout; enough for a test.
class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {
    timeval tv{};
    tv.tv_sec = 10;
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  static Socket connectTo(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    return Socket(fd);
  }
  ~Socket() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  Socket(Socket&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Socket& operator=(Socket&&) = delete;

  void send(std::string_view bytes) {
    while (!bytes.empty()) {
      const auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) {
        return;
      }
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
  }
  // One byte (the answer to SSLRequest/GSSENCRequest); 0 on end of stream.
  char byte() {
    char c = 0;
    return ::recv(fd_, &c, 1, 0) == 1 ? c : '\0';
  }
  // The next message (typed phase unless `startup`); type '\0' and empty payload at the end.
  pgwire::Message next(bool startup = false) {
    if (startup) {
      reader_ = pgwire::MessageReader(pgwire::MessageReader::Phase::kStartup);
    }
    while (pending_.empty()) {
      char buffer[4096];
      const auto n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0 ||
          !reader_.feed(std::string_view(buffer, static_cast<std::size_t>(n)), pending_).ok()) {
        return {};
      }
    }
    pgwire::Message m = std::move(pending_.front());
    pending_.erase(pending_.begin());
    if (startup) {
      reader_ = pgwire::MessageReader(pgwire::MessageReader::Phase::kTyped);
    }
    return m;
  }
  // True when the peer closed the connection (end of stream or reset) within the timeout.
  bool closedByPeer() {
    char c = 0;
    const auto n = ::recv(fd_, &c, 1, 0);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
  }

 private:
  int fd_;
  pgwire::MessageReader reader_{pgwire::MessageReader::Phase::kTyped};
  std::vector<pgwire::Message> pending_;
};

// A stand-in database on a loopback port that serves one connection with `script`.
class ScriptedDatabase {
 public:
  explicit ScriptedDatabase(std::function<void(Socket&)> script)
      : listenFd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    EXPECT_EQ(::bind(listenFd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(listenFd_, 4), 0);
    ::getsockname(listenFd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this, script = std::move(script)] {
      const int fd = ::accept(listenFd_, nullptr, nullptr);
      if (fd >= 0) {
        Socket s(fd);
        script(s);
      }
    });
  }
  ~ScriptedDatabase() {
    ::shutdown(listenFd_, SHUT_RDWR);
    join();
    ::close(listenFd_);
  }
  // Waits for the script to end (what it recorded is then safe to read).
  void join() {
    if (thread_.joinable()) {
      thread_.join();
    }
  }
  std::uint16_t port() const { return port_; }

 private:
  int listenFd_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

std::string authRequest(std::int32_t code, std::string_view rest = {}) {
  return pgwire::encodeMessage('R', int32Bytes(code) + std::string(rest));
}

TEST_F(PostgresListenerTest, TheClientIsOnlyEverToldAuthenticationOk) {
  grants_.set(passwordGrant("edge_app", roles().scramPassword));
  const auto port = start();
  Socket client = Socket::connectTo(port);
  // GSSENCRequest and SSLRequest are both answered N; then the startup packet.
  client.send(int32Bytes(8) + int32Bytes(pgwire::kGssEncRequestCode));
  EXPECT_EQ(client.byte(), 'N');
  client.send(pgwire::encodeSslRequest());
  EXPECT_EQ(client.byte(), 'N');
  client.send(pgwire::encodeStartupMessage({{"user", "whoever"}, {"database", roles().database}}));
  std::vector<char> types;
  for (pgwire::Message m = client.next(); m.type != '\0'; m = client.next()) {
    types.push_back(m.type);
    if (m.type == 'R') {
      EXPECT_EQ(m.payload, int32Bytes(0)) << "an authentication request other than Ok";
    }
    if (m.type == 'Z') {
      break;
    }
  }
  ASSERT_FALSE(types.empty());
  EXPECT_EQ(types.front(), 'R');
  EXPECT_EQ(std::count(types.begin(), types.end(), 'R'), 1);
  EXPECT_EQ(types.back(), 'Z');
  EXPECT_NE(std::find(types.begin(), types.end(), 'K'), types.end());  // BackendKeyData relayed
  EXPECT_EQ(listener_->stats().active, 1u);

  // stop() ends relayed connections too.
  listener_->stop();
  EXPECT_TRUE(client.closedByPeer());
  for (int i = 0; i < 100 && listener_->stats().active != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(listener_->stats().active, 0u);
}

TEST_F(PostgresListenerTest, AClientThatSaysNothingIsClosedAfterTheStartupTimeout) {
  auto options = baseOptions();
  options.startupTimeout = std::chrono::milliseconds(200);
  const auto port = start(options);
  Socket client = Socket::connectTo(port);
  const auto begun = std::chrono::steady_clock::now();
  EXPECT_TRUE(client.closedByPeer());
  EXPECT_LT(std::chrono::steady_clock::now() - begun, std::chrono::seconds(3));
}

TEST_F(PostgresListenerTest, DataPipelinedAfterAnSslRequestIsRefused) {
  grants_.set(passwordGrant("edge_app", roles().scramPassword));
  const auto port = start();
  Socket client = Socket::connectTo(port);
  client.send(pgwire::encodeSslRequest() +
              pgwire::encodeStartupMessage({{"user", "whoever"}, {"database", "x"}}));
  const pgwire::Message m = client.next();
  ASSERT_EQ(m.type, 'E');
  const auto error = pgwire::parseErrorResponse(m);
  ASSERT_TRUE(error.ok());
  EXPECT_EQ(error->code, "08P01");
  EXPECT_EQ(error->message, "tessera: data received after an encryption request");
}

TEST_F(PostgresListenerTest, NoCleartextPasswordOverPlaintext) {
  grants_.set(passwordGrant("edge_app", "cleartext-secret"));
  std::atomic<bool> passwordSent{false};
  ScriptedDatabase database([&](Socket& s) {
    s.next(true);
    s.send(authRequest(3));
    passwordSent = s.next().type == 'p';
  });
  auto options = baseOptions();
  options.upstream.port = database.port();
  const auto port = start(options);
  const auto r = psql(port, "-U whoever -d somedb -c 'select 1'");
  EXPECT_NE(r.exitCode, 0);
  EXPECT_NE(r.output.find("asks for a cleartext password over an unencrypted connection"),
            std::string::npos)
      << r.output;
  EXPECT_EQ(r.output.find("cleartext-secret"), std::string::npos);
  EXPECT_FALSE(passwordSent);
}

TEST_F(PostgresListenerTest, CleartextWhenAllowedAndTheStartupPacketTheDatabaseSees) {
  grants_.set(passwordGrant("edge_app", "cleartext-secret"));
  std::string startupSeen;
  std::string passwordSeen;
  ScriptedDatabase database([&](Socket& s) {
    startupSeen = s.next(true).payload;
    s.send(authRequest(3));
    passwordSeen = s.next().payload;
    s.send(authRequest(0) +
           pgwire::encodeMessage('S', std::string("server_version\0"
                                                  "15.0\0",
                                                  20)) +
           pgwire::encodeMessage('Z', "I"));
    (void)s.next();  // wait for the client's Terminate or end of stream
  });
  auto options = baseOptions();
  options.upstream.port = database.port();
  options.allowCleartextWithoutTls = true;
  const auto port = start(options);
  {
    Socket client = Socket::connectTo(port);
    client.send(pgwire::encodeStartupMessage({{"user", "whoever"}, {"application_name", "app1"}}));
    EXPECT_EQ(client.next().payload, int32Bytes(0));
    EXPECT_EQ(client.next().type, 'S');
    EXPECT_EQ(client.next().type, 'Z');
    client.send(pgwire::encodeMessage('X', ""));
  }
  database.join();
  // The grant's user; the client's other parameters; database = the client's user name.
  EXPECT_EQ(startupSeen, int32Bytes(pgwire::kProtocolVersion3) +
                             std::string("user\0edge_app\0application_name\0app1\0"
                                         "database\0whoever\0\0",
                                         54));
  EXPECT_EQ(passwordSeen, std::string("cleartext-secret\0", 17));
}

TEST_F(PostgresListenerTest, ChannelBindingOnlyIsRefused) {
  grants_.set(passwordGrant("edge_app", roles().scramPassword));
  ScriptedDatabase database([&](Socket& s) {
    s.next(true);
    s.send(authRequest(10, std::string("SCRAM-SHA-256-PLUS\0\0", 20)));
    (void)s.next();
  });
  auto options = baseOptions();
  options.upstream.port = database.port();
  const auto port = start(options);
  const auto r = psql(port, "-U whoever -d somedb -c 'select 1'");
  EXPECT_NE(r.exitCode, 0);
  EXPECT_NE(r.output.find("offers no SASL mechanism the edge performs (SCRAM-SHA-256); it offers "
                          "SCRAM-SHA-256-PLUS"),
            std::string::npos)
      << r.output;
}

TEST(PostgresListenerOptions, TlsModesParse) {
  EXPECT_EQ(*parsePostgresTlsMode("disable"), PostgresUpstream::TlsMode::kDisable);
  EXPECT_EQ(*parsePostgresTlsMode("require"), PostgresUpstream::TlsMode::kRequire);
  EXPECT_EQ(*parsePostgresTlsMode("verify-full"), PostgresUpstream::TlsMode::kVerifyFull);
  EXPECT_FALSE(parsePostgresTlsMode("prefer").ok());
}

TEST(PostgresListenerOptions, StartRejectsAMissingUpstreamAndABadBind) {
  asio::io_context ioc;
  FixedGrantSource grants;
  PostgresListenerOptions noUpstream;
  noUpstream.bind = "127.0.0.1:0";
  PostgresListener a(ioc, grants, noUpstream);
  EXPECT_EQ(a.start().error().code, ErrorCode::kConfigInvalid);
  PostgresListenerOptions badBind;
  badBind.bind = "127.0.0.1";
  badBind.upstream.host = "127.0.0.1";
  PostgresListener b(ioc, grants, badBind);
  EXPECT_EQ(b.start().error().code, ErrorCode::kConfigInvalid);
}

}  // namespace
}  // namespace tessera::edge
