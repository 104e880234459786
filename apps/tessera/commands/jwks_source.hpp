// Loading a JWKS for the CLI from a file or an http(s) URL (size-limited, TLS verified).
#pragma once

#include <string>

#include "common/result.hpp"
#include "jose/jwk.hpp"

namespace tessera::cli {

// `source` is a path, or an https:// URL (http:// only on loopback). caFile: optional CA bundle.
Result<jose::Jwks> loadJwks(const std::string& source, const std::string& caFile);

}  // namespace tessera::cli
