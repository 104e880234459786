#include "hub/key_schedule.hpp"

#include <gtest/gtest.h>

namespace tessera::hub {
namespace {

using store::SigningKeyRecord;

KeyPolicy policy() {
  KeyPolicy p;
  p.algorithms = {"RS256"};
  p.rotationPeriod = std::chrono::hours(10);
  p.prepublish = std::chrono::hours(1);
  p.maxTokenLifetime = std::chrono::hours(2);
  return p;
}

SigningKeyRecord record(std::string kid, std::int64_t created, std::int64_t activates) {
  SigningKeyRecord r;
  r.kid = std::move(kid);
  r.algorithm = "RS256";
  r.createdAt = created;
  r.activatesAt = activates;
  return r;
}

// Applies a plan the way the store's rotate() does.
void apply(std::vector<SigningKeyRecord>& keys, const std::vector<PlannedKey>& plan,
           std::int64_t now, const std::string& kid) {
  for (const auto& p : plan) {
    if (p.retiresKid) {
      for (auto& k : keys) {
        if (k.kid == *p.retiresKid) {
          k.retiresAt = p.activatesAt;
          k.removeAt = p.retiringRemoveAt;
        }
      }
    }
    auto r = record(kid, now, p.activatesAt);
    r.algorithm = p.algorithm;
    keys.push_back(r);
  }
}

TEST(KeySchedule, States) {
  auto k = record("k", 0, 100);
  k.retiresAt = 200;
  k.removeAt = 300;
  EXPECT_EQ(keyStateAt(k, 50), KeyState::kNext);
  EXPECT_EQ(keyStateAt(k, 100), KeyState::kCurrent);
  EXPECT_EQ(keyStateAt(k, 199), KeyState::kCurrent);
  EXPECT_EQ(keyStateAt(k, 200), KeyState::kRetiring);
  EXPECT_EQ(keyStateAt(k, 299), KeyState::kRetiring);
  EXPECT_EQ(keyStateAt(k, 300), KeyState::kRemoved);
  EXPECT_EQ(keyStateName(KeyState::kRetiring), "retiring");
}

TEST(KeySchedule, FirstKeyIsActiveAtOnceForEachAlgorithm) {
  auto p = policy();
  p.algorithms = {"RS256", "ES256"};
  auto plan = planRotation({}, p, 1000, RotationTrigger::kSchedule);
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_EQ(plan[0].algorithm, "RS256");
  EXPECT_EQ(plan[0].activatesAt, 1000);
  EXPECT_FALSE(plan[0].retiresKid);
  EXPECT_EQ(plan[1].algorithm, "ES256");
}

TEST(KeySchedule, ScheduledRotationPrepublishesTheSuccessor) {
  const auto p = policy();  // period 10h, prepublish 1h, max lifetime 2h
  std::vector<SigningKeyRecord> keys{record("k1", 0, 0)};
  // Before the prepublish window: nothing to do.
  EXPECT_TRUE(planRotation(keys, p, 9 * 3600 - 1, RotationTrigger::kSchedule).empty());
  // Entering the window: the successor activates exactly at the end of the period.
  auto plan = planRotation(keys, p, 9 * 3600, RotationTrigger::kSchedule);
  ASSERT_EQ(plan.size(), 1u);
  EXPECT_EQ(plan[0].activatesAt, 10 * 3600);
  EXPECT_EQ(plan[0].retiresKid, "k1");
  EXPECT_EQ(plan[0].retiringRemoveAt, 12 * 3600);
  apply(keys, plan, 9 * 3600, "k2");

  // While k2 waits, k1 signs and both are published; no further plan.
  EXPECT_TRUE(planRotation(keys, p, 9 * 3600 + 5, RotationTrigger::kSchedule).empty());
  EXPECT_EQ(currentKey(keys, "RS256", 10 * 3600 - 1)->kid, "k1");
  EXPECT_EQ(currentKey(keys, "RS256", 10 * 3600)->kid, "k2");
  EXPECT_EQ(keyStateAt(keys[0], 10 * 3600), KeyState::kRetiring);
  EXPECT_EQ(keyStateAt(keys[0], 12 * 3600), KeyState::kRemoved);
}

TEST(KeySchedule, LateHubStillPrepublishes) {
  // The hub was down past the end of the period: the successor still waits the full window.
  std::vector<SigningKeyRecord> keys{record("k1", 0, 0)};
  auto plan = planRotation(keys, policy(), 20 * 3600, RotationTrigger::kSchedule);
  ASSERT_EQ(plan.size(), 1u);
  EXPECT_EQ(plan[0].activatesAt, 21 * 3600);
}

TEST(KeySchedule, CommandRotationWaitsForPrepublish) {
  std::vector<SigningKeyRecord> keys{record("k1", 0, 0)};
  auto plan = planRotation(keys, policy(), 500, RotationTrigger::kCommand);
  ASSERT_EQ(plan.size(), 1u);
  EXPECT_EQ(plan[0].activatesAt, 500 + 3600);
  EXPECT_EQ(plan[0].retiringRemoveAt, 500 + 3600 + 7200);
  apply(keys, plan, 500, "k2");
  // A second command while k2 is pending changes nothing.
  EXPECT_TRUE(planRotation(keys, policy(), 600, RotationTrigger::kCommand).empty());
}

TEST(KeySchedule, NextTransition) {
  auto k = record("k", 0, 100);
  k.retiresAt = 200;
  k.removeAt = 300;
  const std::vector<SigningKeyRecord> keys{k};
  EXPECT_EQ(nextTransition(keys, 0), 100);
  EXPECT_EQ(nextTransition(keys, 100), 200);
  EXPECT_EQ(nextTransition(keys, 250), 300);
  EXPECT_FALSE(nextTransition(keys, 300));
}

}  // namespace
}  // namespace tessera::hub
