// The aws-role trust provider without STS: requests are signed here the way botocore signs them
// (a small SigV4 signer on OpenSSL's HMAC), then broken one check at a time; STS's answers are
// the XML documents STS and moto send. tests/interop/aws_role_interop.py replays against moto.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>

#include "crypto/digest.hpp"
#include "net/url.hpp"
#include "trust/aws_role_trust_provider.hpp"

namespace tessera::trust {
namespace {

using nlohmann::json;
using std::chrono::seconds;

const SystemTime kNow = SystemTime(seconds(1'800'000'000));  // 2027-01-15T08:00:00Z
constexpr std::string_view kServerId = "hub.example.com";
constexpr std::string_view kBody = "Action=GetCallerIdentity&Version=2011-06-15";
constexpr std::string_view kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr std::string_view kSessionToken = "FQoGZXIvYXdzEBYaDtestsessiontoken==";

std::string amzDate(SystemTime t) {
  const auto day = std::chrono::floor<std::chrono::days>(t);
  const std::chrono::year_month_day ymd(day);
  const std::chrono::hh_mm_ss hms(std::chrono::floor<seconds>(t - day));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d%02u%02uT%02d%02d%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

std::string hmac(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &n);
  return std::string(reinterpret_cast<const char*>(out), n);
}

std::string hexSha256(std::string_view data) {
  return crypto::toHex(crypto::sha256(data));
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// What the edge sends; `sign` fills in Authorization over `signedNames` (plus host).
struct Draft {
  std::string method = "POST";
  std::string url = "https://sts.amazonaws.com/";
  std::string body = std::string(kBody);
  std::string region = "us-east-1";
  std::string service = "sts";
  SystemTime at = kNow;
  std::vector<std::pair<std::string, std::string>> headers;
  std::vector<std::string> unsignedNames;  // sent, but left out of SignedHeaders
};

Draft botocoreDraft(SystemTime at = kNow, std::string serverId = std::string(kServerId)) {
  Draft d;
  d.at = at;
  d.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
               {"User-Agent", "Boto3/1.43 test"},
               {"X-Tessera-Server-ID", std::move(serverId)},
               {"X-Amz-Date", amzDate(at)},
               {"X-Amz-Security-Token", std::string(kSessionToken)},
               {"amz-sdk-invocation-id", "96e38824-afe4-49b8-9bf3-113c76c053fa"},
               {"Content-Length", std::to_string(d.body.size())}};
  // botocore signs everything but its own bookkeeping and User-Agent.
  d.unsignedNames = {"user-agent", "amz-sdk-invocation-id", "content-length"};
  return d;
}

AwsSignedRequest sign(const Draft& d) {
  const auto url = *net::parseUrl(d.url);
  std::vector<std::pair<std::string, std::string>> canonical = {{"host", url.authority()}};
  for (const auto& [name, value] : d.headers) {
    const std::string key = lower(name);
    if (std::find(d.unsignedNames.begin(), d.unsignedNames.end(), key) == d.unsignedNames.end() &&
        key != "host") {
      canonical.emplace_back(key, value);
    }
  }
  std::sort(canonical.begin(), canonical.end());
  std::string canonicalHeaders, signedHeaders;
  for (const auto& [name, value] : canonical) {
    canonicalHeaders += name + ":" + value + "\n";
    signedHeaders += (signedHeaders.empty() ? "" : ";") + name;
  }
  const std::string date = amzDate(d.at);
  const std::string path = url.target.substr(0, url.target.find('?'));
  const std::string query =
      url.target.find('?') == std::string::npos ? "" : url.target.substr(url.target.find('?') + 1);
  const std::string request = d.method + "\n" + path + "\n" + query + "\n" + canonicalHeaders +
                              "\n" + signedHeaders + "\n" + hexSha256(d.body);
  const std::string scope = date.substr(0, 8) + "/" + d.region + "/" + d.service + "/aws4_request";
  const std::string toSign = "AWS4-HMAC-SHA256\n" + date + "\n" + scope + "\n" + hexSha256(request);
  std::string key = hmac("AWS4" + std::string(kSecret), date.substr(0, 8));
  for (const std::string& part : {d.region, d.service, std::string("aws4_request")}) {
    key = hmac(key, part);
  }
  const std::string sig = hmac(key, toSign);
  AwsSignedRequest out;
  out.method = d.method;
  out.url = d.url;
  out.body = d.body;
  out.headers = d.headers;
  out.headers.emplace_back(
      "Authorization",
      "AWS4-HMAC-SHA256 Credential=ASIAEXAMPLEKEYID/" + scope + ", SignedHeaders=" + signedHeaders +
          ", Signature=" +
          crypto::toHex(std::span(reinterpret_cast<const unsigned char*>(sig.data()), sig.size())));
  return out;
}

std::string authorizationOf(const AwsSignedRequest& r) {
  for (const auto& [n, v] : r.headers) {
    if (n == "Authorization") {
      return v;
    }
  }
  return "";
}

class AwsRoleTrust : public ::testing::Test {
 protected:
  static std::unique_ptr<const TrustProvider> compile(json spec) {
    model::ConfigObject o;
    o.kind = model::Kind::kTrustProvider;
    o.metadata.name = "aws-prod";
    spec["type"] = "aws-role";
    o.spec = std::move(spec);
    auto compiled = compileTrustProvider(o);
    EXPECT_TRUE(compiled.ok()) << compiled.error().message;
    return compiled.ok() ? std::move(*compiled) : nullptr;
  }

  void use(json spec) {
    compiled_ = compile(std::move(spec));
    provider_ = dynamic_cast<const AwsRoleTrustProvider*>(compiled_.get());
    ASSERT_NE(provider_, nullptr);
  }

  void SetUp() override { use(json::object()); }

  Result<StsReplay> prepare(const AwsSignedRequest& r, SystemTime now = kNow) const {
    return provider_->prepareReplay(r, kServerId, now);
  }

  // A refusal with `code` whose message names `check` and never shows the signature.
  void expectRefused(const AwsSignedRequest& r, ErrorCode code, const std::string& check,
                     SystemTime now = kNow) const {
    auto replay = prepare(r, now);
    ASSERT_FALSE(replay.ok()) << "accepted; expected: " << check;
    EXPECT_EQ(replay.error().code, code) << replay.error().message;
    EXPECT_NE(replay.error().message.find(check), std::string::npos)
        << replay.error().message << "\nexpected to contain: " << check;
    const std::string authorization = authorizationOf(r);
    if (const auto at = authorization.find("Signature="); at != std::string::npos) {
      EXPECT_EQ(replay.error().message.find(authorization.substr(at + 10)), std::string::npos);
    }
    EXPECT_EQ(replay.error().message.find(kSessionToken), std::string::npos);
  }

  std::unique_ptr<const TrustProvider> compiled_;
  const AwsRoleTrustProvider* provider_ = nullptr;
};

// --- prepareReplay: what is accepted, and what goes to STS ------------------------------------

TEST_F(AwsRoleTrust, CompilesAsAwsRoleReadingGetCallerIdentityEvidence) {
  EXPECT_EQ(compiled_->type(), "aws-role");
  EXPECT_EQ(compiled_->evidenceKind(), EvidenceKind::kAwsGetCallerIdentity);
  EXPECT_EQ(provider_->maxRequestAge(), seconds(300));
  model::ConfigObject o;
  o.kind = model::Kind::kTrustProvider;
  o.metadata.name = "bad";
  o.spec = {{"type", "aws-role"}, {"stsEndpoints", {"ftp://sts.amazonaws.com/"}}};
  EXPECT_FALSE(compileTrustProvider(o).ok());
}

TEST_F(AwsRoleTrust, DefaultEndpointsAreGlobalAndCommercialRegionalHttps) {
  const auto& endpoints = defaultStsEndpoints();
  EXPECT_EQ(endpoints.front(), "https://sts.amazonaws.com/");
  for (const char* e :
       {"https://sts.us-east-1.amazonaws.com/", "https://sts.eu-west-1.amazonaws.com/",
        "https://sts.ap-southeast-2.amazonaws.com/"}) {
    EXPECT_NE(std::find(endpoints.begin(), endpoints.end(), e), endpoints.end()) << e;
  }
  for (const auto& e : endpoints) {
    auto url = net::parseUrl(e);
    ASSERT_TRUE(url.ok()) << e;
    EXPECT_TRUE(url->https()) << e;
    EXPECT_EQ(url->target, "/") << e;
  }
  Draft d = botocoreDraft();
  d.url = "https://sts.eu-central-1.amazonaws.com/";
  d.region = "eu-central-1";
  EXPECT_TRUE(prepare(sign(d)).ok());
}

TEST_F(AwsRoleTrust, AcceptsABotocoreRequestAndReplaysWhatStsReads) {
  auto replay = prepare(sign(botocoreDraft()));
  ASSERT_TRUE(replay.ok()) << replay.error().message;
  EXPECT_EQ(replay->method, "POST");
  EXPECT_EQ(replay->url, "https://sts.amazonaws.com/");
  EXPECT_EQ(replay->body, kBody);
  EXPECT_EQ(replay->signedAt, kNow);
  std::vector<std::string> names;
  for (const auto& [n, v] : replay->headers) {
    names.push_back(n);
  }
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"Authorization", "Content-Type", "X-Amz-Date",
                                             "X-Amz-Security-Token", "X-Tessera-Server-ID"}));
}

TEST_F(AwsRoleTrust, AcceptsTheParametersInEitherOrderAndAnEqualHostHeader) {
  Draft d = botocoreDraft();
  d.body = "Version=2011-06-15&Action=GetCallerIdentity";
  d.headers.back().second = std::to_string(d.body.size());
  d.headers.emplace_back("Host", "sts.amazonaws.com");
  EXPECT_TRUE(prepare(sign(d)).ok());
}

TEST_F(AwsRoleTrust, RefusesHostsThatAreNotAllowlistedStsEndpoints) {
  for (const char* url :
       {"https://evil.example/", "https://sts.amazonaws.com.evil.example/",
        "https://sts.amazonaws.com:8443/", "https://sts.amazonaws.com./",
        "https://sts.us-east-1.amazonaws.com.cn/", "https://sts.amazonaws.com/other",
        "https://sts.amazonaws.com/?Action=AssumeRole", "https://169.254.169.254/",
        "http://127.0.0.1:5000/"}) {
    Draft d = botocoreDraft();
    d.url = url;
    SCOPED_TRACE(url);
    expectRefused(sign(d), ErrorCode::kEvidenceInvalid, "is not an allowed STS endpoint");
  }
  for (const char* url : {"sts.amazonaws.com", "https://user@sts.amazonaws.com/",
                          "https://sts.amazonaws.com/#x", "file:///etc/passwd"}) {
    AwsSignedRequest r = sign(botocoreDraft());
    r.url = url;
    SCOPED_TRACE(url);
    expectRefused(r, ErrorCode::kEvidenceInvalid, "is not an absolute http(s) URL");
  }
}

TEST_F(AwsRoleTrust, RefusesPlainHttpOnANonLoopbackHost) {
  use({{"stsEndpoints", {"https://sts.amazonaws.com/", "http://127.0.0.1:5000/"}}});
  Draft d = botocoreDraft();
  d.url = "http://sts.amazonaws.com/";
  expectRefused(sign(d), ErrorCode::kEvidenceInvalid, "must use https");
  d.url = "http://127.0.0.1:5000/";
  EXPECT_TRUE(prepare(sign(d)).ok());
  d.url = "http://127.0.0.1:5001/";
  expectRefused(sign(d), ErrorCode::kEvidenceInvalid, "is not an allowed STS endpoint");
  // A configured list replaces the default one.
  use({{"stsEndpoints", {"http://127.0.0.1:5000/"}}});
  expectRefused(sign(botocoreDraft()), ErrorCode::kEvidenceInvalid,
                "is not an allowed STS endpoint");
}

TEST_F(AwsRoleTrust, RefusesEveryBodyButGetCallerIdentity) {
  for (const char* body :
       {"Action=AssumeRole&Version=2011-06-15&RoleArn=arn:aws:iam::123456789012:role/admin",
        "Action=GetCallerIdentity&Version=2011-06-15&RoleArn=x",
        "Action=GetCallerIdentity&Version=2011-06-15&", "Action=GetCallerIdentity",
        "Action=GetCallerIdentity&Action=GetCallerIdentity", "Action=GetCallerIdentity&Version=2",
        "action=getcalleridentity&version=2011-06-15", ""}) {
    Draft d = botocoreDraft();
    d.body = body;
    d.headers.back().second = std::to_string(d.body.size());
    SCOPED_TRACE(body);
    expectRefused(sign(d), ErrorCode::kEvidenceInvalid,
                  "body must be exactly Action=GetCallerIdentity&Version=2011-06-15");
  }
}

TEST_F(AwsRoleTrust, RefusesOtherProtocolsThanQuery) {
  Draft d = botocoreDraft();
  d.headers.front().second = "application/x-amz-json-1.1";
  expectRefused(sign(d), ErrorCode::kEvidenceInvalid,
                "Content-Type must be application/x-www-form-urlencoded");
  d = botocoreDraft();
  d.headers.emplace_back("X-Amz-Target", "AWSSecurityTokenServiceV20110615.AssumeRole");
  expectRefused(sign(d), ErrorCode::kEvidenceInvalid, "X-Amz-Target is not allowed");
}

TEST_F(AwsRoleTrust, RefusesOtherMethodsAndAContentLengthThatDisagrees) {
  Draft d = botocoreDraft();
  d.method = "GET";
  expectRefused(sign(d), ErrorCode::kEvidenceInvalid, "method must be POST");
  d = botocoreDraft();
  d.headers.back().second = "4096";
  expectRefused(sign(d), ErrorCode::kEvidenceInvalid, "Content-Length does not match the body");
}

TEST_F(AwsRoleTrust, RefusesARequestWithoutTheServerIdHeader) {
  Draft d = botocoreDraft();
  std::erase_if(d.headers, [](const auto& h) { return h.first == "X-Tessera-Server-ID"; });
  expectRefused(sign(d), ErrorCode::kEvidenceInvalid, "X-Tessera-Server-ID header is missing");
}

TEST_F(AwsRoleTrust, RefusesAServerIdThatIsNotSigned) {
  Draft d = botocoreDraft();
  d.unsignedNames.push_back("x-tessera-server-id");
  expectRefused(sign(d), ErrorCode::kEvidenceInvalid,
                "SignedHeaders does not include x-tessera-server-id");
}

TEST_F(AwsRoleTrust, RefusesARequestSignedForAnotherHub) {
  expectRefused(sign(botocoreDraft(kNow, "other-hub.example.com")), ErrorCode::kEvidenceInvalid,
                "X-Tessera-Server-ID 'other-hub.example.com' is not this hub's");
  // Header names are case-insensitive; the value is not.
  Draft d = botocoreDraft(kNow, "HUB.example.com");
  expectRefused(sign(d), ErrorCode::kEvidenceInvalid, "is not this hub's");
  d = botocoreDraft();
  for (auto& h : d.headers) {
    if (h.first == "X-Tessera-Server-ID") {
      h.first = "x-tessera-server-id";
    }
  }
  EXPECT_TRUE(prepare(sign(d)).ok());
}

TEST_F(AwsRoleTrust, RefusesStaleAndFutureRequestsAsExpired) {
  expectRefused(sign(botocoreDraft(kNow - seconds(301))), ErrorCode::kTokenExpired,
                "signed 301 s ago");
  expectRefused(sign(botocoreDraft(kNow + seconds(301))), ErrorCode::kTokenNotYetValid,
                "signed 301 s in the future");
  EXPECT_TRUE(prepare(sign(botocoreDraft(kNow - seconds(300)))).ok());
  EXPECT_TRUE(prepare(sign(botocoreDraft(kNow + seconds(300)))).ok());
  use({{"maxRequestAge", 60}});
  expectRefused(sign(botocoreDraft(kNow - seconds(61))), ErrorCode::kTokenExpired,
                "at most 60 s are accepted");
}

TEST_F(AwsRoleTrust, RefusesUnreadableDates) {
  for (const char* date : {"2027-01-15T08:00:00Z", "20270115T080000", "20270132T080000Z",
                           "20270115T250000Z", "20270115t080000z", ""}) {
    Draft d = botocoreDraft();
    for (auto& h : d.headers) {
      if (h.first == "X-Amz-Date") {
        h.second = date;
      }
    }
    SCOPED_TRACE(date);
    expectRefused(sign(d), ErrorCode::kEvidenceInvalid, "X-Amz-Date");
  }
  AwsSignedRequest r = sign(botocoreDraft());
  std::erase_if(r.headers, [](const auto& h) { return h.first == "X-Amz-Date"; });
  expectRefused(r, ErrorCode::kEvidenceInvalid, "signed header x-amz-date is missing");
  // The Credential scope's day is the X-Amz-Date day.
  Draft d = botocoreDraft();
  for (auto& h : d.headers) {
    if (h.first == "X-Amz-Date") {
      h.second = amzDate(kNow - std::chrono::hours(9));
    }
  }
  expectRefused(sign(d), ErrorCode::kEvidenceInvalid, "Credential scope date");
}

TEST_F(AwsRoleTrust, RefusesAHostHeaderThatIsNotTheUrlsHost) {
  Draft d = botocoreDraft();
  d.headers.emplace_back("Host", "evil.example");
  expectRefused(sign(d), ErrorCode::kEvidenceInvalid,
                "Host header 'evil.example' does not match the url (sts.amazonaws.com)");
}

TEST_F(AwsRoleTrust, RefusesTooManyLargeMalformedOrRepeatedHeaders) {
  AwsSignedRequest r = sign(botocoreDraft());
  while (r.headers.size() <= kMaxSignedRequestHeaders) {
    r.headers.emplace_back("X-Filler-" + std::to_string(r.headers.size()), "x");
  }
  expectRefused(r, ErrorCode::kEvidenceInvalid, "more than 32 headers");

  r = sign(botocoreDraft());
  r.headers.emplace_back("X-Big", std::string(9000, 'a'));
  expectRefused(r, ErrorCode::kEvidenceInvalid, "header X-Big is too long");
  r = sign(botocoreDraft());
  for (int i = 0; i < 5; ++i) {
    r.headers.emplace_back("X-Big-" + std::to_string(i), std::string(8000, 'a'));
  }
  expectRefused(r, ErrorCode::kEvidenceInvalid, "headers exceed");
  r = sign(botocoreDraft());
  r.headers.emplace_back("X-Injected", "a\r\nHost: evil.example");
  expectRefused(r, ErrorCode::kEvidenceInvalid, "has a line break");
  r = sign(botocoreDraft());
  r.headers.emplace_back("Bad Name", "x");
  expectRefused(r, ErrorCode::kEvidenceInvalid, "is not an HTTP token");
  r = sign(botocoreDraft());
  r.headers.emplace_back("x-tessera-server-id", "other");
  expectRefused(r, ErrorCode::kEvidenceInvalid, "is given more than once");
}

TEST_F(AwsRoleTrust, RefusesAuthorizationThatIsNotSigV4ForSts) {
  AwsSignedRequest r = sign(botocoreDraft());
  std::erase_if(r.headers, [](const auto& h) { return h.first == "Authorization"; });
  expectRefused(r, ErrorCode::kEvidenceInvalid, "Authorization header is missing");

  const std::string good = authorizationOf(sign(botocoreDraft()));
  const auto withAuthorization = [&](std::string value) {
    AwsSignedRequest out = sign(botocoreDraft());
    for (auto& h : out.headers) {
      if (h.first == "Authorization") {
        h.second = std::move(value);
      }
    }
    return out;
  };
  expectRefused(withAuthorization("Bearer abc"), ErrorCode::kEvidenceInvalid,
                "Authorization is not AWS4-HMAC-SHA256");
  expectRefused(withAuthorization(good + ", Signature=" + std::string(64, '0')),
                ErrorCode::kEvidenceInvalid, "exactly Credential, SignedHeaders and Signature");
  std::string shortSig = good;
  shortSig.resize(shortSig.size() - 2);
  expectRefused(withAuthorization(shortSig), ErrorCode::kEvidenceInvalid,
                "Signature is not 64 hex digits");
  Draft d = botocoreDraft();
  d.service = "iam";
  expectRefused(sign(d), ErrorCode::kEvidenceInvalid, "scoped to service 'iam', not sts");
  d = botocoreDraft();
  d.unsignedNames.push_back("x-amz-date");
  expectRefused(sign(d), ErrorCode::kEvidenceInvalid, "SignedHeaders does not include x-amz-date");
  // A signed header the request does not carry.
  r = sign(botocoreDraft());
  std::erase_if(r.headers, [](const auto& h) { return h.first == "X-Amz-Security-Token"; });
  expectRefused(r, ErrorCode::kEvidenceInvalid,
                "signed header x-amz-security-token is missing from the request");
  // The refusal names the header by fingerprint, never by value.
  auto refused = prepare(withAuthorization(good + ", Extra=1"));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find(crypto::fingerprint(good + ", Extra=1")),
            std::string::npos);
}

