// Verifications per second through Tessera's JOSE library (full JWT validation: parse, key
// lookup, signature, claims) next to the bare OpenSSL verify of the same signature on the same
// key. scripts/run-bench also runs `openssl speed` in the same run and prints the ratios. And the
// strict JSON parse of a POST /v1/access body carrying a 1.1 KB token, through nlohmann's SAX
// parser (the reference, and the anchor) beside parseStrictJson's DOM built from its scan.
#include <benchmark/benchmark.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <map>
#include <stdexcept>
#include <string>

#include "jose/base64url.hpp"
#include "jose/json_strict.hpp"
#include "jose/jwt.hpp"

namespace {

using namespace tessera;

struct Case {
  jose::Jwks jwks;
  jose::Jwk key;
  std::string token;
  jose::JwtValidationOptions options;
};

const Case& benchCase(jose::Algorithm alg) {
  static std::map<jose::Algorithm, Case> cases;
  auto it = cases.find(alg);
  if (it != cases.end()) {
    return it->second;
  }
  auto key = jose::Jwk::generate(alg);
  if (!key) {
    throw std::runtime_error(key.error().describe());
  }
  const auto now = toUnixSeconds(SystemClock::instance().now());
  // A realistic Kubernetes service-account token payload.
  nlohmann::json claims = {
      {"iss", "https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"},
      {"sub", "system:serviceaccount:payments:api"},
      {"aud", {"sts.amazonaws.com"}},
      {"iat", now},
      {"nbf", now},
      {"exp", now + 3600},
      {"kubernetes.io",
       {{"namespace", "payments"},
        {"pod", {{"name", "api-7d4f9c6b5-x2k8q"}, {"uid", "4c1b0a6e-3f1d-4a55-9b3e-0c7f2d1e8a90"}}},
        {"serviceaccount", {{"name", "api"}, {"uid", "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"}}}}},
  };
  auto token = jose::signJwt(*key, alg, claims);
  if (!token) {
    throw std::runtime_error(token.error().describe());
  }
  Case c{jose::Jwks({key->publicOnly()}), key->publicOnly(), *token, {}};
  c.options.issuer = claims["iss"].get<std::string>();
  c.options.audiences = {"sts.amazonaws.com"};
  c.options.requiredClaims = {"sub"};
  return cases.emplace(alg, std::move(c)).first->second;
}

void verifyJwt(benchmark::State& state, jose::Algorithm alg) {
  const Case& c = benchCase(alg);
  const auto now = SystemClock::instance().now();
  for (auto _ : state) {
    auto verified = jose::verifyJwt(c.token, c.jwks, c.options, now);
    if (!verified) {
      state.SkipWithError(verified.error().message.c_str());
      break;
    }
    benchmark::DoNotOptimize(verified);
  }
  state.counters["verify/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

// For comparison: EVP_DigestVerify of the same signing input and signature on the same EVP_PKEY
// with a fresh context per call, as a straightforward implementation would do it.
void rawOpenSslVerify(benchmark::State& state, jose::Algorithm alg) {
  const Case& c = benchCase(alg);
  const auto lastDot = c.token.rfind('.');
  const std::string input = c.token.substr(0, lastDot);
  auto sig = *jose::base64UrlDecode(std::string_view(c.token).substr(lastDot + 1));
  if (alg == jose::Algorithm::kEs256) {
    // ECDSA in OpenSSL takes DER; convert raw R||S once, outside the loop.
    ECDSA_SIG* s = ECDSA_SIG_new();
    ECDSA_SIG_set0(s, BN_bin2bn(reinterpret_cast<const unsigned char*>(sig.data()), 32, nullptr),
                   BN_bin2bn(reinterpret_cast<const unsigned char*>(sig.data()) + 32, 32, nullptr));
    unsigned char* der = nullptr;
    const int len = i2d_ECDSA_SIG(s, &der);
    sig.assign(reinterpret_cast<char*>(der), static_cast<std::size_t>(len));
    OPENSSL_free(der);
    ECDSA_SIG_free(s);
  }
  const EVP_MD* md = alg == jose::Algorithm::kEdDsa ? nullptr : EVP_sha256();
  for (auto _ : state) {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    EVP_DigestVerifyInit(ctx, nullptr, md, nullptr, c.key.pkey());
    const int ok =
        EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                         reinterpret_cast<const unsigned char*>(input.data()), input.size());
    EVP_MD_CTX_free(ctx);
    if (ok != 1) {
      state.SkipWithError("raw verify failed");
      break;
    }
  }
  state.counters["verify/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

// The floor for RS256 itself: SHA-256 of the signing input and EVP_PKEY_verify on a context
// initialised once (no parsing, no claims). tessera / this = the share left to parsing and
// validation.
void rawRs256Floor(benchmark::State& state) {
  const Case& c = benchCase(jose::Algorithm::kRs256);
  const auto lastDot = c.token.rfind('.');
  const std::string input = c.token.substr(0, lastDot);
  const auto sig = *jose::base64UrlDecode(std::string_view(c.token).substr(lastDot + 1));
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_pkey(nullptr, c.key.pkey(), nullptr);
  EVP_PKEY_verify_init(ctx);
  EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING);
  EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256());
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  for (auto _ : state) {
    unsigned char digest[32];
    unsigned int len = 0;
    EVP_DigestInit_ex2(md, EVP_sha256(), nullptr);
    EVP_DigestUpdate(md, input.data(), input.size());
    EVP_DigestFinal_ex(md, digest, &len);
    if (EVP_PKEY_verify(ctx, reinterpret_cast<const unsigned char*>(sig.data()), sig.size(), digest,
                        len) != 1) {
      state.SkipWithError("raw verify failed");
      break;
    }
  }
  EVP_MD_CTX_free(md);
  EVP_PKEY_CTX_free(ctx);
  state.counters["verify/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

// A POST /v1/access body as an edge sends it: the workload's token is most of it.
std::string accessBody() {
  std::string token(1100, 'a');
  for (std::size_t i = 0; i < token.size(); i += 37) {
    token[i] = '.';
  }
  return R"({"evidence":{"kind":"token","token":")" + token +
         R"("},"target":{"host":"bedrock-runtime.us-east-1.amazonaws.com","port":443,)"
         R"("protocol":"http"},"context":{"sourceIp":"10.0.0.7","hostname":"sales-analytics-7d9f"}})";
}

template <bool kScan>
void parseAccessBody(benchmark::State& state) {
  const std::string body = accessBody();
  for (auto _ : state) {
    auto parsed = kScan ? jose::parseStrictJson(body) : jose::parseStrictJsonWithSax(body);
    if (!parsed) {
      state.SkipWithError("the body does not parse");
      break;
    }
    benchmark::DoNotOptimize(parsed);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
}

BENCHMARK(rawRs256Floor);
BENCHMARK_TEMPLATE(parseAccessBody, false)->Name("strictJson/nlohmannSax(anchor)");
BENCHMARK_TEMPLATE(parseAccessBody, true)->Name("strictJson/scanBuiltDom");
BENCHMARK_CAPTURE(verifyJwt, RS256, jose::Algorithm::kRs256);
BENCHMARK_CAPTURE(verifyJwt, ES256, jose::Algorithm::kEs256);
BENCHMARK_CAPTURE(verifyJwt, EdDSA, jose::Algorithm::kEdDsa);
BENCHMARK_CAPTURE(rawOpenSslVerify, RS256, jose::Algorithm::kRs256);
BENCHMARK_CAPTURE(rawOpenSslVerify, ES256, jose::Algorithm::kEs256);
BENCHMARK_CAPTURE(rawOpenSslVerify, EdDSA, jose::Algorithm::kEdDsa);

}  // namespace

BENCHMARK_MAIN();
