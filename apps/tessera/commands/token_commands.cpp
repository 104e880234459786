// tessera token {verify, inspect, sign}: what operators use to debug trust between Tessera and
// identity providers or relying parties.
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>

#include "commands/commands.hpp"
#include "commands/hub_context.hpp"
#include "commands/jwks_source.hpp"
#include "common/duration.hpp"
#include "common/time_format.hpp"
#include "crypto/digest.hpp"
#include "crypto/random.hpp"
#include "jose/base64url.hpp"
#include "jose/json_strict.hpp"
#include "jose/jwt.hpp"

namespace tessera::cli {

namespace {

constexpr std::size_t kMaxStdinToken = 64 * 1024;

Result<std::string> readToken(const std::string& arg) {
  std::string token = arg;
  if (arg == "-") {
    token.clear();
    char buf[4096];
    while (std::cin.read(buf, sizeof buf) || std::cin.gcount() > 0) {
      token.append(buf, static_cast<std::size_t>(std::cin.gcount()));
      if (token.size() > kMaxStdinToken) {
        return fail(ErrorCode::kTokenTooLarge, "token on standard input exceeds 64 KiB");
      }
    }
  }
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' ')) {
    token.pop_back();
  }
  if (token.empty()) {
    return fail(ErrorCode::kTokenMalformed, "no token given");
  }
  return token;
}

std::string humanTimes(const nlohmann::json& claims, std::int64_t now) {
  std::string out;
  for (const char* name : {"iat", "nbf", "exp"}) {
    if (claims.contains(name) && claims[name].is_number_integer()) {
      const auto t = claims[name].get<std::int64_t>();
      const auto delta = t - now;
      out += std::string("  ") + name + "  " + formatUnixRfc3339(t) + "  (" +
             (delta >= 0 ? "in " + std::to_string(delta) : std::to_string(-delta) + " s ago") +
             (delta >= 0 ? " s)" : ")") + "\n";
    }
  }
  return out;
}

}  // namespace

