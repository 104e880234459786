#include "edge/http_proxy.hpp"

#include <openssl/ssl.h>
#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <vector>

#include "crypto/digest.hpp"
#include "edge/http_head.hpp"
#include "edge/http_injector.hpp"
#include "edge/original_destination.hpp"
#include "edge/request_target.hpp"
#include "edge/simple_http_head.hpp"
#include "edge/tls_client_hello.hpp"
#include "net/deadline_sweeper.hpp"
#include "net/listen_address.hpp"
#include "net/tls_context.hpp"

#if defined(__GNUC__) && !defined(__clang__)
// GCC 12: Boost.Asio coroutine frames' sized delete reported as mismatched (false positive; see
// hub/access_service.cpp).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace tessera::edge {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using net::DeadlineSweeper;

namespace {
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kRelayBufferBytes = 16 * 1024;
// What the fast path asks a socket for at a time while a head is incomplete.
constexpr std::size_t kSimpleReadBytes = 4096;
// Free relay buffers kept per thread for the next request.
constexpr std::size_t kPooledRelayBuffers = 64;

// The buffer a request's streaming body or a response passes through, borrowed from a per-thread
// pool: as a local array it made every request's coroutine frame 16+ KiB (a large malloc and
// free per request) and stayed in memory for the request's whole life.
class RelayBuffer {
 public:
  RelayBuffer() {
    auto& pool = freeList();
    if (pool.empty()) {
      data_ = std::make_unique<char[]>(kRelayBufferBytes);
    } else {
      data_ = std::move(pool.back());
      pool.pop_back();
    }
  }
  ~RelayBuffer() {
    auto& pool = freeList();
    if (data_ && pool.size() < kPooledRelayBuffers) {
      pool.push_back(std::move(data_));
    }
  }
  RelayBuffer(const RelayBuffer&) = delete;
  RelayBuffer& operator=(const RelayBuffer&) = delete;
  char* data() { return data_.get(); }
  static constexpr std::size_t size() { return kRelayBufferBytes; }

 private:
  static std::vector<std::unique_ptr<char[]>>& freeList() {
    thread_local std::vector<std::unique_ptr<char[]>> pool;
    return pool;
  }
  std::unique_ptr<char[]> data_;
};

using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// Fields that belong to one hop (RFC 9110 section 7.6.1) and what a proxy must not pass on.
bool isHopByHop(std::string_view name) {
  static constexpr std::array<std::string_view, 9> kHop = {
      "connection", "proxy-connection", "keep-alive", "proxy-authorization", "proxy-authenticate",
      "te",         "trailer",          "upgrade",    "transfer-encoding"};
  for (auto hop : kHop) {
    if (net::equalsIgnoreCase(hop, name)) {
      return true;
    }
  }
  return false;
}

std::string_view tesseraErrorStatusText(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Error";
  }
}

// What the edge answers itself: the status, a Tessera-Error header with the error's wire code,
// and a JSON body naming the reason.
http::response<http::string_body> edgeAnswer(int status, const Error& error, unsigned version) {
  http::response<http::string_body> res;
  res.version(version);
  res.result(static_cast<unsigned>(status));
  res.reason(tesseraErrorStatusText(status));
  res.set(http::field::server, "tessera-edge");
  res.set("Tessera-Error", std::string(errorCodeName(error.code)));
  res.set(http::field::content_type, "application/json");
  res.set(http::field::cache_control, "no-store");
  res.set(http::field::connection, "close");
  res.body() = nlohmann::json{{"error", errorCodeName(error.code)},
                              {"message", "tessera edge: " + error.message}}
                   .dump() +
               "\n";
  res.prepare_payload();
  return res;
}

int statusForGrantError(const Error& error) {
  switch (error.code) {
    case ErrorCode::kPermissionDenied:
      return 403;
    case ErrorCode::kUnavailable:
      return 503;
    case ErrorCode::kInvalidArgument:
      return 400;
    case ErrorCode::kTimeout:
      return 504;
    default:
      return 502;
  }
}

// The response head for the client: the server's status and fields without the hop-by-hop
// ones, in the client's HTTP version, with the Connection field the keep-alive decision needs.
// The parser has checked every name and value (no CR or LF can be in them).
void appendResponseHead(std::string& out, const http::response_header<>& res, unsigned version,
                        bool keepAlive) {
  out.reserve(256);
  out.append(version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ");
  out.append(std::to_string(res.result_int())).append(1, ' ');
  // An empty reason phrase gets the standard one, as Beast's serializer writes it.
  out.append(res.reason().empty() ? http::obsolete_reason(res.result()) : res.reason());
  out.append("\r\n");
  for (const auto& field : res) {
    if (!isHopByHop(field.name_string())) {
      out.append(field.name_string()).append(": ").append(field.value()).append("\r\n");
    }
  }
  if (version == 10 && keepAlive) {
    out.append("Connection: keep-alive\r\n");
  } else if (version != 10 && !keepAlive) {
    out.append("Connection: close\r\n");
  }
  out.append("\r\n");
}

template <typename Stream>
void setTimeout(Stream& stream, std::chrono::milliseconds d) {
  beast::get_lowest_layer(stream).expires_after(d);
}

template <typename Stream>
void closeStream(Stream& stream) {
  error_code ignored;
  beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_both, ignored);
  beast::get_lowest_layer(stream).close();
}

bool isIpLiteral(const std::string& host) {
  error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

// What a relayed exchange leaves open: the server connection (for the client's next request)
// and the client connection (what the response told the client).
struct RelayOutcome {
  bool serverReusable = false;
  bool clientKeepAlive = false;
};

// The name the edge asks the server's TLS for: the route's serverName, else the host.
const std::string& serverNameFor(const Authority& authority, const Route* route) {
  return route != nullptr && !route->serverName.empty() ? route->serverName : authority.host;
}

// The connection to a server, kept for the client connection's next request to the same place.
struct Upstream {
  // Where it goes (empty host: nowhere).
  std::string host;
  std::uint16_t port = 0;
  bool tlsOn = false;
  std::string sni;
  // Transparent sessions: the original destination, dialed instead of resolving the host.
  std::optional<tcp::endpoint> pinned;
  std::unique_ptr<PlainStream> plain;
  std::unique_ptr<TlsStream> tls;
  beast::flat_buffer buffer;
  bool open() const {
    return (plain && plain->socket().is_open()) ||
           (tls && beast::get_lowest_layer(*tls).socket().is_open());
  }
  void reset() {
    if (plain) {
      closeStream(*plain);
    }
    if (tls) {
      closeStream(*tls);
    }
    plain.reset();
    tls.reset();
    buffer.clear();
    host.clear();
    sni.clear();
  }
  void setDestination(const Authority& authority, bool useTls, const std::string& serverName) {
    host = authority.host;
    port = authority.port;
    tlsOn = useTls;
    sni = serverName;
  }
  // Open and connected to that place already (no allocation: called for every request).
  bool goesTo(const Authority& authority, bool useTls, const Route* route) const {
    if (host.empty() || host != authority.host || port != authority.port || tlsOn != useTls) {
      return false;
    }
    return sni == serverNameFor(authority, route) && open();
  }
};
// What the fast path did with a request.
enum class SimpleOutcome {
  kKeepAlive,  // served; the client connection stays open
  kClose,      // served or answered; the client connection ends
  kNotSimple,  // nothing consumed: Beast's path reads the request from the buffer
};

// The fast path's per-connection scratch: the parsed heads' field lists and the bytes written
// keep their capacity from one request to the next.
struct SimpleScratch {
  explicit SimpleScratch(DeadlineSweeper& sweeper) : watch(sweeper) {}
  DeadlineSweeper::Watch watch;  // the time limit of the socket operation under way
  SimpleRequestHead request;
  SimpleResponseHead response;
  RequestHead head;
  std::string wire;
};

// The Host field the server gets: the authority, without the scheme's default port.
std::string hostFieldFor(const Authority& authority, bool tls) {
  if (authority.port == (tls ? 443 : 80)) {
    return authority.host.find(':') != std::string::npos ? "[" + authority.host + "]"
                                                         : authority.host;
  }
  return formatAuthority(authority);
}

// How often a worker sweeps its fast-path deadlines: a quarter of the shortest time limit, between
// 10 ms and 1 s.
std::chrono::milliseconds sweepTick(const HttpProxyOptions& options) {
  const auto shortest = std::min(options.idleTimeout, options.ioTimeout);
  return std::clamp(std::chrono::milliseconds(shortest / 4), std::chrono::milliseconds(10),
                    std::chrono::milliseconds(1000));
}
}  // namespace

