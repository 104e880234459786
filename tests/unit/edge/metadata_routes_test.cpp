// The metadata emulators through a real HttpServer on 127.0.0.1:0 and net::HttpClient, with a
// GrantSource double that answers fixed grants or errors per target host.
#include "edge/metadata_routes.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <unistd.h>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

#include "common/time_format.hpp"
#include "net/http_client.hpp"
#include "net/http_server.hpp"

namespace tessera::edge {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

const SystemTime kNow = fromUnixSeconds(1'800'000'000);

class FixedGrantSource final : public GrantSource {
 public:
  void set(const std::string& host, Result<Grant> answer) {
    std::lock_guard lock(mutex_);
    answers_.insert_or_assign(host, std::move(answer));
  }
  int calls() const {
    std::lock_guard lock(mutex_);
    return calls_;
  }
  Target lastTarget() const {
    std::lock_guard lock(mutex_);
    return lastTarget_;
  }
  ClientContext lastContext() const {
    std::lock_guard lock(mutex_);
    return lastContext_;
  }

  boost::asio::awaitable<Result<std::shared_ptr<const Grant>>> grantFor(
      Target target, ClientContext context) override {
    co_return answer(std::move(target), std::move(context));
  }

 private:
  Result<std::shared_ptr<const Grant>> answer(Target target, ClientContext context) {
    std::lock_guard lock(mutex_);
    ++calls_;
    lastTarget_ = target;
    lastContext_ = std::move(context);
    const auto it = answers_.find(target.host);
    if (it == answers_.end()) {
      return Error{ErrorCode::kNotFound, "no server workload"};
    }
    if (!it->second) {
      return it->second.error();
    }
    return std::make_shared<const Grant>(*it->second);
  }

  mutable std::mutex mutex_;
  std::map<std::string, Result<Grant>> answers_;
  int calls_ = 0;
  Target lastTarget_;
  ClientContext lastContext_;
};

Grant awsGrant() {
  Grant g;
  g.credentialType = "aws";
  g.fields = {{"accessKeyId", "ASIAEXAMPLE"},
              {"secretAccessKey", "secret/key"},
              {"sessionToken", "session-token"},
              {"assumedRoleArn", "arn:aws:sts::123456789012:assumed-role/reader/tessera"}};
  g.expiresAt = kNow + 3600s;
  return g;
}

Grant accessTokenGrant(std::string type, std::string token) {
  Grant g;
  g.credentialType = std::move(type);
  g.fields = {{"accessToken", std::move(token)}, {"tokenType", "Bearer"}};
  g.expiresAt = kNow + 1800s;
  return g;
}

Grant idTokenGrant(std::string token) {
  Grant g;
  g.credentialType = "id-token";
  g.fields = {{"token", std::move(token)}};
  g.expiresAt = kNow + 600s;
  return g;
}

Target httpTarget(std::string host) {
  Target t;
  t.host = std::move(host);
  t.port = 443;
  t.protocol = "http";
  return t;
}

class MetadataRoutesTest : public ::testing::Test {
 protected:
  void start(MetadataRoutesOptions options) {
    net::Router router;
    auto added = addMetadataRoutes(router, std::move(options), grants_, clock_);
    ASSERT_TRUE(added) << added.error().describe();
    net::HttpServerOptions serverOptions;
    serverOptions.bind = "127.0.0.1:0";
    serverOptions.threads = 1;
    server_ = std::make_unique<net::HttpServer>(std::move(router), serverOptions);
    auto started = server_->start();
    ASSERT_TRUE(started) << started.error().describe();
    auto client = net::HttpClient::create();
    ASSERT_TRUE(client);
    client_ = *client;
  }
  void TearDown() override {
    if (server_) {
      server_->stop(1s);
    }
  }

  net::ClientResponse get(const std::string& target,
                          std::vector<std::pair<std::string, std::string>> headers = {}) {
    auto request =
        net::ClientRequest::get("http://127.0.0.1:" + std::to_string(server_->port()) + target);
    for (auto& [name, value] : headers) {
      request.withHeader(name, std::move(value));
    }
    auto res = client_->requestBlocking(std::move(request));
    EXPECT_TRUE(res) << res.error().describe();
    return res ? *res : net::ClientResponse{};
  }
  static json body(const net::ClientResponse& res) { return json::parse(res.body); }

  FixedGrantSource grants_;
  ManualClock clock_{kNow};
  std::unique_ptr<net::HttpServer> server_;
  std::shared_ptr<net::HttpClient> client_;
};

// ------------------------------------------------------------------------------------------
// AWS container credentials

MetadataRoutesOptions awsOptions(std::string token = "edge-token", std::string file = "") {
  AwsContainerCredentialsOptions aws;
  aws.target = httpTarget("s3.amazonaws.com");
  aws.authorizationToken = std::move(token);
  aws.authorizationTokenFile = std::move(file);
  MetadataRoutesOptions o;
  o.aws = std::move(aws);
  return o;
}

TEST_F(MetadataRoutesTest, AwsServesTheGrantAsEcsDoes) {
  grants_.set("s3.amazonaws.com", awsGrant());
  start(awsOptions());
  auto res = get("/aws/credentials", {{"Authorization", "edge-token"}});
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(res.headers.get("Cache-Control"), "no-store");
  const auto b = body(res);
  EXPECT_EQ(b["AccessKeyId"], "ASIAEXAMPLE");
  EXPECT_EQ(b["SecretAccessKey"], "secret/key");
  EXPECT_EQ(b["Token"], "session-token");
  EXPECT_EQ(b["Expiration"], formatRfc3339(kNow + 3600s));
  EXPECT_EQ(b["RoleArn"], "arn:aws:sts::123456789012:assumed-role/reader/tessera");
  EXPECT_EQ(b["AccountId"], "123456789012");
  EXPECT_EQ(grants_.lastTarget().host, "s3.amazonaws.com");
  EXPECT_EQ(grants_.lastTarget().port, 443);
  EXPECT_EQ(grants_.lastTarget().protocol, "http");
  EXPECT_EQ(grants_.lastContext().sourceIp, "127.0.0.1");
}

TEST_F(MetadataRoutesTest, AwsRefusesAMissingOrWrongTokenWithoutAskingForAGrant) {
  grants_.set("s3.amazonaws.com", awsGrant());
  start(awsOptions());
  auto missing = get("/aws/credentials");
  EXPECT_EQ(missing.status, 401);
  EXPECT_EQ(body(missing)["code"], "unauthenticated");
  EXPECT_NE(body(missing)["message"].get<std::string>().find("AWS_CONTAINER_AUTHORIZATION_TOKEN"),
            std::string::npos);
  auto wrong = get("/aws/credentials", {{"Authorization", "edge-tokem"}});
  EXPECT_EQ(wrong.status, 403);
  EXPECT_EQ(body(wrong)["code"], "permission_denied");
  auto prefixed = get("/aws/credentials", {{"Authorization", "Bearer edge-token"}});
  EXPECT_EQ(prefixed.status, 403);
  EXPECT_EQ(wrong.body.find("ASIA"), std::string::npos);
  EXPECT_EQ(grants_.calls(), 0);
}

TEST_F(MetadataRoutesTest, AwsAcceptsTheTokenFileReadOnEveryRequest) {
  const auto file =
      std::filesystem::temp_directory_path() / ("tessera-meta-token-" + std::to_string(::getpid()));
  std::ofstream(file) << "from-file\n";
  grants_.set("s3.amazonaws.com", awsGrant());
  start(awsOptions("", file.string()));
  EXPECT_EQ(get("/aws/credentials", {{"Authorization", "from-file"}}).status, 200);
  std::ofstream(file) << "rotated";
  EXPECT_EQ(get("/aws/credentials", {{"Authorization", "from-file"}}).status, 403);
  EXPECT_EQ(get("/aws/credentials", {{"Authorization", "rotated"}}).status, 200);
  std::filesystem::remove(file);
  auto unreadable = get("/aws/credentials", {{"Authorization", "rotated"}});
  EXPECT_EQ(unreadable.status, 500);
  EXPECT_EQ(unreadable.headers.get("Tessera-Error"), "internal");
}

TEST_F(MetadataRoutesTest, AwsWithoutATokenIsAConfigurationError) {
  net::Router router;
  auto added = addMetadataRoutes(router, awsOptions(""), grants_, clock_);
  ASSERT_FALSE(added);
  EXPECT_EQ(added.error().code, ErrorCode::kConfigInvalid);
}

TEST_F(MetadataRoutesTest, AwsMapsGrantErrorsWithoutLeakingDetails) {
  grants_.set("s3.amazonaws.com",
              Error{ErrorCode::kPermissionDenied, "no_policy: no policy matched (context c1)"});
  start(awsOptions());
  auto denied = get("/aws/credentials", {{"Authorization", "edge-token"}});
  EXPECT_EQ(denied.status, 403);
  EXPECT_EQ(denied.headers.get("Tessera-Error"), "permission_denied");
  EXPECT_EQ(denied.headers.get("Cache-Control"), "no-store");
  EXPECT_NE(body(denied)["message"].get<std::string>().find("no policy matched"),
            std::string::npos);

  grants_.set("s3.amazonaws.com", Error{ErrorCode::kUnavailable, "hub unreachable"});
  auto unavailable = get("/aws/credentials", {{"Authorization", "edge-token"}});
  EXPECT_EQ(unavailable.status, 503);
  EXPECT_EQ(unavailable.headers.get("Tessera-Error"), "unavailable");
  EXPECT_NE(body(unavailable)["message"].get<std::string>().find("hub unreachable"),
            std::string::npos);

  grants_.set("s3.amazonaws.com", Error{ErrorCode::kInternal, "secret detail at 0xdead"});
  auto other = get("/aws/credentials", {{"Authorization", "edge-token"}});
  EXPECT_EQ(other.status, 502);
  EXPECT_EQ(other.body.find("secret detail"), std::string::npos);

  grants_.set("s3.amazonaws.com", accessTokenGrant("gcp", "ya29.token"));
  auto mismatch = get("/aws/credentials", {{"Authorization", "edge-token"}});
  EXPECT_EQ(mismatch.status, 500);
  EXPECT_EQ(mismatch.body.find("ya29"), std::string::npos);
  EXPECT_NE(mismatch.body.find("'gcp'"), std::string::npos);
}

TEST_F(MetadataRoutesTest, AwsPathIsConfigurable) {
  auto options = awsOptions();
  options.aws->path = "/v1/aws";
  grants_.set("s3.amazonaws.com", awsGrant());
  start(std::move(options));
  EXPECT_EQ(get("/v1/aws", {{"Authorization", "edge-token"}}).status, 200);
  EXPECT_EQ(get("/aws/credentials", {{"Authorization", "edge-token"}}).status, 404);
}

// ------------------------------------------------------------------------------------------
// GCE metadata server

MetadataRoutesOptions gceOptions() {
  GceMetadataOptions gce;
  gce.target = httpTarget("storage.googleapis.com");
  gce.serviceAccountEmail = "reader@proj.iam.gserviceaccount.com";
  gce.projectId = "proj";
  gce.numericProjectId = "123456";
  gce.identityAudiences.push_back(GceAudienceTarget{"https://run.example", httpTarget("run")});
  gce.identityAudiences.push_back(
      GceAudienceTarget{"https://wrong.example", httpTarget("storage.googleapis.com")});
  MetadataRoutesOptions o;
  o.gce = std::move(gce);
  return o;
}

const std::vector<std::pair<std::string, std::string>> kFlavor = {{"Metadata-Flavor", "Google"}};

TEST_F(MetadataRoutesTest, GceServesTheAccessTokenWithItsRemainingLifetime) {
  grants_.set("storage.googleapis.com", accessTokenGrant("gcp", "ya29.token"));
  start(gceOptions());
  clock_.advance(30s);
  for (const std::string target :
       {"/computeMetadata/v1/instance/service-accounts/default/token",
        "/computeMetadata/v1/instance/service-accounts/default/token?scopes=a,b",
        "/computeMetadata/v1/instance/service-accounts/reader%40proj.iam.gserviceaccount.com/token",
        "/computeMetadata/v1/instance/service-accounts/reader@proj.iam.gserviceaccount.com/"
        "token"}) {
    auto res = get(target, kFlavor);
    ASSERT_EQ(res.status, 200) << target << ": " << res.body;
    EXPECT_EQ(res.headers.get("Metadata-Flavor"), "Google");
    EXPECT_EQ(res.headers.get("Cache-Control"), "no-store");
    EXPECT_EQ(
        body(res),
        (json{{"access_token", "ya29.token"}, {"expires_in", 1770}, {"token_type", "Bearer"}}));
  }
  EXPECT_EQ(get("/computeMetadata/v1/instance/service-accounts/other@x/token", kFlavor).status,
            404);
}

TEST_F(MetadataRoutesTest, GceRequiresTheFlavorHeaderAndRefusesForwardedRequests) {
  grants_.set("storage.googleapis.com", accessTokenGrant("gcp", "ya29.token"));
  start(gceOptions());
  auto missing = get("/computeMetadata/v1/instance/service-accounts/default/token");
  EXPECT_EQ(missing.status, 403);
  EXPECT_EQ(missing.body, "Missing required header \"Metadata-Flavor\": \"Google\"\n");
  EXPECT_EQ(get("/computeMetadata/v1/instance/service-accounts/default/token",
                {{"Metadata-Flavor", "google"}})
                .status,
            403);
  auto forwarded = get("/computeMetadata/v1/instance/service-accounts/default/token",
                       {{"Metadata-Flavor", "Google"}, {"X-Forwarded-For", "10.0.0.1"}});
  EXPECT_EQ(forwarded.status, 403);
  EXPECT_EQ(forwarded.body.find("ya29"), std::string::npos);
  EXPECT_EQ(get("/computeMetadata/v1/no/such/key", {}).status, 403);
  EXPECT_EQ(grants_.calls(), 0);
}

TEST_F(MetadataRoutesTest, GceAnswersThePingsAndTheInstanceKeys) {
  grants_.set("storage.googleapis.com", accessTokenGrant("gcp", "ya29.token"));
  start(gceOptions());
  EXPECT_EQ(get("/", kFlavor).body, "computeMetadata/\n");
  EXPECT_EQ(get("/computeMetadata/v1/", kFlavor).status, 200);
  EXPECT_EQ(get("/computeMetadata/v1", kFlavor).status, 200);
  EXPECT_EQ(get("/computeMetadata/v1/instance", kFlavor).status, 200);
  EXPECT_EQ(get("/computeMetadata/v1/instance/service-accounts/default/email", kFlavor).body,
            "reader@proj.iam.gserviceaccount.com");
  EXPECT_EQ(get("/computeMetadata/v1/project/project-id", kFlavor).body, "proj");
  EXPECT_EQ(get("/computeMetadata/v1/project/numeric-project-id", kFlavor).body, "123456");
  EXPECT_EQ(get("/computeMetadata/v1/universe/universe-domain", kFlavor).body, "googleapis.com");
  auto listing = get("/computeMetadata/v1/instance/service-accounts/default/", kFlavor);
  EXPECT_EQ(listing.body, "aliases\nemail\nidentity\nscopes\ntoken\n");
  auto recursive =
      get("/computeMetadata/v1/instance/service-accounts/default/?recursive=true", kFlavor);
  ASSERT_EQ(recursive.status, 200);
  EXPECT_EQ(body(recursive)["email"], "reader@proj.iam.gserviceaccount.com");
  EXPECT_EQ(body(recursive)["aliases"], json::array({"default"}));
  EXPECT_EQ(body(recursive)["scopes"],
            json::array({"https://www.googleapis.com/auth/cloud-platform"}));
  auto unknown = get("/computeMetadata/v1/instance/zone", kFlavor);
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.headers.get("Metadata-Flavor"), "Google");
  EXPECT_EQ(get("/computeMetadata/v1/instance/service-accounts/other@x/email", kFlavor).status,
            404);
}

TEST_F(MetadataRoutesTest, GceTakesTheEmailFromTheGrantWhenNoneIsConfigured) {
  auto options = gceOptions();
  options.gce->serviceAccountEmail.clear();
  options.gce->projectId.clear();
  Grant g = accessTokenGrant("gcp", "ya29.token");
  g.fields.emplace("serviceAccount", "sa@p.iam.gserviceaccount.com");
  grants_.set("storage.googleapis.com", g);
  start(std::move(options));
  EXPECT_EQ(get("/computeMetadata/v1/instance/service-accounts/default/email", kFlavor).body,
            "sa@p.iam.gserviceaccount.com");
  EXPECT_EQ(get("/computeMetadata/v1/instance/service-accounts/sa@p.iam.gserviceaccount.com/token",
                kFlavor)
                .status,
            200);
  EXPECT_EQ(get("/computeMetadata/v1/project/project-id", kFlavor).status, 404);
}

TEST_F(MetadataRoutesTest, GceServesIdentityTokensOnlyForConfiguredAudiencesAndFittingGrants) {
  grants_.set("run", idTokenGrant("eyJ.id.token"));
  grants_.set("storage.googleapis.com", accessTokenGrant("gcp", "ya29.token"));
  start(gceOptions());
  const std::string base = "/computeMetadata/v1/instance/service-accounts/default/identity";
  auto ok = get(base + "?audience=https%3A%2F%2Frun.example&format=full", kFlavor);
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.body, "eyJ.id.token");
  EXPECT_EQ(grants_.lastTarget().host, "run");
  EXPECT_EQ(get(base, kFlavor).status, 400);
  auto unknown = get(base + "?audience=https://other.example", kFlavor);
  EXPECT_EQ(unknown.status, 404);
  EXPECT_NE(unknown.body.find("audience"), std::string::npos);
  auto wrongType = get(base + "?audience=https://wrong.example", kFlavor);
  EXPECT_EQ(wrongType.status, 404);
  EXPECT_EQ(wrongType.body.find("ya29"), std::string::npos);
  EXPECT_NE(wrongType.body.find("identity token"), std::string::npos);
}

