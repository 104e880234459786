// Internal: the immutable state behind a Jwk, shared by jwk.cpp, jwks.cpp and jws.cpp.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "crypto/openssl_ptr.hpp"
#include "jose/algorithm.hpp"
#include "jose/jwk.hpp"

namespace tessera::jose {

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
};

}  // namespace tessera::jose
