#include "net/http_client.hpp"

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <poll.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <atomic>
#include <deque>
#include <mutex>
#include <unordered_map>

#include "common/log.hpp"
#include "net/tls_context.hpp"
#include "net/url.hpp"

namespace tessera::net {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

// One connection, plain or TLS, owned by one request at a time or idle in the pool.
struct Connection {
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<ssl::stream<beast::tcp_stream>> tls;
  Clock::time_point idleSince;

  beast::tcp_stream& tcp() { return plain ? *plain : beast::get_lowest_layer(*tls); }
};
using ConnectionPtr = std::unique_ptr<Connection>;

// The outcome of one request/response exchange on one connection.
struct Exchange {
  std::optional<Result<ClientResponse>> result;
  bool keepAlive = false;
  bool nothingReceived = false;  // failed before any response byte: safe to retry if idempotent
};

bool isIdempotent(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE" ||
         method == "OPTIONS" || method == "TRACE";
}

bool isRedirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

// An idle connection is usable only if nothing is readable on it: EOF, a reset, a TLS
// close_notify or stray bytes all mean the server is done with it.
bool looksAlive(Connection& c) {
  auto& socket = c.tcp().socket();
  if (!socket.is_open()) {
    return false;
  }
  pollfd p{socket.native_handle(), POLLIN, 0};
  return ::poll(&p, 1, 0) == 0;
}

Error tlsError(const error_code& ec, SSL* ssl, const Url& url) {
  std::string message = "TLS handshake with " + url.authority() + " failed";
  if (ssl != nullptr) {
    const long verify = SSL_get_verify_result(ssl);
    if (verify != X509_V_OK) {
      message += ": certificate verification failed: ";
      message += X509_verify_cert_error_string(verify);
      return makeError(ErrorCode::kHttpTls, std::move(message));
    }
  }
  message += ": " + ec.message();
  return makeError(ErrorCode::kHttpTls, std::move(message));
}

}  // namespace

struct HttpClient::Impl : std::enable_shared_from_this<Impl> {
  HttpClientOptions options;
  std::shared_ptr<LazyClientTlsContext> verifyingTls;
  std::shared_ptr<LazyClientTlsContext> insecureTls;

  // The blocking API's private io_context; declared before the pool so that pooled connections
  // bound to it are destroyed first.
  std::mutex blockingMutex;
  asio::io_context blockingIoc{1};

  mutable std::mutex poolMutex;
  std::unordered_map<std::string, std::deque<ConnectionPtr>> idle;
  std::size_t idleTotal = 0;

  std::atomic<std::uint64_t> opened{0};
  std::atomic<std::uint64_t> reused{0};
  std::atomic<std::uint64_t> staleRetries{0};

  ~Impl() { clearPool(); }

  static asio::awaitable<Result<ClientResponse>> execute(std::shared_ptr<Impl> self,
                                                         ClientRequest request);
  asio::awaitable<Result<ClientResponse>> once(const Url& url, const ClientRequest& request,
                                               Clock::time_point deadline);
  asio::awaitable<Result<ConnectionPtr>> connect(const Url& url, bool insecure,
                                                 Clock::time_point deadline);
  template <class Stream>
  asio::awaitable<Exchange> exchange(Stream& stream, const Url& url, const ClientRequest& request,
                                     Clock::time_point deadline);

  std::string poolKey(const asio::any_io_executor& executor, const Url& url, bool insecure) const;
  ConnectionPtr checkout(const std::string& key);
  void checkin(const std::string& key, ConnectionPtr conn);
  void clearPool();
};

std::string HttpClient::Impl::poolKey(const asio::any_io_executor& executor, const Url& url,
                                      bool insecure) const {
  // Connections are bound to the io_context they were opened on, and a connection whose
  // certificate was never verified must never serve a verified request.
  const void* context = &asio::query(executor, asio::execution::context);
  return std::to_string(reinterpret_cast<std::uintptr_t>(context)) + "|" + url.scheme + "|" +
         url.host + "|" + std::to_string(url.port) + (insecure ? "|insecure" : "");
}

ConnectionPtr HttpClient::Impl::checkout(const std::string& key) {
  std::vector<ConnectionPtr> dead;  // closed outside the lock
  ConnectionPtr found;
  {
    std::lock_guard lock(poolMutex);
    auto it = idle.find(key);
    if (it == idle.end()) {
      return nullptr;
    }
    auto& queue = it->second;
    const auto now = Clock::now();
    while (!queue.empty()) {
      auto conn = std::move(queue.back());  // most recently used first
      queue.pop_back();
      --idleTotal;
      if (now - conn->idleSince < options.idleTimeout && looksAlive(*conn)) {
        found = std::move(conn);
        break;
      }
      dead.push_back(std::move(conn));
    }
    if (queue.empty()) {
      idle.erase(it);
    }
  }
  return found;
}