TEST_F(AwsRoleTrust, RefusesWithoutAServerIdToCheckAgainst) {
  auto replay = provider_->prepareReplay(sign(botocoreDraft()), "", kNow);
  ASSERT_FALSE(replay.ok());
  EXPECT_EQ(replay.error().code, ErrorCode::kInternal);
}

// --- identityFromResponse ---------------------------------------------------------------------

std::string callerIdentityXml(const std::string& arn, const std::string& userId,
                              const std::string& account = "123456789012") {
  return R"(<?xml version="1.0" encoding="UTF-8"?>
<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetCallerIdentityResult>
    <Arn>)" +
         arn + "</Arn>\n    <UserId>" + userId + "</UserId>\n    <Account>" + account +
         R"(</Account>
  </GetCallerIdentityResult>
  <ResponseMetadata><RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId></ResponseMetadata>
</GetCallerIdentityResponse>
)";
}

std::string errorXml(const std::string& code, const std::string& message) {
  return R"(<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error><Type>Sender</Type><Code>)" +
         code + "</Code><Message>" + message + R"(</Message></Error>
  <RequestId>af0f7b07-5208-11e3-81b2-cfe47957f7e6</RequestId>
</ErrorResponse>)";
}

StsReplay someReplay() {
  StsReplay r;
  r.method = "POST";
  r.url = "https://sts.amazonaws.com/";
  r.body = std::string(kBody);
  r.signedAt = kNow - seconds(10);
  return r;
}

