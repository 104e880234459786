#include "model/config_snapshot.hpp"

#include <gtest/gtest.h>

#include <string>

#include "model_test_support.hpp"

namespace tessera::model {
namespace {

using nlohmann::json;
using testing::makeObject;

std::vector<std::string> names(const std::vector<const ConfigObject*>& objects) {
  std::vector<std::string> out;
  for (const auto* o : objects) {
    out.push_back(objectId(o->kind, o->metadata.name));
  }
  return out;
}

ConfigSnapshot sample() {
  std::vector<ConfigObject> objects;
  objects.push_back(makeObject(Kind::kAccessPolicy, "p2", testing::policySpec()));
  objects.push_back(makeObject(Kind::kServerWorkload, "web", testing::serverSpec()));
  objects.push_back(makeObject(Kind::kServerWorkload, "api", testing::serverSpec()));
  objects.push_back(makeObject(Kind::kClientWorkload, "payments", testing::clientSpec()));
  objects.push_back(makeObject(Kind::kTrustProvider, "k8s", testing::oidcTrustSpec()));
  objects.push_back(makeObject(Kind::kCredentialProvider, "api-key", testing::apiKeySpec()));
  objects.push_back(makeObject(Kind::kAccessPolicy, "p1", testing::policySpec()));
  return ConfigSnapshot(7, std::move(objects));
}

TEST(ModelConfigSnapshot, EmptySnapshot) {
  const auto empty = ConfigSnapshot::empty();
  ASSERT_NE(empty, nullptr);
  EXPECT_EQ(empty, ConfigSnapshot::empty());
  EXPECT_EQ(empty->revision(), 0);
  EXPECT_EQ(empty->size(), 0u);
  EXPECT_TRUE(empty->all().empty());
  for (Kind k : kAllKinds) {
    EXPECT_TRUE(empty->list(k).empty());
  }
  EXPECT_EQ(empty->find(Kind::kServerWorkload, "api"), nullptr);
  EXPECT_TRUE(empty->referrers(Kind::kServerWorkload, "api").empty());
}

TEST(ModelConfigSnapshot, FindsByKindAndName) {
  const auto s = sample();
  EXPECT_EQ(s.revision(), 7);
  EXPECT_EQ(s.size(), 7u);
  const ConfigObject* api = s.find(Kind::kServerWorkload, "api");
  ASSERT_NE(api, nullptr);
  EXPECT_EQ(api->metadata.name, "api");
  EXPECT_EQ(api->kind, Kind::kServerWorkload);
  EXPECT_EQ(s.find(Kind::kClientWorkload, "api"), nullptr);
  EXPECT_EQ(s.find(Kind::kServerWorkload, "API"), nullptr);
  EXPECT_EQ(s.find(Kind::kServerWorkload, "ap"), nullptr);
}

TEST(ModelConfigSnapshot, ListsEachKindByName) {
  const auto s = sample();
  EXPECT_EQ(names(s.list(Kind::kServerWorkload)),
            (std::vector<std::string>{"ServerWorkload/api", "ServerWorkload/web"}));
  EXPECT_EQ(names(s.list(Kind::kAccessPolicy)),
            (std::vector<std::string>{"AccessPolicy/p1", "AccessPolicy/p2"}));
  EXPECT_TRUE(s.list(Kind::kAccessCondition).empty());
}

TEST(ModelConfigSnapshot, AllIsInKindOrderThenByName) {
  EXPECT_EQ(names(sample().all()),
            (std::vector<std::string>{"ClientWorkload/payments", "ServerWorkload/api",
                                      "ServerWorkload/web", "TrustProvider/k8s",
                                      "CredentialProvider/api-key", "AccessPolicy/p1",
                                      "AccessPolicy/p2"}));
}

TEST(ModelConfigSnapshot, ReferrersAreSortedAndDeduplicated) {
  std::vector<ConfigObject> objects;
  json twice = testing::policySpec();
  twice["clientWorkloads"] = json::array({"payments", "payments"});  // invalid, still indexed
  objects.push_back(makeObject(Kind::kAccessPolicy, "zeta", testing::policySpec()));
  objects.push_back(makeObject(Kind::kAccessPolicy, "alpha", twice));
  objects.push_back(makeObject(Kind::kAccessPolicy, "mid", testing::policySpec("other")));
  const ConfigSnapshot s(1, std::move(objects));
  EXPECT_EQ(s.referrers(Kind::kClientWorkload, "payments"),
            (std::vector<std::string>{"AccessPolicy/alpha", "AccessPolicy/zeta"}));
  EXPECT_EQ(s.referrers(Kind::kClientWorkload, "other"),
            (std::vector<std::string>{"AccessPolicy/mid"}));
  EXPECT_EQ(
      s.referrers(Kind::kServerWorkload, "api"),
      (std::vector<std::string>{"AccessPolicy/alpha", "AccessPolicy/mid", "AccessPolicy/zeta"}));
  EXPECT_EQ(s.referrers(Kind::kTrustProvider, "k8s").size(), 3u);
  EXPECT_EQ(s.referrers(Kind::kCredentialProvider, "api-key").size(), 3u);
  // The kind matters: a ServerWorkload named "payments" has no referrers.
  EXPECT_TRUE(s.referrers(Kind::kServerWorkload, "payments").empty());
  EXPECT_TRUE(s.referrers(Kind::kAccessCondition, "payments").empty());
}

TEST(ModelConfigSnapshot, ReferencesOfAPolicyWithPointers) {
  json spec = testing::policySpec("web");
  spec["clientWorkloads"].push_back("batch");
  spec["trustProviders"]["names"].push_back("github");
  spec["accessConditions"] = json::array({"office-hours"});
  const auto refs = referencesOf(makeObject(Kind::kAccessPolicy, "p", spec));
  ASSERT_EQ(refs.size(), 7u);
  const auto expect = [&](std::size_t i, Kind kind, const std::string& name,
                          const std::string& pointer) {
    EXPECT_EQ(refs[i].kind, kind) << i;
    EXPECT_EQ(refs[i].name, name) << i;
    EXPECT_EQ(refs[i].pointer, pointer) << i;
  };
  expect(0, Kind::kClientWorkload, "web", "/spec/clientWorkloads/0");
  expect(1, Kind::kClientWorkload, "batch", "/spec/clientWorkloads/1");
  expect(2, Kind::kTrustProvider, "k8s", "/spec/trustProviders/names/0");
  expect(3, Kind::kTrustProvider, "github", "/spec/trustProviders/names/1");
  expect(4, Kind::kAccessCondition, "office-hours", "/spec/accessConditions/0");
  expect(5, Kind::kCredentialProvider, "api-key", "/spec/credentialProvider");
  expect(6, Kind::kServerWorkload, "api", "/spec/serverWorkload");
}

TEST(ModelConfigSnapshot, ReferencesOfOtherKindsAndMalformedPolicies) {
  EXPECT_TRUE(
      referencesOf(makeObject(Kind::kServerWorkload, "api", testing::serverSpec())).empty());
  EXPECT_TRUE(referencesOf(makeObject(Kind::kClientWorkload, "c", testing::clientSpec())).empty());
  const json malformed = {{"clientWorkloads", "payments"},
                          {"trustProviders", json::array({"k8s"})},
                          {"accessConditions", json::array({1, "ok"})},
                          {"credentialProvider", 3},
                          {"serverWorkload", json::array()}};
  const auto refs = referencesOf(makeObject(Kind::kAccessPolicy, "p", malformed));
  ASSERT_EQ(refs.size(), 1u);
  EXPECT_EQ(refs[0].kind, Kind::kAccessCondition);
  EXPECT_EQ(refs[0].name, "ok");
  EXPECT_EQ(refs[0].pointer, "/spec/accessConditions/1");
  EXPECT_TRUE(referencesOf(makeObject(Kind::kAccessPolicy, "p", json::object())).empty());
}

TEST(ModelConfigSnapshot, MovedSnapshotStillFindsItsObjects) {
  auto s = sample();
  const ConfigSnapshot moved = std::move(s);
  ASSERT_NE(moved.find(Kind::kServerWorkload, "api"), nullptr);
  EXPECT_EQ(moved.find(Kind::kServerWorkload, "api")->metadata.name, "api");
  EXPECT_EQ(moved.all().size(), 7u);
}

}  // namespace
}  // namespace tessera::model
