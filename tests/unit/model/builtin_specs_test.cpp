// Every built-in kind spec and provider/condition type, validated through SpecRegistry::builtin().
#include <gtest/gtest.h>

#include <set>
#include <stdexcept>
#include <string>

#include "model/types/builtin_types.hpp"
#include "model_test_support.hpp"

namespace tessera::model {
namespace {

using nlohmann::json;
using testing::expectOnlyError;
using testing::pointersOf;
using testing::reasonAt;
using testing::specErrors;

// ---- ServerWorkload ----

std::vector<FieldError> serverErrors(const json& spec) {
  return specErrors(Kind::kServerWorkload, spec);
}

json server(std::string protocol, json authentication, std::string host = "api.example.com") {
  return {{"host", std::move(host)},
          {"port", 443},
          {"protocol", std::move(protocol)},
          {"authentication", std::move(authentication)}};
}

TEST(ModelServerWorkloadSpec, AcceptsAValidSpec) {
  EXPECT_TRUE(serverErrors(testing::serverSpec()).empty());
  EXPECT_TRUE(serverErrors(testing::serverSpec("*.s3.amazonaws.com")).empty());
  EXPECT_TRUE(serverErrors(server("postgres", {{"method", "password"}}, "10.0.0.5")).empty());
  EXPECT_TRUE(serverErrors(server("redis", {{"method", "none"}})).empty());
  EXPECT_TRUE(serverErrors(server("http", {{"method", "none"}})).empty());
  json full = testing::serverSpec();
  full["tls"] = {{"enabled", true},
                 {"decrypt", true},
                 {"caBundle", "-----BEGIN CERTIFICATE-----"},
                 {"serverName", "api.internal"}};
  EXPECT_TRUE(serverErrors(full).empty());
}

TEST(ModelServerWorkloadSpec, ReportsEveryMissingField) {
  const auto errors = serverErrors(json::object());
  EXPECT_EQ(pointersOf(errors),
            (std::vector<std::string>{"/spec/host", "/spec/port", "/spec/protocol",
                                      "/spec/authentication"}));
  for (const auto& e : errors) {
    EXPECT_EQ(e.reason, "is required");
  }
  expectOnlyError(serverErrors(server("http", json::object())), "/spec/authentication/method",
                  "is required");
}

TEST(ModelServerWorkloadSpec, RefusesBadHostsPortsAndProtocols) {
  expectOnlyError(serverErrors(testing::serverSpec("*")), "/spec/host", "must not be a bare '*'");
  expectOnlyError(serverErrors(testing::serverSpec("*.com")), "/spec/host", "top-level wildcard");
  expectOnlyError(serverErrors(testing::serverSpec("")), "/spec/host", "must not be empty");
  expectOnlyError(serverErrors(testing::serverSpec("Api.example.com")), "/spec/host",
                  "must be lower case");
  json spec = testing::serverSpec();
  spec["port"] = 0;
  expectOnlyError(serverErrors(spec), "/spec/port", "must be at least 1");
  spec["port"] = 65536;
  expectOnlyError(serverErrors(spec), "/spec/port", "must be at most 65535");
  spec["port"] = "443";
  expectOnlyError(serverErrors(spec), "/spec/port", "must be an integer, not a string");
  spec = testing::serverSpec();
  spec["protocol"] = "ftp";
  expectOnlyError(serverErrors(spec), "/spec/protocol",
                  "must be one of http, postgres, mysql, redis, not 'ftp'");
  spec = testing::serverSpec();
  spec["authentication"]["method"] = "oauth";
  expectOnlyError(serverErrors(spec), "/spec/authentication/method",
                  "must be one of bearer, header, query, basic, aws-sigv4, password, none");
}

TEST(ModelServerWorkloadSpec, UnknownFieldsListKnownOnes) {
  json spec = testing::serverSpec();
  spec["tls"] = {{"verify", false}};
  expectOnlyError(serverErrors(spec), "/spec/tls/verify",
                  "unknown field; known: enabled, decrypt, caBundle, serverName");
  spec = testing::serverSpec();
  spec["hostname"] = "x";
  expectOnlyError(serverErrors(spec), "/spec/hostname",
                  "unknown field; known: host, port, protocol, tls, authentication");
}

TEST(ModelServerWorkloadSpec, HttpMethodsNeedProtocolHttp) {
  for (const char* method : {"bearer", "basic", "aws-sigv4"}) {
    expectOnlyError(serverErrors(server("postgres", {{"method", method}})),
                    "/spec/authentication/method",
                    "'" + std::string(method) + "' needs protocol http, not 'postgres'");
  }
  const auto errors = serverErrors(server("mysql", {{"method", "header"}, {"header", "X-Key"}}));
  expectOnlyError(errors, "/spec/authentication/method",
                  "'header' needs protocol http, not 'mysql'");
  expectOnlyError(serverErrors(server("redis", {{"method", "query"}, {"parameter", "key"}})),
                  "/spec/authentication/method", "'query' needs protocol http, not 'redis'");
}

TEST(ModelServerWorkloadSpec, PasswordIsForDatabasesOnly) {
  expectOnlyError(serverErrors(server("http", {{"method", "password"}})),
                  "/spec/authentication/method", "'password' is for database protocols, not http");
  EXPECT_TRUE(serverErrors(server("mysql", {{"method", "password"}})).empty());
}

TEST(ModelServerWorkloadSpec, HeaderMethodNeedsAHeaderAndOnlyItTakesHeaderAndPrefix) {
  expectOnlyError(serverErrors(server("http", {{"method", "header"}})),
                  "/spec/authentication/header", "is required for method 'header'");
  EXPECT_TRUE(
      serverErrors(server("http", {{"method", "header"}, {"header", "X-Api_Key"}, {"prefix", ""}}))
          .empty());
  expectOnlyError(serverErrors(server("http", {{"method", "header"}, {"header", "X Key"}})),
                  "/spec/authentication/header", "must be a header field name");
  expectOnlyError(serverErrors(server("http", {{"method", "header"}, {"header", "X:Key"}})),
                  "/spec/authentication/header", "must be a header field name");
  const auto errors =
      serverErrors(server("http", {{"method", "bearer"}, {"header", "X-Key"}, {"prefix", "Tok "}}));
  EXPECT_EQ(pointersOf(errors), (std::vector<std::string>{"/spec/authentication/header",
                                                          "/spec/authentication/prefix"}));
  EXPECT_EQ(reasonAt(errors, "/spec/authentication/header"), "applies only to method 'header'");
  EXPECT_EQ(reasonAt(errors, "/spec/authentication/prefix"), "applies only to method 'header'");
}

TEST(ModelServerWorkloadSpec, QueryMethodNeedsAParameterAndOnlyItTakesOne) {
  expectOnlyError(serverErrors(server("http", {{"method", "query"}})),
                  "/spec/authentication/parameter", "is required for method 'query'");
  EXPECT_TRUE(
      serverErrors(server("http", {{"method", "query"}, {"parameter", "api_key"}})).empty());
  expectOnlyError(
      serverErrors(server("http", {{"method", "header"}, {"header", "X"}, {"parameter", "k"}})),
      "/spec/authentication/parameter", "applies only to method 'query'");
}

TEST(ModelServerWorkloadSpec, TlsDecryptOnlyOnHttpAndExactHosts) {
  json spec = server("postgres", {{"method", "password"}});
  spec["tls"] = {{"decrypt", true}};
  expectOnlyError(serverErrors(spec), "/spec/tls/decrypt", "applies only to protocol http");
  spec = testing::serverSpec("*.s3.amazonaws.com");
  spec["tls"] = {{"decrypt", true}};
  expectOnlyError(serverErrors(spec), "/spec/tls/decrypt", "needs an exact host");
  spec["tls"]["decrypt"] = false;
  EXPECT_TRUE(serverErrors(spec).empty());
  spec = server("redis", {{"method", "none"}}, "*.cache.internal");
  spec["tls"] = {{"decrypt", true}};
  const auto errors = serverErrors(spec);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].pointer, "/spec/tls/decrypt");
  EXPECT_EQ(errors[1].pointer, "/spec/tls/decrypt");
}

