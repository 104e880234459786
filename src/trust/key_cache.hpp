// KeyCache: the verification keys (JWKS) of the identity providers that token trust providers
// trust, fetched only from their configured KeyLocation, cached per location and shared by every
// provider. The access pipeline asks it for the keys before calling TrustProvider::verifyToken.
//
//   KeyCache cache(httpClient, SystemClock::instance());
//   // in a coroutine (the hub's access handlers):
//   Result<CachedKeys> keys = co_await cache.keys(provider.keys(), tokenKid);
//
// - Inline JWKS is parsed once. Otherwise the JWKS comes from the location's jwksUri, or from the
//   jwks_uri of `<issuer>/.well-known/openid-configuration` (whose `issuer` must match exactly).
// - Only https URLs, or http on loopback; redirects are never followed; timeouts and size limits.
// - Keys stay fresh for refreshInterval (or the response's Cache-Control max-age, clamped). Past
//   refreshAhead of that, the caller that notices refreshes while everyone else keeps getting the
//   current keys. One fetch at a time per location (single-flight).
// - An unknown kid refreshes at most once per unknownKidInterval, so forged kids cannot make the
//   hub hammer an issuer.
// - When a refresh fails the last good keys are kept and returned (marked stale once they are
//   past their freshness); without any keys the caller gets kUnavailable naming the URL.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "jose/jwk.hpp"
#include "net/http_client.hpp"
#include "trust/trust_provider.hpp"

namespace tessera::trust {

struct KeyCacheOptions {
  Seconds refreshInterval{15 * 60};  // freshness when the response has no max-age
  Seconds minMaxAge{60};             // Cache-Control max-age is clamped to [min, max]
  Seconds maxMaxAge{24 * 60 * 60};
  double refreshAhead = 0.8;       // refresh once older than this fraction of freshness
  Seconds unknownKidInterval{30};  // at most one unknown-kid refresh per location per interval
  Seconds failureBackoff{10};      // after a failed fetch, no new attempt for this long
  std::chrono::milliseconds timeout{5'000};  // per request
  std::size_t maxDiscoveryBytes = 64 * 1024;
  std::size_t maxJwksBytes = 512 * 1024;
};

// What keys() returns: the keys and how old they are.
struct CachedKeys {
  std::shared_ptr<const jose::Jwks> jwks;
  SystemTime fetchedAt{};  // inline keys: when they were parsed
  Seconds age{0};
  bool stale = false;       // past freshness: refreshes have been failing
  std::string lastError{};  // why the latest fetch failed; "" after a success
};

// Per location, for tests and diagnostics.
struct KeyLocationStats {
  std::uint64_t discoveryFetches = 0;  // requests started
  std::uint64_t jwksFetches = 0;
  std::uint64_t failures = 0;  // fetches (discovery + JWKS) that ended in an error
  std::optional<SystemTime> fetchedAt{};
  std::string lastError{};
};

class KeyCache {
 public:
  KeyCache(std::shared_ptr<net::HttpClient> client, const Clock& clock,
           KeyCacheOptions options = {});
  ~KeyCache();
  KeyCache(const KeyCache&) = delete;
  KeyCache& operator=(const KeyCache&) = delete;

  // The keys for `location`, refreshed as described above. `kid` is the token's kid ("" when it
  // has none: no unknown-kid refresh). Errors: kInvalidArgument for a location that is not
  // allowed (no request is made), kJwksInvalid for bad documents (issuer mismatch, malformed
  // discovery or JWKS), kUnavailable when the issuer cannot be reached and no keys were ever
  // fetched. Thread-safe; the cache must outlive the coroutine. Arguments are taken by value
  // because they live across suspension points.
  boost::asio::awaitable<Result<CachedKeys>> keys(KeyLocation location, std::string kid);

  // The same for threads that are not running an io_context (CLI, start-up): waits on a
  // condition variable and fetches with HttpClient::requestBlocking.
  Result<CachedKeys> keysBlocking(const KeyLocation& location, std::string_view kid);

  // Stats per location, keyed by "<issuer> <jwksUri or 'discovery'>" (inline: "<issuer> inline").
  std::map<std::string, KeyLocationStats> stats() const;

  // Implementation details (defined in key_cache.cpp).
  struct Entry;
  struct Flight;
  struct Plan;
  struct Fetched;

 private:
  Plan plan(const KeyLocation& location, std::string_view kid);
  void finish(Entry& entry, const std::shared_ptr<Flight>& flight, Result<Fetched> fetched);
  Result<CachedKeys> answer(const Entry& entry, const Flight* flight) const;
  boost::asio::awaitable<Result<Fetched>> fetch(std::shared_ptr<Entry> entry);
  Result<Fetched> fetchBlocking(const std::shared_ptr<Entry>& entry);
  boost::asio::awaitable<void> wait(std::shared_ptr<Flight> flight);

  std::shared_ptr<net::HttpClient> client_;
  const Clock& clock_;
  KeyCacheOptions options_;
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<Entry>, std::less<>> entries_;
};

}  // namespace tessera::trust
