// The oidc-id-token and static-secret providers compiled from CredentialProvider objects: tokens
// verified with the repo's JOSE code against the signer's public keys, templates failing closed,
// static secrets handed out as named fields.
#include "credentials/credential_provider.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <set>

#include "jose/jwt.hpp"

namespace tessera::credentials {
namespace {

using nlohmann::json;
const SystemTime kNow = SystemTime(std::chrono::seconds(1'796'061'600));
const std::string kIssuer = "https://hub.example.test";

model::ConfigObject providerObject(const std::string& name, json spec) {
  model::ConfigObject o;
  o.kind = model::Kind::kCredentialProvider;
  o.metadata.name = name;
  o.metadata.version = 3;
  o.spec = std::move(spec);
  return o;
}

Result<Credential> run(const CredentialProvider& provider, GrantRequest request) {
  boost::asio::io_context io;
  std::optional<Result<Credential>> out;
  boost::asio::co_spawn(
      io, [&]() -> boost::asio::awaitable<void> { out.emplace(co_await provider.issue(request)); },
      boost::asio::detached);
  io.run();
  return std::move(*out);
}

class Providers : public ::testing::Test {
 protected:
  void SetUp() override {
    auto services = std::make_shared<CredentialServices>();
    services->issuer = kIssuer;
    services->sign = [this](std::string_view alg, const json& claims) -> Result<std::string> {
      ++signed_;
      if (alg == "RS256") {
        return jose::signJwt(rsa_, jose::Algorithm::kRs256, claims);
      }
      if (alg == "ES256") {
        return jose::signJwt(ec_, jose::Algorithm::kEs256, claims);
      }
      return fail(ErrorCode::kInvalidArgument, "no key for " + std::string(alg));
    };
    services_ = std::move(services);
  }

  std::unique_ptr<const CredentialProvider> compile(json spec) {
    auto p = compileCredentialProvider(providerObject("p", std::move(spec)), services_);
    EXPECT_TRUE(p.ok()) << p.error().message;
    return p ? std::move(*p) : nullptr;
  }

  GrantRequest request() {
    trust::VerifiedIdentity identity;
    identity.provider = "sales-cluster";
    identity.type = "kubernetes";
    identity.subject = "system:serviceaccount:sales:analytics";
    identity.attributes.emplace("k8s.namespace", trust::Attribute{"sales", true, "sales-cluster"});
    identity.attributes.emplace("k8s.serviceAccountName",
                                trust::Attribute{"analytics", true, "sales-cluster"});
    std::vector<trust::VerifiedIdentity> identities{identity};
    return makeGrantRequest(identities, "sales-to-api", "sales-analytics", "api", kNow);
  }

  jose::VerifiedJwt verify(const std::string& token, const std::string& audience) {
    jose::Jwks jwks(std::vector<jose::Jwk>{rsa_.publicOnly(), ec_.publicOnly()});
    jose::JwtValidationOptions options;
    options.issuer = kIssuer;
    options.audiences = {audience};
    options.requiredClaims = {"sub", "iat", "nbf", "jti"};
    auto verified = jose::verifyJwt(token, jwks, options, kNow + std::chrono::seconds(1));
    EXPECT_TRUE(verified.ok()) << verified.error().message;
    return std::move(*verified);
  }

  jose::Jwk rsa_ = *jose::Jwk::generate(jose::Algorithm::kRs256, {.rsaBits = 2048, .kid = "r1"});
  jose::Jwk ec_ = *jose::Jwk::generate(jose::Algorithm::kEs256, {.kid = "e1"});
  std::shared_ptr<const CredentialServices> services_;
  int signed_ = 0;
};

TEST_F(Providers, OidcIdTokenIsAJwtSignedAsTheHub) {
  auto provider = compile({{"type", "oidc-id-token"},
                           {"audience", "https://api.internal"},
                           {"subject", "${k8s.namespace}/${k8s.serviceAccountName}"},
                           {"lifetimeSeconds", 600},
                           {"claims",
                            {{"team", "${k8s.namespace}"},
                             {"workload", "${tessera.clientWorkload}"},
                             {"static", "fixed $${not-a-ref}"}}}});
  ASSERT_NE(provider, nullptr);
  EXPECT_EQ(provider->type(), "oidc-id-token");
  auto credential = run(*provider, request());
  ASSERT_TRUE(credential.ok()) << credential.error().message;
  EXPECT_EQ(credential->type, "id-token");
  EXPECT_EQ(credential->issuedAt, kNow);
  EXPECT_EQ(credential->expiresAt, kNow + std::chrono::seconds(600));
  const auto verified = verify(credential->fields.at("token"), "https://api.internal");
  EXPECT_EQ(verified.alg, jose::Algorithm::kRs256) << "RS256 unless the provider says otherwise";
  EXPECT_EQ(verified.key.kid(), "r1");
  const auto& claims = verified.claims.get();
  EXPECT_EQ(claims["iss"], kIssuer);
  EXPECT_EQ(claims["sub"], "sales/analytics");
  EXPECT_EQ(claims["aud"], "https://api.internal");
  EXPECT_EQ(claims["iat"], toUnixSeconds(kNow));
  EXPECT_EQ(claims["nbf"], toUnixSeconds(kNow));
  EXPECT_EQ(claims["exp"], toUnixSeconds(kNow) + 600);
  EXPECT_EQ(claims["team"], "sales");
  EXPECT_EQ(claims["workload"], "sales-analytics");
  EXPECT_EQ(claims["static"], "fixed ${not-a-ref}");
  // Every token its own jti.
  std::set<std::string> jtis;
  for (int i = 0; i < 5; ++i) {
    auto again = run(*provider, request());
    ASSERT_TRUE(again.ok());
    jtis.insert(verify(again->fields.at("token"), "https://api.internal").claims.get()["jti"]);
  }
  EXPECT_EQ(jtis.size(), 5u);
}

TEST_F(Providers, OidcIdTokenDefaultsAndEs256) {
  auto provider =
      compile({{"type", "oidc-id-token"}, {"audience", "aud-1"}, {"algorithm", "ES256"}});
  ASSERT_NE(provider, nullptr);
  auto credential = run(*provider, request());
  ASSERT_TRUE(credential.ok()) << credential.error().message;
  const auto verified = verify(credential->fields.at("token"), "aud-1");
  EXPECT_EQ(verified.alg, jose::Algorithm::kEs256);
  // The default subject is the client workload; the default lifetime 15 minutes.
  EXPECT_EQ(verified.claims.get()["sub"], "sales-analytics");
  EXPECT_EQ(credential->expiresAt - credential->issuedAt, std::chrono::seconds(900));
}

TEST_F(Providers, OidcIdTokenFailsClosedOnAMissingAttribute) {
  auto provider = compile({{"type", "oidc-id-token"},
                           {"audience", "a"},
                           {"claims", {{"repo", "${github.repository}"}}}});
  ASSERT_NE(provider, nullptr);
  auto credential = run(*provider, request());
  ASSERT_FALSE(credential.ok());
  EXPECT_NE(credential.error().message.find("claim repo"), std::string::npos);
  EXPECT_NE(credential.error().message.find("github.repository"), std::string::npos)
      << credential.error().message;
  EXPECT_EQ(signed_, 0) << "nothing is signed with a hole in it";

  auto bySubject = compile(
      {{"type", "oidc-id-token"}, {"audience", "a"}, {"subject", "${gitlab.project_path}"}});
  auto failed = run(*bySubject, request());
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.error().message.find("subject"), std::string::npos);
  EXPECT_NE(failed.error().message.find("gitlab.project_path"), std::string::npos);
}

TEST_F(Providers, OidcIdTokenConfigurationErrorsNameTheMember) {
  auto bad = compileCredentialProvider(
      providerObject("p", {{"type", "oidc-id-token"}, {"audience", "a"}, {"subject", "${x"}}),
      services_);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("/spec/subject"), std::string::npos) << bad.error().message;
  EXPECT_NE(bad.error().message.find("unterminated"), std::string::npos);
  auto reserved = compileCredentialProvider(
      providerObject("p",
                     {{"type", "oidc-id-token"}, {"audience", "a"}, {"claims", {{"iss", "x"}}}}),
      services_);
  ASSERT_FALSE(reserved.ok());
  EXPECT_NE(reserved.error().message.find("/spec/claims/iss"), std::string::npos);
}

TEST_F(Providers, OidcIdTokenReportsASigningFailure) {
  auto services = std::make_shared<CredentialServices>(*services_);
  services->sign = [](std::string_view, const json&) -> Result<std::string> {
    return fail(ErrorCode::kUnavailable, "no current RS256 key");
  };
  auto provider = compileCredentialProvider(
      providerObject("p", {{"type", "oidc-id-token"}, {"audience", "a"}}), services);
  ASSERT_TRUE(provider.ok());
  auto credential = run(**provider, request());
  ASSERT_FALSE(credential.ok());
  EXPECT_EQ(credential.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(credential.error().message.find("no current RS256 key"), std::string::npos);
}

TEST_F(Providers, StaticSecretsAreNamedFields) {
  auto apiKey = compile({{"type", "static-secret"}, {"secretType", "api-key"}, {"value", "k-123"}});
  auto c = run(*apiKey, request());
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->type, "api-key");
  EXPECT_EQ(c->fields, (std::map<std::string, std::string>{{"apiKey", "k-123"}}));
  EXPECT_EQ(c->expiresAt - c->issuedAt, std::chrono::seconds(300))
      << "the grant of a static secret expires so that edges see rotations";

  auto bearer =
      compile({{"type", "static-secret"}, {"secretType", "bearer-token"}, {"value", "t-456"}});
  c = run(*bearer, request());
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->fields, (std::map<std::string, std::string>{{"token", "t-456"}}));

