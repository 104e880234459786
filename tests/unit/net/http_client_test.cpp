#include "net/http_client.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <thread>

#include "net/http_server.hpp"
#include "test_support.hpp"

namespace tessera::net {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

asio::awaitable<void> sleepFor(std::chrono::milliseconds d) {
  asio::steady_timer timer(co_await asio::this_coro::executor, d);
  co_await timer.async_wait(asio::use_awaitable);
}

Router upstreamRouter() {
  Router r;
  r.get("/hello", [](Request&) { return textResponse(200, "hello world"); });
  r.post("/echo", [](Request& req) {
    return jsonResponse(200, {{"body", req.body},
                              {"type", req.header("Content-Type").value_or("")},
                              {"x", req.header("X-Test").value_or("")},
                              {"ua", req.header("User-Agent").value_or("")}});
  });
  r.get("/auth", [](Request& req) {
    return textResponse(200, std::string(req.header("Authorization").value_or("none")));
  });
  r.get("/bytes/{n}", [](Request& req) {
    return textResponse(200, std::string(std::stoul(std::string(req.pathParam("n"))), 'x'));
  });
  r.get("/bighead", [](Request&) {
    auto res = textResponse(200, "ok");
    res.headers.set("X-Big", std::string(20 * 1024, 'h'));
    return res;
  });
  r.get("/slow", [](Request&) -> asio::awaitable<Response> {
    co_await sleepFor(600ms);
    co_return textResponse(200, "late");
  });
  r.get("/redirect/{to}", [](Request& req) {
    auto res = textResponse(302, "");
    res.headers.set("Location", "/" + std::string(req.pathParam("to")));
    return res;
  });
  r.get("/loop", [](Request&) {
    auto res = textResponse(302, "");
    res.headers.set("Location", "/loop");
    return res;
  });
  r.get("/to-https", [](Request&) {
    auto res = textResponse(301, "");
    res.headers.set("Location", "https://127.0.0.1/hello");
    return res;
  });
  return r;
}

struct Upstream {
  explicit Upstream(std::optional<ServerTlsConfig> tls = std::nullopt,
                    std::chrono::milliseconds idle = 5s, Router router = upstreamRouter()) {
    HttpServerOptions o;
    o.bind = "127.0.0.1:0";
    o.threads = 2;
    o.idleTimeout = idle;
    o.readTimeout = 2s;
    o.tls = std::move(tls);
    server = std::make_unique<HttpServer>(std::move(router), std::move(o));
    auto started = server->start();
    if (!started) {
      ADD_FAILURE() << started.error().describe();
    }
  }
  ~Upstream() { server->stop(1s); }
  std::string url(std::string_view path, std::string_view scheme = "http") const {
    return std::string(scheme) + "://127.0.0.1:" + std::to_string(server->port()) +
           std::string(path);
  }
  std::unique_ptr<HttpServer> server;
};

std::shared_ptr<HttpClient> makeClient(HttpClientOptions options = {}) {
  auto client = HttpClient::create(std::move(options));
  if (!client) {
    ADD_FAILURE() << client.error().describe();
    return nullptr;
  }
  return *client;
}

TEST(HttpClient, BlockingGetAndPost) {
  Upstream up;
  auto client = makeClient();
  auto res = client->requestBlocking(ClientRequest::get(up.url("/hello")));
  ASSERT_TRUE(res) << res.error().describe();
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "hello world");
  EXPECT_EQ(res->headers.get("server"), "tessera");
  EXPECT_EQ(res->url, up.url("/hello"));

  auto post = ClientRequest::post(up.url("/echo"), R"({"a":1})", "application/json");
  post.withHeader("X-Test", "yes");
  res = client->requestBlocking(post);
  ASSERT_TRUE(res) << res.error().describe();
  auto body = nlohmann::json::parse(res->body);
  EXPECT_EQ(body["body"], R"({"a":1})");
  EXPECT_EQ(body["type"], "application/json");
  EXPECT_EQ(body["x"], "yes");
  EXPECT_EQ(body["ua"], "tessera");
}

TEST(HttpClient, HttpStatusesAreResultsNotErrors) {
  Upstream up;
  auto client = makeClient();
  auto res = client->requestBlocking(ClientRequest::get(up.url("/missing")));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  EXPECT_EQ(nlohmann::json::parse(res->body)["error"], "route_not_found");
}

