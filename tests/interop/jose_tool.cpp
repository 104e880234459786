// Test-only helper for the JOSE interop tests: signs a JWT with a private JWK file through
// Tessera's JOSE library, so peers (npm jose, joserfc, PyJWT) can verify what we sign.
// Verification in the other direction goes through the product CLI (`tessera token verify`).
//   jose_tool sign ALG PRIVATE_JWK_FILE CLAIMS_JSON
//   jose_tool public PRIVATE_JWK_FILE          (prints the public JWKS for that key)
//   jose_tool generate ALG                     (prints a fresh private JWK)
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "jose/jwt.hpp"

namespace {
std::string readFile(const char* path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

int failWith(const tessera::Error& e) {
  std::cerr << e.describe() << "\n";
  return 1;
}
}  // namespace

int main(int argc, char** argv) {
  using namespace tessera;
  const std::string cmd = argc > 1 ? argv[1] : "";
  if (cmd == "sign" && argc == 5) {
    auto alg = jose::algorithmFromName(argv[2]);
    if (!alg) {
      std::cerr << "unknown alg\n";
      return 2;
    }
    auto key = jose::Jwk::parse(readFile(argv[3]), {.allowPrivate = true});
    if (!key) {
      return failWith(key.error());
    }
    auto claims = nlohmann::json::parse(argv[4]);
    auto token = jose::signJwt(*key, *alg, claims);
    if (!token) {
      return failWith(token.error());
    }
    std::cout << *token << "\n";
    return 0;
  }
  if (cmd == "public" && argc == 3) {
    auto key = jose::Jwk::parse(readFile(argv[2]), {.allowPrivate = true});
    if (!key) {
      return failWith(key.error());
    }
    std::cout << nlohmann::json{{"keys", {key->toPublicJson()}}}.dump() << "\n";
    return 0;
  }
  if (cmd == "generate" && argc == 3) {
    auto alg = jose::algorithmFromName(argv[2]);
    if (!alg) {
      std::cerr << "unknown alg\n";
      return 2;
    }
    auto key = jose::Jwk::generate(*alg);
    if (!key) {
      return failWith(key.error());
    }
    std::cout << key->toPrivateJson()->dump() << "\n";
    return 0;
  }
  std::cerr << "usage: jose_tool sign ALG JWK_FILE CLAIMS | public JWK_FILE | generate ALG\n";
  return 2;
}
