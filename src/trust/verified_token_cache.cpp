#include "trust/verified_token_cache.hpp"

#include "crypto/digest.hpp"

namespace tessera::trust {

std::string VerifiedTokenCache::keyFor(std::string_view provider, std::int64_t providerVersion,
                                       std::string_view evidence) {
  const auto digest = crypto::sha256(evidence);
  std::string key(provider);
  key += '\n';
  key += std::to_string(providerVersion);
  key += '\n';
  key.append(reinterpret_cast<const char*>(digest.data()), digest.size());
  return key;
}

std::optional<VerifiedIdentity> VerifiedTokenCache::find(const std::string& key, SystemTime now) {
  std::lock_guard lock(mutex_);
  const auto it = entries_.find(key);
  if (it == entries_.end()) {
    ++stats_.misses;
    return std::nullopt;
  }
  if (it->second.expiresAt <= now) {
    recency_.erase(it->second.recency);
    entries_.erase(it);
    ++stats_.misses;
    return std::nullopt;
  }
  recency_.splice(recency_.begin(), recency_, it->second.recency);
  ++stats_.hits;
  return it->second.identity;
}

void VerifiedTokenCache::insert(const std::string& key, const VerifiedIdentity& identity,
                                SystemTime now, Admission admission) {
  SystemTime expiresAt = now + options_.maxTtl;
  if (identity.expiresAt && *identity.expiresAt < expiresAt) {
    expiresAt = *identity.expiresAt;
  }
  if (expiresAt <= now || options_.maxEntries == 0) {
    return;
  }
  std::lock_guard lock(mutex_);
  if (const auto it = entries_.find(key); it != entries_.end()) {
    it->second.identity = identity;
    it->second.expiresAt = expiresAt;
    recency_.splice(recency_.begin(), recency_, it->second.recency);
    return;
  }
  if (admission == Admission::kOnSecondSight && !seenBeforeLocked(key)) {
    ++stats_.firstSightings;
    return;
  }
  while (entries_.size() >= options_.maxEntries) {
    entries_.erase(recency_.back());
    recency_.pop_back();
    ++stats_.evictions;
  }
  recency_.push_front(key);
  entries_.emplace(key, Entry{identity, expiresAt, recency_.begin()});
}

bool VerifiedTokenCache::seenBeforeLocked(const std::string& key) {
  if (firstSight_.empty()) {
    return true;
  }
  // The slot from the hash itself: with the low bit forced on, a table of even size would use
  // only its odd slots. The fingerprint is never 0, which marks an empty slot; two keys with one
  // fingerprint only let a verified identity into the cache a sighting early.
  const std::uint64_t hash = std::hash<std::string>{}(key);
  auto& slot = firstSight_[hash % firstSight_.size()];
  const std::uint64_t fingerprint = hash | 1;
  if (slot == fingerprint) {
    slot = 0;
    return true;
  }
  slot = fingerprint;
  return false;
}

VerifiedTokenCacheStats VerifiedTokenCache::stats() const {
  std::lock_guard lock(mutex_);
  auto out = stats_;
  out.entries = entries_.size();
  return out;
}

}  // namespace tessera::trust
