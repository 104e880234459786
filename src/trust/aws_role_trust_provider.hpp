// TrustProvider type "aws-role": a workload proves its AWS identity (an assumed role or an IAM
// user) with an sts:GetCallerIdentity request that it signed but did not send. The hub checks the
// request (prepareReplay: an allowlisted STS endpoint, nothing but GetCallerIdentity, this hub's
// X-Tessera-Server-ID signed in, a fresh X-Amz-Date), sends it to STS itself, and reads who AWS
// says signed it (identityFromResponse). This is the scheme of Vault's AWS IAM auth method. The
// class does no I/O: the hub's access pipeline does the HTTP between the two calls.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "net/url.hpp"
#include "trust/trust_provider.hpp"

namespace tessera::trust {

// The header that binds a signed request to one hub: a request signed for another server id
// cannot be replayed here, and one signed for this hub cannot be replayed at another.
inline constexpr std::string_view kAwsServerIdHeader = "X-Tessera-Server-ID";
inline constexpr std::chrono::seconds kDefaultMaxStsRequestAge{300};
inline constexpr std::size_t kMaxStsResponseBytes = 64 * 1024;

// The STS endpoints a request may target when the spec names none: the global endpoint and the
// regional endpoints of the commercial (aws) partition. The one list of them.
const std::vector<std::string>& defaultStsEndpoints();

// What the hub sends to STS: the evidence's request, checked, reduced to the headers that
// matter (the HTTP client sets Host and Content-Length itself). Send it without following
// redirects (a redirect would leave the allowlist) and with a response limit a little above
// kMaxStsResponseBytes, so that identityFromResponse sees an oversized answer as such.
struct StsReplay {
  std::string method, url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  SystemTime signedAt;
};

class AwsRoleTrustProvider : public TrustProvider {
 public:
  explicit AwsRoleTrustProvider(std::string name);

  EvidenceKind evidenceKind() const override { return EvidenceKind::kAwsGetCallerIdentity; }

  // The pure checks before any replay. kEvidenceInvalid naming the check that failed (never the
  // Authorization value or the signature); kTokenExpired / kTokenNotYetValid when X-Amz-Date is
  // more than maxRequestAge before / after `now`; kInternal when `serverId` is empty.
  Result<StsReplay> prepareReplay(const AwsSignedRequest& request, std::string_view serverId,
                                  SystemTime now) const;

  // Reads STS's answer to the replay. 200: a GetCallerIdentityResponse, then the rules. An AWS
  // error: kEvidenceInvalid naming the AWS code (the signature, the credentials or the session
  // were refused), kUnavailable for 5xx and throttling. kHttpResponseTooLarge / kHttpUpstream
  // when STS's answer cannot be read.
  Result<VerifiedIdentity> identityFromResponse(const StsReplay& replay, int status,
                                                std::string_view body) const;

  std::chrono::seconds maxRequestAge() const { return maxRequestAge_; }

 protected:
  Result<void> configure(const nlohmann::json& spec) override;
  std::string_view attributePrefix() const override { return "aws"; }

 private:
  Error refuse(ErrorCode code, std::string_view message) const;

  std::vector<net::Url> endpoints_;
  std::chrono::seconds maxRequestAge_ = kDefaultMaxStsRequestAge;
};

}  // namespace tessera::trust
