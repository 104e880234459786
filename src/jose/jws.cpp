#include "jose/jws.hpp"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>

#include <algorithm>
#include <array>
#include <cctype>

#include "crypto/openssl_ptr.hpp"
#include "jose/base64url.hpp"
#include "jose/json_strict.hpp"
#include "jose/jws_internal.hpp"
#include "jose/verify_context_cache.hpp"

namespace tessera::jose {
namespace {

using nlohmann::json;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, crypto::OpenSslDeleter<ECDSA_SIG_free>>;

// Digests fetched once per process (EVP_MD_fetch is costly); intentionally never freed.
const EVP_MD* digestFor(Algorithm alg) noexcept {
  struct Table {
    const EVP_MD* sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    const EVP_MD* sha384 = EVP_MD_fetch(nullptr, "SHA384", nullptr);
    const EVP_MD* sha512 = EVP_MD_fetch(nullptr, "SHA512", nullptr);
  };
  static const Table table;
  switch (alg) {
    case Algorithm::kRs256:
    case Algorithm::kPs256:
    case Algorithm::kEs256:
      return table.sha256;
    case Algorithm::kRs384:
    case Algorithm::kPs384:
    case Algorithm::kEs384:
      return table.sha384;
    case Algorithm::kRs512:
    case Algorithm::kPs512:
    case Algorithm::kEs512:
      return table.sha512;
    case Algorithm::kEdDsa:
      return nullptr;
  }
  return nullptr;
}

bool isPss(Algorithm alg) noexcept {
  return alg == Algorithm::kPs256 || alg == Algorithm::kPs384 || alg == Algorithm::kPs512;
}

std::size_t ecdsaHalfSize(Algorithm alg) noexcept {
  switch (alg) {
    case Algorithm::kEs256:
      return 32;
    case Algorithm::kEs384:
      return 48;
    case Algorithm::kEs512:
      return 66;
    default:
      return 0;
  }
}

const unsigned char* bytes(std::string_view s) noexcept {
  return reinterpret_cast<const unsigned char*>(s.data());
}

Error cryptoError(std::string what) {
  const auto detail = crypto::takeOpenSslErrors();
  if (!detail.empty()) {
    what += " (" + detail + ")";
  }
  return makeError(ErrorCode::kCryptoFailure, std::move(what));
}

Result<std::string> rawToDer(std::string_view raw, std::size_t half) {
  EcdsaSigPtr sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(bytes(raw), static_cast<int>(half), nullptr);
  BIGNUM* s = BN_bin2bn(bytes(raw) + half, static_cast<int>(half), nullptr);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return cryptoError("cannot build an ECDSA signature");
  }
  const int len = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (len <= 0) {
    return cryptoError("cannot encode an ECDSA signature");
  }
  std::string der(static_cast<std::size_t>(len), '\0');
  auto* p = reinterpret_cast<unsigned char*>(der.data());
  i2d_ECDSA_SIG(sig.get(), &p);
  return der;
}

Result<std::string> derToRaw(std::string_view der, std::size_t half) {
  const unsigned char* p = bytes(der);
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig) {
    return cryptoError("OpenSSL produced an undecodable ECDSA signature");
  }
  std::string raw(2 * half, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  if (BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), out, static_cast<int>(half)) < 0 ||
      BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), out + half, static_cast<int>(half)) < 0) {
    return cryptoError("ECDSA signature does not fit the curve size");
  }
  return raw;
}

Result<void> setRsaPadding(EVP_PKEY_CTX* pctx, Algorithm alg) {
  if (requiredKeyType(alg) != KeyType::kRsa) {
    return {};
  }
  if (isPss(alg)) {
    if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
        EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, digestFor(alg)) != 1) {
      return cryptoError("cannot configure RSA-PSS");
    }
  } else if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1) {
    return cryptoError("cannot configure RSA PKCS#1 v1.5");
  }
  return {};
}

Result<void> configureVerifyContext(EVP_PKEY_CTX* pctx, Algorithm alg) {
  if (EVP_PKEY_CTX_set_signature_md(pctx, digestFor(alg)) != 1) {
    return cryptoError("cannot set the signature digest");
  }
  return setRsaPadding(pctx, alg);
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view stripApplication(std::string_view typ) noexcept {
  constexpr std::string_view kPrefix = "application/";
  if (typ.size() > kPrefix.size() && equalsIgnoreCase(typ.substr(0, kPrefix.size()), kPrefix)) {
    typ.remove_prefix(kPrefix.size());
  }
  return typ;
}

constexpr std::array<const char*, 4> kEmbeddedKeyHeaders = {"jku", "x5u", "jwk", "x5c"};

}  // namespace

