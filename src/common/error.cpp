#include "common/error.hpp"

namespace tessera {

std::string_view errorCodeName(ErrorCode code) noexcept {
  switch (code) {
#define X(name, wire, status) \
  case ErrorCode::name:       \
    return wire;
#include "common/error_codes.def"
#undef X
  }
  return "unknown";
}

int httpStatusFor(ErrorCode code) noexcept {
  switch (code) {
#define X(name, wire, status) \
  case ErrorCode::name:       \
    return status;
#include "common/error_codes.def"
#undef X
  }
  return 500;
}

std::string Error::describe() const {
  std::string out(errorCodeName(code));
  out += ": ";
  out += message;
  return out;
}

}  // namespace tessera