// Counts a request as under way for as long as it lives (HttpProxy::drain waits for none).
class InFlightRequest {
 public:
  explicit InFlightRequest(std::atomic<std::uint64_t>& count) : count_(count) {
    count_.fetch_add(1, std::memory_order_relaxed);
  }
  ~InFlightRequest() { count_.fetch_sub(1, std::memory_order_release); }
  InFlightRequest(const InFlightRequest&) = delete;
  InFlightRequest& operator=(const InFlightRequest&) = delete;

 private:
  std::atomic<std::uint64_t>& count_;
};

struct HttpProxy::Impl : std::enable_shared_from_this<Impl> {
  // Each connection lives on one worker (a single-threaded io_context): no strands, no locks
  // between a connection's operations.
  std::vector<asio::io_context*> workers;
  std::atomic<std::size_t> nextWorker{0};
  HttpProxyOptions options;
  GrantSource& grants;
  std::shared_ptr<LeafCache> leaves;
  const Clock& clock;
  std::optional<tcp::acceptor> acceptor;
  std::atomic<std::uint16_t> boundPort{0};
  std::optional<tcp::acceptor> transparentAcceptor;
  std::atomic<std::uint16_t> transparentPort{0};
  std::atomic<bool> stopping{false};
  std::atomic<std::shared_ptr<const RouteTable>> routes{std::make_shared<const RouteTable>()};
  std::shared_ptr<net::LazyClientTlsContext> defaultUpstreamTls;
  std::mutex tlsMutex;
  std::map<std::string, net::TlsContextPtr> bundleTls;  // by SHA-256 of a workload's PEM bundle

  // One per worker, swept by that worker's timer (sweepLoop).
  std::vector<std::unique_ptr<DeadlineSweeper>> sweepers;

  std::mutex connMutex;
  std::unordered_map<std::uint64_t, std::weak_ptr<tcp::socket>> sockets;
  std::uint64_t nextId = 0;

  std::atomic<std::uint64_t> connections{0}, active{0}, requests{0}, injected{0}, tunnels{0},
      decrypted{0}, refused{0}, upstreamErrors{0}, inFlight{0};
  Counter& connectionCounter;
  Gauge& activeGauge;
  Counter& tunnelCounter;
  Counter& decryptCounter;
  Counter& refusedCounter;
  Counter& upstreamErrorCounter;
  MetricsRegistry& metrics;

  Impl(std::vector<asio::io_context*> w, HttpProxyOptions o, GrantSource& g,
       std::shared_ptr<LeafCache> l, const Clock& c, MetricsRegistry& m)
      : workers(std::move(w)),
        options(std::move(o)),
        grants(g),
        leaves(std::move(l)),
        clock(c),
        connectionCounter(m.counter("tessera_edge_connections_total",
                                    "Client connections accepted, by listener.",
                                    {{"listener", "proxy"}})),
        activeGauge(m.gauge("tessera_edge_active_connections", "Client connections open.",
                            {{"listener", "proxy"}})),
        tunnelCounter(
            m.counter("tessera_edge_tunnels_total", "CONNECT tunnels passed through untouched.")),
        decryptCounter(m.counter("tessera_edge_tls_decrypted_total",
                                 "CONNECT sessions the edge terminated to inject credentials.")),
        refusedCounter(m.counter("tessera_edge_requests_refused_total",
                                 "Requests the edge answered itself (no grant, no injection).")),
        upstreamErrorCounter(m.counter("tessera_edge_upstream_errors_total",
                                       "Failures connecting to or talking with servers.")),
        metrics(m) {}

  // The registry lookup takes its lock and builds the series name: done once per known method.
  static constexpr std::array<std::string_view, 6> kInjectionMethods = {
      "bearer", "header", "query", "basic", "aws-sigv4", "none"};
  std::array<std::atomic<Counter*>, kInjectionMethods.size()> injectionCounters{};

  Counter& injectionCounter(const std::string& method) {
    for (std::size_t i = 0; i < kInjectionMethods.size(); ++i) {
      if (kInjectionMethods[i] == method) {
        if (Counter* known = injectionCounters[i].load(std::memory_order_acquire)) {
          return *known;
        }
        Counter& found = registryInjectionCounter(method);
        injectionCounters[i].store(&found, std::memory_order_release);
        return found;
      }
    }
    return registryInjectionCounter(method);
  }

  Counter& registryInjectionCounter(const std::string& method) {
    return metrics.counter("tessera_edge_injections_total",
                           "Credentials put on the wire, by method.", {{"method", method}});
  }

  Result<net::TlsContextPtr> upstreamContext(const Route* route) {
    if (route == nullptr || route->caBundlePem.empty()) {
      return defaultUpstreamTls->get();
    }
    const auto key = crypto::fingerprint(route->caBundlePem);
    std::lock_guard lock(tlsMutex);
    if (auto it = bundleTls.find(key); it != bundleTls.end()) {
      return it->second;
    }
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
    ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                     ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    error_code ec;
    ctx->add_certificate_authority(asio::buffer(route->caBundlePem), ec);
    if (ec) {
      return Error{ErrorCode::kHttpTls, "server workload " + route->serverWorkload +
                                            ": its tls.caBundle cannot be loaded: " + ec.message()};
    }
    ctx->set_verify_mode(ssl::verify_peer);
    bundleTls.emplace(key, ctx);
    return net::TlsContextPtr(ctx);
  }

  void trackSocket(std::uint64_t id, const std::shared_ptr<tcp::socket>& socket) {
    std::lock_guard lock(connMutex);
    sockets.emplace(id, socket);
  }

  asio::awaitable<void> acceptLoop(tcp::acceptor& from, bool transparent);
  asio::awaitable<void> session(tcp::socket socket, std::size_t worker);
  asio::awaitable<void> sweepLoop(std::size_t worker);
  asio::awaitable<void> transparentSession(tcp::socket socket);
  asio::awaitable<void> transparentHttp(PlainStream& client, beast::flat_buffer& buffer,
                                        const tcp::endpoint& destination,
                                        const std::string& sourceIp);
  asio::awaitable<bool> nameIsDestination(const std::string& host, const tcp::endpoint& to);

  // Connects `up` to host:port (TLS when asked), reusing it when it already goes there.
  asio::awaitable<Result<void>> connectUpstream(Upstream& up, const Authority& authority, bool tls,
                                                const Route* route);

  template <typename Client>
  asio::awaitable<bool> serveRequest(Client& client, beast::flat_buffer& buffer,
                                     http::request_parser<http::buffer_body>& parser,
                                     const Authority& authority, std::string originForm,
                                     bool clientTls, const std::string& sourceIp, Upstream& up);

  template <typename Client, typename Server>
  asio::awaitable<Result<RelayOutcome>> relay(Client& client, beast::flat_buffer& buffer,
                                              http::request_parser<http::buffer_body>& parser,
                                              RequestHead head,
                                              std::unique_ptr<BodyTransform> transform,
                                              std::optional<std::string> wholeBody, Server& server,
                                              beast::flat_buffer& serverBuffer);

  // The response half of relay(): reads the server's answer (its head may already be in
  // `serverBuffer`) and streams it to the client. `wire` is scratch for the client's head.
  template <typename Client, typename Server>
  asio::awaitable<Result<RelayOutcome>> relayResponse(Client& client, std::string_view method,
                                                      unsigned version, bool requestKeepAlive,
                                                      Server& server,
                                                      beast::flat_buffer& serverBuffer,
                                                      std::string& wire);

  // The fast path of the explicit proxy (see serveSimple's definition).
  asio::awaitable<SimpleOutcome> serveSimple(PlainStream& client, beast::flat_buffer& buffer,
                                             const std::string& sourceIp, Upstream& up,
                                             SimpleScratch& scratch);
  asio::awaitable<Result<RelayOutcome>> relaySimple(PlainStream& client, PlainStream& server,
                                                    beast::flat_buffer& serverBuffer,
                                                    std::string_view method, bool requestKeepAlive,
                                                    SimpleScratch& scratch);

  template <typename Client>
  asio::awaitable<void> answer(Client& client, int status, const Error& error, unsigned version) {
    refused.fetch_add(1, std::memory_order_relaxed);
    refusedCounter.inc();
    auto res = edgeAnswer(status, error, version);
    setTimeout(client, options.ioTimeout);
    co_await http::async_write(client, res, kTuple);
  }

  asio::awaitable<void> handleConnect(PlainStream& client, beast::flat_buffer& buffer,
                                      const std::string& target, unsigned version,
                                      const std::string& sourceIp);
  asio::awaitable<void> tunnel(PlainStream& client, beast::flat_buffer& buffer,
                               const Authority& authority, unsigned version);
  asio::awaitable<void> decrypt(PlainStream& client, beast::flat_buffer& buffer,
                                const Authority& authority, const std::string& sourceIp,
                                unsigned version);
  asio::awaitable<void> serveDecrypted(PlainStream& client, beast::flat_buffer& buffer,
                                       const Authority& authority, const std::string& sourceIp,
                                       ssl::context& context, Upstream& up);
  asio::awaitable<void> splice(PlainStream& client, beast::flat_buffer& buffer, Upstream& up);
};

