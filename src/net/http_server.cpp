#include "net/http_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <array>
#include <atomic>
#include <charconv>
#include <condition_variable>
#include <ctime>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/log.hpp"
#include "net/deadline_sweeper.hpp"
#include "net/listen_address.hpp"

namespace tessera::net {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kReadChunk = 16 * 1024;
constexpr auto kTlsShutdownTimeout = std::chrono::milliseconds(500);
constexpr auto kForceCloseGrace = std::chrono::seconds(1);
// Lingering close: after answering an error without reading the whole request, read and discard
// what the client still sends for a moment, so that closing does not reset the connection and
// destroy the error response before the client reads it.
constexpr auto kLingerTimeout = std::chrono::milliseconds(500);
constexpr std::size_t kLingerMaxBytes = 256 * 1024;

// "Sun, 06 Nov 1994 08:49:37 GMT", formatted once per second per thread.
std::string_view httpDate() {
  thread_local std::time_t cachedSecond = -1;
  thread_local char buf[64];
  thread_local std::size_t len = 0;
  const std::time_t now = std::time(nullptr);
  if (now != cachedSecond) {
    std::tm tm{};
    gmtime_r(&now, &tm);
    len = std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    cachedSecond = now;
  }
  return {buf, len};
}

// Errors that mean the peer went away or a deadline passed (the sweep cancels the operation):
// nothing to answer.
bool isTransportEnd(const error_code& ec) {
  return ec == http::error::end_of_stream || ec == http::error::partial_message ||
         ec == asio::error::operation_aborted ||
         ec.category() != http::make_error_code(http::error::bad_method).category();
}

// How often a worker sweeps its connections' deadlines: a quarter of the shortest time limit,
// between 10 ms and 250 ms (so that the fixed half-second limits of lingering and TLS shutdown
// stay close to what they say).
std::chrono::milliseconds sweepTick(const HttpServerOptions& options) {
  const auto shortest = std::min({options.readTimeout, options.idleTimeout, options.writeTimeout});
  return std::clamp(std::chrono::milliseconds(shortest / 4), std::chrono::milliseconds(10),
                    std::chrono::milliseconds(250));
}

// Feeds the parser what the buffer holds, up to the end of the head (`whole` false) or of the
// message. http::error::need_more: it needs more input. A request that arrived in full is parsed
// here without a trip through the event loop (Beast's read operations post their completion).
template <class Parser>
error_code parseBuffered(beast::flat_buffer& buffer, Parser& parser, bool whole) {
  for (;;) {
    if (whole ? parser.is_done() : parser.is_header_done()) {
      return {};
    }
    if (buffer.size() == 0) {
      return http::error::need_more;
    }
    error_code ec;
    const std::size_t used = parser.put(buffer.data(), ec);
    buffer.consume(used);
    if (ec) {
      return ec;  // need_more among them
    }
    if (used == 0) {
      return http::error::need_more;
    }
  }
}

// Sends what a non-blocking socket takes now and drops it from `buffers`; false when the socket
// failed.
bool writeAtOnce(tcp::socket& socket, std::array<asio::const_buffer, 2>& buffers) {
  error_code ec;
  std::size_t sent = socket.write_some(buffers, ec);
  if (ec && ec != asio::error::would_block && ec != asio::error::try_again) {
    return false;
  }
  for (auto& b : buffers) {
    const std::size_t n = std::min(sent, b.size());
    b += n;
    sent -= n;
  }
  return true;
}

// What a read that ended the stream means to the message being parsed (as Beast's reads do).
template <class Parser>
error_code endOfStream(Parser& parser) {
  if (!parser.got_some()) {
    return http::error::end_of_stream;
  }
  error_code ec;
  parser.put_eof(ec);
  return ec;
}

bool hasCrlf(std::string_view s) {
  return s.find_first_of("\r\n") != std::string_view::npos;
}

struct Peer {
  std::string address;
  std::uint16_t port = 0;
};

// The part of a connection that shutdown needs; touched only on the connection's worker.
struct Connection {
  std::uint64_t id = 0;
  asio::any_io_executor executor;
  tcp::socket* socket = nullptr;  // while the session runs
  bool idle = false;              // waiting for the next request
  bool linger = false;            // closing after an error with request bytes possibly unread
};

}  // namespace

