#include "credentials/aws_sts_wire.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "common/time_format.hpp"
#include "credentials/upstream_response.hpp"
#include "wire_test_support.hpp"

namespace tessera::credentials {
namespace {

using test::field;
using test::fieldNames;
using test::fieldValues;
using test::formFields;

constexpr std::string_view kRoleArn = "arn:aws:iam::123456789012:role/FederatedWebIdentityRole";
constexpr std::int64_t kT = 1777629600;  // 2026-05-01T10:00:00Z

AssumeRoleWithWebIdentityRequest request() {
  return {.endpoint = "https://sts.us-east-1.amazonaws.com/",
          .roleArn = std::string(kRoleArn),
          .roleSessionName = "app1",
          .webIdentityToken = "eyJhbGciOiJSUzI1NiJ9.e30.c2ln"};
}

// The example of PROTOCOLS.md 1.3 (botocore examples-1.json), with SourceIdentity added.
constexpr std::string_view kSuccess =
    R"(<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <SubjectFromWebIdentityToken>amzn1.account.AF6RHO7KZU5XRVQJGXK6HEXAMPLE</SubjectFromWebIdentityToken>
    <Audience>client.5498841531868486423.1548@apps.example.com</Audience>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::123456789012:assumed-role/FederatedWebIdentityRole/app1</Arn>
      <AssumedRoleId>AROACLKWSDQRAOEXAMPLE:app1</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId>
      <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>
      <SessionToken>AQoDYXdzEE0a8ANXXXXXXXXNO1ewxE5TijQyp+IEXAMPLE</SessionToken>
      <Expiration>2014-10-24T23:00:23Z</Expiration>
    </Credentials>
    <SourceIdentity>ci-job</SourceIdentity>
    <Provider>www.amazon.com</Provider>
    <PackedPolicySize>6</PackedPolicySize>
  </AssumeRoleWithWebIdentityResult>
  <ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ResponseMetadata>
</AssumeRoleWithWebIdentityResponse>)";

std::string errorXml(std::string_view code, std::string_view message = "msg",
                     std::string_view type = "Sender") {
  return "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>" +
         std::string(type) + "</Type><Code>" + std::string(code) + "</Code><Message>" +
         std::string(message) +
         "</Message></Error><RequestId>af0f7b07-5208-11e3-81b2-cfe47957f7e6</RequestId>"
         "</ErrorResponse>";
}

TEST(AwsStsWireTest, RegionalEndpointsPerPartition) {
  EXPECT_EQ(awsStsRegionalEndpoint("us-east-1").value(), "https://sts.us-east-1.amazonaws.com/");
  EXPECT_EQ(awsStsRegionalEndpoint("ap-southeast-2").value(),
            "https://sts.ap-southeast-2.amazonaws.com/");
  EXPECT_EQ(awsStsRegionalEndpoint("cn-north-1").value(),
            "https://sts.cn-north-1.amazonaws.com.cn/");
  EXPECT_EQ(awsStsRegionalEndpoint("cn-northwest-1").value(),
            "https://sts.cn-northwest-1.amazonaws.com.cn/");
  EXPECT_EQ(awsStsRegionalEndpoint("us-gov-west-1").value(),
            "https://sts.us-gov-west-1.amazonaws.com/");
  for (const char* bad :
       {"", "us", "us-east", "US-EAST-1", "us-east-1a", "us--east-1", "us-east-", "u-east-1",
        "us-east-1/", "us-east-1.evil.com", "east-1", "us-isob-east-1", "us-iso-east-1"}) {
    auto r = awsStsRegionalEndpoint(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kConfigInvalid);
  }
}

bool validSessionName(const std::string& s) {
  if (s.size() < 2 || s.size() > 64) {
    return false;
  }
  for (char c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) ||
          std::string_view("_+=,.@-").find(c) != std::string_view::npos)) {
      return false;
    }
  }
  return true;
}

TEST(AwsStsWireTest, SessionNameIsTheIdentityWhenAwsAllowsIt) {
  EXPECT_EQ(deriveRoleSessionName("app1"), "app1");
  EXPECT_EQ(deriveRoleSessionName("a_b+c=d,e.f@g-h"), "a_b+c=d,e.f@g-h");
  const std::string max(64, 'x');
  EXPECT_EQ(deriveRoleSessionName(max), max);
}

