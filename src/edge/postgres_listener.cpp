#include "edge/postgres_listener.hpp"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <mutex>
#include <optional>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "common/log.hpp"
#include "crypto/digest.hpp"
#include "crypto/random.hpp"
#include "net/listen_address.hpp"
#include "net/tls_context.hpp"
#include "pgwire/md5_password.hpp"
#include "pgwire/scram_client.hpp"

namespace tessera::edge {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kReadChunk = 16 * 1024;
constexpr std::size_t kRelayChunk = 64 * 1024;
// How long a refusal may take to reach a client that does not read it.
constexpr auto kRefusalWriteTimeout = std::chrono::seconds(2);

// SQLSTATEs the edge answers with (PostgreSQL's errcodes).
constexpr std::string_view kInvalidAuthorization = "28000";
constexpr std::string_view kInvalidPassword = "28P01";
constexpr std::string_view kConnectionFailure = "08006";
constexpr std::string_view kProtocolViolation = "08P01";
constexpr std::string_view kTooManyConnections = "53300";

std::string hostPort(const PostgresUpstream& upstream) {
  const bool v6 = upstream.host.find(':') != std::string::npos;
  return (v6 ? "[" + upstream.host + "]" : upstream.host) + ":" + std::to_string(upstream.port);
}

std::string millis(std::chrono::milliseconds d) {
  return std::to_string(d.count()) + " ms";
}

bool isIpLiteral(const std::string& host) {
  error_code ec;
  (void)asio::ip::make_address(host, ec);
  return !ec;
}

// The startup packet as the database gets it: the client's own protocol version (so that a
// client asking for 3.x with x > 0 gets the server's NegotiateProtocolVersion, not silence).
std::string encodeStartup(std::int32_t version,
                          const std::vector<std::pair<std::string, std::string>>& params) {
  std::string out = pgwire::encodeStartupMessage(params);
  const auto v = static_cast<std::uint32_t>(version);
  for (int i = 0; i < 4; ++i) {
    out[4 + static_cast<std::size_t>(i)] = static_cast<char>((v >> (24 - 8 * i)) & 0xff);
  }
  return out;
}

std::string rawPacket(const pgwire::Message& message) {
  const auto length = static_cast<std::uint32_t>(message.payload.size() + 4);
  std::string out;
  for (int i = 0; i < 4; ++i) {
    out.push_back(static_cast<char>((length >> (24 - 8 * i)) & 0xff));
  }
  return out + message.payload;
}

// The database connection: plaintext until (optionally) upgraded to TLS after SSLRequest.
class UpstreamStream {
 public:
  explicit UpstreamStream(beast::tcp_stream tcp) : plain_(std::in_place, std::move(tcp)) {}

  beast::tcp_stream& tcp() { return tls_ ? beast::get_lowest_layer(*tls_) : *plain_; }
  bool encrypted() const { return tls_.has_value(); }
  ssl::stream<beast::tcp_stream>& startTls(ssl::context& ctx) {
    tls_.emplace(std::move(*plain_), ctx);
    plain_.reset();
    return *tls_;
  }

  asio::awaitable<std::tuple<error_code, std::size_t>> readSome(asio::mutable_buffer buffer) {
    if (tls_) {
      co_return co_await tls_->async_read_some(buffer, kTuple);
    }
    co_return co_await plain_->async_read_some(buffer, kTuple);
  }
  asio::awaitable<std::tuple<error_code, std::size_t>> writeAll(asio::const_buffer buffer) {
    if (tls_) {
      co_return co_await asio::async_write(*tls_, buffer, kTuple);
    }
    co_return co_await asio::async_write(*plain_, buffer, kTuple);
  }

