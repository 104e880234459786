#include "hub/key_schedule.hpp"

#include <algorithm>
#include <chrono>

namespace tessera::hub {

namespace {
std::int64_t seconds(std::chrono::milliseconds d) {
  return std::chrono::duration_cast<std::chrono::seconds>(d).count();
}
}  // namespace

std::string_view keyStateName(KeyState state) noexcept {
  switch (state) {
    case KeyState::kNext:
      return "next";
    case KeyState::kCurrent:
      return "current";
    case KeyState::kRetiring:
      return "retiring";
    case KeyState::kRemoved:
      return "removed";
  }
  return "unknown";
}

KeyState keyStateAt(const store::SigningKeyRecord& key, std::int64_t now) noexcept {
  if (key.removeAt && now >= *key.removeAt) {
    return KeyState::kRemoved;
  }
  if (now < key.activatesAt) {
    return KeyState::kNext;
  }
  if (key.retiresAt && now >= *key.retiresAt) {
    return KeyState::kRetiring;
  }
  return KeyState::kCurrent;
}

const store::SigningKeyRecord* currentKey(const std::vector<store::SigningKeyRecord>& keys,
                                          std::string_view algorithm, std::int64_t now) noexcept {
  const store::SigningKeyRecord* best = nullptr;
  for (const auto& k : keys) {
    if (k.algorithm == algorithm && keyStateAt(k, now) == KeyState::kCurrent &&
        (best == nullptr || k.activatesAt > best->activatesAt)) {
      best = &k;
    }
  }
  return best;
}

const store::SigningKeyRecord* newestKey(const std::vector<store::SigningKeyRecord>& keys,
                                         std::string_view algorithm) noexcept {
  const store::SigningKeyRecord* best = nullptr;
  for (const auto& k : keys) {
    if (k.algorithm == algorithm &&
        (best == nullptr || k.activatesAt > best->activatesAt ||
         (k.activatesAt == best->activatesAt && k.createdAt > best->createdAt))) {
      best = &k;
    }
  }
  return best;
}

std::vector<PlannedKey> planRotation(const std::vector<store::SigningKeyRecord>& keys,
                                     const KeyPolicy& policy, std::int64_t now,
                                     RotationTrigger trigger) {
  const std::int64_t prepublish = seconds(policy.prepublish);
  const std::int64_t period = seconds(policy.rotationPeriod);
  const std::int64_t maxLifetime = seconds(policy.maxTokenLifetime);
  std::vector<PlannedKey> plan;
  for (const auto& alg : policy.algorithms) {
    const auto* newest = newestKey(keys, alg);
    const bool usable = newest != nullptr && keyStateAt(*newest, now) != KeyState::kRemoved &&
                        keyStateAt(*newest, now) != KeyState::kRetiring;
    if (!usable) {
      // Nothing signs for this algorithm: a first key, active at once (no relying party can
      // have cached a JWKS that lacks it and still expect another).
      plan.push_back({alg, now, std::nullopt, std::nullopt, "no " + alg + " signing key yet"});
      continue;
    }
    if (keyStateAt(*newest, now) == KeyState::kNext) {
      continue;  // a successor is already published and waiting
    }
    std::int64_t activatesAt = 0;
    std::string reason;
    if (trigger == RotationTrigger::kCommand) {
      activatesAt = now + prepublish;
      reason = "rotation requested";
    } else {
      const std::int64_t due = newest->activatesAt + period;
      if (now < due - prepublish) {
        continue;
      }
      activatesAt = std::max(due, now + prepublish);
      reason = "rotation period of " + newest->kid + " ends";
    }
    plan.push_back({alg, activatesAt, newest->kid, activatesAt + maxLifetime, reason});
  }
  return plan;
}

std::optional<std::int64_t> nextTransition(const std::vector<store::SigningKeyRecord>& keys,
                                           std::int64_t now) noexcept {
  std::optional<std::int64_t> next;
  auto consider = [&](std::optional<std::int64_t> t) {
    if (t && *t > now && (!next || *t < *next)) {
      next = t;
    }
  };
  for (const auto& k : keys) {
    consider(k.activatesAt);
    consider(k.retiresAt);
    consider(k.removeAt);
  }
  return next;
}

}  // namespace tessera::hub
