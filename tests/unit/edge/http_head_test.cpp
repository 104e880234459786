#include "edge/http_head.hpp"

#include <gtest/gtest.h>

#include <string>

namespace tessera::edge {
namespace {

RequestHead getHead() {
  RequestHead head;
  head.method = "GET";
  head.target = "/reports?year=2026";
  head.headers.add("Host", "api.example.com");
  head.headers.add("Accept", "*/*");
  return head;
}

TEST(HttpHead, SerializesTheRequestLineAndFieldsInOrder) {
  std::string out;
  ASSERT_TRUE(appendRequestHead(out, getHead(), std::nullopt));
  EXPECT_EQ(out, "GET /reports?year=2026 HTTP/1.1\r\nHost: api.example.com\r\nAccept: */*\r\n\r\n");
}

TEST(HttpHead, AppendsToWhatIsAlreadyThere) {
  std::string out = "prefix|";
  ASSERT_TRUE(appendRequestHead(out, getHead(), std::nullopt));
  EXPECT_EQ(out.rfind("prefix|GET ", 0), 0u);
}

TEST(HttpHead, AnHttp10RequestGoesOutAsHttp11) {
  auto head = getHead();
  head.version = 10;
  std::string out;
  ASSERT_TRUE(appendRequestHead(out, head, std::nullopt));
  EXPECT_EQ(out.rfind("GET /reports?year=2026 HTTP/1.1\r\n", 0), 0u);
}

TEST(HttpHead, AContentLengthReplacesTheClientsFraming) {
  auto head = getHead();
  head.method = "PUT";
  head.headers.add("content-length", "99");
  head.headers.add("Transfer-Encoding", "chunked");
  std::string out;
  ASSERT_TRUE(appendRequestHead(out, head, 12));
  EXPECT_EQ(out.find("content-length: 99"), std::string::npos);
  EXPECT_EQ(out.find("Transfer-Encoding"), std::string::npos);
  EXPECT_NE(out.find("\r\nContent-Length: 12\r\n\r\n"), std::string::npos);
}

TEST(HttpHead, WithoutALengthTheClientsContentLengthStays) {
  auto head = getHead();
  head.headers.add("Content-Length", "0");
  std::string out;
  ASSERT_TRUE(appendRequestHead(out, head, std::nullopt));
  EXPECT_NE(out.find("\r\nContent-Length: 0\r\n\r\n"), std::string::npos);
}

TEST(HttpHead, AValueWithCrOrLfIsRefusedNamingTheFieldButNotTheValue) {
  for (const std::string& bad : {std::string("Bearer x\r\nX-Evil: 1"), std::string("Bearer x\ny"),
                                 std::string("a\0b", 3), std::string("a\x7f")}) {
    auto head = getHead();
    head.headers.set("Authorization", bad);
    std::string out;
    auto result = appendRequestHead(out, head, std::nullopt);
    ASSERT_FALSE(result) << "accepted a value with a control character";
    EXPECT_EQ(result.error().code, ErrorCode::kHttpUpstream);
    EXPECT_NE(result.error().message.find("Authorization"), std::string::npos);
    EXPECT_EQ(result.error().message.find("Bearer"), std::string::npos);
  }
}

TEST(HttpHead, TabsAndObsTextInValuesAreKept) {
  auto head = getHead();
  head.headers.add("X-Note", "a\tb \xe2\x82\xac");
  std::string out;
  ASSERT_TRUE(appendRequestHead(out, head, std::nullopt));
  EXPECT_NE(out.find("X-Note: a\tb \xe2\x82\xac\r\n"), std::string::npos);
}

TEST(HttpHead, BadNamesMethodsAndTargetsAreRefused) {
  {
    auto head = getHead();
    head.headers.add("X Bad", "v");
    std::string out;
    EXPECT_FALSE(appendRequestHead(out, head, std::nullopt));
  }
  {
    auto head = getHead();
    head.headers.add("", "v");
    std::string out;
    EXPECT_FALSE(appendRequestHead(out, head, std::nullopt));
  }
  for (const std::string method : {"", "GE T", "GET\r\n"}) {
    auto head = getHead();
    head.method = method;
    std::string out;
    EXPECT_FALSE(appendRequestHead(out, head, std::nullopt)) << method;
  }
  for (const std::string& target :
       {std::string(), std::string("/a b"), std::string("/a\r\nHost: x"), std::string("/a\0", 3)}) {
    auto head = getHead();
    head.target = target;
    std::string out;
    EXPECT_FALSE(appendRequestHead(out, head, std::nullopt)) << target;
  }
}

}  // namespace
}  // namespace tessera::edge
