#include "hub/openapi.hpp"

#include "hub/access_api.hpp"

#include <map>
#include <set>
#include <utility>

#include "common/version.hpp"
#include "model/config_object.hpp"
#include "model/kind.hpp"

namespace tessera::hub {

namespace {
using nlohmann::json;

constexpr AdminRole kAllRoles[] = {AdminRole::kAdmin, AdminRole::kEditor, AdminRole::kAuditor,
                                   AdminRole::kEdge};

std::string schemaRef(std::string_view name) {
  return "#/components/schemas/" + std::string(name);
}
json refTo(std::string_view name) {
  return {{"$ref", schemaRef(name)}};
}

// The permission as it appears in x-tessera-permission: stable, machine-readable.
std::string_view permissionId(Permission permission) {
  switch (permission) {
    case Permission::kConfigRead:
      return "config.read";
    case Permission::kConfigWrite:
      return "config.write";
    case Permission::kAuditRead:
      return "audit.read";
    case Permission::kTokenManage:
      return "tokens.manage";
    case Permission::kAccess:
      return "access";
    case Permission::kAccessExplain:
      return "access.explain";
  }
  return "unknown";
}

// ---- Components -------------------------------------------------------------------------------

json objectNameSchemaJson(std::string description) {
  return {{"type", "string"},
          {"minLength", 1},
          {"maxLength", 63},
          {"pattern", "^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$"},
          {"description", std::move(description)}};
}

json errorSchemas() {
  json schemas;
  schemas["FieldError"] = {
      {"type", "object"},
      {"description", "One rejected field."},
      {"properties",
       {{"pointer",
         {{"type", "string"},
          {"description",
           "JSON pointer (RFC 6901) into the request body, e.g. /spec/port or "
           "/objects/3/metadata/name; \"?name\" for a query parameter; \"\" for the whole body."}}},
        {"reason", {{"type", "string"}, {"description", "What is wrong with it."}}}}},
      {"required", {"pointer", "reason"}},
      {"additionalProperties", false}};
  schemas["Error"] = {
      {"type", "object"},
      {"description", "Every error response."},
      {"properties",
       {{"error",
         {{"type", "string"},
          {"description", "Stable error code, e.g. invalid_argument, not_found, conflict."}}},
        {"message", {{"type", "string"}, {"description", "Human-readable explanation."}}},
        {"details",
         {{"type", "array"},
          {"items", refTo("FieldError")},
          {"description", "Every rejected field, when the error is about the body or query."}}}}},
      {"required", {"error", "message"}},
      {"additionalProperties", false}};
  return schemas;
}

json metadataSchema() {
  return {{"type", "object"},
          {"description", "Object metadata. createdAt, updatedAt and version are set by the hub."},
          {"properties",
           {{"name", objectNameSchemaJson("Unique within the kind.")},
            {"labels",
             {{"type", "object"},
              {"maxProperties", model::kMaxLabels},
              {"additionalProperties", {{"type", "string"}, {"maxLength", 63}}},
              {"description", "Kubernetes-style labels, selectable with labelSelector."}}},
            {"description", {{"type", "string"}, {"maxLength", model::kMaxDescription}}},
            {"createdAt", {{"type", "string"}, {"format", "date-time"}, {"readOnly", true}}},
            {"updatedAt", {{"type", "string"}, {"format", "date-time"}, {"readOnly", true}}},
            {"version",
             {{"type", "integer"},
              {"format", "int64"},
              {"minimum", 1},
              {"description",
               "The object's version (also its ETag). In a request: the version you expect to "
               "replace (412 if it is not the stored one)."}}}}},
          {"required", {"name"}},
          {"additionalProperties", false}};
}

json kindSchema(model::Kind kind, const model::SpecRegistry& registry) {
  return {{"type", "object"},
          {"description", std::string(model::kindName(kind)) + ". On /v1/" +
                              std::string(model::collectionName(kind)) +
                              " requests apiVersion and kind may be omitted."},
          {"properties",
           {{"apiVersion", {{"type", "string"}, {"enum", {model::kApiVersion}}}},
            {"kind", {{"type", "string"}, {"enum", {model::kindName(kind)}}}},
            {"metadata", refTo("ObjectMetadata")},
            {"spec", registry.specJsonSchema(kind)}}},
          {"required", {"apiVersion", "kind", "metadata", "spec"}},
          {"additionalProperties", false}};
}

json kindNames() {
  json names = json::array();
  for (model::Kind k : model::kAllKinds) {
    names.push_back(model::kindName(k));
  }
  return names;
}

json componentSchemas(const model::SpecRegistry& registry) {
  json schemas = errorSchemas();
  schemas["ObjectMetadata"] = metadataSchema();
  json anyObject = json::array();
  for (model::Kind kind : model::kAllKinds) {
    const std::string name(model::kindName(kind));
    schemas[name] = kindSchema(kind, registry);
    schemas[name + "List"] = {
        {"type", "object"},
        {"description", "One page of " + name + " objects, by name."},
        {"properties",
         {{"items", {{"type", "array"}, {"items", refTo(name)}}},
          {"revision",
           {{"type", "integer"},
            {"format", "int64"},
            {"description", "Configuration revision the page was read at."}}},
          {"nextPageToken",
           {{"type", "string"}, {"description", "Pass as pageToken for the next page."}}}}},
        {"required", {"items", "revision"}},
        {"additionalProperties", false}};
    anyObject.push_back(refTo(name));
  }
  schemas["ConfigObject"] = {{"description", "An object of any kind, told apart by kind."},
                             {"oneOf", anyObject}};
  schemas["ApplyRequest"] = {
      {"type", "object"},
      {"description", "Objects to create or update, all or nothing."},
      {"properties",
       {{"objects", {{"type", "array"}, {"items", refTo("ConfigObject")}}},
        {"dryRun",
         {{"type", "boolean"},
          {"default", false},
          {"description", "Plan only: report what would change, write nothing."}}}}},
      {"required", {"objects"}},
      {"additionalProperties", false}};
  schemas["ApplyResult"] = {
      {"type", "object"},
      {"properties",
       {{"kind", {{"type", "string"}, {"enum", kindNames()}}},
        {"name", {{"type", "string"}}},
        {"action", {{"type", "string"}, {"enum", {"created", "updated", "unchanged"}}}},
        {"version", {{"type", "integer"}, {"format", "int64"}}},
        {"before",
         {{"allOf", {refTo("ConfigObject")}},
          {"description", "Dry runs: the stored object (write-only fields absent)."}}},
        {"after",
         {{"allOf", {refTo("ConfigObject")}},
          {"description", "Dry runs: the object as it would be stored."}}}}},
      {"required", {"kind", "name", "action"}},
      {"additionalProperties", false}};
  schemas["ApplyResponse"] = {{"type", "object"},
                              {"properties",
                               {{"revision", {{"type", "integer"}, {"format", "int64"}}},
                                {"dryRun", {{"type", "boolean"}}},
                                {"results", {{"type", "array"}, {"items", refTo("ApplyResult")}}}}},
                              {"required", {"revision", "dryRun", "results"}},
                              {"additionalProperties", false}};
  schemas["ExportResponse"] = {
      {"type", "object"},
      {"description",
       "Every object (without server fields or write-only secrets), "
       "in an order that can be applied again."},
      {"properties",
       {{"revision", {{"type", "integer"}, {"format", "int64"}}},
        {"objects", {{"type", "array"}, {"items", refTo("ConfigObject")}}}}},
      {"required", {"revision", "objects"}},
      {"additionalProperties", false}};
  const json document = {{"type", "object"},
                         {"nullable", true},
                         {"description", "The object as a document, write-only fields masked."}};
  schemas["AuditEvent"] = {
      {"type", "object"},
      {"properties",
       {{"id", {{"type", "integer"}, {"format", "int64"}}},
        {"at", {{"type", "string"}, {"format", "date-time"}}},
        {"actor",
         {{"type", "string"},
          {"description", "Who made the change, e.g. token:<admin token id>."}}},
        {"action",
         {{"type", "string"},
          {"description",
           "e.g. create, update, delete, "
           "token.create, token.revoke"}}},
        {"kind", {{"type", "string"}, {"description", "A kind name, or AdminToken."}}},
        {"name", {{"type", "string"}}},
        {"revision", {{"type", "integer"}, {"format", "int64"}}},
        {"before", document},
        {"after", document}}},
      {"required", {"id", "at", "actor", "action", "kind", "name", "revision", "before", "after"}},
      {"additionalProperties", false}};
  schemas["AuditList"] = {
      {"type", "object"},
      {"description", "Audit events, newest first."},
      {"properties",
       {{"items", {{"type", "array"}, {"items", refTo("AuditEvent")}}},
        {"nextPageToken",
         {{"type", "string"}, {"description", "Pass as pageToken for older events."}}}}},
      {"required", {"items"}},
      {"additionalProperties", false}};
  const json str = {{"type", "string"}};
  const json stringMap = {{"type", "object"}, {"additionalProperties", {{"type", "string"}}}};
  schemas["AccessTarget"] = {
      {"type", "object"},
      {"description", "What the workload wants to reach."},
      {"properties",
       {{"host", {{"type", "string"}, {"minLength", 1}, {"maxLength", 253}}},
        {"port", {{"type", "integer"}, {"minimum", 1}, {"maximum", 65535}}},
        {"protocol", {{"type", "string"}, {"minLength", 1}, {"maxLength", 32}}}}},
      {"required", {"host", "port", "protocol"}},
      {"additionalProperties", false}};
  schemas["Evidence"] = {
      {"type", "object"},
      {"description",
       "What the edge collected from the workload. Each trust provider reads one member; a "
       "token provider picks the token whose issuer is its own."},
      {"properties",
       {{"tokens",
         {{"type", "array"},
          {"maxItems", 8},
          {"items", {{"type", "string"}, {"maxLength", 16384}}}}},
        {"awsGetCallerIdentity",
         {{"type", "object"},
          {"description", "A SigV4-signed sts:GetCallerIdentity request, replayed by the hub."},
          {"properties", {{"method", str}, {"url", str}, {"headers", stringMap}, {"body", str}}},
          {"required", {"method", "url", "headers"}},
          {"additionalProperties", false}}},
        {"awsInstanceIdentity",
         {{"type", "object"},
          {"description", "The EC2 instance identity document and its rsa2048 PKCS#7 signature."},
          {"properties", {{"document", str}, {"rsa2048", str}}},
          {"required", {"document", "rsa2048"}},
          {"additionalProperties", false}}},
        {"azureAttestedDocument",
         {{"type", "object"},
          {"description", "The Azure IMDS attested document (PKCS#7)."},
          {"properties",
           {{"encoding", {{"type", "string"}, {"enum", {"pkcs7"}}}}, {"signature", str}}},
          {"required", {"encoding", "signature"}},
          {"additionalProperties", false}}}}},
      {"additionalProperties", false}};
  schemas["AccessRequest"] = {
      {"type", "object"},
      {"properties",
       {{"evidence", refTo("Evidence")},
        {"target", refTo("AccessTarget")},
        {"context",
         {{"type", "object"},
          {"description",
           "Unverified facts the edge reports (sourceIp, hostname, process...); traces mark "
           "them unverified."},
          {"maxProperties", 32},
          {"additionalProperties", {{"type", "string"}, {"maxLength", 1024}}}}}}},
      {"required", {"target"}},
      {"additionalProperties", false}};
  schemas["DecisionStep"] = {
      {"type", "object"},
      {"properties",
       {{"stage",
         {{"type", "string"},
          {"enum",
           {"serverWorkload", "policy", "trustProvider", "clientWorkload", "accessCondition",
            "credentialProvider"}}}},
        {"object", str},
        {"passed", {{"type", "boolean"}}},
        {"detail", str},
        {"reasonCode", str},
        {"details",
         {{"type", "object"},
          {"description",
           "MatchRuleFailed: attribute, expected, actual. ConditionFailed: condition, detail."}}}}},
      {"required", {"stage", "passed", "detail"}},
      {"additionalProperties", false}};
  schemas["VerifiedIdentity"] = {{"type", "object"},
                                 {"properties",
                                  {{"provider", str},
                                   {"type", str},
                                   {"subject", str},
                                   {"expiresAt", {{"type", "string"}, {"format", "date-time"}}},
                                   {"attributes", stringMap}}},
                                 {"required", {"provider", "type", "subject", "attributes"}},
                                 {"additionalProperties", false}};
  const json dateTime = {{"type", "string"}, {"format", "date-time"}};
  schemas["Credential"] = {
      {"type", "object"},
      {"description",
       "Credential material, named by type: id-token and bearer-token carry token, api-key "
       "apiKey, username-password username and password, oauth accessToken, tokenType and "
       "scope; cloud types carry accessKeyId, "
       "secretAccessKey, sessionToken and the like."},
      {"properties", {{"type", str}, {"expiresAt", dateTime}}},
      {"required", {"type", "expiresAt"}},
      {"additionalProperties", {{"type", "string"}}}};
  schemas["Grant"] = {
      {"type", "object"},
      {"description",
       "What an authorized POST /v1/access hands the edge. Never in explain, events or logs."},
      {"properties",
       {{"credential", refTo("Credential")},
        {"injection",
         {{"type", "object"},
          {"description", "The server workload's authentication block: how to inject it."}}},
        {"expiresAt", dateTime},
        {"refreshAt",
         {{"type", "string"},
          {"format", "date-time"},
          {"description", "Ask again from here on (by default at 80% of the lifetime)."}}},
        {"contextId", str}}},
      {"required", {"credential", "injection", "expiresAt", "refreshAt", "contextId"}},
      {"additionalProperties", false}};
  schemas["CredentialOutcome"] = {
      {"type", "object"},
      {"description", "What the credential provider did for this decision; never the credential."},
      {"properties",
       {{"provider", str},
        {"type", str},
        {"outcome", {{"type", "string"}, {"enum", {"issued", "failed", "notIssued"}}}},
        {"cache", {{"type", "string"}, {"enum", {"issued", "cached", "shared", "failureCached"}}}},
        {"reason", str},
        {"credentialType", str},
        {"expiresAt", dateTime},
        {"refreshAt", dateTime}}},
      {"required", {"provider", "outcome"}},
      {"additionalProperties", false}};
  schemas["AccessDecision"] = {
      {"type", "object"},
      {"properties",
       {{"contextId", {{"type", "string"}, {"description", "The access event's id."}}},
        {"time", {{"type", "string"}, {"format", "date-time"}}},
        {"outcome", {{"type", "string"}, {"enum", {"authorized", "unauthorized", "error"}}}},
        {"reasonCode",
         {{"type", "string"},
          {"enum",
           {"Authorized", "NoPolicy", "NoDataFound", "InvalidEvidence", "InvalidSignature",
            "Expired", "ClaimRejected", "MatchRuleFailed", "ConditionFailed", "ProviderError"}}}},
        {"reason", str},
        {"serverWorkload", str},
        {"policy", str},
        {"clientWorkload", str},
        {"credentialProvider", str},
        {"identities", {{"type", "array"}, {"items", refTo("VerifiedIdentity")}}},
        {"trace",
         {{"type", "array"},
          {"items", refTo("DecisionStep")},
          {"description", "Every step (explain and access events only)."}}},
        {"grant", refTo("Grant")}}},
      {"required", {"contextId", "time", "outcome", "reasonCode", "reason", "identities"}},
      {"additionalProperties", false}};
  json event = schemas["AccessDecision"];
  event["properties"].erase("grant");
  event["properties"]["credential"] = refTo("CredentialOutcome");
  event["description"] =
      "The record of one decision: the decision with its trace, the edge that asked, the target "
      "and the context. No token, signature or secret.";
  event["properties"]["actor"] = {{"type", "string"},
                                  {"description", "The edge: token:<admin token id>."}};
  event["properties"]["target"] = refTo("AccessTarget");
  event["properties"]["context"] = stringMap;
  for (const char* required : {"trace", "actor", "target", "context"}) {
    event["required"].push_back(required);
  }
  schemas["AccessEvent"] = std::move(event);
  schemas["AccessEventList"] = {
      {"type", "object"},
      {"description", "Access events, newest first."},
      {"properties",
       {{"items", {{"type", "array"}, {"items", refTo("AccessEvent")}}},
        {"nextPageToken",
         {{"type", "string"}, {"description", "Pass as pageToken for older events."}}}}},
      {"required", {"items"}},
      {"additionalProperties", false}};
  schemas["EdgeRoutes"] = {
      {"type", "object"},
      {"properties",
       {{"revision", {{"type", "integer"}, {"description", "The configuration revision."}}},
        {"serverWorkloads",
         {{"type", "array"},
          {"items",
           {{"type", "object"},
            {"properties",
             {{"name", {{"type", "string"}}},
              {"host", {{"type", "string"}}},
              {"port", {{"type", "integer"}}},
              {"protocol", {{"type", "string"}}},
              {"tls", {{"type", "object"}}},
              {"authentication", {{"type", "object"}}}}},
            {"required", {"name", "host", "port", "protocol", "authentication"}}}}}}}},
      {"required", {"revision", "serverWorkloads"}},
      {"additionalProperties", false}};
  const json role = {{"type", "string"}, {"enum", {"admin", "editor", "auditor", "edge"}}};
  const json time = {{"type", "string"}, {"format", "date-time"}};
  schemas["AdminTokenCreateRequest"] = {
      {"type", "object"},
      {"properties", {{"role", role}, {"description", {{"type", "string"}, {"maxLength", 256}}}}},
      {"required", {"role"}},
      {"additionalProperties", false}};
  schemas["AdminTokenCreated"] = {
      {"type", "object"},
      {"properties",
       {{"id", {{"type", "string"}}},
        {"token",
         {{"type", "string"},
          {"description", "The bearer token. Shown once: it cannot be read again."}}},
        {"role", role},
        {"description", {{"type", "string"}}},
        {"createdAt", time}}},
      {"required", {"id", "token", "role", "description", "createdAt"}},
      {"additionalProperties", false}};
  schemas["AdminToken"] = {{"type", "object"},
                           {"properties",
                            {{"id", {{"type", "string"}}},
                             {"role", role},
                             {"description", {{"type", "string"}}},
                             {"createdAt", time},
                             {"revokedAt", time}}},
                           {"required", {"id", "role", "description", "createdAt"}},
                           {"additionalProperties", false}};
  schemas["AdminTokenList"] = {
      {"type", "object"},
      {"properties", {{"items", {{"type", "array"}, {"items", refTo("AdminToken")}}}}},
      {"required", {"items"}},
      {"additionalProperties", false}};
  return schemas;
}

json jsonContent(const json& schema) {
  return {{"application/json", {{"schema", schema}}}};
}

json errorResponse(std::string description) {
  return {{"description", std::move(description)}, {"content", jsonContent(refTo("Error"))}};
}

// The error responses operations refer to by status.
json componentResponses() {
  json responses;
  responses["BadRequest"] = errorResponse(
      "The body, a query parameter or a header is invalid; details name each field by JSON "
      "pointer.");
  responses["Unauthenticated"] = errorResponse("No, malformed, unknown or revoked admin token.");
  responses["Unauthenticated"]["headers"] = {
      {"WWW-Authenticate",
       {{"schema", {{"type", "string"}}}, {"description", "Bearer realm=\"tessera\""}}}};
  responses["PermissionDenied"] =
      errorResponse("The token's role does not hold this operation's permission.");
  responses["NotFound"] = errorResponse("The object does not exist.");
  responses["Conflict"] =
      errorResponse("The object already exists, is still referenced, or changed concurrently.");
  responses["PreconditionFailed"] =
      errorResponse("If-Match or metadata.version names a version that is not the stored one.");
  responses["PayloadTooLarge"] = errorResponse("The body is larger than the hub accepts.");
  responses["UnsupportedMediaType"] = errorResponse("The body is not application/json.");
  responses["InternalError"] = errorResponse("Internal or store failure.");
  responses["Unavailable"] = errorResponse("The store is unavailable.");
  return responses;
}

const std::map<int, std::string>& errorResponseNames() {
  static const std::map<int, std::string> names = {
      {400, "BadRequest"},       {401, "Unauthenticated"},
      {403, "PermissionDenied"}, {404, "NotFound"},
      {409, "Conflict"},         {412, "PreconditionFailed"},
      {413, "PayloadTooLarge"},  {415, "UnsupportedMediaType"},
      {500, "InternalError"},    {503, "Unavailable"},
  };
  return names;
}

// ---- Per-route documentation ----------------------------------------------------------------

struct OperationDoc {
  std::string operationId;
  std::string summary;
  std::string description;
  std::string tag;
  json parameters = json::array();
  json requestBody;  // null: no body
  int successStatus = 200;
  json success;  // the success response object
  // Error statuses besides 401, 403, 500 and 503, which every operation has.
  std::vector<int> errors;
};

using RouteKey = std::pair<std::string, std::string>;  // method, pattern

json pathParameter(std::string name, std::string description) {
  return {{"name", std::move(name)},
          {"in", "path"},
          {"required", true},
          {"schema", {{"type", "string"}}},
          {"description", std::move(description)}};
}
json queryParameter(std::string name, json schema, std::string description) {
  return {{"name", std::move(name)},
          {"in", "query"},
          {"required", false},
          {"schema", std::move(schema)},
          {"description", std::move(description)}};
}
json limitParameter(std::string what) {
  return queryParameter("limit",
                        {{"type", "integer"}, {"minimum", 1}, {"maximum", 1000}, {"default", 100}},
                        "At most this many " + std::move(what) + " per page.");
}
json ifMatchParameter() {
  return {{"name", "If-Match"},
          {"in", "header"},
          {"required", false},
          {"schema", {{"type", "string"}}},
          {"description",
           "An ETag this API returned, like \"3\": the request fails with 412 unless the object "
           "is still at that version. Absent or * for any version."}};
}
json jsonBody(const json& schema, std::string description) {
  return {{"required", true},
          {"description", std::move(description)},
          {"content", jsonContent(schema)}};
}
json successResponse(std::string description, const json& schema) {
  json r = {{"description", std::move(description)}};
  if (!schema.is_null()) {
    r["content"] = jsonContent(schema);
  }
  return r;
}
json etagHeader() {
  return {{"schema", {{"type", "string"}}},
          {"description", "The object's version, quoted: pass it as If-Match."}};
}

OperationDoc operation(std::string operationId, std::string summary, std::string tag) {
  OperationDoc d;
  d.operationId = std::move(operationId);
  d.summary = std::move(summary);
  d.tag = std::move(tag);
  return d;
}

// Every documented route. A route registered by AdminApi but missing here shows up in
// openApiCoverage(), and the OpenAPI test fails.
const std::map<RouteKey, OperationDoc>& operationDocs() {
  static const std::map<RouteKey, OperationDoc> docs = [] {
    std::map<RouteKey, OperationDoc> out;
    for (model::Kind kind : model::kAllKinds) {
      const std::string name(model::kindName(kind));
      const std::string collection(model::collectionName(kind));
      std::string plural = collection;
      plural[0] = static_cast<char>(plural[0] - 'a' + 'A');
      const std::string base = "/v1/" + collection;
      const std::string item = base + "/{name}";
      const json nameParam = pathParameter("name", name + " name.");

      auto list = operation("list" + plural, "List " + name + " objects", "configuration");
      list.description = "By name, one page at a time.";
      list.parameters = {
          queryParameter("labelSelector", {{"type", "string"}},
                         "Comma-separated terms, all of which must hold: key=value, key!=value, "
                         "key (present), !key (absent)."),
          limitParameter("objects"),
          queryParameter("pageToken", {{"type", "string"}}, "nextPageToken of the previous page.")};
      list.success = successResponse("A page of objects.", refTo(name + "List"));
      list.errors = {400};
      out.emplace(RouteKey{"GET", base}, std::move(list));

      auto create = operation("create" + name, "Create a " + name, "configuration");
      create.description =
          "Write-only fields (secrets) are accepted here and never returned. References to "
          "other objects must exist.";
      create.requestBody = jsonBody(refTo(name), "The new object.");
      create.successStatus = 201;
      create.success = successResponse("Created.", refTo(name));
      create.success["headers"] = {
          {"ETag", etagHeader()},
          {"Location", {{"schema", {{"type", "string"}}}, {"description", "The object's URL."}}}};
      create.errors = {400, 409, 412, 413, 415};
      out.emplace(RouteKey{"POST", base}, std::move(create));

      auto get = operation("get" + name, "Read a " + name, "configuration");
      get.description = "Write-only fields are absent.";
      get.parameters = {nameParam};
      get.success = successResponse("The object.", refTo(name));
      get.success["headers"] = {{"ETag", etagHeader()}};
      get.errors = {404};
      out.emplace(RouteKey{"GET", item}, std::move(get));

      auto put = operation("replace" + name, "Replace a " + name, "configuration");
      put.description =
          "Replaces labels, description and spec. Write-only fields left out keep their stored "
          "value. metadata.name may be omitted; if given it must match the path.";
      put.parameters = {nameParam, ifMatchParameter()};
      put.requestBody = jsonBody(refTo(name), "The object as it should be.");
      put.success = successResponse("Replaced (or unchanged).", refTo(name));
      put.success["headers"] = {{"ETag", etagHeader()}};
      put.errors = {400, 404, 409, 412, 413, 415};
      out.emplace(RouteKey{"PUT", item}, std::move(put));

      auto del = operation("delete" + name, "Delete a " + name, "configuration");
      del.description = "Refused with 409 while other objects refer to it.";
      del.parameters = {nameParam, ifMatchParameter()};
      del.successStatus = 204;
      del.success = successResponse("Deleted.", nullptr);
      del.errors = {400, 404, 409, 412};
      out.emplace(RouteKey{"DELETE", item}, std::move(del));
    }

    auto apply = operation("applyConfiguration", "Create or update many objects", "configuration");
    apply.description =
        "All or nothing, in one configuration revision. Errors name each object by its pointer "
        "(/objects/3/...). With dryRun, reports what would change and writes nothing.";
    apply.requestBody = jsonBody(refTo("ApplyRequest"), "The objects.");
    apply.success = successResponse("Applied, or planned for a dry run.", refTo("ApplyResponse"));
    apply.errors = {400, 409, 412, 413, 415};
    out.emplace(RouteKey{"POST", "/v1/apply"}, std::move(apply));

    auto exp = operation("exportConfiguration", "Export every object", "configuration");
    exp.description = "Without server fields and write-only secrets.";
    exp.success = successResponse("Every object.", refTo("ExportResponse"));
    out.emplace(RouteKey{"GET", "/v1/export"}, std::move(exp));

    auto audit = operation("listAuditEvents", "List admin audit events", "audit");
    audit.description = "Newest first.";
    audit.parameters = {
        queryParameter("since", {{"type", "string"}, {"format", "date-time"}},
                       "Only events at or after this RFC 3339 time."),
        queryParameter("until", {{"type", "string"}, {"format", "date-time"}},
                       "Only events at or before this RFC 3339 time."),
        queryParameter("kind",
                       {{"type", "string"},
                        {"enum",
                         [] {
                           json k = kindNames();
                           k.push_back("AdminToken");
                           return k;
                         }()}},
                       "Only events about this kind (or AdminToken)."),
        limitParameter("events"),
        queryParameter("pageToken", {{"type", "string"}}, "nextPageToken of the previous page.")};
    audit.success = successResponse("A page of events.", refTo("AuditList"));
    audit.errors = {400};
    out.emplace(RouteKey{"GET", "/v1/audit"}, std::move(audit));

    auto access =
        operation("decideAccess", "Decide whether a workload may reach a target", "access");
    access.description =
        "For edges. Verifies the evidence with the trust providers of the candidate policies, "
        "identifies the client workload, evaluates the access conditions and records an access "
        "event. Every outcome (authorized, unauthorized, error) answers 200 with the decision.";
    access.requestBody = jsonBody(refTo("AccessRequest"), "Evidence, target and context.");
    access.success = successResponse("The decision.", refTo("AccessDecision"));
    access.errors = {400, 413, 415};
    out.emplace(RouteKey{"POST", "/v1/access"}, std::move(access));

    auto explain = operation("explainAccess", "Explain a decision without side effects", "access");
    explain.description =
        "The same evaluation as /v1/access, with the full trace and no access event: answers "
        "why a workload was (not) authorized.";
    explain.requestBody = jsonBody(refTo("AccessRequest"), "Evidence, target and context.");
    explain.success = successResponse("The decision with its trace.", refTo("AccessDecision"));
    explain.errors = {400, 413, 415};
    out.emplace(RouteKey{"POST", "/v1/access/explain"}, std::move(explain));

    auto routes = operation("listEdgeRoutes", "Server workloads an edge steers to", "access");
    routes.description =
        "Every server workload's host, port, protocol, TLS settings and authentication method: "
        "what an edge needs to decide which connections it decrypts and injects into and which "
        "it tunnels untouched. Holds no credential.";
    routes.success =
        successResponse("The server workloads of the current revision.", refTo("EdgeRoutes"));
    out.emplace(RouteKey{"GET", "/v1/edge/routes"}, std::move(routes));

    auto events = operation("listAccessEvents", "List access events", "access");
    events.description = "Newest first; filters combine.";
    events.parameters = {
        queryParameter("since", {{"type", "string"}, {"format", "date-time"}},
                       "Only events at or after this RFC 3339 time."),
        queryParameter("until", {{"type", "string"}, {"format", "date-time"}},
                       "Only events before this RFC 3339 time."),
        queryParameter("outcome",
                       {{"type", "string"}, {"enum", {"authorized", "unauthorized", "error"}}},
                       "Only events with this outcome."),
        queryParameter("policy", {{"type", "string"}}, "Only events decided by this policy."),
        queryParameter("clientWorkload", {{"type", "string"}},
                       "Only events of this client workload."),
        queryParameter("serverWorkload", {{"type", "string"}},
                       "Only events for this server workload."),
        limitParameter("events"),
        queryParameter("pageToken", {{"type", "string"}}, "nextPageToken of the previous page.")};
    events.success = successResponse("A page of access events.", refTo("AccessEventList"));
    events.errors = {400};
    out.emplace(RouteKey{"GET", "/v1/events"}, std::move(events));

    auto event = operation("getAccessEvent", "Get one access event", "access");
    event.description = "By the contextId the decision carried.";
    event.parameters = {pathParameter("id", "The decision's contextId.")};
    event.success = successResponse("The event.", refTo("AccessEvent"));
    event.errors = {404};
    out.emplace(RouteKey{"GET", "/v1/events/{id}"}, std::move(event));

    auto createToken = operation("createAdminToken", "Create an admin token", "adminTokens");
    createToken.description = "The token is in the response once and never again.";
    createToken.requestBody = jsonBody(refTo("AdminTokenCreateRequest"), "Role and description.");
    createToken.successStatus = 201;
    createToken.success = successResponse("Created.", refTo("AdminTokenCreated"));
    createToken.errors = {400, 413, 415};
    out.emplace(RouteKey{"POST", "/v1/adminTokens"}, std::move(createToken));

    auto listTokens = operation("listAdminTokens", "List admin tokens", "adminTokens");
    listTokens.description = "Revoked tokens included; secrets never.";
    listTokens.success = successResponse("Every admin token.", refTo("AdminTokenList"));
    out.emplace(RouteKey{"GET", "/v1/adminTokens"}, std::move(listTokens));

    auto revoke = operation("revokeAdminToken", "Revoke an admin token", "adminTokens");
    revoke.description = "The token stops working at once.";
    revoke.parameters = {pathParameter("id", "Admin token id.")};
    revoke.successStatus = 204;
    revoke.success = successResponse("Revoked.", nullptr);
    revoke.errors = {404};
    out.emplace(RouteKey{"DELETE", "/v1/adminTokens/{id}"}, std::move(revoke));
    return out;
  }();
  return docs;
}

std::string lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return s;
}

json rolesHolding(Permission permission) {
  json roles = json::array();
  for (AdminRole role : kAllRoles) {
    if (roleAllows(role, permission)) {
      roles.push_back(adminRoleName(role));
    }
  }
  return roles;
}

json operationJson(const AdminRoute& route, const OperationDoc* doc) {
  json op;
  json responses;
  std::vector<int> errors = {401, 403, 500, 503};
  if (doc != nullptr) {
    op["operationId"] = doc->operationId;
    op["summary"] = doc->summary;
    op["tags"] = {doc->tag};
    if (!doc->parameters.empty()) {
      op["parameters"] = doc->parameters;
    }
    if (!doc->requestBody.is_null()) {
      op["requestBody"] = doc->requestBody;
    }
    responses[std::to_string(doc->successStatus)] = doc->success;
    errors.insert(errors.end(), doc->errors.begin(), doc->errors.end());
  } else {
    op["summary"] = "UNDOCUMENTED: add " + route.method + " " + route.pattern +
                    " to operationDocs() in src/hub/openapi.cpp";
  }
  const json roles = rolesHolding(route.permission);
  std::string roleList;
  for (const auto& r : roles) {
    roleList += (roleList.empty() ? "" : ", ") + r.get<std::string>();
  }
  op["description"] =
      (doc != nullptr && !doc->description.empty() ? doc->description + "\n\n" : std::string()) +
      "Permission: " + std::string(permissionId(route.permission)) + " (" +
      std::string(permissionName(route.permission)) + "); roles: " + roleList + ".";
  for (int status : std::set<int>(errors.begin(), errors.end())) {
    responses[std::to_string(status)] = {
        {"$ref", "#/components/responses/" + errorResponseNames().at(status)}};
  }
  op["responses"] = std::move(responses);
  op["security"] = {{{"adminToken", json::array()}}};
  op["x-tessera-permission"] = permissionId(route.permission);
  op["x-tessera-roles"] = roles;
  return op;
}

json openApiOperation() {
  return {{"operationId", "getOpenApiDocument"},
          {"summary", "This document"},
          {"description", "Public: no token needed."},
          {"tags", {"meta"}},
          {"security", json::array()},
          {"responses",
           {{"200", successResponse("The OpenAPI 3.0.3 document of the admin API.",
                                    {{"type", "object"}})}}}};
}
}  // namespace

