#include "jose/jwk.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/pem.h>

#include <algorithm>
#include <array>

#include "crypto/digest.hpp"
#include "jose/base64url.hpp"
#include "jose/json_strict.hpp"
#include "jose/jwk_impl.hpp"
#include "jose/quote.hpp"

namespace tessera::jose {
namespace {

using nlohmann::json;
using DecoderCtxPtr =
    std::unique_ptr<OSSL_DECODER_CTX, crypto::OpenSslDeleter<OSSL_DECODER_CTX_free>>;

constexpr std::array<const char*, 7> kPrivateMembers = {"d", "p", "q", "dp", "dq", "qi", "oth"};

// Wipes secret bytes held in a std::string when it goes out of scope.
struct SecretString {
  std::string value;
  ~SecretString() {
    if (!value.empty()) {
      OPENSSL_cleanse(value.data(), value.size());
    }
  }
};

Error opensslError(ErrorCode code, std::string what) {
  const auto detail = crypto::takeOpenSslErrors();
  if (!detail.empty()) {
    what += " (" + detail + ")";
  }
  return makeError(code, std::move(what));
}

// A base64url member decoded strictly; kJwkInvalid when missing, not a string or not base64url.
Result<void> decodeMember(const json& jwk, const char* name, std::string& out) {
  auto it = jwk.find(name);
  if (it == jwk.end()) {
    return fail(ErrorCode::kJwkInvalid, std::string("JWK: member \"") + name + "\" is missing");
  }
  if (!it->is_string()) {
    return fail(ErrorCode::kJwkInvalid,
                std::string("JWK: member \"") + name + "\" is not a string");
  }
  auto r = base64UrlDecodeInto(it->get_ref<const std::string&>(), out);
  if (!r) {
    return fail(ErrorCode::kJwkInvalid,
                std::string("JWK: member \"") + name + "\": " + r.error().message);
  }
  if (out.empty()) {
    return fail(ErrorCode::kJwkInvalid, std::string("JWK: member \"") + name + "\" is empty");
  }
  return {};
}

crypto::BnPtr toBn(std::string_view bytes) {
  return crypto::BnPtr(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                                 static_cast<int>(bytes.size()), nullptr));
}

std::string bnToBytes(const BIGNUM* bn, std::size_t padTo = 0) {
  const std::size_t n = std::max(padTo, static_cast<std::size_t>(BN_num_bytes(bn)));
  std::string out(n, '\0');
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n));
  return out;
}

std::string bnParamB64(const EVP_PKEY* pkey, const char* name, std::size_t padTo = 0) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &raw) != 1) {
    crypto::takeOpenSslErrors();
    return {};
  }
  crypto::BnPtr bn(raw);
  SecretString bytes{bnToBytes(bn.get(), padTo)};
  BN_clear(bn.get());
  return base64UrlEncode(bytes.value);
}

bool hasBnParam(const EVP_PKEY* pkey, const char* name) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &raw) != 1) {
    crypto::takeOpenSslErrors();
    return false;
  }
  BN_clear_free(raw);
  return true;
}

Result<crypto::PkeyPtr> fromData(const char* keyType, int selection, OSSL_PARAM* params) {
  crypto::PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, keyType, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, selection, params) != 1) {
    return opensslError(ErrorCode::kJwkInvalid,
                        std::string("JWK: OpenSSL rejected the ") + keyType + " key");
  }
  return crypto::PkeyPtr(raw);
}