struct HttpServer::Impl {
  Impl(Router r, HttpServerOptions o) : router(std::move(r)), options(std::move(o)) {}

  Router router;
  HttpServerOptions options;
  TlsContextPtr tls;

  // One event loop per worker thread: a connection lives on one worker, so its I/O never
  // crosses threads and needs no strand. The first worker also accepts.
  struct Worker {
    explicit Worker(std::chrono::milliseconds tick) : sweeper(tick) {}
    // Before the event loop: destroying the loop destroys suspended sessions, whose watches
    // unlink themselves from the sweeper.
    DeadlineSweeper sweeper;
    asio::io_context ioc{1};
    asio::executor_work_guard<asio::io_context::executor_type> work{asio::make_work_guard(ioc)};
  };
  std::vector<std::unique_ptr<Worker>> workers;
  std::size_t nextWorker = 0;  // round-robin; touched by the accept loop only
  std::optional<tcp::acceptor> acceptor;
  std::vector<std::thread> threads;
  // Runs the handlers of blocking routes (RouteOptions::blocking); made only when there are any.
  std::optional<asio::thread_pool> blockingPool;

  std::mutex lifecycleMutex;
  std::atomic<bool> started{false};
  bool stopped = false;
  std::atomic<bool> stopping{false};
  std::atomic<std::uint16_t> boundPort{0};

  std::mutex connMutex;
  std::condition_variable connCv;
  std::unordered_map<std::uint64_t, std::shared_ptr<Connection>> connections;
  std::uint64_t nextConnectionId = 0;

  std::atomic<std::uint64_t> accepted{0};
  std::atomic<std::uint64_t> rejected{0};
  std::atomic<std::uint64_t> requests{0};

  Result<void> start();
  void beginShutdown();
  void stop(std::chrono::milliseconds drain);
  void teardown();

  std::shared_ptr<Connection> registerConnection(asio::any_io_executor executor);
  void unregisterConnection(std::uint64_t id);

  asio::awaitable<void> acceptLoop();
  asio::awaitable<void> sweepLoop(Worker& worker);
  asio::awaitable<void> session(tcp::socket socket, std::shared_ptr<Connection> conn,
                                DeadlineSweeper& sweeper);
  template <class Stream>
  asio::awaitable<void> serve(Stream& stream, Connection& conn, const Peer& peer,
                              DeadlineSweeper::Watch& watch);
  template <class Stream, class Parser>
  asio::awaitable<error_code> read(Stream& stream, beast::flat_buffer& buffer, Parser& parser,
                                   bool whole);
  template <class Stream>
  asio::awaitable<void> drain(Stream& stream, DeadlineSweeper::Watch& watch);
  template <class Stream>
  asio::awaitable<bool> write(Stream& stream, DeadlineSweeper::Watch& watch, Response& res,
                              unsigned version, bool headRequest, bool keepAlive);
  Response handleProtocolError(const Error& error);
  void logAccess(std::string_view method, std::string_view path, std::string_view route, int status,
                 std::chrono::steady_clock::time_point begun, const Peer& peer);
};