TEST_F(MetadataRoutesTest, GceMapsGrantErrors) {
  grants_.set("storage.googleapis.com", Error{ErrorCode::kUnavailable, "hub unreachable"});
  start(gceOptions());
  auto res = get("/computeMetadata/v1/instance/service-accounts/default/token", kFlavor);
  EXPECT_EQ(res.status, 503);
  EXPECT_EQ(res.headers.get("Tessera-Error"), "unavailable");
  EXPECT_EQ(res.headers.get("Metadata-Flavor"), "Google");
  EXPECT_EQ(body(res)["error"], "unavailable");
  grants_.set("storage.googleapis.com", Error{ErrorCode::kPermissionDenied, "refused"});
  EXPECT_EQ(get("/computeMetadata/v1/instance/service-accounts/default/token", kFlavor).status,
            403);
}

// ------------------------------------------------------------------------------------------
// Azure managed identity

MetadataRoutesOptions azureOptions() {
  AzureManagedIdentityOptions azure;
  azure.resources.push_back(AzureResourceTarget{"https://vault.azure.net", httpTarget("vault")});
  azure.resources.push_back(
      AzureResourceTarget{"https://storage.azure.com/", httpTarget("storage")});
  azure.resources.push_back(AzureResourceTarget{"api://tessera-*", httpTarget("api")});
  azure.clientId = "5e29463d-0000-4afe-9504-59967a63f810";
  azure.identityHeader = "app-service-secret";
  MetadataRoutesOptions o;
  o.azure = std::move(azure);
  return o;
}