Result<crypto::PkeyPtr> importRsa(const json& jwk, bool isPrivate, int minRsaBits) {
  std::string n, e;
  if (auto r = decodeMember(jwk, "n", n); !r) {
    return std::move(r).error();
  }
  if (auto r = decodeMember(jwk, "e", e); !r) {
    return std::move(r).error();
  }
  auto bnN = toBn(n);
  auto bnE = toBn(e);
  const int bits = BN_num_bits(bnN.get());
  if (bits < minRsaBits) {
    return fail(ErrorCode::kJwkKeyTooSmall, "JWK: RSA modulus of " + std::to_string(bits) +
                                                " bits is below the minimum of " +
                                                std::to_string(minRsaBits));
  }
  if (bits > kMaxRsaBits) {
    return fail(ErrorCode::kJwkInvalid, "JWK: RSA modulus of " + std::to_string(bits) +
                                            " bits exceeds the maximum of " +
                                            std::to_string(kMaxRsaBits));
  }
  if (!BN_is_odd(bnN.get())) {
    return fail(ErrorCode::kJwkInvalid, "JWK: RSA modulus is even");
  }
  if (!BN_is_odd(bnE.get()) || BN_num_bits(bnE.get()) < 2 || BN_cmp(bnE.get(), bnN.get()) >= 0) {
    return fail(ErrorCode::kJwkInvalid, "JWK: RSA public exponent must be odd, >= 3 and < n");
  }
  crypto::ParamBldPtr bld(OSSL_PARAM_BLD_new());
  OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bnN.get());
  OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bnE.get());
  std::array<crypto::BnPtr, 6> priv;
  if (isPrivate) {
    if (jwk.contains("oth")) {
      return fail(ErrorCode::kJwkInvalid, "JWK: multi-prime RSA keys (\"oth\") are not supported");
    }
    static constexpr std::array<const char*, 6> kMembers = {"d", "p", "q", "dp", "dq", "qi"};
    static constexpr std::array<const char*, 6> kParams = {
        OSSL_PKEY_PARAM_RSA_D,         OSSL_PKEY_PARAM_RSA_FACTOR1,
        OSSL_PKEY_PARAM_RSA_FACTOR2,   OSSL_PKEY_PARAM_RSA_EXPONENT1,
        OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1};
    for (std::size_t i = 0; i < kMembers.size(); ++i) {
      SecretString bytes;
      if (auto r = decodeMember(jwk, kMembers[i], bytes.value); !r) {
        return fail(ErrorCode::kJwkInvalid,
                    r.error().message + " (an RSA private JWK needs d, p, q, dp, dq and qi)");
      }
      priv[i] = toBn(bytes.value);
      BN_set_flags(priv[i].get(), BN_FLG_CONSTTIME);
      OSSL_PARAM_BLD_push_BN(bld.get(), kParams[i], priv[i].get());
    }
  }
  crypto::ParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  auto pkey = fromData("RSA", isPrivate ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params.get());
  for (auto& bn : priv) {
    if (bn) {
      BN_clear(bn.get());
    }
  }
  return pkey;
}

Result<crypto::PkeyPtr> importEc(const json& jwk, Curve curve, bool isPrivate) {
  const std::size_t size = curveCoordinateSize(curve);
  std::string x, y;
  if (auto r = decodeMember(jwk, "x", x); !r) {
    return std::move(r).error();
  }
  if (auto r = decodeMember(jwk, "y", y); !r) {
    return std::move(r).error();
  }
  // RFC 7518 6.2.1.2 wants exactly `size` bytes, but widely deployed issuers (Keycloak, Gluu,
  // jjwt, PyJWT 2.6) drop leading zero bytes, which for P-521 happens to every other key. The
  // shortened big-endian value is unambiguous, so it is left-padded; the point is still checked
  // to lie on the curve. Longer or empty coordinates are rejected.
  if (x.empty() || y.empty() || x.size() > size || y.size() > size) {
    return fail(ErrorCode::kJwkInvalid, "JWK: " + std::string(curveName(curve)) +
                                            " coordinates must be " + std::to_string(size) +
                                            " bytes each, got " + std::to_string(x.size()) +
                                            " and " + std::to_string(y.size()));
  }
  x.insert(0, size - x.size(), '\0');
  y.insert(0, size - y.size(), '\0');
  std::string point;
  point.reserve(1 + 2 * size);
  point.push_back('\x04');
  point += x;
  point += y;
  const std::string group(curveName(curve));
  crypto::ParamBldPtr bld(OSSL_PARAM_BLD_new());
  OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, group.c_str(), 0);
  OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size());
  crypto::BnPtr d;
  if (isPrivate) {
    SecretString bytes;
    if (auto r = decodeMember(jwk, "d", bytes.value); !r) {
      return std::move(r).error();
    }
    if (bytes.value.size() != size) {
      return fail(ErrorCode::kJwkInvalid,
                  "JWK: " + group + " private key must be " + std::to_string(size) + " bytes");
    }
    d = toBn(bytes.value);
    BN_set_flags(d.get(), BN_FLG_CONSTTIME);
    OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, d.get());
  }
  crypto::ParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  auto pkey = fromData("EC", isPrivate ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params.get());
  if (d) {
    BN_clear(d.get());
  }
  if (!pkey) {
    return fail(ErrorCode::kJwkInvalid,
                "JWK: the point is not a valid " + group + " public key (not on the curve?)");
  }
  return pkey;
}

