#include "credentials/form_encoding.hpp"

#include <gtest/gtest.h>

#include "credentials/upstream_response.hpp"

namespace tessera::credentials {
namespace {

TEST(FormEncodingTest, KeepsUnreservedWritesSpaceAsPlusAndEscapesTheRest) {
  EXPECT_EQ(formEncode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(formEncode("a b"), "a+b");
  EXPECT_EQ(formEncode("  "), "++");
  EXPECT_EQ(formEncode(" x "), "+x+");
  EXPECT_EQ(formEncode("a+b&c=d/e:f%"), "a%2Bb%26c%3Dd%2Fe%3Af%25");
  EXPECT_EQ(formEncode("\xC3\xA9"), "%C3%A9");
  EXPECT_EQ(formEncode(""), "");
}

TEST(FormEncodingTest, BodyKeepsOrderAndRepeatedNamesAndRoundTrips) {
  const net::QueryParams fields = {{"a", "1"}, {"scope", "x y"}, {"a", "2&3"}, {"e", ""}};
  const std::string body = formBody(fields);
  EXPECT_EQ(body, "a=1&scope=x+y&a=2%263&e=");
  EXPECT_EQ(net::parseQuery(body).value(), fields);
  EXPECT_EQ(formBody({}), "");
}

TEST(UpstreamResponseTest, RetriesOnlyWhatTheUpstreamSaysMayPassLater) {
  EXPECT_TRUE(retryHelps(makeError(ErrorCode::kUnavailable, "")));
  EXPECT_TRUE(retryHelps(makeError(ErrorCode::kTooManyRequests, "")));
  EXPECT_FALSE(retryHelps(makeError(ErrorCode::kPermissionDenied, "")));
  EXPECT_FALSE(retryHelps(makeError(ErrorCode::kConfigInvalid, "")));
  EXPECT_FALSE(retryHelps(makeError(ErrorCode::kHttpUpstream, "")));
}

TEST(UpstreamResponseTest, UnexplainedStatusesByClass) {
  EXPECT_EQ(unexplainedStatus("X", 503).code, ErrorCode::kUnavailable);
  EXPECT_EQ(unexplainedStatus("X", 500).code, ErrorCode::kUnavailable);
  EXPECT_EQ(unexplainedStatus("X", 429).code, ErrorCode::kTooManyRequests);
  EXPECT_EQ(unexplainedStatus("X", 400).code, ErrorCode::kHttpUpstream);
  EXPECT_EQ(unexplainedStatus("X", 302).code, ErrorCode::kHttpUpstream);
  EXPECT_NE(unexplainedStatus("Svc", 418).message.find("Svc answered HTTP 418"), std::string::npos);
}

TEST(UpstreamResponseTest, MeaningsComeFromTheTableAndTheStatusDecidesRetries) {
  constexpr UpstreamMeaning kTable[] = {{"Denied", ErrorCode::kPermissionDenied, "hint"},
                                        {"Busy", ErrorCode::kUnavailable, "later"}};
  EXPECT_EQ(findMeaning(kTable, "Busy"), &kTable[1]);
  EXPECT_EQ(findMeaning(kTable, "busy"), nullptr) << "codes are case-sensitive";
  EXPECT_EQ(meaningOf(kTable, "Denied", 400).errorCode, ErrorCode::kPermissionDenied);
  EXPECT_EQ(meaningOf(kTable, "Denied", 400).hint, "hint");
  EXPECT_EQ(meaningOf(kTable, "Denied", 503).errorCode, ErrorCode::kUnavailable);
  EXPECT_EQ(meaningOf(kTable, "Denied", 429).errorCode, ErrorCode::kTooManyRequests);
  EXPECT_EQ(meaningOf(kTable, "Busy", 400).errorCode, ErrorCode::kUnavailable);
  EXPECT_EQ(meaningOf(kTable, "New", 400).errorCode, ErrorCode::kHttpUpstream);
  EXPECT_EQ(meaningOf(kTable, "New", 401).errorCode, ErrorCode::kPermissionDenied);
  EXPECT_EQ(meaningOf(kTable, "New", 403).errorCode, ErrorCode::kPermissionDenied);
  EXPECT_EQ(meaningOf(kTable, "New", 500).errorCode, ErrorCode::kUnavailable);
  EXPECT_EQ(meaningOf(kTable, "New", 400).code, "New");
}

TEST(UpstreamResponseTest, EndpointsMustBeHttpsOrLoopbackHttp) {
  EXPECT_TRUE(checkEndpoint("X", "https://sts.amazonaws.com/").ok());
  EXPECT_TRUE(checkEndpoint("X", "http://127.0.0.1:8080/token").ok());
  EXPECT_TRUE(checkEndpoint("X", "http://localhost:1/").ok());
  EXPECT_EQ(checkEndpoint("X", "http://sts.amazonaws.com/").error().code,
            ErrorCode::kConfigInvalid);
  EXPECT_EQ(checkEndpoint("X", "ftp://x/").error().code, ErrorCode::kConfigInvalid);
  EXPECT_EQ(checkEndpoint("X", "").error().code, ErrorCode::kConfigInvalid);
}

TEST(UpstreamResponseTest, QuotingReplacesControlCharactersAndCuts) {
  EXPECT_EQ(quoteUpstream("a\r\nb\"c"), "\"a??b?c\"");
  EXPECT_EQ(quoteUpstream(std::string(10, 'x'), 4), "\"xxxx...\"");
}

TEST(UpstreamResponseTest, JsonBodiesAreStrictObjectsWithinTheSizeLimit) {
  EXPECT_TRUE(parseJsonObject("X", R"({"a":1})").ok());
  EXPECT_EQ(parseJsonObject("X", "[1]").error().code, ErrorCode::kHttpUpstream);
  EXPECT_EQ(parseJsonObject("X", "<html>").error().code, ErrorCode::kHttpUpstream);
  EXPECT_EQ(parseJsonObject("X", R"({"a":1,"a":2})").error().code, ErrorCode::kHttpUpstream);
  const std::string big = R"({"a":")" + std::string(kMaxUpstreamBodyBytes, 'x') + "\"}";
  EXPECT_EQ(parseJsonObject("X", big).error().code, ErrorCode::kHttpUpstream);
  const nlohmann::json o = {{"s", "v"}, {"n", 1}, {"z", nullptr}};
  EXPECT_EQ(requiredString("X", o, "s").value(), "v");
  EXPECT_EQ(optionalString("X", o, "missing").value(), "");
  EXPECT_EQ(optionalString("X", o, "z").value(), "");
  EXPECT_FALSE(requiredString("X", o, "missing").ok());
  EXPECT_FALSE(optionalString("X", o, "n").ok());
  EXPECT_FALSE(requiredString("X", o, "s", 0).ok());
  EXPECT_FALSE(requiredString("X", nlohmann::json{{"s", ""}}, "s").ok());
}

}  // namespace
}  // namespace tessera::credentials