 private:
  std::optional<beast::tcp_stream> plain_;
  std::optional<ssl::stream<beast::tcp_stream>> tls_;
};

// Connects to the database and, per the TLS mode, negotiates TLS (SSLRequest, then the
// handshake). Errors name host:port: kHttpConnect, kHttpTls, kTimeout, kPgProtocol.
asio::awaitable<Result<std::unique_ptr<UpstreamStream>>> connectUpstream(
    const PostgresUpstream& upstream, ssl::context* tls, SteadyClock::time_point deadline) {
  using namespace asio::experimental::awaitable_operators;
  const std::string where = hostPort(upstream);
  auto executor = co_await asio::this_coro::executor;

  tcp::resolver resolver(executor);
  asio::steady_timer timer(executor, deadline);
  auto resolving = resolver.async_resolve(upstream.host, std::to_string(upstream.port), kTuple);
  auto expiring = timer.async_wait(kTuple);
  auto resolved = co_await (std::move(resolving) || std::move(expiring));
  if (resolved.index() == 1) {
    co_return fail(ErrorCode::kTimeout, "resolving " + upstream.host + " timed out");
  }
  auto [rec, endpoints] = std::get<0>(std::move(resolved));
  if (rec || endpoints.empty()) {
    co_return fail(ErrorCode::kHttpConnect, "cannot resolve " + upstream.host + ": " +
                                                (rec ? rec.message() : std::string("no address")));
  }

  beast::tcp_stream stream(executor);
  stream.expires_at(deadline);
  auto [cec, endpoint] = co_await stream.async_connect(endpoints, kTuple);
  if (cec) {
    if (cec == beast::error::timeout) {
      co_return fail(ErrorCode::kTimeout, "connecting to " + where + " timed out");
    }
    co_return fail(ErrorCode::kHttpConnect, "cannot connect to " + where + ": " + cec.message());
  }
  error_code ignored;
  stream.socket().set_option(tcp::no_delay(true), ignored);
  auto out = std::make_unique<UpstreamStream>(std::move(stream));
  if (upstream.tls == PostgresUpstream::TlsMode::kDisable) {
    co_return out;
  }

  const std::string sslRequest = pgwire::encodeSslRequest();
  auto [wec, written] = co_await out->writeAll(asio::buffer(sslRequest));
  char answer = 0;
  error_code aec = wec;
  if (!aec) {
    auto [rec2, n] = co_await asio::async_read(out->tcp(), asio::buffer(&answer, 1), kTuple);
    aec = rec2;
  }
  if (aec) {
    if (aec == beast::error::timeout) {
      co_return fail(ErrorCode::kTimeout, "TLS negotiation with " + where + " timed out");
    }
    co_return fail(ErrorCode::kHttpConnect,
                   "TLS negotiation with " + where + " failed: " + aec.message());
  }
  if (answer == 'N') {
    co_return fail(ErrorCode::kHttpTls, "the database at " + where +
                                            " does not accept TLS, and the edge's upstream TLS "
                                            "mode requires it");
  }
  if (answer != 'S') {
    co_return fail(ErrorCode::kPgProtocol,
                   "the database at " + where + " answered SSLRequest with neither S nor N");
  }
  auto& tlsStream = out->startTls(*tls);
  SSL* handle = tlsStream.native_handle();
  const std::string name = upstream.serverName.empty() ? upstream.host : upstream.serverName;
  const bool ip = isIpLiteral(name);
  if (!ip) {
    // SNI (SSL_set_tlsext_host_name without its C cast).
    SSL_ctrl(handle, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
             const_cast<char*>(name.c_str()));
  }
  if (upstream.tls == PostgresUpstream::TlsMode::kVerifyFull) {
    const int set = ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(handle), name.c_str())
                       : SSL_set1_host(handle, name.c_str());
    if (set != 1) {
      co_return fail(ErrorCode::kHttpTls, "cannot set the expected database name " + name);
    }
  }
  auto [hec] = co_await tlsStream.async_handshake(ssl::stream_base::client, kTuple);
  if (hec) {
    if (hec == beast::error::timeout) {
      co_return fail(ErrorCode::kTimeout, "TLS handshake with " + where + " timed out");
    }
    std::string message = "TLS handshake with " + where + " failed";
    const long verify = SSL_get_verify_result(handle);
    if (upstream.tls == PostgresUpstream::TlsMode::kVerifyFull && verify != X509_V_OK) {
      message += ": certificate verification failed (expecting " + name +
                 "): " + X509_verify_cert_error_string(verify);
    } else {
      message += ": " + hec.message();
    }
    co_return fail(ErrorCode::kHttpTls, std::move(message));
  }
  co_return out;
}

}  // namespace

Result<PostgresUpstream::TlsMode> parsePostgresTlsMode(std::string_view text) {
  if (text == "disable") {
    return PostgresUpstream::TlsMode::kDisable;
  }
  if (text == "require") {
    return PostgresUpstream::TlsMode::kRequire;
  }
  if (text == "verify-full") {
    return PostgresUpstream::TlsMode::kVerifyFull;
  }
  return fail(ErrorCode::kConfigInvalid, "unknown PostgreSQL TLS mode \"" + std::string(text) +
                                             "\" (want disable, require or verify-full)");
}

namespace {

// What stop() needs of a connection; touched only on the connection's strand.
struct PgConnection {
  std::uint64_t id = 0;
  asio::any_io_executor executor;
  beast::tcp_stream* client = nullptr;
  beast::tcp_stream* upstream = nullptr;
  asio::steady_timer* waiting = nullptr;  // while the grant lookup runs
  bool closed = false;

  void close() {
    closed = true;
    if (waiting != nullptr) {
      waiting->cancel();
    }
    if (client != nullptr) {
      client->close();
    }
    if (upstream != nullptr) {
      upstream->close();
    }
  }
};

// What every connection of a listener shares.
struct ListenerCore {
  ListenerCore(GrantSource& g, PostgresListenerOptions o) : grants(g), options(std::move(o)) {}

