#include <gtest/gtest.h>

#include <string>

#include "condition_test_support.hpp"
#include "conditions/condition.hpp"

namespace tessera::conditions {
namespace {

using namespace testing;

TEST(ConditionRegistry, CompilesEveryBuiltinType) {
  EXPECT_TRUE(compiled(json::parse(R"({"type": "time", "timeZone": "Europe/Paris",
      "schedule": [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "08:00", "end": "19:00"}]})")));
  EXPECT_TRUE(compiled(json::parse(
      R"({"type": "network", "allow": ["10.0.0.0/8", "2001:db8::/32"], "deny": ["10.66.0.0/16"]})")));
  EXPECT_TRUE(compiled(
      json::parse(R"({"type": "geoip", "countries": ["FR", "DE"], "subdivisions": ["ES-CT"]})")));
}

TEST(ConditionRegistry, UnknownTypeNamesSpecType) {
  auto c = compileCondition(accessCondition(json{{"type", "posture"}}), {});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(c.error().fields.at(0).pointer, "/spec/type");
  EXPECT_NE(c.error().message.find("'posture'"), std::string::npos);
  c = compileCondition(accessCondition(json{{"allow", json::array({"10.0.0.0/8"})}}), {});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().fields.at(0).pointer, "/spec/type");
  c = compileCondition(accessCondition(json::array()), {});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().fields.at(0).pointer, "/spec");
}

TEST(ConditionRegistry, RefusesOtherKinds) {
  auto object = accessCondition(json{{"type", "network"}, {"allow", json::array({"10.0.0.0/8"})}});
  object.kind = model::Kind::kTrustProvider;
  auto c = compileCondition(object, {});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(c.error().message.find("TrustProvider/under-test"), std::string::npos)
      << c.error().message;
}

}  // namespace
}  // namespace tessera::conditions