TEST(ModelServerWorkloadSpec, CrossFieldRulesWaitForWellFormedFields) {
  // 'bearer' on ftp would also be a method/protocol mismatch: only the field error is reported.
  expectOnlyError(serverErrors(server("ftp", {{"method", "bearer"}})), "/spec/protocol",
                  "must be one of");
  json spec = testing::serverSpec("*.example.com");
  spec["tls"] = {{"decrypt", "yes"}};
  expectOnlyError(serverErrors(spec), "/spec/tls/decrypt", "must be a boolean, not a string");
}

// ---- ClientWorkload ----

std::vector<FieldError> clientErrors(const json& match) {
  return specErrors(Kind::kClientWorkload, json{{"match", match}});
}

json leaf(std::string value = "payments") {
  return {{"attribute", "k8s.namespace"}, {"equals", std::move(value)}};
}

TEST(ModelClientWorkloadSpec, AcceptsLeavesAndGroups) {
  EXPECT_TRUE(clientErrors(leaf()).empty());
  EXPECT_TRUE(clientErrors({{"attribute", "sourceIp"}, {"cidr", "10.0.0.0/8"}}).empty());
  EXPECT_TRUE(clientErrors({{"attribute", "a"}, {"oneOf", json::array({"x", "y"})}}).empty());
  EXPECT_TRUE(clientErrors({{"attribute", "a"}, {"glob", "team-*"}}).empty());
  EXPECT_TRUE(
      clientErrors({{"all", json::array({leaf(), {{"any", json::array({leaf("a"), leaf("b")})}}})}})
          .empty());
}

TEST(ModelClientWorkloadSpec, MatchIsRequiredAndAlone) {
  expectOnlyError(specErrors(Kind::kClientWorkload, json::object()), "/spec/match", "is required");
  expectOnlyError(specErrors(Kind::kClientWorkload, json{{"match", leaf()}, {"name", "x"}}),
                  "/spec/name", "unknown field; known: match");
}

TEST(ModelClientWorkloadSpec, MatcherMustBeAnObject) {
  expectOnlyError(clientErrors("k8s"), "/spec/match", "must be an object: {attribute,");
  expectOnlyError(clientErrors({{"any", json::array({leaf(), 3})}}), "/spec/match/any/1",
                  "must be an object");
}

TEST(ModelClientWorkloadSpec, LeafNeedsExactlyOneTest) {
  expectOnlyError(clientErrors({{"attribute", "a"}}), "/spec/match",
                  "must have exactly one of equals, oneOf, glob, cidr");
  expectOnlyError(clientErrors({{"attribute", "a"}, {"equals", "x"}, {"glob", "y*"}}),
                  "/spec/match", "must have exactly one of equals, oneOf, glob, cidr");
  expectOnlyError(clientErrors({{"equals", "x"}}), "/spec/match/attribute", "is required");
  expectOnlyError(clientErrors({{"attribute", "a"}, {"equals", "x"}, {"regex", ".*"}}),
                  "/spec/match/regex",
                  "unknown field; known: attribute, equals, oneOf, glob, cidr");
  expectOnlyError(clientErrors({{"attribute", "a"}, {"oneOf", json::array()}}), "/spec/match/oneOf",
                  "must have at least one item");
}

TEST(ModelClientWorkloadSpec, LeafCidrIsChecked) {
  expectOnlyError(clientErrors({{"attribute", "sourceIp"}, {"cidr", "10.0.0.0/33"}}),
                  "/spec/match/cidr", "has an invalid prefix length (0-32)");
  expectOnlyError(clientErrors({{"attribute", "sourceIp"}, {"cidr", "10.0.0.0"}}),
                  "/spec/match/cidr", "must be a CIDR block");
  for (const char* prefix : {"-0", "+8", "", " 8", "8 "}) {
    expectOnlyError(
        clientErrors({{"attribute", "sourceIp"}, {"cidr", std::string("10.0.0.0/") + prefix}}),
        "/spec/match/cidr", "has an invalid prefix length (0-32)");
  }
}

TEST(ModelClientWorkloadSpec, GroupHasExactlyOneNonEmptyList) {
  expectOnlyError(clientErrors({{"all", json::array({leaf()})}, {"attribute", "a"}}), "/spec/match",
                  "a group has exactly one field, all or any");
  expectOnlyError(clientErrors({{"all", json::array({leaf()})}, {"any", json::array({leaf()})}}),
                  "/spec/match", "a group has exactly one field, all or any");
  expectOnlyError(clientErrors({{"any", json::array()}}), "/spec/match/any",
                  "must be a non-empty array of matchers");
  expectOnlyError(clientErrors({{"all", leaf()}}), "/spec/match/all",
                  "must be a non-empty array of matchers");
}

TEST(ModelClientWorkloadSpec, ErrorsInNestedGroupsHaveFullPointers) {
  const auto errors = clientErrors(
      {{"any", json::array({leaf(),
                            {{"all", json::array({{{"attribute", "a"}},
                                                  leaf(""),
                                                  {{"attribute", 5}, {"equals", "x"}}})}}})}});
  EXPECT_EQ(pointersOf(errors), (std::vector<std::string>{"/spec/match/any/1/all/0",
                                                          "/spec/match/any/1/all/2/attribute"}));
  EXPECT_EQ(reasonAt(errors, "/spec/match/any/1/all/0"),
            "must have exactly one of equals, oneOf, glob, cidr");
  EXPECT_EQ(reasonAt(errors, "/spec/match/any/1/all/2/attribute"),
            "must be a string, not an integer");
}

json nested(int groups) {
  json m = leaf();
  for (int i = 0; i < groups; ++i) {
    m = json{{"all", json::array({m})}};
  }
  return m;
}