asio::awaitable<void> HttpProxy::Impl::acceptLoop(tcp::acceptor& from, bool transparent) {
  auto self = shared_from_this();
  for (;;) {
    const std::size_t index = nextWorker.fetch_add(1, std::memory_order_relaxed) % workers.size();
    auto executor = workers[index]->get_executor();
    auto [ec, socket] = co_await from.async_accept(executor, kTuple);
    if (ec) {
      if (stopping || ec == asio::error::operation_aborted) {
        co_return;
      }
      spdlog::warn("edge proxy: accept failed: {}", ec.message());
      asio::steady_timer pause(co_await asio::this_coro::executor, std::chrono::milliseconds(50));
      co_await pause.async_wait(kTuple);
      continue;
    }
    if (active.load() >= options.maxConnections) {
      spdlog::warn("edge proxy: {} connections open; refusing a new one", options.maxConnections);
      error_code ignored;
      socket.close(ignored);
      continue;
    }
    auto serve =
        transparent ? transparentSession(std::move(socket)) : session(std::move(socket), index);
    asio::co_spawn(executor, std::move(serve), asio::detached);
  }
}

asio::awaitable<void> HttpProxy::Impl::sweepLoop(std::size_t worker) {
  auto self = shared_from_this();
  DeadlineSweeper& sweeper = *sweepers[worker];
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (!stopping) {
    timer.expires_after(sweeper.tick());
    co_await timer.async_wait(kTuple);
    sweeper.sweep(DeadlineSweeper::Clock::now());
  }
}

asio::awaitable<void> HttpProxy::Impl::session(tcp::socket socket, std::size_t worker) {
  auto self = shared_from_this();
  connections.fetch_add(1, std::memory_order_relaxed);
  active.fetch_add(1, std::memory_order_relaxed);
  connectionCounter.inc();
  activeGauge.add(1);
  error_code ec;
  const auto remote = socket.remote_endpoint(ec);
  const std::string sourceIp = ec ? std::string() : remote.address().to_string();
  PlainStream client(std::move(socket));
  // Heads and bodies go out in separate writes: without TCP_NODELAY, Nagle holds the second one
  // for the client's delayed ACK (40 ms per response).
  client.socket().set_option(tcp::no_delay(true), ec);
  std::uint64_t id = 0;
  {
    std::lock_guard lock(connMutex);
    id = ++nextId;
  }
  beast::flat_buffer buffer;
  Upstream up;
  SimpleScratch scratch(*sweepers[worker]);
  for (;;) {
    if (stopping) {
      break;
    }
    const SimpleOutcome simple = co_await serveSimple(client, buffer, sourceIp, up, scratch);
    if (simple == SimpleOutcome::kKeepAlive) {
      continue;
    }
    if (simple == SimpleOutcome::kClose) {
      break;
    }
    http::request_parser<http::buffer_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(options.maxHeaderBytes));
    parser.body_limit(boost::none);
    setTimeout(client, options.idleTimeout);
    auto [readError, n] = co_await http::async_read_header(client, buffer, parser, kTuple);
    if (readError) {
      if (readError == http::error::header_limit) {
        co_await answer(client, 431,
                        Error{ErrorCode::kHttpHeaderTooLarge, "the request head is too large"}, 11);
      } else if (readError != http::error::end_of_stream &&
                 readError != asio::error::operation_aborted &&
                 readError != beast::error::timeout && readError != asio::error::eof &&
                 readError != asio::error::connection_reset) {
        co_await answer(client, 400,
                        Error{ErrorCode::kHttpBadRequest,
                              "the request cannot be parsed: " + readError.message()},
                        11);
      }
      break;
    }
    requests.fetch_add(1, std::memory_order_relaxed);
    const auto& head = parser.get();
    const unsigned version = head.version();
    if (head.method() == http::verb::connect) {
      up.reset();
      co_await handleConnect(client, buffer, std::string(head.target()), version, sourceIp);
      break;
    }
    const InFlightRequest underWay(inFlight);
    auto target = parseAbsoluteTarget(head.target());
    if (!target) {
      co_await answer(client, 400,
                      Error{ErrorCode::kHttpBadRequest,
                            "this is a proxy: send absolute-form requests (http://host/path) or "
                            "CONNECT: " +
                                target.error().message},
                      version);
      break;
    }
    const bool keepAlive =
        co_await serveRequest(client, buffer, parser, target->authority,
                              std::move(target->originForm), false, sourceIp, up);
    if (!keepAlive) {
      break;
    }
  }
  up.reset();
  closeStream(client);
  active.fetch_sub(1, std::memory_order_relaxed);
  activeGauge.add(-1);
  (void)id;
}

// The fast path for what most requests through the explicit proxy are: a simple head (see
// simple_http_head.hpp: HTTP/1.1, no body, nothing unusual), for a plain-HTTP server, with the
// route's grant already held and an injection that needs no body, answered by a response framed
// by its Content-Length. The heads are read and written here without Beast's parser, fields or
// serializer. Anything else — or a response that turns out not simple — is left to the general
// path at the first point it differs: before the request is consumed (kNotSimple: the general
// path parses the same bytes again), or for the response, relayResponse.
asio::awaitable<SimpleOutcome> HttpProxy::Impl::serveSimple(PlainStream& client,
                                                            beast::flat_buffer& buffer,
                                                            const std::string& sourceIp,
                                                            Upstream& up, SimpleScratch& scratch) {
  auto& request = scratch.request;
  for (;;) {
    const std::string_view bytes(static_cast<const char*>(buffer.data().data()), buffer.size());
    const SimpleHead kind = parseSimpleRequestHead(bytes, options.maxHeaderBytes, request);
    if (kind == SimpleHead::kSimple) {
      break;
    }
    if (kind == SimpleHead::kNotSimple) {
      co_return SimpleOutcome::kNotSimple;
    }
    scratch.watch.arm(client.socket(), options.idleTimeout);
    auto [readError, n] =
        co_await client.socket().async_read_some(buffer.prepare(kSimpleReadBytes), kTuple);
    scratch.watch.disarm();
    if (readError) {
      // The client closed, reset or idled out (mid-head too): nothing to answer.
      co_return SimpleOutcome::kClose;
    }
    buffer.commit(n);
  }
  if (request.method == "CONNECT") {
    co_return SimpleOutcome::kNotSimple;
  }
  auto target = parseAbsoluteTarget(request.target);
  if (!target) {
    co_return SimpleOutcome::kNotSimple;  // answered there
  }
  const Authority& authority = target->authority;
  const auto routeTable = routes.load();
  const Route* route = routeTable->match(authority.host, authority.port);
  std::shared_ptr<const Grant> grant;
  if (route != nullptr && route->protocol == "http") {
    if (route->upstreamTls) {
      co_return SimpleOutcome::kNotSimple;
    }
    grant =
        grants.heldGrant(Target{authority.host, authority.port, "http"}, ClientContext{sourceIp});
    if (!grant) {
      co_return SimpleOutcome::kNotSimple;  // fetched there
    }
  }
  RequestHead& head = scratch.head;
  head.method.assign(request.method);
  head.target = std::move(target->originForm);
  head.version = 11;
  head.headers.clear();
  for (const auto& field : request.fields) {
    if (!isHopByHop(field.name) && !net::equalsIgnoreCase(field.name, "host")) {
      head.headers.add(std::string(field.name), std::string(field.value));
    }
  }
  head.headers.set("Host", hostFieldFor(authority, false));
  if (grant) {
    auto injectedHead = injectHttp(head, *grant, clock.now());
    if (!injectedHead || injectedHead->needsBody || injectedHead->body) {
      co_return SimpleOutcome::kNotSimple;  // answered or signed there
    }
  }
  std::string& wire = scratch.wire;
  wire.clear();
  if (auto serialized = appendRequestHead(wire, head, std::nullopt); !serialized) {
    co_return SimpleOutcome::kNotSimple;  // answered there
  }
  // From here the request is this path's.
  const bool requestKeepAlive = request.keepAlive;
  buffer.consume(request.size);
  requests.fetch_add(1, std::memory_order_relaxed);
  const InFlightRequest underWay(inFlight);
  if (grant) {
    injected.fetch_add(1, std::memory_order_relaxed);
    injectionCounter(grant->injection.method).inc();
  }
  if (!up.goesTo(authority, false, route)) {
    if (auto connected = co_await connectUpstream(up, authority, false, route); !connected) {
      upstreamErrors.fetch_add(1, std::memory_order_relaxed);
      upstreamErrorCounter.inc();
      co_await answer(client, connected.error().code == ErrorCode::kTimeout ? 504 : 502,
                      connected.error(), 11);
      co_return SimpleOutcome::kClose;
    }
  }
  auto& server = *up.plain;
  Result<RelayOutcome> relayed =
      co_await relaySimple(client, server, up.buffer, head.method, requestKeepAlive, scratch);
  if (!relayed) {
    upstreamErrors.fetch_add(1, std::memory_order_relaxed);
    upstreamErrorCounter.inc();
    up.reset();
    if (relayed.error().code != ErrorCode::kIo) {
      co_await answer(client, 502, relayed.error(), 11);
    }
    co_return SimpleOutcome::kClose;
  }
  if (!relayed->serverReusable) {
    up.reset();
  }
  co_return relayed->clientKeepAlive ? SimpleOutcome::kKeepAlive : SimpleOutcome::kClose;
}

