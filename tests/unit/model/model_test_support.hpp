// Helpers shared by the model unit tests: validate a spec or a document and look errors up by
// JSON pointer.
#pragma once

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "model/config_object.hpp"
#include "model/field_errors.hpp"
#include "model/kind.hpp"
#include "model/spec_registry.hpp"

namespace tessera::model::testing {

using nlohmann::json;

// Every error of `spec` as the spec of a `kind` object, under "/spec".
inline std::vector<FieldError> specErrors(Kind kind, const json& spec) {
  FieldErrors errors;
  SpecRegistry::builtin().validateSpec(kind, spec, "/spec", errors);
  return errors.items();
}

// The pointers of `errors`, in order.
inline std::vector<std::string> pointersOf(const std::vector<FieldError>& errors) {
  std::vector<std::string> out;
  for (const auto& e : errors) {
    out.push_back(e.pointer);
  }
  return out;
}

// The reason at `pointer`, or "" when there is none.
inline std::string reasonAt(const std::vector<FieldError>& errors, const std::string& pointer) {
  for (const auto& e : errors) {
    if (e.pointer == pointer) {
      return e.reason;
    }
  }
  return "";
}

// Expects exactly one error, at `pointer`, whose reason contains `reasonPart`.
inline void expectOnlyError(const std::vector<FieldError>& errors, const std::string& pointer,
                            const std::string& reasonPart) {
  ASSERT_EQ(errors.size(), 1u)
      << (errors.empty()
              ? std::string("no errors")
              : errors[0].pointer + ": " + errors[0].reason +
                    (errors.size() > 1 ? "; " + errors[1].pointer + ": " + errors[1].reason : ""));
  EXPECT_EQ(errors[0].pointer, pointer);
  EXPECT_NE(errors[0].reason.find(reasonPart), std::string::npos)
      << "reason: " << errors[0].reason << "; expected to contain: " << reasonPart;
}

inline ConfigObject makeObject(Kind kind, std::string name, json spec) {
  ConfigObject o;
  o.kind = kind;
  o.metadata.name = std::move(name);
  o.spec = std::move(spec);
  return o;
}

// Valid specs of each kind.
inline json serverSpec(std::string host = "api.example.com") {
  return {{"host", std::move(host)},
          {"port", 443},
          {"protocol", "http"},
          {"authentication", {{"method", "bearer"}}}};
}
inline json clientSpec(std::string ns = "payments") {
  return {{"match", {{"attribute", "k8s.namespace"}, {"equals", std::move(ns)}}}};
}
inline json oidcTrustSpec() {
  return {{"type", "oidc"},
          {"issuer", "https://issuer.example.com"},
          {"audiences", json::array({"tessera"})}};
}
inline json networkConditionSpec() {
  return {{"type", "network"}, {"allow", json::array({"10.0.0.0/8"})}};
}
inline json apiKeySpec(std::string value = "s3cr3t") {
  return {{"type", "static-secret"}, {"secretType", "api-key"}, {"value", std::move(value)}};
}
inline json policySpec(std::string client = "payments", std::string trust = "k8s",
                       std::string credential = "api-key", std::string server = "api") {
  return {{"clientWorkloads", json::array({std::move(client)})},
          {"trustProviders", {{"match", "any"}, {"names", json::array({std::move(trust)})}}},
          {"credentialProvider", std::move(credential)},
          {"serverWorkload", std::move(server)}};
}

}  // namespace tessera::model::testing
