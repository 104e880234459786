#include "trust/key_cache.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <functional>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "net/url.hpp"

namespace tessera::trust {

namespace asio = boost::asio;

// One location's cached keys and fetch bookkeeping. Guarded by KeyCache::mutex_.
struct KeyCache::Entry {
  std::string id;  // the stats key
  KeyLocation location;
  std::optional<Error> invalid;  // a location that may never be fetched (or bad inline JWKS)
  std::shared_ptr<const jose::Jwks> jwks;
  SystemTime fetchedAt{};
  Seconds freshFor{0};
  std::optional<SystemTime> lastUnknownKidRefresh;
  std::optional<SystemTime> lastFailureAt;
  std::optional<Error> lastError;
  std::shared_ptr<Flight> flight;  // the fetch in progress, if any
  KeyLocationStats stats;
};

// A fetch in progress; waiters are woken when it is done. Guarded by KeyCache::mutex_.
struct KeyCache::Flight {
  bool done = false;
  std::optional<Error> error;
  std::condition_variable cv;  // blocking waiters
  // Coroutine waiters: the waiter's executor and how to resume it. Not any_completion_handler:
  // in Boost 1.81 it cannot be posted (any_completion_executor lacks blocking.never), and stored
  // in a vector here it ended up wrapping itself recursively (stack overflow).
  struct Waiter {
    asio::any_io_executor executor;
    std::function<void()> resume;
  };
  std::vector<Waiter> waiters;
};

struct KeyCache::Plan {
  enum class Kind { kAnswer, kFetch, kWait };
  Kind kind = Kind::kAnswer;
  std::shared_ptr<Entry> entry;
  std::shared_ptr<Flight> flight;
  std::optional<Result<CachedKeys>> answer;
};

struct KeyCache::Fetched {
  std::shared_ptr<const jose::Jwks> jwks;
  std::optional<Seconds> maxAge;
};

namespace {

std::string entryId(const KeyLocation& location) {
  if (location.inlineJwks) {
    return location.issuer + " inline";
  }
  return location.issuer + " " + location.jwksUri.value_or("discovery");
}

// The map key: inline sets with the same issuer but different keys are different entries.
std::string entryKey(const KeyLocation& location) {
  std::string key = location.issuer;
  key += '\n';
  key += location.jwksUri.value_or("");
  key += '\n';
  if (location.inlineJwks) {
    key += "inline\n";
    key += *location.inlineJwks;
  }
  return key;
}

// Keys come over https only, except on loopback (development and tests).
Result<void> checkAllowed(std::string_view what, std::string_view url) {
  auto parsed = net::parseUrl(url);
  if (!parsed) {
    return fail(ErrorCode::kInvalidArgument,
                std::string(what) + " \"" + std::string(url) + "\": " + parsed.error().message);
  }
  if (!parsed->https() && !parsed->loopback()) {
    return fail(ErrorCode::kInvalidArgument,
                std::string(what) + " \"" + std::string(url) +
                    "\" is not allowed: keys are fetched over https (plain http only on loopback)");
  }
  return {};
}

std::string discoveryUrl(std::string_view issuer) {
  std::string url(issuer);
  while (!url.empty() && url.back() == '/') {
    url.pop_back();
  }
  return url + "/.well-known/openid-configuration";
}

net::ClientRequest makeRequest(const std::string& url, std::size_t maxBytes,
                               std::chrono::milliseconds timeout) {
  auto request = net::ClientRequest::get(url);
  request.withTimeout(timeout).withMaxResponseBytes(maxBytes).withMaxRedirects(0);
  request.withHeader("Accept", "application/json");
  return request;
}

// Transport errors and non-200 answers both mean "the issuer is unavailable".
Result<void> checkResponse(std::string_view what, const std::string& url,
                           const Result<net::ClientResponse>& response) {
  if (!response) {
    return fail(ErrorCode::kUnavailable, "fetching " + std::string(what) + " from " + url +
                                             " failed: " + response.error().describe());
  }
  if (response->status != 200) {
    std::string message = "fetching " + std::string(what) + " from " + url + " failed: HTTP " +
                          std::to_string(response->status);
    if (response->status >= 300 && response->status < 400) {
      message += " (redirects are not followed)";
    }
    return fail(ErrorCode::kUnavailable, std::move(message));
  }
  return {};
}

Result<std::string> jwksUriFromDiscovery(const std::string& issuer, const std::string& url,
                                         const Result<net::ClientResponse>& response) {
  TESSERA_RETURN_IF_ERROR(checkResponse("the discovery document", url, response));
  auto doc = nlohmann::json::parse(response->body, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) {
    return fail(ErrorCode::kJwksInvalid,
                "the discovery document at " + url + " is not a JSON object");
  }
  auto docIssuer = doc.find("issuer");
  if (docIssuer == doc.end() || !docIssuer->is_string()) {
    return fail(ErrorCode::kJwksInvalid, "the discovery document at " + url + " has no issuer");
  }
  // Exact match (OpenID Connect Discovery 1.0 §4.3): otherwise another issuer's keys could be
  // accepted for this one.
  if (docIssuer->get<std::string>() != issuer) {
    return fail(ErrorCode::kJwksInvalid, "the discovery document at " + url + " names issuer \"" +
                                             docIssuer->get<std::string>() + "\", expected \"" +
                                             issuer + "\"");
  }
  auto jwksUri = doc.find("jwks_uri");
  if (jwksUri == doc.end() || !jwksUri->is_string()) {
    return fail(ErrorCode::kJwksInvalid,
                "the discovery document at " + url + " has no string jwks_uri");
  }
  std::string uri = jwksUri->get<std::string>();
  if (auto allowed = checkAllowed("jwks_uri from discovery", uri); !allowed) {
    return fail(ErrorCode::kJwksInvalid, allowed.error().message);
  }
  return uri;
}

// Cache-Control: max-age=N, if present and well-formed.
std::optional<Seconds> maxAgeOf(const net::Headers& headers) {
  auto value = headers.get("Cache-Control");
  if (!value) {
    return std::nullopt;
  }
  std::string lower(*value);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  auto pos = lower.find("max-age=");
  if (pos == std::string::npos) {
    return std::nullopt;
  }
  const char* begin = lower.data() + pos + 8;
  const char* end = lower.data() + lower.size();
  std::int64_t seconds = 0;
  auto [ptr, ec] = std::from_chars(begin, end, seconds);
  if (ec != std::errc() || ptr == begin || seconds < 0) {
    return std::nullopt;
  }
  return Seconds(seconds);
}

}  // namespace

KeyCache::KeyCache(std::shared_ptr<net::HttpClient> client, const Clock& clock,
                   KeyCacheOptions options)
    : client_(std::move(client)), clock_(clock), options_(options) {}

KeyCache::~KeyCache() = default;

KeyCache::Plan KeyCache::plan(const KeyLocation& location, std::string_view kid) {
  std::lock_guard lock(mutex_);
  const SystemTime now = clock_.now();
  std::string key = entryKey(location);
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    auto created = std::make_shared<Entry>();
    created->id = entryId(location);
    created->location = location;
    if (location.inlineJwks) {
      jose::JwksOptions jwksOptions;
      jwksOptions.maxBytes = options_.maxJwksBytes;
      auto parsed = jose::Jwks::parse(*location.inlineJwks, jwksOptions);
      if (parsed) {
        created->jwks = std::make_shared<const jose::Jwks>(std::move(*parsed));
        created->fetchedAt = now;
      } else {
        created->invalid = fail(parsed.error().code, "inline JWKS for issuer " + location.issuer +
                                                         ": " + parsed.error().message);
      }
    } else if (location.jwksUri) {
      if (auto allowed = checkAllowed("jwksUri", *location.jwksUri); !allowed) {
        created->invalid = std::move(allowed).error();
      }
    } else if (auto allowed = checkAllowed("issuer", location.issuer); !allowed) {
      created->invalid = std::move(allowed).error();
    }
    it = entries_.emplace(std::move(key), std::move(created)).first;
  }
  Plan plan;
  plan.entry = it->second;
  Entry& entry = *plan.entry;
  if (entry.invalid) {
    plan.answer = *entry.invalid;
    return plan;
  }
  if (entry.location.inlineJwks) {
    plan.answer = answer(entry, nullptr);
    return plan;
  }
  const bool kidKnown = kid.empty() || (entry.jwks && entry.jwks->findByKid(kid) != nullptr);
  if (entry.flight) {
    // Known keys: answer now (stale-while-revalidate). Cold, or a kid the fetch may bring: wait.
    if (entry.jwks && kidKnown) {
      plan.answer = answer(entry, nullptr);
    } else {
      plan.kind = Plan::Kind::kWait;
      plan.flight = entry.flight;
    }
    return plan;
  }
  const bool backedOff =
      entry.lastFailureAt && now - *entry.lastFailureAt < options_.failureBackoff;
  bool fetch = false;
  if (!entry.jwks) {
    fetch = !backedOff;
  } else if (!backedOff) {
    const auto age = now - entry.fetchedAt;
    const auto ahead = std::chrono::duration_cast<SystemTime::duration>(
        std::chrono::duration<double>(entry.freshFor) * options_.refreshAhead);
    if (age >= ahead) {
      fetch = true;
    } else if (!kidKnown && (!entry.lastUnknownKidRefresh ||
                             now - *entry.lastUnknownKidRefresh >= options_.unknownKidInterval)) {
      entry.lastUnknownKidRefresh = now;
      fetch = true;
    }
  }
  if (!fetch) {
    plan.answer = answer(entry, nullptr);
    return plan;
  }
  plan.kind = Plan::Kind::kFetch;
  plan.flight = std::make_shared<Flight>();
  entry.flight = plan.flight;
  return plan;
}