TEST(ModelClientWorkloadSpec, GroupsNestAtMostEightDeep) {
  EXPECT_TRUE(clientErrors(nested(8)).empty());
  std::string pointer = "/spec/match";
  for (int i = 0; i < 8; ++i) {
    pointer += "/all/0";
  }
  expectOnlyError(clientErrors(nested(9)), pointer, "groups nest at most 8 deep");
  EXPECT_EQ(clientErrors(nested(40)).size(), 1u);
}

TEST(ModelClientWorkloadSpec, AtMost256Matchers) {
  json leaves = json::array();
  for (int i = 0; i < 255; ++i) {
    leaves.push_back(leaf());
  }
  EXPECT_TRUE(clientErrors({{"any", leaves}}).empty());  // the group and 255 leaves
  leaves.push_back(leaf());
  expectOnlyError(clientErrors({{"any", leaves}}), "/spec/match/any/255",
                  "too many matchers (at most 256)");
}

// ---- AccessPolicy ----

std::vector<FieldError> policyErrors(const json& spec) {
  return specErrors(Kind::kAccessPolicy, spec);
}

TEST(ModelAccessPolicySpec, AcceptsAValidPolicy) {
  EXPECT_TRUE(policyErrors(testing::policySpec()).empty());
  json spec = testing::policySpec();
  spec["accessConditions"] = json::array();
  spec["enabled"] = false;
  spec["trustProviders"]["match"] = "all";
  EXPECT_TRUE(policyErrors(spec).empty());
}

TEST(ModelAccessPolicySpec, ReportsEveryRequiredField) {
  EXPECT_EQ(pointersOf(policyErrors(json::object())),
            (std::vector<std::string>{"/spec/clientWorkloads", "/spec/trustProviders",
                                      "/spec/credentialProvider", "/spec/serverWorkload"}));
  json spec = testing::policySpec();
  spec["trustProviders"] = json::object();
  EXPECT_EQ(pointersOf(policyErrors(spec)),
            (std::vector<std::string>{"/spec/trustProviders/match", "/spec/trustProviders/names"}));
}

TEST(ModelAccessPolicySpec, NamesAreUnique) {
  json spec = testing::policySpec();
  spec["clientWorkloads"] = json::array({"a", "b", "a"});
  expectOnlyError(policyErrors(spec), "/spec/clientWorkloads", "names 'a' twice");
  spec = testing::policySpec();
  spec["trustProviders"]["names"] = json::array({"k8s", "k8s"});
  expectOnlyError(policyErrors(spec), "/spec/trustProviders/names", "names 'k8s' twice");
  spec = testing::policySpec();
  spec["accessConditions"] = json::array({"office", "office"});
  expectOnlyError(policyErrors(spec), "/spec/accessConditions", "names 'office' twice");
}

TEST(ModelAccessPolicySpec, NamesAreObjectNames) {
  json spec = testing::policySpec();
  spec["clientWorkloads"] = json::array({"ok", "Bad"});
  expectOnlyError(policyErrors(spec), "/spec/clientWorkloads/1",
                  "must use only lower-case letters, digits, '-' and '.' (found 'B')");
  spec = testing::policySpec();
  spec["serverWorkload"] = "-api";
  expectOnlyError(policyErrors(spec), "/spec/serverWorkload",
                  "must start and end with a letter or digit");
  spec = testing::policySpec();
  spec["credentialProvider"] = std::string(64, 'a');
  expectOnlyError(policyErrors(spec), "/spec/credentialProvider", "must be at most 63 characters");
  spec = testing::policySpec();
  spec["credentialProvider"] = "";
  expectOnlyError(policyErrors(spec), "/spec/credentialProvider", "must not be empty");
}

TEST(ModelAccessPolicySpec, ListsAndEnums) {
  json spec = testing::policySpec();
  spec["clientWorkloads"] = json::array();
  expectOnlyError(policyErrors(spec), "/spec/clientWorkloads", "must have at least one item");
  spec = testing::policySpec();
  spec["trustProviders"]["match"] = "some";
  expectOnlyError(policyErrors(spec), "/spec/trustProviders/match",
                  "must be one of any, all, not 'some'");
  spec = testing::policySpec();
  spec["enabled"] = "yes";
  expectOnlyError(policyErrors(spec), "/spec/enabled", "must be a boolean");
}

TEST(ModelAccessPolicySpec, NonStringNamesAreFieldErrorsNotExceptions) {
  json spec = testing::policySpec();
  spec["clientWorkloads"] = json::array({1, 1});
  spec["trustProviders"]["names"] = json::array({json::object()});
  std::vector<FieldError> errors;
  ASSERT_NO_THROW(errors = policyErrors(spec));
  EXPECT_EQ(pointersOf(errors),
            (std::vector<std::string>{"/spec/clientWorkloads/0", "/spec/clientWorkloads/1",
                                      "/spec/trustProviders/names/0"}));
  EXPECT_EQ(reasonAt(errors, "/spec/clientWorkloads/0"), "must be a string, not an integer");
}

// ---- TrustProvider types ----

std::vector<FieldError> trustErrors(const json& spec) {
  return specErrors(Kind::kTrustProvider, spec);
}

TEST(ModelTrustProviderSpec, AcceptsEachType) {
  EXPECT_TRUE(trustErrors(testing::oidcTrustSpec()).empty());
  EXPECT_TRUE(trustErrors({{"type", "kubernetes"},
                           {"issuer", "https://kubernetes.default.svc"},
                           {"audiences", json::array({"tessera"})},
                           {"jwks", R"({"keys":[]})"}})
                  .empty());
  EXPECT_TRUE(
      trustErrors({{"type", "github-actions"},
                   {"audiences", json::array({"https://github.com/acme"})},
                   {"rules", json::array({{{"attribute", "repository"}, {"equals", "acme/app"}}})}})
          .empty());
  EXPECT_TRUE(
      trustErrors({{"type", "gitlab-ci"},
                   {"audiences", json::array({"tessera"})},
                   {"jwksUri", "https://gitlab.example.com/oauth/discovery/keys"},
                   {"rules", json::array({{{"attribute", "ref"}, {"oneOf", json::array({"main"})}},
                                          {{"attribute", "project_path"}, {"glob", "acme/*"}}})}})
          .empty());
}

TEST(ModelTrustProviderSpec, IssuerIsRequiredExceptForCiProviders) {
  expectOnlyError(trustErrors({{"type", "oidc"}, {"audiences", json::array({"a"})}}),
                  "/spec/issuer", "is required");
  expectOnlyError(trustErrors({{"type", "kubernetes"}, {"audiences", json::array({"a"})}}),
                  "/spec/issuer", "is required");
  EXPECT_TRUE(trustErrors({{"type", "github-actions"}, {"audiences", json::array({"a"})}}).empty());
  EXPECT_TRUE(trustErrors({{"type", "gitlab-ci"}, {"audiences", json::array({"a"})}}).empty());
  EXPECT_TRUE(trustErrors({{"type", "gcp-identity"}, {"audiences", json::array({"a"})}}).empty());
  expectOnlyError(trustErrors({{"type", "gcp-identity"}}), "/spec/audiences", "is required");
}

