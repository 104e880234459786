#include "model/config_plan.hpp"

#include <gtest/gtest.h>

#include <string>

#include "model_test_support.hpp"

namespace tessera::model {
namespace {

using nlohmann::json;
using testing::makeObject;
using testing::pointersOf;
using testing::reasonAt;
using Action = PlannedChange::Action;

constexpr std::int64_t kNow = 1800000000;
constexpr std::int64_t kEarlier = 1700000000;

DesiredObject desired(ConfigObject object, std::string pointer = "") {
  DesiredObject d;
  d.object = std::move(object);
  d.pointer = std::move(pointer);
  return d;
}

ConfigObject stored(ConfigObject o, std::int64_t version = 2) {
  o.metadata.createdAt = kEarlier;
  o.metadata.updatedAt = kEarlier + 10;
  o.metadata.version = version;
  return o;
}

// Everything policy "p" needs, stored at version 2.
std::vector<ConfigObject> dependencies() {
  return {stored(makeObject(Kind::kClientWorkload, "payments", testing::clientSpec())),
          stored(makeObject(Kind::kServerWorkload, "api", testing::serverSpec())),
          stored(makeObject(Kind::kTrustProvider, "k8s", testing::oidcTrustSpec())),
          stored(makeObject(Kind::kCredentialProvider, "api-key", testing::apiKeySpec()))};
}

ConfigSnapshot withPolicy() {
  auto objects = dependencies();
  objects.push_back(stored(makeObject(Kind::kAccessPolicy, "p", testing::policySpec())));
  return ConfigSnapshot(5, std::move(objects));
}

Result<std::vector<PlannedChange>> plan(const ConfigSnapshot& current,
                                        std::vector<DesiredObject> objects,
                                        ApplyMode mode = ApplyMode::kUpsert) {
  return planApply(current, std::move(objects), mode, kNow, SpecRegistry::builtin());
}

std::vector<DesiredObject> one(ConfigObject o, std::string pointer = "") {
  std::vector<DesiredObject> v;
  v.push_back(desired(std::move(o), std::move(pointer)));
  return v;
}

TEST(ModelConfigPlan, ActionNames) {
  EXPECT_EQ(actionName(Action::kCreate), "created");
  EXPECT_EQ(actionName(Action::kUpdate), "updated");
  EXPECT_EQ(actionName(Action::kUnchanged), "unchanged");
  EXPECT_EQ(actionName(Action::kDelete), "deleted");
}

TEST(ModelConfigPlan, CreatesANewObjectAtVersionOne) {
  auto r = plan(*ConfigSnapshot::empty(),
                one(makeObject(Kind::kServerWorkload, "api", testing::serverSpec())));
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 1u);
  const auto& c = (*r)[0];
  EXPECT_EQ(c.action, Action::kCreate);
  EXPECT_EQ(c.kind, Kind::kServerWorkload);
  EXPECT_EQ(c.name, "api");
  EXPECT_FALSE(c.before);
  ASSERT_TRUE(c.after);
  EXPECT_EQ(c.after->metadata.version, 1);
  EXPECT_EQ(c.after->metadata.createdAt, kNow);
  EXPECT_EQ(c.after->metadata.updatedAt, kNow);
  EXPECT_EQ(c.after->spec, testing::serverSpec());
}

TEST(ModelConfigPlan, UpdateKeepsCreatedAtAndBumpsTheVersion) {
  const ConfigSnapshot current(5, dependencies());
  auto r =
      plan(current,
           one(makeObject(Kind::kServerWorkload, "api", testing::serverSpec("api2.example.com"))));
  ASSERT_TRUE(r.ok()) << r.error().message;
  const auto& c = (*r)[0];
  EXPECT_EQ(c.action, Action::kUpdate);
  ASSERT_TRUE(c.before);
  EXPECT_EQ(c.before->spec["host"], "api.example.com");
  ASSERT_TRUE(c.after);
  EXPECT_EQ(c.after->spec["host"], "api2.example.com");
  EXPECT_EQ(c.after->metadata.createdAt, kEarlier);
  EXPECT_EQ(c.after->metadata.updatedAt, kNow);
  EXPECT_EQ(c.after->metadata.version, 3);
}

TEST(ModelConfigPlan, LabelOrDescriptionChangeIsAnUpdate) {
  const ConfigSnapshot current(5, dependencies());
  auto o = makeObject(Kind::kServerWorkload, "api", testing::serverSpec());
  o.metadata.description = "new";
  auto r = plan(current, one(o));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].action, Action::kUpdate);
  o.metadata.description = "";
  o.metadata.labels["team"] = "x";
  r = plan(current, one(o));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].action, Action::kUpdate);
}

