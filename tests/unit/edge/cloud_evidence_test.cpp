// CloudEvidence: the parsing pieces (IMDS role listing and credentials, Azure attested answer),
// the signed GetCallerIdentity checked by the hub's own aws-role prepareReplay, and the collector
// against scripted metadata services on 127.0.0.1:0 with a ManualClock — IMDSv2's session token,
// what is cached how long, and sources that fail being left out with the others kept.
#include "edge/cloud_evidence.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <atomic>
#include <map>
#include <optional>
#include <thread>

#include "common/time_format.hpp"
#include "jose/base64url.hpp"
#include "model/config_object.hpp"
#include "net/http_server.hpp"
#include "trust/aws_role_trust_provider.hpp"
#include "trust/evidence.hpp"
#include "trust/trust_provider.hpp"

namespace tessera::edge {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

const SystemTime kStart = fromUnixSeconds(1'800'000'000);

TEST(ImdsParsing, RoleNameIsTheFirstLine) {
  EXPECT_EQ(*parseImdsRoleName("tessera-instance\n"), "tessera-instance");
  EXPECT_EQ(*parseImdsRoleName("web-role"), "web-role");
  EXPECT_EQ(parseImdsRoleName("").error().code, ErrorCode::kEvidenceMissing);
  EXPECT_EQ(parseImdsRoleName("a/../b").error().code, ErrorCode::kEvidenceInvalid);
}

TEST(ImdsParsing, RoleCredentials) {
  auto ok = parseImdsRoleCredentials(
      R"({"Code":"Success","LastUpdated":"2026-11-30T10:00:00Z","Type":"AWS-HMAC",)"
      R"("AccessKeyId":"ASIAEXAMPLE","SecretAccessKey":"secret","Token":"session",)"
      R"("Expiration":"2026-11-30T16:00:00Z"})");
  ASSERT_TRUE(ok) << ok.error().describe();
  EXPECT_EQ(ok->credentials.accessKeyId, "ASIAEXAMPLE");
  EXPECT_EQ(ok->credentials.secretAccessKey, "secret");
  EXPECT_EQ(ok->credentials.sessionToken, "session");
  EXPECT_EQ(formatRfc3339(ok->expiration), "2026-11-30T16:00:00Z");

  // IMDS reports a failure as 200 with another Code.
  auto failed = parseImdsRoleCredentials(R"({"Code":"AssumeRoleUnauthorizedAccess",)"
                                         R"("Message":"EC2 cannot assume the role"})");
  ASSERT_FALSE(failed);
  EXPECT_NE(failed.error().message.find("AssumeRoleUnauthorizedAccess"), std::string::npos);
  EXPECT_FALSE(parseImdsRoleCredentials(R"({"Code":"Success","AccessKeyId":"A"})"));
  EXPECT_FALSE(parseImdsRoleCredentials(
      R"({"AccessKeyId":"A","SecretAccessKey":"s","Expiration":"tomorrow"})"));
  EXPECT_FALSE(parseImdsRoleCredentials("not json"));
}

TEST(AzureParsing, AttestedAnswer) {
  auto ok = parseAzureAttested(R"({"encoding":"pkcs7","signature":"MIIx"})");
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, (json{{"encoding", "pkcs7"}, {"signature", "MIIx"}}));
  EXPECT_FALSE(parseAzureAttested(R"({"encoding":"base64","signature":"MIIx"})"));
  EXPECT_FALSE(parseAzureAttested(R"({"encoding":"pkcs7"})"));
  EXPECT_EQ(azureNonce(kStart), "1800000000");
}

// The hub's own checks accept what the edge signs, for its server id only.
class SignedGetCallerIdentity : public ::testing::Test {
 protected:
  const trust::AwsRoleTrustProvider& provider() {
    if (!compiled_) {
      model::ConfigObject object;
      object.kind = model::Kind::kTrustProvider;
      object.metadata.name = "aws";
      object.spec =
          json{{"type", "aws-role"},
               {"stsEndpoints", {"http://127.0.0.1:5000/", "https://sts.amazonaws.com/"}}};
      auto compiled = trust::compileTrustProvider(object);
      EXPECT_TRUE(compiled) << compiled.error().describe();
      compiled_ = std::move(*compiled);
    }
    return dynamic_cast<const trust::AwsRoleTrustProvider&>(*compiled_);
  }
  Result<trust::StsReplay> replay(const json& signedRequest, std::string_view serverId,
                                  SystemTime now) {
    auto evidence = trust::parseEvidence({{"awsGetCallerIdentity", signedRequest}}, "/evidence");
    EXPECT_TRUE(evidence) << evidence.error().describe();
    return provider().prepareReplay(*evidence->awsGetCallerIdentity, serverId, now);
  }
  std::unique_ptr<const trust::TrustProvider> compiled_;
};

TEST_F(SignedGetCallerIdentity, PassesTheHubsChecks) {
  const sigv4::Credentials credentials{"ASIAEXAMPLE", "secret", "session-token"};
  auto signedRequest =
      signGetCallerIdentity(credentials, "http://127.0.0.1:5000", "us-east-1", "hub-1", kStart);
  ASSERT_TRUE(signedRequest) << signedRequest.error().describe();
  EXPECT_EQ((*signedRequest)["method"], "POST");
  EXPECT_EQ((*signedRequest)["url"], "http://127.0.0.1:5000/");
  EXPECT_EQ((*signedRequest)["body"], "Action=GetCallerIdentity&Version=2011-06-15");
  const auto& headers = (*signedRequest)["headers"];
  EXPECT_EQ(headers["X-Tessera-Server-ID"], "hub-1");
  EXPECT_EQ(headers["X-Amz-Security-Token"], "session-token");
  const std::string authorization = headers["Authorization"];
  EXPECT_NE(authorization.find("/20270115/us-east-1/sts/aws4_request"), std::string::npos)
      << authorization;
  EXPECT_NE(authorization.find("x-tessera-server-id"), std::string::npos);

  auto ok = replay(*signedRequest, "hub-1", kStart + 30s);
  ASSERT_TRUE(ok) << ok.error().describe();
  EXPECT_EQ(ok->url, "http://127.0.0.1:5000/");
  auto otherHub = replay(*signedRequest, "hub-2", kStart);
  ASSERT_FALSE(otherHub);
  EXPECT_NE(otherHub.error().message.find("is not this hub's"), std::string::npos);
  auto stale = replay(*signedRequest, "hub-1", kStart + 10min);
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, ErrorCode::kTokenExpired);