TEST(ModelTrustProviderSpec, AwsRoleEndpointsAgeAndRules) {
  EXPECT_TRUE(trustErrors({{"type", "aws-role"}}).empty());
  EXPECT_TRUE(
      trustErrors({{"type", "aws-role"},
                   {"stsEndpoints", json::array({"https://sts.cn-north-1.amazonaws.com.cn/",
                                                 "http://127.0.0.1:5000/"})},
                   {"maxRequestAge", 900},
                   {"rules", json::array({{{"attribute", "roleName"}, {"equals", "deployer"}}})}})
          .empty());
  expectOnlyError(trustErrors({{"type", "aws-role"},
                               {"stsEndpoints", json::array({"http://sts.amazonaws.com/"})}}),
                  "/spec/stsEndpoints/0", "must use https (http only on a loopback address)");
  expectOnlyError(
      trustErrors({{"type", "aws-role"},
                   {"stsEndpoints", json::array({"https://sts.amazonaws.com/?Action=x"})}}),
      "/spec/stsEndpoints/0", "must not have a query");
  expectOnlyError(trustErrors({{"type", "aws-role"}, {"stsEndpoints", json::array()}}),
                  "/spec/stsEndpoints", "must have at least one item");
  expectOnlyError(trustErrors({{"type", "aws-role"}, {"maxRequestAge", 29}}), "/spec/maxRequestAge",
                  "must be at least 30");
  expectOnlyError(trustErrors({{"type", "aws-role"}, {"maxRequestAge", 901}}),
                  "/spec/maxRequestAge", "must be at most 900");
  expectOnlyError(trustErrors({{"type", "aws-role"}, {"audiences", json::array({"a"})}}),
                  "/spec/audiences", "unknown field");
}

TEST(ModelTrustProviderSpec, AudiencesBetweenOneAndSixteen) {
  json spec = testing::oidcTrustSpec();
  spec["audiences"] = json::array();
  expectOnlyError(trustErrors(spec), "/spec/audiences", "must have at least one item");
  spec["audiences"] = json::array();
  for (int i = 0; i < 17; ++i) {
    spec["audiences"].push_back("a" + std::to_string(i));
  }
  expectOnlyError(trustErrors(spec), "/spec/audiences", "must have at most 16 items");
  spec["audiences"] = json::array({""});
  expectOnlyError(trustErrors(spec), "/spec/audiences/0", "must not be empty");
}

TEST(ModelTrustProviderSpec, JwksUriAndJwksAreExclusive) {
  json spec = testing::oidcTrustSpec();
  spec["jwksUri"] = "https://issuer.example.com/keys";
  spec["jwks"] = R"({"keys":[]})";
  expectOnlyError(trustErrors(spec), "/spec/jwks", "give either jwksUri or jwks, not both");
  spec.erase("jwks");
  EXPECT_TRUE(trustErrors(spec).empty());
}

TEST(ModelTrustProviderSpec, UrlsAreHttpsExceptOnLoopback) {
  json spec = testing::oidcTrustSpec();
  spec["issuer"] = "http://issuer.example.com";
  expectOnlyError(trustErrors(spec), "/spec/issuer",
                  "must use https (http only on a loopback address)");
  spec["issuer"] = "http://10.0.0.1:8080";
  expectOnlyError(trustErrors(spec), "/spec/issuer", "must use https");
  for (const char* loopback : {"http://127.0.0.1:8080", "http://localhost:9000/realms/dev",
                               "http://[::1]:8080", "http://127.1.2.3"}) {
    spec["issuer"] = loopback;
    EXPECT_TRUE(trustErrors(spec).empty()) << loopback;
  }
  spec = testing::oidcTrustSpec();
  spec["jwksUri"] = "http://keys.example.com/jwks";
  expectOnlyError(trustErrors(spec), "/spec/jwksUri", "must use https");
  spec["jwksUri"] = "ftp://keys.example.com/jwks";
  expectOnlyError(
      trustErrors(spec), "/spec/jwksUri",
      "must be an absolute URL: invalid URL ftp://keys.example.com/jwks: scheme must be "
      "http or https");
  spec["jwksUri"] = "keys.example.com/jwks";
  expectOnlyError(trustErrors(spec), "/spec/jwksUri", "must be an absolute URL");
  spec["jwksUri"] = "https://user:pw@keys.example.com/jwks";
  expectOnlyError(trustErrors(spec), "/spec/jwksUri", "userinfo is not allowed");
}

TEST(ModelTrustProviderSpec, RulesHaveExactlyOneTest) {
  json spec = testing::oidcTrustSpec();
  spec["rules"] = json::array({{{"attribute", "sub"}}});
  expectOnlyError(trustErrors(spec), "/spec/rules/0",
                  "must have exactly one of equals, oneOf, glob");
  spec["rules"] = json::array({{{"attribute", "sub"}, {"equals", "a"}},
                               {{"attribute", "sub"}, {"equals", "a"}, {"glob", "*"}}});
  expectOnlyError(trustErrors(spec), "/spec/rules/1",
                  "must have exactly one of equals, oneOf, glob");
  spec["rules"] = json::array({{{"attribute", "sub"}, {"cidr", "10.0.0.0/8"}}});
  expectOnlyError(trustErrors(spec), "/spec/rules/0/cidr",
                  "unknown field; known: attribute, equals, oneOf, glob");
  spec["rules"] = json::array({{{"equals", "a"}}});
  expectOnlyError(trustErrors(spec), "/spec/rules/0/attribute", "is required");
}

TEST(ModelTrustProviderSpec, UnknownFieldListsTheTypeFields) {
  json spec = testing::oidcTrustSpec();
  spec["clientId"] = "x";
  expectOnlyError(trustErrors(spec), "/spec/clientId",
                  "unknown field; known: type, issuer, audiences, jwksUri, jwks, rules");
}

TEST(ModelTypedSpecs, UnknownTypeListsKnownTypes) {
  expectOnlyError(trustErrors({{"type", "saml"}}), "/spec/type",
                  "unknown TrustProvider type 'saml'; one of aws-instance-identity, "
                  "aws-role, azure-attested, gcp-identity, github-actions, gitlab-ci, kubernetes, "
                  "oidc");
  expectOnlyError(specErrors(Kind::kAccessCondition, {{"type", "weather"}}), "/spec/type",
                  "unknown AccessCondition type 'weather'; one of geoip, network, time");
  expectOnlyError(specErrors(Kind::kCredentialProvider, {{"type", "vault"}}), "/spec/type",
                  "unknown CredentialProvider type 'vault'; one of aws-sts, "
                  "azure-entra-federation, gcp-workload-identity, oauth-client-credentials, "
                  "oidc-id-token, static-secret");
}

