// Token trust providers (oidc, kubernetes, github-actions, gitlab-ci) against tokens signed by a
// key the test makes: signature, issuer, audience and lifetime come from jose; these tests check
// what each type adds (attributes, required claims, default issuers) and the rules.
#include <gtest/gtest.h>

#include "jose/jwt.hpp"
#include "trust/trust_provider.hpp"

namespace tessera::trust {
namespace {

using nlohmann::json;
using std::chrono::seconds;

const SystemTime kNow = SystemTime(seconds(1'800'000'000));

class TokenTrustProviders : public ::testing::Test {
 protected:
  TokenTrustProviders() : key_(*jose::Jwk::generate(jose::Algorithm::kEs256)) {
    jwks_ = jose::Jwks({*jose::Jwk::fromJson(key_.toPublicJson())});
  }

  std::string sign(json claims) {
    const auto now = toUnixSeconds(kNow);
    claims.emplace("iat", now - 10);
    claims.emplace("exp", now + 600);
    return *jose::signJwt(key_, jose::Algorithm::kEs256, claims);
  }

  std::unique_ptr<const TrustProvider> provider(const std::string& name, json spec) {
    model::ConfigObject o;
    o.kind = model::Kind::kTrustProvider;
    o.metadata.name = name;
    o.spec = std::move(spec);
    auto compiled = compileTrustProvider(o);
    EXPECT_TRUE(compiled.ok()) << compiled.error().message;
    return std::move(*compiled);
  }

  jose::Jwk key_;
  jose::Jwks jwks_;
};

json kubernetesClaims(const std::string& ns = "billing", const std::string& sa = "invoicer") {
  return {{"iss", "https://k8s.example.com"},
          {"aud", {"tessera"}},
          {"sub", "system:serviceaccount:" + ns + ":" + sa},
          {"kubernetes.io",
           {{"namespace", ns},
            {"serviceaccount", {{"name", sa}, {"uid", "sa-uid-1"}}},
            {"pod", {{"name", "batch-7f9c"}, {"uid", "pod-uid-1"}}},
            {"node", {{"name", "node-1"}, {"uid", "node-uid-1"}}}}}};
}

TEST_F(TokenTrustProviders, KubernetesTokensYieldServiceAccountAttributes) {
  auto p = provider(
      "prod-cluster",
      {{"type", "kubernetes"}, {"issuer", "https://k8s.example.com"}, {"audiences", {"tessera"}}});
  auto id = p->verifyToken(sign(kubernetesClaims()), jwks_, kNow);
  ASSERT_TRUE(id.ok()) << id.error().message;
  EXPECT_EQ(id->provider, "prod-cluster");
  EXPECT_EQ(id->subject, "system:serviceaccount:billing:invoicer");
  EXPECT_EQ(id->attributes.at("k8s.namespace").value, "billing");
  EXPECT_EQ(id->attributes.at("k8s.serviceAccountName").value, "invoicer");
  EXPECT_EQ(id->attributes.at("k8s.serviceAccountUid").value, "sa-uid-1");
  EXPECT_EQ(id->attributes.at("k8s.podName").value, "batch-7f9c");
  EXPECT_EQ(id->attributes.at("k8s.podUid").value, "pod-uid-1");
  EXPECT_EQ(id->attributes.at("k8s.nodeName").value, "node-1");
  EXPECT_TRUE(id->attributes.at("k8s.namespace").verified);
  EXPECT_EQ(id->attributes.at("k8s.namespace").source, "prod-cluster");
  ASSERT_TRUE(id->expiresAt.has_value());
  EXPECT_EQ(toUnixSeconds(*id->expiresAt), toUnixSeconds(kNow) + 600);
}

TEST_F(TokenTrustProviders, KubernetesRefusesTokensThatAreNotServiceAccountTokens) {
  auto p = provider(
      "k",
      {{"type", "kubernetes"}, {"issuer", "https://k8s.example.com"}, {"audiences", {"tessera"}}});
  auto claims = kubernetesClaims();
  claims["kubernetes.io"].erase("serviceaccount");
  auto missing = p->verifyToken(sign(claims), jwks_, kNow);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kTokenClaimMissing);

  claims = kubernetesClaims();
  claims["sub"] = "system:serviceaccount:kube-system:default";
  auto mismatch = p->verifyToken(sign(claims), jwks_, kNow);
  ASSERT_FALSE(mismatch.ok());
  EXPECT_EQ(mismatch.error().code, ErrorCode::kTokenClaimInvalid);
  EXPECT_NE(mismatch.error().message.find("does not match the service account billing/invoicer"),
            std::string::npos);
}

// The type reads its claims from the token's text, not a DOM: escaped strings are decoded, and
// members of the wrong shape are absent, as they were when read from the DOM.
TEST_F(TokenTrustProviders, KubernetesClaimsAreReadFromTheTextLikeFromTheDom) {
  auto p = provider(
      "k",
      {{"type", "kubernetes"}, {"issuer", "https://k8s.example.com"}, {"audiences", {"tessera"}}});
  auto claims = kubernetesClaims("billing", "in\"voicer\tx");
  claims["kubernetes.io"]["pod"]["name"] = "batch-\u00e9\\7f9c";
  claims["kubernetes.io"]["node"] = "node-1";  // not an object
  claims["kubernetes.io"]["pod"]["uid"] = 42;  // not a string
  auto id = p->verifyToken(sign(claims), jwks_, kNow);
  ASSERT_TRUE(id.ok()) << id.error().message;
  EXPECT_EQ(id->subject, "system:serviceaccount:billing:in\"voicer\tx");
  EXPECT_EQ(id->attributes.at("k8s.serviceAccountName").value, "in\"voicer\tx");
  EXPECT_EQ(id->attributes.at("k8s.podName").value, "batch-\u00e9\\7f9c");
  EXPECT_FALSE(id->attributes.contains("k8s.nodeName"));
  EXPECT_FALSE(id->attributes.contains("k8s.podUid"));

  claims = kubernetesClaims();
  claims["kubernetes.io"] = "billing";
  auto notObject = p->verifyToken(sign(claims), jwks_, kNow);
  ASSERT_FALSE(notObject.ok());
  EXPECT_EQ(notObject.error().code, ErrorCode::kTokenClaimMissing);
  claims = kubernetesClaims();
  claims["kubernetes.io"]["namespace"] = json::array({"billing"});
  auto notString = p->verifyToken(sign(claims), jwks_, kNow);
  ASSERT_FALSE(notString.ok());
  EXPECT_EQ(notString.error().code, ErrorCode::kTokenClaimMissing);
}

TEST_F(TokenTrustProviders, IssuerAudienceAndExpiryAreChecked) {
  auto p = provider(
      "k",
      {{"type", "kubernetes"}, {"issuer", "https://k8s.example.com"}, {"audiences", {"tessera"}}});
  auto claims = kubernetesClaims();
  claims["iss"] = "https://other.example.com";
  EXPECT_EQ(p->verifyToken(sign(claims), jwks_, kNow).error().code,
            ErrorCode::kTokenIssuerMismatch);
  claims = kubernetesClaims();
  claims["aud"] = {"sts.amazonaws.com"};
  EXPECT_EQ(p->verifyToken(sign(claims), jwks_, kNow).error().code,
            ErrorCode::kTokenAudienceMismatch);
  auto expired = p->verifyToken(sign(kubernetesClaims()), jwks_, kNow + seconds(3600));
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.error().code, ErrorCode::kTokenExpired);
  EXPECT_EQ(expired.error().message.find("trust provider k (kubernetes): "), 0u);

  const auto otherKey = *jose::Jwk::generate(jose::Algorithm::kEs256);
  const jose::Jwks otherKeys({*jose::Jwk::fromJson(otherKey.toPublicJson())});
  EXPECT_FALSE(p->verifyToken(sign(kubernetesClaims()), otherKeys, kNow).ok())
      << "a token signed by another key never verifies";
}

TEST_F(TokenTrustProviders, RulesMustAllHoldAndSayWhichFailed) {
  auto p = provider("k", {{"type", "kubernetes"},
                          {"issuer", "https://k8s.example.com"},
                          {"audiences", {"tessera"}},
                          {"rules",
                           {{{"attribute", "namespace"}, {"oneOf", {"billing", "orders"}}},
                            {{"attribute", "podName"}, {"glob", "batch-*"}}}}});
  auto ok = p->verifyToken(sign(kubernetesClaims()), jwks_, kNow);
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->trace.size(), 3u);
  EXPECT_EQ(ok->trace[2], "rule 2: podName 'batch-7f9c' matches 'batch-*'");