  // The default endpoint of edge.yaml is one the hub allows by default.
  auto aws = signGetCallerIdentity(credentials, "https://sts.amazonaws.com/", "us-east-1", "hub-1",
                                   kStart);
  ASSERT_TRUE(aws);
  EXPECT_TRUE(replay(*aws, "hub-1", kStart));
}

// IMDSv2, Azure IMDS and the GCE metadata server as each validates its callers, counted.
class ScriptedMetadata {
 public:
  ScriptedMetadata() {
    net::Router router;
    router.add("PUT", "/latest/api/token", [this](net::Request& r) {
      ++calls_["token"];
      if (!r.header("X-aws-ec2-metadata-token-ttl-seconds")) {
        return net::textResponse(400, "");
      }
      return net::textResponse(200, "imds-session-" + std::to_string(calls_["token"].load()));
    });
    const auto imds = [this](std::string name, std::function<net::Response()> answer) {
      return [this, name, answer](net::Request& r) {
        ++calls_[name];
        const auto token = r.header("X-aws-ec2-metadata-token");
        if (!token || token->rfind("imds-session-", 0) != 0) {
          return net::textResponse(401, "");
        }
        return answer();
      };
    };
    router.add("GET", "/latest/dynamic/instance-identity/document",
               imds("document", [this] { return net::textResponse(200, document_); }));
    router.add("GET", "/latest/dynamic/instance-identity/rsa2048",
               imds("rsa2048", [] { return net::textResponse(200, "MIIB\nAAAA\n"); }));
    router.add("GET", "/latest/meta-data/iam/security-credentials/",
               imds("listing", [] { return net::textResponse(200, "tessera-instance"); }));
    router.add("GET", "/latest/meta-data/iam/security-credentials/tessera-instance",
               imds("credentials", [this] {
                 return net::jsonResponse(200, {{"Code", "Success"},
                                                {"AccessKeyId", "ASIAEXAMPLE"},
                                                {"SecretAccessKey", "secret"},
                                                {"Token", "session"},
                                                {"Expiration", formatRfc3339(expiration_)}});
               }));
    router.add("GET", "/metadata/attested/document", [this](net::Request& r) {
      ++calls_["azure"];
      if (r.header("Metadata") != std::optional<std::string_view>("true")) {
        return net::textResponse(400, "");
      }
      lastNonce_ = std::string(r.query("nonce").value_or(""));
      return net::jsonResponse(200, {{"encoding", "pkcs7"}, {"signature", "MIIazure"}});
    });
    router.add("GET", "/computeMetadata/v1/instance/service-accounts/default/identity",
               [this](net::Request& r) {
                 ++calls_["gce"];
                 if (r.header("Metadata-Flavor") != std::optional<std::string_view>("Google") ||
                     r.query("audience") != std::optional<std::string_view>("https://hub") ||
                     r.query("format") != std::optional<std::string_view>("full")) {
                   return net::textResponse(403, "");
                 }
                 const json claims{{"iss", "https://accounts.google.com"},
                                   {"exp", toUnixSeconds(gceExpiry_)}};
                 return net::textResponse(
                     200, "eyJhbGciOiJSUzI1NiJ9." + jose::base64UrlEncode(claims.dump()) + ".sig");
               });
    server_ = std::make_unique<net::HttpServer>(std::move(router), net::HttpServerOptions{
                                                                       .bind = "127.0.0.1:0",
                                                                       .threads = 1,
                                                                   });
    auto started = server_->start();
    if (!started) {
      throw std::runtime_error(started.error().describe());
    }
  }
  ~ScriptedMetadata() { server_->stop(1s); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }
  int calls(const std::string& name) { return calls_[name].load(); }