const std::vector<std::pair<std::string, std::string>> kMetadata = {{"Metadata", "true"}};

TEST_F(MetadataRoutesTest, AzureImdsServesTheGrantWithStringNumbers) {
  grants_.set("vault", accessTokenGrant("azure", "eyJ.azure"));
  start(azureOptions());
  auto res =
      get("/metadata/identity/oauth2/"
          "token?api-version=2018-02-01&resource=https%3A%2F%2Fvault.azure.net",
          kMetadata);
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(res.headers.get("Cache-Control"), "no-store");
  const auto now = toUnixSeconds(kNow);
  EXPECT_EQ(body(res), (json{{"access_token", "eyJ.azure"},
                             {"expires_in", "1800"},
                             {"expires_on", std::to_string(now + 1800)},
                             {"ext_expires_in", "1800"},
                             {"not_before", std::to_string(now)},
                             {"resource", "https://vault.azure.net"},
                             {"token_type", "Bearer"},
                             {"client_id", "5e29463d-0000-4afe-9504-59967a63f810"}}));
  EXPECT_EQ(grants_.lastTarget().host, "vault");
  // MSAL asks with a trailing slash.
  EXPECT_EQ(get("/metadata/identity/oauth2/token/?api-version=2018-02-01&resource=https://"
                "vault.azure.net",
                kMetadata)
                .status,
            200);
}