Result<void> HttpServer::Impl::start() {
  std::lock_guard lifecycle(lifecycleMutex);
  if (started || stopped) {
    return fail(ErrorCode::kInternal, "HttpServer::start called twice");
  }
  if (options.tls) {
    auto ctx = makeServerTlsContext(*options.tls);
    if (!ctx) {
      return std::move(ctx).error();
    }
    tls = std::move(*ctx);
  }
  std::size_t threadCount = options.threads;
  if (threadCount == 0) {
    threadCount = std::max(1u, std::thread::hardware_concurrency());
  }
  for (std::size_t i = 0; i < threadCount; ++i) {
    workers.push_back(std::make_unique<Worker>(sweepTick(options)));
  }
  auto& first = workers.front()->ioc;
  auto endpoint = resolveBindAddress(first, options.bind);
  if (!endpoint) {
    teardown();
    return std::move(endpoint).error();
  }
  acceptor.emplace(first);
  error_code ec;
  auto failWith = [&](std::string_view what) -> Error {
    auto error =
        makeError(ErrorCode::kIo, std::string(what) + " " + options.bind + ": " + ec.message());
    teardown();
    return error;
  };
  if (acceptor->open(endpoint->protocol(), ec); ec) {
    return failWith("cannot open a socket for");
  }
  if (acceptor->set_option(asio::socket_base::reuse_address(true), ec); ec) {
    return failWith("cannot set SO_REUSEADDR for");
  }
  if (acceptor->bind(*endpoint, ec); ec) {
    return failWith("cannot bind");
  }
  if (acceptor->listen(options.listenBacklog, ec); ec) {
    return failWith("cannot listen on");
  }
  boundPort = acceptor->local_endpoint(ec).port();
  if (router.hasBlockingRoutes()) {
    std::size_t blockingCount = options.blockingThreads;
    if (blockingCount == 0) {
      blockingCount = std::max(2u, std::thread::hardware_concurrency());
    }
    blockingPool.emplace(blockingCount);
  }
  asio::co_spawn(first, acceptLoop(), asio::detached);
  for (auto& worker : workers) {
    asio::co_spawn(worker->ioc, sweepLoop(*worker), asio::detached);
  }
  for (auto& worker : workers) {
    threads.emplace_back([ioc = &worker->ioc] {
      for (;;) {
        try {
          ioc->run();
          return;
        } catch (const std::exception& e) {
          spdlog::error("http server: unexpected exception on an I/O thread: {}", e.what());
        }
      }
    });
  }
  started = true;
  spdlog::info(
      "http server listening on {} ({}; {} worker threads)",
      acceptor->local_endpoint(ec).address().to_string() + ":" + std::to_string(boundPort.load()),
      tls ? "https" : "http", threadCount);
  return {};
}

void HttpServer::Impl::beginShutdown() {
  if (!started || stopping.exchange(true)) {
    return;
  }
  asio::post(workers.front()->ioc, [this] {
    error_code ignored;
    acceptor->close(ignored);
  });
  std::lock_guard lock(connMutex);
  for (auto& [id, conn] : connections) {
    asio::post(conn->executor, [c = conn] {
      if (c->socket && c->idle) {
        error_code ignored;
        c->socket->close(ignored);
      }
    });
  }
}

void HttpServer::Impl::stop(std::chrono::milliseconds drain) {
  std::lock_guard lifecycle(lifecycleMutex);
  if (!started || stopped) {
    return;
  }
  stopped = true;
  beginShutdown();
  {
    std::unique_lock lock(connMutex);
    const bool drained = connCv.wait_for(lock, drain, [&] { return connections.empty(); });
    if (!drained) {
      spdlog::warn("http server: {} connection(s) still busy after {} ms; closing them",
                   connections.size(), drain.count());
      for (auto& [id, conn] : connections) {
        asio::post(conn->executor, [c = conn] {
          if (c->socket) {
            error_code ignored;
            c->socket->close(ignored);
          }
        });
      }
      connCv.wait_for(lock, kForceCloseGrace, [&] { return connections.empty(); });
    }
  }
  if (blockingPool) {
    blockingPool->join();  // a blocking handler still running finishes; its connection is closed
  }
  for (auto& worker : workers) {
    worker->work.reset();
    worker->ioc.stop();
  }
  for (auto& t : threads) {
    t.join();
  }
  threads.clear();
  teardown();
}

void HttpServer::Impl::teardown() {
  acceptor.reset();
  // Destroys any coroutine still suspended (a handler that outlived the drain).
  workers.clear();
  blockingPool.reset();
}

std::shared_ptr<Connection> HttpServer::Impl::registerConnection(asio::any_io_executor executor) {
  std::lock_guard lock(connMutex);
  if (connections.size() >= options.maxConnections) {
    return nullptr;
  }
  auto conn = std::make_shared<Connection>();
  conn->id = ++nextConnectionId;
  conn->executor = std::move(executor);
  connections.emplace(conn->id, conn);
  return conn;
}

void HttpServer::Impl::unregisterConnection(std::uint64_t id) {
  {
    std::lock_guard lock(connMutex);
    connections.erase(id);
  }
  connCv.notify_all();
}