// Sends the serialized head in `scratch.wire` and relays the response: a simple one here (head
// and the body bytes that came with it in one write, the rest of the body as it comes), any
// other through relayResponse.
asio::awaitable<Result<RelayOutcome>> HttpProxy::Impl::relaySimple(
    PlainStream& client, PlainStream& server, beast::flat_buffer& serverBuffer,
    std::string_view method, bool requestKeepAlive, SimpleScratch& scratch) {
  std::string& wire = scratch.wire;
  auto& watch = scratch.watch;
  // Why an operation failed: the sweep's cancellation is a timeout.
  auto reason = [&watch](const error_code& ec) {
    return watch.timedOut() ? std::string("timed out") : ec.message();
  };
  watch.arm(server.socket(), options.ioTimeout);
  auto [sendError, sent] = co_await asio::async_write(server.socket(), asio::buffer(wire), kTuple);
  watch.disarm();
  if (sendError) {
    co_return Error{ErrorCode::kHttpUpstream, "sending the request failed: " + reason(sendError)};
  }
  auto& response = scratch.response;
  const bool headRequest = method == "HEAD";
  for (;;) {
    const std::string_view bytes(static_cast<const char*>(serverBuffer.data().data()),
                                 serverBuffer.size());
    const SimpleHead kind =
        parseSimpleResponseHead(bytes, options.maxHeaderBytes, headRequest, response);
    if (kind == SimpleHead::kSimple) {
      break;
    }
    if (kind == SimpleHead::kNotSimple) {
      co_return co_await relayResponse(client, method, 11, requestKeepAlive, server, serverBuffer,
                                       wire);
    }
    watch.arm(server.socket(), options.ioTimeout);
    auto [readError, n] =
        co_await server.socket().async_read_some(serverBuffer.prepare(kSimpleReadBytes), kTuple);
    watch.disarm();
    if (readError) {
      co_return Error{ErrorCode::kHttpUpstream,
                      "the server's response cannot be read: " + reason(readError)};
    }
    serverBuffer.commit(n);
  }
  // The client's head: the server's status line and fields but the hop-by-hop ones.
  wire.clear();
  wire.append("HTTP/1.1 ").append(std::to_string(response.status)).append(1, ' ');
  wire.append(response.reason).append("\r\n");
  for (const auto& field : response.fields) {
    if (!isHopByHop(field.name)) {
      wire.append(field.name).append(": ").append(field.value).append("\r\n");
    }
  }
  if (!requestKeepAlive) {
    wire.append("Connection: close\r\n");
  }
  wire.append("\r\n");
  const std::size_t after = serverBuffer.size() - response.size;
  const std::size_t early =
      static_cast<std::size_t>(std::min<std::uint64_t>(after, response.bodyLength));
  // Bytes past the response: the server sent what was not asked for; its connection ends.
  const bool surplus = after > early;
  const char* bodyStart = static_cast<const char*>(serverBuffer.data().data()) + response.size;
  std::array<asio::const_buffer, 2> pieces{asio::buffer(wire), asio::buffer(bodyStart, early)};
  watch.arm(client.socket(), options.ioTimeout);
  auto [headError, headSent] = co_await asio::async_write(client.socket(), pieces, kTuple);
  watch.disarm();
  serverBuffer.consume(response.size + early);
  if (headError) {
    co_return Error{ErrorCode::kIo, "the client went away: " + reason(headError)};
  }
  std::uint64_t remaining = response.bodyLength - early;
  if (remaining > 0) {
    RelayBuffer chunk;
    while (remaining > 0) {
      const std::size_t want =
          static_cast<std::size_t>(std::min<std::uint64_t>(remaining, RelayBuffer::size()));
      watch.arm(server.socket(), options.ioTimeout);
      auto [readError, got] =
          co_await server.socket().async_read_some(asio::buffer(chunk.data(), want), kTuple);
      watch.disarm();
      if (readError) {
        // Part of the response is out: the client connection cannot be saved.
        co_return Error{ErrorCode::kIo, "the server's response broke off: " + reason(readError)};
      }
      watch.arm(client.socket(), options.ioTimeout);
      auto [writeError, written] =
          co_await asio::async_write(client.socket(), asio::buffer(chunk.data(), got), kTuple);
      watch.disarm();
      if (writeError) {
        co_return Error{ErrorCode::kIo, "the client went away: " + reason(writeError)};
      }
      remaining -= got;
    }
  }
  co_return RelayOutcome{response.keepAlive && !surplus, requestKeepAlive};
}

asio::awaitable<Result<void>> HttpProxy::Impl::connectUpstream(Upstream& up,
                                                               const Authority& authority, bool tls,
                                                               const Route* route) {
  const std::string sni = serverNameFor(authority, route);
  if (up.goesTo(authority, tls, route)) {
    co_return Result<void>{};
  }
  up.reset();
  auto executor = co_await asio::this_coro::executor;
  auto plain = std::make_unique<PlainStream>(executor);
  plain->expires_after(options.connectTimeout);
  error_code connectError;
  if (up.pinned) {
    std::tie(connectError) = co_await plain->async_connect(*up.pinned, kTuple);
  } else {
    tcp::resolver resolver(executor);
    auto [resolveError, endpoints] =
        co_await resolver.async_resolve(authority.host, std::to_string(authority.port), kTuple);
    if (resolveError || endpoints.empty()) {
      co_return Error{ErrorCode::kHttpConnect,
                      "cannot resolve " + authority.host + ": " + resolveError.message()};
    }
    std::tie(connectError, std::ignore) = co_await plain->async_connect(endpoints, kTuple);
  }
  if (connectError) {
    co_return Error{ErrorCode::kHttpConnect, "cannot connect to " + formatAuthority(authority) +
                                                 ": " + connectError.message()};
  }
  plain->socket().set_option(tcp::no_delay(true));
  if (!tls) {
    up.plain = std::move(plain);
    up.setDestination(authority, tls, sni);
    co_return Result<void>{};
  }
  auto ctx = upstreamContext(route);
  if (!ctx) {
    co_return ctx.error();
  }
  auto stream = std::make_unique<TlsStream>(std::move(*plain), **ctx);
  if (!isIpLiteral(sni)) {
    // SSL_set_tlsext_host_name is a macro with a C cast.
    SSL_ctrl(stream->native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
             const_cast<char*>(sni.c_str()));
  }
  stream->set_verify_mode(ssl::verify_peer);
  stream->set_verify_callback(ssl::host_name_verification(sni));
  setTimeout(*stream, options.ioTimeout);
  auto [handshakeError] = co_await stream->async_handshake(ssl::stream_base::client, kTuple);
  if (handshakeError) {
    co_return Error{ErrorCode::kHttpTls, "TLS with " + formatAuthority(authority) + " (as " + sni +
                                             ") failed: " + handshakeError.message()};
  }
  up.tls = std::move(stream);
  up.setDestination(authority, tls, sni);
  co_return Result<void>{};
}