  GrantSource& grants;
  PostgresListenerOptions options;
  net::TlsContextPtr upstreamTls;

  std::atomic<std::uint64_t> accepted{0};
  std::atomic<std::uint64_t> injected{0};
  std::atomic<std::uint64_t> refused{0};
  std::atomic<std::uint64_t> upstreamFailures{0};
  std::atomic<std::uint64_t> overLimit{0};
  std::atomic<std::uint64_t> cancelsForwarded{0};
  std::atomic<std::uint64_t> active{0};
};

// The grant lookup runs in its own coroutine so that a GrantSource that does not honour
// cancellation still cannot hold a client past the authentication deadline.
struct GrantWait {
  explicit GrantWait(const asio::any_io_executor& executor) : timer(executor) {}
  asio::steady_timer timer;
  std::optional<Result<std::shared_ptr<const Grant>>> result;
};

asio::awaitable<void> fetchGrant(GrantSource& grants, std::shared_ptr<void> keepAlive,
                                 std::shared_ptr<GrantWait> wait, Target target,
                                 ClientContext context) {
  (void)keepAlive;
  try {
    auto result = co_await grants.grantFor(std::move(target), std::move(context));
    wait->result.emplace(std::move(result));
  } catch (const std::exception& e) {
    wait->result.emplace(
        fail(ErrorCode::kInternal, std::string("grant lookup threw: ") + e.what()));
  }
  wait->timer.cancel();
}

// One client connection, from accept to close.
class Session {
 public:
  Session(ListenerCore& listener, PgConnection& conn, tcp::socket socket)
      : listener_(listener), options_(listener.options), conn_(conn), client_(std::move(socket)) {
    conn_.client = &client_;
  }
  ~Session() {
    conn_.client = nullptr;
    conn_.upstream = nullptr;
    conn_.waiting = nullptr;
  }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  asio::awaitable<void> run(std::shared_ptr<void> keepAlive);

 private:
  struct Refusal {
    std::string bytes;  // what the client reads: a FATAL ErrorResponse
    std::string log;
  };

  void refuse(std::string_view sqlstate, std::string message) {
    refusal_ = Refusal{pgwire::encodeFatalError(sqlstate, message), message};
  }
  asio::awaitable<bool> readStartup();
  asio::awaitable<bool> obtainGrant(std::shared_ptr<void> keepAlive);
  asio::awaitable<bool> connect();
  asio::awaitable<bool> authenticate();
  asio::awaitable<void> forwardCancel();
  asio::awaitable<void> sendRefusal();
  asio::awaitable<void> relay();
  asio::awaitable<void> relayToUpstream();
  asio::awaitable<void> relayToClient();