TEST(ModelConfigPlan, SameContentIsUnchangedAndKeepsTheStoredObject) {
  const ConfigSnapshot current(5, dependencies());
  auto o = makeObject(Kind::kServerWorkload, "api", testing::serverSpec());
  o.metadata.version = 2;  // the expected version, which matches
  auto r = plan(current, one(o));
  ASSERT_TRUE(r.ok()) << r.error().message;
  const auto& c = (*r)[0];
  EXPECT_EQ(c.action, Action::kUnchanged);
  ASSERT_TRUE(c.after);
  EXPECT_EQ(c.after->metadata.version, 2);
  EXPECT_EQ(c.after->metadata.createdAt, kEarlier);
  EXPECT_EQ(c.after->metadata.updatedAt, kEarlier + 10);
  ASSERT_TRUE(c.before);
  EXPECT_EQ(c.before->metadata.version, 2);
}

TEST(ModelConfigPlan, DuplicateInOneBatchPointsAtTheSecond) {
  std::vector<DesiredObject> batch;
  batch.push_back(
      desired(makeObject(Kind::kServerWorkload, "api", testing::serverSpec()), "/objects/0"));
  batch.push_back(
      desired(makeObject(Kind::kClientWorkload, "api", testing::clientSpec()), "/objects/1"));
  batch.push_back(
      desired(makeObject(Kind::kServerWorkload, "api", testing::serverSpec()), "/objects/2"));
  auto r = plan(*ConfigSnapshot::empty(), std::move(batch));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  ASSERT_EQ(r.error().fields.size(), 1u);
  EXPECT_EQ(r.error().fields[0].pointer, "/objects/2/metadata/name");
  EXPECT_EQ(r.error().fields[0].reason, "ServerWorkload/api is already given at /objects/0");
  EXPECT_EQ(r.error().message,
            "duplicate objects: /objects/2/metadata/name: ServerWorkload/api is already given at "
            "/objects/0");
}

TEST(ModelConfigPlan, CreateModeRefusesAnExistingName) {
  const ConfigSnapshot current(5, dependencies());
  auto r = plan(current, one(makeObject(Kind::kServerWorkload, "api", testing::serverSpec())),
                ApplyMode::kCreate);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(r.error().message, "ServerWorkload/api already exists");
  r = plan(current,
           one(makeObject(Kind::kServerWorkload, "api", testing::serverSpec()), "/objects/3"),
           ApplyMode::kCreate);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "ServerWorkload/api already exists (at /objects/3)");
  r = plan(current, one(makeObject(Kind::kServerWorkload, "web", testing::serverSpec())),
           ApplyMode::kCreate);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].action, Action::kCreate);
}

TEST(ModelConfigPlan, UpdateModeRefusesAMissingName) {
  const ConfigSnapshot current(5, dependencies());
  auto r = plan(current, one(makeObject(Kind::kServerWorkload, "web", testing::serverSpec())),
                ApplyMode::kUpdate);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(r.error().message, "ServerWorkload/web does not exist");
  r = plan(current,
           one(makeObject(Kind::kServerWorkload, "api", testing::serverSpec("x.example.com"))),
           ApplyMode::kUpdate);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].action, Action::kUpdate);
}

TEST(ModelConfigPlan, ExpectedVersionMustMatch) {
  const ConfigSnapshot current(5, dependencies());
  auto o = makeObject(Kind::kServerWorkload, "api", testing::serverSpec("x.example.com"));
  o.metadata.version = 1;
  auto r = plan(current, one(o));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kPreconditionFailed);
  EXPECT_NE(r.error().message.find("ServerWorkload/api is at version 2, not 1"), std::string::npos)
      << r.error().message;
  EXPECT_NE(r.error().message.find("read it again"), std::string::npos);
  o.metadata.version = 2;
  r = plan(current, one(o));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].after->metadata.version, 3);
}

