// Collects every rejected field of one input (a document, an API body) with its JSON pointer, so
// that an operator sees all problems at once. Used by the model's validation; becomes an Error
// whose `fields` the admin API returns as `details`.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"

namespace tessera::model {

// `base` + "/" + the RFC 6901 escape of `token` ("~" -> "~0", "/" -> "~1").
std::string pointerAppend(std::string_view base, std::string_view token);
std::string pointerAppend(std::string_view base, std::size_t index);

class FieldErrors {
 public:
  // Keeps at most kMaxErrors; the rest are counted.
  static constexpr std::size_t kMaxErrors = 50;

  void add(std::string pointer, std::string reason);
  bool empty() const noexcept { return errors_.empty(); }
  std::size_t size() const noexcept { return errors_.size() + dropped_; }
  const std::vector<FieldError>& items() const noexcept { return errors_; }

  // kInvalidArgument (or `code`) with "<what>: /spec/port: must be at most 65535; ..." and the
  // fields attached.
  Error toError(std::string_view what, ErrorCode code = ErrorCode::kInvalidArgument) const;

 private:
  std::vector<FieldError> errors_;
  std::size_t dropped_ = 0;
};

}  // namespace tessera::model