TEST(AwsStsWireTest, SessionNameReplacesCharactersAndAddsAHashSuffix) {
  const std::string name = deriveRoleSessionName("system:serviceaccount:prod:deployer");
  EXPECT_TRUE(validSessionName(name)) << name;
  EXPECT_EQ(name.substr(0, 36), "system-serviceaccount-prod-deployer-");
  EXPECT_EQ(name.size(), 36u + 8u);
  EXPECT_EQ(name, deriveRoleSessionName("system:serviceaccount:prod:deployer")) << "deterministic";
  // Identities that read alike once sanitized still differ.
  EXPECT_NE(deriveRoleSessionName("a:b"), deriveRoleSessionName("a/b"));
  EXPECT_TRUE(validSessionName(deriveRoleSessionName("caf\xC3\xA9 / ok")));
}

TEST(AwsStsWireTest, SessionNameIsCutTo64WithTheHash) {
  const std::string long1 = "repo:example-org/a-very-long-repository-name:ref:refs/heads/feature/" +
                            std::string(100, 'z');
  const std::string long2 = long1 + "2";
  const std::string n1 = deriveRoleSessionName(long1);
  const std::string n2 = deriveRoleSessionName(long2);
  EXPECT_EQ(n1.size(), 64u);
  EXPECT_TRUE(validSessionName(n1)) << n1;
  EXPECT_TRUE(n1.starts_with("repo-example-org-a-very-long-repository-name-ref-refs-h-"));
  EXPECT_NE(n1, n2) << "the hash tells identities with a common 55-character prefix apart";
  const std::string verbatimButLong(65, 'a');
  EXPECT_EQ(deriveRoleSessionName(verbatimButLong).size(), 64u);
}

TEST(AwsStsWireTest, SessionNameOfTooShortIdentities) {
  EXPECT_TRUE(validSessionName(deriveRoleSessionName("a")));
  EXPECT_TRUE(deriveRoleSessionName("a").starts_with("a-"));
  EXPECT_TRUE(validSessionName(deriveRoleSessionName("")));
  EXPECT_EQ(deriveRoleSessionName("").size(), 8u);
}

TEST(AwsStsWireTest, RequestCarriesEveryParameterAsAnUnsignedFormPost) {
  auto r = request();
  r.duration = Seconds(3600);
  r.policy = R"({"Version":"2012-10-17","Statement":[]})";
  r.policyArns = {"arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::123456789012:policy/x"};
  auto built = buildAssumeRoleWithWebIdentity(r);
  ASSERT_TRUE(built.ok()) << built.error().message;
  EXPECT_EQ(built->method, "POST");
  EXPECT_EQ(built->url, "https://sts.us-east-1.amazonaws.com/");
  EXPECT_EQ(built->headers.get("Content-Type").value_or(""),
            "application/x-www-form-urlencoded; charset=utf-8");
  EXPECT_FALSE(built->headers.contains("Authorization"));
  EXPECT_FALSE(built->headers.contains("X-Amz-Security-Token"));
  const auto fields = formFields(*built);
  EXPECT_EQ(field(fields, "Action"), "AssumeRoleWithWebIdentity");
  EXPECT_EQ(field(fields, "Version"), "2011-06-15");
  EXPECT_EQ(field(fields, "RoleArn"), kRoleArn);
  EXPECT_EQ(field(fields, "RoleSessionName"), "app1");
  EXPECT_EQ(field(fields, "WebIdentityToken"), r.webIdentityToken);
  EXPECT_EQ(field(fields, "DurationSeconds"), "3600");
  EXPECT_EQ(field(fields, "Policy"), r.policy);
  EXPECT_EQ(field(fields, "PolicyArns.member.1.arn"), r.policyArns[0]);
  EXPECT_EQ(field(fields, "PolicyArns.member.2.arn"), r.policyArns[1]);
  EXPECT_EQ(field(fields, "ProviderId"), std::nullopt) << "never sent for OIDC";
  EXPECT_NE(built->body.find("RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2F"),
            std::string::npos);
}

TEST(AwsStsWireTest, OptionalParametersAreLeftOutWhenUnset) {
  auto built = buildAssumeRoleWithWebIdentity(request());
  ASSERT_TRUE(built.ok());
  const auto names = fieldNames(formFields(*built));
  EXPECT_EQ(names, (std::vector<std::string>{"Action", "Version", "RoleArn", "RoleSessionName",
                                             "WebIdentityToken"}));
}