  std::string document_ = R"({"accountId":"111122223333","region":"us-east-1"})";
  SystemTime expiration_ = kStart + 6h;
  SystemTime gceExpiry_ = kStart + 1h;
  std::string lastNonce_;

 private:
  std::map<std::string, std::atomic<int>> calls_;
  std::unique_ptr<net::HttpServer> server_;
};

class CloudEvidenceTest : public ::testing::Test {
 protected:
  CloudEvidenceTest() : clock_(kStart), work_(ioc_.get_executor()) {
    // Every counter exists before the server's threads touch the map.
    for (const char* name :
         {"token", "document", "rsa2048", "listing", "credentials", "azure", "gce"}) {
      metadata_.calls(name);
    }
    // One io_context for the whole test: the client pools connections on it.
    thread_ = std::thread([this] { ioc_.run(); });
  }
  ~CloudEvidenceTest() override {
    http_.reset();
    work_.reset();
    ioc_.stop();
    thread_.join();
  }

  EvidenceSettings settings(bool aws, bool azure, bool gce) {
    EvidenceSettings s;
    s.hostFacts = false;
    if (aws) {
      s.awsImds = AwsImdsSettings{};
      s.awsImds->endpoint = metadata_.url();
      s.awsImds->stsEndpoint = "http://127.0.0.1:5000/";
      s.awsImds->serverId = "hub-1";
    }
    if (azure) {
      s.azureImds = AzureImdsSettings{metadata_.url()};
    }
    if (gce) {
      s.gceMetadata = GceMetadataSettings{metadata_.url(), "https://hub"};
    }
    return s;
  }

  std::pair<json, json> collect(CloudEvidence& cloud) {
    auto run = [&cloud]() -> boost::asio::awaitable<std::pair<json, json>> {
      json evidence = json::object();
      json tokens = json::array();
      co_await cloud.collect(evidence, tokens);
      co_return std::pair{evidence, tokens};
    };
    return boost::asio::co_spawn(ioc_, run(), boost::asio::use_future).get();
  }