nlohmann::json buildOpenApiDocument(const std::vector<AdminRoute>& routes,
                                    const model::SpecRegistry& registry) {
  const auto& docs = operationDocs();
  json paths = json::object();
  for (const auto& route : routes) {
    const auto it = docs.find(RouteKey{route.method, route.pattern});
    paths[route.pattern][lower(route.method)] =
        operationJson(route, it == docs.end() ? nullptr : &it->second);
  }
  paths[std::string(kOpenApiPath)]["get"] = openApiOperation();

  json doc;
  doc["openapi"] = "3.0.3";
  doc["info"] = {
      {"title", "Tessera admin API"},
      {"version", kVersion},
      {"description",
       "Configuration (client and server workloads, trust providers, access conditions, "
       "credential providers, access policies), audit events and admin tokens. Every operation "
       "needs an admin bearer token (tessera admin token create --role ROLE) whose role holds "
       "the operation's x-tessera-permission. Errors are {error, message, details?[{pointer, "
       "reason}]}."}};
  doc["tags"] = {{{"name", "configuration"}, {"description", "Configuration objects."}},
                 {{"name", "audit"}, {"description", "Who changed what."}},
                 {{"name", "adminTokens"}, {"description", "Tokens for this API."}},
                 {{"name", "meta"}, {"description", "About the API."}}};
  doc["security"] = {{{"adminToken", json::array()}}};
  doc["paths"] = std::move(paths);
  doc["components"] = {{"securitySchemes",
                        {{"adminToken",
                          {{"type", "http"},
                           {"scheme", "bearer"},
                           {"description",
                            "An admin token, tsa_<id>_<secret>, from tessera admin token create "
                            "or POST /v1/adminTokens."}}}}},
                       {"schemas", componentSchemas(registry)},
                       {"responses", componentResponses()}};
  return doc;
}