TEST(AwsStsWireTest, DurationMustBeWithin900And43200) {
  for (const int ok : {900, 3600, 43200}) {
    auto r = request();
    r.duration = Seconds(ok);
    EXPECT_TRUE(buildAssumeRoleWithWebIdentity(r).ok()) << ok;
  }
  for (const int bad : {0, 899, 43201, -1}) {
    auto r = request();
    r.duration = Seconds(bad);
    auto built = buildAssumeRoleWithWebIdentity(r);
    ASSERT_FALSE(built.ok()) << bad;
    EXPECT_EQ(built.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(built.error().message.find("DurationSeconds"), std::string::npos);
  }
}

TEST(AwsStsWireTest, ParametersOutsideAwsConstraintsAreRefused) {
  const auto refuses = [](auto mutate, std::string_view what) {
    auto r = request();
    mutate(r);
    auto built = buildAssumeRoleWithWebIdentity(r);
    ASSERT_FALSE(built.ok()) << what;
    EXPECT_EQ(built.error().code, ErrorCode::kInvalidArgument) << what;
    EXPECT_EQ(built.error().message.find(r.webIdentityToken), std::string::npos)
        << "the token stays out of messages";
  };
  refuses([](auto& r) { r.roleArn = "arn:aws:iam::1:r"; }, "short ARN");
  refuses([](auto& r) { r.roleArn = "role/FederatedWebIdentityRoleX"; }, "not an ARN");
  refuses([](auto& r) { r.roleArn = "arn:" + std::string(2045, 'x'); }, "long ARN");
  refuses([](auto& r) { r.roleSessionName = "a"; }, "short session name");
  refuses([](auto& r) { r.roleSessionName = std::string(65, 'a'); }, "long session name");
  refuses([](auto& r) { r.roleSessionName = "a b"; }, "space in session name");
  refuses([](auto& r) { r.roleSessionName = "a/b"; }, "slash in session name");
  refuses([](auto& r) { r.webIdentityToken = "abc"; }, "short token");
  refuses([](auto& r) { r.webIdentityToken = std::string(20001, 'a'); }, "long token");
  refuses([](auto& r) { r.policy = ""; }, "empty policy");
  refuses([](auto& r) { r.policy = std::string(2049, 'a'); }, "long policy");
  refuses([](auto& r) { r.policy = "{\"a\":\"\xE2\x82\xAC\"}"; }, "policy beyond U+00FF");
  refuses([](auto& r) { r.policy = std::string("{\x01}"); }, "control character in policy");
  refuses([](auto& r) { r.policy = "\xC3"; }, "cut UTF-8 in policy");
  refuses([](auto& r) { r.policyArns.assign(11, std::string(kRoleArn)); }, "11 policy ARNs");
  refuses([](auto& r) { r.policyArns = {"nope"}; }, "bad policy ARN");
  auto r = request();
  r.webIdentityToken = std::string(20000, 'a');
  r.policy = "{\"\xC3\xA9\t\n\r\"}" + std::string(2048 - 8, ' ');
  EXPECT_TRUE(buildAssumeRoleWithWebIdentity(r).ok()) << "limits are inclusive, in characters";
}

TEST(AwsStsWireTest, EndpointMustBeHttpsUnlessLoopback) {
  auto r = request();
  r.endpoint = "http://sts.us-east-1.amazonaws.com/";
  EXPECT_EQ(buildAssumeRoleWithWebIdentity(r).error().code, ErrorCode::kConfigInvalid);
  r.endpoint = "http://127.0.0.1:5000/";
  EXPECT_TRUE(buildAssumeRoleWithWebIdentity(r).ok());
}

TEST(AwsStsWireTest, WebIdentityTokenClaims) {
  const auto now = fromUnixSeconds(kT);
  auto claims = awsWebIdentityTokenClaims("https://hub.example", "k8s:prod/deployer", now);
  ASSERT_TRUE(claims.ok());
  EXPECT_EQ((*claims)["iss"], "https://hub.example");
  EXPECT_EQ((*claims)["sub"], "k8s:prod/deployer");
  EXPECT_EQ((*claims)["aud"], "sts.amazonaws.com");
  EXPECT_EQ((*claims)["iat"], kT);
  EXPECT_EQ((*claims)["nbf"], kT);
  EXPECT_EQ((*claims)["exp"], kT + 300);
  EXPECT_TRUE((*claims)["exp"].is_number_integer()) << "AWS wants integer timestamps";
  EXPECT_FALSE(awsWebIdentityTokenClaims("https://hub.example", "s", now, Seconds(3601)).ok());
  EXPECT_FALSE(awsWebIdentityTokenClaims("", "s", now).ok());
  EXPECT_FALSE(awsWebIdentityTokenClaims("https://hub.example", "", now).ok());
  EXPECT_EQ(awsWebIdentityTokenClaims("https://hub.example", "s", now, Seconds(60), "other")
                .value()["aud"],
            "other");
}

TEST(AwsStsWireTest, ParsesEveryFieldOfTheSuccessResponse) {
  auto c = parseAssumeRoleWithWebIdentityResponse(kSuccess);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->accessKeyId, "ASIAIOSFODNN7EXAMPLE");
  EXPECT_EQ(c->secretAccessKey, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY");
  EXPECT_EQ(c->sessionToken, "AQoDYXdzEE0a8ANXXXXXXXXNO1ewxE5TijQyp+IEXAMPLE");
  EXPECT_EQ(c->expiration, parseRfc3339("2014-10-24T23:00:23Z").value());
  EXPECT_EQ(c->assumedRoleArn,
            "arn:aws:sts::123456789012:assumed-role/FederatedWebIdentityRole/app1");
  EXPECT_EQ(c->assumedRoleId, "AROACLKWSDQRAOEXAMPLE:app1");
  EXPECT_EQ(c->subjectFromWebIdentityToken, "amzn1.account.AF6RHO7KZU5XRVQJGXK6HEXAMPLE");
  EXPECT_EQ(c->audience, "client.5498841531868486423.1548@apps.example.com");
  EXPECT_EQ(c->provider, "www.amazon.com");
  EXPECT_EQ(c->sourceIdentity, "ci-job");
  EXPECT_EQ(c->packedPolicySize, 6);
  EXPECT_EQ(c->requestId, "c6104cbe-af31-11e0-8154-cbc7ccf896c7");
  auto viaStatus = readAssumeRoleWithWebIdentityResponse(200, kSuccess);
  ASSERT_TRUE(viaStatus.ok());
  EXPECT_EQ(viaStatus->accessKeyId, c->accessKeyId);
}

TEST(AwsStsWireTest, ParsesMotosAnswer) {
  // moto 5 answers with an XML declaration and without the optional members.
  constexpr std::string_view kMoto =
      "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
      "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
      "<AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>ASIA1234567890123456"
      "</AccessKeyId><SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken>"
      "<Expiration>2026-05-01T11:00:00.123Z</Expiration></Credentials><AssumedRoleUser>"
      "<AssumedRoleId>ARO123EXAMPLE123:s</AssumedRoleId><Arn>arn:aws:sts::123456789012:"
      "assumed-role/r/s</Arn></AssumedRoleUser></AssumeRoleWithWebIdentityResult>"
      "</AssumeRoleWithWebIdentityResponse>";
  auto c = parseAssumeRoleWithWebIdentityResponse(kMoto);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->expiration, fromUnixSeconds(kT + 3600));
  EXPECT_EQ(c->packedPolicySize, std::nullopt);
  EXPECT_EQ(c->requestId, "");
}