TEST(ModelConfigPlan, ANewObjectCannotExpectAVersion) {
  auto o = makeObject(Kind::kServerWorkload, "web", testing::serverSpec());
  o.metadata.version = 1;
  auto r = plan(*ConfigSnapshot::empty(), one(o, "/objects/0"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kPreconditionFailed);
  EXPECT_NE(r.error().message.find("ServerWorkload/web is at version 0, not 1 (at /objects/0)"),
            std::string::npos)
      << r.error().message;
}

TEST(ModelConfigPlan, DanglingReferencesAreFieldErrors) {
  std::vector<DesiredObject> batch;
  json spec = testing::policySpec();
  spec["accessConditions"] = json::array({"office"});
  batch.push_back(desired(makeObject(Kind::kAccessPolicy, "p", spec), "/objects/0"));
  auto r = plan(*ConfigSnapshot::empty(), std::move(batch));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(pointersOf(r.error().fields),
            (std::vector<std::string>{
                "/objects/0/spec/clientWorkloads/0", "/objects/0/spec/trustProviders/names/0",
                "/objects/0/spec/accessConditions/0", "/objects/0/spec/credentialProvider",
                "/objects/0/spec/serverWorkload"}));
  EXPECT_EQ(reasonAt(r.error().fields, "/objects/0/spec/serverWorkload"),
            "names ServerWorkload 'api', which does not exist");
  EXPECT_EQ(reasonAt(r.error().fields, "/objects/0/spec/accessConditions/0"),
            "names AccessCondition 'office', which does not exist");
  EXPECT_EQ(r.error().message.rfind("invalid AccessPolicy/p: ", 0), 0u) << r.error().message;
  EXPECT_NE(r.error().message.find("(and 2 more)"), std::string::npos);
}

TEST(ModelConfigPlan, ReferencesOfTheWrongKindDoNotCount) {
  // A ClientWorkload named "api" does not satisfy serverWorkload: api.
  auto objects = dependencies();
  objects.erase(objects.begin() + 1);  // the ServerWorkload
  objects.push_back(stored(makeObject(Kind::kClientWorkload, "api", testing::clientSpec())));
  const ConfigSnapshot current(5, std::move(objects));
  auto r = plan(current, one(makeObject(Kind::kAccessPolicy, "p", testing::policySpec())));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(pointersOf(r.error().fields), (std::vector<std::string>{"/spec/serverWorkload"}));
}

TEST(ModelConfigPlan, ReferencesMaySitInTheSameBatch) {
  std::vector<DesiredObject> batch;
  // The policy comes first; its references are created by the same apply.
  batch.push_back(
      desired(makeObject(Kind::kAccessPolicy, "p", testing::policySpec()), "/objects/0"));
  batch.push_back(
      desired(makeObject(Kind::kClientWorkload, "payments", testing::clientSpec()), "/objects/1"));
  batch.push_back(
      desired(makeObject(Kind::kServerWorkload, "api", testing::serverSpec()), "/objects/2"));
  batch.push_back(
      desired(makeObject(Kind::kTrustProvider, "k8s", testing::oidcTrustSpec()), "/objects/3"));
  batch.push_back(desired(makeObject(Kind::kCredentialProvider, "api-key", testing::apiKeySpec()),
                          "/objects/4"));
  auto r = plan(*ConfigSnapshot::empty(), std::move(batch));
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 5u);
  for (const auto& c : *r) {
    EXPECT_EQ(c.action, Action::kCreate) << c.name;
  }
  EXPECT_EQ((*r)[0].name, "p");
}

TEST(ModelConfigPlan, OmittedSecretsAreKeptFromTheStoredObject) {
  const ConfigSnapshot current(5, dependencies());
  json spec = testing::apiKeySpec();
  spec.erase("value");
  auto r = plan(current, one(makeObject(Kind::kCredentialProvider, "api-key", spec)));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)[0].action, Action::kUnchanged);
  EXPECT_EQ((*r)[0].after->spec["value"], "s3cr3t");
  EXPECT_EQ((*r)[0].after->metadata.version, 2);

  auto o = makeObject(Kind::kCredentialProvider, "api-key", spec);
  o.metadata.description = "rotated never";
  r = plan(current, one(o));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)[0].action, Action::kUpdate);
  EXPECT_EQ((*r)[0].after->spec["value"], "s3cr3t");
}