void KeyCache::finish(Entry& entry, const std::shared_ptr<Flight>& flight,
                      Result<Fetched> fetched) {
  std::vector<Flight::Waiter> waiters;
  {
    std::lock_guard lock(mutex_);
    const SystemTime now = clock_.now();
    if (fetched) {
      entry.jwks = std::move(fetched->jwks);
      entry.fetchedAt = now;
      entry.freshFor = fetched->maxAge
                           ? std::clamp(*fetched->maxAge, options_.minMaxAge, options_.maxMaxAge)
                           : options_.refreshInterval;
      entry.lastError.reset();
      entry.lastFailureAt.reset();
      entry.stats.fetchedAt = now;
      entry.stats.lastError.clear();
    } else {
      entry.lastError = fetched.error();
      entry.lastFailureAt = now;
      entry.stats.failures++;
      entry.stats.lastError = fetched.error().message;
      flight->error = std::move(fetched).error();
    }
    flight->done = true;
    if (entry.flight == flight) {
      entry.flight.reset();
    }
    waiters = std::move(flight->waiters);
    flight->cv.notify_all();
  }
  // Each waiter resumes on its own executor (the coroutine's), never inside this call.
  for (auto& waiter : waiters) {
    asio::post(waiter.executor, std::move(waiter.resume));
  }
}

