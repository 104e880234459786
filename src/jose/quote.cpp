#include "jose/quote.hpp"

namespace tessera::jose::detail {

std::string quoteForMessage(std::string_view s, std::size_t max) {
  std::string out = "\"";
  for (char c : s.substr(0, max)) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back(u >= 0x20 && u != 0x7f && c != '"' && c != '\\' ? c : '?');
  }
  if (s.size() > max) {
    out += "...";
  }
  out += "\"";
  return out;
}

}  // namespace tessera::jose::detail
