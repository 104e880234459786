// Helpers shared by the access condition tests: instants in UTC, compiling a spec, evaluating.
#pragma once

#include <gtest/gtest.h>

#include <date/date.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <string>

#include "conditions/condition.hpp"

namespace tessera::conditions::testing {

using nlohmann::json;

// The instant y-m-d h:min:s UTC.
inline std::chrono::system_clock::time_point utc(int y, unsigned m, unsigned d, int h, int min,
                                                 int s = 0) {
  return date::sys_days{date::year{y} / date::month{m} / date::day{d}} + std::chrono::hours{h} +
         std::chrono::minutes{min} + std::chrono::seconds{s};
}

inline model::ConfigObject accessCondition(const json& spec) {
  model::ConfigObject object;
  object.kind = model::Kind::kAccessCondition;
  object.metadata.name = "under-test";
  object.spec = spec;
  return object;
}

// Compiles `spec` or fails the test.
inline std::unique_ptr<const Condition> compiled(const json& spec,
                                                 const ConditionResources& resources = {}) {
  auto condition = compileCondition(accessCondition(spec), resources);
  EXPECT_TRUE(condition.ok()) << (condition.ok() ? "" : condition.error().describe());
  return condition.ok() ? std::move(*condition) : nullptr;
}

inline ConditionOutcome at(const Condition& condition, std::chrono::system_clock::time_point now,
                           std::optional<std::string> sourceIp = std::nullopt) {
  ConditionContext context;
  context.now = now;
  context.sourceIp = std::move(sourceIp);
  return condition.evaluate(context);
}

inline ConditionOutcome from(const Condition& condition, std::optional<std::string> sourceIp) {
  return at(condition, utc(2024, 6, 1, 12, 0), std::move(sourceIp));
}

}  // namespace tessera::conditions::testing
