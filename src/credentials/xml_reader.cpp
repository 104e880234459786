#include "credentials/xml_reader.hpp"

#include <cstdint>
#include <optional>

namespace tessera::credentials {

std::string_view XmlElement::localName() const noexcept {
  const std::string_view n = name;
  const auto colon = n.find(':');
  return colon == std::string_view::npos ? n : n.substr(colon + 1);
}

const XmlElement* XmlElement::child(std::string_view local) const noexcept {
  for (const auto& c : children) {
    if (c.localName() == local) {
      return &c;
    }
  }
  return nullptr;
}

std::string_view XmlElement::childText(std::string_view local) const noexcept {
  const XmlElement* c = child(local);
  return c == nullptr ? std::string_view{} : std::string_view{c->text};
}

const std::string* XmlElement::attribute(std::string_view n) const noexcept {
  for (const auto& [key, value] : attributes) {
    if (key == n) {
      return &value;
    }
  }
  return nullptr;
}

namespace {

// XML 1.0 Char production: tab, LF, CR and everything from U+0020 except surrogates, U+FFFE and
// U+FFFF.
bool xmlChar(std::uint32_t cp) noexcept {
  return cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
         (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
}

void appendUtf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// The offset of the first byte that is not well-formed UTF-8 encoding an XML Char, or nullopt.
std::optional<std::size_t> firstInvalidChar(std::string_view s) noexcept {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    std::uint32_t cp = 0;
    std::size_t len = 0;
    if (b0 < 0x80) {
      cp = b0;
      len = 1;
    } else if (b0 >= 0xC2 && b0 <= 0xDF) {
      cp = b0 & 0x1Fu;
      len = 2;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      cp = b0 & 0x0Fu;
      len = 3;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      cp = b0 & 0x07u;
      len = 4;
    } else {
      return i;
    }
    if (i + len > s.size()) {
      return i;
    }
    for (std::size_t k = 1; k < len; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xC0) != 0x80) {
        return i;
      }
      cp = (cp << 6) | (b & 0x3Fu);
    }
    // Overlong forms and code points beyond U+10FFFF.
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) || !xmlChar(cp)) {
      return i;
    }
    i += len;
  }
  return std::nullopt;
}

