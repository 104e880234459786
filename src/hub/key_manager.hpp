// KeyManager: the hub's token-signing keys. Creates them when the schedule says so (generate,
// seal under the KEK, store), reloads them from the store into an immutable snapshot that
// request handlers read without locks, and signs tokens with the current key of an algorithm.
// Several hub replicas share the store: rotation conflicts resolve to one winner.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.hpp"
#include "crypto/sealing.hpp"
#include "hub/hub_config.hpp"
#include "hub/key_schedule.hpp"
#include "jose/jwk.hpp"
#include "store/signing_key_repository.hpp"

namespace tessera::hub {

// What the hub knows about its keys at one moment. Immutable once built.
class KeySnapshot {
 public:
  KeySnapshot(std::vector<store::SigningKeyRecord> records, std::map<std::string, jose::Jwk> keys,
              std::int64_t storeVersion);

  const std::vector<store::SigningKeyRecord>& records() const { return records_; }
  std::int64_t storeVersion() const { return storeVersion_; }

  // The private key that signs `algorithm` at `now`, or nullptr.
  const jose::Jwk* signer(std::string_view algorithm, std::int64_t now) const;
  // {"keys": [...]} of every key published at `now` (next, current, retiring).
  nlohmann::json jwks(std::int64_t now) const;
  // Whether every configured algorithm has a signing key at `now` (readiness).
  bool canSign(const std::vector<std::string>& algorithms, std::int64_t now) const;

 private:
  std::vector<store::SigningKeyRecord> records_;
  std::map<std::string, jose::Jwk> keys_;  // kid -> private key
  std::int64_t storeVersion_;
};

class KeyManager {
 public:
  KeyManager(std::shared_ptr<store::SigningKeyRepository> repository, crypto::KeyEncryptionKey kek,
             KeyPolicy policy, const Clock& clock);

  // Creates the keys the schedule calls for (first keys, scheduled successors), purges removed
  // keys, and reloads. Returns the keys created by this call.
  Result<std::vector<PlannedKey>> maintain();
  // Operator-requested rotation: a successor for every algorithm without a pending one.
  Result<std::vector<PlannedKey>> rotateNow();
  // Reloads from the store when it changed (or `force`).
  Result<void> refresh(bool force = false);

  std::shared_ptr<const KeySnapshot> snapshot() const { return snapshot_.load(); }
  const KeyPolicy& policy() const { return policy_; }
  // The hub's key-encryption key, lent to credential providers that seal material of their own.
  const crypto::KeyEncryptionKey& kek() const { return kek_; }

  // Signs `claims` with the current key for `algorithm`. The claims must carry iat and exp, and
  // exp - iat must not exceed the policy's maxTokenLifetime (a longer-lived token would outlive
  // its key's publication).
  Result<std::string> sign(std::string_view algorithm, const nlohmann::json& claims) const;

 private:
  Result<std::vector<PlannedKey>> apply(RotationTrigger trigger);
  Result<void> create(const PlannedKey& plan, std::int64_t now);

  std::shared_ptr<store::SigningKeyRepository> repository_;
  crypto::KeyEncryptionKey kek_;
  KeyPolicy policy_;
  const Clock& clock_;
  std::mutex writeMutex_;  // one maintenance/rotation at a time in this process
  std::atomic<std::shared_ptr<const KeySnapshot>> snapshot_;
};

}  // namespace tessera::hub
