#include "model/host_pattern.hpp"

#include <arpa/inet.h>

#include <cctype>

namespace tessera::model {

namespace {
constexpr std::size_t kMaxHostLength = 253;
constexpr std::size_t kMaxLabelLength = 63;

bool isIpLiteral(std::string_view text) {
  if (text.size() > 45) {
    return false;
  }
  const std::string s(text);
  unsigned char buf[16];
  return ::inet_pton(AF_INET, s.c_str(), buf) == 1 || ::inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

std::optional<std::string> labelProblem(std::string_view label) {
  if (label.empty()) {
    return "has an empty label";
  }
  if (label.size() > kMaxLabelLength) {
    return "has a label longer than 63 characters";
  }
  for (char c : label) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (c >= 'A' && c <= 'Z') {
      return "must be lower case";
    }
    if (c == '*') {
      return "may use '*' only as the whole leftmost label, as in *.example.com";
    }
    if (!ok) {
      return "has an invalid character '" + std::string(1, c) +
             "' (letters, digits, '-' and '_' only)";
    }
  }
  if (label.front() == '-' || label.back() == '-') {
    return "has a label that starts or ends with '-'";
  }
  return std::nullopt;
}

char lower(char c) {
  return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

bool equalsFolded(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) {
      return false;
    }
  }
  return true;
}
}  // namespace

std::optional<std::string> hostPatternProblem(std::string_view pattern) {
  if (pattern.empty()) {
    return "must not be empty";
  }
  if (pattern == "*") {
    return "must not be a bare '*': a server workload never captures every host";
  }
  if (pattern.size() > kMaxHostLength) {
    return "must be at most 253 characters long";
  }
  if (isIpLiteral(pattern)) {
    return std::nullopt;
  }
  if (pattern.back() == '.') {
    return "must not end with '.'";
  }
  std::string_view rest = pattern;
  std::size_t labels = 0;
  bool wildcard = false;
  if (rest.starts_with("*.")) {
    wildcard = true;
    rest.remove_prefix(2);
  }
  for (;;) {
    const auto dot = rest.find('.');
    const auto label = rest.substr(0, dot);
    if (auto problem = labelProblem(label)) {
      return *problem;
    }
    ++labels;
    if (dot == std::string_view::npos) {
      break;
    }
    rest.remove_prefix(dot + 1);
  }
  if (wildcard && labels < 2) {
    return "must not be a top-level wildcard like *.com: name at least the domain under it";
  }
  const auto last = pattern.substr(pattern.rfind('.') + 1);
  if (!last.empty() && std::isdigit(static_cast<unsigned char>(last.front())) &&
      last.find_first_not_of("0123456789") == std::string_view::npos) {
    return "is neither a valid IP address nor a host name";
  }
  return std::nullopt;
}

bool isWildcardHostPattern(std::string_view pattern) noexcept {
  return pattern.starts_with("*.");
}

bool hostMatches(std::string_view pattern, std::string_view host) noexcept {
  if (!host.empty() && host.back() == '.') {
    host.remove_suffix(1);
  }
  if (!isWildcardHostPattern(pattern)) {
    return equalsFolded(pattern, host);
  }
  const auto suffix = pattern.substr(1);  // ".s3.amazonaws.com"
  if (host.size() <= suffix.size()) {
    return false;
  }
  const auto first = host.substr(0, host.size() - suffix.size());
  return first.find('.') == std::string_view::npos &&
         equalsFolded(host.substr(first.size()), suffix);
}

}  // namespace tessera::model