  auto refused = p->verifyToken(sign(kubernetesClaims("web")), jwks_, kNow);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kTrustRuleFailed);
  EXPECT_EQ(refused.error().message,
            "trust provider k: rule 1: namespace 'web', required: one of ['billing', 'orders']");

  auto absent = provider("k2", {{"type", "kubernetes"},
                                {"issuer", "https://k8s.example.com"},
                                {"audiences", {"tessera"}},
                                {"rules", {{{"attribute", "podName"}, {"equals", "x"}}}}});
  auto claims = kubernetesClaims();
  claims["kubernetes.io"].erase("pod");
  auto noPod = absent->verifyToken(sign(claims), jwks_, kNow);
  ASSERT_FALSE(noPod.ok());
  EXPECT_NE(noPod.error().message.find("podName is absent from the evidence"), std::string::npos);
}

TEST_F(TokenTrustProviders, GithubActionsUsesTheDefaultIssuerAndJobClaims) {
  auto p = provider("github", {{"type", "github-actions"},
                               {"audiences", {"https://github.com/example-org"}},
                               {"rules",
                                {{{"attribute", "repository_owner"}, {"equals", "example-org"}},
                                 {{"attribute", "ref"}, {"glob", "refs/heads/*"}}}}});
  const json claims = {
      {"iss", "https://token.actions.githubusercontent.com"},
      {"aud", "https://github.com/example-org"},
      {"sub", "repo:example-org/app:ref:refs/heads/main"},
      {"repository", "example-org/app"},
      {"repository_owner", "example-org"},
      {"repository_id", 123456},
      {"ref", "refs/heads/main"},
      {"workflow", "deploy"},
      {"job_workflow_ref", "example-org/app/.github/workflows/deploy.yml@refs/heads/main"},
      {"environment", "prod"},
      {"actor", "octocat"}};
  auto id = p->verifyToken(sign(claims), jwks_, kNow);
  ASSERT_TRUE(id.ok()) << id.error().message;
  EXPECT_EQ(id->attributes.at("github.repository").value, "example-org/app");
  EXPECT_EQ(id->attributes.at("github.repository_id").value, "123456");
  EXPECT_EQ(id->attributes.at("github.environment").value, "prod");
  EXPECT_EQ(id->attributes.at("github.sub").value, "repo:example-org/app:ref:refs/heads/main");

  auto tag = claims;
  tag["ref"] = "refs/tags/v1";
  EXPECT_EQ(p->verifyToken(sign(tag), jwks_, kNow).error().code, ErrorCode::kTrustRuleFailed);
  auto notGithub = claims;
  notGithub.erase("repository");
  EXPECT_EQ(p->verifyToken(sign(notGithub), jwks_, kNow).error().code,
            ErrorCode::kTokenClaimMissing);
}