Result<crypto::PkeyPtr> importOkp(const json& jwk, bool isPrivate) {
  std::string x;
  if (auto r = decodeMember(jwk, "x", x); !r) {
    return std::move(r).error();
  }
  if (x.size() != 32) {
    return fail(ErrorCode::kJwkInvalid,
                "JWK: Ed25519 public key must be 32 bytes, got " + std::to_string(x.size()));
  }
  const auto* xb = reinterpret_cast<const unsigned char*>(x.data());
  if (!isPrivate) {
    crypto::PkeyPtr pkey(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, xb, x.size()));
    if (!pkey) {
      return opensslError(ErrorCode::kJwkInvalid, "JWK: invalid Ed25519 public key");
    }
    return pkey;
  }
  SecretString d;
  if (auto r = decodeMember(jwk, "d", d.value); !r) {
    return std::move(r).error();
  }
  if (d.value.size() != 32) {
    return fail(ErrorCode::kJwkInvalid, "JWK: Ed25519 private key must be 32 bytes");
  }
  crypto::PkeyPtr pkey(EVP_PKEY_new_raw_private_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(d.value.data()), 32));
  if (!pkey) {
    return opensslError(ErrorCode::kJwkInvalid, "JWK: invalid Ed25519 private key");
  }
  std::array<unsigned char, 32> derived{};
  std::size_t len = derived.size();
  if (EVP_PKEY_get_raw_public_key(pkey.get(), derived.data(), &len) != 1 || len != 32 ||
      CRYPTO_memcmp(derived.data(), xb, 32) != 0) {
    return fail(ErrorCode::kJwkInvalid, "JWK: Ed25519 \"x\" does not match the private key \"d\"");
  }
  return pkey;
}

Result<void> readMetadata(const json& jwk, Jwk::Impl& impl) {
  if (auto it = jwk.find("kid"); it != jwk.end()) {
    if (!it->is_string()) {
      return fail(ErrorCode::kJwkInvalid, "JWK: \"kid\" is not a string");
    }
    impl.kid = it->get<std::string>();
  }
  if (auto it = jwk.find("use"); it != jwk.end()) {
    if (!it->is_string()) {
      return fail(ErrorCode::kJwkInvalid, "JWK: \"use\" is not a string");
    }
    const auto& use = it->get_ref<const std::string&>();
    if (use != "sig") {
      return fail(ErrorCode::kJwkInvalid, "JWK: \"use\" is " + detail::quoteForMessage(use) +
                                              ", not \"sig\" (only signature keys are used)");
    }
    impl.use = use;
  }
  if (auto it = jwk.find("alg"); it != jwk.end()) {
    if (!it->is_string()) {
      return fail(ErrorCode::kJwkInvalid, "JWK: \"alg\" is not a string");
    }
    const auto& name = it->get_ref<const std::string&>();
    auto alg = algorithmFromName(name);
    if (!alg) {
      return fail(ErrorCode::kJwkInvalid, "JWK: \"alg\" " + detail::quoteForMessage(name) +
                                              " is not a supported signature algorithm");
    }
    impl.alg = *alg;
  }
  if (auto it = jwk.find("key_ops"); it != jwk.end()) {
    if (!it->is_array()) {
      return fail(ErrorCode::kJwkInvalid, "JWK: \"key_ops\" is not an array");
    }
    bool signing = false;
    for (const auto& op : *it) {
      if (!op.is_string()) {
        return fail(ErrorCode::kJwkInvalid, "JWK: \"key_ops\" holds a non-string");
      }
      const auto& s = op.get_ref<const std::string&>();
      if (std::find(impl.keyOps.begin(), impl.keyOps.end(), s) != impl.keyOps.end()) {
        return fail(ErrorCode::kJwkInvalid,
                    "JWK: \"key_ops\" repeats " + detail::quoteForMessage(s));
      }
      signing = signing || s == "verify" || s == "sign";
      impl.keyOps.push_back(s);
    }
    if (!signing) {
      return fail(ErrorCode::kJwkInvalid, "JWK: \"key_ops\" allows neither sign nor verify");
    }
  }
  return {};
}

