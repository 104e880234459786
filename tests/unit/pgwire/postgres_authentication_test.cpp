// The pgwire codecs, SCRAM-SHA-256 and md5 answers against a real PostgreSQL 15 that requires
// passwords: what the edge's PostgreSQL injector will do on behalf of a client with none.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "crypto/digest.hpp"
#include "crypto/random.hpp"
#include "pgwire/md5_password.hpp"
#include "pgwire/message.hpp"
#include "pgwire/scram_client.hpp"
#include "postgres_server.hpp"

namespace tessera::pgwire {
namespace {

using namespace std::string_literals;
using tessera::testing::PostgresServer;

// A blocking loopback connection; enough for a test.
class Connection {
 public:
  explicit Connection(int port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = fd_ >= 0 && ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~Connection() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  bool connected() const { return connected_; }
  void send(std::string_view bytes) {
    while (!bytes.empty()) {
      const auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      ASSERT_GT(n, 0);
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
  }
  // The next message from the server; type 0 when the server closed the connection.
  Message next() {
    while (pending_.empty()) {
      char buffer[4096];
      const auto n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) {
        return {};
      }
      if (!reader_.feed(std::string_view(buffer, static_cast<std::size_t>(n)), pending_).ok()) {
        return {};
      }
    }
    Message m = std::move(pending_.front());
    pending_.erase(pending_.begin());
    return m;
  }

 private:
  int fd_;
  bool connected_ = false;
  MessageReader reader_{MessageReader::Phase::kTyped};
  std::vector<Message> pending_;
};

struct Session {
  bool ready = false;
  std::vector<std::string> methods;  // what the server asked for, in order
  std::optional<ServerError> error;
  std::string currentUser;
};

// Logs in as `user` with `password` as the edge will, then asks the server who we are.
Session logIn(const std::string& user, const std::string& password) {
  Session session;
  Connection c(PostgresServer::withPasswords().port());
  EXPECT_TRUE(c.connected());
  c.send(encodeStartupMessage({{"user", user}, {"database", "postgres"}}));
  const auto nonceBytes = crypto::randomBytes(18);
  ScramSha256Client scram(password, crypto::base64Encode(nonceBytes));
  for (;;) {
    Message m = c.next();
    if (m.type == 'R') {
      auto auth = parseAuthentication(m);
      EXPECT_TRUE(auth.ok()) << auth.error().message;
      if (!auth) {
        return session;
      }
      switch (auth->kind) {
        case Authentication::Kind::kSasl:
          session.methods.push_back("sasl");
          EXPECT_NE(std::find(auth->mechanisms.begin(), auth->mechanisms.end(), kScramSha256),
                    auth->mechanisms.end());
          c.send(encodeSaslInitialResponse(kScramSha256, scram.clientFirstMessage()));
          break;
        case Authentication::Kind::kSaslContinue: {
          auto final = scram.clientFinalMessage(auth->data);
          EXPECT_TRUE(final.ok()) << final.error().message;
          c.send(encodeSaslResponse(final ? *final : ""));
          break;
        }
        case Authentication::Kind::kSaslFinal: {
          session.methods.push_back("sasl-final-verified");
          auto verified = scram.verifyServerFinal(auth->data);
          EXPECT_TRUE(verified.ok()) << verified.error().message;
          break;
        }
        case Authentication::Kind::kMd5Password:
          session.methods.push_back("md5");
          c.send(encodePasswordMessage(md5PasswordResponse(user, password, auth->md5Salt)));
          break;
        case Authentication::Kind::kCleartextPassword:
          session.methods.push_back("cleartext");
          c.send(encodePasswordMessage(password));
          break;
        case Authentication::Kind::kOk:
          session.methods.push_back("ok");
          break;
      }
    } else if (m.type == 'E') {
      auto error = parseErrorResponse(m);
      EXPECT_TRUE(error.ok());
      session.error = error ? std::optional(*error) : std::nullopt;
      return session;
    } else if (m.type == 'Z') {
      break;
    } else if (m.type == '\0') {
      ADD_FAILURE() << "the server closed the connection";
      return session;
    }  // ParameterStatus, BackendKeyData: relayed by the edge, not read
  }
  session.ready = true;
  c.send(encodeMessage('Q', "SELECT current_user\0"s));
  for (Message m = c.next(); m.type != 'Z' && m.type != '\0'; m = c.next()) {
    if (m.type == 'D' && m.payload.size() > 6) {  // int16 columns, int32 length, value
      session.currentUser = m.payload.substr(6);
    }
  }
  return session;
}

TEST(PostgresAuthentication, ScramSha256LogsInAndTheServerProvesItKnowsThePassword) {
  const std::string password = "pw-" + crypto::randomToken(18);
  PostgresServer::withPasswords().createRole("scram_app", password);
  const Session session = logIn("scram_app", password);
  EXPECT_FALSE(session.error) << session.error->message;
  EXPECT_TRUE(session.ready);
  EXPECT_EQ(session.methods, (std::vector<std::string>{"sasl", "sasl-final-verified", "ok"}));
  EXPECT_EQ(session.currentUser, "scram_app");
}

TEST(PostgresAuthentication, Md5LogsIn) {
  const std::string password = "pw-" + crypto::randomToken(18);
  PostgresServer::withPasswords().createRole("md5_user", password, true);
  const Session session = logIn("md5_user", password);
  EXPECT_FALSE(session.error) << session.error->message;
  EXPECT_EQ(session.methods, (std::vector<std::string>{"md5", "ok"}));
  EXPECT_EQ(session.currentUser, "md5_user");
}

TEST(PostgresAuthentication, AWrongPasswordIsTheServersOwnError) {
  PostgresServer::withPasswords().createRole("scram_other", "right-" + crypto::randomToken(12));
  const Session session = logIn("scram_other", "wrong");
  ASSERT_TRUE(session.error);
  EXPECT_FALSE(session.ready);
  EXPECT_EQ(session.error->severity, "FATAL");
  EXPECT_EQ(session.error->code, "28P01");
  EXPECT_NE(session.error->message.find("password authentication failed"), std::string::npos)
      << session.error->message;
}

}  // namespace
}  // namespace tessera::pgwire