TEST(HttpClient, CoroutineApiWithConcurrentRequests) {
  Upstream up;
  asio::io_context ioc;  // declared before the client: pooled connections die first
  auto client = makeClient();
  std::vector<std::optional<Result<ClientResponse>>> results(4);
  for (std::size_t i = 0; i < results.size(); ++i) {
    asio::co_spawn(
        ioc,
        [&, i]() -> asio::awaitable<void> {
          // A constructed temporary inside co_await (safe; see ClientRequest).
          results[i] =
              co_await client->request(ClientRequest::get(up.url("/bytes/" + std::to_string(i))));
        },
        asio::detached);
  }
  ioc.run();
  for (std::size_t i = 0; i < results.size(); ++i) {
    ASSERT_TRUE(results[i] && results[i]->ok()) << i;
    EXPECT_EQ((*results[i])->body, std::string(i, 'x'));
  }
  EXPECT_EQ(client->stats().connectionsOpened, 4u);
  EXPECT_EQ(client->stats().idleConnections, 4u);
}

TEST(HttpClient, PoolReusesKeepAliveConnections) {
  Upstream up;
  auto client = makeClient();
  for (int i = 0; i < 4; ++i) {
    auto res = client->requestBlocking(ClientRequest::get(up.url("/hello")));
    ASSERT_TRUE(res) << res.error().describe();
  }
  EXPECT_EQ(up.server->stats().acceptedConnections, 1u);
  EXPECT_EQ(client->stats().connectionsOpened, 1u);
  EXPECT_EQ(client->stats().connectionsReused, 3u);
  EXPECT_EQ(client->stats().idleConnections, 1u);
  client->clearPool();
  EXPECT_EQ(client->stats().idleConnections, 0u);
}

TEST(HttpClient, PoolIsBounded) {
  Upstream up;
  asio::io_context ioc;
  auto client = makeClient({.maxIdlePerHost = 2});
  for (int i = 0; i < 4; ++i) {
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
          auto res = co_await client->request(ClientRequest::get(up.url("/hello")));
          EXPECT_TRUE(res);
        },
        asio::detached);
  }
  ioc.run();
  EXPECT_EQ(client->stats().connectionsOpened, 4u);
  EXPECT_EQ(client->stats().idleConnections, 2u);
}

TEST(HttpClient, ClosedPooledConnectionIsNotReused) {
  Upstream up(std::nullopt, /*idle=*/100ms);
  auto client = makeClient();
  ASSERT_TRUE(client->requestBlocking(ClientRequest::get(up.url("/hello"))));
  std::this_thread::sleep_for(300ms);  // the server closes the idle connection
  auto res = client->requestBlocking(ClientRequest::get(up.url("/hello")));
  ASSERT_TRUE(res) << res.error().describe();
  EXPECT_EQ(client->stats().connectionsOpened, 2u);
  EXPECT_EQ(client->stats().staleRetries, 0u);
}

