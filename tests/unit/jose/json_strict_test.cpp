#include "jose/json_strict.hpp"

#include <gtest/gtest.h>

#include <string>

namespace tessera::jose {
namespace {

TEST(JsonStrict, ParsesOrdinaryDocuments) {
  auto r = parseStrictJson(R"({"a":1,"b":[true,null,"x",{"c":-2.5}],"d":{"e":{}}})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)["a"], 1);
  EXPECT_EQ((*r)["b"][3]["c"], -2.5);
  EXPECT_TRUE((*r)["d"]["e"].is_object());
  auto scalar = parseStrictJson("  \"text\"  ");
  ASSERT_TRUE(scalar.ok());
  EXPECT_EQ(*scalar, "text");
  auto arr = parseStrictJson("[1,[2,[3]]]");
  ASSERT_TRUE(arr.ok());
  EXPECT_EQ((*arr)[1][1][0], 3);
}

TEST(JsonStrict, RejectsDuplicateMembersAtAnyDepth) {
  for (std::string_view doc : {R"({"a":1,"a":2})", R"({"x":{"a":1,"b":2,"a":3}})",
                               R"({"x":[{"k":1},{"k":1,"k":2}]})", R"({"alg":1,"\u0061lg":2})"}) {
    auto r = parseStrictJson(doc);
    ASSERT_FALSE(r.ok()) << doc;
    EXPECT_EQ(r.error().code, ErrorCode::kJsonDuplicateMember) << doc;
  }
  auto r = parseStrictJson(R"({"x":{"name":1,"name":2}})");
  EXPECT_NE(r.error().message.find("\"name\""), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("depth 2"), std::string::npos) << r.error().message;
  // The same name in different objects is fine.
  EXPECT_TRUE(parseStrictJson(R"({"a":{"a":{"a":1}},"b":[{"a":1},{"a":2}]})").ok());
}

TEST(JsonStrict, RejectsTrailingData) {
  for (std::string_view doc : {R"({"a":1}x)", R"({"a":1}{"b":2})", R"({"a":1} 1)", "[1]]"}) {
    auto r = parseStrictJson(doc);
    ASSERT_FALSE(r.ok()) << doc;
    EXPECT_EQ(r.error().code, ErrorCode::kJsonInvalid) << doc;
  }
  EXPECT_TRUE(parseStrictJson("{\"a\":1} \n\t").ok());
}

TEST(JsonStrict, RejectsNestingBeyondTheLimit) {
  const JsonLimits limits{.maxBytes = 1024, .maxDepth = 4};
  EXPECT_TRUE(parseStrictJson("[[[[1]]]]", limits).ok());
  auto r = parseStrictJson("[[[[[1]]]]]", limits);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kJsonTooDeep);
  EXPECT_EQ(parseStrictJson(R"({"a":{"b":{"c":{"d":{}}}}})", limits).error().code,
            ErrorCode::kJsonTooDeep);
  // A very deep document fails fast on depth, without recursion.
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  auto d = parseStrictJson(deep, JsonLimits{.maxBytes = 1 << 20, .maxDepth = 16});
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code, ErrorCode::kJsonTooDeep);
}

TEST(JsonStrict, RejectsOversizeInput) {
  auto r = parseStrictJson(R"({"a":"0123456789"})", JsonLimits{.maxBytes = 10, .maxDepth = 4});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kPayloadTooLarge);
}

TEST(JsonStrict, RejectsInvalidUtf8AndLoneSurrogates) {
  for (std::string_view doc : {"{\"a\":\"\xff\"}", "{\"a\":\"\xc3\"}", "{\"a\":\"\xed\xa0\x80\"}",
                               "{\"\xc0\xaf\":1}", R"({"a":"\ud800"})", R"({"a":"\udc00x"})"}) {
    auto r = parseStrictJson(doc);
    ASSERT_FALSE(r.ok()) << doc;
    EXPECT_EQ(r.error().code, ErrorCode::kJsonInvalid);
  }
  auto ok = parseStrictJson("{\"a\":\"caf\xc3\xa9 \\ud83d\\ude00\"}");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ((*ok)["a"], "caf\xc3\xa9 \xf0\x9f\x98\x80");
}

TEST(JsonStrict, RejectsSyntaxErrorsWithoutEchoingInput) {
  for (std::string_view doc :
       {"", "{", "{\"a\":}", "{'a':1}", "{\"a\":1,}", "[1,]", "NaN", "{\"a\":01}", "/*c*/{}"}) {
    auto r = parseStrictJson(doc);
    ASSERT_FALSE(r.ok()) << doc;
    EXPECT_EQ(r.error().code, ErrorCode::kJsonInvalid) << doc;
  }
  auto r = parseStrictJson(R"({"secret":"hunter2-secret-value" oops})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.find("hunter2"), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().message.find("oops"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace tessera::jose
