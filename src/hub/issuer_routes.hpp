// The hub as an OIDC issuer: /.well-known/openid-configuration and /jwks under the issuer URL's
// path. Relying parties (AWS IAM OIDC providers, GCP workload identity pools, Entra federated
// credentials, any OIDC library) discover the hub and fetch its keys here. Added by Hub.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "common/clock.hpp"
#include "hub/key_manager.hpp"
#include "net/router.hpp"

namespace tessera::hub {

// The discovery document for `issuer` (RFC 8414 / OpenID Connect Discovery 1.0).
nlohmann::json discoveryDocument(const std::string& issuer,
                                 const std::vector<std::string>& algorithms);

// The path part of the issuer URL ("" for "https://hub.example.com", "/tenant-a" for
// "https://hub.example.com/tenant-a"); routes live under it.
std::string issuerPathPrefix(const std::string& issuer);

void addIssuerRoutes(net::Router& router, const std::string& issuer, const KeyManager& keys,
                     const Clock& clock);

}  // namespace tessera::hub