TEST_F(MetadataRoutesTest, AzureImdsMapsResourcesToTargets) {
  grants_.set("vault", accessTokenGrant("azure", "vault-token"));
  grants_.set("storage", accessTokenGrant("azure", "storage-token"));
  grants_.set("api", accessTokenGrant("oauth", "api-token"));
  start(azureOptions());
  const std::string base = "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=";
  EXPECT_EQ(body(get(base + "https://vault.azure.net/", kMetadata))["access_token"], "vault-token");
  EXPECT_EQ(body(get(base + "https://storage.azure.com", kMetadata))["access_token"],
            "storage-token");
  EXPECT_EQ(body(get(base + "api://tessera-orders", kMetadata))["access_token"], "api-token");
  auto unknown = get(base + "https://management.azure.com", kMetadata);
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(body(unknown)["error"], "invalid_resource");
  EXPECT_NE(body(unknown)["error_description"].get<std::string>().find("management.azure.com"),
            std::string::npos);
}

TEST_F(MetadataRoutesTest, AzureImdsRefusesBadRequests) {
  grants_.set("vault", accessTokenGrant("azure", "eyJ.azure"));
  start(azureOptions());
  const std::string ok =
      "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://vault.azure.net";
  auto noHeader = get(ok);
  EXPECT_EQ(noHeader.status, 400);
  EXPECT_EQ(body(noHeader)["error"], "invalid_request");
  EXPECT_EQ(get(ok, {{"Metadata", "false"}}).status, 400);
  EXPECT_EQ(get(ok, {{"Metadata", "true"}, {"X-Forwarded-For", "1.2.3.4"}}).status, 400);
  EXPECT_EQ(
      get("/metadata/identity/oauth2/token?resource=https://vault.azure.net", kMetadata).status,
      400);
  EXPECT_EQ(get("/metadata/identity/oauth2/token?api-version=2018-02-01", kMetadata).status, 400);
  EXPECT_EQ(get(ok + "&client_id=another", kMetadata).status, 400);
  EXPECT_EQ(get(ok + "&client_id=5E29463D-0000-4AFE-9504-59967A63F810", kMetadata).status, 200);
  EXPECT_EQ(get(ok + "&object_id=x", kMetadata).status, 400);
  EXPECT_EQ(get(ok + "&resource_pad=" + std::string(5000, 'a'), kMetadata).status, 400);
  EXPECT_EQ(grants_.calls(), 1);
}