TEST_F(TokenTrustProviders, GitlabCiUsesGitlabComUnlessTold) {
  auto p =
      provider("gitlab", {{"type", "gitlab-ci"}, {"audiences", {"https://tessera.example.com"}}});
  const json claims = {{"iss", "https://gitlab.com"},
                       {"aud", "https://tessera.example.com"},
                       {"sub", "project_path:group/app:ref_type:branch:ref:main"},
                       {"namespace_path", "group"},
                       {"project_path", "group/app"},
                       {"ref", "main"},
                       {"ref_path", "refs/heads/main"},
                       {"ref_protected", "true"}};
  auto id = p->verifyToken(sign(claims), jwks_, kNow);
  ASSERT_TRUE(id.ok()) << id.error().message;
  EXPECT_EQ(id->attributes.at("gitlab.project_path").value, "group/app");
  EXPECT_EQ(id->attributes.at("gitlab.ref_path").value, "refs/heads/main");

  auto selfManaged = provider("gl", {{"type", "gitlab-ci"},
                                     {"issuer", "https://gitlab.example.com"},
                                     {"audiences", {"https://tessera.example.com"}}});
  EXPECT_EQ(selfManaged->keys().issuer, "https://gitlab.example.com");
  EXPECT_EQ(selfManaged->verifyToken(sign(claims), jwks_, kNow).error().code,
            ErrorCode::kTokenIssuerMismatch);
}

TEST_F(TokenTrustProviders, OidcExposesEveryScalarClaimByPath) {
  auto p = provider("idp", {{"type", "oidc"},
                            {"issuer", "https://idp.example.com"},
                            {"audiences", {"tessera"}},
                            {"rules", {{{"attribute", "realm.role"}, {"equals", "deployer"}}}}});
  const json claims = {{"iss", "https://idp.example.com"},
                       {"aud", "tessera"},
                       {"sub", "svc-1"},
                       {"email_verified", true},
                       {"realm", {{"role", "deployer"}, {"level", 3}}},
                       {"groups", {"a", "b"}}};
  auto id = p->verifyToken(sign(claims), jwks_, kNow);
  ASSERT_TRUE(id.ok()) << id.error().message;
  EXPECT_EQ(id->attributes.at("oidc.sub").value, "svc-1");
  EXPECT_EQ(id->attributes.at("oidc.realm.role").value, "deployer");
  EXPECT_EQ(id->attributes.at("oidc.realm.level").value, "3");
  EXPECT_EQ(id->attributes.at("oidc.email_verified").value, "true");
  EXPECT_FALSE(id->attributes.contains("oidc.groups")) << "arrays are not scalar attributes";
}

