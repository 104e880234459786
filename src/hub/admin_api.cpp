#include "hub/admin_api.hpp"

#include <charconv>

#include "common/time_format.hpp"
#include "jose/base64url.hpp"
#include "jose/json_strict.hpp"
#include "model/config_object.hpp"

namespace tessera::hub {

namespace {
using nlohmann::json;
constexpr int kDefaultPageSize = 100;
constexpr int kMaxPageSize = 1000;

std::string actorOf(const AdminPrincipal& p) {
  return "token:" + p.tokenId;
}

// If-Match: "3" (an ETag this API issued), or absent/"*" for any version.
Result<std::int64_t> expectedVersion(const net::Request& request) {
  const auto h = request.header("If-Match");
  if (!h || *h == "*") {
    return std::int64_t{0};
  }
  std::string_view v = *h;
  if (v.size() < 3 || v.front() != '"' || v.back() != '"') {
    return fail(ErrorCode::kInvalidArgument,
                "If-Match must be an ETag this API returned, like \"3\", or *");
  }
  v = v.substr(1, v.size() - 2);
  std::int64_t n = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || end != v.data() + v.size() || n < 1) {
    return fail(ErrorCode::kInvalidArgument,
                "If-Match must be an ETag this API returned, like \"3\", or *");
  }
  return n;
}

// A label selector: comma-separated "key=value", "key!=value", "key" (present), "!key" (absent).
struct LabelTerm {
  std::string key;
  std::optional<std::string> value;
  bool negate = false;
};

Result<std::vector<LabelTerm>> parseSelector(std::string_view text) {
  std::vector<LabelTerm> terms;
  while (!text.empty()) {
    const auto comma = text.find(',');
    std::string_view term = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    LabelTerm t;
    if (const auto ne = term.find("!="); ne != std::string_view::npos) {
      t.key = std::string(term.substr(0, ne));
      t.value = std::string(term.substr(ne + 2));
      t.negate = true;
    } else if (const auto eq = term.find('='); eq != std::string_view::npos) {
      t.key = std::string(term.substr(0, eq));
      t.value = std::string(term.substr(eq + 1));
    } else if (term.starts_with('!')) {
      t.key = std::string(term.substr(1));
      t.negate = true;
    } else {
      t.key = std::string(term);
    }
    if (auto problem = model::labelKeyProblem(t.key)) {
      return badQuery("labelSelector", "label key '" + t.key + "' " + *problem);
    }
    terms.push_back(std::move(t));
  }
  return terms;
}

bool selected(const model::ConfigObject& o, const std::vector<LabelTerm>& terms) {
  for (const auto& t : terms) {
    const auto it = o.metadata.labels.find(t.key);
    bool match = t.value ? (it != o.metadata.labels.end() && it->second == *t.value)
                         : it != o.metadata.labels.end();
    if (match == t.negate) {
      return false;
    }
  }
  return true;
}

net::Response objectResponse(int status, const model::ConfigObject& o,
                             const model::SpecRegistry& registry) {
  auto res = net::jsonResponse(
      status, model::toDocument(o, registry, model::SecretView::kRemove, /*serverFields=*/true));
  res.headers.set("ETag", "\"" + std::to_string(o.metadata.version) + "\"");
  res.headers.set("Cache-Control", "no-store");
  return res;
}

json eventJson(const store::AdminEventRecord& e) {
  // A damaged stored document reads as null rather than nlohmann's "discarded" value, which
  // would serialise as invalid JSON.
  const auto doc = [](const std::string& text) {
    json parsed = text.empty() ? json(nullptr) : json::parse(text, nullptr, false);
    return parsed.is_discarded() ? json(nullptr) : parsed;
  };
  return {{"id", e.id},
          {"at", formatUnixRfc3339(e.at)},
          {"actor", e.actor},
          {"action", e.action},
          {"kind", e.kind},
          {"name", e.name},
          {"revision", e.revision},
          {"before", doc(e.before)},
          {"after", doc(e.after)}};
}

Result<std::optional<std::int64_t>> timeQuery(const net::Request& request, const char* name) {
  const auto text = request.query(name);
  if (!text) {
    return std::optional<std::int64_t>();
  }
  auto t = parseRfc3339(*text);
  if (!t) {
    return badQuery(name, "must be an RFC 3339 time like 2026-01-31T12:00:00Z");
  }
  return std::optional<std::int64_t>(toUnixSeconds(*t));
}
}  // namespace