TEST(AwsStsWireTest, SuccessResponseMissingARequiredFieldIsRefused) {
  for (const char* element : {"AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"}) {
    std::string xml(kSuccess);
    const std::string open = std::string("<") + element + ">";
    const auto start = xml.find(open);
    const auto end = xml.find(std::string("</") + element + ">");
    xml.erase(start, end + open.size() + 1 - start);
    auto c = parseAssumeRoleWithWebIdentityResponse(xml);
    ASSERT_FALSE(c.ok()) << element;
    EXPECT_EQ(c.error().code, ErrorCode::kHttpUpstream);
    EXPECT_NE(c.error().message.find(element), std::string::npos) << c.error().message;
  }
  std::string noArn(kSuccess);
  noArn.replace(noArn.find("<Arn>"), 5, "<Xrn>");
  noArn.replace(noArn.find("</Arn>"), 6, "</Xrn>");
  EXPECT_FALSE(parseAssumeRoleWithWebIdentityResponse(noArn).ok());
  std::string emptyKey(kSuccess);
  emptyKey.replace(emptyKey.find("ASIAIOSFODNN7EXAMPLE"), 20, "");
  EXPECT_FALSE(parseAssumeRoleWithWebIdentityResponse(emptyKey).ok());
}

TEST(AwsStsWireTest, MalformedSuccessResponsesAreUpstreamErrors) {
  std::string badTime(kSuccess);
  badTime.replace(badTime.find("2014-10-24T23:00:23Z"), 20, "tomorrow");
  std::string badPacked(kSuccess);
  badPacked.replace(badPacked.find("<PackedPolicySize>6"), 19, "<PackedPolicySize>6x");
  std::string noCredentials =
      "<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult/>"
      "</AssumeRoleWithWebIdentityResponse>";
  for (const std::string& body :
       {badTime, badPacked, noCredentials, std::string("not xml"), std::string("{}"),
        std::string("<AssumeRoleResponse><AssumeRoleResult/></AssumeRoleResponse>"),
        errorXml("AccessDenied"), std::string(kSuccess.substr(0, 200)),
        "<!DOCTYPE x [<!ENTITY a \"b\">]>" + std::string(kSuccess)}) {
    auto c = parseAssumeRoleWithWebIdentityResponse(body);
    ASSERT_FALSE(c.ok()) << body;
    EXPECT_EQ(c.error().code, ErrorCode::kHttpUpstream) << body;
  }
  const std::string huge = "<AssumeRoleWithWebIdentityResponse>" + std::string(70000, ' ') +
                           "</AssumeRoleWithWebIdentityResponse>";
  EXPECT_EQ(parseAssumeRoleWithWebIdentityResponse(huge).error().code, ErrorCode::kHttpUpstream);
}