TEST_F(AwsRoleTrust, AssumedRoleAttributes) {
  auto id = provider_->identityFromResponse(
      someReplay(), 200,
      callerIdentityXml("arn:aws:sts::123456789012:assumed-role/deployer/ci-job-42",
                        "AROAEXAMPLEROLEID:ci-job-42"));
  ASSERT_TRUE(id.ok()) << id.error().message;
  EXPECT_EQ(id->provider, "aws-prod");
  EXPECT_EQ(id->type, "aws-role");
  EXPECT_EQ(id->subject, "arn:aws:sts::123456789012:assumed-role/deployer/ci-job-42");
  EXPECT_EQ(id->attributes.at("aws.arn").value, id->subject);
  EXPECT_EQ(id->attributes.at("aws.accountId").value, "123456789012");
  EXPECT_EQ(id->attributes.at("aws.userId").value, "AROAEXAMPLEROLEID:ci-job-42");
  EXPECT_EQ(id->attributes.at("aws.roleName").value, "deployer");
  EXPECT_EQ(id->attributes.at("aws.roleArn").value, "arn:aws:iam::123456789012:role/deployer");
  EXPECT_EQ(id->attributes.at("aws.sessionName").value, "ci-job-42");
  EXPECT_FALSE(id->attributes.contains("aws.userName"));
  EXPECT_TRUE(id->attributes.at("aws.roleName").verified);
  EXPECT_EQ(id->attributes.at("aws.roleName").source, "aws-prod");
  ASSERT_TRUE(id->expiresAt.has_value());
  EXPECT_EQ(*id->expiresAt, kNow - seconds(10) + seconds(300));
  ASSERT_FALSE(id->trace.empty());
  EXPECT_NE(id->trace.front().find("STS confirmed arn:aws:sts::123456789012:assumed-role"),
            std::string::npos);
}