TEST(ModelTypedSpecs, MissingOrNonStringType) {
  expectOnlyError(trustErrors({{"audiences", json::array({"a"})}}), "/spec/type",
                  "is required; one of aws-instance-identity, aws-role, azure-attested, "
                  "gcp-identity, github-actions, gitlab-ci, kubernetes, oidc");
  expectOnlyError(specErrors(Kind::kAccessCondition, {{"type", 3}}), "/spec/type",
                  "must be a string; one of geoip, network, time");
}

TEST(ModelTypedSpecs, SpecMustBeAnObject) {
  for (Kind k : kAllKinds) {
    expectOnlyError(specErrors(k, json::array()), "/spec", "must be an object");
  }
}

// ---- AccessCondition types ----

std::vector<FieldError> conditionErrors(const json& spec) {
  return specErrors(Kind::kAccessCondition, spec);
}

json timeSpec(std::string start, std::string end, json days = json::array({"mon", "fri"})) {
  return {
      {"type", "time"},
      {"timeZone", "Europe/Paris"},
      {"schedule",
       json::array(
           {{{"days", std::move(days)}, {"start", std::move(start)}, {"end", std::move(end)}}})}};
}

TEST(ModelTimeConditionSpec, AcceptsWindowsIncludingOvernightAndMidnight) {
  EXPECT_TRUE(conditionErrors(timeSpec("09:00", "17:30")).empty());
  EXPECT_TRUE(conditionErrors(timeSpec("22:00", "06:00")).empty());
  EXPECT_TRUE(conditionErrors(timeSpec("00:00", "24:00")).empty());
}

TEST(ModelTimeConditionSpec, TimesAreHhMm) {
  for (const char* bad : {"9:00", "09:0", "0900", "09-00", "ab:cd", "09:00:00", ""}) {
    expectOnlyError(conditionErrors(timeSpec(bad, "17:00")), "/spec/schedule/0/start",
                    "must be HH:MM");
  }
  for (const char* bad : {"25:00", "24:01", "12:60", "99:99"}) {
    expectOnlyError(conditionErrors(timeSpec("08:00", bad)), "/spec/schedule/0/end",
                    "must be a time from 00:00 to 24:00");
  }
}

TEST(ModelTimeConditionSpec, StartAndEndDiffer) {
  expectOnlyError(conditionErrors(timeSpec("09:00", "09:00")), "/spec/schedule/0/end",
                  "must differ from start");
  // Malformed times are reported as such, not as equal.
  const auto errors = conditionErrors(timeSpec("9", "9"));
  EXPECT_EQ(pointersOf(errors),
            (std::vector<std::string>{"/spec/schedule/0/start", "/spec/schedule/0/end"}));
  EXPECT_EQ(reasonAt(errors, "/spec/schedule/0/end"), "must be HH:MM");
}

TEST(ModelTimeConditionSpec, DaysAndScheduleAndTimeZone) {
  expectOnlyError(conditionErrors(timeSpec("09:00", "17:00", json::array({"monday"}))),
                  "/spec/schedule/0/days/0",
                  "must be one of mon, tue, wed, thu, fri, sat, sun, not 'monday'");
  expectOnlyError(conditionErrors(timeSpec("09:00", "17:00", json::array())),
                  "/spec/schedule/0/days", "must have at least one item");
  json spec = timeSpec("09:00", "17:00");
  spec["schedule"] = json::array();
  expectOnlyError(conditionErrors(spec), "/spec/schedule", "must have at least one item");
  spec = timeSpec("09:00", "17:00");
  spec.erase("timeZone");
  expectOnlyError(conditionErrors(spec), "/spec/timeZone", "is required");
}

TEST(ModelGeoipConditionSpec, CountryCodes) {
  EXPECT_TRUE(
      conditionErrors({{"type", "geoip"}, {"countries", json::array({"US", "FR"})}}).empty());
  expectOnlyError(conditionErrors({{"type", "geoip"}, {"countries", json::array({"FR", "us"})}}),
                  "/spec/countries/1", "must be upper-case letters and digits");
  expectOnlyError(conditionErrors({{"type", "geoip"}, {"countries", json::array({"USA"})}}),
                  "/spec/countries/0", "must be at most 2 characters long");
  expectOnlyError(conditionErrors({{"type", "geoip"}, {"countries", json::array({"U"})}}),
                  "/spec/countries/0", "must be at least 2 characters long");
  expectOnlyError(conditionErrors({{"type", "geoip"}, {"countries", json::array()}}),
                  "/spec/countries", "must have at least one item");
}

TEST(ModelGeoipConditionSpec, SubdivisionCodes) {
  EXPECT_TRUE(conditionErrors(
                  {{"type", "geoip"}, {"subdivisions", json::array({"US-CA", "FR-75", "GB-ENG"})}})
                  .empty());
  expectOnlyError(conditionErrors({{"type", "geoip"}, {"subdivisions", json::array({"USCA"})}}),
                  "/spec/subdivisions/0", "must be CC-SUB, e.g. US-CA");
  expectOnlyError(conditionErrors({{"type", "geoip"}, {"subdivisions", json::array({"us-ca"})}}),
                  "/spec/subdivisions/0", "must be upper-case letters and digits");
  expectOnlyError(conditionErrors({{"type", "geoip"}, {"subdivisions", json::array({"US-CAXX"})}}),
                  "/spec/subdivisions/0", "must be at most 6 characters long");
  expectOnlyError(conditionErrors({{"type", "geoip"}, {"subdivisions", json::array({"US-"})}}),
                  "/spec/subdivisions/0", "must be at least 4 characters long");
}

TEST(ModelGeoipConditionSpec, NeedsCountriesOrSubdivisions) {
  expectOnlyError(conditionErrors({{"type", "geoip"}}), "/spec", "needs countries or subdivisions");
}

TEST(ModelNetworkConditionSpec, AcceptsV4AndV6Blocks) {
  EXPECT_TRUE(conditionErrors({{"type", "network"},
                               {"allow", json::array({"10.0.0.0/8", "2001:db8::/32", "0.0.0.0/0",
                                                      "::/0", "192.168.1.1/32", "::1/128"})},
                               {"deny", json::array({"10.1.0.0/16"})}})
                  .empty());
  EXPECT_TRUE(
      conditionErrors({{"type", "network"}, {"deny", json::array({"10.0.0.0/8"})}}).empty());
}

TEST(ModelNetworkConditionSpec, RefusesBadBlocksWithTheReason) {
  const auto allow = [](const char* block) {
    return conditionErrors({{"type", "network"}, {"allow", json::array({block})}});
  };
  expectOnlyError(allow("10.0.0.0/33"), "/spec/allow/0", "has an invalid prefix length (0-32)");
  expectOnlyError(allow("2001:db8::/129"), "/spec/allow/0", "has an invalid prefix length (0-128)");
  expectOnlyError(allow("10.0.0.0/-1"), "/spec/allow/0", "has an invalid prefix length (0-32)");
  expectOnlyError(allow("10.0.0.0/8x"), "/spec/allow/0", "has an invalid prefix length");
  expectOnlyError(allow("10.0.0.0/"), "/spec/allow/0", "has an invalid prefix length");
  expectOnlyError(allow("10.0.0.0"), "/spec/allow/0",
                  "must be a CIDR block like 10.0.0.0/8 or 2001:db8::/32");
  expectOnlyError(allow("10.0.0.300/8"), "/spec/allow/0", "has an invalid address '10.0.0.300'");
  expectOnlyError(allow("example.com/8"), "/spec/allow/0", "has an invalid address 'example.com'");
  expectOnlyError(conditionErrors({{"type", "network"}, {"deny", json::array({"1.2.3.4/40"})}}),
                  "/spec/deny/0", "has an invalid prefix length (0-32)");
}