void HttpClient::Impl::checkin(const std::string& key, ConnectionPtr conn) {
  conn->idleSince = Clock::now();
  std::lock_guard lock(poolMutex);
  auto& queue = idle[key];
  if (queue.size() >= options.maxIdlePerHost || idleTotal >= options.maxIdleTotal) {
    if (queue.empty()) {
      idle.erase(key);
    }
    return;  // conn is closed on return
  }
  queue.push_back(std::move(conn));
  ++idleTotal;
}

void HttpClient::Impl::clearPool() {
  std::unordered_map<std::string, std::deque<ConnectionPtr>> dropped;
  {
    std::lock_guard lock(poolMutex);
    dropped.swap(idle);
    idleTotal = 0;
  }
}

asio::awaitable<Result<ClientResponse>> HttpClient::Impl::execute(std::shared_ptr<Impl> self,
                                                                  ClientRequest request) {
  try {
    if (!isHttpToken(request.method)) {
      co_return fail(ErrorCode::kInvalidArgument, "bad HTTP method");
    }
    auto url = parseUrl(request.url);
    if (!url) {
      co_return std::move(url).error();
    }
    const auto deadline = Clock::now() + request.timeout.value_or(self->options.timeout);
    const int maxRedirects = request.maxRedirects.value_or(self->options.maxRedirects);
    for (int redirects = 0;; ++redirects) {
      auto response = co_await self->once(*url, request, deadline);
      if (!response) {
        co_return response;
      }
      response->url = url->toString();
      const auto location = response->headers.get("Location");
      if (!isRedirect(response->status) || redirects >= maxRedirects || !location) {
        co_return response;
      }
      auto next = resolveUrl(*url, *location);
      if (!next) {
        co_return fail(ErrorCode::kHttpUpstream, "bad redirect location from " + url->authority());
      }
      if (next->scheme != url->scheme) {
        co_return fail(ErrorCode::kHttpUpstream,
                       "refusing a redirect from " + url->scheme + " to " + next->scheme);
      }
      if (response->status == 303 ||
          ((response->status == 301 || response->status == 302) && request.method == "POST")) {
        request.method = "GET";
        request.body.clear();
        request.headers.remove("Content-Type");
      }
      if (next->host != url->host || next->port != url->port) {
        // Credentials meant for one origin never follow a redirect to another.
        request.headers.remove("Authorization");
        request.headers.remove("Proxy-Authorization");
        request.headers.remove("Cookie");
      }
      url = std::move(next);
    }
  } catch (const std::exception& e) {
    spdlog::error("http client: unexpected exception: {}", e.what());
    co_return fail(ErrorCode::kInternal, "HTTP client failure");
  }
}

asio::awaitable<Result<ClientResponse>> HttpClient::Impl::once(const Url& url,
                                                               const ClientRequest& request,
                                                               Clock::time_point deadline) {
  const bool insecure = url.https() && request.insecureSkipTlsVerify;
  const auto key = poolKey(co_await asio::this_coro::executor, url, insecure);
  ConnectionPtr conn = checkout(key);
  const bool pooled = conn != nullptr;
  for (int attempt = 0;; ++attempt) {
    if (conn) {
      ++reused;
    } else {
      auto fresh = co_await connect(url, insecure, deadline);
      if (!fresh) {
        co_return std::move(fresh).error();
      }
      conn = std::move(*fresh);
      ++opened;
    }
    // (Not a conditional expression: GCC 12 miscompiles co_await inside ?:.)
    Exchange ex;
    if (conn->plain) {
      ex = co_await exchange(*conn->plain, url, request, deadline);
    } else {
      ex = co_await exchange(*conn->tls, url, request, deadline);
    }
    if (!ex.result->ok() && ex.nothingReceived && pooled && attempt == 0 &&
        isIdempotent(request.method)) {
      // The server closed the pooled connection as we reused it: one retry on a new one.
      ++staleRetries;
      conn.reset();
      continue;
    }
    if (ex.result->ok() && ex.keepAlive) {
      checkin(key, std::move(conn));
    }
    co_return std::move(*ex.result);
  }
}

