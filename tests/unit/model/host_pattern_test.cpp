#include "model/host_pattern.hpp"

#include <gtest/gtest.h>

#include <string>

namespace tessera::model {
namespace {

std::string problem(std::string_view pattern) {
  auto p = hostPatternProblem(pattern);
  return p ? *p : std::string("(accepted)");
}

TEST(ModelHostPattern, AcceptsExactNamesWildcardsAndIpLiterals) {
  EXPECT_EQ(hostPatternProblem("api.example.com"), std::nullopt);
  EXPECT_EQ(hostPatternProblem("localhost"), std::nullopt);
  EXPECT_EQ(hostPatternProblem("*.s3.amazonaws.com"), std::nullopt);
  EXPECT_EQ(hostPatternProblem("*.example.com"), std::nullopt);
  EXPECT_EQ(hostPatternProblem("10.1.2.3"), std::nullopt);
  EXPECT_EQ(hostPatternProblem("2001:db8::1"), std::nullopt);
  EXPECT_EQ(hostPatternProblem("::1"), std::nullopt);
  EXPECT_EQ(hostPatternProblem("my_service.internal"), std::nullopt);
  EXPECT_EQ(hostPatternProblem("a-b.c-d.example"), std::nullopt);
  EXPECT_EQ(hostPatternProblem("3com.example.com"), std::nullopt);
}

TEST(ModelHostPattern, AcceptsLabelOf63AndNameOf253Characters) {
  EXPECT_EQ(hostPatternProblem(std::string(63, 'a') + ".com"), std::nullopt);
  // 4 labels of 63 and a dot between: 4 * 63 + 3 = 255; trim to 253.
  std::string name = std::string(63, 'a') + "." + std::string(63, 'b') + "." +
                     std::string(63, 'c') + "." + std::string(61, 'd');
  ASSERT_EQ(name.size(), 253u);
  EXPECT_EQ(hostPatternProblem(name), std::nullopt);
}

TEST(ModelHostPattern, RefusesBareStarAndTopLevelWildcards) {
  EXPECT_NE(problem("*").find("must not be a bare '*'"), std::string::npos);
  EXPECT_NE(problem("*.com").find("must not be a top-level wildcard"), std::string::npos);
  EXPECT_NE(problem("*.internal").find("top-level wildcard"), std::string::npos);
}

TEST(ModelHostPattern, RefusesStarsOutsideTheWholeLeftmostLabel) {
  EXPECT_NE(problem("foo*.example.com").find("may use '*' only as the whole leftmost label"),
            std::string::npos);
  EXPECT_NE(problem("a.*.example.com").find("may use '*' only as the whole leftmost label"),
            std::string::npos);
  EXPECT_NE(problem("*.*.example.com").find("may use '*' only"), std::string::npos);
  EXPECT_NE(problem("**.example.com").find("may use '*' only"), std::string::npos);
  EXPECT_NE(problem("example.*").find("may use '*' only"), std::string::npos);
}

TEST(ModelHostPattern, RefusesMalformedNamesWithTheReason) {
  EXPECT_EQ(problem(""), "must not be empty");
  EXPECT_EQ(problem("API.example.com"), "must be lower case");
  EXPECT_EQ(problem("*.Example.com"), "must be lower case");
  EXPECT_EQ(problem("api.example.com."), "must not end with '.'");
  EXPECT_EQ(problem("api..example.com"), "has an empty label");
  EXPECT_EQ(problem(".example.com"), "has an empty label");
  EXPECT_EQ(problem(std::string(64, 'a') + ".com"), "has a label longer than 63 characters");
  EXPECT_EQ(problem(std::string(254, 'a')), "must be at most 253 characters long");
  EXPECT_EQ(problem("-api.example.com"), "has a label that starts or ends with '-'");
  EXPECT_EQ(problem("api-.example.com"), "has a label that starts or ends with '-'");
  EXPECT_NE(problem("api example.com").find("has an invalid character ' '"), std::string::npos);
  EXPECT_NE(problem("api.example.com:443").find("has an invalid character ':'"), std::string::npos);
  EXPECT_NE(problem("[::1]").find("has an invalid character '['"), std::string::npos);
}

TEST(ModelHostPattern, RefusesNumericTopLevelLabelsThatAreNotAddresses) {
  EXPECT_EQ(problem("1.2.3.999"), "is neither a valid IP address nor a host name");
  EXPECT_EQ(problem("1.2.3"), "is neither a valid IP address nor a host name");
  EXPECT_EQ(problem("example.123"), "is neither a valid IP address nor a host name");
  EXPECT_EQ(problem("*.example.123"), "is neither a valid IP address nor a host name");
  EXPECT_EQ(problem("256.1.1.1"), "is neither a valid IP address nor a host name");
}

TEST(ModelHostPattern, IsWildcardOnlyForStarDotPrefix) {
  EXPECT_TRUE(isWildcardHostPattern("*.example.com"));
  EXPECT_FALSE(isWildcardHostPattern("example.com"));
  EXPECT_FALSE(isWildcardHostPattern("*"));
  EXPECT_FALSE(isWildcardHostPattern("10.0.0.1"));
}

TEST(ModelHostPattern, ExactPatternMatchesCaseInsensitivelyWithTrailingDot) {
  EXPECT_TRUE(hostMatches("api.example.com", "api.example.com"));
  EXPECT_TRUE(hostMatches("api.example.com", "API.Example.COM"));
  EXPECT_TRUE(hostMatches("api.example.com", "api.example.com."));
  EXPECT_FALSE(hostMatches("api.example.com", "api.example.com.."));
  EXPECT_FALSE(hostMatches("api.example.com", "x.api.example.com"));
  EXPECT_FALSE(hostMatches("api.example.com", "example.com"));
  EXPECT_FALSE(hostMatches("api.example.com", ""));
  EXPECT_TRUE(hostMatches("10.0.0.1", "10.0.0.1"));
  EXPECT_FALSE(hostMatches("10.0.0.1", "10.0.0.10"));
  EXPECT_TRUE(hostMatches("2001:db8::1", "2001:DB8::1"));
}

TEST(ModelHostPattern, WildcardMatchesExactlyOneLabel) {
  EXPECT_TRUE(hostMatches("*.s3.amazonaws.com", "bucket.s3.amazonaws.com"));
  EXPECT_TRUE(hostMatches("*.s3.amazonaws.com", "Bucket.S3.AmazonAWS.com"));
  EXPECT_TRUE(hostMatches("*.s3.amazonaws.com", "bucket.s3.amazonaws.com."));
  EXPECT_TRUE(hostMatches("*.s3.amazonaws.com", "b.s3.amazonaws.com"));
  EXPECT_FALSE(hostMatches("*.s3.amazonaws.com", "a.b.s3.amazonaws.com"));
  EXPECT_FALSE(hostMatches("*.s3.amazonaws.com", "s3.amazonaws.com"));
  EXPECT_FALSE(hostMatches("*.s3.amazonaws.com", "s3.amazonaws.com."));
  EXPECT_FALSE(hostMatches("*.s3.amazonaws.com", ".s3.amazonaws.com"));
  EXPECT_FALSE(hostMatches("*.s3.amazonaws.com", "buckets3.amazonaws.com"));
  EXPECT_FALSE(hostMatches("*.s3.amazonaws.com", "bucket.s3.amazonaws.com.evil.com"));
  EXPECT_FALSE(hostMatches("*.s3.amazonaws.com", "bucket.s4.amazonaws.com"));
  EXPECT_FALSE(hostMatches("*.s3.amazonaws.com", ""));
}

}  // namespace
}  // namespace tessera::model