TEST_F(MetadataRoutesTest, AzureAppServiceChecksTheIdentityHeader) {
  grants_.set("vault", accessTokenGrant("azure", "eyJ.azure"));
  start(azureOptions());
  const std::string target = "/msi/token?api-version=2019-08-01&resource=https://vault.azure.net";
  EXPECT_EQ(get(target).status, 401);
  auto wrong = get(target, {{"X-IDENTITY-HEADER", "app-service-secreT"}});
  EXPECT_EQ(wrong.status, 403);
  EXPECT_EQ(grants_.calls(), 0);
  auto res = get(target, {{"X-IDENTITY-HEADER", "app-service-secret"}});
  ASSERT_EQ(res.status, 200) << res.body;
  const auto b = body(res);
  EXPECT_EQ(b["access_token"], "eyJ.azure");
  EXPECT_EQ(b["expires_on"], std::to_string(toUnixSeconds(kNow) + 1800));
  EXPECT_EQ(b["resource"], "https://vault.azure.net");
  EXPECT_EQ(b["token_type"], "Bearer");
  EXPECT_FALSE(b.contains("expires_in"));
}

TEST_F(MetadataRoutesTest, AzureMapsGrantErrors) {
  grants_.set("vault", Error{ErrorCode::kPermissionDenied, "outside_time_window: closed"});
  grants_.set("storage", Error{ErrorCode::kUnavailable, "hub unreachable"});
  grants_.set("api", idTokenGrant("eyJ.id"));
  start(azureOptions());
  const std::string base = "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=";
  auto denied = get(base + "https://vault.azure.net", kMetadata);
  EXPECT_EQ(denied.status, 403);
  EXPECT_EQ(denied.headers.get("Tessera-Error"), "permission_denied");
  EXPECT_NE(body(denied)["error_description"].get<std::string>().find("outside_time_window"),
            std::string::npos);
  auto unavailable = get(base + "https://storage.azure.com", kMetadata);
  EXPECT_EQ(unavailable.status, 503);
  EXPECT_EQ(body(unavailable)["error"], "unavailable");
  auto mismatch = get(base + "api://tessera-x", kMetadata);
  EXPECT_EQ(mismatch.status, 500);
  EXPECT_EQ(mismatch.body.find("eyJ.id"), std::string::npos);
}

