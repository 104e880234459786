#include "credentials/attribute_template.hpp"

namespace tessera::credentials {

namespace {
constexpr std::size_t kMaxNameLength = 128;

bool nameCharacter(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' || c == '-';
}
}  // namespace

Result<AttributeTemplate> AttributeTemplate::parse(std::string_view text) {
  AttributeTemplate out;
  std::string literal;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text.compare(i, 3, "$${") == 0) {
      literal += "${";
      i += 3;
      continue;
    }
    if (text.compare(i, 2, "${") != 0) {
      literal += text[i++];
      continue;
    }
    const std::size_t close = text.find('}', i + 2);
    if (close == std::string_view::npos) {
      return fail(ErrorCode::kInvalidArgument, "unterminated ${ at offset " + std::to_string(i) +
                                                   " (write $${ for a literal ${)");
    }
    const std::string_view name = text.substr(i + 2, close - i - 2);
    if (name.empty()) {
      return fail(ErrorCode::kInvalidArgument,
                  "empty attribute name ${} at offset " + std::to_string(i));
    }
    if (name.size() > kMaxNameLength) {
      return fail(ErrorCode::kInvalidArgument, "attribute name at offset " + std::to_string(i) +
                                                   " is longer than " +
                                                   std::to_string(kMaxNameLength) + " characters");
    }
    for (char c : name) {
      if (!nameCharacter(c)) {
        return fail(ErrorCode::kInvalidArgument,
                    "attribute name at offset " + std::to_string(i) +
                        " may hold only letters, digits, '.', '_' and '-'");
      }
    }
    if (!literal.empty()) {
      out.segments_.push_back({false, std::move(literal)});
      literal.clear();
    }
    out.segments_.push_back({true, std::string(name)});
    i = close + 1;
  }
  if (!literal.empty()) {
    out.segments_.push_back({false, std::move(literal)});
  }
  return out;
}

Result<std::string> AttributeTemplate::expand(const trust::Attributes& attributes) const {
  std::string out;
  for (const auto& s : segments_) {
    if (!s.attribute) {
      out += s.text;
      continue;
    }
    const auto it = attributes.find(s.text);
    if (it == attributes.end()) {
      return fail(ErrorCode::kInvalidArgument,
                  "the template needs attribute " + s.text +
                      ", which the client workload's verified identity does not have");
    }
    if (!it->second.verified) {
      return fail(ErrorCode::kInvalidArgument, "the template needs attribute " + s.text +
                                                   ", which is context the edge reported, not a "
                                                   "verified attribute");
    }
    out += it->second.value;
  }
  return out;
}

std::vector<std::string> AttributeTemplate::names() const {
  std::vector<std::string> out;
  for (const auto& s : segments_) {
    if (s.attribute) {
      out.push_back(s.text);
    }
  }
  return out;
}

bool AttributeTemplate::isLiteral() const {
  for (const auto& s : segments_) {
    if (s.attribute) {
      return false;
    }
  }
  return true;
}

}  // namespace tessera::credentials