// A server that answers the first request on its first connection, then reads the second
// request and closes without answering (a keep-alive race), then serves one more connection.
class RacyServer {
 public:
  explicit RacyServer(int connections) : acceptor_(ioc_, tcp::endpoint(tcp::v4(), 0)) {
    acceptor_.close();
    acceptor_ = tcp::acceptor(ioc_);
    tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
    acceptor_.open(ep.protocol());
    acceptor_.bind(ep);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this, connections] { run(connections); });
  }
  ~RacyServer() {
    boost::system::error_code ec;
    acceptor_.close(ec);
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/x"; }

 private:
  static bool readHead(tcp::socket& s, std::string& buf) {
    boost::system::error_code ec;
    const auto n = asio::read_until(s, asio::dynamic_buffer(buf), "\r\n\r\n", ec);
    if (ec) {
      return false;
    }
    buf.erase(0, n);
    return true;
  }
  static void reply(tcp::socket& s) {
    static constexpr std::string_view kOk = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    boost::system::error_code ec;
    asio::write(s, asio::buffer(kOk.data(), kOk.size()), ec);
  }
  void run(int connections) {
    boost::system::error_code ec;
    tcp::socket first(ioc_);
    acceptor_.accept(first, ec);
    if (ec) {
      return;
    }
    std::string buf;
    if (readHead(first, buf)) {
      reply(first);
      readHead(first, buf);  // the reused connection's request...
    }
    first.close(ec);  // ...is never answered
    if (connections < 2) {
      return;
    }
    tcp::socket second(ioc_);
    acceptor_.accept(second, ec);
    if (!ec && readHead(second, buf)) {
      reply(second);
    }
  }

  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

TEST(HttpClient, IdempotentRequestIsRetriedOnceOnAStaleConnection) {
  RacyServer server(2);
  auto client = makeClient();
  ASSERT_TRUE(client->requestBlocking(ClientRequest::get(server.url())));
  auto res = client->requestBlocking(ClientRequest::get(server.url()));
  ASSERT_TRUE(res) << res.error().describe();
  EXPECT_EQ(res->body, "ok");
  EXPECT_EQ(client->stats().staleRetries, 1u);
  EXPECT_EQ(client->stats().connectionsOpened, 2u);
}

TEST(HttpClient, NonIdempotentRequestIsNotRetried) {
  RacyServer server(1);
  auto client = makeClient();
  ASSERT_TRUE(client->requestBlocking(ClientRequest::get(server.url())));
  auto res = client->requestBlocking(ClientRequest::post(server.url(), "x", "text/plain"));
  ASSERT_FALSE(res);
  EXPECT_EQ(res.error().code, ErrorCode::kHttpUpstream);
  EXPECT_EQ(client->stats().staleRetries, 0u);
}

TEST(HttpClient, WholeRequestTimeout) {
  Upstream up;
  auto client = makeClient();
  const auto begun = std::chrono::steady_clock::now();
  auto res = client->requestBlocking(ClientRequest::get(up.url("/slow")).withTimeout(150ms));
  ASSERT_FALSE(res);
  EXPECT_EQ(res.error().code, ErrorCode::kTimeout);
  EXPECT_LT(std::chrono::steady_clock::now() - begun, 500ms);
}

TEST(HttpClient, ConnectionRefusedIsAConnectError) {
  std::uint16_t port = 0;
  {
    asio::io_context ioc;
    tcp::acceptor a(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port = a.local_endpoint().port();
  }
  auto client = makeClient();
  auto res =
      client->requestBlocking(ClientRequest::get("http://127.0.0.1:" + std::to_string(port) + "/"));
  ASSERT_FALSE(res);
  EXPECT_EQ(res.error().code, ErrorCode::kHttpConnect);
}

TEST(HttpClient, ResponseSizeLimits) {
  Upstream up;
  auto client = makeClient();
  auto res = client->requestBlocking(ClientRequest::get(up.url("/bytes/2000000")));
  ASSERT_FALSE(res);
  EXPECT_EQ(res.error().code, ErrorCode::kHttpResponseTooLarge);

  res = client->requestBlocking(ClientRequest::get(up.url("/bytes/10")).withMaxResponseBytes(10));
  ASSERT_TRUE(res);
  res = client->requestBlocking(ClientRequest::get(up.url("/bytes/11")).withMaxResponseBytes(10));
  ASSERT_FALSE(res);
  EXPECT_EQ(res.error().code, ErrorCode::kHttpResponseTooLarge);

  res = client->requestBlocking(ClientRequest::get(up.url("/bighead")));
  ASSERT_FALSE(res);
  EXPECT_EQ(res.error().code, ErrorCode::kHttpResponseTooLarge);
}

TEST(HttpClient, RedirectsAreNotFollowedByDefault) {
  Upstream up;
  auto client = makeClient();
  auto res = client->requestBlocking(ClientRequest::get(up.url("/redirect/hello")));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 302);
  EXPECT_EQ(res->headers.get("Location"), "/hello");

  res = client->requestBlocking(ClientRequest::get(up.url("/redirect/hello")).withMaxRedirects(1));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "hello world");
  EXPECT_EQ(res->url, up.url("/hello"));

  res = client->requestBlocking(ClientRequest::get(up.url("/loop")).withMaxRedirects(3));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 302);

  res = client->requestBlocking(ClientRequest::get(up.url("/to-https")).withMaxRedirects(3));
  ASSERT_FALSE(res);
  EXPECT_EQ(res.error().code, ErrorCode::kHttpUpstream);
}

TEST(HttpClient, CredentialsDoNotFollowARedirectToAnotherOrigin) {
  Upstream target;
  Router r;
  const std::string location = target.url("/auth");
  r.get("/away", [location](Request&) {
    auto res = textResponse(307, "");
    res.headers.set("Location", location);
    return res;
  });
  Upstream origin(std::nullopt, 5s, std::move(r));
  auto client = makeClient();
  auto req = ClientRequest::get(origin.url("/away"))
                 .withMaxRedirects(1)
                 .withHeader("Authorization", "Bearer secret");
  auto res = client->requestBlocking(req);
  ASSERT_TRUE(res) << res.error().describe();
  EXPECT_EQ(res->body, "none");
  // Same origin: kept.
  req.url = target.url("/auth");
  res = client->requestBlocking(req);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body, "Bearer secret");
}

