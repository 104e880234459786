// Grant: what the hub gave the edge for one target and one workload — the credential fields, how
// to inject them, and when to refresh — parsed from a POST /v1/access answer. Read by every
// injector (HTTP, SigV4, PostgreSQL) and metadata emulator; produced by GrantSource.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.hpp"
#include "common/result.hpp"

namespace tessera::edge {

// Where a workload wants to go, as the edge saw it.
struct Target {
  std::string host;  // lower-case host name or IP literal (no brackets)
  std::uint16_t port = 0;
  std::string protocol;  // "http", "postgres", ... (server workload protocols)
};

// What the edge knows about the workload asking (sent as the access request's context).
struct ClientContext {
  std::string sourceIp{};
};

// The server workload's `authentication` object: how the credential goes on the wire.
struct Injection {
  std::string method;       // bearer | header | query | basic | aws-sigv4 | password | none
  std::string header{};     // method header
  std::string prefix{};     // method header: text before the value
  std::string parameter{};  // method query
};

struct Grant {
  // Credential type and fields exactly as the hub sent them: "aws" {accessKeyId,
  // secretAccessKey, sessionToken}, "id-token"/"bearer-token" {token}, "gcp"/"azure"/"oauth"
  // {accessToken, tokenType}, "api-key" {apiKey}, "username-password" {username, password}.
  std::string credentialType;
  std::map<std::string, std::string> fields;
  Injection injection;
  SystemTime expiresAt{};
  SystemTime refreshAt{};
  std::string contextId{};
  std::string serverWorkload{};
  std::string policy{};

  // A credential field, or nullopt.
  std::optional<std::string_view> field(std::string_view name) const;
  // The single secret that bearer/header/query injection puts on the wire: token, accessToken
  // or apiKey, whichever the credential has; nullopt for other credential types.
  std::optional<std::string_view> secretValue() const;
  // A non-reversible name of the credential material, for logs.
  std::string fingerprint() const;
};

// Parses a POST /v1/access answer. An authorized answer with a grant gives the Grant; an
// unauthorized one gives kPermissionDenied whose message is "<reasonCode>: <reason> (context
// <contextId>)"; an `error` outcome gives kUnavailable with the hub's reason; a malformed
// answer gives kHttpUpstream naming the field.
Result<Grant> parseAccessAnswer(const nlohmann::json& answer);

}  // namespace tessera::edge