TEST_F(MetadataRoutesTest, AllEmulatorsShareOneRouterAndCollisionsAreConfigErrors) {
  auto options = awsOptions();
  options.gce = gceOptions().gce;
  options.azure = azureOptions().azure;
  grants_.set("s3.amazonaws.com", awsGrant());
  grants_.set("storage.googleapis.com", accessTokenGrant("gcp", "ya29.token"));
  grants_.set("vault", accessTokenGrant("azure", "eyJ.azure"));
  start(options);
  EXPECT_EQ(get("/aws/credentials", {{"Authorization", "edge-token"}}).status, 200);
  EXPECT_EQ(get("/computeMetadata/v1/instance/service-accounts/default/token", kFlavor).status,
            200);
  EXPECT_EQ(get("/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://"
                "vault.azure.net",
                kMetadata)
                .status,
            200);

  auto clash = awsOptions();
  clash.azure = azureOptions().azure;
  clash.azure->appServicePath = "/aws/credentials";
  net::Router router;
  auto added = addMetadataRoutes(router, std::move(clash), grants_, clock_);
  ASSERT_FALSE(added);
  EXPECT_EQ(added.error().code, ErrorCode::kConfigInvalid);
  auto relative = awsOptions();
  relative.aws->path = "aws";
  net::Router router2;
  EXPECT_FALSE(addMetadataRoutes(router2, std::move(relative), grants_, clock_));
}

