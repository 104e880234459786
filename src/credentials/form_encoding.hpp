// application/x-www-form-urlencoded bodies for the token endpoints the credential providers call
// (AWS STS Query API, Google STS, Entra, OAuth 2.0 servers). Called by the *_wire codecs.
#pragma once

#include <string>
#include <string_view>

#include "net/http_types.hpp"

namespace tessera::credentials {

inline constexpr std::string_view kFormContentType = "application/x-www-form-urlencoded";

// One name or value in the form encoding (WHATWG URL, RFC 6749 Appendix B): RFC 3986 unreserved
// characters stay, space becomes '+', every other byte becomes %XX.
std::string formEncode(std::string_view in);

// "a=1&b=x+y" from the fields in order (names may repeat).
std::string formBody(const net::QueryParams& fields);

}  // namespace tessera::credentials