  ManualClock clock_;
  ScriptedMetadata metadata_;
  boost::asio::io_context ioc_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::thread thread_;
  std::shared_ptr<net::HttpClient> http_ = *net::HttpClient::create();
};

TEST_F(CloudEvidenceTest, AwsDocumentAndRoleCachedWhileValid) {
  CloudEvidence cloud(settings(true, false, false), http_, clock_);
  auto [evidence, tokens] = collect(cloud);
  EXPECT_TRUE(tokens.empty());
  EXPECT_EQ(evidence["awsInstanceIdentity"]["document"], metadata_.document_);
  EXPECT_EQ(evidence["awsInstanceIdentity"]["rsa2048"], "MIIBAAAA");  // line breaks removed
  ASSERT_TRUE(evidence.contains("awsGetCallerIdentity"));
  EXPECT_EQ(evidence["awsGetCallerIdentity"]["headers"]["X-Tessera-Server-ID"], "hub-1");
  EXPECT_EQ(metadata_.calls("token"), 1);  // one session token for all four GETs
  EXPECT_EQ(metadata_.calls("credentials"), 1);

  // Within a minute: everything from the cache, the same signed request.
  clock_.advance(30s);
  auto [again, _] = collect(cloud);
  EXPECT_EQ(again, evidence);
  EXPECT_EQ(metadata_.calls("document"), 1);
  EXPECT_EQ(metadata_.calls("credentials"), 1);

  // After a minute: a newly signed request from the cached credentials.
  clock_.advance(60s);
  auto [later, __] = collect(cloud);
  EXPECT_NE(later["awsGetCallerIdentity"], evidence["awsGetCallerIdentity"]);
  EXPECT_EQ(metadata_.calls("credentials"), 1);
  EXPECT_EQ(metadata_.calls("document"), 1);

  // Five minutes before the credentials expire they are read again (IMDS has rotated them);
  // the document after its five minutes, with a new session token.
  clock_.set(metadata_.expiration_ - 4min);
  metadata_.expiration_ += 6h;
  collect(cloud);
  EXPECT_EQ(metadata_.calls("credentials"), 2);
  EXPECT_EQ(metadata_.calls("document"), 2);
  EXPECT_EQ(metadata_.calls("token"), 2);
}

TEST_F(CloudEvidenceTest, AFailingSourceIsLeftOutAndTheOthersKept) {
  // A document larger than the hub accepts is left out; the role evidence still goes.
  metadata_.document_ = std::string(kMaxCloudDocumentBytes + 1, 'x');
  CloudEvidence cloud(settings(true, true, true), http_, clock_);
  auto [evidence, tokens] = collect(cloud);
  EXPECT_FALSE(evidence.contains("awsInstanceIdentity"));
  EXPECT_TRUE(evidence.contains("awsGetCallerIdentity"));
  EXPECT_TRUE(evidence.contains("azureAttestedDocument"));
  EXPECT_EQ(tokens.size(), 1u);

  // Nothing listening: nothing collected, nothing thrown.
  EvidenceSettings down = settings(true, true, true);
  down.awsImds->endpoint = "http://127.0.0.1:1";
  down.azureImds->endpoint = "http://127.0.0.1:1";
  down.gceMetadata->endpoint = "http://127.0.0.1:1";
  CloudEvidence none(down, http_, clock_);
  auto [empty, noTokens] = collect(none);
  EXPECT_TRUE(empty.empty());
  EXPECT_TRUE(noTokens.empty());
}

TEST_F(CloudEvidenceTest, AzureNonceIsTheTimeAskedAndRenewedEveryMinute) {
  CloudEvidence cloud(settings(false, true, false), http_, clock_);
  auto [evidence, _] = collect(cloud);
  EXPECT_EQ(evidence["azureAttestedDocument"],
            (json{{"encoding", "pkcs7"}, {"signature", "MIIazure"}}));
  EXPECT_EQ(metadata_.lastNonce_, "1800000000");
  clock_.advance(59s);
  collect(cloud);
  EXPECT_EQ(metadata_.calls("azure"), 1);
  clock_.advance(2s);
  collect(cloud);
  EXPECT_EQ(metadata_.calls("azure"), 2);
  EXPECT_EQ(metadata_.lastNonce_, "1800000061");
}

