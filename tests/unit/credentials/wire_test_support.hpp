// Helpers for the wire codec tests: reading back the form bodies the codecs build.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/http_client.hpp"
#include "net/http_types.hpp"

namespace tessera::credentials::test {

// The decoded form fields of a request body (fails the test when the body is not a form).
inline net::QueryParams formFields(const net::ClientRequest& request) {
  auto fields = net::parseQuery(request.body);
  EXPECT_TRUE(fields.has_value()) << "not a form body";
  return fields.value_or(net::QueryParams{});
}

// Every value of a field, in order.
inline std::vector<std::string> fieldValues(const net::QueryParams& fields, std::string_view name) {
  std::vector<std::string> out;
  for (const auto& [k, v] : fields) {
    if (k == name) {
      out.push_back(v);
    }
  }
  return out;
}

// The single value of a field; nullopt when absent (fails the test when repeated).
inline std::optional<std::string> field(const net::QueryParams& fields, std::string_view name) {
  const auto values = fieldValues(fields, name);
  EXPECT_LE(values.size(), 1u) << name << " repeated";
  if (values.empty()) {
    return std::nullopt;
  }
  return values.front();
}

inline std::vector<std::string> fieldNames(const net::QueryParams& fields) {
  std::vector<std::string> out;
  for (const auto& [k, v] : fields) {
    out.push_back(k);
  }
  return out;
}

}  // namespace tessera::credentials::test
