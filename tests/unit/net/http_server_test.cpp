#include "net/http_server.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <csignal>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "net/shutdown_signal.hpp"
#include "test_support.hpp"

namespace tessera::net {
namespace {

using namespace std::chrono_literals;
using testing::RawClient;
using testing::rawGet;

boost::asio::awaitable<void> sleepFor(std::chrono::milliseconds d) {
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, d);
  co_await timer.async_wait(boost::asio::use_awaitable);
}

Router testRouter() {
  Router r;
  r.get("/hello", [](Request&) { return textResponse(200, "hello world"); });
  r.get("/v1/clientWorkloads/{name}", [](Request& req) {
    return jsonResponse(200, {{"name", req.pathParam("name")},
                              {"q", req.query("q").value_or("-")},
                              {"ua", req.header("user-agent").value_or("-")},
                              {"remote", req.remoteAddress}});
  });
  r.get("/v1/clientWorkloads/me", [](Request&) { return textResponse(200, "literal"); });
  r.post("/v1/clientWorkloads", [](Request& req) { return textResponse(201, req.body); });
  r.post(
      "/small", [](Request& req) { return textResponse(200, req.body); },
      RouteOptions{.maxBodyBytes = 10});
  r.get("/slow/{ms}", [](Request& req) -> boost::asio::awaitable<Response> {
    co_await sleepFor(std::chrono::milliseconds(std::stoi(std::string(req.pathParam("ms")))));
    co_return textResponse(200, "slept " + std::string(req.pathParam("ms")));
  });
  r.get("/throw", [](Request&) -> Response { throw std::runtime_error("secret detail"); });
  r.get("/error",
        [](Request&) { return errorResponse(makeError(ErrorCode::kPermissionDenied, "nope")); });
  return r;
}

HttpServerOptions testOptions() {
  HttpServerOptions o;
  o.bind = "127.0.0.1:0";
  o.threads = 2;
  o.readTimeout = 1s;
  o.idleTimeout = 1s;
  return o;
}

class ServerTest : public ::testing::Test {
 protected:
  void startServer(HttpServerOptions options = testOptions(), Router router = testRouter()) {
    server_ = std::make_unique<HttpServer>(std::move(router), std::move(options));
    auto started = server_->start();
    ASSERT_TRUE(started) << started.error().describe();
    ASSERT_NE(server_->port(), 0);
  }
  std::uint16_t port() const { return server_->port(); }
  // Waits until the server has `count` open connections, at most until `deadline`.
  void waitForConnections(std::size_t count, std::chrono::steady_clock::time_point deadline) {
    while (server_->stats().activeConnections != count &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(5ms);
    }
  }
  void TearDown() override {
    if (server_) {
      server_->stop(1s);
    }
  }

  std::unique_ptr<HttpServer> server_;
};

TEST_F(ServerTest, RoutesWithPathParamsQueryAndHeaders) {
  startServer();
  RawClient c(port());
  c.send(rawGet("/v1/clientWorkloads/ci%20runner?q=a%2Bb+c", "USER-AGENT: t/1\r\n"));
  auto res = c.read();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 200);
  EXPECT_EQ((*res)["Content-Type"], "application/json");
  EXPECT_EQ((*res)["Server"], "tessera");
  EXPECT_FALSE((*res)["Date"].empty());
  auto body = nlohmann::json::parse(res->body());
  EXPECT_EQ(body["name"], "ci runner");
  EXPECT_EQ(body["q"], "a+b c");
  EXPECT_EQ(body["ua"], "t/1");
  EXPECT_EQ(body["remote"], "127.0.0.1");

  c.send(rawGet("/v1/clientWorkloads/me"));
  res = c.read();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body(), "literal");
}

TEST_F(ServerTest, UnknownPathIs404JsonError) {
  startServer();
  RawClient c(port());
  c.send(rawGet("/nope"));
  auto res = c.read();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 404);
  EXPECT_EQ((*res)["Content-Type"], "application/json");
  EXPECT_EQ((*res)["Cache-Control"], "no-store");
  auto body = nlohmann::json::parse(res->body());
  EXPECT_EQ(body["error"], "route_not_found");
  EXPECT_TRUE(body["message"].is_string());
  EXPECT_EQ(body.size(), 2u);
  // The connection stays usable.
  c.send(rawGet("/hello"));
  res = c.read();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body(), "hello world");
}