template <typename Client>
asio::awaitable<bool> HttpProxy::Impl::serveRequest(Client& client, beast::flat_buffer& buffer,
                                                    http::request_parser<http::buffer_body>& parser,
                                                    const Authority& authority,
                                                    std::string originForm, bool clientTls,
                                                    const std::string& sourceIp, Upstream& up) {
  const auto& in = parser.get();
  const unsigned version = in.version();
  RequestHead head;
  head.method = std::string(in.method_string());
  head.target = std::move(originForm);
  head.version = version;
  bool expectContinue = false;
  for (const auto& field : in) {
    const auto name = field.name_string();
    if (isHopByHop(name) || net::equalsIgnoreCase(name, "host")) {
      continue;
    }
    if (net::equalsIgnoreCase(name, "expect")) {
      expectContinue = net::equalsIgnoreCase(field.value(), "100-continue");
      continue;
    }
    head.headers.add(std::string(name), std::string(field.value()));
  }
  head.headers.set("Host", hostFieldFor(authority, clientTls));

  const auto routeTable = routes.load();
  const Route* route = routeTable->match(authority.host, authority.port);
  std::unique_ptr<BodyTransform> transform;
  std::optional<std::string> wholeBody;  // read ahead when the signature needs it
  bool upstreamTls = clientTls;
  if (route != nullptr && route->protocol == "http") {
    upstreamTls = route->upstreamTls;
    Target t{authority.host, authority.port, "http"};
    ClientContext ctx{sourceIp};
    std::shared_ptr<const Grant> grant = grants.heldGrant(t, ctx);
    if (!grant) {
      auto fetched = co_await grants.grantFor(std::move(t), std::move(ctx));
      if (!fetched) {
        co_await answer(client, statusForGrantError(fetched.error()), fetched.error(), version);
        co_return false;
      }
      grant = std::move(*fetched);
    }
    auto injectedHead = injectHttp(head, *grant, clock.now());
    if (!injectedHead) {
      const int status = injectedHead.error().code == ErrorCode::kInvalidArgument ? 400 : 502;
      co_await answer(client, status, injectedHead.error(), version);
      co_return false;
    }
    transform = std::move(injectedHead->body);
    if (injectedHead->needsBody) {
      // The signature covers the body's hash: read it all (bounded) before anything goes out.
      if (expectContinue) {
        http::response<http::empty_body> cont{http::status::continue_, version};
        setTimeout(client, options.ioTimeout);
        co_await http::async_write(client, cont, kTuple);
        expectContinue = false;
      }
      wholeBody.emplace();
      RelayBuffer piece;
      while (!parser.is_done()) {
        parser.get().body().data = piece.data();
        parser.get().body().size = piece.size();
        setTimeout(client, options.ioTimeout);
        auto [bodyError, bodyBytes] =
            co_await http::async_read_some(client, buffer, parser, kTuple);
        if (bodyError && bodyError != http::error::need_buffer) {
          co_return false;
        }
        wholeBody->append(piece.data(), piece.size() - parser.get().body().size);
        if (wholeBody->size() > kMaxHashedBodyBytes) {
          Error tooLarge{ErrorCode::kPayloadTooLarge, "the body is larger than the " +
                                                          std::to_string(kMaxHashedBodyBytes) +
                                                          " bytes the edge hashes to re-sign it"};
          co_await answer(client, 413, tooLarge, version);
          co_return false;
        }
      }
      if (auto signedHead = injectHttpWithBody(head, *wholeBody, *grant, clock.now());
          !signedHead) {
        co_await answer(client, 400, signedHead.error(), version);
        co_return false;
      }
    }
    injected.fetch_add(1, std::memory_order_relaxed);
    injectionCounter(grant->injection.method).inc();
  }
  if (expectContinue) {
    // The edge answers the client's Expect itself (the decision is made); the server gets the
    // body without waiting.
    http::response<http::empty_body> cont{http::status::continue_, version};
    setTimeout(client, options.ioTimeout);
    auto [continueError, ignoredBytes] = co_await http::async_write(client, cont, kTuple);
    if (continueError) {
      co_return false;
    }
  }
  Result<void> connected;
  if (!up.goesTo(authority, upstreamTls, route)) {
    connected = co_await connectUpstream(up, authority, upstreamTls, route);
  }
  if (!connected) {
    upstreamErrors.fetch_add(1, std::memory_order_relaxed);
    upstreamErrorCounter.inc();
    co_await answer(client, connected.error().code == ErrorCode::kTimeout ? 504 : 502,
                    connected.error(), version);
    co_return false;
  }
  Result<RelayOutcome> relayed = RelayOutcome{};
  if (up.tls) {
    relayed = co_await relay(client, buffer, parser, std::move(head), std::move(transform),
                             std::move(wholeBody), *up.tls, up.buffer);
  } else {
    relayed = co_await relay(client, buffer, parser, std::move(head), std::move(transform),
                             std::move(wholeBody), *up.plain, up.buffer);
  }
  if (!relayed) {
    upstreamErrors.fetch_add(1, std::memory_order_relaxed);
    upstreamErrorCounter.inc();
    up.reset();
    if (relayed.error().code != ErrorCode::kIo) {
      co_await answer(client, 502, relayed.error(), version);
    }
    co_return false;
  }
  if (!relayed->serverReusable) {
    up.reset();
  }
  co_return relayed->clientKeepAlive;
}

// Streams the request (head, then body through `transform`) to the server and the response
// back. The value says whether the server connection may be reused and whether the client's
// stays open (an until-close response ends the server's, not the client's, unless the client
// speaks HTTP/1.0); kIo means the client went away (nothing more to say to it), other errors are
// answered with 502 if nothing was sent yet.
template <typename Client, typename Server>
asio::awaitable<Result<RelayOutcome>> HttpProxy::Impl::relay(
    Client& client, beast::flat_buffer& buffer, http::request_parser<http::buffer_body>& parser,
    RequestHead head, std::unique_ptr<BodyTransform> transform,
    std::optional<std::string> wholeBody, Server& server, beast::flat_buffer& serverBuffer) {
  const auto& in = parser.get();
  bool finished = wholeBody.has_value() || parser.is_done();
  // The head is checked (and, when no body is still to come, serialized) here: no injected
  // value may split a header, whichever way the request goes out.
  std::string wire;
  if (auto serialized = appendRequestHead(
          wire, head, wholeBody ? std::optional<std::size_t>(wholeBody->size()) : std::nullopt);
      !serialized) {
    co_return serialized.error();
  }
  if (finished) {
    // Head and body in one write.
    std::array<asio::const_buffer, 2> pieces{
        asio::buffer(wire), wholeBody ? asio::buffer(*wholeBody) : asio::const_buffer()};
    setTimeout(server, options.ioTimeout);
    auto [sendError, sent] = co_await asio::async_write(server, pieces, kTuple);
    if (sendError) {
      co_return Error{ErrorCode::kHttpUpstream,
                      "sending the request failed: " + sendError.message()};
    }
  } else {
    // The body streams (through `transform` when the injection rewrites it): Beast frames it.
    RelayBuffer chunk;
    http::request<http::buffer_body> out;
    out.method_string(head.method);
    out.target(head.target);
    out.version(11);
    for (const auto& [name, value] : head.headers) {
      out.insert(name, value);
    }
    if (in.chunked()) {
      out.chunked(true);
    } else if (const auto length = parser.content_length()) {
      if (!out.has_content_length()) {
        out.content_length(*length);
      }
    }
    out.keep_alive(true);
    std::string transformed;
    http::request_serializer<http::buffer_body> requestWriter{out};
    out.body().data = nullptr;
    out.body().size = 0;
    out.body().more = true;
    setTimeout(server, options.ioTimeout);
    auto [headError, headBytes] = co_await http::async_write_header(server, requestWriter, kTuple);
    if (headError) {
      co_return Error{ErrorCode::kHttpUpstream,
                      "sending the request failed: " + headError.message()};
    }
    while (!finished) {
      parser.get().body().data = chunk.data();
      parser.get().body().size = chunk.size();
      setTimeout(client, options.ioTimeout);
      auto [readError, readBytes] = co_await http::async_read_some(client, buffer, parser, kTuple);
      if (readError && readError != http::error::need_buffer) {
        co_return Error{ErrorCode::kIo, "the client's body ended: " + readError.message()};
      }
      const std::size_t got = chunk.size() - parser.get().body().size;
      finished = parser.is_done();
      std::string_view piece(chunk.data(), got);
      if (transform) {
        transformed.clear();
        if (auto fed = transform->feed(piece, transformed); !fed) {
          co_return fed.error();
        }
        if (finished) {
          if (auto done = transform->finish(transformed); !done) {
            co_return done.error();
          }
        }
        piece = transformed;
      }
      if (piece.empty() && !finished) {
        continue;
      }
      out.body().data = const_cast<char*>(piece.data());
      out.body().size = piece.size();
      out.body().more = !finished;
      setTimeout(server, options.ioTimeout);
      auto [writeError, written] = co_await http::async_write(server, requestWriter, kTuple);
      if (writeError && writeError != http::error::need_buffer) {
        co_return Error{ErrorCode::kHttpUpstream,
                        "sending the body failed: " + writeError.message()};
      }
    }
    if (!requestWriter.is_done()) {
      out.body().data = nullptr;
      out.body().size = 0;
      out.body().more = false;
      auto [endError, endBytes] = co_await http::async_write(server, requestWriter, kTuple);
      if (endError && endError != http::error::need_buffer) {
        co_return Error{ErrorCode::kHttpUpstream,
                        "ending the request failed: " + endError.message()};
      }
    }
  }

  co_return co_await relayResponse(client, head.method, head.version, parser.keep_alive(), server,
                                   serverBuffer, wire);
}