Result<CachedKeys> KeyCache::answer(const Entry& entry, const Flight* flight) const {
  if (!entry.jwks) {
    if (flight && flight->error) {
      return *flight->error;
    }
    if (entry.lastError) {
      return *entry.lastError;
    }
    return fail(ErrorCode::kUnavailable, "no keys for issuer " + entry.location.issuer);
  }
  CachedKeys keys;
  keys.jwks = entry.jwks;
  keys.fetchedAt = entry.fetchedAt;
  keys.age = std::chrono::duration_cast<Seconds>(clock_.now() - entry.fetchedAt);
  keys.stale = !entry.location.inlineJwks && keys.age > entry.freshFor;
  keys.lastError = entry.lastError ? entry.lastError->message : std::string();
  return keys;
}

namespace {

Result<KeyCache::Fetched> fetchedFromJwks(const KeyCacheOptions&, const std::string&,
                                          const Result<net::ClientResponse>&);

}  // namespace

boost::asio::awaitable<Result<KeyCache::Fetched>> KeyCache::fetch(std::shared_ptr<Entry> entry) {
  std::string jwksUri;
  if (entry->location.jwksUri) {
    jwksUri = *entry->location.jwksUri;
  } else {
    const std::string url = discoveryUrl(entry->location.issuer);
    {
      std::lock_guard lock(mutex_);
      entry->stats.discoveryFetches++;
    }
    net::ClientRequest request = makeRequest(url, options_.maxDiscoveryBytes, options_.timeout);
    Result<net::ClientResponse> response = co_await client_->request(std::move(request));
    Result<std::string> uri = jwksUriFromDiscovery(entry->location.issuer, url, response);
    if (!uri) {
      co_return std::move(uri).error();
    }
    jwksUri = std::move(*uri);
  }
  {
    std::lock_guard lock(mutex_);
    entry->stats.jwksFetches++;
  }
  net::ClientRequest request = makeRequest(jwksUri, options_.maxJwksBytes, options_.timeout);
  Result<net::ClientResponse> response = co_await client_->request(std::move(request));
  co_return fetchedFromJwks(options_, jwksUri, response);
}

