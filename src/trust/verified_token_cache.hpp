// VerifiedTokenCache: identities already verified, so that a workload presenting the same token
// again costs a hash lookup instead of a signature check. Keyed by the SHA-256 of the evidence
// (never the evidence itself) together with the provider name and the provider object's version,
// so that a changed provider re-verifies. Entries expire with the token (its exp) and never live
// longer than maxTtl; the cache holds at most maxEntries (least recently used go first). Only
// successes are cached. Thread-safe. The hub's access service owns one.
#pragma once

#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/clock.hpp"
#include "trust/trust_provider.hpp"

namespace tessera::trust {

struct VerifiedTokenCacheOptions {
  std::size_t maxEntries = 100'000;
  Seconds maxTtl{10 * 60};
};

struct VerifiedTokenCacheStats {
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;
  std::uint64_t evictions = 0;
  std::size_t entries = 0;
};

class VerifiedTokenCache {
 public:
  explicit VerifiedTokenCache(VerifiedTokenCacheOptions options = {}) : options_(options) {}

  // The key of `evidence` verified by `provider` at `providerVersion`.
  static std::string keyFor(std::string_view provider, std::int64_t providerVersion,
                            std::string_view evidence);

  // The identity, if cached and not expired at `now`.
  std::optional<VerifiedIdentity> find(const std::string& key, SystemTime now);
  // Caches until min(identity.expiresAt, now + maxTtl); an identity without expiry is cached for
  // maxTtl.
  void insert(const std::string& key, const VerifiedIdentity& identity, SystemTime now);

  VerifiedTokenCacheStats stats() const;

 private:
  struct Entry {
    VerifiedIdentity identity;
    SystemTime expiresAt;
    std::list<std::string>::iterator recency;
  };
  VerifiedTokenCacheOptions options_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
  std::list<std::string> recency_;  // front: most recently used
  VerifiedTokenCacheStats stats_;
};

}  // namespace tessera::trust
