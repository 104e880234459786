#include "model/types/spec_checks.hpp"

#include <arpa/inet.h>

#include <charconv>

#include "crypto/pkcs7.hpp"
#include "net/url.hpp"

namespace tessera::model {

std::optional<std::string> objectNameProblem(std::string_view name) {
  if (name.empty()) {
    return "must not be empty";
  }
  if (name.size() > 63) {
    return "must be at most 63 characters long";
  }
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.')) {
      return "must use only lower-case letters, digits, '-' and '.' (found '" + std::string(1, c) +
             "')";
    }
  }
  const auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(name.front()) || !alnum(name.back())) {
    return "must start and end with a letter or digit";
  }
  return std::nullopt;
}

Schema objectNameSchema(std::string description) {
  return Schema::string(std::move(description)).length(1, 63).check([](const nlohmann::json& v) {
    return objectNameProblem(v.get_ref<const std::string&>());
  });
}

Schema fetchUrlSchema(std::string description) {
  return Schema::string(std::move(description))
      .length(1, 2048)
      .check([](const nlohmann::json& v) -> std::optional<std::string> {
        auto url = net::parseUrl(v.get_ref<const std::string&>());
        if (!url) {
          return "must be an absolute URL: " + url.error().message;
        }
        if (url->scheme != "https" && !(url->scheme == "http" && url->loopback())) {
          return "must use https (http only on a loopback address)";
        }
        return std::nullopt;
      });
}

std::optional<std::string> cidrProblem(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) {
    return "must be a CIDR block like 10.0.0.0/8 or 2001:db8::/32";
  }
  const std::string address(text.substr(0, slash));
  const auto prefixText = text.substr(slash + 1);
  unsigned char buf[16];
  int maxPrefix = 0;
  if (::inet_pton(AF_INET, address.c_str(), buf) == 1) {
    maxPrefix = 32;
  } else if (::inet_pton(AF_INET6, address.c_str(), buf) == 1) {
    maxPrefix = 128;
  } else {
    return "has an invalid address '" + address + "'";
  }
  if (prefixText.empty() || prefixText.find_first_not_of("0123456789") != std::string_view::npos) {
    return "has an invalid prefix length (0-" + std::to_string(maxPrefix) + ")";
  }
  int prefix = -1;
  const auto [end, ec] =
      std::from_chars(prefixText.data(), prefixText.data() + prefixText.size(), prefix);
  if (ec != std::errc() || end != prefixText.data() + prefixText.size() || prefix < 0 ||
      prefix > maxPrefix) {
    return "has an invalid prefix length (0-" + std::to_string(maxPrefix) + ")";
  }
  return std::nullopt;
}

Schema cidrSchema(std::string description) {
  return Schema::string(std::move(description)).length(1, 64).check([](const nlohmann::json& v) {
    return cidrProblem(v.get_ref<const std::string&>());
  });
}

Schema pemCertificatesSchema(std::string description, std::size_t minItems) {
  auto certificate =
      Schema::string("A PEM certificate (-----BEGIN CERTIFICATE----- ...).")
          .length(1, crypto::kMaxPemCertificateBytes)
          .check([](const nlohmann::json& v) -> std::optional<std::string> {
            if (auto parsed = crypto::parseCertificatePem(v.get_ref<const std::string&>());
                !parsed) {
              return parsed.error().message;
            }
            return std::nullopt;
          });
  return Schema::array(certificate, std::move(description)).items(minItems, 64);
}

Schema attributeRulesSchema(std::string description) {
  auto rule =
      Schema::object(
          {
              requiredField(
                  "attribute",
                  Schema::string("Attribute (claim) path, dots for nested claims.").length(1, 256)),
              optionalField("equals", Schema::string("Exact value.").length(0, 1024)),
              optionalField(
                  "oneOf",
                  Schema::array(Schema::string().length(0, 1024), "Allowed values.").items(1, 256)),
              optionalField(
                  "glob",
                  Schema::string("Pattern where * matches any run of characters.").length(1, 1024)),
          },
          "One rule: exactly one of equals, oneOf, glob.")
          .objectCheck(
              [](const nlohmann::json& v, const std::string& pointer, FieldErrors& errors) {
                const int n = static_cast<int>(v.contains("equals")) +
                              static_cast<int>(v.contains("oneOf")) +
                              static_cast<int>(v.contains("glob"));
                if (n != 1) {
                  errors.add(pointer, "must have exactly one of equals, oneOf, glob");
                }
              });
  return Schema::array(rule, std::move(description)).items(0, 64);
}

}  // namespace tessera::model