  ListenerCore& listener_;
  const PostgresListenerOptions& options_;
  PgConnection& conn_;
  beast::tcp_stream client_;
  std::unique_ptr<UpstreamStream> upstream_;
  std::string peer_;
  pgwire::StartupPacket startup_;
  std::string startupRaw_;
  std::string clientEarly_;    // client bytes after the startup packet, for the database
  std::string upstreamEarly_;  // what the client reads first: AuthenticationOk and what followed
  std::shared_ptr<const Grant> grant_;
  SteadyClock::time_point deadline_{};
  std::optional<Refusal> refusal_;
};

asio::awaitable<void> Session::run(std::shared_ptr<void> keepAlive) {
  error_code ec;
  if (const auto remote = client_.socket().remote_endpoint(ec); !ec) {
    auto address = remote.address();
    if (address.is_v6() && address.to_v6().is_v4_mapped()) {
      address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
    }
    peer_ = address.to_string();
  }
  client_.socket().set_option(tcp::no_delay(true), ec);

  if (!co_await readStartup()) {
    if (refusal_) {
      ++listener_.refused;
    }
    co_await sendRefusal();
    co_return;
  }
  if (startup_.kind == pgwire::StartupPacket::Kind::kCancelRequest) {
    co_await forwardCancel();
    co_return;
  }
  deadline_ = SteadyClock::now() + options_.authTimeout;
  if (!co_await obtainGrant(keepAlive)) {
    ++listener_.refused;
    co_await sendRefusal();
    co_return;
  }
  bool loggedIn = co_await connect();
  if (loggedIn) {
    loggedIn = co_await authenticate();
  }
  if (!loggedIn) {
    ++listener_.upstreamFailures;
    grant_.reset();
    co_await sendRefusal();
    co_return;
  }
  ++listener_.injected;
  spdlog::info(
      "postgres listener: {} (client user \"{}\") logged in to {} as \"{}\" (credential {}, "
      "context {})",
      peer_, startup_.parameter("user").value_or(""), hostPort(options_.upstream),
      grant_->field("username").value_or(""), grant_->fingerprint(), grant_->contextId);
  grant_.reset();  // the password is not needed any more
  co_await relay();
}

asio::awaitable<bool> Session::readStartup() {
  pgwire::MessageReader reader(pgwire::MessageReader::Phase::kStartup,
                               options_.maxStartupPacketBytes);
  std::vector<pgwire::Message> messages;
  std::vector<char> buffer(kReadChunk);
  bool sslAnswered = false;
  bool gssAnswered = false;
  client_.expires_after(options_.startupTimeout);
  for (;;) {
    while (messages.empty()) {
      auto [ec, n] = co_await client_.async_read_some(asio::buffer(buffer), kTuple);
      if (ec) {
        // A timeout has closed the socket (as PostgreSQL, the edge says nothing then), or the
        // client went away: nobody to tell.
        if (ec == beast::error::timeout) {
          spdlog::info("postgres listener: no startup packet from {} within {}; closing", peer_,
                       millis(options_.startupTimeout));
        }
        co_return false;
      }
      auto fed = reader.feed(std::string_view(buffer.data(), n), messages);
      if (!fed) {
        refuse(kProtocolViolation, "tessera: invalid startup packet: " + fed.error().message);
        co_return false;
      }
    }
    pgwire::Message message = std::move(messages.front());
    messages.clear();  // the startup phase yields one packet per feed
    auto packet = pgwire::parseStartupPacket(message);
    if (!packet) {
      refuse(kProtocolViolation, "tessera: invalid startup packet: " + packet.error().message);
      co_return false;
    }
    using Kind = pgwire::StartupPacket::Kind;
    if (packet->kind == Kind::kSslRequest || packet->kind == Kind::kGssEncRequest) {
      bool& answered = packet->kind == Kind::kSslRequest ? sslAnswered : gssAnswered;
      if (answered) {
        refuse(kProtocolViolation, "tessera: encryption was requested twice");
        co_return false;
      }
      answered = true;
      // Bytes sent before our answer would be taken as plaintext protocol data although the
      // client meant them to be encrypted (cf. CVE-2021-23214): refuse them.
      if (!reader.takeBuffered().empty()) {
        refuse(kProtocolViolation, "tessera: data received after an encryption request");
        co_return false;
      }
      // Client to edge stays local plaintext; the edge encrypts toward the database.
      static constexpr char kNo = 'N';
      auto [wec, written] = co_await asio::async_write(client_, asio::buffer(&kNo, 1), kTuple);
      if (wec) {
        co_return false;
      }
      continue;
    }
    startup_ = std::move(*packet);
    startupRaw_ = rawPacket(message);
    clientEarly_ = reader.takeBuffered();
    co_return true;
  }
}

asio::awaitable<bool> Session::obtainGrant(std::shared_ptr<void> keepAlive) {
  auto executor = co_await asio::this_coro::executor;
  auto wait = std::make_shared<GrantWait>(executor);
  wait->timer.expires_at(deadline_);
  ClientContext context;
  context.sourceIp = peer_;
  auto fetch =
      fetchGrant(listener_.grants, std::move(keepAlive), wait, options_.target, std::move(context));
  asio::co_spawn(executor, std::move(fetch), asio::detached);
  conn_.waiting = &wait->timer;
  while (!wait->result && SteadyClock::now() < deadline_ && !conn_.closed) {
    co_await wait->timer.async_wait(kTuple);
  }
  conn_.waiting = nullptr;
  if (conn_.closed) {
    co_return false;
  }
  if (!wait->result) {
    refuse(kConnectionFailure,
           "tessera: no credential available: no grant within " + millis(options_.authTimeout));
    co_return false;
  }
  auto& result = *wait->result;
  if (!result) {
    const Error& error = result.error();
    if (error.code == ErrorCode::kPermissionDenied) {
      refuse(kInvalidAuthorization, "tessera: access denied: " + error.message);
    } else {
      refuse(kConnectionFailure, "tessera: no credential available: " + error.message);
    }
    co_return false;
  }
  grant_ = std::move(*result);
  const bool usable = grant_ && grant_->credentialType == "username-password" &&
                      grant_->injection.method == "password" &&
                      !grant_->field("username").value_or("").empty() &&
                      grant_->field("password").has_value();
  if (!usable) {
    refuse(kInvalidAuthorization,
           "tessera: the grant for this database is not a username and password (credential "
           "type \"" +
               (grant_ ? grant_->credentialType : std::string()) + "\", injection \"" +
               (grant_ ? grant_->injection.method : std::string()) + "\")");
    grant_.reset();
    co_return false;
  }
  co_return true;
}

asio::awaitable<bool> Session::connect() {
  const auto connectDeadline = std::min(deadline_, SteadyClock::now() + options_.connectTimeout);
  auto connected =
      co_await connectUpstream(options_.upstream, listener_.upstreamTls.get(), connectDeadline);
  if (!connected) {
    refuse(kConnectionFailure, "tessera: cannot reach the database at " +
                                   hostPort(options_.upstream) + ": " + connected.error().message);
    co_return false;
  }
  upstream_ = std::move(*connected);
  conn_.upstream = &upstream_->tcp();
  if (conn_.closed) {
    co_return false;
  }
  co_return true;
}

asio::awaitable<bool> Session::authenticate() {
  const std::string clientUser = startup_.parameter("user").value_or("");
  const std::string user(grant_->field("username").value_or(""));
  const std::string password(grant_->field("password").value_or(""));
  std::vector<std::pair<std::string, std::string>> params;
  for (const auto& [name, value] : startup_.parameters) {
    params.emplace_back(name, name == "user" ? user : value);
  }
  if (!startup_.parameter("database")) {
    // PostgreSQL's default database is the user name: keep the name the client asked with, not
    // the grant's role, so that the connection means what it meant to the client.
    params.emplace_back("database", clientUser);
  }
  auto& tcpStream = upstream_->tcp();
  tcpStream.expires_at(deadline_);
  const std::string where = hostPort(options_.upstream);
  const auto transportFailed = [&](const error_code& ec) {
    if (ec == beast::error::timeout) {
      refuse(kConnectionFailure, "tessera: the database at " + where +
                                     " did not complete authentication within " +
                                     millis(options_.authTimeout));
    } else {
      refuse(kConnectionFailure, "tessera: the connection to the database at " + where +
                                     " failed during authentication: " + ec.message());
    }
  };

  const std::string startup = encodeStartup(startup_.protocolVersion, params);
  if (auto [ec, n] = co_await upstream_->writeAll(asio::buffer(startup)); ec) {
    transportFailed(ec);
    co_return false;
  }

  pgwire::MessageReader reader(pgwire::MessageReader::Phase::kTyped, options_.maxAuthMessageBytes);
  std::vector<pgwire::Message> messages;
  std::vector<char> buffer(kReadChunk);
  std::optional<pgwire::ScramSha256Client> scram;
  bool scramVerified = false;
  std::string beforeOk;  // notices, NegotiateProtocolVersion: the client reads them too
  for (;;) {
    if (messages.empty()) {
      auto [ec, n] = co_await upstream_->readSome(asio::buffer(buffer));
      if (ec) {
        transportFailed(ec);
        co_return false;
      }
      if (auto fed = reader.feed(std::string_view(buffer.data(), n), messages); !fed) {
        refuse(kProtocolViolation,
               "tessera: the database at " + where + " broke the protocol: " + fed.error().message);
        co_return false;
      }
      continue;
    }
    pgwire::Message message = std::move(messages.front());
    messages.erase(messages.begin());
    std::string answer;
    if (message.type == 'E') {
      auto error = pgwire::parseErrorResponse(message);
      if (error && error->code.starts_with("28")) {
        spdlog::warn("postgres listener: {} refused user \"{}\" (credential {}): {} {}", where,
                     user, grant_->fingerprint(), error->code, error->message);
        refuse(error->code,
               "tessera: the database refused the edge's credential: " + error->message);
      } else {
        // Not about the credential (no such database, too many connections...): the client
        // reads the database's own error.
        refusal_ = Refusal{pgwire::encodeMessage('E', message.payload),
                           error ? error->code + " " + error->message : std::string("error")};
      }
      co_return false;
    }
    if (message.type == 'N' || message.type == 'v') {
      beforeOk += pgwire::encodeMessage(message.type, message.payload);
      continue;
    }
    if (message.type != 'R') {
      refuse(kProtocolViolation, "tessera: the database at " + where + " sent message type '" +
                                     std::string(1, message.type) +
                                     "' before authentication completed");
      co_return false;
    }
    auto auth = pgwire::parseAuthentication(message);
    if (!auth) {
      refuse(kInvalidAuthorization,
             "tessera: the edge cannot log in to the database: " + auth.error().message);
      co_return false;
    }
    using Kind = pgwire::Authentication::Kind;
    switch (auth->kind) {
      case Kind::kOk: {
        if (scram && !scramVerified) {
          refuse(kInvalidAuthorization,
                 "tessera: the database ended SCRAM authentication without proving it knows the "
                 "credential");
          co_return false;
        }
        upstreamEarly_ = std::move(beforeOk) + pgwire::encodeAuthenticationOk();
        for (const auto& rest : messages) {
          upstreamEarly_ += pgwire::encodeMessage(rest.type, rest.payload);
        }
        upstreamEarly_ += reader.takeBuffered();
        co_return true;
      }
      case Kind::kCleartextPassword:
        if (!upstream_->encrypted() && !options_.allowCleartextWithoutTls) {
          refuse(kInvalidAuthorization,
                 "tessera: the database at " + where +
                     " asks for a cleartext password over an unencrypted connection; the edge "
                     "sends one only over TLS (set the upstream TLS mode to require or "
                     "verify-full)");
          co_return false;
        }
        answer = pgwire::encodePasswordMessage(password);
        break;
      case Kind::kMd5Password:
        answer = pgwire::encodePasswordMessage(
            pgwire::md5PasswordResponse(user, password, auth->md5Salt));
        break;
      case Kind::kSasl: {
        // Never SCRAM-SHA-256-PLUS: channel binding would bind the client's proof to a TLS
        // connection, and the edge answers with "n,," (no channel binding) on any connection.
        const bool offered = std::find(auth->mechanisms.begin(), auth->mechanisms.end(),
                                       pgwire::kScramSha256) != auth->mechanisms.end();
        if (!offered || scram) {
          std::string list;
          for (const auto& m : auth->mechanisms) {
            list += (list.empty() ? "" : ", ") + m;
          }
          refuse(kInvalidAuthorization,
                 "tessera: the database offers no SASL mechanism the edge "
                 "performs (SCRAM-SHA-256); it offers " +
                     list);
          co_return false;
        }
        const auto nonce = crypto::randomBytes(18);
        scram.emplace(password, crypto::base64Encode(nonce));
        answer =
            pgwire::encodeSaslInitialResponse(pgwire::kScramSha256, scram->clientFirstMessage());
        break;
      }
      case Kind::kSaslContinue: {
        if (!scram) {
          refuse(kProtocolViolation, "tessera: the database sent a SASL challenge out of turn");
          co_return false;
        }
        auto final = scram->clientFinalMessage(auth->data);
        if (!final) {
          refuse(
              kInvalidAuthorization,
              "tessera: the edge refused the database's SCRAM challenge: " + final.error().message);
          co_return false;
        }
        answer = pgwire::encodeSaslResponse(*final);
        break;
      }
      case Kind::kSaslFinal: {
        if (!scram) {
          refuse(kProtocolViolation, "tessera: the database sent a SASL outcome out of turn");
          co_return false;
        }
        if (auto verified = scram->verifyServerFinal(auth->data); !verified) {
          refuse(kInvalidAuthorization,
                 "tessera: the database did not prove that it knows the credential: " +
                     verified.error().message);
          co_return false;
        }
        scramVerified = true;
        continue;
      }
    }
    if (auto [ec, n] = co_await upstream_->writeAll(asio::buffer(answer)); ec) {
      transportFailed(ec);
      co_return false;
    }
  }
}

asio::awaitable<void> Session::forwardCancel() {
  // The key is the database's own (relayed in BackendKeyData); the edge adds nothing to it.
  const auto deadline = SteadyClock::now() + options_.connectTimeout;
  auto connected =
      co_await connectUpstream(options_.upstream, listener_.upstreamTls.get(), deadline);
  if (!connected) {
    spdlog::warn("postgres listener: cannot forward a CancelRequest from {}: {}", peer_,
                 connected.error().message);
    co_return;
  }
  upstream_ = std::move(*connected);
  conn_.upstream = &upstream_->tcp();
  upstream_->tcp().expires_at(deadline);
  auto [ec, n] = co_await upstream_->writeAll(asio::buffer(startupRaw_));
  if (ec) {
    spdlog::warn("postgres listener: cannot forward a CancelRequest from {}: {}", peer_,
                 ec.message());
    co_return;
  }
  ++listener_.cancelsForwarded;
  // The server reads the request and closes; wait for that (bounded) so that closing here does
  // not race the request.
  char scratch[64];
  auto [rec, rn] = co_await upstream_->readSome(asio::buffer(scratch));
  (void)rec;
  (void)rn;
}

asio::awaitable<void> Session::sendRefusal() {
  if (!refusal_) {
    co_return;
  }
  spdlog::warn("postgres listener: refused {} (client user \"{}\"): {}", peer_,
               startup_.parameter("user").value_or(""), refusal_->log);
  if (conn_.closed) {
    co_return;
  }
  client_.expires_after(kRefusalWriteTimeout);
  auto [ec, n] = co_await asio::async_write(client_, asio::buffer(refusal_->bytes), kTuple);
  if (!ec) {
    error_code ignored;
    client_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }
}

asio::awaitable<void> Session::relay() {
  using namespace asio::experimental::awaitable_operators;
  client_.expires_never();
  upstream_->tcp().expires_never();
  if (conn_.closed) {
    co_return;
  }
  auto [ec, n] = co_await asio::async_write(client_, asio::buffer(upstreamEarly_), kTuple);
  if (ec) {
    co_return;
  }
  upstreamEarly_.clear();
  if (!clientEarly_.empty()) {
    auto [uec, un] = co_await upstream_->writeAll(asio::buffer(clientEarly_));
    if (uec) {
      co_return;
    }
    clientEarly_.clear();
  }
  auto up = relayToUpstream();
  auto down = relayToClient();
  auto both = std::move(up) && std::move(down);
  co_await std::move(both);
}

// Client to database until either side ends; then the database session ends too.
asio::awaitable<void> Session::relayToUpstream() {
  std::vector<char> buffer(kRelayChunk);
  for (;;) {
    auto [ec, n] = co_await client_.async_read_some(asio::buffer(buffer), kTuple);
    if (ec) {
      break;
    }
    auto [wec, written] = co_await upstream_->writeAll(asio::buffer(buffer.data(), n));
    if (wec) {
      break;
    }
  }
  upstream_->tcp().close();  // wakes relayToClient
}

// Database to client until either side ends; the client then reads end of stream.
asio::awaitable<void> Session::relayToClient() {
  std::vector<char> buffer(kRelayChunk);
  for (;;) {
    auto [ec, n] = co_await upstream_->readSome(asio::buffer(buffer));
    if (ec) {
      break;
    }
    auto [wec, written] =
        co_await asio::async_write(client_, asio::buffer(buffer.data(), n), kTuple);
    if (wec) {
      break;
    }
  }
  error_code ignored;
  client_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  client_.close();  // wakes relayToUpstream
}

}  // namespace