// A GCE metadata server identity token (format=full), claim for claim.
json gcpClaims() {
  return {{"iss", "https://accounts.google.com"},
          {"aud", "https://tessera.example.com"},
          {"azp", "107517467455664443765"},
          {"sub", "107517467455664443765"},
          {"email", "builder@acme-prod.iam.gserviceaccount.com"},
          {"email_verified", true},
          {"google",
           {{"compute_engine",
             {{"instance_creation_timestamp", 1595155766},
              {"instance_id", "4340508760561261530"},
              {"instance_name", "builder-1"},
              {"project_id", "acme-prod"},
              {"project_number", 716149158341},
              {"zone", "us-central1-a"}}}}}};
}

TEST_F(TokenTrustProviders, GcpIdentityTokensYieldInstanceAttributes) {
  auto p = provider("gcp", {{"type", "gcp-identity"},
                            {"audiences", {"https://tessera.example.com"}},
                            {"rules", {{{"attribute", "projectId"}, {"oneOf", {"acme-prod"}}}}}});
  EXPECT_EQ(p->keys().issuer, "https://accounts.google.com");
  auto id = p->verifyToken(sign(gcpClaims()), jwks_, kNow);
  ASSERT_TRUE(id.ok()) << id.error().message;
  EXPECT_EQ(id->subject, "107517467455664443765");
  const std::map<std::string, std::string> expected = {
      {"gcp.email", "builder@acme-prod.iam.gserviceaccount.com"},
      {"gcp.emailVerified", "true"},
      {"gcp.sub", "107517467455664443765"},
      {"gcp.projectId", "acme-prod"},
      {"gcp.projectNumber", "716149158341"},
      {"gcp.zone", "us-central1-a"},
      {"gcp.instanceId", "4340508760561261530"},
      {"gcp.instanceName", "builder-1"}};
  EXPECT_EQ(id->attributes.size(), expected.size());
  for (const auto& [name, value] : expected) {
    ASSERT_TRUE(id->attributes.contains(name)) << name;
    EXPECT_EQ(id->attributes.at(name).value, value);
  }

  auto otherProject = gcpClaims();
  otherProject["google"]["compute_engine"]["project_id"] = "acme-dev";
  auto refused = p->verifyToken(sign(otherProject), jwks_, kNow);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kTrustRuleFailed);
  EXPECT_EQ(refused.error().message,
            "trust provider gcp: rule 1: projectId 'acme-dev', required: one of ['acme-prod']");

  auto standard = gcpClaims();
  standard.erase("google");  // format=standard: no instance claims, so the rule cannot hold
  EXPECT_NE(p->verifyToken(sign(standard), jwks_, kNow).error().message.find("projectId is absent"),
            std::string::npos);
}

TEST_F(TokenTrustProviders, GcpIdentityRefusesUnverifiedEmails) {
  auto p =
      provider("gcp", {{"type", "gcp-identity"}, {"audiences", {"https://tessera.example.com"}}});
  auto claims = gcpClaims();
  claims["email_verified"] = false;
  auto unverified = p->verifyToken(sign(claims), jwks_, kNow);
  ASSERT_FALSE(unverified.ok());
  EXPECT_EQ(unverified.error().code, ErrorCode::kTokenClaimInvalid);
  claims.erase("email_verified");
  EXPECT_EQ(p->verifyToken(sign(claims), jwks_, kNow).error().code, ErrorCode::kTokenClaimInvalid);
  claims.erase("email");
  EXPECT_TRUE(p->verifyToken(sign(claims), jwks_, kNow).ok()) << "no email, nothing to verify";
  claims["iss"] = "https://gitlab.com";
  EXPECT_EQ(p->verifyToken(sign(claims), jwks_, kNow).error().code,
            ErrorCode::kTokenIssuerMismatch);
}

