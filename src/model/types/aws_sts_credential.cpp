// CredentialProvider type "aws-sts": AssumeRoleWithWebIdentity with a hub-signed token.
#include <regex>

#include "model/types/builtin_types.hpp"
#include "model/types/spec_checks.hpp"

namespace tessera::model {

Schema awsStsCredentialSchema() {
  return Schema::object(
      {
          requiredField("roleArn",
                        Schema::string("arn:aws:iam::123456789012:role/name")
                            .length(20, 2048)
                            .check([](const nlohmann::json& v) -> std::optional<std::string> {
                              static const std::regex kArn(
                                  R"(arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512})");
                              if (!std::regex_match(v.get<std::string>(), kArn)) {
                                return "must be an IAM role ARN like "
                                       "arn:aws:iam::123456789012:role/name";
                              }
                              return std::nullopt;
                            })),
          optionalField("region", Schema::string("STS region (default us-east-1).").length(1, 32)),
          optionalField("endpoint", fetchUrlSchema("STS endpoint (default: regional AWS).")),
          optionalField("durationSeconds", Schema::integer().range(900, 43200)),
          optionalField("sessionPolicy",
                        Schema::string("Inline session policy (JSON).").length(1, 2048)),
      },
      "Temporary AWS credentials through AssumeRoleWithWebIdentity with a hub-signed token.");
}

}  // namespace tessera::model