template <typename Client, typename Server>
asio::awaitable<Result<RelayOutcome>> HttpProxy::Impl::relayResponse(
    Client& client, std::string_view method, unsigned version, bool requestKeepAlive,
    Server& server, beast::flat_buffer& serverBuffer, std::string& wire) {
  // The response: informational answers (103...) are skipped; the rest streams back.
  std::optional<http::response_parser<http::buffer_body>> parsed;
  for (int informational = 0;; ++informational) {
    parsed.emplace();
    auto& response = *parsed;
    response.body_limit(boost::none);
    response.header_limit(static_cast<std::uint32_t>(options.maxHeaderBytes));
    if (method == "HEAD") {
      response.skip(true);
    }
    setTimeout(server, options.ioTimeout);
    auto [responseError, responseBytes] =
        co_await http::async_read_header(server, serverBuffer, response, kTuple);
    if (responseError) {
      co_return Error{ErrorCode::kHttpUpstream,
                      "the server's response cannot be read: " + responseError.message()};
    }
    if (response.get().result_int() / 100 != 1 || informational > 8) {
      break;
    }
  }
  // Borrowed only now: while the server thinks, the request holds no relay buffer.
  RelayBuffer chunk;
  auto& response = *parsed;
  const auto& res = response.get();
  const bool untilClose = !response.is_done() && !res.chunked() && !response.content_length();
  const bool clientKeepAlive = requestKeepAlive && !(untilClose && version != 11);
  // The body bytes that came with the head go out with it, in one write; for a small response
  // that is all of it.
  bool responseDone = response.is_done();
  std::size_t early = 0;
  if (!responseDone && serverBuffer.size() > 0) {
    response.get().body().data = chunk.data();
    response.get().body().size = chunk.size();
    error_code parseError;
    serverBuffer.consume(response.put(serverBuffer.data(), parseError));
    if (parseError && parseError != http::error::need_buffer) {
      co_return Error{ErrorCode::kHttpUpstream,
                      "the server's response cannot be read: " + parseError.message()};
    }
    early = chunk.size() - response.get().body().size;
    responseDone = response.is_done();
  }
  // Length-delimited or without a body: the framing passes as it is, so the head is written here
  // and the body bytes follow it untouched (no serializer, no copy of the fields). Chunked, or
  // until the server closes: Beast re-frames the body for the client.
  const bool passThrough = !res.chunked() && !untilClose;
  std::optional<http::response<http::buffer_body>> back;
  std::optional<http::response_serializer<http::buffer_body>> responseWriter;
  if (passThrough) {
    wire.clear();  // the request's head is out: its buffer is reused
    appendResponseHead(wire, res, version, clientKeepAlive);
    std::array<asio::const_buffer, 2> pieces{asio::buffer(wire), asio::buffer(chunk.data(), early)};
    setTimeout(client, options.ioTimeout);
    auto [sendError, sent] = co_await asio::async_write(client, pieces, kTuple);
    if (sendError) {
      co_return Error{ErrorCode::kIo, "the client went away: " + sendError.message()};
    }
  } else {
    back.emplace();
    back->version(version);
    back->result(res.result_int());
    back->reason(res.reason());
    for (const auto& field : res) {
      if (!isHopByHop(field.name_string())) {
        back->insert(field.name_string(), field.value());
      }
    }
    if (res.chunked() || (untilClose && version == 11)) {
      back->chunked(true);
    }
    back->keep_alive(clientKeepAlive);
    responseWriter.emplace(*back);
    back->body().data = early > 0 ? chunk.data() : nullptr;
    back->body().size = early;
    back->body().more = !responseDone;
    setTimeout(client, options.ioTimeout);
    auto [backHeadError, backHeadBytes] =
        co_await http::async_write(client, *responseWriter, kTuple);
    if (backHeadError && backHeadError != http::error::need_buffer) {
      co_return Error{ErrorCode::kIo, "the client went away: " + backHeadError.message()};
    }
  }
  while (!responseDone) {
    response.get().body().data = chunk.data();
    response.get().body().size = chunk.size();
    setTimeout(server, options.ioTimeout);
    auto [readError, readBytes] =
        co_await http::async_read_some(server, serverBuffer, response, kTuple);
    if (readError == http::error::end_of_stream && untilClose) {
      response.put_eof(readError);
      readError = {};
    }
    if (readError && readError != http::error::need_buffer) {
      // Part of the response is out: the client connection cannot be saved.
      co_return Error{ErrorCode::kIo, "the server's response broke off: " + readError.message()};
    }
    const std::size_t got = chunk.size() - response.get().body().size;
    responseDone = response.is_done();
    if (got == 0 && (passThrough || !responseDone)) {
      continue;  // nothing to send (a re-framed body still needs its end, sent below)
    }
    setTimeout(client, options.ioTimeout);
    error_code writeError;
    if (passThrough) {
      std::tie(writeError, std::ignore) =
          co_await asio::async_write(client, asio::buffer(chunk.data(), got), kTuple);
    } else {
      back->body().data = chunk.data();
      back->body().size = got;
      back->body().more = !responseDone;
      std::tie(writeError, std::ignore) =
          co_await http::async_write(client, *responseWriter, kTuple);
    }
    if (writeError && writeError != http::error::need_buffer) {
      co_return Error{ErrorCode::kIo, "the client went away: " + writeError.message()};
    }
  }
  if (responseWriter && !responseWriter->is_done()) {
    back->body().data = nullptr;
    back->body().size = 0;
    back->body().more = false;
    auto [endError, endBytes] = co_await http::async_write(client, *responseWriter, kTuple);
    if (endError && endError != http::error::need_buffer) {
      co_return Error{ErrorCode::kIo, "the client went away: " + endError.message()};
    }
  }
  co_return RelayOutcome{response.keep_alive() && !untilClose, clientKeepAlive};
}

asio::awaitable<void> HttpProxy::Impl::handleConnect(PlainStream& client,
                                                     beast::flat_buffer& buffer,
                                                     const std::string& target, unsigned version,
                                                     const std::string& sourceIp) {
  auto authority = parseAuthorityTarget(target);
  if (!authority) {
    co_await answer(client, 400, authority.error(), version);
    co_return;
  }
  const auto routeTable = routes.load();
  const Route* route = routeTable->match(authority->host, authority->port);
  if (route != nullptr && route->protocol == "http" && route->decrypt) {
    if (!leaves) {
      Error error{ErrorCode::kConfigInvalid,
                  "server workload " + route->serverWorkload +
                      " asks for TLS decrypt but this edge has no CA (tls: in edge.yaml)"};
      co_await answer(client, 502, error, version);
      co_return;
    }
    co_await decrypt(client, buffer, *authority, sourceIp, version);
    co_return;
  }
  co_await tunnel(client, buffer, *authority, version);
}

asio::awaitable<void> HttpProxy::Impl::decrypt(PlainStream& client, beast::flat_buffer& buffer,
                                               const Authority& authority,
                                               const std::string& sourceIp, unsigned version) {
  auto ctx = leaves->contextFor(authority.host);
  if (!ctx) {
    co_await answer(client, 502, ctx.error(), version);
    co_return;
  }
  static constexpr std::string_view kEstablished = "HTTP/1.1 200 Connection established\r\n\r\n";
  setTimeout(client, options.ioTimeout);
  auto [writeError, written] =
      co_await asio::async_write(client, asio::buffer(kEstablished), kTuple);
  if (writeError) {
    co_return;
  }
  Upstream up;
  co_await serveDecrypted(client, buffer, authority, sourceIp, **ctx, up);
}

// Terminates the client's TLS with the leaf `context` and serves the origin-form requests inside
// for `authority`. The client's first bytes (its ClientHello) may already be in `buffer`. Shared
// by CONNECT and transparent sessions.
asio::awaitable<void> HttpProxy::Impl::serveDecrypted(PlainStream& client,
                                                      beast::flat_buffer& buffer,
                                                      const Authority& authority,
                                                      const std::string& sourceIp,
                                                      ssl::context& context, Upstream& up) {
  decrypted.fetch_add(1, std::memory_order_relaxed);
  decryptCounter.inc();
  TlsStream tls(std::move(client), context);
  setTimeout(tls, options.ioTimeout);
  // Bytes the client sent right after CONNECT (its ClientHello) may already be in `buffer`.
  auto [handshakeError, used] =
      co_await tls.async_handshake(ssl::stream_base::server, buffer.data(), kTuple);
  if (handshakeError) {
    spdlog::debug("edge proxy: TLS from the client for {} failed: {}", authority.host,
                  handshakeError.message());
    co_return;
  }
  buffer.consume(used);
  for (;;) {
    http::request_parser<http::buffer_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(options.maxHeaderBytes));
    parser.body_limit(boost::none);
    setTimeout(tls, options.idleTimeout);
    auto [readError, n] = co_await http::async_read_header(tls, buffer, parser, kTuple);
    if (readError) {
      break;
    }
    requests.fetch_add(1, std::memory_order_relaxed);
    const InFlightRequest underWay(inFlight);
    std::string origin(parser.get().target());
    if (origin.empty() || origin.front() != '/') {
      Error error{ErrorCode::kHttpBadRequest, "inside TLS, requests must be origin-form"};
      co_await answer(tls, 400, error, parser.get().version());
      break;
    }
    const bool keepAlive = co_await serveRequest(tls, buffer, parser, authority, std::move(origin),
                                                 true, sourceIp, up);
    if (!keepAlive || stopping) {
      break;
    }
  }
  up.reset();
  setTimeout(tls, std::chrono::seconds(2));
  co_await tls.async_shutdown(kTuple);
  closeStream(tls);
}

