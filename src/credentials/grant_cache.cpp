#include "credentials/grant_cache.hpp"

#include <algorithm>
#include <array>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <nlohmann/json.hpp>

#include "common/time_format.hpp"
#include "crypto/digest.hpp"

#if defined(__GNUC__) && !defined(__clang__)
// GCC 12 at -O2: Boost.Asio coroutine frames' sized delete reported as mismatched (false
// positive; see hub/access_service.cpp).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace tessera::credentials {

// One upstream issue call that requests for a key wait on. Members under GrantCache::mutex_.
struct GrantCache::Flight {
  bool done = false;
  std::optional<Answer> answer;
  std::vector<std::function<void()>> waiters;
};

namespace {
// Suspends the calling coroutine until `flight` is done; resumes it on its own executor. The
// handler is parked in the flight (under `mutex`), and the leader posts it when it finishes.
template <typename Token>
auto waitFor(std::mutex& mutex, std::shared_ptr<GrantCache::Flight> flight, Token&& token) {
  return boost::asio::async_initiate<Token, void()>(
      [&mutex, flight](auto handler) {
        auto executor = boost::asio::get_associated_executor(handler);
        auto parked = std::make_shared<decltype(handler)>(std::move(handler));
        std::function<void()> resume = [executor, parked]() {
          boost::asio::post(executor, [parked]() { std::move (*parked)(); });
        };
        std::unique_lock lock(mutex);
        if (flight->done) {
          lock.unlock();
          resume();
          return;
        }
        flight->waiters.push_back(std::move(resume));
      },
      token);
}
}  // namespace

std::string_view sourceName(GrantCache::Source source) noexcept {
  switch (source) {
    case GrantCache::Source::kIssued:
      return "issued";
    case GrantCache::Source::kCached:
      return "cached";
    case GrantCache::Source::kShared:
      return "shared";
    case GrantCache::Source::kFailureCached:
      return "failureCached";
  }
  return "issued";
}

GrantCache::GrantCache(GrantCacheOptions options) : options_(options) {
  if (options_.maxEntries == 0) {
    options_.maxEntries = 1;
  }
}

namespace {
// Claims that differ between two tokens of one workload (a Kubernetes token rotates hourly, a CI
// job fetches a new one per step). They do not say who the workload is, so they must not split
// the cache: otherwise every fresh token would cost an upstream exchange. The token itself was
// verified before the cache is asked, so a shared grant never outlives a valid token's check.
bool isPerTokenAttribute(std::string_view name) {
  static constexpr std::array<std::string_view, 8> kPerToken = {
      "iat", "exp", "nbf", "jti", "auth_time", "nonce", "at_hash", "c_hash"};
  const auto dot = name.find('.');
  const std::string_view claim = dot == std::string_view::npos ? name : name.substr(dot + 1);
  return std::find(kPerToken.begin(), kPerToken.end(), claim) != kPerToken.end();
}
}  // namespace

std::string GrantCache::keyFor(std::string_view policy,
                               const std::vector<trust::VerifiedIdentity>& identities,
                               std::string_view serverWorkload, std::string_view credentialProvider,
                               std::int64_t providerVersion) {
  // Each field is written with its length in front and each list with its count, so no two
  // different inputs give the same material whatever bytes the values hold; the map of
  // attributes is ordered by name. Binary rather than JSON, and the digest's bytes rather than
  // hex: this runs for every grant lookup.
  std::string material;
  material.reserve(512);
  const auto number = [&material](std::uint64_t n) {
    char bytes[8];
    for (char& b : bytes) {
      b = static_cast<char>(n & 0xFF);
      n >>= 8;
    }
    material.append(bytes, sizeof bytes);
  };
  const auto field = [&](std::string_view text) {
    number(text.size());
    material.append(text);
  };
  field(policy);
  field(serverWorkload);
  field(credentialProvider);
  number(static_cast<std::uint64_t>(providerVersion));
  number(identities.size());
  for (const auto& identity : identities) {
    field(identity.provider);
    field(identity.subject);
    // The attributes' count goes before them; it is known once they are written.
    const std::size_t countAt = material.size();
    number(0);
    std::uint64_t counted = 0;
    for (const auto& [name, a] : identity.attributes) {
      if (a.verified && !isPerTokenAttribute(name)) {
        field(name);
        field(a.value);
        ++counted;
      }
    }
    for (std::size_t i = 0; i < 8; ++i, counted >>= 8) {
      material[countAt + i] = static_cast<char>(counted & 0xFF);
    }
  }
  const auto digest = crypto::sha256(material);
  return std::string(reinterpret_cast<const char*>(digest.data()), digest.size());
}