Result<int> parseLimit(const net::Request& request) {
  const auto text = request.query("limit");
  if (!text) {
    return kDefaultPageSize;
  }
  int n = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), n);
  if (ec != std::errc() || end != text->data() + text->size() || n < 1 || n > kMaxPageSize) {
    Error e{ErrorCode::kInvalidArgument, "limit must be an integer from 1 to 1000"};
    e.fields.push_back(FieldError{"?limit", "must be an integer from 1 to 1000"});
    return e;
  }
  return n;
}

Error badQuery(std::string name, std::string reason) {
  Error e{ErrorCode::kInvalidArgument, name + ": " + reason};
  e.fields.push_back(FieldError{"?" + name, std::move(reason)});
  return e;
}

bool hasJsonContentType(const net::Request& request) {
  auto type = request.header("Content-Type");
  std::string_view media = type ? *type : std::string_view();
  media = media.substr(0, media.find(';'));
  while (!media.empty() && media.back() == ' ') {
    media.remove_suffix(1);
  }
  return net::equalsIgnoreCase(media, "application/json");
}

Result<json> strictJsonBody(const net::Request& request, std::size_t maxBytes) {
  if (!hasJsonContentType(request)) {
    return fail(ErrorCode::kUnsupportedMediaType, "expected Content-Type: application/json");
  }
  jose::JsonLimits limits;
  limits.maxBytes = maxBytes;
  limits.maxDepth = kMaxJsonDepth;
  auto parsed = jose::parseStrictJson(request.body, limits);
  if (!parsed) {
    return Error{parsed.error().code, "request body: " + parsed.error().message};
  }
  return parsed;
}

Result<AdminPrincipal> AdminApi::authorize(const net::Request& request,
                                           Permission permission) const {
  const auto header = request.header("Authorization");
  if (!header) {
    return fail(ErrorCode::kUnauthenticated,
                "missing Authorization: Bearer <admin token> (create one with tessera admin "
                "token create)");
  }
  std::string_view value = *header;
  if (value.size() < 7 || !net::equalsIgnoreCase(value.substr(0, 7), "Bearer ")) {
    return fail(ErrorCode::kUnauthenticated, "Authorization must use the Bearer scheme");
  }
  value.remove_prefix(7);
  while (!value.empty() && value.front() == ' ') {
    value.remove_prefix(1);
  }
  TESSERA_DECLARE_OR_RETURN(auto principal, tokens_.authenticate(value));
  if (!roleAllows(principal.role, permission)) {
    return fail(ErrorCode::kPermissionDenied, "role " + std::string(adminRoleName(principal.role)) +
                                                  " may not " +
                                                  std::string(permissionName(permission)));
  }
  return principal;
}

template <typename H>
void AdminApi::add(net::Router& router, std::string method, std::string pattern,
                   Permission permission, H handler, std::size_t maxBody) {
  routes_.push_back(AdminRoute{method, pattern, permission});
  net::RouteOptions options;
  options.maxBodyBytes = maxBody;
  options.blocking = true;  // the admin API reads and writes the store
  router.add(
      method, pattern,
      net::SyncHandler([this, permission, handler = std::move(handler)](net::Request& request) {
        auto principal = authorize(request, permission);
        if (!principal) {
          auto res = net::errorResponse(principal.error());
          if (principal.error().code == ErrorCode::kUnauthenticated) {
            res.headers.set("WWW-Authenticate", "Bearer realm=\"tessera\"");
          }
          return res;
        }
        if (auto refreshed = config_.refresh(); !refreshed) {
          return net::errorResponse(refreshed.error());
        }
        auto result = handler(request, *principal);
        if (!result) {
          return net::errorResponse(result.error());
        }
        return std::move(*result);
      }),
      options);
}

void AdminApi::addAsync(net::Router& router, std::string method, std::string pattern,
                        Permission permission, AsyncAdminHandler handler, std::size_t maxBody,
                        bool blocking) {
  routes_.push_back(AdminRoute{method, pattern, permission});
  net::RouteOptions options;
  options.maxBodyBytes = maxBody;
  options.blocking = blocking;
  router.add(method, pattern,
             net::Handler([this, permission, handler = std::move(handler)](
                              net::Request& request) -> boost::asio::awaitable<net::Response> {
               auto principal = authorize(request, permission);
               if (!principal) {
                 auto res = net::errorResponse(principal.error());
                 if (principal.error().code == ErrorCode::kUnauthenticated) {
                   res.headers.set("WWW-Authenticate", "Bearer realm=\"tessera\"");
                 }
                 co_return res;
               }
               auto response = co_await handler(request, std::move(*principal));
               co_return response;
             }),
             options);
}

