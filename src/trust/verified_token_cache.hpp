// VerifiedTokenCache: identities already verified, so that a workload presenting the same token
// again costs a hash lookup instead of a signature check. Keyed by the SHA-256 of the evidence
// (never the evidence itself) together with the provider name and the provider object's version,
// so that a changed provider re-verifies. Entries expire with the token (its exp) and never live
// longer than maxTtl; the cache holds at most maxEntries (least recently used go first). Only
// successes are cached. Thread-safe. The hub's access service owns one.
//
// Admission: a token is cached when it is verified the second time, not the first (unless the
// caller asks for kAtOnce). The first verification leaves only a fingerprint in a fixed table.
// Tokens used once (a CI job's, a client minting one per call) are common, and caching them cost
// more than verifying them: each entry is about a kilobyte that the heap must grow for, and it
// pushes out the tokens that are in use. A token in use costs one signature check more.
#pragma once

#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/clock.hpp"
#include "trust/trust_provider.hpp"

namespace tessera::trust {

struct VerifiedTokenCacheOptions {
  std::size_t maxEntries = 100'000;
  Seconds maxTtl{10 * 60};
  // Fingerprints of tokens verified once (8 bytes each). A fingerprint stays until another
  // token's takes its slot, so a token verified again within about this many first
  // verifications is cached. 0: every token is cached at its first verification.
  std::size_t firstSightSlots = 65'536;
};

enum class Admission {
  kOnSecondSight,  // cache from the second verification on (local signature checks)
  kAtOnce,         // cache at once: verifying again is costly (a round trip to AWS STS)
};

struct VerifiedTokenCacheStats {
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;
  std::uint64_t evictions = 0;
  std::uint64_t firstSightings = 0;  // verified identities not cached: seen for the first time
  std::size_t entries = 0;
};

class VerifiedTokenCache {
 public:
  explicit VerifiedTokenCache(VerifiedTokenCacheOptions options = {})
      : options_(options), firstSight_(options.firstSightSlots, 0) {}

  // The key of `evidence` verified by `provider` at `providerVersion`.
  static std::string keyFor(std::string_view provider, std::int64_t providerVersion,
                            std::string_view evidence);

  // The identity, if cached and not expired at `now`.
  std::optional<VerifiedIdentity> find(const std::string& key, SystemTime now);
  // Caches until min(identity.expiresAt, now + maxTtl); an identity without expiry is cached for
  // maxTtl. With kOnSecondSight, only when `key` was inserted before (see Admission above).
  void insert(const std::string& key, const VerifiedIdentity& identity, SystemTime now,
              Admission admission = Admission::kOnSecondSight);

  VerifiedTokenCacheStats stats() const;

 private:
  struct Entry {
    VerifiedIdentity identity;
    SystemTime expiresAt;
    std::list<std::string>::iterator recency;
  };
  // True when `key`'s fingerprint is in its slot (the slot is then freed); else puts it there.
  bool seenBeforeLocked(const std::string& key);

  VerifiedTokenCacheOptions options_;
  mutable std::mutex mutex_;
  std::vector<std::uint64_t> firstSight_;  // fingerprints, 0 for none
  std::unordered_map<std::string, Entry> entries_;
  std::list<std::string> recency_;  // front: most recently used
  VerifiedTokenCacheStats stats_;
};

}  // namespace tessera::trust
