// Checks and schema pieces shared by several spec types: object-name references, URLs that keys
// or tokens may be fetched from, CIDR blocks, PEM certificates, attribute match rules.
#pragma once

#include <optional>
#include <string>

#include "model/spec_schema.hpp"

namespace tessera::model {

// Why `name` is not a valid object name (1-63 of a-z 0-9 '-' '.', starting and ending with a
// letter or digit), or nullopt.
std::optional<std::string> objectNameProblem(std::string_view name);

// A string naming another object of the configuration.
Schema objectNameSchema(std::string description);
// An https URL, or http on a loopback host (development issuers).
Schema fetchUrlSchema(std::string description);
// "10.0.0.0/8" or "2001:db8::/32".
Schema cidrSchema(std::string description);
std::optional<std::string> cidrProblem(std::string_view text);
// A list of PEM X.509 certificates (1 to 64 unless `minItems` is 0), each parsed at validation
// time so that a typo is refused when the object is applied, not at the first decision.
Schema pemCertificatesSchema(std::string description, std::size_t minItems = 1);
// Rules on verified attributes: [{attribute, equals | oneOf | glob}], all must hold.
Schema attributeRulesSchema(std::string description);

}  // namespace tessera::model
