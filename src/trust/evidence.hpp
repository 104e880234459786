// Evidence: what an edge collected from the workload beside it, as it arrives in the access API's
// `evidence` member. Each trust provider type reads one kind of evidence; a token provider picks
// the token whose (unverified) issuer is its own. Parsed and size-checked here, verified by the
// trust providers. Used by the hub's access API.
//
//   "evidence": {
//     "tokens": ["eyJ..."],                               // JWTs: Kubernetes, CI, OIDC, GCP
//     "awsGetCallerIdentity": {"method": "POST", "url": "https://sts.amazonaws.com/",
//                              "headers": {"Authorization": "...", ...}, "body": "Action=..."},
//     "awsInstanceIdentity": {"document": "{...}", "rsa2048": "<base64 PKCS#7>"},
//     "azureAttestedDocument": {"encoding": "pkcs7", "signature": "<base64 PKCS#7>"}
//   }
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.hpp"

namespace tessera::trust {

// A SigV4-signed sts:GetCallerIdentity request that the hub replays (AWS role provider).
struct AwsSignedRequest {
  std::string method;
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;  // as signed
  std::string body;
};

// The EC2 instance identity document and its RSA-2048 PKCS#7 signature (base64, no armor).
struct AwsInstanceIdentityEvidence {
  std::string document;  // the exact bytes IMDS served
  std::string rsa2048;
};

// Azure IMDS /metadata/attested/document answer.
struct AzureAttestedEvidence {
  std::string encoding;   // "pkcs7"
  std::string signature;  // base64 PKCS#7 SignedData with the attested JSON attached
};

struct Evidence {
  std::vector<std::string> tokens;
  std::optional<AwsSignedRequest> awsGetCallerIdentity;
  std::optional<AwsInstanceIdentityEvidence> awsInstanceIdentity;
  std::optional<AzureAttestedEvidence> azureAttestedDocument;

  bool empty() const {
    return tokens.empty() && !awsGetCallerIdentity && !awsInstanceIdentity &&
           !azureAttestedDocument;
  }
};

inline constexpr std::size_t kMaxEvidenceTokens = 8;
inline constexpr std::size_t kMaxEvidenceTokenBytes = 16 * 1024;
inline constexpr std::size_t kMaxEvidenceDocumentBytes = 32 * 1024;
inline constexpr std::size_t kMaxSignedRequestHeaders = 32;

// Parses the `evidence` member. kInvalidArgument with one FieldError per bad member (pointers
// relative to `pointer`); unknown members are refused so that a typo is not silently ignored.
Result<Evidence> parseEvidence(const nlohmann::json& evidence, const std::string& pointer);

// The unverified `iss` of a JWT ("" when it is not a readable JWT); only used to choose which
// token a provider verifies, never to trust anything.
std::string unverifiedIssuer(std::string_view token);
// The unverified header `kid` ("" when absent or unreadable): which key to ask the cache for.
std::string unverifiedKid(std::string_view token);

}  // namespace tessera::trust
