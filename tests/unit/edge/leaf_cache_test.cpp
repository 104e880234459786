#include "edge/leaf_cache.hpp"

#include "edge/request_target.hpp"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

namespace tessera::edge {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

std::shared_ptr<const crypto::EdgeCa> makeCa(SystemTime now,
                                             std::chrono::seconds validity = 24h * 365) {
  auto ca = crypto::EdgeCa::createSelfSigned("Tessera edge CA test", validity, now);
  EXPECT_TRUE(ca.ok());
  return std::make_shared<const crypto::EdgeCa>(std::move(*ca));
}

// The leaf certificate a server context presents.
crypto::X509Ptr leafOf(const net::TlsContextPtr& context) {
  X509* leaf = SSL_CTX_get0_certificate(context->native_handle());
  if (leaf != nullptr) {
    X509_up_ref(leaf);
  }
  return crypto::X509Ptr(leaf);
}

std::string subjectAltDns(X509* cert) {
  auto* names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  std::string out;
  if (names != nullptr && sk_GENERAL_NAME_num(names) == 1) {
    const GENERAL_NAME* n = sk_GENERAL_NAME_value(names, 0);
    if (n->type == GEN_DNS) {
      out = reinterpret_cast<const char*>(ASN1_STRING_get0_data(n->d.dNSName));
    }
  }
  GENERAL_NAMES_free(names);
  return out;
}

const SystemTime kStart = fromUnixSeconds(1796083200);  // 2026-12-01T00:00:00Z

SystemTime leafNotAfterOf(const net::TlsContextPtr& context) {
  std::tm tm{};
  EXPECT_EQ(ASN1_TIME_to_tm(X509_get0_notAfter(leafOf(context).get()), &tm), 1);
  return fromUnixSeconds(timegm(&tm));
}

TEST(LeafCache, ASecondRequestForAHostIsAHit) {
  ManualClock clock(kStart);
  LeafCache cache(makeCa(kStart), clock);
  auto first = cache.contextFor("api.example.com");
  ASSERT_TRUE(first.ok()) << first.error().describe();
  auto second = cache.contextFor("API.example.com");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(first->get(), second->get());
  const auto stats = cache.stats();
  EXPECT_EQ(stats.entries, 1u);
  EXPECT_EQ(stats.issued, 1u);
  EXPECT_EQ(stats.hits, 1u);
  EXPECT_EQ(subjectAltDns(leafOf(*first).get()), "api.example.com");

  auto other = cache.contextFor("db.example.com");
  ASSERT_TRUE(other.ok());
  EXPECT_NE(other->get(), first->get());
  EXPECT_EQ(cache.stats().entries, 2u);
}

TEST(LeafCache, ContextsAreHardenedServerContextsWithTheChain) {
  ManualClock clock(kStart);
  const auto ca = makeCa(kStart);
  LeafCache cache(ca, clock);
  auto context = cache.contextFor("api.example.com");
  ASSERT_TRUE(context.ok());
  SSL_CTX* ctx = (*context)->native_handle();
  EXPECT_EQ(SSL_CTX_get_min_proto_version(ctx), TLS1_2_VERSION);
  EXPECT_TRUE(SSL_CTX_get_options(ctx) & SSL_OP_NO_COMPRESSION);
  EXPECT_TRUE(SSL_CTX_get_options(ctx) & SSL_OP_NO_RENEGOTIATION);
  EXPECT_EQ(SSL_CTX_check_private_key(ctx), 1);
  STACK_OF(X509)* chain = nullptr;
  // asio's use_certificate_chain keeps the certificates after the leaf as extra chain certificates.
  ASSERT_EQ(SSL_CTX_get_extra_chain_certs(ctx, &chain), 1);
  ASSERT_NE(chain, nullptr);
  ASSERT_EQ(sk_X509_num(chain), 1);
  const auto caPem = ca->certificatePem();
  crypto::BioPtr bio(BIO_new_mem_buf(caPem.data(), static_cast<int>(caPem.size())));
  crypto::X509Ptr caCert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  EXPECT_EQ(X509_cmp(sk_X509_value(chain, 0), caCert.get()), 0);
}

TEST(LeafCache, ReissuesWhenLessThanAQuarterOfTheValidityRemains) {
  ManualClock clock(kStart);
  LeafCache cache(makeCa(kStart), clock);
  auto first = cache.contextFor("api.example.com");
  ASSERT_TRUE(first.ok());
  // Leaves live 24 h: renewal is due at 18 h.
  clock.advance(18h - 1s);
  auto stillCached = cache.contextFor("api.example.com");
  EXPECT_EQ(stillCached->get(), first->get());
  EXPECT_EQ(cache.stats().issued, 1u);
  clock.advance(1s);
  auto renewed = cache.contextFor("api.example.com");
  ASSERT_TRUE(renewed.ok());
  EXPECT_NE(renewed->get(), first->get());
  const auto stats = cache.stats();
  EXPECT_EQ(stats.issued, 2u);
  EXPECT_EQ(stats.entries, 1u);
  // The new leaf runs from the renewal time.
  const ASN1_TIME* notAfter = X509_get0_notAfter(leafOf(*renewed).get());
  int days = 0;
  int seconds = 0;
  crypto::X509Ptr firstLeaf = leafOf(*first);
  ASSERT_EQ(ASN1_TIME_diff(&days, &seconds, X509_get0_notAfter(firstLeaf.get()), notAfter), 1);
  EXPECT_EQ(days * 86400 + seconds, 18 * 3600);
  EXPECT_EQ(cache.contextFor("api.example.com")->get(), renewed->get());
}

TEST(LeafCache, LeavesFollowTheCaToItsEndAndThenFail) {
  ManualClock clock(kStart);
  LeafCache cache(makeCa(kStart, 20h), clock);  // the CA's notAfter is kStart + 20 h
  auto first = cache.contextFor("api.example.com");
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(leafNotAfterOf(*first), kStart + 20h);  // capped at the CA's, renewal due at 15 h
  clock.set(kStart + 15h);
  auto renewed = cache.contextFor("api.example.com");
  ASSERT_TRUE(renewed.ok()) << renewed.error().describe();
  EXPECT_NE(renewed->get(), first->get());
  EXPECT_EQ(leafNotAfterOf(*renewed), kStart + 20h);
  clock.set(kStart + 20h + 1s);
  auto expired = cache.contextFor("api.example.com");
  ASSERT_FALSE(expired.ok());
  EXPECT_NE(expired.error().message.find("expired"), std::string::npos);
}

TEST(LeafCache, EvictsTheLeastRecentlyUsedHost) {
  ManualClock clock(kStart);
  LeafCache cache(makeCa(kStart), clock, 2);
  auto a = cache.contextFor("a.example");
  auto b = cache.contextFor("b.example");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(cache.contextFor("a.example")->get(), a->get());  // a is now the most recent
  auto c = cache.contextFor("c.example");                     // evicts b
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(cache.stats().entries, 2u);
  EXPECT_EQ(cache.stats().issued, 3u);
  EXPECT_EQ(cache.contextFor("a.example")->get(), a->get());
  EXPECT_EQ(cache.contextFor("c.example")->get(), c->get());
  EXPECT_EQ(cache.stats().issued, 3u);
  auto bAgain = cache.contextFor("b.example");  // a miss: issued anew, evicts a
  ASSERT_TRUE(bAgain.ok());
  EXPECT_NE(bAgain->get(), b->get());
  EXPECT_EQ(cache.stats().issued, 4u);
  EXPECT_EQ(cache.stats().entries, 2u);
  EXPECT_EQ(cache.contextFor("c.example")->get(), c->get());
  EXPECT_NE(cache.contextFor("a.example")->get(), a->get());
}

TEST(LeafCache, RefusesHostsTheCaRefusesAndCachesNothing) {
  ManualClock clock(kStart);
  LeafCache cache(makeCa(kStart), clock);
  for (const char* host : {"", "*.example.com", "bad host", "a..b"}) {
    auto context = cache.contextFor(host);
    ASSERT_FALSE(context.ok()) << host;
    EXPECT_EQ(context.error().code, ErrorCode::kInvalidArgument) << host;
  }
  EXPECT_EQ(cache.stats().entries, 0u);
  EXPECT_EQ(cache.stats().issued, 0u);
}

TEST(LeafCache, ConcurrentRequestsForOneHostIssueOnce) {
  ManualClock clock(kStart);
  LeafCache cache(makeCa(kStart), clock);
  std::atomic<int> ready{0};
  std::vector<net::TlsContextPtr> results(8);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < results.size(); ++i) {
    threads.emplace_back([&, i] {
      ++ready;
      while (ready.load() < static_cast<int>(results.size())) {
      }
      auto context = cache.contextFor(i % 2 == 0 ? "same.example" : "SAME.example");
      if (context) {
        results[i] = *context;
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  for (const auto& r : results) {
    ASSERT_TRUE(r);
    EXPECT_EQ(r.get(), results[0].get());
  }
  const auto stats = cache.stats();
  EXPECT_EQ(stats.issued, 1u);
  EXPECT_EQ(stats.hits, results.size() - 1);
}

TEST(LeafCache, ManyHostsFromManyThreads) {
  ManualClock clock(kStart);
  LeafCache cache(makeCa(kStart), clock, 16);
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 40; ++i) {
        if (!cache.contextFor("h" + std::to_string((i * 7 + t) % 24) + ".example")) {
          ++failures;
        }
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(failures.load(), 0);
  const auto stats = cache.stats();
  EXPECT_LE(stats.entries, 16u);
  EXPECT_EQ(stats.issued + stats.hits, 160u);
}

TEST(LeafCache, EveryHostTheProxyParserAcceptsGetsALeaf) {
  // The proxy hands parsed hosts to the cache: the two host grammars must agree.
  ManualClock clock(kStart);
  LeafCache cache(makeCa(kStart), clock);
  const std::string longest = std::string(63, 'a') + "." + std::string(63, 'b') + "." +
                              std::string(63, 'c') + "." + std::string(61, 'd');
  for (const std::string& target :
       {std::string("Example.COM:443"), std::string("my_service.internal:443"),
        std::string("x-1.y-2.example:443"), std::string("localhost:443"),
        std::string("10.1.2.3:443"), std::string("[::1]:443"), std::string("[2001:DB8::1]:443"),
        std::string("[::ffff:10.0.0.1]:443"), longest + ":443"}) {
    auto authority = parseAuthorityTarget(target);
    ASSERT_TRUE(authority.ok()) << target;
    auto context = cache.contextFor(authority->host);
    EXPECT_TRUE(context.ok()) << target << ": " << (context ? "" : context.error().describe());
  }
}

// A one-connection-at-a-time HTTPS server on 127.0.0.1 that takes its TLS context from the
// LeafCache for a fixed host (what the proxy does after CONNECT host:port).
class TlsServer {
 public:
  TlsServer(LeafCache& cache, std::string host)
      : cache_(cache),
        host_(std::move(host)),
        acceptor_(ioc_, {asio::ip::make_address("127.0.0.1"), 0}) {}

  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

  // Serves one connection in the background; join() waits for it.
  void serveOne() {
    thread_ = std::thread([this] {
      boost::system::error_code ec;
      tcp::socket socket(ioc_);
      acceptor_.accept(socket, ec);
      if (ec) {
        return;
      }
      auto context = cache_.contextFor(host_);
      if (!context) {
        return;
      }
      ssl::stream<tcp::socket> stream(std::move(socket), **context);
      stream.handshake(ssl::stream_base::server, ec);
      if (ec) {
        handshakeFailures_++;
        return;
      }
      asio::streambuf request;
      asio::read_until(stream, request, "\r\n\r\n", ec);
      if (ec) {
        return;
      }
      const std::string body = "hello through";
      const std::string response =
          "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) +
          "\r\nConnection: close\r\n\r\n" + body;
      asio::write(stream, asio::buffer(response), ec);
      stream.shutdown(ec);
    });
  }
  void join() {
    if (thread_.joinable()) {
      thread_.join();
    }
  }
  int handshakeFailures() const { return handshakeFailures_.load(); }
  ~TlsServer() { join(); }

 private:
  LeafCache& cache_;
  std::string host_;
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  std::thread thread_;
  std::atomic<int> handshakeFailures_{0};
};

struct CurlResult {
  int exitCode = -1;
  std::string output;
};

CurlResult runCurl(const std::string& arguments) {
  // --noproxy: a proxy from the environment must not carry the request elsewhere.
  const std::string command = "curl -sS --noproxy '*' --max-time 20 " + arguments + " 2>&1";
  CurlResult result;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    return result;
  }
  char buffer[4096];
  std::size_t n = 0;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) {
    result.output.append(buffer, n);
  }
  const int status = pclose(pipe);
  result.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

class LeafCacheCurl : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::system("curl --version >/dev/null 2>&1") != 0) {
      GTEST_SKIP() << "curl is not installed";
    }
    std::string tmpl = (std::filesystem::temp_directory_path() / "leaf_cache_test.XXXXXX").string();
    dir_ = mkdtemp(tmpl.data());
    ca_ = makeCa(std::chrono::system_clock::now());
    caFile_ = (dir_ / "ca.pem").string();
    std::ofstream(caFile_) << ca_->certificatePem();
  }
  void TearDown() override {
    if (!dir_.empty()) {
      std::filesystem::remove_all(dir_);
    }
  }

