// PostgresListener: the edge's PostgreSQL protocol listener. A client workload connects to it
// without a password; the listener asks the GrantSource for the target's grant, logs in to the
// real database with the grant's username and password (SCRAM-SHA-256, md5, or cleartext over
// TLS), tells the client AuthenticationOk and then relays bytes both ways without reading them.
// Refusals reach the client as a PostgreSQL FATAL error that psql and drivers print. Started by
// `tessera edge` for each PostgreSQL server workload; runs on an io_context the caller owns.
#pragma once

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "common/result.hpp"
#include "edge/grant.hpp"
#include "edge/grant_source.hpp"
#include "pgwire/message.hpp"

namespace tessera::edge {

// How the edge reaches the real database.
struct PostgresUpstream {
  enum class TlsMode {
    kDisable,     // plaintext
    kRequire,     // TLS, certificate not checked (libpq's sslmode=require)
    kVerifyFull,  // TLS, chain checked against caBundleFile and the name against serverName
  };
  std::string host;
  std::uint16_t port = 5432;
  TlsMode tls = TlsMode::kDisable;
  std::string caBundleFile{};  // PEM; empty = the system's trust store (verify-full)
  std::string serverName{};    // name checked in the certificate and sent as SNI; empty = host
};

struct PostgresListenerOptions {
  std::string bind = "127.0.0.1:5432";  // host:port or [ipv6]:port; port 0 picks a free one
  // What the listener asks the GrantSource for (protocol "postgres"). An empty host/port is
  // filled from the upstream.
  Target target{};
  PostgresUpstream upstream{};
  // From accept to the client's StartupMessage (including SSL/GSS negotiation).
  std::chrono::milliseconds startupTimeout{10'000};
  // From the StartupMessage to AuthenticationOk: the grant, connecting, TLS, authenticating.
  std::chrono::milliseconds authTimeout{30'000};
  // TCP connect (and the TLS handshake) to the database, within authTimeout.
  std::chrono::milliseconds connectTimeout{10'000};
  std::size_t maxStartupPacketBytes = pgwire::kMaxStartupPacketBytes;
  // Largest message the edge parses from the database while authenticating.
  std::size_t maxAuthMessageBytes = pgwire::kDefaultMaxMessageBytes;
  // Connections (including ones still authenticating) beyond this get FATAL 53300.
  std::size_t maxConnections = 1000;
  // A database asking for a cleartext password gets it only over TLS unless this is set; the
  // password would otherwise cross the network readable.
  bool allowCleartextWithoutTls = false;
};

// Counters since start, for /metrics.
struct PostgresListenerStats {
  std::uint64_t accepted = 0;          // TCP connections accepted
  std::uint64_t injected = 0;          // logged in to the database with a grant; now relaying
  std::uint64_t refused = 0;           // no grant: denied, unavailable, unusable grant, bad client
  std::uint64_t upstreamFailures = 0;  // connect/TLS/protocol failure, or the database said no
  std::uint64_t overLimit = 0;         // refused because maxConnections were open
  std::uint64_t cancelsForwarded = 0;  // CancelRequests passed on to the database
  std::uint64_t active = 0;            // connections open now
};

class PostgresListener {
 public:
  // `ioc` is run by the caller (any number of threads: each connection has its own strand).
  // `grants` must outlive every connection, i.e. until the io_context stops running.
  PostgresListener(boost::asio::io_context& ioc, GrantSource& grants,
                   PostgresListenerOptions options);
  ~PostgresListener();  // stop()s
  PostgresListener(const PostgresListener&) = delete;
  PostgresListener& operator=(const PostgresListener&) = delete;

  // Binds and listens; kConfigInvalid for a bad bind address or options, kIo when the port
  // cannot be bound, kHttpTls when the upstream TLS context cannot be built (CA bundle).
  Result<void> start();
  // The bound port (useful with port 0); 0 before start().
  std::uint16_t port() const noexcept;
  // Stops accepting and closes every open connection (asynchronously, on the io_context).
  void stop();
  PostgresListenerStats stats() const noexcept;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// "disable" | "require" | "verify-full"; kConfigInvalid otherwise.
Result<PostgresUpstream::TlsMode> parsePostgresTlsMode(std::string_view text);

}  // namespace tessera::edge