Result<KeyCache::Fetched> KeyCache::fetchBlocking(const std::shared_ptr<Entry>& entry) {
  std::string jwksUri;
  if (entry->location.jwksUri) {
    jwksUri = *entry->location.jwksUri;
  } else {
    const std::string url = discoveryUrl(entry->location.issuer);
    {
      std::lock_guard lock(mutex_);
      entry->stats.discoveryFetches++;
    }
    auto response =
        client_->requestBlocking(makeRequest(url, options_.maxDiscoveryBytes, options_.timeout));
    TESSERA_ASSIGN_OR_RETURN(jwksUri, jwksUriFromDiscovery(entry->location.issuer, url, response));
  }
  {
    std::lock_guard lock(mutex_);
    entry->stats.jwksFetches++;
  }
  auto response =
      client_->requestBlocking(makeRequest(jwksUri, options_.maxJwksBytes, options_.timeout));
  return fetchedFromJwks(options_, jwksUri, response);
}

namespace {

Result<KeyCache::Fetched> fetchedFromJwks(const KeyCacheOptions& options, const std::string& url,
                                          const Result<net::ClientResponse>& response) {
  TESSERA_RETURN_IF_ERROR(checkResponse("the JWKS", url, response));
  jose::JwksOptions jwksOptions;
  jwksOptions.maxBytes = options.maxJwksBytes;
  auto parsed = jose::Jwks::parse(response->body, jwksOptions);
  if (!parsed) {
    return fail(parsed.error().code, "the JWKS at " + url + ": " + parsed.error().message);
  }
  KeyCache::Fetched fetched;
  fetched.jwks = std::make_shared<const jose::Jwks>(std::move(*parsed));
  fetched.maxAge = maxAgeOf(response->headers);
  return fetched;
}

}  // namespace

boost::asio::awaitable<void> KeyCache::wait(std::shared_ptr<Flight> flight) {
  auto initiation = [this, flight](auto handler) {
    std::unique_lock lock(mutex_);
    if (flight->done) {
      lock.unlock();
      auto executor = asio::get_associated_executor(handler);
      asio::post(executor, std::move(handler));
      return;
    }
    Flight::Waiter waiter;
    waiter.executor = asio::get_associated_executor(handler);
    // std::function needs a copyable target; the handler itself is move-only.
    auto shared = std::make_shared<decltype(handler)>(std::move(handler));
    waiter.resume = [shared] { std::move (*shared)(); };
    flight->waiters.push_back(std::move(waiter));
  };
  co_await asio::async_initiate<const asio::use_awaitable_t<>&, void()>(std::move(initiation),
                                                                        asio::use_awaitable);
}

namespace {

// Completes a flight even when the fetching coroutine is destroyed before it finishes (its
// io_context stopped), so that waiters are never left hanging.
struct FlightGuard {
  std::function<void()> onAbandon;
  bool finished = false;
  ~FlightGuard() {
    if (!finished && onAbandon) {
      onAbandon();
    }
  }
};

}  // namespace

boost::asio::awaitable<Result<CachedKeys>> KeyCache::keys(KeyLocation location, std::string kid) {
  Plan p = plan(location, kid);
  if (p.kind == Plan::Kind::kAnswer) {
    co_return std::move(*p.answer);
  }
  if (p.kind == Plan::Kind::kWait) {
    co_await wait(p.flight);
    std::lock_guard lock(mutex_);
    co_return answer(*p.entry, p.flight.get());
  }
  FlightGuard guard;
  guard.onAbandon = [this, entry = p.entry, flight = p.flight] {
    finish(*entry, flight,
           fail(ErrorCode::kUnavailable,
                "fetching keys for issuer " + entry->location.issuer + " was abandoned"));
  };
  Result<Fetched> fetched = co_await fetch(p.entry);
  guard.finished = true;
  finish(*p.entry, p.flight, std::move(fetched));
  std::lock_guard lock(mutex_);
  co_return answer(*p.entry, p.flight.get());
}

Result<CachedKeys> KeyCache::keysBlocking(const KeyLocation& location, std::string_view kid) {
  Plan p = plan(location, kid);
  if (p.kind == Plan::Kind::kAnswer) {
    return std::move(*p.answer);
  }
  if (p.kind == Plan::Kind::kWait) {
    std::unique_lock lock(mutex_);
    p.flight->cv.wait(lock, [&] { return p.flight->done; });
    return answer(*p.entry, p.flight.get());
  }
  finish(*p.entry, p.flight, fetchBlocking(p.entry));
  std::lock_guard lock(mutex_);
  return answer(*p.entry, p.flight.get());
}

std::map<std::string, KeyLocationStats> KeyCache::stats() const {
  std::lock_guard lock(mutex_);
  std::map<std::string, KeyLocationStats> out;
  for (const auto& [key, entry] : entries_) {
    out[entry->id] = entry->stats;
  }
  return out;
}

}  // namespace tessera::trust