asio::awaitable<Result<ConnectionPtr>> HttpClient::Impl::connect(const Url& url, bool insecure,
                                                                 Clock::time_point deadline) {
  using namespace asio::experimental::awaitable_operators;
  auto executor = co_await asio::this_coro::executor;
  const auto connectDeadline = std::min(deadline, Clock::now() + options.connectTimeout);

  tcp::resolver resolver(executor);
  asio::steady_timer timer(executor, connectDeadline);
  auto resolved = co_await (resolver.async_resolve(url.host, std::to_string(url.port), kTuple) ||
                            timer.async_wait(kTuple));
  if (resolved.index() == 1) {
    co_return fail(ErrorCode::kTimeout, "resolving " + url.host + " timed out");
  }
  auto [rec, endpoints] = std::get<0>(std::move(resolved));
  if (rec || endpoints.empty()) {
    co_return fail(ErrorCode::kHttpConnect, "cannot resolve " + url.host + ": " + rec.message());
  }

  auto conn = std::make_unique<Connection>();
  beast::tcp_stream stream(executor);
  stream.expires_at(connectDeadline);
  auto [cec, endpoint] = co_await stream.async_connect(endpoints, kTuple);
  if (cec) {
    if (cec == beast::error::timeout) {
      co_return fail(ErrorCode::kTimeout, "connecting to " + url.authority() + " timed out");
    }
    co_return fail(ErrorCode::kHttpConnect,
                   "cannot connect to " + url.authority() + ": " + cec.message());
  }
  error_code ignored;
  stream.socket().set_option(tcp::no_delay(true), ignored);
  if (!url.https()) {
    conn->plain = std::make_unique<beast::tcp_stream>(std::move(stream));
    co_return conn;
  }

  auto context = (insecure ? insecureTls : verifyingTls)->get();
  if (!context) {
    co_return context.error();
  }
  conn->tls = std::make_unique<ssl::stream<beast::tcp_stream>>(std::move(stream), **context);
  SSL* ssl = conn->tls->native_handle();
  if (!url.ipLiteral()) {
    // SNI (SSL_set_tlsext_host_name without its C cast).
    SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
             const_cast<char*>(url.host.c_str()));
  }
  if (insecure) {
    spdlog::warn("http client: TLS verification DISABLED for {} (insecure request)",
                 url.authority());
  } else {
    const int set = url.ipLiteral()
                        ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), url.host.c_str())
                        : SSL_set1_host(ssl, url.host.c_str());
    if (set != 1) {
      co_return fail(ErrorCode::kHttpTls, "cannot set the expected peer name " + url.host);
    }
  }
  beast::get_lowest_layer(*conn->tls).expires_at(deadline);
  auto [hec] = co_await conn->tls->async_handshake(ssl::stream_base::client, kTuple);
  if (hec) {
    if (hec == beast::error::timeout) {
      co_return fail(ErrorCode::kTimeout, "TLS handshake with " + url.authority() + " timed out");
    }
    co_return tlsError(hec, ssl, url);
  }
  co_return conn;
}

template <class Stream>
asio::awaitable<Exchange> HttpClient::Impl::exchange(Stream& stream, const Url& url,
                                                     const ClientRequest& request,
                                                     Clock::time_point deadline) {
  Exchange ex;
  http::request<http::string_body> out;
  out.method_string(request.method);
  out.target(url.target);
  out.version(11);
  out.set(http::field::host, url.authority());
  if (!request.headers.contains("User-Agent")) {
    out.set(http::field::user_agent, options.userAgent);
  }
  for (const auto& [name, value] : request.headers) {
    if (!isHttpToken(name) || value.find_first_of("\r\n") != std::string::npos) {
      ex.result = fail(ErrorCode::kInvalidArgument, "bad request header " + name);
      co_return ex;
    }
    if (equalsIgnoreCase(name, "Host") || equalsIgnoreCase(name, "Content-Length") ||
        equalsIgnoreCase(name, "Connection") || equalsIgnoreCase(name, "Transfer-Encoding")) {
      continue;
    }
    out.insert(name, value);
  }
  out.body() = request.body;
  out.prepare_payload();
  out.keep_alive(true);

  auto& tcpStream = beast::get_lowest_layer(stream);
  tcpStream.expires_at(deadline);
  auto fromError = [&](const error_code& ec, std::string_view during) -> Error {
    if (ec == beast::error::timeout) {
      return makeError(ErrorCode::kTimeout, "request to " + url.authority() + " timed out");
    }
    if (ec.category() == asio::error::get_ssl_category() ||
        ec == asio::ssl::error::stream_truncated) {
      return makeError(ErrorCode::kHttpTls, std::string(during) + " " + url.authority() +
                                                " failed (TLS): " + ec.message());
    }
    return makeError(ErrorCode::kHttpUpstream,
                     std::string(during) + " " + url.authority() + " failed: " + ec.message());
  };
  if (auto [ec, n] = co_await http::async_write(stream, out, kTuple); ec) {
    ex.nothingReceived = ec != beast::error::timeout;
    ex.result = fromError(ec, "sending to");
    co_return ex;
  }

  beast::flat_buffer buffer;
  for (;;) {
    http::response_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(options.maxHeaderBytes));
    const auto bodyLimit = request.maxResponseBytes.value_or(options.maxResponseBytes);
    parser.body_limit(bodyLimit);
    parser.skip(request.method == "HEAD");
    auto [ec, n] = co_await http::async_read(stream, buffer, parser, kTuple);
    if (ec) {
      if (ec == http::error::body_limit) {
        ex.result = fail(ErrorCode::kHttpResponseTooLarge,
                         "response from " + url.authority() + " exceeds " +
                             std::to_string(bodyLimit) + " bytes");
      } else if (ec == http::error::header_limit) {
        ex.result = fail(ErrorCode::kHttpResponseTooLarge,
                         "response head from " + url.authority() + " exceeds " +
                             std::to_string(options.maxHeaderBytes) + " bytes");
      } else {
        ex.nothingReceived =
            !parser.got_some() && buffer.size() == 0 &&
            (ec == http::error::end_of_stream || ec == asio::error::connection_reset ||
             ec == asio::ssl::error::stream_truncated);
        ex.result = fromError(ec, "reading the response from");
      }
      co_return ex;
    }
    auto& res = parser.get();
    if (res.result_int() >= 100 && res.result_int() < 200 && res.result_int() != 101) {
      continue;  // interim response (100 Continue...): the real one follows
    }
    ClientResponse response;
    response.status = static_cast<int>(res.result_int());
    for (const auto& field : res) {
      response.headers.add(std::string(field.name_string()), std::string(field.value()));
    }
    response.body = std::move(res.body());
    ex.keepAlive = res.keep_alive() && buffer.size() == 0 && response.status != 101;
    ex.result = std::move(response);
    co_return ex;
  }
}

