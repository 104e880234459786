// The signer's rules beyond the test suite: path and query canonical forms, which headers are
// signed and replaced, presign limits, and errors that name what is wrong.
#include "sigv4/signer.hpp"

#include <gtest/gtest.h>

namespace tessera::sigv4 {
namespace {

const Credentials kCredentials{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
const SystemTime k20150830 = fromUnixSeconds(1440938160);  // 2015-08-30T12:36:00Z

SigningParams params(std::string service = "service") {
  SigningParams p;
  p.region = "us-east-1";
  p.service = std::move(service);
  p.time = k20150830;
  return p;
}

Request get(std::string path, std::string query = "") {
  Request r;
  r.method = "GET";
  r.path = std::move(path);
  r.query = std::move(query);
  r.headers = {{"Host", "example.amazonaws.com"}};
  return r;
}

std::string header(const HeaderSignature& s, std::string_view name) {
  for (const auto& [n, v] : s.headers) {
    if (n == name) {
      return v;
    }
  }
  return "";
}

TEST(SigV4, SigningKeysOfTheAwsDocumentation) {
  EXPECT_EQ(crypto::toHex(signingKey(kCredentials.secretAccessKey, "20150830", "us-east-1", "iam")),
            "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");
  EXPECT_EQ(
      crypto::toHex(signingKey(kCredentials.secretAccessKey, "20150830", "us-east-1", "service")),
      "938127b5336810ddb6a5d6af445fcac9e371f9ed418ed386b022aed82901be75");
  EXPECT_EQ(amzDate(k20150830), "20150830T123600Z");
  EXPECT_EQ(credentialScope(k20150830, "eu-west-1", "s3"), "20150830/eu-west-1/s3/aws4_request");
}

TEST(SigV4, CanonicalPath) {
  EXPECT_EQ(canonicalPath("", false, true), "/");
  EXPECT_EQ(canonicalPath("", true, false), "/");
  // Every service but S3: normalized, then encoded once more (what is on the wire gets encoded).
  EXPECT_EQ(canonicalPath("/a%20b/c", false, true), "/a%2520b/c");
  EXPECT_EQ(canonicalPath("/a/./b/../c//d/", false, true), "/a/c/d/");
  EXPECT_EQ(canonicalPath("/../..", false, true), "/");
  EXPECT_EQ(canonicalPath("/a/./b", false, false), "/a/./b");
  EXPECT_EQ(canonicalPath("/~user/x-y_z.txt", false, true), "/~user/x-y_z.txt");
  EXPECT_EQ(canonicalPath("/\xe1\x88\xb4", false, true), "/%E1%88%B4");
  // S3: exactly as sent.
  EXPECT_EQ(canonicalPath("/bucket/my%20key//a/../b", true, true), "/bucket/my%20key//a/../b");
}

TEST(SigV4, CanonicalQuery) {
  EXPECT_EQ(*canonicalQuery(""), "");
  EXPECT_EQ(*canonicalQuery("b=2&a=1"), "a=1&b=2");
  // By name, then value; a name without '=' has an empty value.
  EXPECT_EQ(*canonicalQuery("Param-3=x&Param=b&Param=a&flag"), "Param=a&Param=b&Param-3=x&flag=");
  // Decoded, then encoded with the unreserved set: encodings converge; '+' is a literal plus.
  EXPECT_EQ(*canonicalQuery("k=a%20b&l=a+b&m=%7e&n=%2f"), "k=a%20b&l=a%2Bb&m=~&n=%2F");
  EXPECT_EQ(*canonicalQuery("&&a=1&"), "a=1");
  for (const char* bad : {"a=%", "a=%4", "a=%G1", "%zz=1"}) {
    auto r = canonicalQuery(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(r.error().message.find("percent-escape"), std::string::npos);
  }
}

// What the edge does: the client signed with placeholder keys; the edge's signature must not
// depend on anything the client put there.
TEST(SigV4, ThePlaceholderSignatureIsReplaced) {
  Credentials grant = kCredentials;
  grant.sessionToken = "FwoGZXIvYXdzEXAMPLE";
  const auto clean = signHeaders(get("/"), grant, params());
  Request placeholder = get("/");
  placeholder.headers.emplace_back("X-Amz-Date", "20991231T000000Z");
  placeholder.headers.emplace_back("x-amz-security-token", "placeholder");
  placeholder.headers.emplace_back(
      "Authorization",
      "AWS4-HMAC-SHA256 Credential=PLACEHOLDER/20991231/us-east-1/service/aws4_request, "
      "SignedHeaders=host;x-amz-date, Signature=0000");
  const auto resigned = signHeaders(placeholder, grant, params());
  ASSERT_TRUE(clean.ok() && resigned.ok());
  EXPECT_EQ(resigned->signature, clean->signature);
  EXPECT_EQ(resigned->canonicalRequest.find("placeholder"), std::string::npos);
  EXPECT_EQ(header(*resigned, "X-Amz-Security-Token"), "FwoGZXIvYXdzEXAMPLE");
  EXPECT_EQ(header(*resigned, "X-Amz-Date"), "20150830T123600Z");
  EXPECT_EQ(resigned->signedHeaders, "host;x-amz-date;x-amz-security-token");
  EXPECT_TRUE(
      header(*resigned, "Authorization").starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"));
}

TEST(SigV4, WhichHeadersAreSigned) {
  Request r = get("/");
  r.headers.emplace_back("User-Agent", "aws-cli/2");
  r.headers.emplace_back("Connection", "keep-alive");
  r.headers.emplace_back("Cache-Control", "no-cache");
  r.headers.emplace_back("Proxy-Connection", "keep-alive");
  r.headers.emplace_back("Sec-Fetch-Mode", "cors");
  r.headers.emplace_back("Content-Type", "application/json");
  r.headers.emplace_back("X-Amz-Target", "Service.Op");
  auto all = signHeaders(r, kCredentials, params());
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->signedHeaders, "content-type;host;x-amz-date;x-amz-target");
  // The client's list (as the edge passes it): host and x-amz-date are always in.
  auto p = params();
  p.signedHeaders = {"x-amz-target", "not-sent"};
  auto chosen = signHeaders(r, kCredentials, p);
  ASSERT_TRUE(chosen.ok());
  EXPECT_EQ(chosen->signedHeaders, "host;x-amz-date;x-amz-target");
}

TEST(SigV4, S3ContentSha256IsAddedAndSigned) {
  auto p = params("s3");
  p.s3PathRules = true;
  p.addContentSha256 = true;
  p.payloadHash = std::string(kUnsignedPayload);
  Request r = get("/bucket/key%20name");
  r.headers.emplace_back("x-amz-content-sha256", "client-value");
  auto s = signHeaders(r, kCredentials, p);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(header(*s, "x-amz-content-sha256"), "UNSIGNED-PAYLOAD");
  EXPECT_NE(s->canonicalRequest.find("\n/bucket/key%20name\n"), std::string::npos);
  EXPECT_NE(s->canonicalRequest.find("x-amz-content-sha256:UNSIGNED-PAYLOAD\n"), std::string::npos);
  EXPECT_EQ(s->canonicalRequest.find("client-value"), std::string::npos);
  EXPECT_TRUE(s->canonicalRequest.ends_with("\nUNSIGNED-PAYLOAD"));
}

TEST(SigV4, PresignReplacesTheClientsParametersAndBoundsExpiry) {
  auto p = params("s3");
  p.s3PathRules = true;
  p.payloadHash = std::string(kUnsignedPayload);
  Credentials grant = kCredentials;
  grant.sessionToken = "tok/en+=";
  Request r = get("/bucket/key",
                  "versionId=3&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=PLACEHOLDER&"
                  "X-Amz-Signature=00&X-Amz-Security-Token=old");
  auto s = presign(r, grant, p, std::chrono::seconds(900));
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_TRUE(
      s->query.starts_with("versionId=3&X-Amz-Algorithm=AWS4-HMAC-SHA256&"
                           "X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fs3%2F"
                           "aws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=900&"
                           "X-Amz-SignedHeaders=host&X-Amz-Security-Token=tok%2Fen%2B%3D&"
                           "X-Amz-Signature="))
      << s->query;
  EXPECT_EQ(s->query.find("PLACEHOLDER"), std::string::npos);
  EXPECT_EQ(s->query.find("old"), std::string::npos);
  EXPECT_TRUE(s->canonicalRequest.ends_with("\nUNSIGNED-PAYLOAD"));
  for (int seconds : {0, 604801}) {
    auto refused = presign(r, grant, p, std::chrono::seconds(seconds));
    ASSERT_FALSE(refused.ok()) << seconds;
    EXPECT_NE(refused.error().message.find("604800"), std::string::npos);
  }
  EXPECT_TRUE(presign(r, grant, p, kMaxPresignExpiry).ok());
}

TEST(SigV4, ErrorsNameWhatIsWrong) {
  Request noHost = get("/");
  noHost.headers.clear();
  EXPECT_NE(signHeaders(noHost, kCredentials, params()).error().message.find("Host"),
            std::string::npos);
  EXPECT_NE(signHeaders(get("/"), Credentials{}, params()).error().message.find("access key"),
            std::string::npos);
  auto p = params();
  p.region = "us east";
  EXPECT_NE(signHeaders(get("/"), kCredentials, p).error().message.find("region"),
            std::string::npos);
  p = params();
  p.service = "";
  EXPECT_NE(signHeaders(get("/"), kCredentials, p).error().message.find("service"),
            std::string::npos);
  Request noMethod = get("/");
  noMethod.method.clear();
  EXPECT_NE(signHeaders(noMethod, kCredentials, params()).error().message.find("method"),
            std::string::npos);
  EXPECT_NE(signHeaders(get("/", "a=%x"), kCredentials, params()).error().message.find("query"),
            std::string::npos);
}

}  // namespace
}  // namespace tessera::sigv4
