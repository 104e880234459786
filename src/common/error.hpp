// Error: a typed error code plus a message for operators. Every expected failure in Tessera is an
// Error carried by Result<T>; the code table (error_codes.def) also fixes each code's HTTP status.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tessera {

enum class ErrorCode : std::uint16_t {
#define X(name, wire, status) name,
#include "common/error_codes.def"
#undef X
};

// Stable wire name of a code, e.g. "token_expired".
std::string_view errorCodeName(ErrorCode code) noexcept;

// The HTTP status an API answers with for a code. The only mapping from errors to statuses.
int httpStatusFor(ErrorCode code) noexcept;

// One rejected input field: where (a JSON pointer, RFC 6901, e.g. "/spec/port") and why.
struct FieldError {
  std::string pointer;
  std::string reason;
};

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  // For rejected input: every offending field (the message names the first ones).
  std::vector<FieldError> fields{};

  // "token_expired: token expired at ..." — for logs and CLI output.
  std::string describe() const;
};

inline Error makeError(ErrorCode code, std::string message) {
  return Error{code, std::move(message)};
}

}  // namespace tessera