asio::awaitable<void> HttpProxy::Impl::tunnel(PlainStream& client, beast::flat_buffer& buffer,
                                              const Authority& authority, unsigned version) {
  Upstream up;
  auto connected = co_await connectUpstream(up, authority, false, nullptr);
  if (!connected) {
    upstreamErrors.fetch_add(1, std::memory_order_relaxed);
    upstreamErrorCounter.inc();
    co_await answer(client, 502, connected.error(), version);
    co_return;
  }
  static constexpr std::string_view kEstablished = "HTTP/1.1 200 Connection established\r\n\r\n";
  setTimeout(client, options.ioTimeout);
  auto [writeError, written] =
      co_await asio::async_write(client, asio::buffer(kEstablished), kTuple);
  if (writeError) {
    co_return;
  }
  co_await splice(client, buffer, up);
}

// Relays bytes both ways untouched between the client and the connected `up` until both sides
// end or stay idle; `buffer` holds client bytes already read. Shared by CONNECT and transparent.
asio::awaitable<void> HttpProxy::Impl::splice(PlainStream& client, beast::flat_buffer& buffer,
                                              Upstream& up) {
  tunnels.fetch_add(1, std::memory_order_relaxed);
  tunnelCounter.inc();
  auto server = std::make_shared<tcp::socket>(up.plain->release_socket());
  auto near = std::make_shared<tcp::socket>(client.release_socket());
  if (buffer.size() > 0) {
    auto [earlyError, earlyBytes] = co_await asio::async_write(*server, buffer.data(), kTuple);
    if (earlyError) {
      co_return;
    }
    buffer.consume(buffer.size());
  }
  // Two pumps on this connection's worker; an idle watchdog closes both sockets when neither
  // side has sent anything for idleTimeout.
  auto lastActivity = std::make_shared<std::atomic<std::int64_t>>(0);
  auto pumpsLeft = std::make_shared<int>(2);
  auto executor = co_await asio::this_coro::executor;
  auto finished = std::make_shared<asio::steady_timer>(executor);
  finished->expires_at(asio::steady_timer::time_point::max());
  auto now = [] { return std::chrono::steady_clock::now().time_since_epoch().count(); };
  lastActivity->store(now());
  auto pump = [lastActivity, pumpsLeft, finished, now](
                  std::shared_ptr<tcp::socket> from,
                  std::shared_ptr<tcp::socket> to) -> asio::awaitable<void> {
    std::array<char, kRelayBufferBytes> data{};
    for (;;) {
      auto [readError, n] = co_await from->async_read_some(asio::buffer(data), kTuple);
      if (n > 0) {
        lastActivity->store(now());
        auto [pumpError, w] = co_await asio::async_write(*to, asio::buffer(data.data(), n), kTuple);
        if (pumpError) {
          break;
        }
      }
      if (readError) {
        break;
      }
    }
    error_code ignored;
    to->shutdown(tcp::socket::shutdown_send, ignored);
    if (--*pumpsLeft == 0) {
      finished->cancel();
    }
  };
  auto upward = pump(near, server);
  auto downward = pump(server, near);
  asio::co_spawn(executor, std::move(upward), asio::detached);
  asio::co_spawn(executor, std::move(downward), asio::detached);
  const auto idle =
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(options.idleTimeout);
  for (;;) {
    finished->expires_after(
        std::min<std::chrono::steady_clock::duration>(idle, std::chrono::seconds(5)));
    co_await finished->async_wait(kTuple);
    if (*pumpsLeft == 0 || stopping) {
      break;
    }
    const auto quiet = std::chrono::steady_clock::duration(now() - lastActivity->load());
    if (quiet >= idle) {
      break;
    }
  }
  error_code ignored;
  near->close(ignored);
  server->close(ignored);
}

// ---- Transparent mode: connections an iptables REDIRECT sent here (see the header). ----

namespace {
// A client that sends nothing for this long speaks a server-first protocol (SMTP, MySQL...): the
// edge stops waiting and tunnels it.
constexpr auto kFirstBytesWait = std::chrono::seconds(1);

// Whether the first bytes can start an HTTP/1 request line: an upper-case method and a space.
bool looksLikeHttp(std::string_view bytes) {
  for (std::size_t i = 0; i < bytes.size() && i < 16; ++i) {
    const char c = bytes[i];
    if (c == ' ') {
      return i > 0;
    }
    if (c < 'A' || c > 'Z') {
      return false;
    }
  }
  return bytes.size() < 16;
}

std::string_view bufferText(const beast::flat_buffer& buffer) {
  const auto data = buffer.data();
  return {static_cast<const char*>(data.data()), data.size()};
}
}  // namespace

// Whether `host` names the original destination: the IP literal itself, or a name that resolves
// to it. Injection depends on it, so that a forged Host header or SNI cannot make the edge put a
// route's credential on a connection to some other server.
asio::awaitable<bool> HttpProxy::Impl::nameIsDestination(const std::string& host,
                                                         const tcp::endpoint& to) {
  error_code ec;
  const auto literal = asio::ip::make_address(host, ec);
  if (!ec) {
    co_return literal == to.address();
  }
  tcp::resolver resolver(co_await asio::this_coro::executor);
  auto [resolveError, endpoints] =
      co_await resolver.async_resolve(host, std::to_string(to.port()), kTuple);
  if (resolveError) {
    co_return false;
  }
  for (const auto& entry : endpoints) {
    if (entry.endpoint().address() == to.address()) {
      co_return true;
    }
  }
  co_return false;
}

asio::awaitable<void> HttpProxy::Impl::transparentSession(tcp::socket socket) {
  using namespace asio::experimental::awaitable_operators;
  auto self = shared_from_this();
  connections.fetch_add(1, std::memory_order_relaxed);
  active.fetch_add(1, std::memory_order_relaxed);
  metrics
      .counter("tessera_edge_connections_total", "Client connections accepted, by listener.",
               {{"listener", "transparent"}})
      .inc();
  activeGauge.add(1);
  error_code ec;
  const auto remote = socket.remote_endpoint(ec);
  const std::string sourceIp = ec ? std::string() : remote.address().to_string();
  const auto local = socket.local_endpoint(ec);
  auto destination = originalDestination(socket);
  PlainStream client(std::move(socket));
  // Heads and bodies go out in separate writes: without TCP_NODELAY, Nagle holds the second one
  // for the client's delayed ACK (40 ms per response).
  client.socket().set_option(tcp::no_delay(true), ec);
  beast::flat_buffer buffer;
  Upstream up;
  if (!destination) {
    spdlog::warn("edge transparent: refusing a connection from {}: {}", sourceIp,
                 destination.error().message);
  } else if (*destination == local) {
    // Not redirected (someone dialed the listener itself): relaying would connect back here.
    spdlog::warn("edge transparent: refusing a connection from {} to the listener itself",
                 sourceIp);
  } else {
    up.pinned = *destination;
    const std::string ip = destination->address().to_string();
    const auto port = destination->port();
    // Wait for the client's first bytes (or its silence), then look at them.
    asio::steady_timer quiet(co_await asio::this_coro::executor, kFirstBytesWait);
    auto readable = client.socket().async_wait(tcp::socket::wait_read, kTuple);
    auto silence = quiet.async_wait(kTuple);
    auto first = co_await (std::move(readable) || std::move(silence));
    bool tunnelIt = first.index() == 1;
    std::optional<std::string> sni;
    bool tls = false;
    bool closed = false;
    while (!tunnelIt && !stopping) {
      setTimeout(client, options.ioTimeout);
      auto [readError, n] = co_await client.async_read_some(buffer.prepare(4096), kTuple);
      buffer.commit(n);
      if (readError) {
        closed = true;
        break;
      }
      auto hello = parseClientHello(bufferText(buffer));
      if (!hello) {
        // Not ours to judge: the server will refuse it. Nothing is injected into a tunnel.
        spdlog::debug("edge transparent: {} to {}:{}: {}", sourceIp, ip, port,
                      hello.error().message);
        tunnelIt = true;
      } else if (hello->status == ClientHelloStatus::kComplete) {
        tls = true;
        sni = hello->serverName;
      } else if (hello->status == ClientHelloStatus::kNotTls) {
        tunnelIt = !looksLikeHttp(bufferText(buffer));
      } else {
        continue;  // more of the ClientHello to come
      }
      break;
    }
    if (tls) {
      const Authority authority{sni.value_or(ip), port};
      const auto routeTable = routes.load();
      const Route* route = routeTable->match(authority.host, authority.port);
      if (route != nullptr && route->protocol == "http" && route->decrypt && leaves) {
        auto ctx = leaves->contextFor(authority.host);
        const bool sameServer = co_await nameIsDestination(authority.host, *destination);
        if (!ctx || !sameServer) {
          // TLS has no way to carry the edge's reason: refuse by closing, and say why here.
          spdlog::warn(
              "edge transparent: refusing TLS from {} for {} at {}:{}: {}", sourceIp,
              authority.host, ip, port,
              !ctx ? ctx.error().message : "the name does not resolve to the original destination");
        } else {
          co_await serveDecrypted(client, buffer, authority, sourceIp, **ctx, up);
        }
      } else {
        tunnelIt = true;
      }
    } else if (!tunnelIt && !closed && !stopping) {
      co_await transparentHttp(client, buffer, *destination, sourceIp);
    }
    if (tunnelIt && !stopping) {
      const Authority original{ip, port};
      auto connected = co_await connectUpstream(up, original, false, nullptr);
      if (connected) {
        co_await splice(client, buffer, up);
      } else {
        upstreamErrors.fetch_add(1, std::memory_order_relaxed);
        upstreamErrorCounter.inc();
        spdlog::debug("edge transparent: {}", connected.error().message);
      }
    }
  }
  up.reset();
  if (beast::get_lowest_layer(client).socket().is_open()) {
    closeStream(client);
  }
  active.fetch_sub(1, std::memory_order_relaxed);
  activeGauge.add(-1);
}

