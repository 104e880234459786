// A per-thread cache of EVP_PKEY_CTX objects already initialised for verifying with one key and
// one algorithm. Creating and initialising a context costs as much as a third of an RSA-2048
// verification in OpenSSL 3; jws.cpp reuses them so that a JWT verification stays within 10% of
// OpenSSL's raw verify rate. Internal to src/jose.
#pragma once

#include <openssl/evp.h>

#include "common/result.hpp"
#include "jose/algorithm.hpp"

namespace tessera::jose::detail {

using ConfigureVerifyContext = Result<void> (*)(EVP_PKEY_CTX* ctx, Algorithm alg);

// A context for (pkey, alg) owned by the calling thread's cache; configure() is called once when
// it is created (after EVP_PKEY_verify_init). The cache holds a reference on pkey, so a cached
// entry can never outlive its key. Null on OpenSSL failure.
EVP_PKEY_CTX* verifyContextFor(EVP_PKEY* pkey, Algorithm alg, ConfigureVerifyContext configure);

// Drops the cached context for (pkey, alg) (after a failed verification, so that no state of a
// failed operation is carried over).
void discardVerifyContext(EVP_PKEY* pkey, Algorithm alg) noexcept;

}  // namespace tessera::jose::detail