TEST_F(ServerTest, WrongMethodIs405WithAllow) {
  startServer();
  RawClient c(port());
  c.send("DELETE /v1/clientWorkloads HTTP/1.1\r\nHost: x\r\n\r\n");
  auto res = c.read();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 405);
  EXPECT_EQ((*res)["Allow"], "POST");
  EXPECT_EQ(nlohmann::json::parse(res->body())["error"], "method_not_allowed");
}

TEST_F(ServerTest, HeadIsServedByGetWithoutBody) {
  startServer();
  RawClient c(port());
  c.send("HEAD /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  auto res = c.read(/*headRequest=*/true);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 200);
  EXPECT_EQ((*res)["Content-Length"], "11");
  EXPECT_TRUE(res->body().empty());
  // Nothing but the head was sent: the next response parses cleanly.
  c.send(rawGet("/hello"));
  res = c.read();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body(), "hello world");
}

TEST_F(ServerTest, HandlerErrorsAndExceptions) {
  startServer();
  RawClient c(port());
  c.send(rawGet("/error"));
  auto res = c.read();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 403);
  EXPECT_EQ(nlohmann::json::parse(res->body()),
            (nlohmann::json{{"error", "permission_denied"}, {"message", "nope"}}));

  c.send(rawGet("/throw"));
  res = c.read();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 500);
  EXPECT_EQ(res->body().find("secret"), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(res->body())["error"], "internal");
}

TEST_F(ServerTest, BodyWithinLimitIsDelivered) {
  startServer();
  RawClient c(port());
  c.send(
      "POST /v1/clientWorkloads HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
      "POST /v1/clientWorkloads HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
  auto res = c.read();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 201);
  EXPECT_EQ(res->body(), "hello");
  res = c.read();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body(), "abcde");
}

TEST_F(ServerTest, OversizedBodyIs413BeforeItIsSent) {
  auto options = testOptions();
  options.maxBodyBytes = 1024;
  startServer(options);
  RawClient c(port());
  // Only the head is sent: the server must answer without waiting for 1 MiB.
  c.send("POST /v1/clientWorkloads HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n");
  auto res = c.read(false, 1s);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 413);
  EXPECT_EQ(nlohmann::json::parse(res->body())["error"], "payload_too_large");
  EXPECT_FALSE(res->keep_alive());
  EXPECT_TRUE(c.waitClosed(1s));
}

TEST_F(ServerTest, PerRouteBodyLimit) {
  startServer();
  RawClient c(port());
  c.send("POST /small HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789");
  auto res = c.read();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 200);
  c.send("POST /small HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n01234567890");
  res = c.read();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 413);
}

TEST_F(ServerTest, OversizedChunkedBodyIs413) {
  startServer();
  RawClient c(port());
  c.send(
      "POST /small HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "8\r\n01234567\r\n8\r\n01234567\r\n0\r\n\r\n");
  auto res = c.read();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 413);
}

TEST_F(ServerTest, OversizedHeadIs431) {
  startServer();
  RawClient c(port());
  c.send(rawGet("/hello", "X-Big: " + std::string(20 * 1024, 'a') + "\r\n"));
  auto res = c.read();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 431);
  EXPECT_EQ(nlohmann::json::parse(res->body())["error"], "http_header_too_large");
}

TEST_F(ServerTest, MalformedRequestIs400) {
  startServer();
  RawClient c(port());
  c.send("GET /hello HTTP/1.1\r\nHost x\r\n\r\n");
  auto res = c.read();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 400);
  EXPECT_EQ(nlohmann::json::parse(res->body())["error"], "http_bad_request");
}

TEST_F(ServerTest, KeepAliveReusesOneConnection) {
  startServer();
  RawClient c(port());
  for (int i = 0; i < 5; ++i) {
    c.send(rawGet("/hello"));
    auto res = c.read();
    ASSERT_TRUE(res);
    EXPECT_TRUE(res->keep_alive());
  }
  EXPECT_EQ(server_->stats().acceptedConnections, 1u);
  EXPECT_EQ(server_->stats().requests, 5u);
}

