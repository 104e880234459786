// LeafCache: the TLS server contexts the edge presents to workloads when it decrypts, one per
// exact host, made on demand from the EdgeCa and kept (bounded, LRU) until shortly before the
// leaf expires. Thread-safe; called by the HTTP proxy on CONNECT to a decrypted host.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "crypto/edge_ca.hpp"
#include "net/tls_context.hpp"

namespace tessera::edge {

struct LeafCacheStats {
  std::size_t entries = 0;
  std::uint64_t issued = 0;  // leaves made (misses and renewals)
  std::uint64_t hits = 0;
};

class LeafCache {
 public:
  LeafCache(std::shared_ptr<const crypto::EdgeCa> ca, const Clock& clock,
            std::size_t capacity = 1024);
  // A server context (TLS 1.2+, the leaf and the CA as its chain) for `host`.
  Result<net::TlsContextPtr> contextFor(std::string_view host);
  LeafCacheStats stats() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace tessera::edge