OpenApiCoverage openApiCoverage(const std::vector<AdminRoute>& routes) {
  OpenApiCoverage out;
  std::set<RouteKey> registered;
  const auto& docs = operationDocs();
  for (const auto& r : routes) {
    registered.emplace(r.method, r.pattern);
    if (!docs.contains(RouteKey{r.method, r.pattern})) {
      out.undocumented.push_back(r.method + " " + r.pattern);
    }
  }
  for (const auto& [key, doc] : docs) {
    if (!registered.contains(key)) {
      out.stale.push_back(key.first + " " + key.second);
    }
  }
  return out;
}

std::vector<AdminRoute> adminRoutesWithoutHub() {
  // AdminApi only records and registers its routes here; no handler runs, so the store-less
  // services are never called.
  ConfigService config(nullptr, SystemClock::instance());
  AdminTokens tokens(nullptr, SystemClock::instance());
  AdminApi api(config, tokens, SystemClock::instance(), AdminApiOptions{});
  AccessService access(config, nullptr, SystemClock::instance(), AccessServiceOptions{});
  net::Router router;
  api.addRoutes(router);
  addAccessRoutes(api, router, access, nullptr);
  return api.routes();
}

void addOpenApiRoute(net::Router& router, nlohmann::json document) {
  auto response = net::jsonResponse(200, document);
  response.headers.set("Cache-Control", "public, max-age=300");
  router.get(kOpenApiPath, [response = std::move(response)](net::Request&) { return response; });
}

}  // namespace tessera::hub