asio::awaitable<void> HttpServer::Impl::acceptLoop() {
  for (;;) {
    auto& worker = *workers[nextWorker];
    nextWorker = (nextWorker + 1) % workers.size();
    asio::any_io_executor connectionExecutor = worker.ioc.get_executor();
    auto [ec, socket] = co_await acceptor->async_accept(worker.ioc, kTuple);
    if (ec) {
      if (ec == asio::error::operation_aborted || stopping || !acceptor->is_open()) {
        co_return;
      }
      // E.g. EMFILE: back off briefly instead of spinning.
      spdlog::warn("http server: accept failed: {}", ec.message());
      asio::steady_timer pause(co_await asio::this_coro::executor, std::chrono::milliseconds(50));
      co_await pause.async_wait(kTuple);
      continue;
    }
    ++accepted;
    error_code ignored;
    if (stopping) {
      socket.close(ignored);
      co_return;
    }
    auto conn = registerConnection(connectionExecutor);
    if (!conn) {
      ++rejected;
      spdlog::warn("http server: {} connections open; refusing a new one", options.maxConnections);
      socket.close(ignored);
      continue;
    }
    asio::co_spawn(connectionExecutor, session(std::move(socket), std::move(conn), worker.sweeper),
                   asio::detached);
  }
}

// As long as the worker's loop runs: time limits hold during a shutdown's drain too.
asio::awaitable<void> HttpServer::Impl::sweepLoop(Worker& worker) {
  asio::steady_timer timer(worker.ioc);
  for (;;) {
    timer.expires_after(worker.sweeper.tick());
    if (auto [ec] = co_await timer.async_wait(kTuple); ec) {
      co_return;
    }
    worker.sweeper.sweep(DeadlineSweeper::Clock::now());
  }
}

asio::awaitable<void> HttpServer::Impl::session(tcp::socket socket,
                                                std::shared_ptr<Connection> conn,
                                                DeadlineSweeper& sweeper) {
  struct Unregister {
    Impl* self;
    std::uint64_t id;
    ~Unregister() { self->unregisterConnection(id); }
  } unregister{this, conn->id};

  try {
    error_code ec;
    Peer peer;
    if (const auto remote = socket.remote_endpoint(ec); !ec) {
      peer.address = remote.address().to_string();
      peer.port = remote.port();
    }
    socket.set_option(tcp::no_delay(true), ec);
    if (tls) {
      ssl::stream<tcp::socket> stream(std::move(socket), *tls);
      // After the stream: it unlinks (and so stops watching the socket) before the socket goes.
      DeadlineSweeper::Watch watch(sweeper);
      conn->socket = &stream.next_layer();
      if (!stopping) {
        watch.arm(*conn->socket, options.readTimeout);
        auto [hec] = co_await stream.async_handshake(ssl::stream_base::server, kTuple);
        watch.disarm();
        if (!hec) {
          co_await serve(stream, *conn, peer, watch);
          if (conn->linger) {
            co_await drain(stream, watch);
          }
          if (conn->socket->is_open()) {
            watch.arm(*conn->socket, kTlsShutdownTimeout);
            co_await stream.async_shutdown(kTuple);
            watch.disarm();
          }
        }
      }
      conn->socket->close(ec);
      conn->socket = nullptr;
    } else {
      DeadlineSweeper::Watch watch(sweeper);
      conn->socket = &socket;
      // Writes are tried at once and wait for the event loop only when the socket is full.
      socket.non_blocking(true, ec);
      co_await serve(socket, *conn, peer, watch);
      socket.shutdown(tcp::socket::shutdown_send, ec);
      if (conn->linger) {
        co_await drain(socket, watch);
      }
      socket.close(ec);
      conn->socket = nullptr;
    }
  } catch (const std::exception& e) {
    conn->socket = nullptr;
    spdlog::error("http server: connection failed: {}", e.what());
  }
}

template <class Stream>
asio::awaitable<void> HttpServer::Impl::drain(Stream& stream, DeadlineSweeper::Watch& watch) {
  auto& socket = beast::get_lowest_layer(stream);
  if (!socket.is_open()) {
    co_return;
  }
  watch.arm(socket, kLingerTimeout);
  std::array<char, 16 * 1024> scratch{};
  std::size_t total = 0;
  while (total < kLingerMaxBytes) {
    auto [ec, n] = co_await stream.async_read_some(asio::buffer(scratch), kTuple);
    if (ec) {
      break;
    }
    total += n;
  }
  watch.disarm();
}