int passwordCallback(char*, std::size_t, std::size_t*, const OSSL_PARAM*, void*) {
  return 0;  // never prompt; encrypted PEM is not supported
}

}  // namespace

Result<Jwk> Jwk::finish(Impl&& partial, int minRsaBits) {
  auto impl = std::make_shared<Impl>(std::move(partial));
  EVP_PKEY* pkey = impl->pkey.get();
  if (EVP_PKEY_is_a(pkey, "RSA")) {
    impl->type = KeyType::kRsa;
    impl->curve = Curve::kNone;
    impl->bits = EVP_PKEY_get_bits(pkey);
    if (impl->bits < minRsaBits) {
      return fail(ErrorCode::kJwkKeyTooSmall, "RSA key of " + std::to_string(impl->bits) +
                                                  " bits is below the minimum of " +
                                                  std::to_string(minRsaBits));
    }
    if (impl->bits > kMaxRsaBits) {
      return fail(ErrorCode::kJwkInvalid, "RSA key of " + std::to_string(impl->bits) +
                                              " bits exceeds the maximum of " +
                                              std::to_string(kMaxRsaBits));
    }
    impl->n = bnParamB64(pkey, OSSL_PKEY_PARAM_RSA_N);
    impl->e = bnParamB64(pkey, OSSL_PKEY_PARAM_RSA_E);
    impl->isPrivate = hasBnParam(pkey, OSSL_PKEY_PARAM_RSA_D);
    impl->thumbprint = R"({"e":")" + impl->e + R"(","kty":"RSA","n":")" + impl->n + R"("})";
  } else if (EVP_PKEY_is_a(pkey, "EC")) {
    impl->type = KeyType::kEc;
    char group[64] = {};
    std::size_t len = 0;
    if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                       &len) != 1) {
      crypto::takeOpenSslErrors();
      return fail(ErrorCode::kJwkUnsupportedCurve,
                  "EC key without a named curve (explicit parameters are not supported)");
    }
    const std::string_view g(group, len);
    if (g == "prime256v1" || g == "P-256") {
      impl->curve = Curve::kP256;
    } else if (g == "secp384r1" || g == "P-384") {
      impl->curve = Curve::kP384;
    } else if (g == "secp521r1" || g == "P-521") {
      impl->curve = Curve::kP521;
    } else {
      return fail(ErrorCode::kJwkUnsupportedCurve, "EC curve " + detail::quoteForMessage(g) +
                                                       " is not supported (P-256, P-384, P-521)");
    }
    crypto::PkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
    if (!check || EVP_PKEY_public_check(check.get()) != 1) {
      return opensslError(ErrorCode::kJwkInvalid, "EC public key is not a valid point of " +
                                                      std::string(curveName(impl->curve)));
    }
    const std::size_t size = curveCoordinateSize(impl->curve);
    impl->bits = EVP_PKEY_get_bits(pkey);
    impl->x = bnParamB64(pkey, OSSL_PKEY_PARAM_EC_PUB_X, size);
    impl->y = bnParamB64(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, size);
    impl->isPrivate = hasBnParam(pkey, OSSL_PKEY_PARAM_PRIV_KEY);
    impl->thumbprint = R"({"crv":")" + std::string(curveName(impl->curve)) +
                       R"(","kty":"EC","x":")" + impl->x + R"(","y":")" + impl->y + R"("})";
  } else if (EVP_PKEY_is_a(pkey, "ED25519")) {
    impl->type = KeyType::kOkp;
    impl->curve = Curve::kEd25519;
    impl->bits = 256;
    std::array<unsigned char, 32> pub{};
    std::size_t len = pub.size();
    if (EVP_PKEY_get_raw_public_key(pkey, pub.data(), &len) != 1 || len != 32) {
      return opensslError(ErrorCode::kJwkInvalid, "Ed25519 key without a public key");
    }
    impl->x = base64UrlEncode(pub);
    std::size_t privLen = 0;
    impl->isPrivate = EVP_PKEY_get_raw_private_key(pkey, nullptr, &privLen) == 1 && privLen == 32;
    crypto::takeOpenSslErrors();
    impl->thumbprint = R"({"crv":"Ed25519","kty":"OKP","x":")" + impl->x + R"("})";
  } else if (EVP_PKEY_is_a(pkey, "ED448") || EVP_PKEY_is_a(pkey, "X25519") ||
             EVP_PKEY_is_a(pkey, "X448")) {
    return fail(ErrorCode::kJwkUnsupportedCurve,
                "OKP curve " + detail::quoteForMessage(EVP_PKEY_get0_type_name(pkey)) +
                    " is not supported (Ed25519 only)");
  } else {
    const char* name = EVP_PKEY_get0_type_name(pkey);
    return fail(ErrorCode::kJwkUnsupportedKeyType,
                "key type " + detail::quoteForMessage(name ? name : "?") +
                    " is not supported (RSA, EC P-256/384/521, Ed25519)");
  }
  if (impl->thumbprint.empty() || (impl->type == KeyType::kRsa && impl->n.empty())) {
    return fail(ErrorCode::kJwkInvalid, "key parameters could not be read");
  }
  const auto digest = crypto::sha256(impl->thumbprint);
  impl->thumbprint = base64UrlEncode(digest);
  if (impl->alg &&
      (requiredKeyType(*impl->alg) != impl->type || requiredCurve(*impl->alg) != impl->curve)) {
    return fail(ErrorCode::kJwkInvalid, "JWK: \"alg\" " + std::string(algorithmName(*impl->alg)) +
                                            " does not fit a " +
                                            std::string(keyTypeName(impl->type)) + " " +
                                            std::string(curveName(impl->curve)) + " key");
  }
  if (impl->isPrivate && impl->type != KeyType::kOkp) {
    crypto::PkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
    if (!check || EVP_PKEY_pairwise_check(check.get()) != 1) {
      return opensslError(ErrorCode::kJwkInvalid,
                          "private key does not match its public key (pairwise check failed)");
    }
  }
  return Jwk(std::move(impl));
}

