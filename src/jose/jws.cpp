#include "jose/jws.hpp"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <cctype>

#include "crypto/openssl_ptr.hpp"
#include "jose/base64url.hpp"
#include "jose/json_strict.hpp"
#include "jose/jwk_impl.hpp"
#include "jose/jws_internal.hpp"

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

// Hashes the signing input with a per-thread EVP_MD_CTX and a digest fetched once: the SHA256()
// one-shot of OpenSSL 3 fetches the algorithm by name on every call.
std::size_t hashSigningInput(Algorithm alg, std::string_view input, unsigned char* out) noexcept {
  thread_local const crypto::MdCtxPtr ctx(EVP_MD_CTX_new());
  unsigned int len = 0;
  if (!ctx || EVP_DigestInit_ex2(ctx.get(), digestFor(alg), nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), input.data(), input.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), out, &len) != 1) {
    return 0;
  }
  return len;
}

// The key's verify-initialized context for `alg`, created once (lock-free; a racing creator frees
// its copy). Callers must EVP_PKEY_CTX_dup it: EVP_PKEY_verify mutates the context.
Result<EVP_PKEY_CTX*> verifyTemplate(const Jwk& key, Algorithm alg) {
  auto& slot = JwkAccess::impl(key).verifyCache->templates[static_cast<std::size_t>(alg)];
  if (EVP_PKEY_CTX* existing = slot.load(std::memory_order_acquire)) {
    return existing;
  }
  crypto::PkeyCtxPtr fresh(EVP_PKEY_CTX_new_from_pkey(nullptr, key.pkey(), nullptr));
  if (!fresh || EVP_PKEY_verify_init(fresh.get()) != 1 ||
      EVP_PKEY_CTX_set_signature_md(fresh.get(), digestFor(alg)) != 1) {
    return cryptoError("cannot start verifying with " + key.describe());
  }
  if (auto r = setRsaPadding(fresh.get(), alg); !r) {
    return std::move(r).error();
  }
  EVP_PKEY_CTX* expected = nullptr;
  if (slot.compare_exchange_strong(expected, fresh.get(), std::memory_order_acq_rel)) {
    return fresh.release();
  }
  return expected;
}

