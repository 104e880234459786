#include "jose/verify_context_cache.hpp"

#include <array>

namespace tessera::jose::detail {

namespace {

constexpr std::size_t kEntriesPerThread = 32;

struct Entry {
  EVP_PKEY* pkey = nullptr;  // one reference held
  Algorithm alg = Algorithm::kRs256;
  EVP_PKEY_CTX* ctx = nullptr;

  void reset() noexcept {
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(pkey);
    ctx = nullptr;
    pkey = nullptr;
  }
};

class Cache {
 public:
  ~Cache() {
    for (auto& e : entries_) {
      e.reset();
    }
  }
  Entry* find(EVP_PKEY* pkey, Algorithm alg) noexcept {
    for (auto& e : entries_) {
      if (e.pkey == pkey && e.alg == alg) {
        return &e;
      }
    }
    return nullptr;
  }
  // Round-robin replacement: keys in use are few (one issuer's current keys), so recency
  // tracking would cost more than it saves.
  Entry& slot() noexcept {
    Entry& e = entries_[next_];
    next_ = (next_ + 1) % kEntriesPerThread;
    e.reset();
    return e;
  }

 private:
  std::array<Entry, kEntriesPerThread> entries_{};
  std::size_t next_ = 0;
};

thread_local Cache cache;

}  // namespace

EVP_PKEY_CTX* verifyContextFor(EVP_PKEY* pkey, Algorithm alg, ConfigureVerifyContext configure) {
  if (Entry* hit = cache.find(pkey, alg)) {
    return hit->ctx;
  }
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr);
  if (ctx == nullptr || EVP_PKEY_verify_init(ctx) != 1 || !configure(ctx, alg)) {
    EVP_PKEY_CTX_free(ctx);
    return nullptr;
  }
  if (EVP_PKEY_up_ref(pkey) != 1) {
    EVP_PKEY_CTX_free(ctx);
    return nullptr;
  }
  Entry& e = cache.slot();
  e.pkey = pkey;
  e.alg = alg;
  e.ctx = ctx;
  return ctx;
}

void discardVerifyContext(EVP_PKEY* pkey, Algorithm alg) noexcept {
  if (Entry* hit = cache.find(pkey, alg)) {
    hit->reset();
  }
}

}  // namespace tessera::jose::detail