struct PostgresListener::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::io_context& i, GrantSource& g, PostgresListenerOptions o)
      : ioc(i), core(g, std::move(o)) {}

  asio::io_context& ioc;
  ListenerCore core;

  std::mutex lifecycleMutex;
  bool started = false;
  std::atomic<bool> stopping{false};
  std::optional<asio::strand<asio::io_context::executor_type>> acceptStrand;
  std::optional<tcp::acceptor> acceptor;
  std::atomic<std::uint16_t> boundPort{0};

  std::mutex connMutex;
  std::unordered_map<std::uint64_t, std::shared_ptr<PgConnection>> connections;
  std::uint64_t nextId = 0;

  Result<void> start();
  void stop();
  std::shared_ptr<PgConnection> registerConnection(asio::any_io_executor executor);
  void unregisterConnection(std::uint64_t id);
  asio::awaitable<void> acceptLoop(std::shared_ptr<Impl> self);
  asio::awaitable<void> refuseOverLimit(std::shared_ptr<Impl> self, tcp::socket socket);
  asio::awaitable<void> session(std::shared_ptr<Impl> self, tcp::socket socket,
                                std::shared_ptr<PgConnection> conn);
};

Result<void> PostgresListener::Impl::start() {
  std::lock_guard lifecycle(lifecycleMutex);
  if (started || stopping) {
    return fail(ErrorCode::kInternal, "PostgresListener::start called twice");
  }
  if (core.options.upstream.host.empty() || core.options.upstream.port == 0) {
    return fail(ErrorCode::kConfigInvalid, "the PostgreSQL listener needs an upstream host:port");
  }
  if (core.options.maxConnections == 0 || core.options.maxStartupPacketBytes < 8 ||
      core.options.maxAuthMessageBytes < 1024) {
    return fail(ErrorCode::kConfigInvalid,
                "the PostgreSQL listener's limits are too small (connections, startup packet, "
                "authentication messages)");
  }
  if (core.options.target.host.empty()) {
    core.options.target.host = core.options.upstream.host;
  }
  if (core.options.target.port == 0) {
    core.options.target.port = core.options.upstream.port;
  }
  if (core.options.target.protocol.empty()) {
    core.options.target.protocol = "postgres";
  }
  if (core.options.upstream.tls != PostgresUpstream::TlsMode::kDisable) {
    net::ClientTlsConfig config;
    config.caBundleFile = core.options.upstream.caBundleFile;
    // require: encrypted, but the certificate is not checked (libpq's sslmode=require).
    config.insecureSkipVerify = core.options.upstream.tls == PostgresUpstream::TlsMode::kRequire;
    auto ctx = net::makeClientTlsContext(config);
    if (!ctx) {
      return std::move(ctx).error();
    }
    core.upstreamTls = std::move(*ctx);
  }
  acceptStrand.emplace(asio::make_strand(ioc));
  auto listening = net::listenOn(ioc, *acceptStrand, core.options.bind,
                                 asio::socket_base::max_listen_connections);
  if (!listening) {
    return Error{listening.error().code, "postgres listener: " + listening.error().message};
  }
  acceptor.emplace(std::move(*listening));
  error_code ec;
  boundPort = acceptor->local_endpoint(ec).port();
  started = true;
  auto loop = acceptLoop(shared_from_this());
  asio::co_spawn(*acceptStrand, std::move(loop), asio::detached);
  spdlog::info("postgres listener on {}:{} -> {} (tls {})",
               acceptor->local_endpoint(ec).address().to_string(), boundPort.load(),
               hostPort(core.options.upstream),
               core.options.upstream.tls == PostgresUpstream::TlsMode::kDisable   ? "disable"
               : core.options.upstream.tls == PostgresUpstream::TlsMode::kRequire ? "require"
                                                                                  : "verify-full");
  return {};
}