TEST_F(ServerTest, Http10KeepAliveOnlyWhenAsked) {
  startServer();
  RawClient keep(port());
  keep.send("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  auto res = keep.read();
  ASSERT_TRUE(res);
  EXPECT_TRUE(res->keep_alive());
  keep.send("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  ASSERT_TRUE(keep.read());

  RawClient once(port());
  once.send("GET /hello HTTP/1.0\r\n\r\n");
  res = once.read();
  ASSERT_TRUE(res);
  EXPECT_FALSE(res->keep_alive());
  EXPECT_TRUE(once.waitClosed(1s));
}

TEST_F(ServerTest, ConnectionCloseIsHonoured) {
  startServer();
  RawClient c(port());
  c.send(rawGet("/hello", "Connection: close\r\n"));
  auto res = c.read();
  ASSERT_TRUE(res);
  EXPECT_FALSE(res->keep_alive());
  EXPECT_TRUE(c.waitClosed(1s));
}

TEST_F(ServerTest, PipelinedRequestsAnswerInOrder) {
  startServer();
  RawClient c(port());
  c.send(rawGet("/slow/100") + rawGet("/hello") + rawGet("/slow/10") +
         rawGet("/v1/clientWorkloads/me"));
  std::vector<std::string> bodies;
  for (int i = 0; i < 4; ++i) {
    auto res = c.read();
    ASSERT_TRUE(res);
    bodies.push_back(res->body());
  }
  EXPECT_EQ(bodies, (std::vector<std::string>{"slept 100", "hello world", "slept 10", "literal"}));
  EXPECT_EQ(server_->stats().acceptedConnections, 1u);
}

TEST_F(ServerTest, BlockingRoutesRunOffTheWorkerSoOtherConnectionsGoOn) {
  // One worker: were the blocking handler run on it, /hello would wait for it.
  std::mutex mutex;
  std::thread::id blockingThread;
  std::thread::id workerThread;
  Router router = testRouter();
  router.get(
      "/block",
      [&](Request&) {
        {
          std::lock_guard lock(mutex);
          blockingThread = std::this_thread::get_id();
        }
        std::this_thread::sleep_for(800ms);
        return textResponse(200, "unblocked");
      },
      RouteOptions{.blocking = true});
  router.get("/where", [&](Request&) {
    std::lock_guard lock(mutex);
    workerThread = std::this_thread::get_id();
    return textResponse(200, "worker");
  });
  auto options = testOptions();
  options.threads = 1;
  options.readTimeout = 5s;
  options.idleTimeout = 5s;
  startServer(options, std::move(router));

  RawClient blocked(port());
  blocked.send(rawGet("/block"));
  std::this_thread::sleep_for(100ms);  // the blocking handler is running now
  RawClient other(port());
  const auto begun = std::chrono::steady_clock::now();
  other.send(rawGet("/where"));
  auto res = other.read();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body(), "worker");
  EXPECT_LT(std::chrono::steady_clock::now() - begun, 500ms);

  res = blocked.read();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body(), "unblocked");
  std::lock_guard lock(mutex);
  EXPECT_NE(blockingThread, std::thread::id());
  EXPECT_NE(blockingThread, workerThread);
  // The connection of the blocking route stays usable on its worker afterwards.
  blocked.send(rawGet("/hello"));
  res = blocked.read();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body(), "hello world");
}

TEST_F(ServerTest, ResponseHeadersThatCouldSplitTheHeadAreDropped) {
  Router router;
  router.get("/headers", [](Request&) {
    auto res = textResponse(200, "ok");
    res.headers.set("X-Good", "kept");
    res.headers.set("X-Split", "a\r\nInjected: 1");
    res.headers.set("X-Nul", std::string("a\0b", 3));
    res.headers.set("Bad Name", "x");
    res.headers.set("Content-Length", "999");  // framing is the server's
    return res;
  });
  startServer(testOptions(), std::move(router));
  RawClient c(port());
  c.send(rawGet("/headers"));
  auto res = c.read();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 200);
  EXPECT_EQ((*res)["X-Good"], "kept");
  EXPECT_EQ(res->count("X-Split"), 0u);
  EXPECT_EQ(res->count("Injected"), 0u);
  EXPECT_EQ(res->count("X-Nul"), 0u);
  EXPECT_EQ(res->count("Bad Name"), 0u);
  EXPECT_EQ((*res)["Content-Length"], "2");
  EXPECT_EQ(res->body(), "ok");
}

TEST_F(ServerTest, SlowlorisIsCutOffByTheReadTimeout) {
  auto options = testOptions();
  options.readTimeout = 300ms;
  options.idleTimeout = 5s;
  startServer(options);
  RawClient c(port());
  const auto begun = std::chrono::steady_clock::now();
  c.send("GET /hello HTTP/1.1\r\n");
  bool closed = false;
  // Trickle one header byte every 50 ms: each byte arrives well within any per-read timeout, but
  // the request as a whole must still be complete within readTimeout.
  for (int i = 0; i < 30 && !closed; ++i) {
    c.send("X");
    closed = c.waitClosed(50ms);
  }
  EXPECT_TRUE(closed);
  EXPECT_LT(std::chrono::steady_clock::now() - begun, 1s);
}