TEST(ModelConfigPlan, GivenSecretsReplaceStoredOnes) {
  const ConfigSnapshot current(5, dependencies());
  auto r =
      plan(current,
           one(makeObject(Kind::kCredentialProvider, "api-key", testing::apiKeySpec("rotated"))));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].action, Action::kUpdate);
  EXPECT_EQ((*r)[0].after->spec["value"], "rotated");
}

TEST(ModelConfigPlan, SecretsAreNotCarriedAcrossTypes) {
  const ConfigSnapshot current(5, dependencies());
  auto r = plan(current, one(makeObject(Kind::kCredentialProvider, "api-key",
                                        {{"type", "oidc-id-token"}, {"audience", "a"}})));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE((*r)[0].after->spec.contains("value"));
}

TEST(ModelConfigPlan, SecretsAreNotKeptForANewObject) {
  json spec = testing::apiKeySpec();
  spec.erase("value");
  auto r =
      plan(*ConfigSnapshot::empty(), one(makeObject(Kind::kCredentialProvider, "other", spec)));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(pointersOf(r.error().fields), (std::vector<std::string>{"/spec/value"}));
}

TEST(ModelConfigPlan, SecretTypeCanChangeInAnUpdate) {
  // Stored as api-key with a value; the writer switches to username-password and cannot know
  // (or send back) the old write-only value.
  const ConfigSnapshot current(5, dependencies());
  auto r = plan(current, one(makeObject(Kind::kCredentialProvider, "api-key",
                                        {{"type", "static-secret"},
                                         {"secretType", "username-password"},
                                         {"username", "u"},
                                         {"password", "p"}})));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)[0].action, Action::kUpdate);
  EXPECT_FALSE((*r)[0].after->spec.contains("value"));
  // And back: the stored password must not be carried into an api-key.
  auto next = applyPlan(current, *r, 6);
  r = plan(*next, one(makeObject(Kind::kCredentialProvider, "api-key", testing::apiKeySpec("k"))));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE((*r)[0].after->spec.contains("password"));
  EXPECT_EQ((*r)[0].after->spec["value"], "k");
}

TEST(ModelConfigPlan, EverySpecErrorOfEveryObjectAtOnce) {
  std::vector<DesiredObject> batch;
  json badServer = testing::serverSpec();
  badServer["port"] = 0;
  badServer["protocol"] = "ftp";
  batch.push_back(desired(makeObject(Kind::kServerWorkload, "api", badServer), "/objects/0"));
  batch.push_back(
      desired(makeObject(Kind::kTrustProvider, "k8s", {{"type", "saml"}}), "/objects/1"));
  batch.push_back(
      desired(makeObject(Kind::kClientWorkload, "ok", testing::clientSpec()), "/objects/2"));
  auto r = plan(*ConfigSnapshot::empty(), std::move(batch));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(pointersOf(r.error().fields),
            (std::vector<std::string>{"/objects/0/spec/port", "/objects/0/spec/protocol",
                                      "/objects/1/spec/type"}));
  EXPECT_EQ(r.error().message.rfind("invalid configuration: /objects/0/spec/port: ", 0), 0u)
      << r.error().message;
}

TEST(ModelConfigPlan, SingleBodyErrorsHaveSpecPointers) {
  json bad = testing::serverSpec();
  bad["port"] = 70000;
  auto r = plan(*ConfigSnapshot::empty(), one(makeObject(Kind::kServerWorkload, "api", bad)));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "invalid ServerWorkload/api: /spec/port: must be at most 65535");
}

TEST(ModelConfigPlan, EmptyBatchIsAnEmptyPlan) {
  auto r = plan(*ConfigSnapshot::empty(), {});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
}