// A small per-thread cache of verification contexts (copies of the key's template), so that the
// hot path neither allocates nor frees one per token. Entries are keyed by the key's never-reused
// id and hold their own reference to the key; a rotated-out key lingers until its entry is
// replaced (at most kSlots per thread).
Result<EVP_PKEY_CTX*> threadVerifyContext(const Jwk& key, Algorithm alg) {
  struct Entry {
    std::uint64_t id = 0;
    Algorithm alg = Algorithm::kRs256;
    crypto::PkeyCtxPtr ctx;
  };
  static constexpr std::size_t kSlots = 8;
  thread_local std::array<Entry, kSlots> cache;
  thread_local std::size_t next = 0;
  const std::uint64_t id = JwkAccess::impl(key).id;
  for (auto& e : cache) {
    if (e.id == id && e.alg == alg && e.ctx) {
      return e.ctx.get();
    }
  }
  auto tmpl = verifyTemplate(key, alg);
  if (!tmpl) {
    return std::move(tmpl).error();
  }
  crypto::PkeyCtxPtr copy(EVP_PKEY_CTX_dup(*tmpl));
  if (!copy) {
    return cryptoError("cannot copy the verification context");
  }
  Entry& slot = cache[next];
  next = (next + 1) % kSlots;
  slot = Entry{id, alg, std::move(copy)};
  return slot.ctx.get();
}

}  // namespace

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
    return derToRaw(sig, curveCoordinateSize(requiredCurve(alg)));
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
    const std::size_t half = curveCoordinateSize(requiredCurve(alg));
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
    unsigned char digest[SHA512_DIGEST_LENGTH];
    const std::size_t digestLen = hashSigningInput(alg, signingInput, digest);
    if (digestLen == 0) {
      return cryptoError("cannot hash the signing input");
    }
    auto pctx = threadVerifyContext(key, alg);
    if (!pctx) {
      return std::move(pctx).error();
    }
    ok = EVP_PKEY_verify(*pctx, bytes(signature), signature.size(), digest, digestLen);
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

  std::string headerText;
  if (auto r = base64UrlDecodeInto(headerB64, headerText); !r) {
    return makeError(r.error().code, "token header: " + r.error().message);
  }
  thread_local JsonObjectScan header;  // scratch: views into headerText, used only in this call
  auto headerKind =
      scanStrictJson(headerText, JsonLimits{.maxBytes = maxTokenBytes, .maxDepth = 8}, &header);
  if (!headerKind) {
    return makeError(headerKind.error().code, "token header: " + headerKind.error().message);
  }
  if (*headerKind != JsonKind::kObject) {
    return fail(
        ErrorCode::kTokenHeaderInvalid,
        "token header is a JSON " + std::string(jsonKindName(*headerKind)) + ", not an object");
  }
  const JsonMember* algMember = header.find("alg");
  if (algMember == nullptr || algMember->kind != JsonKind::kString) {
    return fail(ErrorCode::kTokenHeaderInvalid, "token header has no \"alg\" string");
  }
  std::string scratch;
  auto alg = parseTokenAlgorithm(jsonStringValue(algMember->raw, scratch));
  if (!alg) {
    return std::move(alg).error();
  }
  for (const char* name : kEmbeddedKeyHeaders) {
    if (header.find(name) != nullptr) {
      return fail(ErrorCode::kTokenEmbeddedKeyRejected,
                  std::string("token header carries \"") + name +
                      "\": keys are never taken from a token, only from configured key sets");
    }
  }
  if (const JsonMember* crit = header.find("crit")) {
    const auto entries = crit->kind == JsonKind::kArray
                             ? jsonArrayElements(crit->raw)
                             : std::vector<std::pair<JsonKind, std::string_view>>{};
    if (entries.empty()) {
      return fail(ErrorCode::kTokenCritUnsupported,
                  "token header \"crit\" must be a non-empty array of names");
    }
    for (const auto& [kind, raw] : entries) {
      if (kind != JsonKind::kString) {
        return fail(ErrorCode::kTokenCritUnsupported,
                    "token header \"crit\" holds a non-string entry");
      }
    }
    return fail(ErrorCode::kTokenCritUnsupported,
                "critical header parameter " +
                    quoteForMessage(jsonStringValue(entries.front().second, scratch)) +
                    " is not understood (no critical extensions are supported)");
  }
  if (const JsonMember* b64 = header.find("b64"); b64 != nullptr && b64->raw != "true") {
    return fail(ErrorCode::kTokenHeaderInvalid,
                "token header \"b64\" other than true (RFC 7797 unencoded payload) is not "
                "supported");
  }
  if (!allowed.empty() && !allowed.contains(*alg)) {
    return fail(ErrorCode::kTokenAlgNotAllowed, "alg " + std::string(algorithmName(*alg)) +
                                                    " is not in the allowed list " +
                                                    allowed.describe());
  }
  const JsonMember* typMember = header.find("typ");
  if (typMember != nullptr && typMember->kind != JsonKind::kString) {
    return fail(typ != nullptr ? ErrorCode::kTokenTypMismatch : ErrorCode::kTokenHeaderInvalid,
                "token header \"typ\" is not a string");
  }
  if (typ != nullptr) {
    if (typMember == nullptr) {
      return fail(ErrorCode::kTokenTypMismatch,
                  "token header has no \"typ\"; expected " + quoteForMessage(*typ));
    }
    const std::string_view headerTyp = jsonStringValue(typMember->raw, scratch);
    if (!typMatches(headerTyp, *typ)) {
      return fail(ErrorCode::kTokenTypMismatch, "token typ " + quoteForMessage(headerTyp) +
                                                    " is not the expected " +
                                                    quoteForMessage(*typ));
    }
  }
  std::string kidScratch;
  std::optional<std::string_view> kid;
  if (const JsonMember* kidMember = header.find("kid")) {
    if (kidMember->kind != JsonKind::kString) {
      return fail(ErrorCode::kTokenHeaderInvalid, "token header \"kid\" is not a string");
    }
    kid = jsonStringValue(kidMember->raw, kidScratch);
  }

  if (signatureB64.empty()) {
    return fail(ErrorCode::kTokenSignatureInvalid, "token signature segment is empty");
  }
  thread_local std::string signature;  // scratch, reused across calls on this thread
  if (auto r = base64UrlDecodeInto(signatureB64, signature); !r) {
    return makeError(r.error().code, "token signature: " + r.error().message);
  }
  std::string payload;
  if (auto r = base64UrlDecodeInto(payloadB64, payload); !r) {
    return makeError(r.error().code, "token payload: " + r.error().message);
  }

  bool kidFound = false;
  std::size_t tried = 0;
  std::optional<Error> mismatch;
  std::optional<Error> lastFailure;
  for (const Jwk& key : keys) {
    if (kid && key.kid() != *kid) {
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
      return VerifiedJws{.alg = *alg,
                         .key = key,
                         .header = LazyJson(std::move(headerText)),
                         .payload = std::move(payload)};
    }
    lastFailure = std::move(r).error();
  }
  if (kid && !kidFound) {
    return fail(ErrorCode::kTokenKeyNotFound, "no key with kid " + quoteForMessage(*kid) +
                                                  " among " + std::to_string(keys.size()) +
                                                  " configured key(s)");
  }
  if (tried == 0) {
    if (mismatch) {
      if (keys.size() > 1 && !kid) {
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
