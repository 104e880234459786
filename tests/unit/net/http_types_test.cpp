#include "net/http_types.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace tessera::net {
namespace {

TEST(Headers, CaseInsensitiveAndRepeatable) {
  Headers h;
  h.add("Content-Type", "text/plain");
  h.add("X-Multi", "1");
  h.add("x-multi", "2");
  EXPECT_EQ(h.get("content-type"), "text/plain");
  EXPECT_EQ(h.get("X-MULTI"), "1");
  EXPECT_EQ(h.size(), 3u);
  h.set("X-Multi", "3");
  EXPECT_EQ(h.size(), 2u);
  EXPECT_EQ(h.get("x-multi"), "3");
  h.remove("CONTENT-TYPE");
  EXPECT_FALSE(h.contains("Content-Type"));
}

TEST(HttpTypes, ErrorResponseShape) {
  const auto res = errorResponse(makeError(ErrorCode::kPayloadTooLarge, "too big"));
  EXPECT_EQ(res.status, 413);
  EXPECT_EQ(res.headers.get("Content-Type"), "application/json");
  EXPECT_EQ(res.headers.get("Cache-Control"), "no-store");
  const auto body = nlohmann::json::parse(res.body);
  EXPECT_EQ(body, (nlohmann::json{{"error", "payload_too_large"}, {"message", "too big"}}));
}

TEST(HttpTypes, JsonResponse) {
  const auto res = jsonResponse(201, nlohmann::json{{"a", 1}});
  EXPECT_EQ(res.status, 201);
  EXPECT_EQ(res.body, R"({"a":1})");
  EXPECT_EQ(res.headers.get("Content-Type"), "application/json");
  EXPECT_FALSE(res.headers.contains("Cache-Control"));
}

TEST(HttpTypes, PercentDecoding) {
  EXPECT_EQ(percentDecode("a%20b%2Fc"), "a b/c");
  EXPECT_EQ(percentDecode("a+b"), "a+b");
  EXPECT_EQ(percentDecode("a+b", true), "a b");
  EXPECT_FALSE(percentDecode("%2"));
  EXPECT_FALSE(percentDecode("%zz"));
  EXPECT_FALSE(percentDecode("abc%"));
  EXPECT_EQ(percentEncode("a b/~"), "a%20b%2F~");
}

TEST(HttpTypes, QueryParsing) {
  auto q = parseQuery("a=1&b=x%20y&&c&a=2&d=e+f");
  ASSERT_TRUE(q);
  ASSERT_EQ(q->size(), 5u);
  EXPECT_EQ((*q)[1], (std::pair<std::string, std::string>{"b", "x y"}));
  EXPECT_EQ((*q)[2], (std::pair<std::string, std::string>{"c", ""}));
  EXPECT_EQ((*q)[4].second, "e f");
  EXPECT_FALSE(parseQuery("a=%g1"));
}

TEST(HttpTypes, JsonBody) {
  Request req;
  req.body = R"({"x": 1})";
  EXPECT_EQ(req.jsonBody().error().code, ErrorCode::kUnsupportedMediaType);
  req.headers.set("Content-Type", "Application/JSON; charset=utf-8");
  ASSERT_TRUE(req.jsonBody());
  EXPECT_EQ((*req.jsonBody())["x"], 1);
  req.body = "{";
  EXPECT_EQ(req.jsonBody().error().code, ErrorCode::kJsonInvalid);
}

}  // namespace
}  // namespace tessera::net