TEST(AwsStsWireTest, SecretsOfAMalformedAnswerStayOutOfTheMessage) {
  std::string badTime(kSuccess);
  badTime.replace(badTime.find("2014-10-24T23:00:23Z"), 20, "tomorrow");
  const auto c = parseAssumeRoleWithWebIdentityResponse(badTime);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message.find("wJalrXUtnFEMI"), std::string::npos);
  EXPECT_EQ(c.error().message.find("AQoDYXdzEE0a8"), std::string::npos);
}

TEST(AwsStsWireTest, ParsesTheErrorResponse) {
  auto e = parseAwsStsError(errorXml("InvalidIdentityToken", "Incorrect token audience"));
  ASSERT_TRUE(e.ok()) << e.error().message;
  EXPECT_EQ(e->type, "Sender");
  EXPECT_EQ(e->code, "InvalidIdentityToken");
  EXPECT_EQ(e->message, "Incorrect token audience");
  EXPECT_EQ(e->requestId, "af0f7b07-5208-11e3-81b2-cfe47957f7e6");
  // moto and some services put the request id under ResponseMetadata.
  auto meta = parseAwsStsError(
      "<ErrorResponse><Error><Code>X</Code></Error><ResponseMetadata><RequestId>r1</RequestId>"
      "</ResponseMetadata></ErrorResponse>");
  ASSERT_TRUE(meta.ok());
  EXPECT_EQ(meta->requestId, "r1");
  EXPECT_EQ(meta->type, "");
  EXPECT_EQ(meta->message, "");
  for (const char* bad : {"", "<ErrorResponse/>", "<ErrorResponse><Error/></ErrorResponse>",
                          "<Response><Errors><Error><Code>X</Code></Error></Errors></Response>",
                          "{\"error\":\"x\"}"}) {
    auto r = parseAwsStsError(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kHttpUpstream);
  }
}

struct CodeCase {
  const char* code;
  int status;
  ErrorCode expected;
  const char* hintWord;
};