TEST(ModelConfigPlan, DeleteOfAMissingObjectIsNotFound) {
  auto r = planDelete(*ConfigSnapshot::empty(), Kind::kServerWorkload, "api", 0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(r.error().message, "ServerWorkload/api does not exist");
}

TEST(ModelConfigPlan, DeleteChecksTheExpectedVersion) {
  const auto current = withPolicy();
  auto r = planDelete(current, Kind::kAccessPolicy, "p", 1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kPreconditionFailed);
  EXPECT_EQ(r.error().message, "AccessPolicy/p is at version 2, not 1; read it again");
  r = planDelete(current, Kind::kAccessPolicy, "p", 2);
  ASSERT_TRUE(r.ok());
  r = planDelete(current, Kind::kAccessPolicy, "p", 0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->action, Action::kDelete);
  EXPECT_EQ(r->kind, Kind::kAccessPolicy);
  EXPECT_EQ(r->name, "p");
  ASSERT_TRUE(r->before);
  EXPECT_EQ(r->before->metadata.version, 2);
  EXPECT_FALSE(r->after);
}

TEST(ModelConfigPlan, DeleteOfAReferencedObjectNamesEveryReferrer) {
  auto objects = dependencies();
  objects.push_back(stored(makeObject(Kind::kAccessPolicy, "p", testing::policySpec())));
  objects.push_back(stored(makeObject(Kind::kAccessPolicy, "b", testing::policySpec())));
  const ConfigSnapshot current(5, std::move(objects));
  auto r = planDelete(current, Kind::kServerWorkload, "api", 0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kConflict);
  EXPECT_EQ(r.error().message,
            "ServerWorkload/api is still referenced by AccessPolicy/b, AccessPolicy/p; change or "
            "delete those first");
  ASSERT_EQ(r.error().fields.size(), 2u);
  EXPECT_EQ(r.error().fields[0].reason, "referenced by AccessPolicy/b");
  EXPECT_EQ(r.error().fields[1].reason, "referenced by AccessPolicy/p");
}

std::vector<std::string> ids(const ConfigSnapshot& s) {
  std::vector<std::string> out;
  for (const auto* o : s.all()) {
    out.push_back(objectId(o->kind, o->metadata.name) + "@" + std::to_string(o->metadata.version));
  }
  return out;
}

TEST(ModelConfigPlan, ApplyPlanProducesTheNextSnapshot) {
  const auto current = withPolicy();
  std::vector<DesiredObject> batch;
  batch.push_back(
      desired(makeObject(Kind::kServerWorkload, "api", testing::serverSpec("new.example.com"))));
  batch.push_back(desired(makeObject(Kind::kServerWorkload, "web", testing::serverSpec())));
  batch.push_back(desired(makeObject(Kind::kClientWorkload, "payments", testing::clientSpec())));
  auto r = plan(current, std::move(batch));
  ASSERT_TRUE(r.ok()) << r.error().message;
  auto next = applyPlan(current, *r, 6);
  EXPECT_EQ(next->revision(), 6);
  EXPECT_EQ(ids(*next),
            (std::vector<std::string>{"ClientWorkload/payments@2", "ServerWorkload/api@3",
                                      "ServerWorkload/web@1", "TrustProvider/k8s@2",
                                      "CredentialProvider/api-key@2", "AccessPolicy/p@2"}));
  EXPECT_EQ(next->find(Kind::kServerWorkload, "api")->spec["host"], "new.example.com");
  EXPECT_EQ(next->referrers(Kind::kServerWorkload, "api"),
            (std::vector<std::string>{"AccessPolicy/p"}));
  // The current snapshot is untouched.
  EXPECT_EQ(current.find(Kind::kServerWorkload, "api")->spec["host"], "api.example.com");
  EXPECT_EQ(current.find(Kind::kServerWorkload, "web"), nullptr);
}

TEST(ModelConfigPlan, ApplyPlanOfADeleteRemovesTheObjectAndItsReferences) {
  const auto current = withPolicy();
  auto r = planDelete(current, Kind::kAccessPolicy, "p", 2);
  ASSERT_TRUE(r.ok());
  auto next = applyPlan(current, {*r}, 6);
  EXPECT_EQ(next->size(), 4u);
  EXPECT_EQ(next->find(Kind::kAccessPolicy, "p"), nullptr);
  EXPECT_TRUE(next->referrers(Kind::kServerWorkload, "api").empty());
  auto again = planDelete(*next, Kind::kServerWorkload, "api", 0);
  EXPECT_TRUE(again.ok());
}

}  // namespace
}  // namespace tessera::model