TEST_F(CloudEvidenceTest, GceTokenCachedUntilAMinuteBeforeItExpires) {
  CloudEvidence cloud(settings(false, false, true), http_, clock_);
  auto [evidence, tokens] = collect(cloud);
  EXPECT_TRUE(evidence.empty());
  ASSERT_EQ(tokens.size(), 1u);
  clock_.advance(58min);
  collect(cloud);
  EXPECT_EQ(metadata_.calls("gce"), 1);
  clock_.advance(1min + 1s);
  metadata_.gceExpiry_ += 1h;
  auto [_, renewed] = collect(cloud);
  EXPECT_EQ(metadata_.calls("gce"), 2);
  EXPECT_NE(renewed, tokens);
}

}  // namespace
}  // namespace tessera::edge

namespace tessera::edge {
namespace {

Result<EdgeConfig> parseWithEvidence(const std::string& evidence) {
  return parseEdgeConfig(
      "hub: {url: \"https://hub.example.com\", tokenFile: edge-token}\n"
      "proxy: {listen: \"127.0.0.1:3128\"}\n"
      "evidence: " +
          evidence + "\n",
      "edge.yaml", "/etc/tessera");
}

TEST(CloudEvidenceConfig, DefaultsAndOverrides) {
  auto c = parseWithEvidence(
      "{awsImds: {serverId: hub-1}, azureImds: {}, "
      "gceMetadata: {audience: \"https://hub\"}}");
  ASSERT_TRUE(c) << c.error().describe();
  ASSERT_TRUE(c->evidence.awsImds);
  EXPECT_EQ(c->evidence.awsImds->endpoint, "http://169.254.169.254/");
  EXPECT_TRUE(c->evidence.awsImds->identityDocument);
  EXPECT_TRUE(c->evidence.awsImds->role);
  EXPECT_EQ(c->evidence.awsImds->region, "us-east-1");
  EXPECT_EQ(c->evidence.awsImds->stsEndpoint, "https://sts.amazonaws.com/");
  EXPECT_EQ(c->evidence.awsImds->serverId, "hub-1");
  ASSERT_TRUE(c->evidence.azureImds);
  EXPECT_EQ(c->evidence.azureImds->endpoint, "http://169.254.169.254/");
  ASSERT_TRUE(c->evidence.gceMetadata);
  EXPECT_EQ(c->evidence.gceMetadata->endpoint, "http://metadata.google.internal/");
  EXPECT_EQ(c->evidence.gceMetadata->audience, "https://hub");

  auto custom = parseWithEvidence(
      "{awsImds: {endpoint: \"http://127.0.0.1:8111\", role: false, region: eu-west-1, "
      "stsEndpoint: \"https://sts.eu-west-1.amazonaws.com\"}}");
  ASSERT_TRUE(custom) << custom.error().describe();
  EXPECT_FALSE(custom->evidence.awsImds->role);
  EXPECT_EQ(custom->evidence.awsImds->stsEndpoint, "https://sts.eu-west-1.amazonaws.com/");
  EXPECT_FALSE(custom->evidence.azureImds);
}

TEST(CloudEvidenceConfig, ErrorsNameTheField) {
  const auto expectError = [](const std::string& evidence, const std::string& fragment) {
    auto c = parseWithEvidence(evidence);
    ASSERT_FALSE(c) << evidence;
    EXPECT_NE(c.error().message.find(fragment), std::string::npos) << c.error().message;
  };
  expectError("{awsImds: {}}", "serverId");  // role defaults to true
  expectError("{awsImds: {serverId: h, stsEndpoint: \"https://sts.amazonaws.com/?x=1\"}}",
              "stsEndpoint");
  expectError("{awsImds: {identityDocument: false, role: false}}", "nothing to collect");
  expectError("{azureImds: {endpoint: \"ftp://x\"}}", "endpoint");
  expectError("{gceMetadata: {}}", "audience");
  expectError("{awsImds: {serverId: h, tokenTtl: 5}}", "tokenTtl");
}

}  // namespace
}  // namespace tessera::edge
