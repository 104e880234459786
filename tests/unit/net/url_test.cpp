#include "net/url.hpp"

#include <gtest/gtest.h>

namespace tessera::net {
namespace {

TEST(Url, ParsesHttpAndHttps) {
  auto u = parseUrl("https://Idp.Example.COM/.well-known/jwks.json?x=1#frag");
  ASSERT_TRUE(u) << u.error().describe();
  EXPECT_EQ(u->scheme, "https");
  EXPECT_EQ(u->host, "idp.example.com");
  EXPECT_EQ(u->port, 443);
  EXPECT_EQ(u->target, "/.well-known/jwks.json?x=1");
  EXPECT_EQ(u->authority(), "idp.example.com");
  EXPECT_FALSE(u->ipLiteral());

  u = parseUrl("HTTP://127.0.0.1:8080");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->scheme, "http");
  EXPECT_EQ(u->port, 8080);
  EXPECT_EQ(u->target, "/");
  EXPECT_TRUE(u->ipLiteral());
  EXPECT_EQ(u->toString(), "http://127.0.0.1:8080/");

  u = parseUrl("http://example.com?q=1");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->target, "/?q=1");
}

TEST(Url, ParsesIpv6Literals) {
  auto u = parseUrl("https://[::1]:8443/x");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, 8443);
  EXPECT_TRUE(u->ipv6());
  EXPECT_TRUE(u->ipLiteral());
  EXPECT_EQ(u->authority(), "[::1]:8443");
  u = parseUrl("http://[2001:db8::1]/");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->authority(), "[2001:db8::1]");
}

TEST(Url, RejectsWhatIsNotAPlainHttpUrl) {
  for (const char* bad :
       {"ftp://example.com/", "file:///etc/passwd", "example.com/x", "https://user:pw@host/",
        "https://user@host/", "https:///path", "https://host:0/", "https://host:65536/",
        "https://host:/", "https://host:80x/", "https://ho st/", "https://[::1/", "https://[zz]/",
        "https://[::1]x/", "https://a..b/", "https://host/pa th", "https://host/\x01",
        "https://hōst/"}) {
    auto u = parseUrl(bad);
    EXPECT_FALSE(u) << bad;
    if (!u) {
      EXPECT_EQ(u.error().code, ErrorCode::kInvalidArgument);
    }
  }
}

TEST(Url, ErrorMessagesDoNotEchoTheQuery) {
  auto u = parseUrl("ftp://host/x?token=secret");
  ASSERT_FALSE(u);
  EXPECT_EQ(u.error().message.find("secret"), std::string::npos);
}

TEST(Url, ResolvesRedirectReferences) {
  const auto base = *parseUrl("https://a.example:8443/dir/page?x=1");
  EXPECT_EQ(resolveUrl(base, "https://b.example/")->toString(), "https://b.example/");
  EXPECT_EQ(resolveUrl(base, "//c.example/p")->toString(), "https://c.example/p");
  EXPECT_EQ(resolveUrl(base, "/root")->toString(), "https://a.example:8443/root");
  EXPECT_EQ(resolveUrl(base, "other")->toString(), "https://a.example:8443/dir/other");
  EXPECT_EQ(resolveUrl(base, "?y=2")->toString(), "https://a.example:8443/dir/page?y=2");
  EXPECT_FALSE(resolveUrl(base, "ftp://x/"));
}

}  // namespace
}  // namespace tessera::net
