#include "edge/route_table.hpp"

#include <nlohmann/json.hpp>

#include "model/host_pattern.hpp"

namespace tessera::edge {

namespace {
Error malformed(const std::string& where, std::string_view reason) {
  return Error{ErrorCode::kHttpUpstream,
               "the hub's edge routes are malformed: " + where + " " + std::string(reason)};
}

std::string stringOr(const nlohmann::json& object, const char* name) {
  const auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}
}  // namespace

Result<RouteTable> RouteTable::fromJson(const nlohmann::json& answer) {
  RouteTable table;
  if (!answer.is_object() || !answer.contains("serverWorkloads") ||
      !answer["serverWorkloads"].is_array()) {
    return malformed("/serverWorkloads", "is missing");
  }
  if (const auto revision = answer.find("revision");
      revision != answer.end() && revision->is_number_integer()) {
    table.revision_ = revision->get<std::int64_t>();
  }
  const auto& items = answer["serverWorkloads"];
  for (std::size_t i = 0; i < items.size(); ++i) {
    const auto& item = items[i];
    const std::string where = "/serverWorkloads/" + std::to_string(i);
    if (!item.is_object()) {
      return malformed(where, "is not an object");
    }
    Route route;
    route.serverWorkload = stringOr(item, "name");
    route.host = stringOr(item, "host");
    route.protocol = stringOr(item, "protocol");
    const auto port = item.find("port");
    if (route.serverWorkload.empty() || route.host.empty() || route.protocol.empty() ||
        port == item.end() || !port->is_number_integer() || port->get<std::int64_t>() < 1 ||
        port->get<std::int64_t>() > 65535) {
      return malformed(where, "needs name, host, port (1-65535) and protocol");
    }
    route.port = static_cast<std::uint16_t>(port->get<std::int64_t>());
    if (const auto tls = item.find("tls"); tls != item.end() && tls->is_object()) {
      route.upstreamTls = tls->value("enabled", true);
      route.decrypt = tls->value("decrypt", false);
      route.caBundlePem = stringOr(*tls, "caBundle");
      route.serverName = stringOr(*tls, "serverName");
    }
    const auto auth = item.find("authentication");
    if (auth == item.end() || !auth->is_object() || stringOr(*auth, "method").empty()) {
      return malformed(where + "/authentication/method", "is missing");
    }
    route.injection.method = stringOr(*auth, "method");
    route.injection.header = stringOr(*auth, "header");
    route.injection.prefix = stringOr(*auth, "prefix");
    route.injection.parameter = stringOr(*auth, "parameter");
    table.routes_.push_back(std::move(route));
  }
  return table;
}

const Route* RouteTable::match(std::string_view host, std::uint16_t port) const {
  const Route* wildcard = nullptr;
  for (const auto& route : routes_) {
    if (route.port != port || !model::hostMatches(route.host, host)) {
      continue;
    }
    if (!model::isWildcardHostPattern(route.host)) {
      return &route;
    }
    if (wildcard == nullptr) {
      wildcard = &route;
    }
  }
  return wildcard;
}

}  // namespace tessera::edge
