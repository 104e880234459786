// The gcp-workload-identity and azure-entra-federation providers compiled from CredentialProvider
// objects: configuration errors name the spec field, and the token the hub signs for Google STS or
// Entra carries the right iss, sub and aud (the pool provider's resource name by default). The
// exchanges themselves run against the stand-ins in tests/interop.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "credentials/credential_provider.hpp"

namespace tessera::credentials {
namespace {

using nlohmann::json;
const SystemTime kNow = SystemTime(std::chrono::seconds(1'796'061'600));
const std::string kIssuer = "https://hub.example.test";
const std::string kProvider =
    "//iam.googleapis.com/projects/123456789/locations/global/workloadIdentityPools/tessera-pool/"
    "providers/tessera-hub";

model::ConfigObject providerObject(json spec) {
  model::ConfigObject o;
  o.kind = model::Kind::kCredentialProvider;
  o.metadata.name = "cloud";
  o.metadata.version = 1;
  o.spec = std::move(spec);
  return o;
}

json gcp() {
  return {{"type", "gcp-workload-identity"},
          {"projectNumber", "123456789"},
          {"poolId", "tessera-pool"},
          {"providerId", "tessera-hub"}};
}

json entra() {
  return {{"type", "azure-entra-federation"},
          {"tenantId", "8eaef023-2b34-4da1-9baa-8bc8c9d6a490"},
          {"clientId", "97e0a5b7-d745-40b6-94fe-5f77d35c6e05"},
          {"scope", "https://management.azure.com/.default"}};
}

json with(json spec, const std::string& field, json value) {
  spec[field] = std::move(value);
  return spec;
}

// The signer records what the provider asks the hub to sign and then refuses, so that issue()
// stops before any upstream call.
class FederatedProviders : public ::testing::Test {
 protected:
  void SetUp() override {
    auto services = std::make_shared<CredentialServices>();
    services->issuer = kIssuer;
    services->sign = [this](std::string_view alg, const json& claims) -> Result<std::string> {
      algorithm_ = std::string(alg);
      claims_ = claims;
      return Error{ErrorCode::kInternal, "no signing key in this test"};
    };
    services_ = std::move(services);
  }

  Result<std::unique_ptr<const CredentialProvider>> compile(json spec) {
    return compileCredentialProvider(providerObject(std::move(spec)), services_);
  }

  void expectFieldError(json spec, const std::string& pointer) {
    auto p = compile(spec);
    ASSERT_FALSE(p.ok()) << spec.dump();
    EXPECT_EQ(p.error().code, ErrorCode::kConfigInvalid);
    EXPECT_NE(p.error().message.find(pointer + ": "), std::string::npos) << p.error().message;
  }

  // issue() for the client workload "sales-analytics"; returns its error.
  Error issueError(json spec) {
    auto provider = compile(std::move(spec));
    EXPECT_TRUE(provider.ok()) << provider.error().message;
    trust::VerifiedIdentity identity;
    identity.provider = "cluster";
    identity.subject = "system:serviceaccount:sales:analytics";
    auto request = makeGrantRequest({identity}, "p", "sales-analytics", "api", kNow);
    boost::asio::io_context io;
    std::optional<Result<Credential>> out;
    const CredentialProvider& p = **provider;
    boost::asio::co_spawn(
        io, [&]() -> boost::asio::awaitable<void> { out.emplace(co_await p.issue(request)); },
        boost::asio::detached);
    io.run();
    EXPECT_FALSE(out->ok());
    return out->ok() ? Error{} : out->error();
  }

  std::shared_ptr<const CredentialServices> services_;
  std::string algorithm_;
  json claims_;
};

TEST_F(FederatedProviders, GcpConfigurationErrorsNameTheField) {
  EXPECT_TRUE(compile(gcp()).ok());
  expectFieldError(with(gcp(), "projectNumber", "sales-prod"), "/spec/projectNumber");
  expectFieldError(with(gcp(), "poolId", "Pool_1"), "/spec/poolId");
  expectFieldError(with(gcp(), "providerId", "hub"), "/spec/providerId");
  expectFieldError(with(gcp(), "endpoint", "http://sts.googleapis.com/v1/token"), "/spec/endpoint");
  expectFieldError(with(gcp(), "iamCredentialsEndpoint", "ftp://iamcredentials.googleapis.com"),
                   "/spec/iamCredentialsEndpoint");
  const json impersonating = with(gcp(), "serviceAccount", "sa@p.iam.gserviceaccount.com");
  expectFieldError(with(impersonating, "lifetimeSeconds", 3601), "/spec/lifetimeSeconds");
  expectFieldError(with(impersonating, "lifetimeSeconds", 0), "/spec/lifetimeSeconds");
  EXPECT_TRUE(compile(with(impersonating, "lifetimeSeconds", 600)).ok());
  expectFieldError(with(gcp(), "lifetimeSeconds", 600), "/spec/lifetimeSeconds");
  expectFieldError(with(gcp(), "scopes", json::array()), "/spec/scopes");
  EXPECT_TRUE(compile(with(gcp(), "endpoint", "http://127.0.0.1:9000/v1/token")).ok());
}

TEST_F(FederatedProviders, GcpSubjectTokenIsForThePoolProviderByDefault) {
  auto error = issueError(gcp());
  EXPECT_EQ(error.code, ErrorCode::kInternal);
  EXPECT_NE(error.message.find("could not sign the subject token"), std::string::npos);
  EXPECT_EQ(algorithm_, "RS256");
  EXPECT_EQ(claims_["aud"], kProvider);
  EXPECT_EQ(claims_["iss"], kIssuer);
  EXPECT_EQ(claims_["sub"], "sales-analytics");
  EXPECT_EQ(claims_["exp"].get<std::int64_t>() - claims_["iat"].get<std::int64_t>(), 300);
}

TEST_F(FederatedProviders, GcpSubjectTokenAudienceCanBeConfigured) {
  (void)issueError(with(gcp(), "audience", "https://hub-audience.example"));
  EXPECT_EQ(claims_["aud"], "https://hub-audience.example");
}

TEST_F(FederatedProviders, EntraConfigurationErrorsNameTheField) {
  EXPECT_TRUE(compile(entra()).ok());
  EXPECT_TRUE(compile(with(entra(), "tenantId", "contoso.onmicrosoft.com")).ok());
  expectFieldError(with(entra(), "tenantId", "contoso/evil"), "/spec/tenantId");
  expectFieldError(with(entra(), "scope", "https://management.azure.com/user_impersonation"),
                   "/spec/scope");
  expectFieldError(with(entra(), "authorityHost", "http://login.microsoftonline.com"),
                   "/spec/authorityHost");
  EXPECT_TRUE(compile(with(entra(), "authorityHost", "http://127.0.0.1:8080/")).ok());
}

TEST_F(FederatedProviders, EntraAssertionIsForTheTokenExchangeAudience) {
  auto error = issueError(entra());
  EXPECT_NE(error.message.find("could not sign the client assertion"), std::string::npos);
  EXPECT_EQ(algorithm_, "RS256");
  EXPECT_EQ(claims_["aud"], "api://AzureADTokenExchange");
  EXPECT_EQ(claims_["iss"], kIssuer);
  EXPECT_EQ(claims_["sub"], "sales-analytics");
  const std::string jti = claims_.value("jti", "");
  EXPECT_GE(jti.size(), 16u);
  (void)issueError(entra());
  EXPECT_NE(claims_.value("jti", ""), jti) << "a fresh jti per assertion";
  (void)issueError(with(entra(), "audience", "api://custom-exchange"));
  EXPECT_EQ(claims_["aud"], "api://custom-exchange");
}

}  // namespace
}  // namespace tessera::credentials
