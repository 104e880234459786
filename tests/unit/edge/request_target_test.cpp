#include "edge/request_target.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tessera::edge {
namespace {

struct GoodAbsolute {
  std::string target;
  std::string host;
  std::uint16_t port;
  std::string originForm;
};

TEST(RequestTarget, AbsoluteFormGoodInputs) {
  const std::vector<GoodAbsolute> cases = {
      {"http://example.com/", "example.com", 80, "/"},
      {"http://example.com", "example.com", 80, "/"},
      {"http://example.com?q=1", "example.com", 80, "/?q=1"},
      {"http://example.com/a/b?x=1&y=%20z", "example.com", 80, "/a/b?x=1&y=%20z"},
      {"HTTP://API.Example.COM:8080/Path/Keeps/Case", "api.example.com", 8080, "/Path/Keeps/Case"},
      {"hTtP://example.com:1/", "example.com", 1, "/"},
      {"http://example.com:65535", "example.com", 65535, "/"},
      {"http://example.com:080/", "example.com", 80, "/"},
      {"http://10.0.0.1:8080/x", "10.0.0.1", 8080, "/x"},
      {"http://[::1]/", "::1", 80, "/"},
      {"http://[2001:DB8::1]:8443/p?q", "2001:db8::1", 8443, "/p?q"},
      {"http://[::ffff:10.0.0.1]:81", "::ffff:10.0.0.1", 81, "/"},
      {"http://my_service.internal/", "my_service.internal", 80, "/"},
      {"http://localhost:3000//double//slash", "localhost", 3000, "//double//slash"},
      {"http://example.com/?", "example.com", 80, "/?"},
      {"http://example.com/a:b@c", "example.com", 80, "/a:b@c"},
      {"http://example.com/%zz<>\"{}|", "example.com", 80, "/%zz<>\"{}|"},
  };
  for (const auto& c : cases) {
    auto parsed = parseAbsoluteTarget(c.target);
    ASSERT_TRUE(parsed.ok()) << c.target << ": " << parsed.error().describe();
    EXPECT_EQ(parsed->scheme, "http") << c.target;
    EXPECT_EQ(parsed->authority.host, c.host) << c.target;
    EXPECT_EQ(parsed->authority.port, c.port) << c.target;
    EXPECT_EQ(parsed->originForm, c.originForm) << c.target;
  }
}

struct GoodAuthority {
  std::string target;
  std::string host;
  std::uint16_t port;
  std::string formatted;
};

TEST(RequestTarget, AuthorityFormGoodInputs) {
  const std::vector<GoodAuthority> cases = {
      {"example.com:443", "example.com", 443, "example.com:443"},
      {"Example.COM:443", "example.com", 443, "example.com:443"},
      {"10.1.2.3:5432", "10.1.2.3", 5432, "10.1.2.3:5432"},
      {"[::1]:443", "::1", 443, "[::1]:443"},
      {"[FE80::1]:8443", "fe80::1", 8443, "[fe80::1]:8443"},
      {"localhost:1", "localhost", 1, "localhost:1"},
      {"a-b_c.d:65535", "a-b_c.d", 65535, "a-b_c.d:65535"},
      {"example.com:00443", "example.com", 443, "example.com:443"},
  };
  for (const auto& c : cases) {
    auto parsed = parseAuthorityTarget(c.target);
    ASSERT_TRUE(parsed.ok()) << c.target << ": " << parsed.error().describe();
    EXPECT_EQ(parsed->host, c.host) << c.target;
    EXPECT_EQ(parsed->port, c.port) << c.target;
    EXPECT_EQ(formatAuthority(*parsed), c.formatted) << c.target;
    auto again = parseAuthorityTarget(formatAuthority(*parsed));
    ASSERT_TRUE(again.ok()) << c.target;
    EXPECT_EQ(again->host, parsed->host);
    EXPECT_EQ(again->port, parsed->port);
  }
}

struct Bad {
  std::string target;
  std::string why;  // a piece of the message that names the problem
};

void expectRefused(const std::vector<Bad>& cases, bool authorityForm) {
  for (const auto& c : cases) {
    if (authorityForm) {
      auto parsed = parseAuthorityTarget(c.target);
      ASSERT_FALSE(parsed.ok()) << c.target;
      EXPECT_EQ(parsed.error().code, ErrorCode::kHttpBadRequest) << c.target;
      EXPECT_NE(parsed.error().message.find(c.why), std::string::npos)
          << c.target << " -> " << parsed.error().message;
    } else {
      auto parsed = parseAbsoluteTarget(c.target);
      ASSERT_FALSE(parsed.ok()) << c.target;
      EXPECT_EQ(parsed.error().code, ErrorCode::kHttpBadRequest) << c.target;
      EXPECT_NE(parsed.error().message.find(c.why), std::string::npos)
          << c.target << " -> " << parsed.error().message;
    }
  }
}

TEST(RequestTarget, AbsoluteFormBadInputs) {
  expectRefused(
      {
          {"", "empty"},
          {"/path", "absolute-form"},
          {"*", "not an absolute URI"},
          {"example.com/path", "not an absolute URI"},
          {"https://example.com/", "CONNECT"},
          {"HTTPS://example.com/", "CONNECT"},
          {"ftp://example.com/", "scheme must be http"},
          {"httpx://example.com/", "scheme must be http"},
          {"http:example.com/", "//host"},
          {"http:/example.com/", "//host"},
          {"http://", "empty host"},
          {"http:///path", "empty host"},
          {"http://:80/", "empty host"},
          {"http://user@example.com/", "userinfo"},
          {"http://user:pass@example.com/", "userinfo"},
          {"http://example.com/#frag", "fragment"},
          {"http://example.com/a b", "space"},
          {"http://example.com/\t", "control"},
          {std::string("http://example.com/\0", 20), "control"},
          {"http://example.com/\x7f", "control"},
          {"http://caf\xc3\xa9.example/", "non-ASCII"},
          {"http://example.com:/", "empty port"},
          {"http://example.com:0/", "port must be 1 to 65535"},
          {"http://example.com:65536/", "port must be 1 to 65535"},
          {"http://example.com:123456/", "port must be 1 to 65535"},
          {"http://example.com:+80/", "port must be 1 to 65535"},
          {"http://example.com:-1/", "port must be 1 to 65535"},
          {"http://example.com:8o/", "port must be 1 to 65535"},
          {"http://example.com:80:81/", "brackets"},
          {"http://::1/", "brackets"},
          {"http://[::1/", "unterminated"},
          {"http://[::1]x/", "after the IPv6"},
          {"http://[fe80::1%25eth0]/", "zone"},
          {"http://[v1.abc]/", "IPvFuture"},
          {"http://[example.com]/", "bad IPv6"},
          {"http://[1.2.3.4]/", "bad IPv6"},
          {"http://[]/", "bad IPv6"},
          {"http://ex]ample.com/", "brackets"},
          {"http://ex%41mple.com/", "letters, digits"},
          {"http://ex!ample.com/", "letters, digits"},
          {"http://a..b/", "empty label"},
          {"http://.example.com/", "empty label"},
          {"http://example.com./", "empty label"},
          {"http://" + std::string(64, 'a') + ".com/", "label"},
          {"http://" + std::string(63, 'a') + "." + std::string(63, 'b') + "." +
               std::string(63, 'c') + "." + std::string(62, 'd') + "/",
           "longer than 253"},
          {"http://127.1/", "numeric"},
          {"http://0x7f.0.0.1/", "numeric"},
          {"http://017.0.0.1/", "numeric"},
          {"http://256.0.0.1/", "numeric"},
          {"http://1.2.3/", "numeric"},
          {"http://example.com/" + std::string(kMaxRequestTargetBytes, 'a'), "longer than 8192"},
      },
      /*authorityForm=*/false);
}

TEST(RequestTarget, AuthorityFormBadInputs) {
  expectRefused(
      {
          {"", "empty"},
          {"example.com", "port is missing"},
          {"[::1]", "port is missing"},
          {"example.com:", "empty port"},
          {"[::1]:", "empty port"},
          {"example.com:0", "port must be 1 to 65535"},
          {"example.com:65536", "port must be 1 to 65535"},
          {"example.com:443/", "host:port only"},
          {"example.com:443?x", "host:port only"},
          {"http://example.com:443", "host:port only"},
          {"example.com:443#f", "fragment"},
          {"user@example.com:443", "userinfo"},
          {"::1:443", "brackets"},
          {"[fe80::1%eth0]:443", "zone"},
          {":443", "empty host"},
          {"exa mple.com:443", "space"},
          {"example.com:443\r\n", "control"},
          {"*:443", "letters, digits"},
          {"*.example.com:443", "letters, digits"},
          {"127.1:443", "numeric"},
          {std::string(kMaxRequestTargetBytes + 1, 'a'), "longer than 8192"},
      },
      /*authorityForm=*/true);
}

TEST(RequestTarget, MessagesNeverRepeatTheTarget) {
  // The query may carry a token and the bytes are the client's; logs get the reason only.
  auto parsed = parseAbsoluteTarget("http://user@example.com/?access_token=SECRET");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().message.find("SECRET"), std::string::npos);
  EXPECT_EQ(parsed.error().message.find("example.com"), std::string::npos);
}

TEST(RequestTarget, LongestAcceptedHostAndTarget) {
  const std::string host = std::string(63, 'a') + "." + std::string(63, 'b') + "." +
                           std::string(63, 'c') + "." + std::string(61, 'd');
  ASSERT_EQ(host.size(), 253u);
  EXPECT_TRUE(parseAuthorityTarget(host + ":443").ok());
  std::string target = "http://" + host + "/";
  target += std::string(kMaxRequestTargetBytes - target.size(), 'x');
  ASSERT_EQ(target.size(), kMaxRequestTargetBytes);
  auto parsed = parseAbsoluteTarget(target);
  ASSERT_TRUE(parsed.ok()) << parsed.error().describe();
  EXPECT_EQ(parsed->originForm.size(), kMaxRequestTargetBytes - 7 - host.size());
}

TEST(RequestTarget, FormatAuthorityBracketsIpv6Only) {
  EXPECT_EQ(formatAuthority({"example.com", 80}), "example.com:80");
  EXPECT_EQ(formatAuthority({"10.0.0.1", 8080}), "10.0.0.1:8080");
  EXPECT_EQ(formatAuthority({"2001:db8::1", 443}), "[2001:db8::1]:443");
}

}  // namespace
}  // namespace tessera::edge
