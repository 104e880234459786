// Cryptographically secure random bytes and identifiers (OpenSSL's DRBG).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace tessera::crypto {

std::vector<unsigned char> randomBytes(std::size_t n);
// n random bytes as unpadded base64url; for ids, key ids and tokens.
std::string randomToken(std::size_t n);

}  // namespace tessera::crypto