Result<Jwk> Jwk::fromJson(const json& jwk, const JwkImportOptions& options) {
  if (!jwk.is_object()) {
    return fail(ErrorCode::kJwkInvalid, "JWK: not a JSON object");
  }
  auto ktyIt = jwk.find("kty");
  if (ktyIt == jwk.end() || !ktyIt->is_string()) {
    return fail(ErrorCode::kJwkInvalid, "JWK: \"kty\" is missing or not a string");
  }
  const auto& kty = ktyIt->get_ref<const std::string&>();
  bool isPrivate = false;
  for (const char* m : kPrivateMembers) {
    isPrivate = isPrivate || jwk.contains(m);
  }
  if (kty == "oct") {
    return fail(ErrorCode::kJwkUnsupportedKeyType,
                "JWK: symmetric (\"oct\") keys are not supported: HMAC is never accepted");
  }
  if (kty != "RSA" && kty != "EC" && kty != "OKP") {
    return fail(ErrorCode::kJwkUnsupportedKeyType,
                "JWK: kty " + detail::quoteForMessage(kty) + " is not supported (RSA, EC, OKP)");
  }
  if (isPrivate && !options.allowPrivate) {
    return fail(ErrorCode::kJwkPrivateMaterial,
                "JWK: private key members present where only a public key is accepted");
  }
  Impl impl;
  if (auto r = readMetadata(jwk, impl); !r) {
    return std::move(r).error();
  }
  Result<crypto::PkeyPtr> pkey = fail(ErrorCode::kInternal, "");
  if (kty == "RSA") {
    pkey = importRsa(jwk, isPrivate, options.minRsaBits);
  } else {
    auto crvIt = jwk.find("crv");
    if (crvIt == jwk.end() || !crvIt->is_string()) {
      return fail(ErrorCode::kJwkInvalid, "JWK: \"crv\" is missing or not a string");
    }
    const auto& crvName = crvIt->get_ref<const std::string&>();
    auto crv = curveFromName(crvName);
    const bool ec = kty == "EC";
    if (!crv || (ec && *crv == Curve::kEd25519) || (!ec && *crv != Curve::kEd25519)) {
      return fail(ErrorCode::kJwkUnsupportedCurve,
                  "JWK: " + kty + " curve " + detail::quoteForMessage(crvName) +
                      " is not supported (" + (ec ? "P-256, P-384, P-521" : "Ed25519") + ")");
    }
    pkey = ec ? importEc(jwk, *crv, isPrivate) : importOkp(jwk, isPrivate);
  }
  if (!pkey) {
    return std::move(pkey).error();
  }
  impl.pkey = std::move(*pkey);
  return finish(std::move(impl), options.minRsaBits);
}

