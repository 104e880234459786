// Where the hub keeps its token-signing keys. The private half is stored only sealed (the hub
// seals it with the key-encryption key before calling insert). Implemented per store backend.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace tessera::store {

struct SigningKeyRecord {
  std::string kid;
  std::string algorithm;                  // "RS256", "ES256"
  std::string publicJwk;                  // JSON text, public members only
  std::string sealedPrivateJwk;           // crypto::seal() output
  std::int64_t createdAt = 0;             // unix seconds
  std::int64_t activatesAt = 0;           // signs from here (published from createdAt)
  std::optional<std::int64_t> retiresAt;  // stops signing here
  std::optional<std::int64_t> removeAt;   // leaves the JWKS here
};

class SigningKeyRepository {
 public:
  virtual ~SigningKeyRepository() = default;

  // Every key not yet removed at `now`, oldest activation first.
  virtual Result<std::vector<SigningKeyRecord>> listPublished(std::int64_t now) = 0;

  // Adds `next` and schedules `retiring` (if any) to retire when `next` activates, atomically.
  // Fails with kConflict when another key for the algorithm was added after `expectedNewest`
  // (two hubs rotating at once: exactly one wins).
  virtual Result<void> rotate(const SigningKeyRecord& next,
                              const std::optional<std::string>& expectedNewestKid,
                              std::optional<std::int64_t> retiringRemoveAt) = 0;

  // Deletes keys whose removeAt has passed; returns how many.
  virtual Result<int> purgeRemoved(std::int64_t now) = 0;

  // Monotonic counter bumped by every change, so replicas notice changes cheaply.
  virtual Result<std::int64_t> version() = 0;
};

}  // namespace tessera::store