void PostgresListener::Impl::stop() {
  std::lock_guard lifecycle(lifecycleMutex);
  if (!started || stopping.exchange(true)) {
    return;
  }
  asio::post(*acceptStrand, [self = shared_from_this()] {
    error_code ignored;
    self->acceptor->close(ignored);
  });
  std::lock_guard lock(connMutex);
  for (auto& [id, conn] : connections) {
    asio::post(conn->executor, [c = conn] { c->close(); });
  }
}

std::shared_ptr<PgConnection> PostgresListener::Impl::registerConnection(
    asio::any_io_executor executor) {
  std::lock_guard lock(connMutex);
  if (connections.size() >= core.options.maxConnections) {
    return nullptr;
  }
  auto conn = std::make_shared<PgConnection>();
  conn->id = ++nextId;
  conn->executor = std::move(executor);
  connections.emplace(conn->id, conn);
  ++core.active;
  return conn;
}

void PostgresListener::Impl::unregisterConnection(std::uint64_t id) {
  std::lock_guard lock(connMutex);
  if (connections.erase(id) > 0) {
    --core.active;
  }
}

asio::awaitable<void> PostgresListener::Impl::acceptLoop(std::shared_ptr<Impl> self) {
  for (;;) {
    asio::any_io_executor connectionExecutor = asio::make_strand(ioc);
    auto [ec, socket] = co_await acceptor->async_accept(connectionExecutor, kTuple);
    if (ec) {
      if (ec == asio::error::operation_aborted || stopping || !acceptor->is_open()) {
        co_return;
      }
      // E.g. EMFILE: back off briefly instead of spinning.
      spdlog::warn("postgres listener: accept failed: {}", ec.message());
      asio::steady_timer pause(co_await asio::this_coro::executor, std::chrono::milliseconds(50));
      co_await pause.async_wait(kTuple);
      continue;
    }
    ++core.accepted;
    if (stopping) {
      co_return;
    }
    auto conn = registerConnection(connectionExecutor);
    if (!conn) {
      ++core.overLimit;
      auto refusal = refuseOverLimit(self, std::move(socket));
      asio::co_spawn(connectionExecutor, std::move(refusal), asio::detached);
      continue;
    }
    auto run = session(self, std::move(socket), std::move(conn));
    asio::co_spawn(connectionExecutor, std::move(run), asio::detached);
  }
}