  auto login = compile({{"type", "static-secret"},
                        {"secretType", "username-password"},
                        {"username", "orders_app"},
                        {"password", "pw-789"}});
  c = run(*login, request());
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->fields, (std::map<std::string, std::string>{{"username", "orders_app"},
                                                           {"password", "pw-789"}}));
  const json j = c->toJson();
  EXPECT_EQ(j["type"], "username-password");
  EXPECT_EQ(j["password"], "pw-789");
  EXPECT_TRUE(j.contains("expiresAt"));
  EXPECT_EQ(c->fingerprint().find("pw-789"), std::string::npos);
}

TEST_F(Providers, AStaticSecretThatCouldNotBeUnsealedDoesNotCompile) {
  auto p = compileCredentialProvider(
      providerObject("db", {{"type", "static-secret"}, {"secretType", "api-key"}}), services_);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message.find("/spec/value"), std::string::npos) << p.error().message;
}

TEST_F(Providers, AnAwsStsEndpointIsHttpsOrLoopbackAndItsRegionKnown) {
  const json role = {{"type", "aws-sts"}, {"roleArn", "arn:aws:iam::123456789012:role/r"}};
  const auto with = [&role](const char* field, const char* value) {
    json spec = role;
    spec[field] = value;
    return spec;
  };
  auto plain = compileCredentialProvider(
      providerObject("s3", with("endpoint", "http://sts.example.com/")), services_);
  ASSERT_FALSE(plain.ok());
  EXPECT_EQ(plain.error().code, ErrorCode::kConfigInvalid);
  EXPECT_NE(plain.error().message.find("/spec/endpoint"), std::string::npos)
      << plain.error().message;
  EXPECT_NE(plain.error().message.find("must use https"), std::string::npos);
  auto region = compileCredentialProvider(providerObject("s3", with("region", "moon")), services_);
  ASSERT_FALSE(region.ok());
  EXPECT_NE(region.error().message.find("/spec/region"), std::string::npos)
      << region.error().message;
  EXPECT_TRUE(compileCredentialProvider(
                  providerObject("s3", with("endpoint", "http://127.0.0.1:4566/")), services_)
                  .ok());
  EXPECT_TRUE(compileCredentialProvider(providerObject("s3", role), services_).ok());
}