TEST_F(AwsRoleTrust, IamUserAndOtherPrincipals) {
  auto user = provider_->identityFromResponse(
      someReplay(), 200,
      callerIdentityXml("arn:aws:iam::123456789012:user/ops/alice", "AIDAEXAMPLEUSERID"));
  ASSERT_TRUE(user.ok()) << user.error().message;
  EXPECT_EQ(user->attributes.at("aws.userName").value, "alice");
  EXPECT_FALSE(user->attributes.contains("aws.roleName"));

  auto root = provider_->identityFromResponse(
      someReplay(), 200, callerIdentityXml("arn:aws:iam::123456789012:root", "123456789012"));
  ASSERT_TRUE(root.ok()) << root.error().message;
  EXPECT_EQ(root->attributes.size(), 3u);

  auto china = provider_->identityFromResponse(
      someReplay(), 200,
      callerIdentityXml("arn:aws-cn:sts::123456789012:assumed-role/r/s", "AROAX:s"));
  ASSERT_TRUE(china.ok()) << china.error().message;
  EXPECT_EQ(china->attributes.at("aws.roleArn").value, "arn:aws-cn:iam::123456789012:role/r");
}

TEST_F(AwsRoleTrust, RulesOnAccountRoleAndSession) {
  use({{"rules",
        {{{"attribute", "accountId"}, {"equals", "123456789012"}},
         {{"attribute", "roleName"}, {"oneOf", {"deployer", "builder"}}},
         {{"attribute", "roleArn"}, {"glob", "arn:aws:iam::123456789012:role/*"}},
         {{"attribute", "sessionName"}, {"glob", "ci-*"}}}}});
  const auto answer = [&](const std::string& role, const std::string& session) {
    return provider_->identityFromResponse(
        someReplay(), 200,
        callerIdentityXml("arn:aws:sts::123456789012:assumed-role/" + role + "/" + session,
                          "AROAX:" + session));
  };
  auto ok = answer("deployer", "ci-job-1");
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->trace.size(), 5u);

  auto wrongRole = answer("admin", "ci-job-1");
  ASSERT_FALSE(wrongRole.ok());
  EXPECT_EQ(wrongRole.error().code, ErrorCode::kTrustRuleFailed);
  EXPECT_NE(wrongRole.error().message.find("roleName 'admin'"), std::string::npos);

  auto wrongSession = answer("deployer", "laptop");
  ASSERT_FALSE(wrongSession.ok());
  EXPECT_EQ(wrongSession.error().code, ErrorCode::kTrustRuleFailed);

  // An IAM user has no roleName: the rule cannot hold.
  auto user = provider_->identityFromResponse(
      someReplay(), 200,
      callerIdentityXml("arn:aws:iam::123456789012:user/deployer", "AIDAEXAMPLEUSERID"));
  ASSERT_FALSE(user.ok());
  EXPECT_NE(user.error().message.find("roleName is absent"), std::string::npos);
}