TEST(HttpClient, RejectsBadUrlsAndHeaders) {
  auto client = makeClient();
  auto res = client->requestBlocking(ClientRequest::get("https://user:pw@example.com/"));
  ASSERT_FALSE(res);
  EXPECT_EQ(res.error().code, ErrorCode::kInvalidArgument);
  res = client->requestBlocking(ClientRequest("GET /x", "http://127.0.0.1:1/"));
  ASSERT_FALSE(res);
  EXPECT_EQ(res.error().code, ErrorCode::kInvalidArgument);
}

TEST(HttpClient, MissingCaBundleFailsAtCreate) {
  auto client = HttpClient::create({.caBundleFile = "/nonexistent/ca.pem"});
  ASSERT_FALSE(client);
  EXPECT_EQ(client.error().code, ErrorCode::kHttpTls);
}

class TlsTest : public ::testing::Test {
 protected:
  testing::TempDir dir_;
  testing::TestCert good_ = testing::makeSelfSignedCert(dir_.path(), "good", "IP:127.0.0.1");
  testing::TestCert wrong_ = testing::makeSelfSignedCert(dir_.path(), "wrong", "DNS:wrong.example");
};

TEST_F(TlsTest, VerificationRejectsAnUntrustedCertificateByDefault) {
  Upstream up(ServerTlsConfig{good_.certFile, good_.keyFile});
  auto client = makeClient();  // system roots only
  auto res = client->requestBlocking(ClientRequest::get(up.url("/hello", "https")));
  ASSERT_FALSE(res);
  EXPECT_EQ(res.error().code, ErrorCode::kHttpTls);
  EXPECT_NE(res.error().message.find("certificate"), std::string::npos) << res.error().message;
}

TEST_F(TlsTest, TrustedThroughTheConfiguredCaBundle) {
  Upstream up(ServerTlsConfig{good_.certFile, good_.keyFile});
  auto client = makeClient({.caBundleFile = good_.certFile});
  for (int i = 0; i < 3; ++i) {
    auto res = client->requestBlocking(ClientRequest::get(up.url("/hello", "https")));
    ASSERT_TRUE(res) << res.error().describe();
    EXPECT_EQ(res->body, "hello world");
  }
  EXPECT_EQ(up.server->stats().acceptedConnections, 1u);  // TLS connections are pooled too
}

TEST_F(TlsTest, HostnameMismatchIsRejected) {
  Upstream up(ServerTlsConfig{wrong_.certFile, wrong_.keyFile});
  auto client = makeClient({.caBundleFile = wrong_.certFile});
  auto res = client->requestBlocking(ClientRequest::get(up.url("/hello", "https")));
  ASSERT_FALSE(res);
  EXPECT_EQ(res.error().code, ErrorCode::kHttpTls);
  EXPECT_NE(res.error().message.find("mismatch"), std::string::npos) << res.error().message;
}

TEST_F(TlsTest, InsecureRequestsSkipVerificationAndAreNotPooledWithVerifiedOnes) {
  Upstream up(ServerTlsConfig{good_.certFile, good_.keyFile});
  auto client = makeClient();
  auto res = client->requestBlocking(
      ClientRequest::get(up.url("/hello", "https")).withInsecureSkipTlsVerify());
  ASSERT_TRUE(res) << res.error().describe();
  EXPECT_EQ(res->body, "hello world");
  EXPECT_EQ(client->stats().idleConnections, 1u);
  // The pooled, unverified connection must not serve a verified request.
  res = client->requestBlocking(ClientRequest::get(up.url("/hello", "https")));
  ASSERT_FALSE(res);
  EXPECT_EQ(res.error().code, ErrorCode::kHttpTls);
}

TEST_F(TlsTest, ServerRejectsPlainHttpOnTheTlsPort) {
  Upstream up(ServerTlsConfig{good_.certFile, good_.keyFile});
  auto client = makeClient();
  auto res = client->requestBlocking(ClientRequest::get(up.url("/hello", "http")).withTimeout(1s));
  EXPECT_FALSE(res);
}

TEST_F(TlsTest, ServerRejectsAKeyThatDoesNotMatch) {
  HttpServerOptions o;
  o.bind = "127.0.0.1:0";
  o.tls = ServerTlsConfig{good_.certFile, wrong_.keyFile};
  HttpServer server(Router{}, o);
  auto started = server.start();
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code, ErrorCode::kHttpTls);
}

}  // namespace
}  // namespace tessera::net
