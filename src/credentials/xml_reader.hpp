// A small, strict XML reader for the documents cloud APIs answer with (AWS STS's Query API:
// AssumeRoleWithWebIdentityResponse, ErrorResponse). Called by aws_sts_wire; not a general XML
// parser. It takes untrusted bytes, so it refuses anything a response does not need: DTDs (and so
// every entity but the five predefined ones), processing instructions after the declaration,
// non-UTF-8 text, and documents beyond size, depth and element-count limits.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.hpp"

namespace tessera::credentials {

struct XmlLimits {
  std::size_t maxBytes = 64 * 1024;
  std::size_t maxDepth = 16;  // the root element is depth 1
  std::size_t maxElements = 1024;
  std::size_t maxAttributesPerElement = 16;
  std::size_t maxNameBytes = 256;
};

struct XmlElement {
  std::string name{};  // as written, with any prefix ("sts:Code")
  std::vector<std::pair<std::string, std::string>> attributes;  // decoded values, written order
  // The element's own character data (text and CDATA, references decoded), concatenated. Text
  // made only of whitespace between child elements is dropped; other text is kept verbatim.
  std::string text{};
  std::vector<XmlElement> children{};

  // The name without its namespace prefix. Namespaces are not resolved: the documents read here
  // are matched by local name, as botocore's QueryParser does.
  std::string_view localName() const noexcept;
  // The first child with this local name, or nullptr.
  const XmlElement* child(std::string_view localName) const noexcept;
  // The text of the first child with this local name, or "" when there is none.
  std::string_view childText(std::string_view localName) const noexcept;
  // The value of the attribute with exactly this name, or nullptr.
  const std::string* attribute(std::string_view name) const noexcept;
};

// Parses one document: an optional XML declaration, comments and whitespace, one root element.
// Errors: kPayloadTooLarge (maxBytes), kInvalidArgument (everything else: syntax, DOCTYPE,
// unknown entity, mismatched tag, depth, element or attribute count, invalid UTF-8 or character).
// Messages give the byte offset and the rule broken, never document text.
Result<XmlElement> parseXml(std::string_view text, const XmlLimits& limits = {});

}  // namespace tessera::credentials