Result<Jwk> Jwk::parse(std::string_view jwkJson, const JwkImportOptions& options) {
  auto doc = parseStrictJson(jwkJson, JsonLimits{.maxBytes = 64 * 1024, .maxDepth = 4});
  if (!doc) {
    return makeError(doc.error().code, "JWK: " + doc.error().message);
  }
  return fromJson(*doc, options);
}

Result<Jwk> Jwk::fromPem(std::string_view pem, const JwkImportOptions& options) {
  EVP_PKEY* raw = nullptr;
  DecoderCtxPtr dctx(
      OSSL_DECODER_CTX_new_for_pkey(&raw, "PEM", nullptr, nullptr, 0, nullptr, nullptr));
  if (!dctx) {
    return opensslError(ErrorCode::kCryptoFailure, "PEM: cannot create a decoder");
  }
  OSSL_DECODER_CTX_set_passphrase_cb(dctx.get(), passwordCallback, nullptr);
  const auto* data = reinterpret_cast<const unsigned char*>(pem.data());
  std::size_t len = pem.size();
  if (OSSL_DECODER_from_data(dctx.get(), &data, &len) != 1 || raw == nullptr) {
    crypto::takeOpenSslErrors();
    return fail(ErrorCode::kJwkInvalid,
                "PEM: no unencrypted public or private key could be decoded");
  }
  crypto::PkeyPtr pkey(raw);
  Impl impl;
  impl.pkey = std::move(pkey);
  auto jwk = finish(std::move(impl), options.minRsaBits);
  if (jwk && jwk->hasPrivate() && !options.allowPrivate) {
    return fail(ErrorCode::kJwkPrivateMaterial,
                "PEM: private key where only a public key is accepted");
  }
  return jwk;
}

Result<Jwk> Jwk::fromPkey(crypto::PkeyPtr pkey, std::string kid, std::optional<Algorithm> alg,
                          const JwkImportOptions& options) {
  if (!pkey) {
    return fail(ErrorCode::kInvalidArgument, "no key");
  }
  Impl impl;
  impl.pkey = std::move(pkey);
  impl.kid = std::move(kid);
  impl.alg = alg;
  auto jwk = finish(std::move(impl), options.minRsaBits);
  if (jwk && jwk->hasPrivate() && !options.allowPrivate) {
    return fail(ErrorCode::kJwkPrivateMaterial, "private key where only a public key is accepted");
  }
  return jwk;
}

Result<Jwk> Jwk::generate(Algorithm alg, const JwkGenerateOptions& options) {
  EVP_PKEY* raw = nullptr;
  switch (requiredKeyType(alg)) {
    case KeyType::kRsa:
      if (options.rsaBits < kMinRsaBits || options.rsaBits > kMaxRsaBits) {
        return fail(ErrorCode::kInvalidArgument, "RSA key size " + std::to_string(options.rsaBits) +
                                                     " is outside " + std::to_string(kMinRsaBits) +
                                                     ".." + std::to_string(kMaxRsaBits));
      }
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(options.rsaBits));
      break;
    case KeyType::kEc: {
      const std::string group(curveName(requiredCurve(alg)));
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", group.c_str());
      break;
    }
    case KeyType::kOkp:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
      break;
  }
  if (raw == nullptr) {
    return opensslError(ErrorCode::kCryptoFailure,
                        "key generation for " + std::string(algorithmName(alg)) + " failed");
  }
  Impl impl;
  impl.pkey.reset(raw);
  impl.kid = options.kid;
  impl.use = "sig";
  if (options.bindAlgorithm) {
    impl.alg = alg;
  }
  auto jwk = finish(std::move(impl), kMinRsaBits);
  if (!jwk || !options.kid.empty()) {
    return jwk;
  }
  return jwk->withKid(jwk->thumbprint());
}