void AdminApi::addRoutes(net::Router& router) {
  using Req = net::Request;
  using P = AdminPrincipal;
  const auto& registry = config_.registry();
  const std::size_t body = options_.maxBodyBytes;

  for (model::Kind kind : model::kAllKinds) {
    const std::string base = "/v1/" + std::string(model::collectionName(kind));

    add(
        router, "GET", base, Permission::kConfigRead,
        [this, kind, &registry](Req& req, const P&) -> Result<net::Response> {
          TESSERA_DECLARE_OR_RETURN(const int limit, parseLimit(req));
          std::vector<LabelTerm> terms;
          if (auto selector = req.query("labelSelector")) {
            TESSERA_ASSIGN_OR_RETURN(terms, parseSelector(*selector));
          }
          std::string after;
          if (auto token = req.query("pageToken")) {
            auto decoded = jose::base64UrlDecode(*token);
            if (!decoded) {
              return badQuery("pageToken", "is not a token this API returned");
            }
            after.assign(decoded->begin(), decoded->end());
          }
          const auto snapshot = config_.snapshot();
          const auto& all = snapshot->list(kind);
          auto it = std::upper_bound(all.begin(), all.end(), after,
                                     [](const std::string& name, const model::ConfigObject* o) {
                                       return name < o->metadata.name;
                                     });
          if (after.empty()) {
            it = all.begin();
          }
          json items = json::array();
          std::string last;
          bool more = false;
          for (; it != all.end(); ++it) {
            if (!selected(**it, terms)) {
              continue;
            }
            if (static_cast<int>(items.size()) == limit) {
              more = true;
              break;
            }
            items.push_back(model::toDocument(**it, registry, model::SecretView::kRemove, true));
            last = (*it)->metadata.name;
          }
          json out = {{"items", std::move(items)}, {"revision", snapshot->revision()}};
          if (more) {
            out["nextPageToken"] = jose::base64UrlEncode(last);
          }
          return net::jsonResponse(200, out);
        },
        body);

    add(
        router, "POST", base, Permission::kConfigWrite,
        [this, kind, base, &registry](Req& req, const P& who) -> Result<net::Response> {
          TESSERA_DECLARE_OR_RETURN(auto doc, strictJsonBody(req, options_.maxBodyBytes));
          model::FieldErrors errors;
          auto object = model::parseConfigObject(doc, kind, "", errors);
          if (!object) {
            return errors.toError("invalid " + std::string(model::kindName(kind)));
          }
          std::vector<model::DesiredObject> desired;
          desired.push_back(model::DesiredObject{std::move(*object), ""});
          TESSERA_DECLARE_OR_RETURN(
              auto outcome,
              config_.apply(std::move(desired), model::ApplyMode::kCreate, actorOf(who)));
          auto res = objectResponse(201, *outcome.changes.front().after, registry);
          res.headers.set("Location", base + "/" + outcome.changes.front().name);
          return res;
        },
        body);

    add(
        router, "GET", base + "/{name}", Permission::kConfigRead,
        [this, kind, &registry](Req& req, const P&) -> Result<net::Response> {
          const auto snapshot = config_.snapshot();
          const auto* o = snapshot->find(kind, req.pathParam("name"));
          if (o == nullptr) {
            return fail(ErrorCode::kNotFound,
                        model::objectId(kind, req.pathParam("name")) + " does not exist");
          }
          return objectResponse(200, *o, registry);
        },
        body);

    add(
        router, "PUT", base + "/{name}", Permission::kConfigWrite,
        [this, kind, &registry](Req& req, const P& who) -> Result<net::Response> {
          TESSERA_DECLARE_OR_RETURN(const std::int64_t ifMatch, expectedVersion(req));
          TESSERA_DECLARE_OR_RETURN(auto doc, strictJsonBody(req, options_.maxBodyBytes));
          const std::string name(req.pathParam("name"));
          if (doc.is_object() && doc.contains("metadata") && doc["metadata"].is_object() &&
              !doc["metadata"].contains("name")) {
            doc["metadata"]["name"] = name;
          }
          model::FieldErrors errors;
          auto object = model::parseConfigObject(doc, kind, "", errors);
          if (!object) {
            return errors.toError("invalid " + std::string(model::kindName(kind)));
          }
          if (object->metadata.name != name) {
            Error e{ErrorCode::kInvalidArgument,
                    "/metadata/name: must match the name in the path, '" + name + "'"};
            e.fields.push_back(FieldError{"/metadata/name", "must match the name in the path"});
            return e;
          }
          if (ifMatch != 0) {
            if (object->metadata.version != 0 && object->metadata.version != ifMatch) {
              return fail(ErrorCode::kInvalidArgument,
                          "If-Match and /metadata/version name different versions");
            }
            object->metadata.version = ifMatch;
          }
          std::vector<model::DesiredObject> desired;
          desired.push_back(model::DesiredObject{std::move(*object), ""});
          TESSERA_DECLARE_OR_RETURN(
              auto outcome,
              config_.apply(std::move(desired), model::ApplyMode::kUpdate, actorOf(who)));
          return objectResponse(200, *outcome.changes.front().after, registry);
        },
        body);

    add(
        router, "DELETE", base + "/{name}", Permission::kConfigWrite,
        [this, kind](Req& req, const P& who) -> Result<net::Response> {
          TESSERA_DECLARE_OR_RETURN(const std::int64_t ifMatch, expectedVersion(req));
          TESSERA_RETURN_IF_ERROR(
              config_.remove(kind, std::string(req.pathParam("name")), ifMatch, actorOf(who)));
          net::Response res;
          res.status = 204;
          return res;
        },
        body);
  }

  add(
      router, "POST", "/v1/apply", Permission::kConfigWrite,
      [this, &registry](Req& req, const P& who) -> Result<net::Response> {
        TESSERA_DECLARE_OR_RETURN(auto doc, strictJsonBody(req, options_.maxApplyBytes));
        model::FieldErrors errors;
        if (!doc.is_object()) {
          errors.add("", "must be an object {objects: [...], dryRun: false}");
          return errors.toError("invalid apply request");
        }
        bool dryRun = false;
        for (const auto& [key, value] : doc.items()) {
          if (key == "dryRun") {
            if (!value.is_boolean()) {
              errors.add("/dryRun", "must be a boolean");
            } else {
              dryRun = value.get<bool>();
            }
          } else if (key != "objects") {
            errors.add(model::pointerAppend("", key), "unknown field; known: objects, dryRun");
          }
        }
        const auto objects = doc.find("objects");
        if (objects == doc.end() || !objects->is_array()) {
          errors.add("/objects", "is required: an array of objects");
        } else if (objects->size() > options_.maxApplyObjects) {
          errors.add("/objects",
                     "must have at most " + std::to_string(options_.maxApplyObjects) + " objects");
        }
        if (!errors.empty()) {
          return errors.toError("invalid apply request");
        }
        std::vector<model::DesiredObject> desired;
        desired.reserve(objects->size());
        for (std::size_t i = 0; i < objects->size(); ++i) {
          const std::string pointer = model::pointerAppend("/objects", i);
          if (auto o = model::parseConfigObject((*objects)[i], std::nullopt, pointer, errors)) {
            desired.push_back(model::DesiredObject{std::move(*o), pointer});
          }
        }
        if (!errors.empty()) {
          return errors.toError("invalid configuration");
        }
        TESSERA_DECLARE_OR_RETURN(
            auto outcome,
            config_.apply(std::move(desired), model::ApplyMode::kUpsert, actorOf(who), dryRun));
        json results = json::array();
        for (const auto& c : outcome.changes) {
          json r = {{"kind", model::kindName(c.kind)},
                    {"name", c.name},
                    {"action", model::actionName(c.action)}};
          if (c.after) {
            r["version"] = c.after->metadata.version;
          }
          if (dryRun && c.action != model::PlannedChange::Action::kUnchanged) {
            // Secrets removed: a diff shows that a write-only field changes only by its absence.
            if (c.before) {
              r["before"] =
                  model::toDocument(*c.before, registry, model::SecretView::kRemove, false);
            }
            if (c.after) {
              r["after"] = model::toDocument(*c.after, registry, model::SecretView::kRemove, false);
            }
          }
          results.push_back(std::move(r));
        }
        return net::jsonResponse(
            200, {{"revision", outcome.revision}, {"dryRun", dryRun}, {"results", results}});
      },
      options_.maxApplyBytes);

  add(
      router, "GET", "/v1/export", Permission::kConfigRead,
      [this, &registry](Req&, const P&) -> Result<net::Response> {
        const auto snapshot = config_.snapshot();
        json objects = json::array();
        for (const auto* o : snapshot->all()) {
          objects.push_back(model::toDocument(*o, registry, model::SecretView::kRemove, false));
        }
        return net::jsonResponse(200, {{"revision", snapshot->revision()}, {"objects", objects}});
      },
      body);

  add(
      router, "GET", "/v1/audit", Permission::kAuditRead,
      [this](Req& req, const P&) -> Result<net::Response> {
        store::AdminEventQuery q;
        TESSERA_ASSIGN_OR_RETURN(q.limit, parseLimit(req));
        TESSERA_ASSIGN_OR_RETURN(q.since, timeQuery(req, "since"));
        TESSERA_ASSIGN_OR_RETURN(q.until, timeQuery(req, "until"));
        if (auto kind = req.query("kind")) {
          if (!model::parseKindName(*kind) && *kind != "AdminToken") {
            return badQuery("kind", "must be a kind name such as ServerWorkload, or AdminToken");
          }
          q.kind = std::string(*kind);
        }
        if (auto token = req.query("pageToken")) {
          std::int64_t before = 0;
          const auto [end, ec] =
              std::from_chars(token->data(), token->data() + token->size(), before);
          if (ec != std::errc() || end != token->data() + token->size() || before < 1) {
            return badQuery("pageToken", "is not a token this API returned");
          }
          q.beforeId = before;
        }
        TESSERA_DECLARE_OR_RETURN(auto events, config_.events(q));
        json items = json::array();
        for (const auto& e : events) {
          items.push_back(eventJson(e));
        }
        json out = {{"items", items}};
        if (static_cast<int>(events.size()) == q.limit && !events.empty()) {
          out["nextPageToken"] = std::to_string(events.back().id);
        }
        return net::jsonResponse(200, out);
      },
      body);

  add(
      router, "POST", "/v1/adminTokens", Permission::kTokenManage,
      [this](Req& req, const P& who) -> Result<net::Response> {
        TESSERA_DECLARE_OR_RETURN(auto doc, strictJsonBody(req, options_.maxBodyBytes));
        model::FieldErrors errors;
        std::optional<AdminRole> role;
        std::string description;
        if (!doc.is_object()) {
          errors.add("", "must be an object {role, description}");
        } else {
          for (const auto& [key, value] : doc.items()) {
            if (key == "role") {
              role = value.is_string() ? adminRoleFromName(value.get<std::string>()) : std::nullopt;
              if (!role) {
                errors.add("/role", "must be one of admin, editor, auditor, edge");
              }
            } else if (key == "description") {
              if (!value.is_string()) {
                errors.add("/description", "must be a string");
              } else {
                description = value.get<std::string>();
              }
            } else {
              errors.add(model::pointerAppend("", key), "unknown field; known: role, description");
            }
          }
          if (!doc.contains("role")) {
            errors.add("/role", "is required");
          }
        }
        if (!errors.empty()) {
          return errors.toError("invalid admin token request");
        }
        TESSERA_DECLARE_OR_RETURN(auto issued, tokens_.create(*role, description));
        store::AdminEventRecord event;
        event.at = issued.record.createdAt;
        event.actor = actorOf(who);
        event.action = "token.create";
        event.kind = "AdminToken";
        event.name = issued.record.id;
        event.after = json{{"role", issued.record.role}, {"description", description}}.dump();
        TESSERA_RETURN_IF_ERROR(config_.recordEvent(std::move(event)));
        auto res =
            net::jsonResponse(201, {{"id", issued.record.id},
                                    {"token", issued.token},
                                    {"role", issued.record.role},
                                    {"description", issued.record.description},
                                    {"createdAt", formatUnixRfc3339(issued.record.createdAt)}});
        res.headers.set("Cache-Control", "no-store");
        return res;
      },
      body);

  add(
      router, "GET", "/v1/adminTokens", Permission::kTokenManage,
      [this](Req&, const P&) -> Result<net::Response> {
        TESSERA_DECLARE_OR_RETURN(auto records, tokens_.list());
        json items = json::array();
        for (const auto& r : records) {
          json item = {{"id", r.id},
                       {"role", r.role},
                       {"description", r.description},
                       {"createdAt", formatUnixRfc3339(r.createdAt)}};
          if (r.revokedAt) {
            item["revokedAt"] = formatUnixRfc3339(*r.revokedAt);
          }
          items.push_back(std::move(item));
        }
        return net::jsonResponse(200, {{"items", items}});
      },
      body);

  add(
      router, "DELETE", "/v1/adminTokens/{id}", Permission::kTokenManage,
      [this](Req& req, const P& who) -> Result<net::Response> {
        const std::string id(req.pathParam("id"));
        TESSERA_RETURN_IF_ERROR(tokens_.revoke(id));
        store::AdminEventRecord event;
        event.at = toUnixSeconds(clock_.now());
        event.actor = actorOf(who);
        event.action = "token.revoke";
        event.kind = "AdminToken";
        event.name = id;
        TESSERA_RETURN_IF_ERROR(config_.recordEvent(std::move(event)));
        net::Response res;
        res.status = 204;
        return res;
      },
      body);
}

}  // namespace tessera::hub
