// The oracle for the proxy's simple-head reader (src/edge/simple_http_head.hpp): Beast's parser,
// which the proxy falls back to, reading the same bytes. A simple head must be one Beast accepts
// and reads the same way (size, start line, every field in order, keep-alive, body framing); an
// incomplete one must be one Beast also waits on. Used by the unit test's differential run and by
// the simple_http_head fuzz target. Header-only (Beast is).
#pragma once

#include <boost/asio/buffer.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "edge/simple_http_head.hpp"

namespace tessera::edge::testing {

namespace oracle_detail {

inline std::string lowerCase(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c + 32);
    }
  }
  return out;
}

// The same fields with the same values, and fields of one name in the same order. (Beast keeps a
// repeated name's fields together, after the first of them; the simple reader keeps wire order.
// Fields of different names may come in any order, RFC 9110 section 5.3.)
template <typename Header>
std::string compareFields(const Header& beast, const std::vector<SimpleField>& fields) {
  std::vector<std::pair<std::string, std::string>> theirs;
  std::vector<std::pair<std::string, std::string>> ours;
  for (const auto& field : beast) {
    theirs.emplace_back(lowerCase(field.name_string()), std::string(field.value()));
  }
  for (const auto& field : fields) {
    ours.emplace_back(lowerCase(field.name), std::string(field.value));
  }
  auto byName = [](const auto& a, const auto& b) { return a.first < b.first; };
  std::stable_sort(theirs.begin(), theirs.end(), byName);
  std::stable_sort(ours.begin(), ours.end(), byName);
  if (theirs.size() != ours.size()) {
    return "Beast has " + std::to_string(theirs.size()) + " fields, not " +
           std::to_string(ours.size());
  }
  for (std::size_t i = 0; i < ours.size(); ++i) {
    if (theirs[i] != ours[i]) {
      return "field " + ours[i].first + ": '" + ours[i].second + "' where Beast has " +
             theirs[i].first + ": '" + theirs[i].second + "'";
    }
  }
  return {};
}

// Feeds `bytes` to `parser` as the proxy's buffer would hold them; the header only.
template <typename Parser>
std::size_t putHeader(Parser& parser, std::string_view bytes, std::size_t maxHeadBytes,
                      boost::beast::error_code& ec) {
  parser.header_limit(static_cast<std::uint32_t>(maxHeadBytes));
  parser.body_limit(boost::none);
  parser.eager(false);
  return parser.put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
}

// What is wrong with Beast's reading of the head the simple reader found `size` bytes long, or "".
template <typename Parser>
std::string headProblem(const Parser& parser, std::size_t used, const boost::beast::error_code& ec,
                        std::size_t size) {
  if (ec) {
    return "Beast rejects it: " + ec.message();
  }
  if (!parser.is_header_done() || used != size) {
    return "Beast's head has " + std::to_string(used) + " bytes, not " + std::to_string(size);
  }
  return {};
}

}  // namespace oracle_detail

// "" when Beast agrees with a kSimple request parse, else what differs.
inline std::string compareRequestWithBeast(std::string_view bytes, std::size_t maxHeadBytes,
                                           const SimpleRequestHead& simple) {
  namespace http = boost::beast::http;
  http::request_parser<http::empty_body> parser;
  boost::beast::error_code ec;
  const std::size_t used = oracle_detail::putHeader(parser, bytes, maxHeadBytes, ec);
  if (auto problem = oracle_detail::headProblem(parser, used, ec, simple.size); !problem.empty()) {
    return problem;
  }
  const auto& req = parser.get();
  if (req.method_string() != simple.method || req.target() != simple.target ||
      req.version() != 11) {
    return "the request line differs";
  }
  if (parser.keep_alive() != simple.keepAlive) {
    return "keep-alive differs";
  }
  if (!parser.is_done()) {
    return "Beast expects a body";
  }
  return oracle_detail::compareFields(req.base(), simple.fields);
}

// "" when Beast agrees with a kSimple response parse, else what differs.
inline std::string compareResponseWithBeast(std::string_view bytes, std::size_t maxHeadBytes,
                                            bool headRequest, const SimpleResponseHead& simple) {
  namespace http = boost::beast::http;
  http::response_parser<http::empty_body> parser;
  parser.skip(headRequest);
  boost::beast::error_code ec;
  const std::size_t used = oracle_detail::putHeader(parser, bytes, maxHeadBytes, ec);
  if (auto problem = oracle_detail::headProblem(parser, used, ec, simple.size); !problem.empty()) {
    return problem;
  }
  const auto& res = parser.get();
  if (res.result_int() != simple.status || res.reason() != simple.reason || res.version() != 11) {
    return "the status line differs";
  }
  if (parser.keep_alive() != simple.keepAlive) {
    return "keep-alive differs";
  }
  if (parser.chunked()) {
    return "Beast reads it chunked";
  }
  if (simple.bodyLength == 0) {
    if (!parser.is_done() && parser.content_length().value_or(1) != 0) {
      return "Beast expects a body";
    }
  } else if (parser.content_length().value_or(0) != simple.bodyLength) {
    return "the body length differs";
  }
  return oracle_detail::compareFields(res.base(), simple.fields);
}

// Whether Beast, given these bytes, would wait for more before it could say anything.
template <bool isRequest>
bool beastWaitsForMore(std::string_view bytes, std::size_t maxHeadBytes) {
  namespace http = boost::beast::http;
  http::parser<isRequest, http::empty_body> parser;
  boost::beast::error_code ec;
  oracle_detail::putHeader(parser, bytes, maxHeadBytes, ec);
  return ec == http::error::need_more && !parser.is_header_done();
}

}  // namespace tessera::edge::testing