  std::filesystem::path dir_;
  std::shared_ptr<const crypto::EdgeCa> ca_;
  std::string caFile_;
};

TEST_F(LeafCacheCurl, CurlTrustsTheLeafThroughTheEdgeCa) {
  LeafCache cache(ca_, SystemClock::instance());
  const std::string host = "api.tessera.test";
  TlsServer server(cache, host);
  const std::string port = std::to_string(server.port());
  server.serveOne();
  const auto result = runCurl("--cacert " + caFile_ + " --resolve " + host + ":" + port +
                              ":127.0.0.1 https://" + host + ":" + port + "/");
  server.join();
  EXPECT_EQ(result.exitCode, 0) << result.output;
  EXPECT_EQ(result.output, "hello through");
}

TEST_F(LeafCacheCurl, CurlRefusesTheLeafWithoutTheCa) {
  LeafCache cache(ca_, SystemClock::instance());
  const std::string host = "api.tessera.test";
  TlsServer server(cache, host);
  const std::string port = std::to_string(server.port());
  server.serveOne();
  // Only the system trust store, which does not hold the edge CA.
  const auto result =
      runCurl("--resolve " + host + ":" + port + ":127.0.0.1 https://" + host + ":" + port + "/");
  server.join();
  EXPECT_EQ(result.exitCode, 60) << result.output;  // CURLE_PEER_FAILED_VERIFICATION
  EXPECT_EQ(server.handshakeFailures(), 1);
}

TEST_F(LeafCacheCurl, CurlRefusesALeafForAnotherHost) {
  LeafCache cache(ca_, SystemClock::instance());
  TlsServer server(cache, "other.tessera.test");
  const std::string port = std::to_string(server.port());
  server.serveOne();
  const std::string host = "api.tessera.test";
  const auto result = runCurl("--cacert " + caFile_ + " --resolve " + host + ":" + port +
                              ":127.0.0.1 https://" + host + ":" + port + "/");
  server.join();
  EXPECT_EQ(result.exitCode, 60) << result.output;
}

TEST_F(LeafCacheCurl, CurlTrustsAnIpLiteralLeaf) {
  LeafCache cache(ca_, SystemClock::instance());
  TlsServer server(cache, "127.0.0.1");
  const std::string port = std::to_string(server.port());
  server.serveOne();
  const auto result = runCurl("--cacert " + caFile_ + " https://127.0.0.1:" + port + "/");
  server.join();
  EXPECT_EQ(result.exitCode, 0) << result.output;
  EXPECT_EQ(result.output, "hello through");
}

}  // namespace
}  // namespace tessera::edge
