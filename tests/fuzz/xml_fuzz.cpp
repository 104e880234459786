// libFuzzer target for the strict XML reader that reads AWS STS answers. Besides not crashing, a
// parsed tree must respect the limits it was parsed under, and writing it back out as XML must
// parse to the same tree (references, CDATA and line ends decode the same way every time).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "credentials/xml_reader.hpp"

namespace {

using tessera::credentials::XmlElement;
using tessera::credentials::XmlLimits;

void check(bool condition) {
  if (!condition) {
    __builtin_trap();
  }
}

void escape(std::string& out, std::string_view text) {
  for (const char c : text) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\r':
        out += "&#13;";
        break;
      case '\n':
        out += "&#10;";
        break;
      case '\t':
        out += "&#9;";
        break;
      default:
        out.push_back(c);
    }
  }
}

void write(std::string& out, const XmlElement& e) {
  out += "<" + e.name;
  for (const auto& [name, value] : e.attributes) {
    out += " " + name + "=\"";
    escape(out, value);
    out += "\"";
  }
  out += ">";
  escape(out, e.text);
  for (const auto& child : e.children) {
    write(out, child);
  }
  out += "</" + e.name + ">";
}

bool same(const XmlElement& a, const XmlElement& b) {
  if (a.name != b.name || a.attributes != b.attributes || a.text != b.text ||
      a.children.size() != b.children.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.children.size(); ++i) {
    if (!same(a.children[i], b.children[i])) {
      return false;
    }
  }
  return true;
}

std::size_t depthOf(const XmlElement& e, const XmlLimits& limits, std::size_t& elements) {
  ++elements;
  check(e.attributes.size() <= limits.maxAttributesPerElement);
  check(!e.name.empty() && e.name.size() <= limits.maxNameBytes);
  std::size_t deepest = 0;
  for (const auto& child : e.children) {
    deepest = std::max(deepest, depthOf(child, limits, elements));
  }
  return deepest + 1;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const XmlLimits limits{.maxBytes = 16 * 1024,
                         .maxDepth = 8,
                         .maxElements = 256,
                         .maxAttributesPerElement = 8,
                         .maxNameBytes = 64};
  auto doc = tessera::credentials::parseXml(input, limits);
  if (!doc.ok()) {
    return 0;
  }
  std::size_t elements = 0;
  check(depthOf(*doc, limits, elements) <= limits.maxDepth);
  check(elements <= limits.maxElements);

  std::string again;
  write(again, *doc);
  // Escaping may grow the text beyond the original size limit; the structure limits still hold.
  auto reparsed = tessera::credentials::parseXml(again, {.maxBytes = again.size() + 1,
                                                         .maxDepth = limits.maxDepth,
                                                         .maxElements = limits.maxElements,
                                                         .maxAttributesPerElement = 8,
                                                         .maxNameBytes = 64});
  check(reparsed.ok());
  check(same(*doc, *reparsed));
  return 0;
}
