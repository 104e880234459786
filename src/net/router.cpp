#include "net/router.hpp"

#include <algorithm>
#include <stdexcept>

namespace tessera::net {
namespace {

std::vector<std::string_view> splitPath(std::string_view path) {
  std::vector<std::string_view> parts;
  parts.reserve(8);
  // A path starts with '/'; each '/' opens a segment (so "/a/" has segments "a" and "").
  std::size_t pos = 1;
  while (true) {
    const auto next = path.find('/', pos);
    parts.push_back(path.substr(pos, next == std::string_view::npos ? next : next - pos));
    if (next == std::string_view::npos) {
      break;
    }
    pos = next + 1;
  }
  return parts;
}

bool isToken(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

}  // namespace

Router& Router::add(std::string_view method, std::string_view pattern, SyncHandler handler,
                    RouteOptions options) {
  if (!handler) {
    throw std::invalid_argument("route handler is empty");
  }
  Handler wrapped = [h = std::move(handler)](Request& req) -> boost::asio::awaitable<Response> {
    co_return h(req);
  };
  return add(method, pattern, std::move(wrapped), options);
}

Router& Router::add(std::string_view method, std::string_view pattern, Handler handler,
                    RouteOptions options) {
  if (!isToken(method)) {
    throw std::invalid_argument("route method must be an upper-case token: " + std::string(method));
  }
  if (pattern.empty() || pattern.front() != '/') {
    throw std::invalid_argument("route pattern must start with '/': " + std::string(pattern));
  }
  if (!handler) {
    throw std::invalid_argument("route handler is empty");
  }
  std::vector<Segment> segments;
  std::vector<std::string_view> names;
  for (auto part : splitPath(pattern)) {
    if (part.size() >= 2 && part.front() == '{' && part.back() == '}') {
      auto name = part.substr(1, part.size() - 2);
      if (name.empty() || name.find_first_of("{}/") != std::string_view::npos ||
          std::find(names.begin(), names.end(), name) != names.end()) {
        throw std::invalid_argument("bad path parameter in pattern: " + std::string(pattern));
      }
      names.push_back(name);
      segments.push_back(Segment{std::string(name), true});
    } else {
      if (part.find_first_of("{}?#") != std::string_view::npos) {
        throw std::invalid_argument("bad literal segment in pattern: " + std::string(pattern));
      }
      segments.push_back(Segment{std::string(part), false});
    }
  }

  // Patterns with the same shape (parameter names aside) are one entry.
  auto sameShape = [&](const PathEntry& e) {
    return e.segments.size() == segments.size() &&
           std::equal(e.segments.begin(), e.segments.end(), segments.begin(),
                      [](const Segment& a, const Segment& b) {
                        return a.param == b.param && (a.param || a.text == b.text);
                      });
  };
  auto it = std::find_if(entries_.begin(), entries_.end(), sameShape);
  if (it == entries_.end()) {
    entries_.push_back(PathEntry{std::string(pattern), std::move(segments), {}});
    // Most specific first: at the first segment where two patterns differ in kind, the literal
    // one wins; so "/v1/x/me" is tried before "/v1/x/{name}".
    std::stable_sort(entries_.begin(), entries_.end(), [](const PathEntry& a, const PathEntry& b) {
      return std::lexicographical_compare(
          a.segments.begin(), a.segments.end(), b.segments.begin(), b.segments.end(),
          [](const Segment& x, const Segment& y) { return !x.param && y.param; });
    });
    it = std::find_if(entries_.begin(), entries_.end(),
                      [&](const PathEntry& e) { return e.pattern == pattern; });
  } else if (it->pattern != pattern) {
    // Same shape with other parameter names: the names of the first registration would be used.
    bool sameNames = true;
    for (std::size_t i = 0; i < segments.size(); ++i) {
      sameNames = sameNames && it->segments[i].text == segments[i].text;
    }
    if (!sameNames) {
      throw std::invalid_argument("pattern " + std::string(pattern) + " conflicts with " +
                                  it->pattern);
    }
  }
  for (const auto& r : it->routes) {
    if (r.method == method) {
      throw std::invalid_argument("duplicate route: " + std::string(method) + " " +
                                  std::string(pattern));
    }
  }
  it->routes.push_back(Route{std::string(method), it->pattern, std::move(handler), options});
  return *this;
}

Router::Lookup Router::find(std::string_view method, std::string_view path) const {
  Lookup out;
  if (path.empty() || path.front() != '/') {
    out.kind = Lookup::Kind::kNotFound;
    return out;
  }
  const auto parts = splitPath(path);
  std::vector<std::string_view> allowed;  // only filled by paths whose methods do not match
  bool anyPathMatch = false;
  for (const auto& entry : entries_) {
    if (entry.segments.size() != parts.size()) {
      continue;
    }
    bool match = true;
    for (std::size_t i = 0; i < parts.size() && match; ++i) {
      const auto& seg = entry.segments[i];
      match = seg.param ? !parts[i].empty() : seg.text == parts[i];
    }
    if (!match) {
      continue;
    }
    anyPathMatch = true;
    const Route* chosen = nullptr;
    const Route* get = nullptr;
    for (const auto& r : entry.routes) {
      if (r.method == method) {
        chosen = &r;
      }
      if (r.method == "GET") {
        get = &r;
      }
    }
    if (!chosen && method == "HEAD") {
      chosen = get;
    }
    if (!chosen) {
      for (const auto& r : entry.routes) {
        allowed.emplace_back(r.method);
        if (r.method == "GET") {
          allowed.emplace_back("HEAD");
        }
      }
      continue;
    }
    for (std::size_t i = 0; i < parts.size(); ++i) {
      if (!entry.segments[i].param) {
        continue;
      }
      auto decoded = percentDecode(parts[i]);
      if (!decoded) {
        out.kind = Lookup::Kind::kBadPath;
        return out;
      }
      out.params.emplace(entry.segments[i].text, std::move(*decoded));
    }
    out.kind = Lookup::Kind::kFound;
    out.route = chosen;
    return out;
  }
  if (!anyPathMatch) {
    out.kind = Lookup::Kind::kNotFound;
    return out;
  }
  std::sort(allowed.begin(), allowed.end());
  allowed.erase(std::unique(allowed.begin(), allowed.end()), allowed.end());
  out.kind = Lookup::Kind::kMethodNotAllowed;
  for (const auto& m : allowed) {
    if (!out.allow.empty()) {
      out.allow += ", ";
    }
    out.allow += m;
  }
  return out;
}

bool Router::hasBlockingRoutes() const {
  for (const auto& e : entries_) {
    for (const auto& r : e.routes) {
      if (r.options.blocking) {
        return true;
      }
    }
  }
  return false;
}

std::size_t Router::largestBodyLimit(std::size_t serverDefault) const {
  std::size_t largest = serverDefault;
  for (const auto& e : entries_) {
    for (const auto& r : e.routes) {
      largest = std::max(largest, r.options.maxBodyBytes.value_or(serverDefault));
    }
  }
  return largest;
}

}  // namespace tessera::net