void registerTokenCommands(CLI::App& app, int& exitCode) {
  auto* token = app.add_subcommand("token", "Verify, inspect and sign JWTs");
  token->require_subcommand(1);

  struct VerifyArgs {
    std::string jwks, issuer, token, typ;
    std::vector<std::string> audiences, algorithms, required;
    std::string leeway = "60s";
    bool insecure = false;
    std::string caFile;
  };
  auto v = std::make_shared<VerifyArgs>();
  auto* verify = token->add_subcommand(
      "verify",
      "Verify a JWT's signature and claims; prints the verified header and claims, or the exact "
      "reason it is rejected (exit code 1)");
  verify->add_option("--jwks", v->jwks, "JWKS file, or an https:// URL (http:// on loopback)")
      ->required();
  verify->add_option("--issuer", v->issuer, "Expected iss")->required();
  verify->add_option("--audience", v->audiences, "Accepted aud (repeatable)")->required();
  verify->add_option("--alg", v->algorithms,
                     "Allowed algorithms (repeatable; default: any the "
                     "key allows)");
  verify->add_option("--require", v->required, "Claims that must be present (repeatable)");
  verify->add_option("--typ", v->typ, "Required typ header (e.g. JWT)");
  verify->add_option("--leeway", v->leeway, "Clock skew allowed for exp/nbf/iat")
      ->capture_default_str();
  verify->add_option("--ca-file", v->caFile, "CA bundle for an https JWKS URL");
  verify->add_option("TOKEN", v->token, "The token, or - to read it from standard input")
      ->required();
  verify->callback([v, &exitCode] {
    auto tokenText = readToken(v->token);
    if (!tokenText) {
      exitCode = reportError(tokenText.error());
      return;
    }
    auto leeway = parseDuration(v->leeway);
    if (!leeway) {
      exitCode =
          reportError(Error{ErrorCode::kInvalidArgument, "--leeway: " + leeway.error().message});
      return;
    }
    auto jwks = loadJwks(v->jwks, v->caFile);
    if (!jwks) {
      exitCode = reportError(jwks.error());
      return;
    }
    for (const auto& skipped : jwks->skipped()) {
      std::cerr << "note: JWKS key " << skipped.index << " (kid \"" << skipped.kid
                << "\") skipped: " << skipped.reason << "\n";
    }
    jose::JwtValidationOptions options;
    options.issuer = v->issuer;
    options.audiences = v->audiences;
    options.leeway = std::chrono::duration_cast<std::chrono::seconds>(*leeway);
    options.requiredClaims = v->required;
    if (!v->typ.empty()) {
      options.typ = v->typ;
    }
    for (const auto& name : v->algorithms) {
      auto alg = jose::algorithmFromName(name);
      if (!alg) {
        exitCode = reportError(
            Error{ErrorCode::kInvalidArgument, "--alg " + name + " is not a supported algorithm"});
        return;
      }
      options.allowedAlgorithms.insert(*alg);
    }
    const auto now = SystemClock::instance().now();
    auto verified = jose::verifyJwt(*tokenText, *jwks, options, now);
    if (!verified) {
      std::cerr << "token rejected (" << crypto::fingerprint(*tokenText)
                << "): " << verified.error().message << " [" << errorCodeName(verified.error().code)
                << "]\n";
      exitCode = 1;
      return;
    }
    std::cout << "VERIFIED with key " << verified->key.describe() << ", "
              << jose::algorithmName(verified->alg) << "\n"
              << "header: " << verified->header->dump(2) << "\n"
              << "claims: " << verified->claims->dump(2) << "\n"
              << humanTimes(*verified->claims, toUnixSeconds(now));
  });

  auto inspectToken = std::make_shared<std::string>();
  auto* inspect = token->add_subcommand(
      "inspect", "Decode a JWT WITHOUT verifying it (for debugging only; says so loudly)");
  inspect->add_option("TOKEN", *inspectToken, "The token, or - to read it from standard input")
      ->required();
  inspect->callback([inspectToken, &exitCode] {
    auto tokenText = readToken(*inspectToken);
    if (!tokenText) {
      exitCode = reportError(tokenText.error());
      return;
    }
    std::cerr << "WARNING: NOT VERIFIED. This only decodes the token; its signature, issuer, "
                 "audience and times have not been checked. Use `tessera token verify`.\n";
    std::vector<std::string_view> parts;
    std::string_view rest = *tokenText;
    for (std::size_t dot; (dot = rest.find('.')) != std::string_view::npos;) {
      parts.push_back(rest.substr(0, dot));
      rest.remove_prefix(dot + 1);
    }
    parts.push_back(rest);
    if (parts.size() != 3) {
      exitCode = reportError(
          Error{ErrorCode::kTokenSegmentCount,
                "a compact JWS has 3 segments, this has " + std::to_string(parts.size())});
      return;
    }
    nlohmann::json decoded[2];
    for (int i = 0; i < 2; ++i) {
      auto bytes = jose::base64UrlDecode(parts[static_cast<std::size_t>(i)]);
      if (!bytes) {
        exitCode = reportError(bytes.error());
        return;
      }
      auto json = jose::parseStrictJson(*bytes);
      if (!json) {
        exitCode = reportError(json.error());
        return;
      }
      decoded[i] = std::move(*json);
    }
    std::cout << "header (unverified): " << decoded[0].dump(2) << "\n"
              << "claims (unverified): " << decoded[1].dump(2) << "\n"
              << humanTimes(decoded[1], toUnixSeconds(SystemClock::instance().now()))
              << "signature: " << parts[2].size() << " base64url characters\n"
              << "fingerprint: " << crypto::fingerprint(*tokenText) << "\n";
  });

  struct SignArgs {
    HubLocation location;
    std::string subject, algorithm = "RS256", ttl = "5m";
    std::vector<std::string> audiences, claims;
  };
  auto s = std::make_shared<SignArgs>();
  auto* sign = token->add_subcommand(
      "sign",
      "Sign a token with the hub's current key (to test a relying party's trust in the hub)");
  s->location.addOptions(sign);
  sign->add_option("--sub", s->subject, "Subject")->required();
  sign->add_option("--aud", s->audiences, "Audience (repeatable)")->required();
  sign->add_option("--alg", s->algorithm, "RS256 or ES256")->capture_default_str();
  sign->add_option("--ttl", s->ttl, "Lifetime (at most keys.maxTokenLifetime)")
      ->capture_default_str();
  sign->add_option("--claim", s->claims, "Extra string claim NAME=VALUE (repeatable)");
  sign->callback([s, &exitCode] {
    auto ttl = parseDuration(s->ttl);
    if (!ttl) {
      exitCode = reportError(Error{ErrorCode::kInvalidArgument, "--ttl: " + ttl.error().message});
      return;
    }
    auto opened = openKeys(s->location);
    if (!opened) {
      exitCode = reportError(opened.error());
      return;
    }
    const std::int64_t now = toUnixSeconds(SystemClock::instance().now());
    nlohmann::json claims = {
        {"iss", opened->config.issuer},
        {"sub", s->subject},
        {"iat", now},
        {"nbf", now},
        {"exp", now + std::chrono::duration_cast<std::chrono::seconds>(*ttl).count()},
        {"jti", crypto::randomToken(16)},
    };
    claims["aud"] =
        s->audiences.size() == 1 ? nlohmann::json(s->audiences[0]) : nlohmann::json(s->audiences);
    for (const auto& c : s->claims) {
      const auto eq = c.find('=');
      if (eq == std::string::npos || eq == 0) {
        exitCode = reportError(
            Error{ErrorCode::kInvalidArgument, "--claim " + c + ": expected NAME=VALUE"});
        return;
      }
      const std::string name = c.substr(0, eq);
      for (const char* reserved : {"iss", "sub", "aud", "iat", "nbf", "exp", "jti"}) {
        if (name == reserved) {
          exitCode = reportError(Error{ErrorCode::kInvalidArgument,
                                       "--claim " + name + ": set by the hub, not by --claim"});
          return;
        }
      }
      claims[name] = c.substr(eq + 1);
    }
    auto signedToken = opened->keys->sign(s->algorithm, claims);
    if (!signedToken) {
      exitCode = reportError(signedToken.error());
      return;
    }
    std::cout << *signedToken << "\n";
  });
}

}  // namespace tessera::cli
