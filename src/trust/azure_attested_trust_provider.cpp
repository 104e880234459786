// TrustProvider type "azure-attested": Azure IMDS attested data. The PKCS#7 SignedData carries
// the JSON it attests and its signer's certificate; the signer must chain to the spec's CAs at
// `now` and be named one of signerNames. The document must be within its timeStamp window, and
// its nonce, which our edges set to the Unix time they asked at, within maxNonceAgeSeconds of now:
// that nonce is the replay protection. Attributes (azure.*): subscriptionId, vmId, sku,
// licenseType, offer, publisher, planName, planProduct, planPublisher (those present).
#include <algorithm>
#include <cctype>
#include <charconv>

#include "common/time_format.hpp"
#include "crypto/digest.hpp"
#include "crypto/pkcs7.hpp"
#include "jose/json_strict.hpp"
#include "trust/provider_types.hpp"

namespace tessera::trust {

namespace {

constexpr std::string_view kType = "azure-attested";
constexpr Seconds kDefaultMaxNonceAge{300};
// Azure's clock and ours may disagree a little about when the document was created.
constexpr Seconds kCreatedOnLeeway{60};

bool digits(std::string_view s, std::size_t n) {
  return s.size() == n &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

int number(std::string_view s) {
  int v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
std::int64_t daysFromCivil(int y, int m, int d) {
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const int yoe = y - era * 400;
  const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return static_cast<std::int64_t>(era) * 146097 + doe - 719468;
}

}  // namespace

// "11/30/26 06:00:00 -0000": month/day/two-digit year (20YY), time, numeric UTC offset; the
// format the attested document uses, and nothing looser.
Result<SystemTime> parseAzureAttestedTime(std::string_view text) {
  const auto bad = [] {
    return fail(ErrorCode::kEvidenceInvalid,
                "a timeStamp is not of the form MM/DD/YY HH:MM:SS +HHMM");
  };
  if (text.size() != 23 || text[2] != '/' || text[5] != '/' || text[8] != ' ' || text[11] != ':' ||
      text[14] != ':' || text[17] != ' ' || (text[18] != '+' && text[18] != '-')) {
    return bad();
  }
  const auto part = [&](std::size_t at, std::size_t n) { return text.substr(at, n); };
  for (auto [at, n] : {std::pair{0, 2}, {3, 2}, {6, 2}, {9, 2}, {12, 2}, {15, 2}, {19, 4}}) {
    if (!digits(part(at, n), n)) {
      return bad();
    }
  }
  const int month = number(part(0, 2));
  const int day = number(part(3, 2));
  const int year = 2000 + number(part(6, 2));
  const int hour = number(part(9, 2));
  const int minute = number(part(12, 2));
  const int second = number(part(15, 2));
  const int offsetHours = number(part(19, 2));
  const int offsetMinutes = number(part(21, 2));
  static constexpr int kDaysInMonth[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
  if (month < 1 || month > 12 || day < 1 ||
      day > kDaysInMonth[month - 1] + (month == 2 && leap ? 1 : 0) || hour > 23 || minute > 59 ||
      second > 59 || offsetHours > 23 || offsetMinutes > 59) {
    return bad();
  }
  const std::int64_t offset =
      (text[18] == '-' ? -1 : 1) * (offsetHours * 3600 + offsetMinutes * 60);
  const std::int64_t local =
      daysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
  return fromUnixSeconds(local - offset);
}

namespace {

// `pattern` is a name or "*.rest", where the star stands for exactly one label.
bool signerNameMatches(std::string_view pattern, std::string_view name) {
  if (pattern == name) {
    return true;
  }
  if (!pattern.starts_with("*.")) {
    return false;
  }
  const auto dot = name.find('.');
  return dot != std::string_view::npos && dot > 0 && name.substr(dot) == pattern.substr(1) &&
         name.substr(0, dot).find('*') == std::string_view::npos;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) {
    out += (out.empty() ? "" : ", ") + n;
  }
  return out;
}

class AzureAttestedTrustProvider : public TrustProvider {
 public:
  explicit AzureAttestedTrustProvider(std::string name)
      : TrustProvider(std::move(name), std::string(kType)) {}

  EvidenceKind evidenceKind() const override { return EvidenceKind::kAzureAttested; }

  Result<VerifiedIdentity> verifyDocument(const Evidence& evidence, SystemTime now) const override {
    if (!evidence.azureAttestedDocument) {
      return fail(ErrorCode::kEvidenceMissing,
                  "trust provider " + name() + ": the evidence has no azureAttestedDocument");
    }
    VerifiedIdentity identity;
    auto attributes = verify(*evidence.azureAttestedDocument, now, identity);
    if (!attributes) {
      return Error{attributes.error().code,
                   "trust provider " + name() + " (" + type() + "): " + attributes.error().message};
    }
    return applyRules(std::move(identity), std::move(*attributes));
  }

 protected:
  Result<void> configure(const nlohmann::json& spec) override {
    for (const auto& [member, into] :
         {std::pair{"caCertificates", &roots_}, {"intermediateCertificates", &intermediates_}}) {
      for (const auto& pem : spec.value(member, nlohmann::json::array())) {
        auto certificate = crypto::parseCertificatePem(pem.get<std::string>());
        if (!certificate) {
          return fail(ErrorCode::kInvalidArgument,
                      std::string("/spec/") + member + ": " + certificate.error().message);
        }
        into->push_back(std::move(*certificate));
      }
    }
    if (roots_.empty()) {
      return fail(ErrorCode::kInvalidArgument, "/spec/caCertificates is required");
    }
    for (const auto& n : spec.value("signerNames", nlohmann::json::array({"metadata.azure.com"}))) {
      signerNames_.push_back(lower(n.get<std::string>()));
    }
    maxNonceAge_ = Seconds(spec.value("maxNonceAgeSeconds", kDefaultMaxNonceAge.count()));
    return {};
  }

  std::string_view attributePrefix() const override { return "azure"; }

 private:
  using Attributes = std::vector<std::pair<std::string, std::string>>;

  Result<Attributes> verify(const AzureAttestedEvidence& evidence, SystemTime now,
                            VerifiedIdentity& identity) const {
    if (evidence.encoding != "pkcs7") {
      return fail(ErrorCode::kEvidenceInvalid, "encoding must be pkcs7");
    }
    auto der = crypto::base64Decode(evidence.signature);
    if (!der) {
      return fail(ErrorCode::kEvidenceInvalid, "signature: " + der.error().message);
    }
    auto signed_ = crypto::verifyChainedSignedData(*der, roots_, intermediates_, now);
    if (!signed_) {
      return fail(signed_.error().code == ErrorCode::kCryptoFailure ? ErrorCode::kInternal
                                                                    : ErrorCode::kEvidenceInvalid,
                  "signature: " + signed_.error().message);
    }
    std::string signerName;
    for (const auto& n : signed_->signerNames) {
      const std::string candidate = lower(n);
      for (const auto& pattern : signerNames_) {
        if (signerName.empty() && signerNameMatches(pattern, candidate)) {
          signerName = candidate;
        }
      }
    }
    if (signerName.empty()) {
      return fail(ErrorCode::kEvidenceInvalid, "the signer certificate (" + signed_->signerSubject +
                                                   ") is not named one of signerNames [" +
                                                   joined(signerNames_) + "]");
    }
    identity.trace.push_back("PKCS#7 signature verified; signer " + signerName +
                             " chains to a configured CA (" +
                             crypto::fingerprint(signed_->content) + ")");

    jose::JsonLimits limits;
    limits.maxBytes = kMaxEvidenceDocumentBytes;
    limits.maxDepth = 4;
    auto json = jose::parseStrictJson(signed_->content, limits);
    if (!json || !json->is_object()) {
      return fail(ErrorCode::kEvidenceInvalid,
                  "the attested data is not a JSON object" +
                      (json ? std::string() : ": " + json.error().message));
    }
    const auto stringAt =
        [&](std::initializer_list<const char*> path) -> std::optional<std::string> {
      const nlohmann::json* node = &*json;
      for (const char* key : path) {
        if (!node->is_object() || !node->contains(key)) {
          return std::nullopt;
        }
        node = &(*node)[key];
      }
      return node->is_string() ? std::optional(node->get<std::string>()) : std::nullopt;
    };

    const auto createdText = stringAt({"timeStamp", "createdOn"});
    const auto expiresText = stringAt({"timeStamp", "expiresOn"});
    if (!createdText || !expiresText) {
      return fail(ErrorCode::kEvidenceInvalid,
                  "the attested data has no timeStamp.createdOn and timeStamp.expiresOn");
    }
    TESSERA_DECLARE_OR_RETURN(const SystemTime created, parseAzureAttestedTime(*createdText));
    TESSERA_DECLARE_OR_RETURN(const SystemTime expires, parseAzureAttestedTime(*expiresText));
    if (now + kCreatedOnLeeway < created) {
      return fail(ErrorCode::kTokenNotYetValid,
                  "the attested data is created at " + formatRfc3339(created) + ", in the future");
    }
    if (now >= expires) {
      return fail(ErrorCode::kTokenExpired,
                  "the attested data expired at " + formatRfc3339(expires));
    }

    const auto nonce = stringAt({"nonce"});
    if (!nonce || !digits(*nonce, 10)) {
      return fail(ErrorCode::kEvidenceInvalid,
                  "the attested data's nonce is not a Unix time in seconds (10 digits), as the "
                  "edge sends");
    }
    std::int64_t nonceSeconds = 0;
    std::from_chars(nonce->data(), nonce->data() + nonce->size(), nonceSeconds);
    const SystemTime asked = fromUnixSeconds(nonceSeconds);
    if (asked > now + maxNonceAge_) {
      return fail(ErrorCode::kTokenIssuedInFuture,
                  "the nonce says the edge asked at " + formatRfc3339(asked) +
                      ", more than maxNonceAgeSeconds (" + std::to_string(maxNonceAge_.count()) +
                      ") in the future");
    }
    if (now - asked > maxNonceAge_) {
      return fail(ErrorCode::kTokenExpired, "the nonce says the edge asked at " +
                                                formatRfc3339(asked) +
                                                ", longer ago than maxNonceAgeSeconds (" +
                                                std::to_string(maxNonceAge_.count()) + ")");
    }
    identity.expiresAt = std::min(expires, asked + maxNonceAge_);
    identity.trace.push_back("attested data valid until " + formatRfc3339(expires) +
                             "; nonce within maxNonceAgeSeconds (" +
                             std::to_string(maxNonceAge_.count()) + ")");

    Attributes attributes;
    for (const auto& [attribute, path] :
         std::initializer_list<std::pair<const char*, std::initializer_list<const char*>>>{
             {"subscriptionId", {"subscriptionId"}},
             {"vmId", {"vmId"}},
             {"sku", {"sku"}},
             {"licenseType", {"licenseType"}},
             {"offer", {"offer"}},
             {"publisher", {"publisher"}},
             {"planName", {"plan", "name"}},
             {"planProduct", {"plan", "product"}},
             {"planPublisher", {"plan", "publisher"}}}) {
      // Azure sends "" for what does not apply (no plan, no license): absent, for the rules.
      if (auto value = stringAt(path); value && !value->empty()) {
        attributes.emplace_back(attribute, std::move(*value));
      }
    }
    const auto vmId = stringAt({"vmId"});
    const auto subscriptionId = stringAt({"subscriptionId"});
    if (!vmId || vmId->empty() || !subscriptionId || subscriptionId->empty()) {
      return fail(ErrorCode::kEvidenceInvalid,
                  "the attested data has no vmId or no subscriptionId");
    }
    identity.subject = *vmId;
    return attributes;
  }

  std::vector<crypto::X509Ptr> roots_;
  std::vector<crypto::X509Ptr> intermediates_;
  std::vector<std::string> signerNames_;
  Seconds maxNonceAge_ = kDefaultMaxNonceAge;
};

}  // namespace

std::unique_ptr<TrustProvider> makeAzureAttestedTrustProvider(std::string name) {
  return std::make_unique<AzureAttestedTrustProvider>(std::move(name));
}

}  // namespace tessera::trust
