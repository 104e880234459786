// Quoting attacker-controlled text (kid, typ, iss, JWK members...) for error messages in
// src/jose: quoted, cut short, control characters and quotes replaced.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace tessera::jose::detail {

std::string quoteForMessage(std::string_view s, std::size_t max = 64);

}  // namespace tessera::jose::detail