KeyType Jwk::keyType() const noexcept {
  return impl_->type;
}
Curve Jwk::curve() const noexcept {
  return impl_->curve;
}
int Jwk::bits() const noexcept {
  return impl_->bits;
}
bool Jwk::hasPrivate() const noexcept {
  return impl_->isPrivate;
}
const std::string& Jwk::kid() const noexcept {
  return impl_->kid;
}
std::optional<Algorithm> Jwk::algorithm() const noexcept {
  return impl_->alg;
}
const std::string& Jwk::use() const noexcept {
  return impl_->use;
}
const std::vector<std::string>& Jwk::keyOps() const noexcept {
  return impl_->keyOps;
}
EVP_PKEY* Jwk::pkey() const noexcept {
  return impl_->pkey.get();
}
const std::string& Jwk::thumbprint() const noexcept {
  return impl_->thumbprint;
}

json Jwk::toPublicJson() const {
  json out = json::object();
  out["kty"] = keyTypeName(impl_->type);
  switch (impl_->type) {
    case KeyType::kRsa:
      out["n"] = impl_->n;
      out["e"] = impl_->e;
      break;
    case KeyType::kEc:
      out["crv"] = curveName(impl_->curve);
      out["x"] = impl_->x;
      out["y"] = impl_->y;
      break;
    case KeyType::kOkp:
      out["crv"] = curveName(impl_->curve);
      out["x"] = impl_->x;
      break;
  }
  if (!impl_->kid.empty()) {
    out["kid"] = impl_->kid;
  }
  if (!impl_->use.empty()) {
    out["use"] = impl_->use;
  }
  if (impl_->alg) {
    out["alg"] = algorithmName(*impl_->alg);
  }
  if (!impl_->keyOps.empty()) {
    out["key_ops"] = impl_->keyOps;
  }
  return out;
}

Result<json> Jwk::toPrivateJson() const {
  if (!impl_->isPrivate) {
    return fail(ErrorCode::kInvalidArgument, "key " + describe() + " has no private part");
  }
  json out = toPublicJson();
  EVP_PKEY* pkey = impl_->pkey.get();
  switch (impl_->type) {
    case KeyType::kRsa:
      out["d"] = bnParamB64(pkey, OSSL_PKEY_PARAM_RSA_D);
      out["p"] = bnParamB64(pkey, OSSL_PKEY_PARAM_RSA_FACTOR1);
      out["q"] = bnParamB64(pkey, OSSL_PKEY_PARAM_RSA_FACTOR2);
      out["dp"] = bnParamB64(pkey, OSSL_PKEY_PARAM_RSA_EXPONENT1);
      out["dq"] = bnParamB64(pkey, OSSL_PKEY_PARAM_RSA_EXPONENT2);
      out["qi"] = bnParamB64(pkey, OSSL_PKEY_PARAM_RSA_COEFFICIENT1);
      for (const char* m : {"d", "p", "q", "dp", "dq", "qi"}) {
        if (out[m].get_ref<const std::string&>().empty()) {
          return fail(ErrorCode::kCryptoFailure, "RSA private key lacks CRT parameters");
        }
      }
      break;
    case KeyType::kEc:
      out["d"] = bnParamB64(pkey, OSSL_PKEY_PARAM_PRIV_KEY, curveCoordinateSize(impl_->curve));
      break;
    case KeyType::kOkp: {
      SecretString d{std::string(32, '\0')};
      std::size_t len = 32;
      if (EVP_PKEY_get_raw_private_key(pkey, reinterpret_cast<unsigned char*>(d.value.data()),
                                       &len) != 1 ||
          len != 32) {
        return opensslError(ErrorCode::kCryptoFailure, "cannot read the Ed25519 private key");
      }
      out["d"] = base64UrlEncode(d.value);
      break;
    }
  }
  return out;
}