json oauthSpec(const char* clientAuth) {
  json spec = {{"type", "oauth-client-credentials"},
               {"tokenEndpoint", "https://as.example.com/token"},
               {"clientId", "tessera"},
               {"clientAuth", clientAuth}};
  if (std::string_view(clientAuth) != "private_key_jwt") {
    spec["clientSecret"] = "s3cret";
  }
  return spec;
}

TEST_F(Providers, OAuthClientCredentialsConfigurationErrorsNameTheField) {
  for (const char* method : {"client_secret_basic", "client_secret_post", "private_key_jwt"}) {
    EXPECT_TRUE(compileCredentialProvider(providerObject("as", oauthSpec(method)), services_).ok())
        << method;
  }
  const auto expectField = [this](json spec, const std::string& field) {
    auto p = compileCredentialProvider(providerObject("as", std::move(spec)), services_);
    ASSERT_FALSE(p.ok()) << field;
    EXPECT_EQ(p.error().code, ErrorCode::kConfigInvalid) << p.error().message;
    EXPECT_NE(p.error().message.find(field), std::string::npos) << p.error().message;
  };
  json spec = oauthSpec("client_secret_basic");
  spec["tokenEndpoint"] = "http://as.example.com/token";
  expectField(spec, "/spec/tokenEndpoint: ");
  spec.erase("tokenEndpoint");
  expectField(spec, "/spec/tokenEndpoint: give exactly one");
  spec["issuer"] = "http://as.example.com";
  expectField(spec, "/spec/issuer: ");
  spec["issuer"] = "http://127.0.0.1:8080";
  EXPECT_TRUE(compileCredentialProvider(providerObject("as", spec), services_).ok());
  spec["tokenEndpoint"] = "https://as.example.com/token";
  expectField(spec, "/spec/tokenEndpoint: give exactly one");

  spec = oauthSpec("client_secret_post");
  spec["clientAuth"] = "tls_client_auth";
  expectField(spec, "/spec/clientAuth");
  spec = oauthSpec("private_key_jwt");
  spec["assertionAlgorithm"] = "HS256";
  expectField(spec, "/spec/assertionAlgorithm");
  spec = oauthSpec("private_key_jwt");
  spec["clientSecret"] = "unused";
  expectField(spec, "/spec/clientSecret");
}