// Plain HTTP on a redirected connection: origin-form requests, the target is the Host header's
// name (the IP when there is none) with the original port, and the edge dials the original
// destination.
asio::awaitable<void> HttpProxy::Impl::transparentHttp(PlainStream& client,
                                                       beast::flat_buffer& buffer,
                                                       const tcp::endpoint& destination,
                                                       const std::string& sourceIp) {
  const std::string ip = destination.address().to_string();
  Upstream up;
  up.pinned = destination;
  for (;;) {
    if (stopping) {
      break;
    }
    http::request_parser<http::buffer_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(options.maxHeaderBytes));
    parser.body_limit(boost::none);
    setTimeout(client, options.idleTimeout);
    auto [readError, n] = co_await http::async_read_header(client, buffer, parser, kTuple);
    if (readError) {
      if (readError == http::error::header_limit) {
        const Error tooLarge{ErrorCode::kHttpHeaderTooLarge, "the request head is too large"};
        co_await answer(client, 431, tooLarge, 11);
      } else if (readError != http::error::end_of_stream && readError != asio::error::eof &&
                 readError != beast::error::timeout && readError != asio::error::connection_reset &&
                 readError != asio::error::operation_aborted) {
        const Error unparsable{ErrorCode::kHttpBadRequest,
                               "the request cannot be parsed: " + readError.message()};
        co_await answer(client, 400, unparsable, 11);
      }
      break;
    }
    requests.fetch_add(1, std::memory_order_relaxed);
    const InFlightRequest underWay(inFlight);
    const auto& head = parser.get();
    const unsigned version = head.version();
    std::string origin(head.target());
    if (origin.empty() || origin.front() != '/') {
      Error error{ErrorCode::kHttpBadRequest,
                  "this connection was redirected to the edge: send origin-form requests"};
      co_await answer(client, 400, error, version);
      break;
    }
    Authority authority{ip, destination.port()};
    if (const auto host = head.find(http::field::host); host != head.end()) {
      // Only the name counts; the port is the one the workload actually dialed.
      auto parsed = parseAbsoluteTarget("http://" + std::string(host->value()) + "/");
      if (!parsed) {
        co_await answer(client, 400, parsed.error(), version);
        break;
      }
      authority.host = parsed->authority.host;
    }
    const auto routeTable = routes.load();
    const Route* route = routeTable->match(authority.host, authority.port);
    if (route != nullptr && route->protocol == "http") {
      const bool sameServer = co_await nameIsDestination(authority.host, destination);
      if (!sameServer) {
        Error error{ErrorCode::kPermissionDenied,
                    "the Host header names " + authority.host + ", which does not resolve to " +
                        ip + ", where this connection was going; no credential is injected"};
        co_await answer(client, 403, error, version);
        break;
      }
    }
    const bool keepAlive = co_await serveRequest(client, buffer, parser, authority,
                                                 std::move(origin), false, sourceIp, up);
    if (!keepAlive || stopping) {
      break;
    }
  }
  up.reset();
}

HttpProxy::HttpProxy(std::vector<asio::io_context*> workers, HttpProxyOptions options,
                     GrantSource& grants, std::shared_ptr<LeafCache> leaves, const Clock& clock,
                     MetricsRegistry& metrics)
    : impl_(std::make_shared<Impl>(std::move(workers), std::move(options), grants,
                                   std::move(leaves), clock, metrics)) {
  if (impl_->workers.empty()) {
    throw std::invalid_argument("HttpProxy needs at least one worker io_context");
  }
}

HttpProxy::~HttpProxy() {
  stop();
}

Result<void> HttpProxy::start() {
  auto& impl = *impl_;
  net::ClientTlsConfig tlsConfig;
  if (impl.options.upstreamCaBundle) {
    tlsConfig.caBundleFile = impl.options.upstreamCaBundle->string();
  }
  auto ctx = net::LazyClientTlsContext::create(tlsConfig);
  if (!ctx) {
    return std::move(ctx).error();
  }
  impl.defaultUpstreamTls = std::move(*ctx);
  for (std::size_t worker = 0; worker < impl.workers.size(); ++worker) {
    impl.sweepers.push_back(std::make_unique<DeadlineSweeper>(sweepTick(impl.options)));
  }
  for (std::size_t worker = 0; worker < impl.workers.size(); ++worker) {
    asio::co_spawn(impl.workers[worker]->get_executor(), impl.sweepLoop(worker), asio::detached);
  }
  auto& acceptContext = *impl.workers.front();
  auto executor = acceptContext.get_executor();
  if (!impl.options.bind.empty()) {
    auto acceptor = net::listenOn(acceptContext, executor, impl.options.bind);
    if (!acceptor) {
      return std::move(acceptor).error();
    }
    impl.acceptor.emplace(std::move(*acceptor));
    error_code ec;
    impl.boundPort = impl.acceptor->local_endpoint(ec).port();
    auto loop = impl.acceptLoop(*impl.acceptor, false);
    asio::co_spawn(executor, std::move(loop), asio::detached);
    spdlog::info("edge proxy listening on {} (port {}; TLS decrypt {})", impl.options.bind,
                 impl.boundPort.load(), impl.leaves ? "available" : "off");
  }
  if (!impl.options.transparentBind.empty()) {
    auto acceptor = net::listenOn(acceptContext, executor, impl.options.transparentBind);
    if (!acceptor) {
      return std::move(acceptor).error();
    }
    impl.transparentAcceptor.emplace(std::move(*acceptor));
    error_code ec;
    impl.transparentPort = impl.transparentAcceptor->local_endpoint(ec).port();
    auto loop = impl.acceptLoop(*impl.transparentAcceptor, true);
    asio::co_spawn(executor, std::move(loop), asio::detached);
    spdlog::info("edge transparent listener on {} (port {}; TLS decrypt {})",
                 impl.options.transparentBind, impl.transparentPort.load(),
                 impl.leaves ? "available" : "off");
  }
  return {};
}

std::uint16_t HttpProxy::port() const {
  return impl_->boundPort.load();
}

std::uint16_t HttpProxy::transparentPort() const {
  return impl_->transparentPort.load();
}

void HttpProxy::stop() {
  if (!impl_ || impl_->stopping.exchange(true)) {
    return;
  }
  auto impl = impl_;
  for (auto* acceptor : {&impl->acceptor, &impl->transparentAcceptor}) {
    if (acceptor->has_value()) {
      asio::post((*acceptor)->get_executor(), [impl, acceptor] {
        error_code ignored;
        (*acceptor)->close(ignored);
      });
    }
  }
}

bool HttpProxy::drain(std::chrono::milliseconds deadline) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (impl_->inFlight.load(std::memory_order_acquire) != 0) {
    if (std::chrono::steady_clock::now() >= until) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

void HttpProxy::setRoutes(std::shared_ptr<const RouteTable> routes) {
  impl_->routes.store(std::move(routes));
}

HttpProxyStats HttpProxy::stats() const {
  const auto& i = *impl_;
  return HttpProxyStats{i.connections.load(), i.active.load(),         i.requests.load(),
                        i.injected.load(),    i.tunnels.load(),        i.decrypted.load(),
                        i.refused.load(),     i.upstreamErrors.load(), i.inFlight.load()};
}

}  // namespace tessera::edge
