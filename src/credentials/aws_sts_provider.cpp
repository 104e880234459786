// CredentialProvider type "aws-sts": temporary AWS credentials through AssumeRoleWithWebIdentity.
// The hub signs a short web identity token (iss = the hub issuer, aud = sts.amazonaws.com, RS256,
// sub = the client workload) that the account's IAM OIDC provider for the hub trusts, and STS
// answers with the role's session credentials. No AWS secret is stored anywhere.
#include "credentials/aws_sts_wire.hpp"
#include "credentials/provider_types.hpp"
#include "credentials/upstream_call.hpp"

#if defined(__GNUC__) && !defined(__clang__)
// GCC 12 at -O2: Boost.Asio coroutine frames' sized delete reported as mismatched (false
// positive; see hub/access_service.cpp).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace tessera::credentials {

namespace {
constexpr std::string_view kDefaultRegion = "us-east-1";
constexpr std::int64_t kDefaultDurationSeconds = 3600;
// The web identity token only has to reach STS: a few minutes of life is plenty.
constexpr Seconds kWebIdentityTokenLifetime{300};

class AwsStsProvider final : public CredentialProvider {
 public:
  explicit AwsStsProvider(std::string name) : CredentialProvider(std::move(name), "aws-sts") {}

  boost::asio::awaitable<Result<Credential>> issue(GrantRequest request) const override {
    // The client workload is what the hub vouches for, and what a role's trust policy names
    // (<issuer>:sub); the session name carries the verified subject for CloudTrail.
    const std::string subject = workloadSubject(request);
    auto token = signAsHub(awsWebIdentityTokenClaims(services_->issuer, subject, request.now,
                                                     kWebIdentityTokenLifetime),
                           "the web identity token");
    if (!token) {
      co_return token.error();
    }
    AssumeRoleWithWebIdentityRequest call;
    call.endpoint = endpoint_;
    call.roleArn = roleArn_;
    call.roleSessionName =
        deriveRoleSessionName(request.subject.empty() ? subject : request.subject);
    call.webIdentityToken = std::move(*token);
    call.duration = duration_;
    call.policy = sessionPolicy_;
    auto built = buildAssumeRoleWithWebIdentity(call);
    if (!built) {
      co_return built.error();
    }
    auto credentials = co_await callUpstream<AwsStsCredentials>(
        *services_->http, "AWS STS", std::move(*built), readAssumeRoleWithWebIdentityResponse);
    if (credentials) {
      co_return toCredential(*credentials, request.now);
    }
    const Error& last = credentials.error();
    co_return Error{last.code, "AssumeRoleWithWebIdentity for " + roleArn_ + ": " + last.message};
  }

 private:
  Result<void> configure(const nlohmann::json& spec) override {
    roleArn_ = spec.at("roleArn").get<std::string>();
    const std::string region = spec.value("region", std::string(kDefaultRegion));
    if (const auto endpoint = spec.find("endpoint"); endpoint != spec.end()) {
      endpoint_ = endpoint->get<std::string>();
    } else {
      auto regional = awsStsRegionalEndpoint(region);
      if (!regional) {
        return Error{ErrorCode::kConfigInvalid, "/spec/region: " + regional.error().message};
      }
      endpoint_ = std::move(*regional);
    }
    if (auto usable = checkEndpoint("AWS STS", endpoint_); !usable) {
      return Error{ErrorCode::kConfigInvalid, "/spec/endpoint: " + usable.error().message};
    }
    duration_ = Seconds(spec.value("durationSeconds", kDefaultDurationSeconds));
    if (const auto policy = spec.find("sessionPolicy"); policy != spec.end()) {
      sessionPolicy_ = policy->get<std::string>();
    }
    return {};
  }

  static Credential toCredential(const AwsStsCredentials& aws, SystemTime now) {
    Credential credential;
    credential.type = "aws";
    credential.fields.emplace("accessKeyId", aws.accessKeyId);
    credential.fields.emplace("secretAccessKey", aws.secretAccessKey);
    credential.fields.emplace("sessionToken", aws.sessionToken);
    credential.fields.emplace("assumedRoleArn", aws.assumedRoleArn);
    credential.issuedAt = now;
    credential.expiresAt = aws.expiration;
    return credential;
  }

  std::string roleArn_;
  std::string endpoint_;
  Seconds duration_{kDefaultDurationSeconds};
  std::optional<std::string> sessionPolicy_;
};
}  // namespace

std::unique_ptr<CredentialProvider> makeAwsStsProvider(std::string name) {
  return std::make_unique<AwsStsProvider>(std::move(name));
}

}  // namespace tessera::credentials