TEST_F(Providers, OAuthClientSecretThatCouldNotBeUnsealedDoesNotCompile) {
  for (const char* method : {"client_secret_basic", "client_secret_post"}) {
    json spec = oauthSpec(method);
    spec.erase("clientSecret");  // what unsealSecrets leaves of a field it could not unseal
    auto p = compileCredentialProvider(providerObject("as", spec), services_);
    ASSERT_FALSE(p.ok()) << method;
    EXPECT_NE(p.error().message.find("/spec/clientSecret"), std::string::npos) << p.error().message;
    EXPECT_NE(p.error().message.find("unsealed"), std::string::npos);
  }
}

TEST_F(Providers, OAuthReservedExtraParametersAreRefused) {
  json spec = oauthSpec("client_secret_basic");
  spec["extraParameters"] = {{"tenant", "acme"}};
  EXPECT_TRUE(compileCredentialProvider(providerObject("as", spec), services_).ok());
  for (const char* reserved :
       {"grant_type", "scope", "client_id", "client_secret", "client_assertion",
        "client_assertion_type", "audience", "resource", ""}) {
    spec["extraParameters"] = {{reserved, "x"}};
    auto p = compileCredentialProvider(providerObject("as", spec), services_);
    ASSERT_FALSE(p.ok()) << reserved;
    EXPECT_EQ(p.error().code, ErrorCode::kConfigInvalid);
    EXPECT_NE(p.error().message.find("/spec/extraParameters/" + std::string(reserved) + ": "),
              std::string::npos)
        << p.error().message;
  }
}

TEST(GrantRequest, CarriesOnlyVerifiedAttributesAndTheDecisionsFacts) {
  trust::VerifiedIdentity identity;
  identity.provider = "gh";
  identity.subject = "repo:acme/api:ref:refs/heads/main";
  identity.attributes.emplace("github.repository", trust::Attribute{"acme/api", true, "gh"});
  identity.attributes.emplace("sourceIp", trust::Attribute{"10.0.0.1", false, "context"});
  auto r = makeGrantRequest({identity}, "p", "cw", "sw", kNow);
  EXPECT_EQ(r.attributes.count("sourceIp"), 0u);
  EXPECT_EQ(r.attributes.at("github.repository").value, "acme/api");
  EXPECT_EQ(r.attributes.at("tessera.clientWorkload").value, "cw");
  EXPECT_EQ(r.attributes.at("tessera.policy").value, "p");
  EXPECT_EQ(r.attributes.at("tessera.serverWorkload").value, "sw");
  EXPECT_EQ(r.attributes.at("tessera.subject").value, identity.subject);
  EXPECT_EQ(r.attributes.at("tessera.trustProvider").value, "gh");
  EXPECT_EQ(r.subject, identity.subject);
}

}  // namespace
}  // namespace tessera::credentials
