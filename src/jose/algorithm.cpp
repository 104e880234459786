#include "jose/algorithm.hpp"

#include <cctype>

namespace tessera::jose {
namespace {

bool equalsIgnoreCase(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// Attacker-controlled names are quoted and cut short before they reach a message.
std::string quoteShort(std::string_view s) {
  std::string out = "\"";
  for (char c : s.substr(0, 32)) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back(u >= 0x20 && u < 0x7f && c != '"' && c != '\\' ? c : '?');
  }
  if (s.size() > 32) {
    out += "...";
  }
  out += "\"";
  return out;
}

}  // namespace

std::string_view algorithmName(Algorithm alg) noexcept {
  switch (alg) {
    case Algorithm::kRs256:
      return "RS256";
    case Algorithm::kRs384:
      return "RS384";
    case Algorithm::kRs512:
      return "RS512";
    case Algorithm::kPs256:
      return "PS256";
    case Algorithm::kPs384:
      return "PS384";
    case Algorithm::kPs512:
      return "PS512";
    case Algorithm::kEs256:
      return "ES256";
    case Algorithm::kEs384:
      return "ES384";
    case Algorithm::kEs512:
      return "ES512";
    case Algorithm::kEdDsa:
      return "EdDSA";
  }
  return "?";
}

std::optional<Algorithm> algorithmFromName(std::string_view name) noexcept {
  for (Algorithm a : kAllAlgorithms) {
    if (algorithmName(a) == name) {
      return a;
    }
  }
  return std::nullopt;
}

Result<Algorithm> parseTokenAlgorithm(std::string_view name) {
  if (auto alg = algorithmFromName(name)) {
    return *alg;
  }
  if (equalsIgnoreCase(name, "none")) {
    return fail(ErrorCode::kTokenAlgNone,
                "alg " + quoteShort(name) + " (unsigned token) is never accepted");
  }
  if (equalsIgnoreCase(name, "HS256") || equalsIgnoreCase(name, "HS384") ||
      equalsIgnoreCase(name, "HS512")) {
    return fail(ErrorCode::kTokenAlgHmacRejected,
                "alg " + quoteShort(name) +
                    " (HMAC) is never accepted: Tessera verifies tokens with asymmetric keys only");
  }
  return fail(ErrorCode::kTokenAlgUnsupported,
              "alg " + quoteShort(name) +
                  " is not supported (supported: RS256/384/512, PS256/384/512, "
                  "ES256/384/512, EdDSA)");
}

KeyType requiredKeyType(Algorithm alg) noexcept {
  switch (alg) {
    case Algorithm::kRs256:
    case Algorithm::kRs384:
    case Algorithm::kRs512:
    case Algorithm::kPs256:
    case Algorithm::kPs384:
    case Algorithm::kPs512:
      return KeyType::kRsa;
    case Algorithm::kEs256:
    case Algorithm::kEs384:
    case Algorithm::kEs512:
      return KeyType::kEc;
    case Algorithm::kEdDsa:
      return KeyType::kOkp;
  }
  return KeyType::kRsa;
}

Curve requiredCurve(Algorithm alg) noexcept {
  switch (alg) {
    case Algorithm::kEs256:
      return Curve::kP256;
    case Algorithm::kEs384:
      return Curve::kP384;
    case Algorithm::kEs512:
      return Curve::kP521;
    case Algorithm::kEdDsa:
      return Curve::kEd25519;
    default:
      return Curve::kNone;
  }
}

std::string_view keyTypeName(KeyType type) noexcept {
  switch (type) {
    case KeyType::kRsa:
      return "RSA";
    case KeyType::kEc:
      return "EC";
    case KeyType::kOkp:
      return "OKP";
  }
  return "?";
}

std::string_view curveName(Curve curve) noexcept {
  switch (curve) {
    case Curve::kNone:
      return "";
    case Curve::kP256:
      return "P-256";
    case Curve::kP384:
      return "P-384";
    case Curve::kP521:
      return "P-521";
    case Curve::kEd25519:
      return "Ed25519";
  }
  return "";
}

std::optional<Curve> curveFromName(std::string_view name) noexcept {
  for (Curve c : {Curve::kP256, Curve::kP384, Curve::kP521, Curve::kEd25519}) {
    if (curveName(c) == name) {
      return c;
    }
  }
  return std::nullopt;
}

std::string AlgorithmSet::describe() const {
  std::string out = "[";
  for (Algorithm a : kAllAlgorithms) {
    if (contains(a)) {
      if (out.size() > 1) {
        out += ", ";
      }
      out += algorithmName(a);
    }
  }
  out += "]";
  return out;
}

std::size_t curveCoordinateSize(Curve c) noexcept {
  switch (c) {
    case Curve::kP256:
      return 32;
    case Curve::kP384:
      return 48;
    case Curve::kP521:
      return 66;
    case Curve::kEd25519:
      return 32;
    case Curve::kNone:
      return 0;
  }
  return 0;
}

}  // namespace tessera::jose