std::string Jwk::publicPem() const {
  crypto::BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PUBKEY(bio.get(), impl_->pkey.get());
  BUF_MEM* mem = nullptr;
  BIO_get_mem_ptr(bio.get(), &mem);
  return std::string(mem->data, mem->length);
}

Result<std::string> Jwk::privatePem() const {
  if (!impl_->isPrivate) {
    return fail(ErrorCode::kInvalidArgument, "key " + describe() + " has no private part");
  }
  crypto::BioPtr bio(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_PrivateKey(bio.get(), impl_->pkey.get(), nullptr, nullptr, 0, nullptr,
                               nullptr) != 1) {
    return opensslError(ErrorCode::kCryptoFailure, "cannot write the private key");
  }
  BUF_MEM* mem = nullptr;
  BIO_get_mem_ptr(bio.get(), &mem);
  std::string out(mem->data, mem->length);
  OPENSSL_cleanse(mem->data, mem->length);
  return out;
}

namespace {
Jwk::Impl copyImpl(const Jwk::Impl& from) {
  Jwk::Impl copy;
  EVP_PKEY_up_ref(from.pkey.get());
  copy.pkey.reset(from.pkey.get());
  copy.type = from.type;
  copy.curve = from.curve;
  copy.bits = from.bits;
  copy.isPrivate = from.isPrivate;
  copy.kid = from.kid;
  copy.alg = from.alg;
  copy.use = from.use;
  copy.keyOps = from.keyOps;
  copy.n = from.n;
  copy.e = from.e;
  copy.x = from.x;
  copy.y = from.y;
  copy.thumbprint = from.thumbprint;
  return copy;
}
}  // namespace

Jwk Jwk::withKid(std::string kid) const {
  auto copy = std::make_shared<Impl>(copyImpl(*impl_));
  copy->kid = std::move(kid);
  return Jwk(std::move(copy));
}

Jwk Jwk::withAlgorithm(std::optional<Algorithm> alg) const {
  auto copy = std::make_shared<Impl>(copyImpl(*impl_));
  copy->alg = alg;
  return Jwk(std::move(copy));
}

Jwk Jwk::publicOnly() const {
  if (!impl_->isPrivate) {
    return *this;
  }
  auto copy = std::make_shared<Impl>(copyImpl(*impl_));
  crypto::BioPtr bio(BIO_new(BIO_s_mem()));
  i2d_PUBKEY_bio(bio.get(), impl_->pkey.get());
  copy->pkey.reset(d2i_PUBKEY_bio(bio.get(), nullptr));
  copy->isPrivate = false;
  return Jwk(std::move(copy));
}

Result<void> Jwk::checkAlgorithm(Algorithm alg) const {
  const KeyType needType = requiredKeyType(alg);
  const Curve needCurve = requiredCurve(alg);
  if (needType != impl_->type || needCurve != impl_->curve) {
    std::string need(keyTypeName(needType));
    if (needCurve != Curve::kNone) {
      need += " " + std::string(curveName(needCurve));
    }
    return fail(ErrorCode::kTokenAlgKeyMismatch, std::string(algorithmName(alg)) + " needs an " +
                                                     need + " key; " + describe() +
                                                     " cannot verify it");
  }
  if (impl_->alg && *impl_->alg != alg) {
    return fail(ErrorCode::kTokenAlgKeyMismatch, describe() + " is bound to " +
                                                     std::string(algorithmName(*impl_->alg)) +
                                                     ", not " + std::string(algorithmName(alg)));
  }
  return {};
}

bool Jwk::isCompatible(Algorithm alg) const noexcept {
  return requiredKeyType(alg) == impl_->type && requiredCurve(alg) == impl_->curve &&
         (!impl_->alg || *impl_->alg == alg);
}

std::string Jwk::describe() const {
  std::string out(keyTypeName(impl_->type));
  out += impl_->type == KeyType::kRsa ? " " + std::to_string(impl_->bits)
                                      : " " + std::string(curveName(impl_->curve));
  out += " key ";
  out += impl_->kid.empty() ? "thumbprint " + impl_->thumbprint.substr(0, 12)
                            : "kid " + detail::quoteForMessage(impl_->kid);
  return out;
}

}  // namespace tessera::jose