TEST(AwsStsWireTest, EveryDocumentedErrorCodeHasItsMeaning) {
  const CodeCase cases[] = {
      {"InvalidIdentityToken", 400, ErrorCode::kPermissionDenied, "IAM OIDC provider"},
      {"ExpiredToken", 400, ErrorCode::kPermissionDenied, "clock"},
      {"ExpiredTokenException", 400, ErrorCode::kPermissionDenied, "clock"},
      {"IDPCommunicationError", 400, ErrorCode::kUnavailable, "JWKS"},
      {"IDPRejectedClaim", 403, ErrorCode::kPermissionDenied, "claim"},
      {"AccessDenied", 403, ErrorCode::kPermissionDenied, "trust policy"},
      {"RegionDisabledException", 403, ErrorCode::kConfigInvalid, "region"},
      {"MalformedPolicyDocument", 400, ErrorCode::kConfigInvalid, "session policy"},
      {"PackedPolicyTooLarge", 400, ErrorCode::kConfigInvalid, "too large"},
      {"ValidationError", 400, ErrorCode::kConfigInvalid, "DurationSeconds"},
      {"Throttling", 400, ErrorCode::kTooManyRequests, "throttled"},
      {"ThrottlingException", 400, ErrorCode::kTooManyRequests, "throttled"},
      {"InternalFailure", 500, ErrorCode::kUnavailable, "internally"},
      {"ServiceUnavailable", 503, ErrorCode::kUnavailable, "unavailable"},
  };
  for (const auto& c : cases) {
    const Error e = classifyAwsStsError(
        c.status, {.type = "Sender", .code = c.code, .message = "aws text", .requestId = "rid-1"});
    EXPECT_EQ(e.code, c.expected) << c.code;
    EXPECT_NE(e.message.find(c.code), std::string::npos) << e.message;
    EXPECT_NE(e.message.find(c.hintWord), std::string::npos) << e.message;
    EXPECT_NE(e.message.find("\"aws text\""), std::string::npos) << e.message;
    EXPECT_NE(e.message.find("rid-1"), std::string::npos) << e.message;
    const bool retryable = std::string_view(c.code) == "IDPCommunicationError" ||
                           std::string_view(c.code).starts_with("Throttling") ||
                           std::string_view(c.code) == "InternalFailure" ||
                           std::string_view(c.code) == "ServiceUnavailable";
    EXPECT_EQ(retryHelps(e), retryable) << c.code;
  }
}

TEST(AwsStsWireTest, UnknownErrorCodesFallBackToTheStatus) {
  const auto classify = [](int status) {
    return classifyAwsStsError(status, {.code = "SomethingNew"}).code;
  };
  EXPECT_EQ(classify(400), ErrorCode::kHttpUpstream);
  EXPECT_EQ(classify(403), ErrorCode::kPermissionDenied);
  EXPECT_EQ(classify(429), ErrorCode::kTooManyRequests);
  EXPECT_EQ(classify(500), ErrorCode::kUnavailable);
  EXPECT_EQ(classify(503), ErrorCode::kUnavailable);
}

TEST(AwsStsWireTest, AwsMessagesAreQuotedAndCut) {
  const Error e = classifyAwsStsError(
      400, {.code = "InvalidIdentityToken", .message = "line1\r\nline2" + std::string(1000, 'm')});
  EXPECT_EQ(e.message.find('\n'), std::string::npos);
  EXPECT_LT(e.message.size(), 900u);
}

TEST(AwsStsWireTest, ReadsTheWholeAnswerByStatus) {
  auto denied = readAssumeRoleWithWebIdentityResponse(
      403, errorXml("AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity"));
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.error().code, ErrorCode::kPermissionDenied);
  EXPECT_NE(denied.error().message.find("Not authorized"), std::string::npos);

  auto idp = readAssumeRoleWithWebIdentityResponse(400, errorXml("IDPCommunicationError"));
  EXPECT_TRUE(retryHelps(idp.error()));

  auto gateway = readAssumeRoleWithWebIdentityResponse(502, "<html>Bad Gateway</html>");
  EXPECT_EQ(gateway.error().code, ErrorCode::kUnavailable);
  auto throttledNoBody = readAssumeRoleWithWebIdentityResponse(429, "");
  EXPECT_EQ(throttledNoBody.error().code, ErrorCode::kTooManyRequests);
  auto junk = readAssumeRoleWithWebIdentityResponse(400, "junk");
  EXPECT_EQ(junk.error().code, ErrorCode::kHttpUpstream);
  auto badSuccess = readAssumeRoleWithWebIdentityResponse(200, errorXml("AccessDenied"));
  EXPECT_EQ(badSuccess.error().code, ErrorCode::kHttpUpstream);
}

}  // namespace
}  // namespace tessera::credentials