template <class Stream, class Parser>
asio::awaitable<error_code> HttpServer::Impl::read(Stream& stream, beast::flat_buffer& buffer,
                                                   Parser& parser, bool whole) {
  for (;;) {
    const error_code parsed = parseBuffered(buffer, parser, whole);
    if (parsed != http::error::need_more) {
      co_return parsed;
    }
    auto [ec, n] = co_await stream.async_read_some(buffer.prepare(kReadChunk), kTuple);
    if (ec == asio::error::eof) {
      co_return endOfStream(parser);
    }
    if (ec) {
      co_return ec;
    }
    buffer.commit(n);
  }
}

template <class Stream>
asio::awaitable<void> HttpServer::Impl::serve(Stream& stream, Connection& conn, const Peer& peer,
                                              DeadlineSweeper::Watch& watch) {
  beast::flat_buffer buffer;
  auto& socket = beast::get_lowest_layer(stream);
  bool first = true;
  for (;;) {
    // Wait for the first byte of the next request: the idle timeout applies between requests,
    // the read timeout from the first byte (or from accept) to the end of the request.
    if (buffer.size() == 0) {
      if (stopping) {
        co_return;
      }
      conn.idle = true;
      watch.arm(socket, first ? options.readTimeout : options.idleTimeout);
      auto [ec, n] = co_await stream.async_read_some(buffer.prepare(kReadChunk), kTuple);
      watch.disarm();
      conn.idle = false;
      if (ec) {
        co_return;
      }
      buffer.commit(n);
    }
    first = false;
    // The read timeout covers the whole request, head and body (a trickle of bytes does not
    // extend it).
    watch.arm(socket, options.readTimeout);

    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(options.maxHeaderBytes));
    parser.body_limit(boost::none);  // checked per route once the head is known
    auto begun = std::chrono::steady_clock::now();
    if (const auto ec = co_await read(stream, buffer, parser, false); ec) {
      watch.disarm();
      if (isTransportEnd(ec)) {
        co_return;
      }
      auto res = handleProtocolError(
          ec == http::error::header_limit
              ? makeError(
                    ErrorCode::kHttpHeaderTooLarge,
                    "request head exceeds " + std::to_string(options.maxHeaderBytes) + " bytes")
              : makeError(ErrorCode::kHttpBadRequest, "malformed request: " + ec.message()));
      co_await write(stream, watch, res, 11, false, false);
      logAccess("", "", "", res.status, begun, peer);
      conn.linger = true;
      co_return;
    }
    begun = std::chrono::steady_clock::now();
    ++requests;

    auto& head = parser.get();
    Request request;
    request.method = std::string(head.method_string());
    request.target = std::string(head.target());
    request.httpVersion = head.version();
    request.remoteAddress = peer.address;
    request.remotePort = peer.port;
    const auto queryStart = request.target.find('?');
    request.path = request.target.substr(0, queryStart);
    const bool headRequest = head.method() == http::verb::head;
    bool keepAlive = head.keep_alive();
    const bool hasBody = parser.chunked() || parser.content_length().value_or(0) > 0;
    std::string_view matchedRoute;

    auto finish = [&](Response& res) -> asio::awaitable<bool> {
      if (res.headers.get("Connection") &&
          equalsIgnoreCase(*res.headers.get("Connection"), "close")) {
        keepAlive = false;
      }
      keepAlive = keepAlive && !stopping;
      const bool written =
          co_await write(stream, watch, res, request.httpVersion, headRequest, keepAlive);
      logAccess(request.method, request.path, matchedRoute, res.status, begun, peer);
      const bool again = written && keepAlive;
      co_return again;
    };
    // Answers without reading the body: the connection cannot be reused unless there is none.
    auto refuse = [&](const Error& error) -> asio::awaitable<bool> {
      auto res = errorResponse(error);
      keepAlive = keepAlive && !hasBody;
      conn.linger = conn.linger || hasBody;
      co_return co_await finish(res);
    };

    if (request.path.empty() || request.path.front() != '/') {
      auto res = handleProtocolError(
          makeError(ErrorCode::kHttpBadRequest, "request target must be an absolute path"));
      keepAlive = false;
      conn.linger = true;
      co_await finish(res);
      co_return;
    }
    if (queryStart != std::string::npos) {
      auto query = parseQuery(std::string_view(request.target).substr(queryStart + 1));
      if (!query) {
        if (!co_await refuse(makeError(ErrorCode::kHttpBadRequest, "malformed query string"))) {
          co_return;
        }
        continue;
      }
      request.queryParams = std::move(*query);
    }

    auto lookup = router.find(request.method, request.path);
    if (lookup.route != nullptr) {
      matchedRoute = lookup.route->pattern;
    }
    if (lookup.kind != Router::Lookup::Kind::kFound) {
      bool again = false;
      if (lookup.kind == Router::Lookup::Kind::kMethodNotAllowed) {
        auto res = errorResponse(makeError(ErrorCode::kMethodNotAllowed,
                                           "method " + request.method + " not allowed here"));
        res.headers.set("Allow", lookup.allow);
        keepAlive = keepAlive && !hasBody;
        again = co_await finish(res);
      } else if (lookup.kind == Router::Lookup::Kind::kBadPath) {
        again = co_await refuse(makeError(ErrorCode::kHttpBadRequest, "malformed path"));
      } else {
        again = co_await refuse(makeError(ErrorCode::kHttpRouteNotFound, "no such route"));
      }
      if (!again) {
        co_return;
      }
      continue;
    }

    const std::size_t bodyLimit = lookup.route->options.maxBodyBytes.value_or(options.maxBodyBytes);
    if (parser.content_length().value_or(0) > bodyLimit) {
      co_await refuse(makeError(ErrorCode::kPayloadTooLarge,
                                "request body exceeds " + std::to_string(bodyLimit) + " bytes"));
      co_return;
    }
    if (!parser.is_done()) {
      parser.body_limit(bodyLimit);
      const auto expect = head[http::field::expect];
      if (request.httpVersion == 11 && equalsIgnoreCase(expect, "100-continue")) {
        static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
        auto [ec, n] = co_await asio::async_write(
            stream, asio::buffer(kContinue.data(), kContinue.size()), kTuple);
        if (ec) {
          co_return;
        }
      }
      parser.eager(true);
      if (const auto ec = co_await read(stream, buffer, parser, true); ec) {
        if (ec == http::error::body_limit) {
          keepAlive = false;
          co_await refuse(
              makeError(ErrorCode::kPayloadTooLarge,
                        "request body exceeds " + std::to_string(bodyLimit) + " bytes"));
        } else if (!isTransportEnd(ec)) {
          keepAlive = false;
          co_await refuse(makeError(ErrorCode::kHttpBadRequest, "malformed body: " + ec.message()));
        }
        co_return;
      }
    }

    watch.disarm();  // the handler's time is its own
    for (const auto& field : head) {
      request.headers.add(std::string(field.name_string()), std::string(field.value()));
    }
    request.body = std::move(head.body());
    request.pathParams = std::move(lookup.params);

    Response response;
    try {
      if (lookup.route->options.blocking && blockingPool) {
        response = co_await asio::co_spawn(blockingPool->get_executor(),
                                           lookup.route->handler(request), asio::use_awaitable);
      } else {
        response = co_await lookup.route->handler(request);
      }
    } catch (const std::exception& e) {
      spdlog::error("http server: handler for {} {} threw: {}", request.method, request.path,
                    e.what());
      response = errorResponse(makeError(ErrorCode::kInternal, "internal error"));
    } catch (...) {
      spdlog::error("http server: handler for {} {} threw a non-exception", request.method,
                    request.path);
      response = errorResponse(makeError(ErrorCode::kInternal, "internal error"));
    }
    if (!co_await finish(response)) {
      co_return;
    }
  }
}