TEST_F(AwsRoleTrust, StsRefusalsAreInvalidEvidenceNamingTheAwsCode) {
  for (const auto& [status, code] :
       std::initializer_list<std::pair<int, const char*>>{{403, "SignatureDoesNotMatch"},
                                                          {403, "InvalidClientTokenId"},
                                                          {400, "ExpiredToken"},
                                                          {403, "AccessDenied"},
                                                          {400, "IncompleteSignature"},
                                                          {400, "RequestExpired"}}) {
    auto id = provider_->identityFromResponse(someReplay(), status,
                                              errorXml(code, "The request was refused &amp; so"));
    SCOPED_TRACE(code);
    ASSERT_FALSE(id.ok());
    EXPECT_EQ(id.error().code, ErrorCode::kEvidenceInvalid);
    EXPECT_NE(id.error().message.find(std::string("HTTP ") + std::to_string(status) + " " + code +
                                      ": The request was refused & so"),
              std::string::npos)
        << id.error().message;
  }
  auto unreadable = provider_->identityFromResponse(someReplay(), 403, "<html>denied</html>");
  ASSERT_FALSE(unreadable.ok());
  EXPECT_EQ(unreadable.error().code, ErrorCode::kEvidenceInvalid);
  EXPECT_NE(unreadable.error().message.find("without a readable AWS error"), std::string::npos);
}