asio::awaitable<void> PostgresListener::Impl::refuseOverLimit(std::shared_ptr<Impl> self,
                                                              tcp::socket socket) {
  (void)self;
  spdlog::warn("postgres listener: {} connections open; refusing a new one",
               core.options.maxConnections);
  // Answered before the startup packet is read, as PostgreSQL itself does when it cannot fork:
  // libpq reads an ErrorResponse in place of the SSL answer or the authentication request.
  beast::tcp_stream stream(std::move(socket));
  stream.expires_after(kRefusalWriteTimeout);
  const std::string error = pgwire::encodeFatalError(
      kTooManyConnections, "tessera: too many connections to the edge's PostgreSQL listener");
  co_await asio::async_write(stream, asio::buffer(error), kTuple);
  error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

asio::awaitable<void> PostgresListener::Impl::session(std::shared_ptr<Impl> self,
                                                      tcp::socket socket,
                                                      std::shared_ptr<PgConnection> conn) {
  struct Unregister {
    Impl* impl;
    std::uint64_t id;
    ~Unregister() { impl->unregisterConnection(id); }
  } unregister{this, conn->id};
  try {
    Session s(core, *conn, std::move(socket));
    if (stopping) {
      co_return;
    }
    co_await s.run(self);
  } catch (const std::exception& e) {
    spdlog::error("postgres listener: connection failed: {}", e.what());
  }
}

PostgresListener::PostgresListener(asio::io_context& ioc, GrantSource& grants,
                                   PostgresListenerOptions options)
    : impl_(std::make_shared<Impl>(ioc, grants, std::move(options))) {}

PostgresListener::~PostgresListener() {
  impl_->stop();
}

Result<void> PostgresListener::start() {
  return impl_->start();
}

std::uint16_t PostgresListener::port() const noexcept {
  return impl_->boundPort.load();
}

void PostgresListener::stop() {
  impl_->stop();
}

PostgresListenerStats PostgresListener::stats() const noexcept {
  PostgresListenerStats s;
  s.accepted = impl_->core.accepted.load();
  s.injected = impl_->core.injected.load();
  s.refused = impl_->core.refused.load();
  s.upstreamFailures = impl_->core.upstreamFailures.load();
  s.overLimit = impl_->core.overLimit.load();
  s.cancelsForwarded = impl_->core.cancelsForwarded.load();
  s.active = impl_->core.active.load();
  return s;
}

}  // namespace tessera::edge
