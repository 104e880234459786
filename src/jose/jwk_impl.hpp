// Internal: the immutable state behind a Jwk, shared by jwk.cpp, jwks.cpp and jws.cpp.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crypto/openssl_ptr.hpp"
#include "jose/algorithm.hpp"
#include "jose/jwk.hpp"

namespace tessera::jose {

// Verify-initialized EVP_PKEY_CTX templates, one per algorithm, created on first use and shared by
// all threads; each verification works on an EVP_PKEY_CTX_dup of one (cheap), never on the
// template.
struct VerifyContextCache {
  std::array<std::atomic<EVP_PKEY_CTX*>, kAllAlgorithms.size()> templates{};
  VerifyContextCache() = default;
  VerifyContextCache(const VerifyContextCache&) = delete;
  VerifyContextCache& operator=(const VerifyContextCache&) = delete;
  ~VerifyContextCache() {
    for (auto& t : templates) {
      EVP_PKEY_CTX_free(t.load(std::memory_order_acquire));
    }
  }
};

struct Jwk::Impl {
  crypto::PkeyPtr pkey;
  KeyType type = KeyType::kRsa;
  Curve curve = Curve::kNone;
  int bits = 0;
  bool isPrivate = false;
  std::string kid;
  std::optional<Algorithm> alg;
  std::string use;
  std::vector<std::string> keyOps;
  // Derived by Jwk::finish: public members (base64url) and the RFC 7638 thumbprint.
  std::string n, e;  // RSA
  std::string x, y;  // EC (x, y), OKP (x)
  std::string thumbprint;
  std::unique_ptr<VerifyContextCache> verifyCache = std::make_unique<VerifyContextCache>();
  // Process-unique, never reused: identifies this key material in per-thread caches.
  std::uint64_t id = nextId();

  static std::uint64_t nextId() noexcept {
    static std::atomic<std::uint64_t> counter{1};
    return counter.fetch_add(1, std::memory_order_relaxed);
  }
};

// Internal access to a Jwk's state for jws.cpp.
struct JwkAccess {
  static const Jwk::Impl& impl(const Jwk& jwk) noexcept { return *jwk.impl_; }
};

}  // namespace tessera::jose
