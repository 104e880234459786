#include "model/field_errors.hpp"

namespace tessera::model {

std::string pointerAppend(std::string_view base, std::string_view token) {
  std::string out(base);
  out += '/';
  for (char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

std::string pointerAppend(std::string_view base, std::size_t index) {
  return pointerAppend(base, std::to_string(index));
}

void FieldErrors::add(std::string pointer, std::string reason) {
  if (errors_.size() >= kMaxErrors) {
    ++dropped_;
    return;
  }
  errors_.push_back(FieldError{std::move(pointer), std::move(reason)});
}

Error FieldErrors::toError(std::string_view what, ErrorCode code) const {
  constexpr std::size_t kInMessage = 3;
  std::string message(what);
  message += ": ";
  for (std::size_t i = 0; i < errors_.size() && i < kInMessage; ++i) {
    if (i > 0) {
      message += "; ";
    }
    message += (errors_[i].pointer.empty() ? "/" : errors_[i].pointer) + ": " + errors_[i].reason;
  }
  if (size() > kInMessage) {
    message += " (and " + std::to_string(size() - kInMessage) + " more)";
  }
  Error e{code, std::move(message)};
  e.fields = errors_;
  return e;
}

}  // namespace tessera::model