TEST_F(ServerTest, SilentConnectionIsClosedAfterReadTimeout) {
  auto options = testOptions();
  options.readTimeout = 200ms;
  options.idleTimeout = 5s;
  startServer(options);
  RawClient c(port());
  EXPECT_TRUE(c.waitClosed(1s));
}

// Bigger than the loopback socket buffers of both ends: the answer cannot leave at once.
Router bigAnswerRouter(std::size_t bytes) {
  Router r = testRouter();
  r.get("/big", [bytes](Request&) {
    std::string body(bytes, 'x');
    for (std::size_t i = 0; i < body.size(); i += 4096) {
      body[i] = static_cast<char>('a' + (i / 4096) % 26);
    }
    return textResponse(200, std::move(body));
  });
  return r;
}

TEST_F(ServerTest, ALargeAnswerLeavesInPartsAndArrivesWhole) {
  startServer(testOptions(), bigAnswerRouter(32u << 20));
  RawClient c(port());
  c.send(rawGet("/big"));
  auto res = c.read(false, 10s);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 200);
  ASSERT_EQ(res->body().size(), 32u << 20);
  EXPECT_EQ(res->body()[4096 * 27], 'b');
  EXPECT_EQ(res->body()[4096 * 27 + 1], 'x');
  c.send(rawGet("/hello"));  // still usable
  res = c.read();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body(), "hello world");
}

TEST_F(ServerTest, AClientThatStopsReadingIsCutOffByTheWriteTimeout) {
  auto options = testOptions();
  options.writeTimeout = 300ms;
  options.idleTimeout = 5s;
  options.readTimeout = 5s;
  startServer(options, bigAnswerRouter(64u << 20));
  RawClient c(port());
  c.send(rawGet("/big"));  // and never read
  const auto begun = std::chrono::steady_clock::now();
  waitForConnections(1, begun + 2s);
  ASSERT_EQ(server_->stats().activeConnections, 1u);
  waitForConnections(0, begun + 5s);
  const auto took = std::chrono::steady_clock::now() - begun;
  EXPECT_EQ(server_->stats().activeConnections, 0u);
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 2s);
}

TEST_F(ServerTest, TimeLimitsHoldWhileTheServerDrains) {
  auto options = testOptions();
  options.readTimeout = 300ms;
  options.idleTimeout = 5s;
  startServer(options);
  RawClient c(port());
  c.send("GET /hello HTTP/1.1\r\nHost: x\r\n");  // a head that never ends: not idle
  const auto begun = std::chrono::steady_clock::now();
  waitForConnections(1, begun + 2s);
  ASSERT_EQ(server_->stats().activeConnections, 1u);
  // The drain would wait 10 s for the connection; its read timeout ends it first.
  server_->stop(10s);
  EXPECT_LT(std::chrono::steady_clock::now() - begun, 3s);
  EXPECT_TRUE(c.waitClosed(1s));
}

TEST_F(ServerTest, IdleKeepAliveConnectionIsClosed) {
  auto options = testOptions();
  options.idleTimeout = 200ms;
  startServer(options);
  RawClient c(port());
  c.send(rawGet("/hello"));
  ASSERT_TRUE(c.read());
  const auto begun = std::chrono::steady_clock::now();
  EXPECT_TRUE(c.waitClosed(1500ms));
  EXPECT_GE(std::chrono::steady_clock::now() - begun, 150ms);
}

TEST_F(ServerTest, MaxConnectionsClosesExtraConnections) {
  auto options = testOptions();
  options.maxConnections = 1;
  startServer(options);
  RawClient first(port());
  first.send(rawGet("/hello"));
  ASSERT_TRUE(first.read());
  RawClient second(port());
  EXPECT_TRUE(second.waitClosed(1s));
  EXPECT_EQ(server_->stats().rejectedConnections, 1u);
  first.send(rawGet("/hello"));
  EXPECT_TRUE(first.read());
}

