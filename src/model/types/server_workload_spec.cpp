// ServerWorkload spec: the target (host pattern, port, application protocol), TLS, and how the
// target authenticates a caller.
#include "model/host_pattern.hpp"
#include "model/types/builtin_types.hpp"

namespace tessera::model {

namespace {
const std::vector<std::string> kProtocols = {"http", "postgres", "mysql", "redis"};
const std::vector<std::string> kMethods = {"bearer",    "header",   "query", "basic",
                                           "aws-sigv4", "password", "none"};

void checkServerWorkload(const nlohmann::json& spec, const std::string& pointer,
                         FieldErrors& errors) {
  const auto& protocol = spec.at("protocol").get_ref<const std::string&>();
  const auto& auth = spec.at("authentication");
  const auto& method = auth.at("method").get_ref<const std::string&>();
  const bool http = protocol == "http";
  const std::string authPointer = pointer + "/authentication";
  if ((method == "bearer" || method == "header" || method == "query" || method == "basic" ||
       method == "aws-sigv4") &&
      !http) {
    errors.add(authPointer + "/method",
               "'" + method + "' needs protocol http, not '" + protocol + "'");
  }
  if (method == "password" && http) {
    errors.add(authPointer + "/method", "'password' is for database protocols, not http");
  }
  if (method == "header" && !auth.contains("header")) {
    errors.add(authPointer + "/header", "is required for method 'header'");
  }
  if (method == "query" && !auth.contains("parameter")) {
    errors.add(authPointer + "/parameter", "is required for method 'query'");
  }
  for (const char* field : {"header", "prefix"}) {
    if (auth.contains(field) && method != "header") {
      errors.add(authPointer + "/" + field, "applies only to method 'header'");
    }
  }
  if (auth.contains("parameter") && method != "query") {
    errors.add(authPointer + "/parameter", "applies only to method 'query'");
  }
  const auto tls = spec.find("tls");
  if (tls != spec.end() && tls->value("decrypt", false)) {
    if (!http) {
      errors.add(pointer + "/tls/decrypt", "applies only to protocol http");
    }
    if (isWildcardHostPattern(spec.at("host").get_ref<const std::string&>())) {
      errors.add(pointer + "/tls/decrypt",
                 "needs an exact host: the edge makes certificates only for exact host names");
    }
  }
}
}  // namespace

Schema serverWorkloadSpecSchema() {
  auto header =
      Schema::string("HTTP header field name (method header).")
          .length(1, 128)
          .check([](const nlohmann::json& v) -> std::optional<std::string> {
            for (char c : v.get_ref<const std::string&>()) {
              if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')) {
                return "must be a header field name (letters, digits, '-', '_')";
              }
            }
            return std::nullopt;
          });
  return Schema::object(
             {
                 requiredField("host", Schema::string("Exact host, IP address, or *.domain glob.")
                                           .length(1, 253)
                                           .check([](const nlohmann::json& v) {
                                             return hostPatternProblem(
                                                 v.get_ref<const std::string&>());
                                           })),
                 requiredField("port", Schema::integer("TCP port.").range(1, 65535)),
                 requiredField("protocol",
                               Schema::string("Application protocol.").oneOf(kProtocols)),
                 optionalField(
                     "tls",
                     Schema::object(
                         {
                             optionalField("enabled",
                                           Schema::boolean("Connect to the server over TLS "
                                                           "(default true).")),
                             optionalField("decrypt",
                                           Schema::boolean("The edge terminates the client's TLS "
                                                           "to inject credentials (default "
                                                           "false; exact hosts only).")),
                             optionalField("caBundle",
                                           Schema::string("PEM CA bundle to verify the server "
                                                          "(default: system roots).")
                                               .length(1, 65536)),
                             optionalField("serverName",
                                           Schema::string("TLS server name, if not the host.")
                                               .length(1, 253)),
                         },
                         "TLS towards the server.")),
                 requiredField(
                     "authentication",
                     Schema::object(
                         {
                             requiredField("method", Schema::string("How the credential is put "
                                                                    "on the wire.")
                                                         .oneOf(kMethods)),
                             optionalField("header", header),
                             optionalField("prefix",
                                           Schema::string("Text before the credential in the "
                                                          "header, e.g. 'Token '.")
                                               .length(0, 64)),
                             optionalField("parameter",
                                           Schema::string("Query parameter name (method query).")
                                               .length(1, 128)),
                         },
                         "How the server authenticates callers.")),
             },
             "A target: where it is and how it authenticates.")
      .objectCheck(checkServerWorkload);
}

}  // namespace tessera::model