namespace detail {

std::string quoteForMessage(std::string_view s, std::size_t max) {
  std::string out = "\"";
  for (char c : s.substr(0, max)) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back(u >= 0x20 && u != 0x7f && c != '"' && c != '\\' ? c : '?');
  }
  if (s.size() > max) {
    out += "...";
  }
  out += "\"";
  return out;
}

}  // namespace detail

bool typMatches(std::string_view headerTyp, std::string_view expected) noexcept {
  return equalsIgnoreCase(stripApplication(headerTyp), stripApplication(expected));
}

Result<std::string> signBytes(const Jwk& key, Algorithm alg, std::string_view signingInput) {
  if (auto r = key.checkAlgorithm(alg); !r) {
    return std::move(r).error();
  }
  if (!key.hasPrivate()) {
    return fail(ErrorCode::kInvalidArgument,
                key.describe() + " has no private part and cannot sign");
  }
  crypto::MdCtxPtr mdctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (!mdctx || EVP_DigestSignInit(mdctx.get(), &pctx, digestFor(alg), nullptr, key.pkey()) != 1) {
    return cryptoError("cannot start signing with " + key.describe());
  }
  if (auto r = setRsaPadding(pctx, alg); !r) {
    return std::move(r).error();
  }
  std::size_t len = 0;
  if (EVP_DigestSign(mdctx.get(), nullptr, &len, bytes(signingInput), signingInput.size()) != 1) {
    return cryptoError("cannot size the signature");
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(mdctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     bytes(signingInput), signingInput.size()) != 1) {
    return cryptoError("signing with " + key.describe() + " failed");
  }
  sig.resize(len);
  if (requiredKeyType(alg) == KeyType::kEc) {
    return derToRaw(sig, ecdsaHalfSize(alg));
  }
  return sig;
}

Result<void> verifyBytes(const Jwk& key, Algorithm alg, std::string_view signingInput,
                         std::string_view signature) {
  if (auto r = key.checkAlgorithm(alg); !r) {
    return std::move(r).error();
  }
  const KeyType type = requiredKeyType(alg);
  std::string der;
  if (type == KeyType::kEc) {
    const std::size_t half = ecdsaHalfSize(alg);
    if (signature.size() != 2 * half) {
      return fail(ErrorCode::kTokenSignatureInvalid,
                  std::string(algorithmName(alg)) + " signature must be " +
                      std::to_string(2 * half) + " bytes (raw R||S), got " +
                      std::to_string(signature.size()));
    }
    auto converted = rawToDer(signature, half);
    if (!converted) {
      return std::move(converted).error();
    }
    der = std::move(*converted);
    signature = der;
  } else if (type == KeyType::kRsa) {
    const auto size = static_cast<std::size_t>(EVP_PKEY_get_size(key.pkey()));
    if (signature.size() != size) {
      return fail(ErrorCode::kTokenSignatureInvalid,
                  std::string(algorithmName(alg)) + " signature must be " + std::to_string(size) +
                      " bytes for " + key.describe() + ", got " + std::to_string(signature.size()));
    }
  } else if (signature.size() != 64) {
    return fail(ErrorCode::kTokenSignatureInvalid,
                "EdDSA signature must be 64 bytes, got " + std::to_string(signature.size()));
  }

  int ok = 0;
  if (type == KeyType::kOkp) {
    crypto::MdCtxPtr mdctx(EVP_MD_CTX_new());
    if (!mdctx || EVP_DigestVerifyInit(mdctx.get(), nullptr, nullptr, nullptr, key.pkey()) != 1) {
      return cryptoError("cannot start verifying with " + key.describe());
    }
    ok = EVP_DigestVerify(mdctx.get(), bytes(signature), signature.size(), bytes(signingInput),
                          signingInput.size());
  } else {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digestLen = 0;
    const EVP_MD* md = digestFor(alg);
    if (EVP_Digest(signingInput.data(), signingInput.size(), digest, &digestLen, md, nullptr) !=
        1) {
      return cryptoError("cannot hash the signing input");
    }
    EVP_PKEY_CTX* pctx = detail::verifyContextFor(key.pkey(), alg, configureVerifyContext);
    if (pctx == nullptr) {
      return cryptoError("cannot start verifying with " + key.describe());
    }
    ok = EVP_PKEY_verify(pctx, bytes(signature), signature.size(), digest, digestLen);
    if (ok != 1) {
      detail::discardVerifyContext(key.pkey(), alg);
    }
  }
  if (ok != 1) {
    crypto::takeOpenSslErrors();
    return fail(
        ErrorCode::kTokenSignatureInvalid,
        std::string(algorithmName(alg)) + " signature does not verify with " + key.describe());
  }
  return {};
}

