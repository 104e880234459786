#include "edge/leaf_cache.hpp"

#include <openssl/ssl.h>

#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/system/system_error.hpp>
#include <condition_variable>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>

namespace tessera::edge {
namespace ssl = boost::asio::ssl;

namespace {

// A server context holding one leaf, set up like net::makeServerTlsContext's (TLS 1.2 minimum,
// no compression, no renegotiation, server cipher preference).
Result<net::TlsContextPtr> makeLeafContext(const crypto::IssuedLeaf& leaf) {
  std::shared_ptr<ssl::context> ctx;
  try {
    ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  } catch (const boost::system::system_error& e) {  // SSL_CTX_new failed: out of memory
    crypto::takeOpenSslErrors();
    return fail(ErrorCode::kHttpTls, std::string("cannot make a TLS context: ") + e.what());
  }
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_compression |
                   ssl::context::single_dh_use);
  SSL_CTX_set_options(ctx->native_handle(),
                      SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  boost::system::error_code ec;
  ctx->use_certificate_chain(boost::asio::buffer(leaf.chainPem), ec);
  if (ec) {
    crypto::takeOpenSslErrors();
    return fail(ErrorCode::kHttpTls, "cannot use the edge leaf certificate: " + ec.message());
  }
  ctx->use_private_key(boost::asio::buffer(leaf.privateKeyPem), ssl::context::pem, ec);
  if (ec) {
    crypto::takeOpenSslErrors();
    return fail(ErrorCode::kHttpTls, "cannot use the edge leaf key: " + ec.message());
  }
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
    return fail(ErrorCode::kHttpTls,
                "the edge leaf key does not match its certificate: " + crypto::takeOpenSslErrors());
  }
  return net::TlsContextPtr(std::move(ctx));
}

std::string cacheKey(std::string_view host) {
  // Host names compare case-insensitively; the leaf carries the lower-case form anyway.
  std::string key(host);
  std::transform(key.begin(), key.end(), key.begin(),
                 [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; });
  return key;
}

}  // namespace

struct LeafCache::Impl {
  struct Entry {
    net::TlsContextPtr context;
    SystemTime renewAt;
    SystemTime notAfter;
    std::list<std::string>::iterator recency;
  };

  Impl(std::shared_ptr<const crypto::EdgeCa> caIn, const Clock& clockIn, std::size_t capacityIn)
      : ca(std::move(caIn)), clock(clockIn), capacity(std::max<std::size_t>(capacityIn, 1)) {}

  // Called with the lock held: marks `key` as most recently used.
  void touch(Entry& entry) { recency.splice(recency.begin(), recency, entry.recency); }

  // Called with the lock held.
  void store(const std::string& key, Entry entry) {
    if (auto it = entries.find(key); it != entries.end()) {
      recency.erase(it->second.recency);
      entries.erase(it);
    }
    recency.push_front(key);
    entry.recency = recency.begin();
    entries.emplace(key, std::move(entry));
    while (entries.size() > capacity) {
      entries.erase(recency.back());
      recency.pop_back();
    }
  }

  const std::shared_ptr<const crypto::EdgeCa> ca;
  const Clock& clock;
  const std::size_t capacity;

  mutable std::mutex mutex;
  std::condition_variable issuedOne;  // signalled whenever a host leaves `issuing`
  std::list<std::string> recency;     // most recently used first
  std::unordered_map<std::string, Entry> entries;
  std::unordered_set<std::string> issuing;  // hosts whose leaf a thread is making right now
  std::uint64_t issued = 0;
  std::uint64_t hits = 0;
};

LeafCache::LeafCache(std::shared_ptr<const crypto::EdgeCa> ca, const Clock& clock,
                     std::size_t capacity)
    : impl_(std::make_shared<Impl>(std::move(ca), clock, capacity)) {}

Result<net::TlsContextPtr> LeafCache::contextFor(std::string_view host) {
  Impl& impl = *impl_;
  const std::string key = cacheKey(host);
  std::unique_lock lock(impl.mutex);
  while (true) {
    if (auto it = impl.entries.find(key);
        it != impl.entries.end() && impl.clock.now() < it->second.renewAt) {
      ++impl.hits;
      impl.touch(it->second);
      return it->second.context;
    }
    if (!impl.issuing.contains(key)) {
      break;
    }
    // Another thread is making this host's leaf: key generation and signing cost about a
    // millisecond, and a burst of CONNECTs to one host should pay it once.
    impl.issuedOne.wait(lock);
  }
  impl.issuing.insert(key);
  // Whatever happens below, even an exception, the host leaves `issuing` and the waiters wake:
  // otherwise they would wait for ever. Runs with the lock held (locked again before leaving).
  struct IssuingGuard {
    Impl& impl;
    const std::string& key;
    ~IssuingGuard() {
      impl.issuing.erase(key);
      impl.issuedOne.notify_all();
    }
  };
  // Declared before `relock` so that it is destroyed after it, with the lock held.
  const IssuingGuard issuing{impl, key};
  lock.unlock();
  struct Relock {
    std::unique_lock<std::mutex>& lock;
    ~Relock() {
      if (!lock.owns_lock()) {
        lock.lock();
      }
    }
  } relock{lock};

  // Issued outside the lock so that other hosts are served meanwhile.
  const SystemTime now = impl.clock.now();
  Result<net::TlsContextPtr> context = fail(ErrorCode::kInternal, "no leaf");
  SystemTime notAfter{};
  if (auto leaf = impl.ca->issueLeaf(key, now); !leaf) {
    context = std::move(leaf).error();
  } else {
    notAfter = leaf->notAfter;
    context = makeLeafContext(*leaf);
  }

  lock.lock();
  if (!context) {
    // A renewal that failed still leaves a leaf that verifiers accept until its notAfter: keep
    // serving it rather than break the host early.
    if (auto it = impl.entries.find(key);
        it != impl.entries.end() && impl.clock.now() < it->second.notAfter) {
      ++impl.hits;
      impl.touch(it->second);
      return it->second.context;
    }
    return context;
  }
  ++impl.issued;
  Impl::Entry entry;
  entry.context = *context;
  entry.notAfter = notAfter;
  // Renewed once less than a quarter of the leaf's lifetime remains, so that a connection set up
  // just before renewal still has hours of validity left.
  entry.renewAt = now + (notAfter - now) * 3 / 4;
  impl.store(key, std::move(entry));
  return context;
}

LeafCacheStats LeafCache::stats() const {
  std::lock_guard lock(impl_->mutex);
  LeafCacheStats out;
  out.entries = impl_->entries.size();
  out.issued = impl_->issued;
  out.hits = impl_->hits;
  return out;
}

}  // namespace tessera::edge
