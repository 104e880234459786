#include "net/tls_context.hpp"

#include <gtest/gtest.h>

#include <boost/asio/ssl/context.hpp>

#include <thread>
#include <vector>

namespace tessera::net {
namespace {

TEST(LazyClientTlsContext, AMissingBundleFailsAtCreateNamingIt) {
  auto lazy = LazyClientTlsContext::create({.caBundleFile = "/nonexistent/bundle.pem"});
  ASSERT_FALSE(lazy);
  EXPECT_EQ(lazy.error().code, ErrorCode::kHttpTls);
  EXPECT_NE(lazy.error().message.find("/nonexistent/bundle.pem"), std::string::npos);
}

TEST(LazyClientTlsContext, SystemRootsAreMadeOnceAndSharedAcrossThreads) {
  auto lazy = LazyClientTlsContext::create({});
  ASSERT_TRUE(lazy) << lazy.error().describe();
  std::vector<TlsContextPtr> seen(8);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < seen.size(); ++i) {
    threads.emplace_back([&, i] {
      auto ctx = (*lazy)->get();
      ASSERT_TRUE(ctx) << ctx.error().describe();
      seen[i] = *ctx;
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  ASSERT_NE(seen[0], nullptr);
  for (const auto& ctx : seen) {
    EXPECT_EQ(ctx, seen[0]);  // one context, made by the first caller
  }
  EXPECT_EQ(SSL_CTX_get_verify_mode(seen[0]->native_handle()), SSL_VERIFY_PEER);
}

TEST(LazyClientTlsContext, InsecureSkipsVerification) {
  auto lazy = LazyClientTlsContext::create({.insecureSkipVerify = true});
  ASSERT_TRUE(lazy);
  auto ctx = (*lazy)->get();
  ASSERT_TRUE(ctx);
  EXPECT_EQ(SSL_CTX_get_verify_mode((*ctx)->native_handle()), SSL_VERIFY_NONE);
}

}  // namespace
}  // namespace tessera::net
