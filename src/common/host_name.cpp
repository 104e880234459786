#include "common/host_name.hpp"

#include <algorithm>

namespace tessera {

namespace {
bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

bool isLabelChar(char c) {
  return (c >= 'a' && c <= 'z') || isDigit(c) || c == '-' || c == '_';
}
}  // namespace

HostNameFault checkHostName(std::string_view lowerName) {
  std::string_view rest = lowerName;
  std::string_view lastLabel;
  while (true) {
    const auto dot = rest.find('.');
    const auto label = rest.substr(0, dot);
    if (label.empty()) {
      return HostNameFault::kEmptyLabel;
    }
    if (label.size() > kMaxHostLabelBytes) {
      return HostNameFault::kLongLabel;
    }
    if (!std::all_of(label.begin(), label.end(), isLabelChar)) {
      return HostNameFault::kBadCharacter;
    }
    lastLabel = label;
    if (dot == std::string_view::npos) {
      break;
    }
    rest.remove_prefix(dot + 1);
  }
  if (std::all_of(lastLabel.begin(), lastLabel.end(), isDigit) ||
      (lastLabel.size() > 1 && lastLabel[0] == '0' && lastLabel[1] == 'x')) {
    return HostNameFault::kNumeric;
  }
  return HostNameFault::kNone;
}

}  // namespace tessera
