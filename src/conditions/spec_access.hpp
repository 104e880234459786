// Small readers for the (already validated) condition specs, shared by the condition types'
// compile functions. Validation already guarantees the shapes; these still check instead of
// throwing, so that a spec that bypassed validation is an error value, not a crash.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "common/result.hpp"

namespace tessera::conditions::detail {

// kInvalidArgument with one field error at `pointer`.
Error specError(const std::string& pointer, const std::string& reason);

// The string member `key` of `object`, located at `pointer` for errors.
Result<std::string> stringAt(const nlohmann::json& object, const std::string& key,
                             const std::string& pointer);

// The array of strings `key` of `object`; empty when absent.
Result<std::vector<std::string>> stringsAt(const nlohmann::json& object, const std::string& key,
                                           const std::string& pointer);

// Printable, bounded text of an untrusted value for a reason (the source address comes from the
// edge and ends up in the audit trail).
std::string quoted(std::string_view untrusted);

}  // namespace tessera::conditions::detail