// Rules are compiled with the provider. Validation keeps malformed ones out of the store; should
// one reach the compiler all the same, it names the rule instead of failing at verification.
TEST_F(TokenTrustProviders, CompileRefusesMalformedRulesNamingTheRule) {
  model::ConfigObject o;
  o.kind = model::Kind::kTrustProvider;
  o.metadata.name = "k";
  const json base = {
      {"type", "kubernetes"}, {"issuer", "https://k8s.example.com"}, {"audiences", {"tessera"}}};
  const std::pair<json, std::string> cases[] = {
      {json{{"attribute", "podName"}, {"equals", "a"}}, ""},
      {json{{"equals", "a"}}, "TrustProvider/k: /spec/rules/1/attribute: must be a string"},
      {json{{"attribute", "podName"}, {"equals", 7}},
       "TrustProvider/k: /spec/rules/1/equals: must be a string"},
      {json{{"attribute", "podName"}, {"glob", nullptr}},
       "TrustProvider/k: /spec/rules/1/glob: must be a string"},
      {json{{"attribute", "podName"}, {"oneOf", {"a", 1}}},
       "TrustProvider/k: /spec/rules/1/oneOf: must hold strings"},
      {json("podName"), "TrustProvider/k: /spec/rules/1/attribute: must be a string"},
  };
  for (const auto& [rule, message] : cases) {
    o.spec = base;
    o.spec["rules"] = json::array({{{"attribute", "namespace"}, {"equals", "billing"}}, rule});
    auto compiled = compileTrustProvider(o);
    if (message.empty()) {
      EXPECT_TRUE(compiled.ok()) << rule.dump();
      continue;
    }
    ASSERT_FALSE(compiled.ok()) << rule.dump();
    EXPECT_EQ(compiled.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(compiled.error().message, message);
  }
  o.spec = base;
  o.spec["rules"] = {{"attribute", "namespace"}};
  auto notArray = compileTrustProvider(o);
  ASSERT_FALSE(notArray.ok());
  EXPECT_EQ(notArray.error().message, "TrustProvider/k: /spec/rules: must be an array");
}

TEST_F(TokenTrustProviders, CompileRefusesUnknownTypesAndBadInlineKeys) {
  model::ConfigObject o;
  o.kind = model::Kind::kTrustProvider;
  o.metadata.name = "x";
  o.spec = {{"type", "saml"}};
  EXPECT_FALSE(compileTrustProvider(o).ok());
  o.spec = {{"type", "oidc"},
            {"issuer", "https://idp.example.com"},
            {"audiences", {"a"}},
            {"jwks", "{\"keys\": 3}"}};
  auto bad = compileTrustProvider(o);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("/spec/jwks"), std::string::npos);
  o.spec["jwks"] = json{{"keys", json::array({key_.toPublicJson()})}}.dump();
  auto good = compileTrustProvider(o);
  ASSERT_TRUE(good.ok()) << good.error().message;
  EXPECT_TRUE((*good)->keys().inlineJwks.has_value());
}

TEST_F(TokenTrustProviders, InlinePemKeysVerifyWhateverKidTheTokenNames) {
  const auto rsa = *jose::Jwk::generate(jose::Algorithm::kRs256, {.rsaBits = 2048, .kid = "k-9"});
  const std::string pem = key_.publicPem() + "\n" + rsa.publicPem();
  auto p = provider("pem-cluster", {{"type", "kubernetes"},
                                    {"issuer", "https://k8s.example.com"},
                                    {"audiences", {"tessera"}},
                                    {"jwks", pem}});
  ASSERT_TRUE(p->keys().inlineJwks.has_value());
  EXPECT_TRUE(jose::Jwks::parse(*p->keys().inlineJwks).ok()) << "the key cache reads them";
  // The token is signed by the RSA key and names a kid the PEM never mentioned.
  auto claims = kubernetesClaims();
  const auto now = toUnixSeconds(kNow);
  claims["iat"] = now - 10;
  claims["exp"] = now + 600;
  const auto token = *jose::signJwt(rsa, jose::Algorithm::kRs256, claims);
  auto id = p->verifyToken(token, jose::Jwks(), kNow);
  ASSERT_TRUE(id.ok()) << id.error().describe();
  EXPECT_EQ(id->attributes.at("k8s.namespace").value, "billing");
  // A key that is not among the PEM keys still fails.
  const auto other = *jose::Jwk::generate(jose::Algorithm::kRs256, {.rsaBits = 2048, .kid = "k-9"});
  EXPECT_EQ(
      p->verifyToken(*jose::signJwt(other, jose::Algorithm::kRs256, claims), jose::Jwks(), kNow)
          .error()
          .code,
      ErrorCode::kTokenSignatureInvalid);

  model::ConfigObject o;
  o.kind = model::Kind::kTrustProvider;
  o.metadata.name = "bad-pem";
  o.spec = {{"type", "kubernetes"},
            {"issuer", "https://k8s.example.com"},
            {"audiences", {"tessera"}},
            {"jwks", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"}};
  auto bad = compileTrustProvider(o);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("PEM block 1"), std::string::npos) << bad.error().message;
}

}  // namespace
}  // namespace tessera::trust