ClientRequest ClientRequest::post(std::string url, std::string body, std::string contentType) {
  ClientRequest req("POST", std::move(url));
  req.withBody(std::move(body), std::move(contentType));
  return req;
}

ClientRequest& ClientRequest::withHeader(std::string_view name, std::string value) {
  headers.set(name, std::move(value));
  return *this;
}

ClientRequest& ClientRequest::withBody(std::string data, std::string contentType) {
  body = std::move(data);
  headers.set("Content-Type", std::move(contentType));
  return *this;
}

ClientRequest& ClientRequest::withTimeout(std::chrono::milliseconds d) {
  timeout = d;
  return *this;
}

ClientRequest& ClientRequest::withMaxResponseBytes(std::size_t n) {
  maxResponseBytes = n;
  return *this;
}

ClientRequest& ClientRequest::withMaxRedirects(int n) {
  maxRedirects = n;
  return *this;
}

ClientRequest& ClientRequest::withInsecureSkipTlsVerify() {
  insecureSkipTlsVerify = true;
  return *this;
}

Result<std::shared_ptr<HttpClient>> HttpClient::create(HttpClientOptions options) {
  auto impl = std::make_shared<Impl>();
  auto verifying = LazyClientTlsContext::create(ClientTlsConfig{options.caBundleFile, false});
  if (!verifying) {
    return std::move(verifying).error();
  }
  auto insecure = LazyClientTlsContext::create(ClientTlsConfig{"", true});
  if (!insecure) {
    return std::move(insecure).error();
  }
  impl->verifyingTls = std::move(*verifying);
  impl->insecureTls = std::move(*insecure);
  impl->options = std::move(options);
  return std::shared_ptr<HttpClient>(new HttpClient(std::move(impl)));
}

HttpClient::HttpClient(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpClient::~HttpClient() = default;

asio::awaitable<Result<ClientResponse>> HttpClient::request(ClientRequest request) {
  // Not a coroutine itself: the returned awaitable owns the Impl, not `this`.
  return Impl::execute(impl_, std::move(request));
}

Result<ClientResponse> HttpClient::requestBlocking(ClientRequest request) {
  std::lock_guard lock(impl_->blockingMutex);
  std::optional<Result<ClientResponse>> out;
  auto run = [](std::shared_ptr<Impl> impl, ClientRequest req,
                std::optional<Result<ClientResponse>>* into) -> asio::awaitable<void> {
    *into = co_await Impl::execute(std::move(impl), std::move(req));
  };
  impl_->blockingIoc.restart();
  asio::co_spawn(impl_->blockingIoc, run(impl_, std::move(request), &out),
                 [&out](std::exception_ptr e) {
                   if (e && !out) {
                     out = fail(ErrorCode::kInternal, "HTTP client failure");
                   }
                 });
  impl_->blockingIoc.run();
  if (!out) {
    return fail(ErrorCode::kInternal, "HTTP client request did not complete");
  }
  return std::move(*out);
}

HttpClientStats HttpClient::stats() const {
  HttpClientStats s;
  s.connectionsOpened = impl_->opened.load();
  s.connectionsReused = impl_->reused.load();
  s.staleRetries = impl_->staleRetries.load();
  std::lock_guard lock(impl_->poolMutex);
  s.idleConnections = impl_->idleTotal;
  return s;
}

void HttpClient::clearPool() {
  impl_->clearPool();
}

}  // namespace tessera::net