Result<std::string> signCompact(const Jwk& key, Algorithm alg, std::string_view payload,
                                const JwsSignOptions& options) {
  json header = json::object();
  header["alg"] = algorithmName(alg);
  if (options.includeKid && !key.kid().empty()) {
    header["kid"] = key.kid();
  }
  if (!options.typ.empty()) {
    header["typ"] = options.typ;
  }
  if (!options.cty.empty()) {
    header["cty"] = options.cty;
  }
  std::string headerJson;
  try {
    headerJson = header.dump();
  } catch (const json::exception&) {
    return fail(ErrorCode::kInvalidArgument, "JWS header holds invalid UTF-8");
  }
  std::string out = base64UrlEncode(headerJson);
  out.push_back('.');
  out += base64UrlEncode(payload);
  auto sig = signBytes(key, alg, out);
  if (!sig) {
    return std::move(sig).error();
  }
  out.push_back('.');
  out += base64UrlEncode(*sig);
  return out;
}

namespace detail {

Result<VerifiedJws> verifyCompact(std::string_view token, std::span<const Jwk> keys,
                                  std::size_t maxTokenBytes, AlgorithmSet allowed,
                                  const std::string* typ) {
  if (token.size() > maxTokenBytes) {
    return fail(ErrorCode::kTokenTooLarge, "token of " + std::to_string(token.size()) +
                                               " bytes exceeds the limit of " +
                                               std::to_string(maxTokenBytes));
  }
  const std::size_t dot1 = token.find('.');
  const std::size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    const auto segments = static_cast<std::size_t>(std::count(token.begin(), token.end(), '.')) + 1;
    std::string msg = "token has " + std::to_string(segments) +
                      " segments; a compact JWS has exactly 3 (header.payload.signature)";
    if (segments == 5) {
      msg += "; encrypted tokens (JWE) are not supported";
    }
    return fail(ErrorCode::kTokenSegmentCount, std::move(msg));
  }
  const std::string_view headerB64 = token.substr(0, dot1);
  const std::string_view payloadB64 = token.substr(dot1 + 1, dot2 - dot1 - 1);
  const std::string_view signatureB64 = token.substr(dot2 + 1);
  const std::string_view signingInput = token.substr(0, dot2);
  if (headerB64.empty()) {
    return fail(ErrorCode::kTokenMalformed, "token header segment is empty");
  }

  std::string buffer;
  if (auto r = base64UrlDecodeInto(headerB64, buffer); !r) {
    return makeError(r.error().code, "token header: " + r.error().message);
  }
  auto headerDoc = parseStrictJson(buffer, JsonLimits{.maxBytes = maxTokenBytes, .maxDepth = 8});
  if (!headerDoc) {
    return makeError(headerDoc.error().code, "token header: " + headerDoc.error().message);
  }
  json& header = *headerDoc;
  if (!header.is_object()) {
    return fail(ErrorCode::kTokenHeaderInvalid,
                std::string("token header is a JSON ") + header.type_name() + ", not an object");
  }
  const auto end = header.end();
  const auto algIt = header.find("alg");
  if (algIt == end || !algIt->is_string()) {
    return fail(ErrorCode::kTokenHeaderInvalid, "token header has no \"alg\" string");
  }
  auto alg = parseTokenAlgorithm(algIt->get_ref<const std::string&>());
  if (!alg) {
    return std::move(alg).error();
  }
  for (const char* name : kEmbeddedKeyHeaders) {
    if (header.find(name) != end) {
      return fail(ErrorCode::kTokenEmbeddedKeyRejected,
                  std::string("token header carries \"") + name +
                      "\": keys are never taken from a token, only from configured key sets");
    }
  }
  if (const auto critIt = header.find("crit"); critIt != end) {
    if (!critIt->is_array() || critIt->empty()) {
      return fail(ErrorCode::kTokenCritUnsupported,
                  "token header \"crit\" must be a non-empty array of names");
    }
    for (const auto& c : *critIt) {
      if (!c.is_string()) {
        return fail(ErrorCode::kTokenCritUnsupported,
                    "token header \"crit\" holds a non-string entry");
      }
    }
    return fail(ErrorCode::kTokenCritUnsupported,
                "critical header parameter " +
                    quoteForMessage(critIt->front().get_ref<const std::string&>()) +
                    " is not understood (no critical extensions are supported)");
  }
  if (const auto b64It = header.find("b64"); b64It != end && *b64It != json(true)) {
    return fail(ErrorCode::kTokenHeaderInvalid,
                "token header \"b64\" other than true (RFC 7797 unencoded payload) is not "
                "supported");
  }
  if (!allowed.empty() && !allowed.contains(*alg)) {
    return fail(ErrorCode::kTokenAlgNotAllowed, "alg " + std::string(algorithmName(*alg)) +
                                                    " is not in the allowed list " +
                                                    allowed.describe());
  }
  if (typ != nullptr) {
    const auto typIt = header.find("typ");
    if (typIt == end) {
      return fail(ErrorCode::kTokenTypMismatch,
                  "token header has no \"typ\"; expected " + quoteForMessage(*typ));
    }
    if (!typIt->is_string() || !typMatches(typIt->get_ref<const std::string&>(), *typ)) {
      return fail(ErrorCode::kTokenTypMismatch,
                  "token typ " +
                      (typIt->is_string() ? quoteForMessage(typIt->get_ref<const std::string&>())
                                          : std::string("(not a string)")) +
                      " is not the expected " + quoteForMessage(*typ));
    }
  } else if (const auto typIt = header.find("typ"); typIt != end && !typIt->is_string()) {
    return fail(ErrorCode::kTokenHeaderInvalid, "token header \"typ\" is not a string");
  }
  const std::string* kid = nullptr;
  if (const auto kidIt = header.find("kid"); kidIt != end) {
    if (!kidIt->is_string()) {
      return fail(ErrorCode::kTokenHeaderInvalid, "token header \"kid\" is not a string");
    }
    kid = &kidIt->get_ref<const std::string&>();
  }

