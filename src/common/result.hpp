// Result<T>: the value of an operation that can fail in an expected way, or the Error saying why.
// Used by every layer instead of exceptions (exceptions are for start-up and programming errors).
#pragma once

#include <cassert>
#include <type_traits>
#include <utility>
#include <variant>

#include "common/error.hpp"

namespace tessera {

template <typename T>
class [[nodiscard]] Result {
 public:
  using value_type = T;

  template <typename U = T>
  requires std::is_constructible_v<T, U&&> &&
      (!std::is_same_v<std::decay_t<U>, Error>)&&(!std::is_same_v<std::decay_t<U>, Result>)
          Result(U&& value)
      : state_(std::in_place_index<0>, std::forward<U>(value)) {}            // NOLINT
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(state_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(state_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(state_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& {
    assert(!ok());
    return std::get<1>(state_);
  }
  Error&& error() && {
    assert(!ok());
    return std::get<1>(std::move(state_));
  }

 private:
  std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  using value_type = void;

  Result() = default;
  Result(Error error) : error_(std::move(error)), failed_(true) {}  // NOLINT

  bool ok() const noexcept { return !failed_; }
  explicit operator bool() const noexcept { return ok(); }
  void value() const { assert(ok()); }

  const Error& error() const& {
    assert(!ok());
    return error_;
  }
  Error&& error() && {
    assert(!ok());
    return std::move(error_);
  }

 private:
  Error error_;
  bool failed_ = false;
};

// fail(code, message): shorthand for returning an Error from a function that returns Result<T>.
inline Error fail(ErrorCode code, std::string message) {
  return Error{code, std::move(message)};
}

}  // namespace tessera

// Early returns for functions returning Result<U>: propagate the Error of a failed Result.
#define TESSERA_RETURN_IF_ERROR(expr)           \
  do {                                          \
    auto tesseraResult_ = (expr);               \
    if (!tesseraResult_) {                      \
      return std::move(tesseraResult_).error(); \
    }                                           \
  } while (false)

#define TESSERA_ASSIGN_OR_RETURN(target, expr)  \
  do {                                          \
    auto tesseraResult_ = (expr);               \
    if (!tesseraResult_) {                      \
      return std::move(tesseraResult_).error(); \
    }                                           \
    target = std::move(*tesseraResult_);        \
  } while (false)

#define TESSERA_CONCAT_INNER_(a, b) a##b
#define TESSERA_CONCAT_(a, b) TESSERA_CONCAT_INNER_(a, b)

// Declares `decl` (e.g. `auto plan`, `const int n`) from the value of a Result, or returns its
// Error. A statement, not an expression: one per line.
#define TESSERA_DECLARE_OR_RETURN(decl, expr)                              \
  auto TESSERA_CONCAT_(tesseraDeclared_, __LINE__) = (expr);               \
  if (!TESSERA_CONCAT_(tesseraDeclared_, __LINE__)) {                      \
    return std::move(TESSERA_CONCAT_(tesseraDeclared_, __LINE__)).error(); \
  }                                                                        \
  decl = std::move(*TESSERA_CONCAT_(tesseraDeclared_, __LINE__))