TEST_F(AwsRoleTrust, ServerErrorsAndThrottlingAreUnavailable) {
  for (const auto& [status, body] : std::initializer_list<std::pair<int, std::string>>{
           {500, errorXml("InternalFailure", "oops")},
           {503, errorXml("ServiceUnavailable", "later")},
           {502, ""},
           {400, errorXml("Throttling", "Rate exceeded")},
           {429, "slow down"}}) {
    auto id = provider_->identityFromResponse(someReplay(), status, body);
    SCOPED_TRACE(status);
    ASSERT_FALSE(id.ok());
    EXPECT_EQ(id.error().code, ErrorCode::kUnavailable) << id.error().message;
  }
  auto redirect = provider_->identityFromResponse(someReplay(), 302, "");
  ASSERT_FALSE(redirect.ok());
  EXPECT_EQ(redirect.error().code, ErrorCode::kHttpUpstream);
}

TEST_F(AwsRoleTrust, MalformedAndOversizedAnswersAreUpstreamErrors) {
  const std::string arn = "arn:aws:sts::123456789012:assumed-role/deployer/s";
  const std::string good = callerIdentityXml(arn, "AROAX:s");
  const auto replace = [&](const std::string& from, const std::string& to) {
    std::string out = good;
    out.replace(out.find(from), from.size(), to);
    return out;
  };
  for (const auto& body : std::vector<std::string>{
           "", "not xml", "{\"Arn\": \"arn:aws:iam::123456789012:root\"}",
           good.substr(0, good.size() / 2), replace("<Arn>", "<Arn><Arn>"),
           replace("<UserId>AROAX:s</UserId>", ""), replace("<UserId>", "<Arn>x</Arn><UserId>"),
           replace("GetCallerIdentityResponse xmlns", "AssumeRoleResponse xmlns"),
           replace("<GetCallerIdentityResponse",
                   "<!DOCTYPE x [<!ENTITY e \"arn\">]><GetCallerIdentityResponse"),
           replace("<Arn>", "<!-- c --><Arn>"),
           replace("123456789012</Account>", "12345</Account>"),
           replace("123456789012</Account>", "210987654321</Account>"),
           replace("<Arn>arn:aws:sts", "<Arn>&#97;rn:aws:sts"),
           replace("<Arn>arn", "<Arn><![CDATA[arn]]>"), replace("<Arn>" + arn, "<Arn>not-an-arn"),
           replace("AROAX:s", "AROAX s"), good + "<GetCallerIdentityResponse/>",
           errorXml("AccessDenied", "200 with an error body")}) {
    auto id = provider_->identityFromResponse(someReplay(), 200, body);
    SCOPED_TRACE(body);
    ASSERT_FALSE(id.ok());
    EXPECT_EQ(id.error().code, ErrorCode::kHttpUpstream) << id.error().message;
    EXPECT_NE(id.error().message.find("not with a GetCallerIdentityResponse"), std::string::npos);
  }
  std::string big = good;
  big.insert(big.find("<ResponseMetadata>"), std::string(kMaxStsResponseBytes, ' '));
  auto id = provider_->identityFromResponse(someReplay(), 200, big);
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.error().code, ErrorCode::kHttpResponseTooLarge);
}

TEST_F(AwsRoleTrust, ReadsMotoStyleAnswersWithoutWhitespace) {
  auto id = provider_->identityFromResponse(
      someReplay(), 200,
      "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
      "<GetCallerIdentityResult><UserId>AROARZPUZDIKA6EOJATTA:ci-job-42</UserId>"
      "<Account>123456789012</Account>"
      "<Arn>arn:aws:sts::123456789012:assumed-role/deployer/ci-job-42</Arn>"
      "</GetCallerIdentityResult><ResponseMetadata><RequestId>7JZW</RequestId>"
      "</ResponseMetadata></GetCallerIdentityResponse>");
  ASSERT_TRUE(id.ok()) << id.error().message;
  EXPECT_EQ(id->attributes.at("aws.sessionName").value, "ci-job-42");
}

}  // namespace
}  // namespace tessera::trust