  if (signatureB64.empty()) {
    return fail(ErrorCode::kTokenSignatureInvalid, "token signature segment is empty");
  }
  std::string signature;
  if (auto r = base64UrlDecodeInto(signatureB64, signature); !r) {
    return makeError(r.error().code, "token signature: " + r.error().message);
  }
  if (auto r = base64UrlDecodeInto(payloadB64, buffer); !r) {
    return makeError(r.error().code, "token payload: " + r.error().message);
  }

  bool kidFound = false;
  std::size_t tried = 0;
  std::optional<Error> mismatch;
  std::optional<Error> lastFailure;
  for (const Jwk& key : keys) {
    if (kid != nullptr && key.kid() != *kid) {
      continue;
    }
    kidFound = true;
    if (!key.isCompatible(*alg)) {
      if (!mismatch) {
        mismatch = key.checkAlgorithm(*alg).error();
      }
      continue;
    }
    ++tried;
    auto r = verifyBytes(key, *alg, signingInput, signature);
    if (r) {
      return VerifiedJws{
          .alg = *alg, .key = key, .header = std::move(header), .payload = std::move(buffer)};
    }
    lastFailure = std::move(r).error();
  }
  if (kid != nullptr && !kidFound) {
    return fail(ErrorCode::kTokenKeyNotFound, "no key with kid " + quoteForMessage(*kid) +
                                                  " among " + std::to_string(keys.size()) +
                                                  " configured key(s)");
  }
  if (tried == 0) {
    if (mismatch) {
      if (keys.size() > 1 && kid == nullptr) {
        return fail(ErrorCode::kTokenAlgKeyMismatch, "no configured key can verify " +
                                                         std::string(algorithmName(*alg)) +
                                                         " (e.g. " + mismatch->message + ")");
      }
      return std::move(*mismatch);
    }
    return fail(ErrorCode::kTokenKeyNotFound, "no keys configured");
  }
  if (tried == 1) {
    return std::move(*lastFailure);
  }
  return fail(ErrorCode::kTokenSignatureInvalid,
              std::string(algorithmName(*alg)) + " signature does not verify with any of the " +
                  std::to_string(tried) + " compatible keys (" + lastFailure->message + ")");
}

}  // namespace detail

Result<VerifiedJws> verifyCompact(std::string_view token, std::span<const Jwk> keys,
                                  const JwsVerifyOptions& options) {
  return detail::verifyCompact(token, keys, options.maxTokenBytes, options.allowedAlgorithms,
                               options.typ ? &*options.typ : nullptr);
}

Result<VerifiedJws> verifyCompact(std::string_view token, const Jwks& keys,
                                  const JwsVerifyOptions& options) {
  return verifyCompact(token, keys.keys(), options);
}

Result<VerifiedJws> verifyCompact(std::string_view token, const Jwk& key,
                                  const JwsVerifyOptions& options) {
  return verifyCompact(token, std::span<const Jwk>(&key, 1), options);
}

}  // namespace tessera::jose
