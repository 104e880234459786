#include "edge/simple_http_head.hpp"

#include <gtest/gtest.h>

#include <array>
#include <random>
#include <string>

#include "simple_http_head_oracle.hpp"

namespace tessera::edge {
namespace {

constexpr std::size_t kMax = 64 * 1024;

SimpleHead request(std::string_view bytes, SimpleRequestHead& out) {
  return parseSimpleRequestHead(bytes, kMax, out);
}

SimpleHead response(std::string_view bytes, SimpleResponseHead& out, bool head = false) {
  return parseSimpleResponseHead(bytes, kMax, head, out);
}

SimpleHead requestKind(std::string_view bytes) {
  SimpleRequestHead out;
  return request(bytes, out);
}

SimpleHead responseKind(std::string_view bytes, bool head = false) {
  SimpleResponseHead out;
  return response(bytes, out, head);
}

const std::string kWrkGet = "GET http://127.0.0.1:8080/ HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n";

TEST(SimpleHttpHead, ReadsAProxyGet) {
  SimpleRequestHead out;
  ASSERT_EQ(request(kWrkGet, out), SimpleHead::kSimple);
  EXPECT_EQ(out.size, kWrkGet.size());
  EXPECT_EQ(out.method, "GET");
  EXPECT_EQ(out.target, "http://127.0.0.1:8080/");
  ASSERT_EQ(out.fields.size(), 1u);
  EXPECT_EQ(out.fields[0].name, "Host");
  EXPECT_EQ(out.fields[0].value, "127.0.0.1:8080");
  EXPECT_TRUE(out.keepAlive);
}

TEST(SimpleHttpHead, TrimsValuesAndKeepsFieldsInOrderWithTheirSpelling) {
  const std::string bytes =
      "DELETE http://a.example/x?y=1 HTTP/1.1\r\nhost: a.example\r\nX-Empty:\r\n"
      "Accept:  \t*/*  \t\r\nX-Inner: a  b\r\nContent-Length: 0\r\n\r\nNEXT";
  SimpleRequestHead out;
  ASSERT_EQ(request(bytes, out), SimpleHead::kSimple);
  EXPECT_EQ(out.size, bytes.size() - 4);
  ASSERT_EQ(out.fields.size(), 5u);
  EXPECT_EQ(out.fields[0].name, "host");
  EXPECT_EQ(out.fields[1].value, "");
  EXPECT_EQ(out.fields[2].value, "*/*");
  EXPECT_EQ(out.fields[3].value, "a  b");
  EXPECT_EQ(out.fields[4].value, "0");
}

TEST(SimpleHttpHead, ConnectionCloseEndsKeepAlive) {
  SimpleRequestHead out;
  ASSERT_EQ(request("GET http://a/ HTTP/1.1\r\nConnection: Close\r\n\r\n", out),
            SimpleHead::kSimple);
  EXPECT_FALSE(out.keepAlive);
  ASSERT_EQ(request("GET http://a/ HTTP/1.1\r\nConnection: keep-alive\r\n\r\n", out),
            SimpleHead::kSimple);
  EXPECT_TRUE(out.keepAlive);
}

TEST(SimpleHttpHead, EveryPrefixOfAHeadIsIncomplete) {
  for (std::size_t n = 0; n < kWrkGet.size(); ++n) {
    EXPECT_EQ(requestKind(kWrkGet.substr(0, n)), SimpleHead::kIncomplete) << n;
  }
}

TEST(SimpleHttpHead, WhatTheFastPathDoesNotHandleIsNotSimple) {
  const std::array<std::string, 21> cases = {
      "POST http://a/ HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello",
      "POST http://a/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
      "PUT http://a/ HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n",
      "GET http://a/ HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
      "GET http://a/ HTTP/1.1\r\nConnection: close, X-Secret\r\n\r\n",
      "GET http://a/ HTTP/1.1\r\nConnection: close\r\nConnection: close\r\n\r\n",
      "GET http://a/ HTTP/1.1\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n",
      "GET http://a/ HTTP/1.1\r\nContent-Length: 00\r\n\r\n",
      "GET http://a/ HTTP/1.0\r\n\r\n",
      "GET http://a/ HTTP/2.0\r\n\r\n",
      "GET http://a/\r\n\r\n",
      "GET  http://a/ HTTP/1.1\r\n\r\n",
      "GET http://a/ HTTP/1.1 \r\n\r\n",
      "G@T http://a/ HTTP/1.1\r\n\r\n",
      "GET http://a/\x7f HTTP/1.1\r\n\r\n",
      "GET http://a/ HTTP/1.1\r\nX-Fold: a\r\n b\r\n\r\n",
      "GET http://a/ HTTP/1.1\r\nX-Bare: a\nb\r\n\r\n",
      "GET http://a/ HTTP/1.1\r\nX-Obs: caf\xc3\xa9\r\n\r\n",
      "GET http://a/ HTTP/1.1\r\nBad Name: a\r\n\r\n",
      "GET http://a/ HTTP/1.1\r\nNoColon\r\n\r\n",
      "GET http://a/ HTTP/1.1\r\n: empty-name\r\n\r\n",
  };
  for (const auto& bytes : cases) {
    EXPECT_EQ(requestKind(bytes), SimpleHead::kNotSimple) << bytes;
  }
  // A NUL in a value (a string_view: the literal holds it).
  EXPECT_EQ(requestKind(std::string_view("GET http://a/ HTTP/1.1\r\nX-Nul: a\0b\r\n\r\n", 39)),
            SimpleHead::kNotSimple);
}

TEST(SimpleHttpHead, LimitsTheHeadAndItsFields) {
  std::string many = "GET http://a/ HTTP/1.1\r\n";
  for (std::size_t i = 0; i < kMaxSimpleFields; ++i) {
    many += "X-" + std::to_string(i) + ": v\r\n";
  }
  EXPECT_EQ(requestKind(many + "\r\n"), SimpleHead::kSimple);
  EXPECT_EQ(requestKind(many + "X-One-More: v\r\n\r\n"), SimpleHead::kNotSimple);

  SimpleRequestHead out;
  EXPECT_EQ(parseSimpleRequestHead(kWrkGet, kWrkGet.size(), out), SimpleHead::kSimple);
  EXPECT_EQ(parseSimpleRequestHead(kWrkGet, kWrkGet.size() - 1, out), SimpleHead::kNotSimple);
  // Without an end, waiting stops at the limit: Beast answers 431 from there.
  const std::string endless = "GET http://a/ HTTP/1.1\r\nX-Long: " + std::string(200, 'a');
  EXPECT_EQ(parseSimpleRequestHead(endless, endless.size() + 1, out), SimpleHead::kIncomplete);
  EXPECT_EQ(parseSimpleRequestHead(endless, endless.size(), out), SimpleHead::kNotSimple);
}

TEST(SimpleHttpHead, ReadsALengthFramedResponse) {
  const std::string bytes =
      "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Length: 12\r\nConnection: keep-alive\r\n\r\n"
      "hello world!";
  SimpleResponseHead out;
  ASSERT_EQ(response(bytes, out), SimpleHead::kSimple);
  EXPECT_EQ(out.size, bytes.size() - 12);
  EXPECT_EQ(out.status, 200u);
  EXPECT_EQ(out.reason, "OK");
  EXPECT_EQ(out.bodyLength, 12u);
  EXPECT_TRUE(out.keepAlive);
  ASSERT_EQ(out.fields.size(), 3u);

  ASSERT_EQ(
      response("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", out),
      SimpleHead::kSimple);
  EXPECT_EQ(out.bodyLength, 0u);
  EXPECT_FALSE(out.keepAlive);
}

TEST(SimpleHttpHead, ResponsesWithoutABody) {
  SimpleResponseHead out;
  ASSERT_EQ(response("HTTP/1.1 204 No Content\r\n\r\n", out), SimpleHead::kSimple);
  EXPECT_EQ(out.bodyLength, 0u);
  ASSERT_EQ(response("HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n", out), SimpleHead::kSimple);
  EXPECT_EQ(out.bodyLength, 0u);
  // HEAD: the length describes the body a GET would have had.
  ASSERT_EQ(response("HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n", out, true),
            SimpleHead::kSimple);
  EXPECT_EQ(out.bodyLength, 0u);
  ASSERT_EQ(response("HTTP/1.1 200 OK\r\n\r\n", out, true), SimpleHead::kSimple);
}

TEST(SimpleHttpHead, ResponsesForBeast) {
  const std::array<std::string, 13> cases = {
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
      "HTTP/1.1 200 OK\r\n\r\n",  // until the server closes
      "HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n",
      "HTTP/1.1 100 Continue\r\n\r\n",
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n",
      "HTTP/1.1 200 \r\nContent-Length: 1\r\n\r\n",
      "HTTP/1.1 200\r\nContent-Length: 1\r\n\r\n",
      "HTTP/1.1 2000 OK\r\nContent-Length: 1\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 1234567890123456789\r\n\r\n",
      "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nConnection: keep-alive, close\r\nContent-Length: 1\r\n\r\n",
  };
  for (const auto& bytes : cases) {
    EXPECT_EQ(responseKind(bytes), SimpleHead::kNotSimple) << bytes;
  }
}

// The differential run: seeds and random mutations of them (bytes replaced, inserted, removed,
// cut). Whatever this reader calls simple, Beast reads the same way; whatever it waits on, Beast
// waits on too.
TEST(SimpleHttpHead, AgreesWithBeastOnMutatedHeads) {
  const std::array<std::string, 6> requests = {
      kWrkGet,
      "GET http://api.example.com/v1/items?page=2 HTTP/1.1\r\nHost: api.example.com\r\n"
      "User-Agent: curl/7.88.1\r\nAccept: */*\r\nAuthorization: Bearer placeholder\r\n\r\n",
      "HEAD http://a:81/ HTTP/1.1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
      "POST http://a/ HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc",
      "GET http://a/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      "OPTIONS * HTTP/1.1\r\nX-A:b\r\nX-B:\t c \t\r\n\r\n",
  };
  const std::array<std::string, 5> responses = {
      "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Length: 2\r\n\r\nok",
      "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n"
      "Connection: close\r\n\r\nnot found\n",
      "HTTP/1.1 204 No Content\r\nDate: Tue, 01 Dec 2026 17:00:00 GMT\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
      "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 0\r\n\r\n",
  };
  static constexpr std::string_view kInteresting{" \t\r\n:,0a\x7f\x80\0Cc-", 14};
  std::mt19937 rng(20261201);
  auto mutate = [&](std::string s) {
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits && !s.empty(); ++e) {
      const std::size_t at = rng() % s.size();
      const char c =
          rng() % 2 ? kInteresting[rng() % kInteresting.size()] : static_cast<char>(rng() % 256);
      switch (rng() % 4) {
        case 0:
          s[at] = c;
          break;
        case 1:
          s.insert(s.begin() + static_cast<std::ptrdiff_t>(at), c);
          break;
        case 2:
          s.erase(at, 1);
          break;
        default:
          s.resize(at);
          break;
      }
    }
    return s;
  };
  std::size_t simple = 0;
  std::size_t incomplete = 0;
  std::size_t notSimple = 0;
  SimpleRequestHead req;
  SimpleResponseHead res;
  for (int i = 0; i < 40'000; ++i) {
    const std::string bytes =
        i % 10 == 0 ? requests[rng() % requests.size()] : mutate(requests[rng() % requests.size()]);
    const std::size_t limit = i % 7 == 0 ? 32 + rng() % 64 : kMax;
    switch (parseSimpleRequestHead(bytes, limit, req)) {
      case SimpleHead::kSimple:
        ++simple;
        ASSERT_EQ(testing::compareRequestWithBeast(bytes, limit, req), "") << bytes;
        break;
      case SimpleHead::kIncomplete:
        ++incomplete;
        ASSERT_TRUE(testing::beastWaitsForMore<true>(bytes, limit))
            << ::testing::PrintToString(bytes);
        break;
      case SimpleHead::kNotSimple:
        ++notSimple;
        break;
    }
  }
  for (int i = 0; i < 40'000; ++i) {
    const std::string bytes = i % 10 == 0 ? responses[rng() % responses.size()]
                                          : mutate(responses[rng() % responses.size()]);
    const bool head = rng() % 5 == 0;
    switch (parseSimpleResponseHead(bytes, kMax, head, res)) {
      case SimpleHead::kSimple:
        ++simple;
        ASSERT_EQ(testing::compareResponseWithBeast(bytes, kMax, head, res), "") << bytes;
        break;
      case SimpleHead::kIncomplete:
        ++incomplete;
        ASSERT_TRUE(testing::beastWaitsForMore<false>(bytes, kMax))
            << ::testing::PrintToString(bytes);
        break;
      case SimpleHead::kNotSimple:
        ++notSimple;
        break;
    }
  }
  // The run exercised all three answers in earnest.
  EXPECT_GT(simple, 10'000u);
  EXPECT_GT(incomplete, 5'000u);
  EXPECT_GT(notSimple, 10'000u);
}

}  // namespace
}  // namespace tessera::edge