TEST(ModelNetworkConditionSpec, NeedsAllowOrDeny) {
  expectOnlyError(conditionErrors({{"type", "network"}}), "/spec", "needs allow or deny");
  expectOnlyError(conditionErrors({{"type", "network"}, {"allow", json::array()}}), "/spec/allow",
                  "must have at least one item");
}

// ---- CredentialProvider types ----

std::vector<FieldError> credentialErrors(const json& spec) {
  return specErrors(Kind::kCredentialProvider, spec);
}

json staticSecret(std::string secretType, json fields = json::object()) {
  fields["type"] = "static-secret";
  fields["secretType"] = std::move(secretType);
  return fields;
}

TEST(ModelStaticSecretSpec, AcceptsEachSecretType) {
  EXPECT_TRUE(credentialErrors(staticSecret("api-key", {{"value", "k"}})).empty());
  EXPECT_TRUE(credentialErrors(staticSecret("bearer-token", {{"value", "t"}})).empty());
  EXPECT_TRUE(
      credentialErrors(staticSecret("username-password", {{"username", "u"}, {"password", "p"}}))
          .empty());
}

TEST(ModelStaticSecretSpec, ValueSecretsNeedAValueAndNoUserOrPassword) {
  expectOnlyError(credentialErrors(staticSecret("api-key")), "/spec/value",
                  "is required for secretType api-key");
  expectOnlyError(credentialErrors(staticSecret("bearer-token")), "/spec/value",
                  "is required for secretType bearer-token");
  const auto errors = credentialErrors(
      staticSecret("api-key", {{"value", "k"}, {"username", "u"}, {"password", "p"}}));
  EXPECT_EQ(pointersOf(errors), (std::vector<std::string>{"/spec/username", "/spec/password"}));
  EXPECT_EQ(reasonAt(errors, "/spec/username"), "applies only to secretType username-password");
}

TEST(ModelStaticSecretSpec, UsernamePasswordNeedsBothAndNoValue) {
  const auto errors = credentialErrors(staticSecret("username-password", {{"value", "v"}}));
  EXPECT_EQ(pointersOf(errors),
            (std::vector<std::string>{"/spec/username", "/spec/password", "/spec/value"}));
  EXPECT_EQ(reasonAt(errors, "/spec/password"), "is required for secretType username-password");
  EXPECT_EQ(reasonAt(errors, "/spec/value"), "does not apply to secretType username-password");
}

TEST(ModelStaticSecretSpec, FieldRules) {
  expectOnlyError(credentialErrors(staticSecret("ssh-key", {{"value", "k"}})), "/spec/secretType",
                  "must be one of api-key, bearer-token, username-password, not 'ssh-key'");
  expectOnlyError(credentialErrors(staticSecret("api-key", {{"value", ""}})), "/spec/value",
                  "must not be empty");
  expectOnlyError(credentialErrors({{"type", "static-secret"}, {"value", "k"}}), "/spec/secretType",
                  "is required");
}

TEST(ModelOidcIdTokenSpec, Fields) {
  EXPECT_TRUE(credentialErrors({{"type", "oidc-id-token"},
                                {"audience", "https://api.example.com"},
                                {"subject", "${k8s.namespace}"},
                                {"lifetimeSeconds", 60},
                                {"algorithm", "ES256"},
                                {"claims", {{"team", "payments"}}}})
                  .empty());
  expectOnlyError(credentialErrors({{"type", "oidc-id-token"}}), "/spec/audience", "is required");
  json spec = {{"type", "oidc-id-token"}, {"audience", "a"}};
  spec["lifetimeSeconds"] = 59;
  expectOnlyError(credentialErrors(spec), "/spec/lifetimeSeconds", "must be at least 60");
  spec["lifetimeSeconds"] = 86401;
  expectOnlyError(credentialErrors(spec), "/spec/lifetimeSeconds", "must be at most 86400");
  spec.erase("lifetimeSeconds");
  spec["algorithm"] = "HS256";
  expectOnlyError(credentialErrors(spec), "/spec/algorithm", "must be one of RS256, ES256");
  spec.erase("algorithm");
  spec["claims"] = {{"x/y", 1}};
  expectOnlyError(credentialErrors(spec), "/spec/claims/x~1y", "must be a string, not an integer");
}

json awsSts(std::string roleArn) {
  return {{"type", "aws-sts"}, {"roleArn", std::move(roleArn)}};
}

TEST(ModelAwsStsSpec, RoleArn) {
  EXPECT_TRUE(credentialErrors(awsSts("arn:aws:iam::123456789012:role/deploy")).empty());
  EXPECT_TRUE(
      credentialErrors(awsSts("arn:aws-us-gov:iam::123456789012:role/ci/deploy@x")).empty());
  expectOnlyError(credentialErrors(awsSts("arn:aws:iam::12345:role/deploy-role")), "/spec/roleArn",
                  "must be an IAM role ARN like arn:aws:iam::123456789012:role/name");
  expectOnlyError(credentialErrors(awsSts("arn:aws:iam::123456789012:user/deploy")),
                  "/spec/roleArn", "must be an IAM role ARN");
  expectOnlyError(credentialErrors(awsSts("arn:aws:iam::123456789012:role/")), "/spec/roleArn",
                  "must be an IAM role ARN");
  expectOnlyError(credentialErrors(awsSts("arn:aws:iam")), "/spec/roleArn",
                  "must be at least 20 characters long");
  expectOnlyError(credentialErrors({{"type", "aws-sts"}}), "/spec/roleArn", "is required");
}

TEST(ModelAwsStsSpec, DurationRangeAndEndpoint) {
  json spec = awsSts("arn:aws:iam::123456789012:role/deploy");
  spec["durationSeconds"] = 900;
  EXPECT_TRUE(credentialErrors(spec).empty());
  spec["durationSeconds"] = 43200;
  EXPECT_TRUE(credentialErrors(spec).empty());
  spec["durationSeconds"] = 899;
  expectOnlyError(credentialErrors(spec), "/spec/durationSeconds", "must be at least 900");
  spec["durationSeconds"] = 43201;
  expectOnlyError(credentialErrors(spec), "/spec/durationSeconds", "must be at most 43200");
  spec.erase("durationSeconds");
  spec["endpoint"] = "https://sts.eu-west-1.amazonaws.com";
  EXPECT_TRUE(credentialErrors(spec).empty());
  spec["endpoint"] = "http://sts.eu-west-1.amazonaws.com";
  expectOnlyError(credentialErrors(spec), "/spec/endpoint", "must use https");
  spec["endpoint"] = "http://localhost:4566";
  EXPECT_TRUE(credentialErrors(spec).empty());
}

