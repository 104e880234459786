// AttributeTemplate: a string with ${name} references to a client workload's verified attributes
// ("${k8s.namespace}/${k8s.serviceAccountName}", "repo:${github.repository}"), as credential
// providers use them for subjects and claims. Parsed once when a provider is compiled (syntax
// errors are configuration errors), expanded per grant. Pure.
//
// Syntax: "${name}" is replaced by the attribute's value; "$${" is a literal "${"; any other "$"
// is itself. Names are 1 to 128 characters of letters, digits, '.', '_' and '-'. An unterminated
// "${", an empty or malformed name fails parsing; a name the attributes lack fails expansion
// (fail closed: a token never carries a hole where an identity should be).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "trust/attributes.hpp"

namespace tessera::credentials {

class AttributeTemplate {
 public:
  // kInvalidArgument naming the offset and the problem.
  static Result<AttributeTemplate> parse(std::string_view text);

  // kInvalidArgument naming the first attribute that is missing or not verified. Only verified
  // attributes expand: context the edge reported is not proof of anything.
  Result<std::string> expand(const trust::Attributes& attributes) const;

  // The attribute names referenced, in order of appearance.
  std::vector<std::string> names() const;
  bool isLiteral() const;

 private:
  struct Segment {
    bool attribute = false;
    std::string text;  // literal text, or the attribute name
  };
  std::vector<Segment> segments_;
};

}  // namespace tessera::credentials