template <class Stream>
asio::awaitable<bool> HttpServer::Impl::write(Stream& stream, DeadlineSweeper::Watch& watch,
                                              Response& res, unsigned version, bool headRequest,
                                              bool keepAlive) {
  watch.disarm();  // from here on, the write timeout
  if (res.status < 100 || res.status > 599) {
    spdlog::error("http server: handler returned invalid status {}", res.status);
    res = errorResponse(makeError(ErrorCode::kInternal, "internal error"));
  }
  // The head is written here rather than by Beast's serializer: one string, no field objects.
  std::string head;
  head.reserve(256);
  head += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  head += std::to_string(res.status);
  head += ' ';
  head += http::obsolete_reason(static_cast<http::status>(res.status));
  head += "\r\n";
  for (const auto& [name, value] : res.headers) {
    if (equalsIgnoreCase(name, "Content-Length") || equalsIgnoreCase(name, "Connection") ||
        equalsIgnoreCase(name, "Transfer-Encoding") || equalsIgnoreCase(name, "Date")) {
      continue;  // the server owns framing
    }
    if (!isHttpToken(name)) {
      spdlog::error("http server: dropping a response header whose name is not a token");
      continue;
    }
    if (hasCrlf(value) || value.find('\0') != std::string::npos) {
      spdlog::error("http server: dropping response header {} with CR, LF or NUL", name);
      continue;
    }
    head += name;
    head += ": ";
    head += value;
    head += "\r\n";
  }
  if (!res.headers.contains("Server")) {
    head += "Server: tessera\r\n";
  }
  head += "Date: ";
  head += httpDate();
  head += "\r\n";
  const bool bodyless = res.status < 200 || res.status == 204 || res.status == 304;
  if (!bodyless) {
    if (!res.body.empty() && !res.headers.contains("Content-Type")) {
      head += "Content-Type: application/octet-stream\r\n";
    }
    head += "Content-Length: ";
    head += std::to_string(res.body.size());
    head += "\r\n";
  }
  if (version == 10 && keepAlive) {
    head += "Connection: keep-alive\r\n";
  } else if (version != 10 && !keepAlive) {
    head += "Connection: close\r\n";
  }
  head += "\r\n";
  const bool withBody = !bodyless && !headRequest && !res.body.empty();
  std::array<asio::const_buffer, 2> buffers{
      asio::buffer(head), withBody ? asio::buffer(res.body) : asio::const_buffer()};
  if constexpr (std::is_same_v<Stream, tcp::socket>) {
    // The socket is non-blocking: most answers fit its send buffer and go out here, without a
    // trip through the event loop; the rest waits for room below.
    if (!writeAtOnce(stream, buffers)) {
      co_return false;
    }
    if (buffers[0].size() + buffers[1].size() == 0) {
      co_return true;
    }
  }
  watch.arm(beast::get_lowest_layer(stream), options.writeTimeout);
  auto [ec, n] = co_await asio::async_write(stream, buffers, kTuple);
  watch.disarm();
  co_return !ec;
}