json gcpWorkloadIdentity() {
  return {{"type", "gcp-workload-identity"},
          {"projectNumber", "123456789"},
          {"poolId", "tessera-pool"},
          {"providerId", "hub"}};
}

TEST(ModelGcpWorkloadIdentitySpec, PoolProviderAndServiceAccount) {
  json spec = gcpWorkloadIdentity();
  spec["providerId"] = "tessera-hub";
  EXPECT_TRUE(credentialErrors(spec).empty());
  expectOnlyError(credentialErrors(gcpWorkloadIdentity()), "/spec/providerId",
                  "must be 4-32 characters of a-z, 0-9 and '-'");
  spec["projectNumber"] = "my-project";
  expectOnlyError(credentialErrors(spec), "/spec/projectNumber", "must be the project NUMBER");
  spec["projectNumber"] = "123456789";
  spec["poolId"] = "Tessera_Pool";
  expectOnlyError(credentialErrors(spec), "/spec/poolId", "must be 4-32 characters");
  spec["poolId"] = "tessera-pool";
  spec["serviceAccount"] = "reader@proj.iam.gserviceaccount.com";
  spec["lifetimeSeconds"] = 3600;
  spec["scopes"] = {"https://www.googleapis.com/auth/devstorage.read_only"};
  EXPECT_TRUE(credentialErrors(spec).empty());
  spec["lifetimeSeconds"] = 3601;
  expectOnlyError(credentialErrors(spec), "/spec/lifetimeSeconds", "must be at most 3600");
  spec.erase("lifetimeSeconds");
  spec["serviceAccount"] = "reader";
  expectOnlyError(credentialErrors(spec), "/spec/serviceAccount",
                  "must be a service account email");
  spec.erase("serviceAccount");
  spec["endpoint"] = "http://sts.googleapis.com/v1/token";
  expectOnlyError(credentialErrors(spec), "/spec/endpoint", "must use https");
  expectOnlyError(
      credentialErrors(
          {{"type", "gcp-workload-identity"}, {"projectNumber", "1"}, {"poolId", "pool"}}),
      "/spec/providerId", "is required");
}

json azureEntraFederation() {
  return {{"type", "azure-entra-federation"},
          {"tenantId", "8eaef023-2b34-4da1-9baa-8bc8c9d6a490"},
          {"clientId", "97e0a5b7-d745-40b6-94fe-5f77d35c6e05"},
          {"scope", "https://management.azure.com/.default"}};
}

TEST(ModelAzureEntraFederationSpec, ScopeAndAuthority) {
  json spec = azureEntraFederation();
  EXPECT_TRUE(credentialErrors(spec).empty());
  spec["scope"] = "https://management.azure.com/user_impersonation";
  expectOnlyError(credentialErrors(spec), "/spec/scope", "must be one scope ending in /.default");
  spec = azureEntraFederation();
  spec["authorityHost"] = "http://login.microsoftonline.com";
  expectOnlyError(credentialErrors(spec), "/spec/authorityHost", "must use https");
  spec["authorityHost"] = "http://127.0.0.1:8080";
  EXPECT_TRUE(credentialErrors(spec).empty());
  spec.erase("clientId");
  expectOnlyError(credentialErrors(spec), "/spec/clientId", "is required");
}

json oauthClientCredentials() {
  return {{"type", "oauth-client-credentials"},
          {"tokenEndpoint", "https://as.example.com/oauth2/token"},
          {"clientId", "tessera"},
          {"clientSecret", "s"}};
}

TEST(ModelOAuthClientCredentialsSpec, EndpointOrIssuerAndClientAuthentication) {
  EXPECT_TRUE(credentialErrors(oauthClientCredentials()).empty());
  json spec = oauthClientCredentials();
  spec["scopes"] = {"read", "write"};
  spec["audience"] = "https://api.example.com";
  spec["resource"] = "https://api.example.com/v1";
  spec["extraParameters"] = {{"tenant", "acme"}};
  EXPECT_TRUE(credentialErrors(spec).empty());
  spec["scopes"] = {"read write"};
  expectOnlyError(credentialErrors(spec), "/spec/scopes/0", "must not contain a space");
  spec.erase("scopes");
  spec["issuer"] = "https://as.example.com";
  expectOnlyError(credentialErrors(spec), "/spec/tokenEndpoint",
                  "give exactly one of tokenEndpoint and issuer");
  spec.erase("tokenEndpoint");
  EXPECT_TRUE(credentialErrors(spec).empty());
  spec["issuer"] = "http://as.example.com";
  expectOnlyError(credentialErrors(spec), "/spec/issuer", "must use https");

  spec = oauthClientCredentials();
  spec.erase("clientSecret");
  expectOnlyError(credentialErrors(spec), "/spec/clientSecret",
                  "is required for clientAuth client_secret_basic");
  spec["clientAuth"] = "private_key_jwt";
  spec["assertionAlgorithm"] = "ES256";
  EXPECT_TRUE(credentialErrors(spec).empty());
  spec["clientSecret"] = "s";
  expectOnlyError(credentialErrors(spec), "/spec/clientSecret",
                  "does not apply to clientAuth private_key_jwt");
  spec = oauthClientCredentials();
  spec["assertionAlgorithm"] = "RS256";
  expectOnlyError(credentialErrors(spec), "/spec/assertionAlgorithm",
                  "applies only to clientAuth private_key_jwt");
  spec = oauthClientCredentials();
  spec["clientAuth"] = "none";
  expectOnlyError(credentialErrors(spec), "/spec/clientAuth", "must be one of");
}

TEST(ModelOAuthClientCredentialsSpec, ExtraParametersAreBoundedAndNotReserved) {
  json spec = oauthClientCredentials();
  for (const char* reserved : {"grant_type", "client_assertion", "resource", "audience"}) {
    spec["extraParameters"] = {{reserved, "x"}};
    expectOnlyError(credentialErrors(spec), std::string("/spec/extraParameters/") + reserved,
                    "is reserved");
  }
  spec["extraParameters"] = json::object();
  for (int i = 0; i < 17; ++i) {
    spec["extraParameters"]["p" + std::to_string(i)] = "v";
  }
  expectOnlyError(credentialErrors(spec), "/spec/extraParameters", "must have at most 16 entries");
}

// ---- SpecRegistry ----

TEST(ModelSpecRegistry, TypedKinds) {
  EXPECT_FALSE(SpecRegistry::isTyped(Kind::kClientWorkload));
  EXPECT_FALSE(SpecRegistry::isTyped(Kind::kServerWorkload));
  EXPECT_FALSE(SpecRegistry::isTyped(Kind::kAccessPolicy));
  EXPECT_TRUE(SpecRegistry::isTyped(Kind::kTrustProvider));
  EXPECT_TRUE(SpecRegistry::isTyped(Kind::kAccessCondition));
  EXPECT_TRUE(SpecRegistry::isTyped(Kind::kCredentialProvider));
}