TEST_F(ServerTest, AccessLogHookSeesEveryResponse) {
  struct Seen {
    std::string method, path, route, remote;
    int status;
  };
  std::mutex mu;
  std::vector<Seen> seen;
  auto options = testOptions();
  options.accessLog = [&](const AccessLogEntry& e) {
    std::lock_guard lock(mu);
    seen.push_back({std::string(e.method), std::string(e.path), std::string(e.route),
                    std::string(e.remoteAddress), e.status});
  };
  startServer(options);
  RawClient c(port());
  c.send(rawGet("/hello?x=1") + rawGet("/nope") + rawGet("/v1/clientWorkloads/abc"));
  ASSERT_TRUE(c.read());
  ASSERT_TRUE(c.read());
  ASSERT_TRUE(c.read());
  // The hook runs after the response is written; stopping joins the threads, so all calls are
  // done (and none can touch `seen` after this test returns).
  server_->stop(1s);
  std::lock_guard lock(mu);
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].method, "GET");
  EXPECT_EQ(seen[0].path, "/hello");
  EXPECT_EQ(seen[0].status, 200);
  EXPECT_EQ(seen[0].remote, "127.0.0.1");
  EXPECT_EQ(seen[0].route, "/hello");
  EXPECT_EQ(seen[1].status, 404);
  EXPECT_EQ(seen[1].route, "");
  EXPECT_EQ(seen[2].path, "/v1/clientWorkloads/abc");
  EXPECT_EQ(seen[2].route, "/v1/clientWorkloads/{name}");
}

TEST_F(ServerTest, GracefulStopLetsInFlightRequestFinish) {
  std::promise<void> entered;
  auto enteredFuture = entered.get_future();
  Router r;
  r.get("/slow", [&entered](Request&) -> boost::asio::awaitable<Response> {
    entered.set_value();
    co_await sleepFor(300ms);
    co_return textResponse(200, "finished");
  });
  r.get("/hello", [](Request&) { return textResponse(200, "hi"); });
  startServer(testOptions(), std::move(r));

  RawClient idle(port());  // an idle keep-alive connection: closed at once by stop()
  idle.send(rawGet("/hello"));
  ASSERT_TRUE(idle.read());

  RawClient busy(port());
  busy.send(rawGet("/slow"));
  ASSERT_EQ(enteredFuture.wait_for(1s), std::future_status::ready);
  const auto begun = std::chrono::steady_clock::now();
  std::thread stopper([&] { server_->stop(2s); });
  auto res = busy.read();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body(), "finished");
  EXPECT_FALSE(res->keep_alive());  // told to go away
  EXPECT_TRUE(idle.waitClosed(500ms));
  stopper.join();
  EXPECT_LT(std::chrono::steady_clock::now() - begun, 1500ms);
  RawClient late(port());
  EXPECT_FALSE(late.connected() && !late.waitClosed(500ms));
}

TEST_F(ServerTest, StopClosesRequestsThatOutliveTheDrain) {
  Router r;
  r.get("/forever", [](Request&) -> boost::asio::awaitable<Response> {
    co_await sleepFor(60s);
    co_return textResponse(200, "never");
  });
  startServer(testOptions(), std::move(r));
  RawClient c(port());
  c.send(rawGet("/forever"));
  while (server_->stats().requests == 0) {
    std::this_thread::sleep_for(5ms);
  }
  const auto begun = std::chrono::steady_clock::now();
  server_->stop(100ms);
  EXPECT_LT(std::chrono::steady_clock::now() - begun, 1500ms);
  EXPECT_TRUE(c.waitClosed(500ms));
}

TEST(HttpServer, RejectsBadBindAddresses) {
  for (const char* bind : {"127.0.0.1", "127.0.0.1:70000", "::1:80", "[::1:80", "127.0.0.1:x"}) {
    HttpServerOptions o;
    o.bind = bind;
    HttpServer server(Router{}, o);
    auto started = server.start();
    ASSERT_FALSE(started) << bind;
    EXPECT_EQ(started.error().code, ErrorCode::kConfigInvalid) << bind;
  }
}

TEST(HttpServer, MissingTlsFilesFailAtStart) {
  HttpServerOptions o;
  o.bind = "127.0.0.1:0";
  o.tls = ServerTlsConfig{"/nonexistent/cert.pem", "/nonexistent/key.pem"};
  HttpServer server(Router{}, o);
  auto started = server.start();
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code, ErrorCode::kHttpTls);
}

TEST(ShutdownSignal, CatchesSigtermRaisedBeforeWait) {
  ShutdownSignal signal;
  std::raise(SIGTERM);
  EXPECT_EQ(signal.wait(2s), SIGTERM);
}

TEST(ShutdownSignal, WaitTimesOut) {
  ShutdownSignal signal;
  EXPECT_EQ(signal.wait(20ms), 0);
}

}  // namespace
}  // namespace tessera::net