Response HttpServer::Impl::handleProtocolError(const Error& error) {
  auto res = errorResponse(error);
  res.headers.set("Connection", "close");
  return res;
}

void HttpServer::Impl::logAccess(std::string_view method, std::string_view path,
                                 std::string_view route, int status,
                                 std::chrono::steady_clock::time_point begun, const Peer& peer) {
  if (!options.accessLog) {
    return;
  }
  AccessLogEntry entry;
  entry.method = method;
  entry.path = path;
  entry.route = route;
  entry.status = status;
  entry.duration = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - begun);
  entry.remoteAddress = peer.address;
  entry.remotePort = peer.port;
  try {
    options.accessLog(entry);
  } catch (const std::exception& e) {
    spdlog::error("http server: access log hook threw: {}", e.what());
  }
}

HttpServer::HttpServer(Router router, HttpServerOptions options)
    : impl_(std::make_unique<Impl>(std::move(router), std::move(options))) {}

HttpServer::~HttpServer() {
  impl_->stop(std::chrono::milliseconds(0));
}

Result<void> HttpServer::start() {
  return impl_->start();
}

std::uint16_t HttpServer::port() const noexcept {
  return impl_->boundPort.load();
}

void HttpServer::stop(std::chrono::milliseconds drain) {
  impl_->stop(drain);
}

void HttpServer::beginShutdown() {
  impl_->beginShutdown();
}

HttpServerStats HttpServer::stats() const {
  HttpServerStats s;
  s.acceptedConnections = impl_->accepted.load();
  s.rejectedConnections = impl_->rejected.load();
  s.requests = impl_->requests.load();
  std::lock_guard lock(impl_->connMutex);
  s.activeConnections = impl_->connections.size();
  return s;
}

}  // namespace tessera::net
