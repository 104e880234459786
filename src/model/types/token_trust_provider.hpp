// The schema shared by trust providers that verify a signed JWT (generic OIDC, Kubernetes,
// GitHub Actions, GitLab CI): issuer, audiences, where the keys come from, and match rules.
#pragma once

#include "model/spec_schema.hpp"

namespace tessera::model {

// `issuerRequired` false for providers with a well-known default issuer.
Schema tokenTrustProviderSchema(bool issuerRequired, std::string description,
                                std::string rulesDescription);

}  // namespace tessera::model
