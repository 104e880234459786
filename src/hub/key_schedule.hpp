// The signing-key lifecycle as pure functions of the stored keys, the policy and `now`:
// which key signs, which are published, and when a successor must be created. A key is
// published from its creation ("next"), signs from activatesAt ("current"), stops signing at
// retiresAt ("retiring") and leaves the JWKS at removeAt = retiresAt + maxTokenLifetime, so
// every token it signed can still be verified until that token expires. Used by KeyManager.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hub/hub_config.hpp"
#include "store/signing_key_repository.hpp"

namespace tessera::hub {

enum class KeyState { kNext, kCurrent, kRetiring, kRemoved };

std::string_view keyStateName(KeyState state) noexcept;
KeyState keyStateAt(const store::SigningKeyRecord& key, std::int64_t now) noexcept;

// The key that signs for `algorithm` at `now`, if any.
const store::SigningKeyRecord* currentKey(const std::vector<store::SigningKeyRecord>& keys,
                                          std::string_view algorithm, std::int64_t now) noexcept;

// The key with the latest activation for `algorithm` (the one a rotation would retire).
const store::SigningKeyRecord* newestKey(const std::vector<store::SigningKeyRecord>& keys,
                                         std::string_view algorithm) noexcept;

// A key the hub must create now.
struct PlannedKey {
  std::string algorithm;
  std::int64_t activatesAt = 0;
  std::optional<std::string> retiresKid;         // the newest key, retired when this activates
  std::optional<std::int64_t> retiringRemoveAt;  // when the retired key leaves the JWKS
  std::string reason;
};

enum class RotationTrigger { kSchedule, kCommand };

// kSchedule: a first key (active at once) for an algorithm with none, and a successor for a key
// that reaches the end of its rotation period within the prepublish window.
// kCommand: a successor for every algorithm that has no pending next key, activating after the
// prepublish window.
std::vector<PlannedKey> planRotation(const std::vector<store::SigningKeyRecord>& keys,
                                     const KeyPolicy& policy, std::int64_t now,
                                     RotationTrigger trigger);

// The next instant after `now` at which some key changes state (for refresh scheduling).
std::optional<std::int64_t> nextTransition(const std::vector<store::SigningKeyRecord>& keys,
                                           std::int64_t now) noexcept;

}  // namespace tessera::hub
