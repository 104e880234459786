// GrantCache: the hub's cache of issued credentials, so that a cloud sees one exchange per
// client identity and target, not one per request. Keyed by (policy, verified client identity,
// server workload, credential provider and its version) — see keyFor. It
//   - serves a credential until its refresh point (by default 80% of its lifetime); the first
//     request after that point refreshes it while everyone else is still served the valid one;
//   - is single-flight: concurrent requests for a key without a usable credential wait for one
//     upstream issue call and share its answer;
//   - caches an upstream failure briefly (negativeTtl), so a failing upstream is not hammered;
//   - holds at most maxEntries keys, least recently used evicted first.
// Disabled, every request issues (the benchmark measures providers that way). Thread-safe; the
// access service owns one.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "credentials/credential_provider.hpp"

namespace tessera::credentials {

struct GrantCacheOptions {
  bool enabled = true;
  std::size_t maxEntries = 10'000;
  std::chrono::milliseconds negativeTtl = std::chrono::seconds(5);
  // Where in a credential's lifetime it is refreshed, and where the grant tells the edge to.
  double refreshFraction = 0.8;
};

struct GrantCacheStats {
  std::uint64_t issues = 0;       // upstream issue calls (first issues and refreshes)
  std::uint64_t hits = 0;         // served from the cache
  std::uint64_t shared = 0;       // waited for another request's issue call
  std::uint64_t failureHits = 0;  // answered with a cached upstream failure
  std::uint64_t evictions = 0;
  std::size_t entries = 0;
};

class GrantCache {
 public:
  enum class Source {
    kIssued,         // this request called the provider
    kCached,         // a credential issued earlier
    kShared,         // another request's concurrent issue call
    kFailureCached,  // an upstream failure of less than negativeTtl ago
  };
  struct Answer {
    Result<Credential> credential;
    Source source = Source::kIssued;
    SystemTime refreshAt{};  // when the edge should ask again (valid credentials)
  };
  using Issue = std::function<boost::asio::awaitable<Result<Credential>>()>;

  explicit GrantCache(GrantCacheOptions options = {});

  // The credential for `key` at `now`, calling `issue` when the cache has none to give. `issue`
  // is only ever called (and awaited) within this call, never kept: it may refer to the
  // caller's locals.
  boost::asio::awaitable<Answer> get(std::string key, SystemTime now, Issue issue);

  // The cache key: the SHA-256 (32 raw bytes) of the inputs in a canonical order; only verified
  // attributes count, and not those that change with every token (iat, exp, jti, ...).
  static std::string keyFor(std::string_view policy,
                            const std::vector<trust::VerifiedIdentity>& identities,
                            std::string_view serverWorkload, std::string_view credentialProvider,
                            std::int64_t providerVersion);

  SystemTime refreshAtFor(const Credential& credential) const;
  const GrantCacheOptions& options() const { return options_; }
  GrantCacheStats stats() const;

  struct Flight;

 private:
  struct Entry {
    std::optional<Credential> credential;
    SystemTime refreshAt{};
    std::optional<Error> failure;  // the last upstream failure
    SystemTime failedUntil{};      // negative caching: no new issue call before this
    std::shared_ptr<Flight> flight;
    std::list<std::string>::iterator position;
  };
  enum class Action { kServe, kWait, kLead };
  struct Plan {
    Action action = Action::kLead;
    std::optional<Answer> answer;
    std::shared_ptr<Flight> flight;
  };

  Plan begin(const std::string& key, SystemTime now);
  Answer finish(const std::string& key, const std::shared_ptr<Flight>& flight,
                Result<Credential> issued, SystemTime now);
  Entry& touch(const std::string& key);  // finds or inserts, most recent; evicts; under mutex_

  GrantCacheOptions options_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
  std::list<std::string> lru_;  // front: most recently used
  GrantCacheStats stats_;
};

std::string_view sourceName(GrantCache::Source source) noexcept;  // "issued", "cached", ...

}  // namespace tessera::credentials