TEST_F(MetadataRoutesTest, LongRequestTargetsAreRefusedBeforeAnyGrant) {
  auto options = awsOptions();
  options.gce = gceOptions().gce;
  grants_.set("s3.amazonaws.com", awsGrant());
  grants_.set("storage.googleapis.com", accessTokenGrant("gcp", "ya29.token"));
  start(options);
  const std::string pad = "?pad=" + std::string(5000, 'x');
  EXPECT_EQ(get("/aws/credentials" + pad, {{"Authorization", "edge-token"}}).status, 400);
  EXPECT_EQ(
      get("/computeMetadata/v1/instance/service-accounts/default/token" + pad, kFlavor).status,
      400);
  EXPECT_EQ(grants_.calls(), 0);
}

// Logs name credentials by fingerprint only, and never echo a presented secret.
TEST_F(MetadataRoutesTest, LogsCarryFingerprintsNeverSecrets) {
  std::ostringstream captured;
  auto previous = spdlog::default_logger();
  auto logger = std::make_shared<spdlog::logger>(
      "capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(captured));
  logger->set_level(spdlog::level::trace);
  spdlog::set_default_logger(logger);

  auto options = awsOptions();
  options.gce = gceOptions().gce;
  options.azure = azureOptions().azure;
  grants_.set("s3.amazonaws.com", awsGrant());
  grants_.set("storage.googleapis.com", accessTokenGrant("gcp", "ya29.token"));
  grants_.set("vault", accessTokenGrant("azure", "eyJ.azure"));
  start(options);
  EXPECT_EQ(get("/aws/credentials", {{"Authorization", "edge-token"}}).status, 200);
  EXPECT_EQ(get("/aws/credentials", {{"Authorization", "guessed-token"}}).status, 403);
  EXPECT_EQ(get("/computeMetadata/v1/instance/service-accounts/default/token", kFlavor).status,
            200);
  EXPECT_EQ(get("/msi/token?api-version=2019-08-01&resource=https://vault.azure.net",
                {{"X-IDENTITY-HEADER", "app-service-secret"}})
                .status,
            200);
  EXPECT_EQ(get("/msi/token?api-version=2019-08-01&resource=https://vault.azure.net",
                {{"X-IDENTITY-HEADER", "guessed-secret"}})
                .status,
            403);
  server_->stop(1s);
  spdlog::set_default_logger(previous);

  const std::string log = captured.str();
  EXPECT_NE(log.find(awsGrant().fingerprint()), std::string::npos) << log;
  EXPECT_NE(log.find(accessTokenGrant("gcp", "ya29.token").fingerprint()), std::string::npos);
  for (const char* secret : {"secret/key", "session-token", "ya29.token", "eyJ.azure", "edge-token",
                             "guessed-token", "app-service-secret", "guessed-secret"}) {
    EXPECT_EQ(log.find(secret), std::string::npos) << secret << " in " << log;
  }
}

}  // namespace
}  // namespace tessera::edge
