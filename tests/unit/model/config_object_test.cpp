#include "model/config_object.hpp"

#include <gtest/gtest.h>

#include <string>

#include "model_test_support.hpp"

namespace tessera::model {
namespace {

using nlohmann::json;
using testing::expectOnlyError;
using testing::pointersOf;
using testing::reasonAt;

json document(json metadata = {{"name", "api"}}) {
  return {{"apiVersion", "tessera.dev/v1"},
          {"kind", "ServerWorkload"},
          {"metadata", std::move(metadata)},
          {"spec", testing::serverSpec()}};
}

struct Parsed {
  std::optional<ConfigObject> object;
  std::vector<FieldError> errors;
};

Parsed parse(const json& doc, std::optional<Kind> expected = std::nullopt,
             const std::string& pointer = "") {
  FieldErrors errors;
  Parsed p;
  p.object = parseConfigObject(doc, expected, pointer, errors);
  p.errors = errors.items();
  EXPECT_EQ(p.object.has_value(), p.errors.empty());
  return p;
}

TEST(ModelConfigObject, ParsesAValidDocument) {
  const auto p =
      parse(document({{"name", "api"},
                      {"labels", {{"team", "payments"}, {"app.kubernetes.io/name", "x"}}},
                      {"description", "The payments API."}}));
  ASSERT_TRUE(p.object);
  EXPECT_EQ(p.object->kind, Kind::kServerWorkload);
  EXPECT_EQ(p.object->metadata.name, "api");
  EXPECT_EQ(p.object->metadata.labels, (std::map<std::string, std::string>{
                                           {"team", "payments"}, {"app.kubernetes.io/name", "x"}}));
  EXPECT_EQ(p.object->metadata.description, "The payments API.");
  EXPECT_EQ(p.object->metadata.version, 0);
  EXPECT_EQ(p.object->metadata.createdAt, 0);
  EXPECT_EQ(p.object->spec, testing::serverSpec());
}

TEST(ModelConfigObject, DoesNotValidateTheSpec) {
  json doc = document();
  doc["spec"] = {{"nonsense", true}};
  const auto p = parse(doc);
  ASSERT_TRUE(p.object);
  EXPECT_EQ(p.object->spec, (json{{"nonsense", true}}));
}

TEST(ModelConfigObject, ApiVersionIsOptionalButMustBeRight) {
  json doc = document();
  doc.erase("apiVersion");
  EXPECT_TRUE(parse(doc).object);
  doc["apiVersion"] = "tessera.dev/v2";
  expectOnlyError(parse(doc).errors, "/apiVersion", "must be tessera.dev/v1");
  doc["apiVersion"] = 1;
  expectOnlyError(parse(doc).errors, "/apiVersion", "must be tessera.dev/v1");
}

TEST(ModelConfigObject, KindIsRequiredWithoutACollection) {
  json doc = document();
  doc.erase("kind");
  expectOnlyError(parse(doc).errors, "/kind", "is required");
  const auto p = parse(doc, Kind::kServerWorkload);
  ASSERT_TRUE(p.object);
  EXPECT_EQ(p.object->kind, Kind::kServerWorkload);
}

TEST(ModelConfigObject, UnknownKindListsKinds) {
  json doc = document();
  doc["kind"] = "Workload";
  expectOnlyError(parse(doc).errors, "/kind",
                  "unknown kind 'Workload'; one of ClientWorkload, ServerWorkload, TrustProvider, "
                  "AccessCondition, CredentialProvider, AccessPolicy");
  doc["kind"] = "serverWorkloads";
  expectOnlyError(parse(doc).errors, "/kind", "unknown kind 'serverWorkloads'");
  doc["kind"] = 7;
  expectOnlyError(parse(doc).errors, "/kind", "unknown kind; one of ClientWorkload");
}

TEST(ModelConfigObject, KindMustAgreeWithTheCollection) {
  expectOnlyError(parse(document(), Kind::kAccessPolicy).errors, "/kind",
                  "is ServerWorkload but this collection holds AccessPolicy");
  EXPECT_TRUE(parse(document(), Kind::kServerWorkload).object);
}

TEST(ModelConfigObject, EnvelopeFieldsAndTypes) {
  json doc = document();
  doc["status"] = "ok";
  expectOnlyError(parse(doc).errors, "/status",
                  "unknown field; known: apiVersion, kind, metadata, spec");
  expectOnlyError(parse(json::array()).errors, "",
                  "must be an object with kind, metadata and spec");
  expectOnlyError(parse("x", std::nullopt, "/objects/2").errors, "/objects/2",
                  "must be an object with kind, metadata and spec");
  doc = document();
  doc["spec"] = json::array();
  expectOnlyError(parse(doc).errors, "/spec", "must be an object");
  doc = document();
  doc.erase("spec");
  expectOnlyError(parse(doc).errors, "/spec", "is required");
  doc = document();
  doc.erase("metadata");
  expectOnlyError(parse(doc).errors, "/metadata", "is required");
  doc["metadata"] = "api";
  expectOnlyError(parse(doc).errors, "/metadata",
                  "must be an object with name, labels, description");
}

TEST(ModelConfigObject, NameRules) {
  expectOnlyError(parse(document(json::object())).errors, "/metadata/name", "is required");
  expectOnlyError(parse(document({{"name", 5}})).errors, "/metadata/name", "must be a string");
  expectOnlyError(parse(document({{"name", ""}})).errors, "/metadata/name", "must not be empty");
  expectOnlyError(parse(document({{"name", "Api"}})).errors, "/metadata/name",
                  "must use only lower-case letters, digits, '-' and '.' (found 'A')");
  expectOnlyError(parse(document({{"name", "my_api"}})).errors, "/metadata/name", "(found '_')");
  expectOnlyError(parse(document({{"name", "api-"}})).errors, "/metadata/name",
                  "must start and end with a letter or digit");
  expectOnlyError(parse(document({{"name", ".api"}})).errors, "/metadata/name",
                  "must start and end with a letter or digit");
  expectOnlyError(parse(document({{"name", std::string(64, 'a')}})).errors, "/metadata/name",
                  "must be at most 63 characters long");
  EXPECT_TRUE(parse(document({{"name", std::string(63, 'a')}})).object);
  EXPECT_TRUE(parse(document({{"name", "a"}})).object);
  EXPECT_TRUE(parse(document({{"name", "payments.api-v2"}})).object);
}

TEST(ModelConfigObject, LabelRules) {
  const auto labelErrors = [](json labels) {
    return parse(document({{"name", "api"}, {"labels", std::move(labels)}})).errors;
  };
  EXPECT_TRUE(labelErrors({{"app.kubernetes.io/name", "payments"}, {"tier", ""}, {"A_b.c", "X-1"}})
                  .empty());
  expectOnlyError(labelErrors("team=x"), "/metadata/labels", "must be an object of strings");
  expectOnlyError(labelErrors({{"team", 1}}), "/metadata/labels/team", "must be a string");
  expectOnlyError(labelErrors({{"team!", "x"}}), "/metadata/labels/team!",
                  "label key may use only letters, digits, '-', '_' and '.'");
  expectOnlyError(labelErrors({{"-team", "x"}}), "/metadata/labels/-team",
                  "label key must start and end with a letter or digit");
  expectOnlyError(labelErrors({{"", "x"}}), "/metadata/labels/",
                  "label key must be 1-63 characters (after any prefix/)");
  expectOnlyError(labelErrors({{std::string(64, 'k'), "x"}}),
                  "/metadata/labels/" + std::string(64, 'k'), "label key must be 1-63 characters");
  expectOnlyError(labelErrors({{"Example.COM/name", "x"}}), "/metadata/labels/Example.COM~1name",
                  "label key prefix must be a lower-case DNS name");
  expectOnlyError(labelErrors({{"/name", "x"}}), "/metadata/labels/~1name",
                  "label key prefix must be 1-253 characters");
  expectOnlyError(labelErrors({{"example.com/", "x"}}), "/metadata/labels/example.com~1",
                  "label key must be 1-63 characters (after any prefix/)");
  expectOnlyError(labelErrors({{"a/b/c", "x"}}), "/metadata/labels/a~1b~1c",
                  "label key prefix must be a lower-case DNS name");
  expectOnlyError(labelErrors({{"team", "pay ments"}}), "/metadata/labels/team",
                  "label value may use only letters, digits, '-', '_' and '.'");
  expectOnlyError(labelErrors({{"team", "payments-"}}), "/metadata/labels/team",
                  "label value must start and end with a letter or digit");
  expectOnlyError(labelErrors({{"team", std::string(64, 'v')}}), "/metadata/labels/team",
                  "label value must be at most 63 characters");
  json many = json::object();
  for (int i = 0; i < 65; ++i) {
    many["k" + std::to_string(i)] = "v";
  }
  expectOnlyError(labelErrors(many), "/metadata/labels", "must have at most 64 labels");
  many.erase("k0");
  EXPECT_TRUE(labelErrors(many).empty());
}

TEST(ModelConfigObject, DescriptionRules) {
  EXPECT_TRUE(parse(document({{"name", "api"}, {"description", std::string(1024, 'd')}})).object);
  expectOnlyError(
      parse(document({{"name", "api"}, {"description", std::string(1025, 'd')}})).errors,
      "/metadata/description", "must be at most 1024 characters long");
  expectOnlyError(parse(document({{"name", "api"}, {"description", 3}})).errors,
                  "/metadata/description", "must be a string");
}

TEST(ModelConfigObject, VersionIsAPositiveInteger) {
  const auto p = parse(document({{"name", "api"}, {"version", 7}}));
  ASSERT_TRUE(p.object);
  EXPECT_EQ(p.object->metadata.version, 7);
  for (const json& bad : {json(0), json(-1), json(1.5), json("7"), json(nullptr),
                          json(std::uint64_t{18446744073709551615ULL})}) {
    expectOnlyError(parse(document({{"name", "api"}, {"version", bad}})).errors,
                    "/metadata/version", "must be a positive integer");
  }
}

TEST(ModelConfigObject, ServerTimesAreAcceptedAndIgnored) {
  const auto p = parse(document({{"name", "api"},
                                 {"createdAt", "2026-01-01T00:00:00Z"},
                                 {"updatedAt", "2026-02-01T00:00:00Z"}}));
  ASSERT_TRUE(p.object);
  EXPECT_EQ(p.object->metadata.createdAt, 0);
  EXPECT_EQ(p.object->metadata.updatedAt, 0);
  expectOnlyError(parse(document({{"name", "api"}, {"createdAt", 1700000000}})).errors,
                  "/metadata/createdAt", "must be an RFC 3339 time");
}

TEST(ModelConfigObject, UnknownMetadataFieldListsKnownOnes) {
  expectOnlyError(parse(document({{"name", "api"}, {"namespace", "x"}})).errors,
                  "/metadata/namespace",
                  "unknown field; known: name, labels, description, version");
}

TEST(ModelConfigObject, CollectsEveryErrorAtOnceUnderThePointer) {
  const json doc = {{"apiVersion", "v1"},
                    {"kind", "Nope"},
                    {"metadata", {{"name", "Bad"}, {"labels", {{"a", 1}}}, {"extra", 1}}},
                    {"spec", 3},
                    {"status", {}}};
  const auto p = parse(doc, std::nullopt, "/objects/4");
  EXPECT_FALSE(p.object);
  EXPECT_EQ(pointersOf(p.errors),
            (std::vector<std::string>{"/objects/4/kind", "/objects/4/apiVersion",
                                      "/objects/4/metadata/extra", "/objects/4/metadata/labels/a",
                                      "/objects/4/metadata/name", "/objects/4/spec",
                                      "/objects/4/status"}));
  EXPECT_EQ(reasonAt(p.errors, "/objects/4/metadata/name"),
            "must use only lower-case letters, digits, '-' and '.' (found 'B')");
}

TEST(ModelConfigObject, LabelHelpers) {
  EXPECT_EQ(labelKeyProblem("app.kubernetes.io/name"), std::nullopt);
  EXPECT_EQ(labelKeyProblem("team"), std::nullopt);
  EXPECT_TRUE(labelKeyProblem(std::string(254, 'a') + "/n").has_value());
  EXPECT_EQ(labelKeyProblem(std::string(253, 'a') + "/n"), std::nullopt);
  EXPECT_EQ(labelValueProblem(""), std::nullopt);
  EXPECT_EQ(labelValueProblem("A.b_c-9"), std::nullopt);
}

ConfigObject staticSecretObject() {
  ConfigObject o = testing::makeObject(Kind::kCredentialProvider, "db",
                                       {{"type", "static-secret"},
                                        {"secretType", "username-password"},
                                        {"username", "app"},
                                        {"password", "hunter2"}});
  o.metadata.labels = {{"team", "payments"}};
  o.metadata.description = "DB login";
  o.metadata.createdAt = 1767225600;  // 2026-01-01T00:00:00Z
  o.metadata.updatedAt = 1767225660;
  o.metadata.version = 3;
  return o;
}

TEST(ModelConfigObject, ToDocumentRemovesSecretsAndAddsServerFields) {
  const json doc =
      toDocument(staticSecretObject(), SpecRegistry::builtin(), SecretView::kRemove, true);
  EXPECT_EQ(doc, (json{{"apiVersion", "tessera.dev/v1"},
                       {"kind", "CredentialProvider"},
                       {"metadata",
                        {{"name", "db"},
                         {"labels", {{"team", "payments"}}},
                         {"description", "DB login"},
                         {"createdAt", "2026-01-01T00:00:00Z"},
                         {"updatedAt", "2026-01-01T00:01:00Z"},
                         {"version", 3}}},
                       {"spec",
                        {{"type", "static-secret"},
                         {"secretType", "username-password"},
                         {"username", "app"}}}}));
}

TEST(ModelConfigObject, ToDocumentMasksOrKeepsSecrets) {
  const json masked =
      toDocument(staticSecretObject(), SpecRegistry::builtin(), SecretView::kMask, false);
  EXPECT_EQ(masked["spec"]["password"], "(redacted)");
  EXPECT_EQ(masked["spec"]["username"], "app");
  EXPECT_EQ(
      masked["metadata"],
      (json{{"name", "db"}, {"labels", {{"team", "payments"}}}, {"description", "DB login"}}));
  const json kept =
      toDocument(staticSecretObject(), SpecRegistry::builtin(), SecretView::kKeep, false);
  EXPECT_EQ(kept["spec"]["password"], "hunter2");
}

TEST(ModelConfigObject, ToDocumentOmitsEmptyLabelsAndDescription) {
  const json doc =
      toDocument(testing::makeObject(Kind::kServerWorkload, "api", testing::serverSpec()),
                 SpecRegistry::builtin(), SecretView::kRemove, false);
  EXPECT_EQ(doc["metadata"], (json{{"name", "api"}}));
  EXPECT_EQ(doc["spec"], testing::serverSpec());
}

TEST(ModelConfigObject, ToDocumentOfAnUnknownTypeKeepsTheSpecAsIs) {
  const ConfigObject o =
      testing::makeObject(Kind::kCredentialProvider, "x", {{"type", "vault"}, {"password", "p"}});
  const json doc = toDocument(o, SpecRegistry::builtin(), SecretView::kRemove, false);
  EXPECT_EQ(doc["spec"]["password"], "p");
}

TEST(ModelConfigObject, DocumentParsesBackToTheSameContent) {
  const ConfigObject o = staticSecretObject();
  const auto p =
      parse(toDocument(o, SpecRegistry::builtin(), SecretView::kKeep, true), std::nullopt);
  ASSERT_TRUE(p.object);
  EXPECT_TRUE(sameContent(*p.object, o));
  EXPECT_EQ(p.object->metadata.version, 3);
}

TEST(ModelConfigObject, StoredDocumentRoundTrip) {
  const ConfigObject o = staticSecretObject();
  const std::string stored = toStoredDocument(o);
  EXPECT_EQ(
      json::parse(stored),
      (json{{"labels", {{"team", "payments"}}}, {"description", "DB login"}, {"spec", o.spec}}));
  auto back = fromStoredDocument(Kind::kCredentialProvider, "db", stored, 10, 20, 4);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_TRUE(sameContent(*back, o));
  EXPECT_EQ(back->spec["password"], "hunter2");
  EXPECT_EQ(back->metadata.createdAt, 10);
  EXPECT_EQ(back->metadata.updatedAt, 20);
  EXPECT_EQ(back->metadata.version, 4);
}

TEST(ModelConfigObject, CorruptStoredDocumentIsAStoreFailure) {
  for (const char* bad :
       {"", "not json", "[]", "{}", R"({"labels":{},"description":""})",
        R"({"labels":{},"description":"","spec":[]})",
        R"({"labels":[],"description":"","spec":{}})", R"({"labels":{},"description":3,"spec":{}})",
        R"({"labels":{},"spec":{}})"}) {
    auto r = fromStoredDocument(Kind::kServerWorkload, "api", bad, 0, 0, 1);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kStoreFailure) << bad;
    EXPECT_EQ(r.error().message, "stored ServerWorkload/api is not a valid document") << bad;
  }
  auto r = fromStoredDocument(Kind::kServerWorkload, "api",
                              R"({"labels":{"a":1},"description":"","spec":{}})", 0, 0, 1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kStoreFailure);
  EXPECT_EQ(r.error().message, "stored ServerWorkload/api has a label that is not a string");
}

TEST(ModelConfigObject, SameContentIgnoresServerFields) {
  ConfigObject a = staticSecretObject();
  ConfigObject b = a;
  b.metadata.version = 9;
  b.metadata.createdAt = 1;
  b.metadata.updatedAt = 2;
  EXPECT_TRUE(sameContent(a, b));
  b.metadata.labels["x"] = "y";
  EXPECT_FALSE(sameContent(a, b));
  b = a;
  b.metadata.description = "other";
  EXPECT_FALSE(sameContent(a, b));
  b = a;
  b.spec["username"] = "root";
  EXPECT_FALSE(sameContent(a, b));
  b = a;
  b.metadata.name = "db2";
  EXPECT_FALSE(sameContent(a, b));
  b = a;
  b.kind = Kind::kTrustProvider;
  EXPECT_FALSE(sameContent(a, b));
}

TEST(ModelConfigObject, ObjectId) {
  EXPECT_EQ(objectId(Kind::kServerWorkload, "s3"), "ServerWorkload/s3");
  EXPECT_EQ(objectId(Kind::kAccessPolicy, "p"), "AccessPolicy/p");
}

}  // namespace
}  // namespace tessera::model
