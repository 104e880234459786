// libFuzzer target for the access API's evidence parsing: the input is JSON text for the
// `evidence` member. Nothing may crash; what parses respects every limit; reading the unverified
// issuer and kid of any input (used to pick a token for a provider) never crashes either.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "trust/evidence.hpp"

namespace {

using namespace tessera;
using namespace tessera::trust;

void check(bool condition) {
  if (!condition) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  (void)unverifiedIssuer(input);
  (void)unverifiedKid(input);
  const auto json = nlohmann::json::parse(input, nullptr, false);
  if (json.is_discarded()) {
    return 0;
  }
  auto evidence = parseEvidence(json, "/evidence");
  if (!evidence) {
    check(evidence.error().code == ErrorCode::kInvalidArgument);
    check(!evidence.error().fields.empty());
    return 0;
  }
  check(evidence->tokens.size() <= kMaxEvidenceTokens);
  for (const auto& token : evidence->tokens) {
    check(!token.empty() && token.size() <= kMaxEvidenceTokenBytes);
    (void)unverifiedIssuer(token);
    (void)unverifiedKid(token);
  }
  if (evidence->awsGetCallerIdentity) {
    check(evidence->awsGetCallerIdentity->headers.size() <= kMaxSignedRequestHeaders);
  }
  if (evidence->azureAttestedDocument) {
    check(evidence->azureAttestedDocument->encoding == "pkcs7");
  }
  return 0;
}