SystemTime GrantCache::refreshAtFor(const Credential& credential) const {
  const auto lifetime = credential.expiresAt - credential.issuedAt;
  if (lifetime <= SystemTime::duration::zero()) {
    return credential.issuedAt;
  }
  const auto ahead = std::chrono::duration_cast<SystemTime::duration>(
      lifetime * std::clamp(options_.refreshFraction, 0.0, 1.0));
  return credential.issuedAt + ahead;
}

GrantCacheStats GrantCache::stats() const {
  std::lock_guard lock(mutex_);
  auto out = stats_;
  out.entries = entries_.size();
  return out;
}

GrantCache::Entry& GrantCache::touch(const std::string& key) {
  if (auto it = entries_.find(key); it != entries_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second.position);
    return it->second;
  }
  while (entries_.size() >= options_.maxEntries && !lru_.empty()) {
    entries_.erase(lru_.back());
    lru_.pop_back();
    ++stats_.evictions;
  }
  lru_.push_front(key);
  auto& entry = entries_[key];
  entry.position = lru_.begin();
  return entry;
}

GrantCache::Plan GrantCache::begin(const std::string& key, SystemTime now) {
  std::lock_guard lock(mutex_);
  auto& entry = touch(key);
  Plan plan;
  const bool valid = entry.credential && now < entry.credential->expiresAt;
  if (valid) {
    // Refresh ahead: the first request past the refresh point calls the provider; the others
    // (and this one, should the refresh fail) keep being served the valid credential.
    if (now < entry.refreshAt || entry.flight || now < entry.failedUntil) {
      ++stats_.hits;
      plan.action = Action::kServe;
      plan.answer = Answer{*entry.credential, Source::kCached, entry.refreshAt};
      return plan;
    }
  } else if (entry.flight) {
    ++stats_.shared;
    plan.action = Action::kWait;
    plan.flight = entry.flight;
    return plan;
  } else if (entry.failure && now < entry.failedUntil) {
    ++stats_.failureHits;
    Error error = *entry.failure;
    error.message += " (failure cached until " + formatRfc3339(entry.failedUntil) + ")";
    plan.action = Action::kServe;
    plan.answer = Answer{std::move(error), Source::kFailureCached, {}};
    return plan;
  }
  ++stats_.issues;
  entry.flight = std::make_shared<Flight>();
  plan.action = Action::kLead;
  plan.flight = entry.flight;
  return plan;
}

GrantCache::Answer GrantCache::finish(const std::string& key, const std::shared_ptr<Flight>& flight,
                                      Result<Credential> issued, SystemTime now) {
  std::vector<std::function<void()>> waiters;
  Answer answer{std::move(issued), Source::kIssued, {}};
  {
    std::lock_guard lock(mutex_);
    auto& entry = touch(key);  // re-inserted if it was evicted meanwhile
    if (entry.flight == flight) {
      entry.flight.reset();
    }
    if (answer.credential) {
      entry.credential = *answer.credential;
      entry.refreshAt = refreshAtFor(*answer.credential);
      entry.failure.reset();
      entry.failedUntil = {};
      answer.refreshAt = entry.refreshAt;
    } else {
      entry.failure = answer.credential.error();
      entry.failedUntil =
          now + std::chrono::duration_cast<SystemTime::duration>(options_.negativeTtl);
    }
    flight->done = true;
    flight->answer = answer;
    waiters.swap(flight->waiters);
    // A failed refresh still has a valid credential to give this request.
    if (!answer.credential && entry.credential && now < entry.credential->expiresAt) {
      answer = Answer{*entry.credential, Source::kCached, entry.refreshAt};
    }
  }
  for (auto& resume : waiters) {
    resume();
  }
  return answer;
}

boost::asio::awaitable<GrantCache::Answer> GrantCache::get(std::string key, SystemTime now,
                                                           Issue issue) {
  if (!options_.enabled) {
    {
      std::lock_guard lock(mutex_);
      ++stats_.issues;
    }
    auto issued = co_await issue();
    Answer answer{std::move(issued), Source::kIssued, {}};
    if (answer.credential) {
      answer.refreshAt = refreshAtFor(*answer.credential);
    }
    co_return answer;
  }
  Plan plan = begin(key, now);
  if (plan.action == Action::kServe) {
    co_return std::move(*plan.answer);
  }
  if (plan.action == Action::kWait) {
    co_await waitFor(mutex_, plan.flight, boost::asio::use_awaitable);
    Answer shared = *plan.flight->answer;
    if (shared.source == Source::kIssued) {
      shared.source = Source::kShared;
    }
    co_return shared;
  }
  auto issued = co_await issue();
  co_return finish(key, plan.flight, std::move(issued), now);
}

}  // namespace tessera::credentials
