#include "trust/evidence.hpp"

#include "jose/base64url.hpp"
#include "jose/json_strict.hpp"
#include "model/field_errors.hpp"

namespace tessera::trust {

namespace {
using model::FieldErrors;
using model::pointerAppend;

// A required string member of at most `maxBytes`.
std::optional<std::string> stringMember(const nlohmann::json& object, std::string_view name,
                                        const std::string& pointer, std::size_t maxBytes,
                                        FieldErrors& errors, bool required = true) {
  const auto it = object.find(name);
  const std::string where = pointerAppend(pointer, name);
  if (it == object.end()) {
    if (required) {
      errors.add(where, "is required");
    }
    return std::nullopt;
  }
  if (!it->is_string()) {
    errors.add(where, "must be a string");
    return std::nullopt;
  }
  const auto& value = it->get_ref<const std::string&>();
  if (value.empty() || value.size() > maxBytes) {
    errors.add(where, "must be 1 to " + std::to_string(maxBytes) + " bytes");
    return std::nullopt;
  }
  return value;
}

void refuseUnknown(const nlohmann::json& object, std::initializer_list<std::string_view> known,
                   const std::string& pointer, FieldErrors& errors) {
  for (const auto& [key, value] : object.items()) {
    bool ok = false;
    for (auto k : known) {
      ok |= key == k;
    }
    if (!ok) {
      errors.add(pointerAppend(pointer, key), "is not a known member");
    }
  }
}

std::optional<AwsSignedRequest> parseSignedRequest(const nlohmann::json& value,
                                                   const std::string& pointer,
                                                   FieldErrors& errors) {
  if (!value.is_object()) {
    errors.add(pointer, "must be an object");
    return std::nullopt;
  }
  refuseUnknown(value, {"method", "url", "headers", "body"}, pointer, errors);
  AwsSignedRequest request;
  request.method = stringMember(value, "method", pointer, 16, errors).value_or("");
  request.url = stringMember(value, "url", pointer, 2048, errors).value_or("");
  request.body =
      stringMember(value, "body", pointer, kMaxEvidenceDocumentBytes, errors, false).value_or("");
  const auto headers = value.find("headers");
  const std::string headersPointer = pointerAppend(pointer, "headers");
  if (headers == value.end() || !headers->is_object()) {
    errors.add(headersPointer, "must be an object of header names to values");
    return std::nullopt;
  }
  if (headers->size() > kMaxSignedRequestHeaders) {
    errors.add(headersPointer,
               "has more than " + std::to_string(kMaxSignedRequestHeaders) + " headers");
    return std::nullopt;
  }
  for (const auto& [name, v] : headers->items()) {
    if (!v.is_string() || name.empty() || name.size() > 256 ||
        v.get_ref<const std::string&>().size() > 8192) {
      errors.add(pointerAppend(headersPointer, name),
                 "must be a string of at most 8192 bytes with a name of 1 to 256 bytes");
      continue;
    }
    request.headers.emplace_back(name, v.get<std::string>());
  }
  return request;
}
}  // namespace

Result<Evidence> parseEvidence(const nlohmann::json& evidence, const std::string& pointer) {
  FieldErrors errors;
  Evidence out;
  if (!evidence.is_object()) {
    errors.add(pointer, "must be an object");
    return errors.toError("evidence");
  }
  refuseUnknown(evidence,
                {"tokens", "awsGetCallerIdentity", "awsInstanceIdentity", "azureAttestedDocument"},
                pointer, errors);
  if (const auto tokens = evidence.find("tokens"); tokens != evidence.end()) {
    const std::string where = pointerAppend(pointer, "tokens");
    if (!tokens->is_array() || tokens->size() > kMaxEvidenceTokens) {
      errors.add(where,
                 "must be an array of at most " + std::to_string(kMaxEvidenceTokens) + " tokens");
    } else {
      for (std::size_t i = 0; i < tokens->size(); ++i) {
        const auto& t = (*tokens)[i];
        if (!t.is_string() || t.get_ref<const std::string&>().empty() ||
            t.get_ref<const std::string&>().size() > kMaxEvidenceTokenBytes) {
          errors.add(
              pointerAppend(where, i),
              "must be a token of 1 to " + std::to_string(kMaxEvidenceTokenBytes) + " bytes");
          continue;
        }
        out.tokens.push_back(t.get<std::string>());
      }
    }
  }
  if (const auto r = evidence.find("awsGetCallerIdentity"); r != evidence.end()) {
    out.awsGetCallerIdentity =
        parseSignedRequest(*r, pointerAppend(pointer, "awsGetCallerIdentity"), errors);
  }
  if (const auto d = evidence.find("awsInstanceIdentity"); d != evidence.end()) {
    const std::string where = pointerAppend(pointer, "awsInstanceIdentity");
    if (!d->is_object()) {
      errors.add(where, "must be an object");
    } else {
      refuseUnknown(*d, {"document", "rsa2048"}, where, errors);
      auto document = stringMember(*d, "document", where, kMaxEvidenceDocumentBytes, errors);
      auto signature = stringMember(*d, "rsa2048", where, kMaxEvidenceDocumentBytes, errors);
      if (document && signature) {
        out.awsInstanceIdentity = AwsInstanceIdentityEvidence{*document, *signature};
      }
    }
  }
  if (const auto a = evidence.find("azureAttestedDocument"); a != evidence.end()) {
    const std::string where = pointerAppend(pointer, "azureAttestedDocument");
    if (!a->is_object()) {
      errors.add(where, "must be an object");
    } else {
      refuseUnknown(*a, {"encoding", "signature"}, where, errors);
      auto encoding = stringMember(*a, "encoding", where, 16, errors);
      auto signature = stringMember(*a, "signature", where, kMaxEvidenceDocumentBytes, errors);
      if (encoding && *encoding != "pkcs7") {
        errors.add(pointerAppend(where, "encoding"), "must be pkcs7");
      } else if (encoding && signature) {
        out.azureAttestedDocument = AzureAttestedEvidence{*encoding, *signature};
      }
    }
  }
  if (!errors.empty()) {
    return errors.toError("evidence");
  }
  return out;
}

namespace {
// Member `name` of the JSON object in segment `index` (0 header, 1 payload) of a compact JWT.
std::string unverifiedMember(std::string_view token, int index, std::string_view name) {
  const auto first = token.find('.');
  if (first == std::string_view::npos) {
    return "";
  }
  const auto second = token.find('.', first + 1);
  if (second == std::string_view::npos) {
    return "";
  }
  auto segment = jose::base64UrlDecode(index == 0 ? token.substr(0, first)
                                                  : token.substr(first + 1, second - first - 1));
  if (!segment) {
    return "";
  }
  // The strict scanner, not a DOM: this runs for every fresh token, before the cache is
  // consulted, and nlohmann's parse of a payload cost about 8 µs. A segment the scanner refuses
  // (duplicate names included) has no member here; verification refuses it later anyway.
  jose::JsonObjectScan object;
  const auto kind = jose::scanStrictJson(*segment, {}, &object);
  if (!kind || *kind != jose::JsonKind::kObject) {
    return "";
  }
  const auto* member = object.find(name);
  return member == nullptr ? "" : jose::jsonStringOf(member->kind, member->raw).value_or("");
}
}  // namespace

std::string unverifiedIssuer(std::string_view token) {
  return unverifiedMember(token, 1, "iss");
}

std::string unverifiedKid(std::string_view token) {
  return unverifiedMember(token, 0, "kid");
}

}  // namespace tessera::trust