bool isSpace(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}
bool isNameStart(char c) noexcept {
  const auto u = static_cast<unsigned char>(c);
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c == ':' || u >= 0x80;
}
bool isNameChar(char c) noexcept {
  return isNameStart(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

class Parser {
 public:
  Parser(std::string_view text, const XmlLimits& limits) : in_(text), limits_(limits) {}

  Result<XmlElement> document() {
    if (in_.substr(0, 3) == "\xEF\xBB\xBF") {
      pos_ = 3;
    }
    TESSERA_RETURN_IF_ERROR(declaration());
    TESSERA_RETURN_IF_ERROR(misc());
    if (pos_ >= in_.size() || in_[pos_] != '<') {
      return error("expected the root element");
    }
    XmlElement root;
    TESSERA_RETURN_IF_ERROR(element(root, 1));
    TESSERA_RETURN_IF_ERROR(misc());
    if (pos_ != in_.size()) {
      return error("content after the root element");
    }
    return root;
  }

 private:
  Error error(std::string_view rule) const {
    return makeError(ErrorCode::kInvalidArgument,
                     "XML rejected at byte " + std::to_string(pos_) + ": " + std::string(rule));
  }

  bool startsWith(std::string_view s) const noexcept { return in_.substr(pos_, s.size()) == s; }

  void skipSpace() noexcept {
    while (pos_ < in_.size() && isSpace(in_[pos_])) {
      ++pos_;
    }
  }

  // <?xml version="1.0" encoding="UTF-8"?>: only at the very start, and only UTF-8.
  Result<void> declaration() {
    if (!startsWith("<?xml") || pos_ + 5 >= in_.size() || !isSpace(in_[pos_ + 5])) {
      return {};
    }
    const auto end = in_.find("?>", pos_);
    if (end == std::string_view::npos) {
      return error("unterminated XML declaration");
    }
    std::string decl(in_.substr(pos_ + 5, end - pos_ - 5));
    for (char& c : decl) {
      if (c >= 'A' && c <= 'Z') {
        c = static_cast<char>(c - 'A' + 'a');
      }
    }
    const auto enc = decl.find("encoding");
    if (enc != std::string::npos && decl.find("utf-8", enc) == std::string::npos) {
      return error("only UTF-8 documents are accepted");
    }
    pos_ = end + 2;
    return {};
  }

  // Whitespace and comments outside the root element. DTDs and processing instructions are
  // refused here: nothing a cloud API answers needs them, and a DTD is how entity expansion
  // attacks get in.
  Result<void> misc() {
    for (;;) {
      skipSpace();
      if (startsWith("<!--")) {
        TESSERA_RETURN_IF_ERROR(comment());
      } else if (startsWith("<!")) {
        return error("DTDs and declarations are not accepted");
      } else if (startsWith("<?")) {
        return error("processing instructions are not accepted");
      } else {
        return {};
      }
    }
  }

  Result<void> comment() {
    const auto end = in_.find("--", pos_ + 4);
    if (end == std::string_view::npos) {
      return error("unterminated comment");
    }
    pos_ = end;
    if (!startsWith("-->")) {
      return error("\"--\" inside a comment");
    }
    pos_ += 3;
    return {};
  }

  Result<std::string> name() {
    const std::size_t start = pos_;
    if (pos_ >= in_.size() || !isNameStart(in_[pos_])) {
      return error("expected a name");
    }
    while (pos_ < in_.size() && isNameChar(in_[pos_])) {
      ++pos_;
    }
    if (pos_ - start > limits_.maxNameBytes) {
      return error("name too long");
    }
    return std::string(in_.substr(start, pos_ - start));
  }

  // A reference at pos_ ('&'): the five predefined entities or a character reference.
  Result<void> reference(std::string& out) {
    const auto semi = in_.find(';', pos_);
    if (semi == std::string_view::npos || semi - pos_ > 12) {
      return error("malformed reference");
    }
    const std::string_view ref = in_.substr(pos_ + 1, semi - pos_ - 1);
    if (ref == "lt") {
      out.push_back('<');
    } else if (ref == "gt") {
      out.push_back('>');
    } else if (ref == "amp") {
      out.push_back('&');
    } else if (ref == "apos") {
      out.push_back('\'');
    } else if (ref == "quot") {
      out.push_back('"');
    } else if (ref.size() >= 2 && ref[0] == '#') {
      const bool hex = ref[1] == 'x';
      const std::string_view digits = ref.substr(hex ? 2 : 1);
      if (digits.empty() || digits.size() > 7) {
        return error("malformed character reference");
      }
      std::uint32_t cp = 0;
      for (char c : digits) {
        std::uint32_t d = 0;
        if (c >= '0' && c <= '9') {
          d = static_cast<std::uint32_t>(c - '0');
        } else if (hex && c >= 'a' && c <= 'f') {
          d = static_cast<std::uint32_t>(c - 'a' + 10);
        } else if (hex && c >= 'A' && c <= 'F') {
          d = static_cast<std::uint32_t>(c - 'A' + 10);
        } else {
          return error("malformed character reference");
        }
        cp = cp * (hex ? 16 : 10) + d;
      }
      if (!xmlChar(cp)) {
        return error("character reference to a character XML does not allow");
      }
      appendUtf8(out, cp);
    } else {
      return error("unknown entity (only &lt; &gt; &amp; &apos; &quot; are defined)");
    }
    pos_ = semi + 1;
    return {};
  }

  Result<void> attributes(XmlElement& e) {
    for (;;) {
      const std::size_t before = pos_;
      skipSpace();
      if (pos_ >= in_.size()) {
        return error("unterminated start tag");
      }
      if (in_[pos_] == '>' || in_[pos_] == '/') {
        return {};
      }
      if (pos_ == before) {
        return error("expected whitespace before an attribute");
      }
      if (e.attributes.size() >= limits_.maxAttributesPerElement) {
        return error("too many attributes");
      }
      TESSERA_DECLARE_OR_RETURN(std::string attrName, name());
      if (e.attribute(attrName) != nullptr) {
        return error("duplicate attribute");
      }
      skipSpace();
      if (pos_ >= in_.size() || in_[pos_] != '=') {
        return error("expected '=' after an attribute name");
      }
      ++pos_;
      skipSpace();
      if (pos_ >= in_.size() || (in_[pos_] != '"' && in_[pos_] != '\'')) {
        return error("expected a quoted attribute value");
      }
      const char quote = in_[pos_++];
      std::string value;
      for (;;) {
        if (pos_ >= in_.size()) {
          return error("unterminated attribute value");
        }
        const char c = in_[pos_];
        if (c == quote) {
          ++pos_;
          break;
        }
        if (c == '<') {
          return error("'<' in an attribute value");
        }
        if (c == '&') {
          TESSERA_RETURN_IF_ERROR(reference(value));
          continue;
        }
        // Attribute-value normalization (XML 1.0 section 3.3.3) for literal whitespace.
        value.push_back(isSpace(c) ? ' ' : c);
        ++pos_;
      }
      e.attributes.emplace_back(std::move(attrName), std::move(value));
    }
  }

  // Character data up to the next '<', with references decoded and line ends normalized.
  Result<void> text(std::string& out) {
    while (pos_ < in_.size() && in_[pos_] != '<') {
      const char c = in_[pos_];
      if (c == '&') {
        TESSERA_RETURN_IF_ERROR(reference(out));
        continue;
      }
      if (c == ']' && startsWith("]]>")) {
        return error("\"]]>\" in text");
      }
      if (c == '\r') {
        out.push_back('\n');
        ++pos_;
        if (pos_ < in_.size() && in_[pos_] == '\n') {
          ++pos_;
        }
        continue;
      }
      out.push_back(c);
      ++pos_;
    }
    return {};
  }

  Result<void> element(XmlElement& e, std::size_t depth) {
    if (depth > limits_.maxDepth) {
      return error("elements nested too deeply");
    }
    if (++elements_ > limits_.maxElements) {
      return error("too many elements");
    }
    ++pos_;  // '<'
    TESSERA_ASSIGN_OR_RETURN(e.name, name());
    TESSERA_RETURN_IF_ERROR(attributes(e));
    if (startsWith("/>")) {
      pos_ += 2;
      return {};
    }
    if (!startsWith(">")) {
      return error("malformed start tag");
    }
    ++pos_;
    for (;;) {
      TESSERA_RETURN_IF_ERROR(text(e.text));
      if (pos_ >= in_.size()) {
        return error("unterminated element");
      }
      if (startsWith("</")) {
        pos_ += 2;
        TESSERA_DECLARE_OR_RETURN(const std::string endName, name());
        if (endName != e.name) {
          return error("end tag does not match its start tag");
        }
        skipSpace();
        if (!startsWith(">")) {
          return error("malformed end tag");
        }
        ++pos_;
        break;
      }
      if (startsWith("<!--")) {
        TESSERA_RETURN_IF_ERROR(comment());
      } else if (startsWith("<![CDATA[")) {
        const auto end = in_.find("]]>", pos_ + 9);
        if (end == std::string_view::npos) {
          return error("unterminated CDATA section");
        }
        e.text.append(in_.substr(pos_ + 9, end - pos_ - 9));
        pos_ = end + 3;
      } else if (startsWith("<!") || startsWith("<?")) {
        return error("declarations and processing instructions are not accepted");
      } else {
        e.children.emplace_back();
        TESSERA_RETURN_IF_ERROR(element(e.children.back(), depth + 1));
      }
    }
    if (!e.children.empty() && e.text.find_first_not_of(" \t\n\r") == std::string::npos) {
      e.text.clear();
    }
    return {};
  }

  std::string_view in_;
  const XmlLimits& limits_;
  std::size_t pos_ = 0;
  std::size_t elements_ = 0;
};

}  // namespace

Result<XmlElement> parseXml(std::string_view text, const XmlLimits& limits) {
  if (text.size() > limits.maxBytes) {
    return makeError(ErrorCode::kPayloadTooLarge, "XML document of " + std::to_string(text.size()) +
                                                      " bytes exceeds the limit of " +
                                                      std::to_string(limits.maxBytes));
  }
  if (const auto bad = firstInvalidChar(text)) {
    return makeError(ErrorCode::kInvalidArgument,
                     "XML rejected at byte " + std::to_string(*bad) +
                         ": not UTF-8, or a character XML does not allow");
  }
  return Parser(text, limits).document();
}

}  // namespace tessera::credentials
