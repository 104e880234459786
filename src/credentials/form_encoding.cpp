#include "credentials/form_encoding.hpp"

namespace tessera::credentials {

std::string formEncode(std::string_view in) {
  // net::percentEncode already keeps exactly the unreserved characters; the form encoding differs
  // only in writing space as '+'.
  std::string out;
  out.reserve(in.size());
  std::size_t start = 0;
  while (start <= in.size()) {
    const auto space = in.find(' ', start);
    out += net::percentEncode(
        in.substr(start, space == std::string_view::npos ? std::string_view::npos : space - start));
    if (space == std::string_view::npos) {
      break;
    }
    out.push_back('+');
    start = space + 1;
  }
  return out;
}

std::string formBody(const net::QueryParams& fields) {
  std::string out;
  for (const auto& [name, value] : fields) {
    if (!out.empty()) {
      out.push_back('&');
    }
    out += formEncode(name);
    out.push_back('=');
    out += formEncode(value);
  }
  return out;
}

}  // namespace tessera::credentials