TEST(ModelSpecRegistry, TypeNamesAreSorted) {
  const auto& r = SpecRegistry::builtin();
  EXPECT_EQ(r.typeNames(Kind::kTrustProvider),
            (std::vector<std::string>{"aws-instance-identity", "aws-role", "azure-attested",
                                      "gcp-identity", "github-actions", "gitlab-ci", "kubernetes",
                                      "oidc"}));
  EXPECT_EQ(r.typeNames(Kind::kAccessCondition),
            (std::vector<std::string>{"geoip", "network", "time"}));
  EXPECT_EQ(
      r.typeNames(Kind::kCredentialProvider),
      (std::vector<std::string>{"aws-sts", "azure-entra-federation", "gcp-workload-identity",
                                "oauth-client-credentials", "oidc-id-token", "static-secret"}));
  EXPECT_TRUE(r.typeNames(Kind::kServerWorkload).empty());
}

TEST(ModelSpecRegistry, SchemaForPicksTheTypeSchema) {
  const auto& r = SpecRegistry::builtin();
  EXPECT_NE(r.schemaFor(Kind::kServerWorkload, json::object()), nullptr);
  EXPECT_NE(r.schemaFor(Kind::kServerWorkload, json::array()), nullptr);
  const Schema* oidc = r.schemaFor(Kind::kTrustProvider, {{"type", "oidc"}});
  ASSERT_NE(oidc, nullptr);
  EXPECT_EQ(oidc->properties()[0].name, "type");
  EXPECT_NE(oidc, r.schemaFor(Kind::kTrustProvider, {{"type", "kubernetes"}}));
  EXPECT_EQ(r.schemaFor(Kind::kTrustProvider, {{"type", "saml"}}), nullptr);
  EXPECT_EQ(r.schemaFor(Kind::kTrustProvider, {{"type", 1}}), nullptr);
  EXPECT_EQ(r.schemaFor(Kind::kTrustProvider, json::object()), nullptr);
  EXPECT_EQ(r.schemaFor(Kind::kTrustProvider, "oidc"), nullptr);
}

TEST(ModelSpecRegistry, ProgrammingErrorsThrow) {
  SpecRegistry r;
  EXPECT_THROW(r.setKindSchema(Kind::kTrustProvider, Schema::object({})), std::logic_error);
  EXPECT_THROW(r.addType(Kind::kServerWorkload, "x", Schema::object({})), std::logic_error);
  r.addType(Kind::kTrustProvider, "x", Schema::object({}));
  EXPECT_THROW(r.addType(Kind::kTrustProvider, "x", Schema::object({})), std::logic_error);
}

TEST(ModelSpecRegistry, EmptyRegistryHasNoSchemas) {
  SpecRegistry r;
  FieldErrors errors;
  r.validateSpec(Kind::kServerWorkload, json::object(), "/spec", errors);
  expectOnlyError(errors.items(), "/spec", "no schema for ServerWorkload");
  EXPECT_EQ(r.specJsonSchema(Kind::kServerWorkload), json::object());
  EXPECT_EQ(r.specJsonSchema(Kind::kTrustProvider), (json{{"oneOf", json::array()}}));
}

TEST(ModelSpecRegistry, SpecJsonSchemas) {
  const auto& r = SpecRegistry::builtin();
  const json server = r.specJsonSchema(Kind::kServerWorkload);
  EXPECT_EQ(server["type"], "object");
  EXPECT_EQ(server["additionalProperties"], false);
  EXPECT_EQ(server["required"], json::array({"host", "port", "protocol", "authentication"}));
  EXPECT_EQ(server["properties"]["port"]["maximum"], 65535);
  const json client = r.specJsonSchema(Kind::kClientWorkload);
  EXPECT_EQ(client["properties"]["match"]["type"], "object");
  EXPECT_NE(client["properties"]["match"]["description"].get<std::string>().find("8 deep"),
            std::string::npos);
  const json trust = r.specJsonSchema(Kind::kTrustProvider);
  ASSERT_EQ(trust["oneOf"].size(), 8u);
  EXPECT_EQ(trust["oneOf"][0]["properties"]["type"]["enum"],
            json::array({"aws-instance-identity"}));
  EXPECT_EQ(trust["oneOf"][0]["required"], json::array({"type", "certificates"}));
  EXPECT_EQ(trust["oneOf"][1]["properties"]["type"]["enum"], json::array({"aws-role"}));
  EXPECT_EQ(trust["oneOf"][1]["required"], json::array({"type"}));
  EXPECT_EQ(trust["oneOf"][2]["required"], json::array({"type", "caCertificates"}));
  EXPECT_EQ(trust["oneOf"][4]["properties"]["type"]["enum"], json::array({"github-actions"}));
  EXPECT_EQ(trust["oneOf"][4]["required"], json::array({"type", "audiences"}));
  EXPECT_EQ(trust["oneOf"][7]["required"], json::array({"type", "issuer", "audiences"}));
  const json credential = r.specJsonSchema(Kind::kCredentialProvider);
  const auto credentialType = [&credential](const std::string& type) {
    for (const auto& schema : credential["oneOf"]) {
      if (schema["properties"]["type"]["enum"] == json::array({type})) {
        return schema;
      }
    }
    ADD_FAILURE() << "no schema for " << type;
    return json::object();
  };
  ASSERT_EQ(credential["oneOf"].size(), r.typeNames(Kind::kCredentialProvider).size());
  const json staticSecret = credentialType("static-secret");
  EXPECT_EQ(credentialType("gcp-workload-identity")["required"],
            json::array({"type", "projectNumber", "poolId", "providerId"}));
  EXPECT_EQ(staticSecret["properties"]["value"]["writeOnly"], true);
  EXPECT_EQ(staticSecret["properties"]["password"]["writeOnly"], true);
  EXPECT_FALSE(staticSecret["properties"]["username"].contains("writeOnly"));
  const json oauth = credentialType("oauth-client-credentials");
  EXPECT_EQ(oauth["properties"]["clientSecret"]["writeOnly"], true);
  EXPECT_FALSE(oauth["properties"]["clientId"].contains("writeOnly"));
}

TEST(ModelSpecRegistry, OnlyTypesThatStoreSecretsHaveSecrets) {
  const std::set<std::string> storing = {"static-secret", "oauth-client-credentials"};
  const auto& r = SpecRegistry::builtin();
  for (Kind k : kAllKinds) {
    if (!SpecRegistry::isTyped(k)) {
      EXPECT_FALSE(r.schemaFor(k, json::object())->hasSecrets()) << kindName(k);
      continue;
    }
    for (const auto& type : r.typeNames(k)) {
      EXPECT_EQ(r.schemaFor(k, {{"type", type}})->hasSecrets(), storing.contains(type)) << type;
    }
  }
}

}  // namespace
}  // namespace tessera::model
