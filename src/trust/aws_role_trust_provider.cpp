// TrustProvider type "aws-role". Attributes (aws.*): arn, accountId, userId; for an assumed role
// roleName, roleArn and sessionName; for an IAM user userName.
//
// Why each check of prepareReplay exists (the signature itself is STS's to verify):
//   - the URL is an allowlisted STS endpoint, compared on scheme, host, port and path with no
//     query: the hub must never be made to send a request anywhere else (SSRF), and a query
//     string would add parameters to the action;
//   - the body is exactly GetCallerIdentity in the Query protocol: a signed AssumeRole or
//     anything else must not be sent on the workload's behalf, and the answer must be the one
//     document identityFromResponse reads (Vault's CVE-2020-16250 was a loosely checked request
//     whose answer was then read loosely);
//   - X-Tessera-Server-ID is signed and names this hub: a request captured by (or made for)
//     another service that trusts GetCallerIdentity cannot be replayed here;
//   - X-Amz-Date is fresh: STS accepts 15 minutes either way; the hub wants less.
#include "trust/aws_role_trust_provider.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <optional>

#include "common/time_format.hpp"
#include "crypto/digest.hpp"
#include "trust/provider_types.hpp"

namespace tessera::trust {

namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr std::size_t kMaxHeaderNameBytes = 256;
constexpr std::size_t kMaxHeaderValueBytes = 8192;
constexpr std::size_t kMaxHeaderBytesTotal = 32 * 1024;

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool isTokenChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  for (;;) {
    const auto at = s.find(sep);
    out.push_back(s.substr(0, at));
    if (at == std::string_view::npos) {
      return out;
    }
    s.remove_prefix(at + 1);
  }
}

// A URL as an operator may read it in an error without it being able to flood the event.
std::string shown(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, 160)) {
    out += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  return text.size() > 160 ? out + "..." : out;
}

// "20261130T155956Z" (SigV4's basic ISO 8601, UTC, whole seconds).
std::optional<SystemTime> parseAmzDate(std::string_view text) {
  if (text.size() != 16 || text[8] != 'T' || text[15] != 'Z') {
    return std::nullopt;
  }
  const auto number = [&](std::size_t at, std::size_t n) -> std::optional<int> {
    int v = 0;
    const char* first = text.data() + at;
    const auto [end, ec] = std::from_chars(first, first + n, v);
    if (ec != std::errc() || end != first + n) {
      return std::nullopt;
    }
    return v;
  };
  const auto y = number(0, 4), mo = number(4, 2), d = number(6, 2);
  const auto h = number(9, 2), mi = number(11, 2), s = number(13, 2);
  if (!y || !mo || !d || !h || !mi || !s || *h > 23 || *mi > 59 || *s > 59) {
    return std::nullopt;
  }
  const std::chrono::year_month_day date{std::chrono::year(*y),
                                         std::chrono::month(static_cast<unsigned>(*mo)),
                                         std::chrono::day(static_cast<unsigned>(*d))};
  if (!date.ok()) {
    return std::nullopt;
  }
  return SystemTime(std::chrono::sys_days(date)) + std::chrono::hours(*h) +
         std::chrono::minutes(*mi) + std::chrono::seconds(*s);
}

struct SigV4Authorization {
  std::string scopeDate;
  std::vector<std::string> signedHeaders;
};

// The parts of an Authorization header the hub checks. Messages never quote the header: it
// carries the signature.
Result<SigV4Authorization> parseAuthorization(std::string_view value) {
  if (value.substr(0, kAlgorithm.size()) != kAlgorithm || value.size() == kAlgorithm.size() ||
      value[kAlgorithm.size()] != ' ') {
    return fail(ErrorCode::kEvidenceInvalid, "Authorization is not AWS4-HMAC-SHA256");
  }
  std::optional<std::string_view> credential, signedHeaders, signature;
  for (auto part : split(value.substr(kAlgorithm.size() + 1), ',')) {
    part = trim(part);
    const auto eq = part.find('=');
    const auto key = part.substr(0, eq);
    const auto v = eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1);
    std::optional<std::string_view>* slot = key == "Credential"      ? &credential
                                            : key == "SignedHeaders" ? &signedHeaders
                                            : key == "Signature"     ? &signature
                                                                     : nullptr;
    if (slot == nullptr || slot->has_value() || eq == std::string_view::npos) {
      return fail(ErrorCode::kEvidenceInvalid,
                  "Authorization must have exactly Credential, SignedHeaders and Signature");
    }
    *slot = v;
  }
  if (!credential || !signedHeaders || !signature) {
    return fail(ErrorCode::kEvidenceInvalid,
                "Authorization must have exactly Credential, SignedHeaders and Signature");
  }
  if (signature->size() != 64 ||
      signature->find_first_not_of("0123456789abcdef") != std::string_view::npos) {
    return fail(ErrorCode::kEvidenceInvalid, "Authorization Signature is not 64 hex digits");
  }
  const auto scope = split(*credential, '/');
  if (scope.size() != 5 || scope[0].empty() || scope[1].size() != 8 || scope[2].empty() ||
      scope[4] != "aws4_request") {
    return fail(ErrorCode::kEvidenceInvalid,
                "Authorization Credential is not <key>/<date>/<region>/<service>/aws4_request");
  }
  if (scope[3] != "sts") {
    return fail(ErrorCode::kEvidenceInvalid,
                "Authorization Credential is scoped to service '" + shown(scope[3]) + "', not sts");
  }
  SigV4Authorization out;
  out.scopeDate = std::string(scope[1]);
  for (auto name : split(*signedHeaders, ';')) {
    if (name.empty() || lower(name) != name) {
      return fail(ErrorCode::kEvidenceInvalid,
                  "Authorization SignedHeaders is not a ';'-separated list of lower-case names");
    }
    out.signedHeaders.emplace_back(name);
  }
  return out;
}

// A deliberately small reader for the two XML documents STS answers with. It accepts what
// STS (and moto) send and refuses everything else: no DTD, comments or CDATA, one root, each
// element read exactly once, leaf text with the five predefined entities only.
class StrictXml {
 public:
  // `root`: the expected root element name.
  static Result<StrictXml> parse(std::string_view text, std::string_view root) {
    std::string_view s = text;
    const auto ws = [](std::string_view& v) {
      while (!v.empty() && std::string_view(" \t\r\n").find(v.front()) != std::string_view::npos) {
        v.remove_prefix(1);
      }
      while (!v.empty() && std::string_view(" \t\r\n").find(v.back()) != std::string_view::npos) {
        v.remove_suffix(1);
      }
    };
    ws(s);
    if (s.substr(0, 5) == "<?xml") {
      const auto end = s.find("?>");
      if (end == std::string_view::npos) {
        return fail(ErrorCode::kHttpUpstream, "unterminated XML declaration");
      }
      s.remove_prefix(end + 2);
      ws(s);
    }
    if (s.find("<!") != std::string_view::npos || s.find("<?") != std::string_view::npos) {
      return fail(ErrorCode::kHttpUpstream, "XML with a DTD, comment, CDATA or instruction");
    }
    StrictXml whole(s);
    auto inner = whole.section(root);
    if (!inner) {
      return std::move(inner).error();
    }
    if (s.substr(0, root.size() + 1) != "<" + std::string(root) ||
        s.substr(s.size() - root.size() - 3) != "</" + std::string(root) + ">") {
      return fail(ErrorCode::kHttpUpstream, "the root element is not <" + std::string(root) + ">");
    }
    return StrictXml(*inner);
  }

  // The content of the one element `name` (markup allowed inside).
  Result<std::string_view> section(std::string_view name) const {
    std::size_t count = 0;
    std::size_t open = std::string_view::npos;
    for (std::size_t at = text_.find("<" + std::string(name)); at != std::string_view::npos;
         at = text_.find("<" + std::string(name), at + 1)) {
      const std::size_t after = at + 1 + name.size();
      if (after < text_.size() &&
          std::string_view(">/ \t\r\n").find(text_[after]) != std::string_view::npos) {
        ++count;
        open = at;
      }
    }
    if (count != 1) {
      return fail(ErrorCode::kHttpUpstream, count == 0
                                                ? "no <" + std::string(name) + ">"
                                                : "more than one <" + std::string(name) + ">");
    }
    const auto startEnd = text_.find('>', open);
    if (startEnd == std::string_view::npos || text_[startEnd - 1] == '/') {
      return fail(ErrorCode::kHttpUpstream, "<" + std::string(name) + "> is empty or cut");
    }
    const std::string close = "</" + std::string(name) + ">";
    const auto closeAt = text_.find(close, startEnd);
    if (closeAt == std::string_view::npos ||
        text_.find(close, closeAt + close.size()) != std::string_view::npos) {
      return fail(ErrorCode::kHttpUpstream, "<" + std::string(name) + "> is not closed once");
    }
    return text_.substr(startEnd + 1, closeAt - startEnd - 1);
  }

  // The one element `name`, to read its children.
  Result<StrictXml> child(std::string_view name) const {
    auto inner = section(name);
    if (!inner) {
      return std::move(inner).error();
    }
    return StrictXml(*inner);
  }

  // The decoded text of the one leaf element `name`.
  Result<std::string> text(std::string_view name) const {
    auto raw = section(name);
    if (!raw) {
      return std::move(raw).error();
    }
    std::string out;
    for (std::size_t i = 0; i < raw->size(); ++i) {
      const char c = (*raw)[i];
      if (c == '<') {
        return fail(ErrorCode::kHttpUpstream, "<" + std::string(name) + "> is not text");
      }
      if (c != '&') {
        out += c;
        continue;
      }
      static constexpr std::array<std::pair<std::string_view, char>, 5> kEntities = {
          {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}}};
      bool known = false;
      for (const auto& [entity, ch] : kEntities) {
        if (raw->substr(i, entity.size()) == entity) {
          out += ch;
          i += entity.size() - 1;
          known = true;
          break;
        }
      }
      if (!known) {
        return fail(ErrorCode::kHttpUpstream,
                    "<" + std::string(name) + "> has an unsupported character reference");
      }
    }
    return out;
  }

 private:
  explicit StrictXml(std::string_view text) : text_(text) {}
  std::string_view text_;
};

bool printableAscii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

struct CallerIdentity {
  std::string arn, account, userId;
};

Result<CallerIdentity> parseCallerIdentity(std::string_view body) {
  TESSERA_DECLARE_OR_RETURN(const auto xml, StrictXml::parse(body, "GetCallerIdentityResponse"));
  TESSERA_DECLARE_OR_RETURN(const auto result, xml.child("GetCallerIdentityResult"));
  CallerIdentity out;
  TESSERA_ASSIGN_OR_RETURN(out.arn, result.text("Arn"));
  TESSERA_ASSIGN_OR_RETURN(out.account, result.text("Account"));
  TESSERA_ASSIGN_OR_RETURN(out.userId, result.text("UserId"));
  if (out.account.size() != 12 ||
      out.account.find_first_not_of("0123456789") != std::string::npos) {
    return fail(ErrorCode::kHttpUpstream, "Account is not a 12-digit AWS account id");
  }
  for (const auto* v : {&out.arn, &out.userId}) {
    if (v->empty() || v->size() > 2048 || !printableAscii(*v)) {
      return fail(ErrorCode::kHttpUpstream, "Arn or UserId is empty or not printable");
    }
  }
  const auto arn = split(out.arn, ':');
  if (arn.size() != 6 || arn[0] != "arn" || arn[4] != out.account) {
    return fail(ErrorCode::kHttpUpstream, "Arn is not an ARN of account " + out.account);
  }
  return out;
}

struct AwsError {
  std::string code, message;
};

std::optional<AwsError> parseAwsError(std::string_view body) {
  auto xml = StrictXml::parse(body, "ErrorResponse");
  if (!xml) {
    return std::nullopt;
  }
  auto inner = xml->child("Error");
  if (!inner) {
    return std::nullopt;
  }
  auto code = inner->text("Code");
  if (!code || code->empty() || code->size() > 128 ||
      code->find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._") !=
          std::string::npos) {
    return std::nullopt;
  }
  AwsError out{std::move(*code), ""};
  // STS's messages describe the refusal and do not quote the signature; cut and clean anyway.
  if (auto message = inner->text("Message")) {
    out.message = shown(*message);
  }
  return out;
}

bool throttled(std::string_view code) {
  return code == "Throttling" || code == "ThrottlingException" || code == "RequestLimitExceeded" ||
         code == "TooManyRequestsException" || code == "ServiceUnavailable" ||
         code == "InternalFailure";
}

// arn:<partition>:<service>:<region>:<account>:<resource>
std::vector<std::pair<std::string, std::string>> arnAttributes(const CallerIdentity& id) {
  std::vector<std::pair<std::string, std::string>> out = {
      {"arn", id.arn}, {"accountId", id.account}, {"userId", id.userId}};
  const auto parts = split(id.arn, ':');
  if (parts.size() != 6 || parts[0] != "arn") {
    return out;
  }
  const auto partition = parts[1], service = parts[2], resource = parts[5];
  const auto path = split(resource, '/');
  if (service == "sts" && path.size() == 3 && path[0] == "assumed-role" && !path[1].empty() &&
      !path[2].empty()) {
    // The assumed-role ARN has no role path (arn:aws:iam::<acct>:role/ci/deployer assumes as
    // assumed-role/deployer/...), so roleArn is the path-less form; rules on roleArn for a role
    // with a path must use a glob or match roleName instead.
    out.emplace_back("roleName", std::string(path[1]));
    out.emplace_back("roleArn", "arn:" + std::string(partition) + ":iam::" + id.account + ":role/" +
                                    std::string(path[1]));
    out.emplace_back("sessionName", std::string(path[2]));
  } else if (service == "iam" && path.size() >= 2 && path[0] == "user" && !path.back().empty()) {
    out.emplace_back("userName", std::string(path.back()));
  }
  return out;
}

}  // namespace

const std::vector<std::string>& defaultStsEndpoints() {
  static const std::vector<std::string> kEndpoints = [] {
    // The commercial partition's regions; other partitions (China, GovCloud) and regions
    // launched later are configured with stsEndpoints.
    static constexpr std::string_view kRegions[] = {
        "us-east-1",      "us-east-2",      "us-west-1",      "us-west-2",      "af-south-1",
        "ap-east-1",      "ap-east-2",      "ap-south-1",     "ap-south-2",     "ap-southeast-1",
        "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-6",
        "ap-southeast-7", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ca-central-1",
        "ca-west-1",      "eu-central-1",   "eu-central-2",   "eu-west-1",      "eu-west-2",
        "eu-west-3",      "eu-south-1",     "eu-south-2",     "eu-north-1",     "il-central-1",
        "me-south-1",     "me-central-1",   "mx-central-1",   "sa-east-1"};
    std::vector<std::string> out = {"https://sts.amazonaws.com/"};
    for (auto region : kRegions) {
      out.push_back("https://sts." + std::string(region) + ".amazonaws.com/");
    }
    return out;
  }();
  return kEndpoints;
}

AwsRoleTrustProvider::AwsRoleTrustProvider(std::string name)
    : TrustProvider(std::move(name), "aws-role") {
  for (const auto& e : defaultStsEndpoints()) {
    endpoints_.push_back(*net::parseUrl(e));
  }
}

Result<void> AwsRoleTrustProvider::configure(const nlohmann::json& spec) {
  if (const auto it = spec.find("stsEndpoints"); it != spec.end()) {
    endpoints_.clear();
    for (std::size_t i = 0; i < it->size(); ++i) {
      const std::string where = "/spec/stsEndpoints/" + std::to_string(i);
      auto url = net::parseUrl((*it)[i].get<std::string>());
      if (!url) {
        return fail(ErrorCode::kInvalidArgument, where + ": " + url.error().message);
      }
      if (!url->https() && !(url->scheme == "http" && url->loopback())) {
        return fail(ErrorCode::kInvalidArgument,
                    where + ": must use https (http only on a loopback address)");
      }
      if (url->target.find('?') != std::string::npos) {
        return fail(ErrorCode::kInvalidArgument, where + ": must not have a query");
      }
      endpoints_.push_back(std::move(*url));
    }
  }
  maxRequestAge_ =
      std::chrono::seconds(spec.value("maxRequestAge", kDefaultMaxStsRequestAge.count()));
  return {};
}

Error AwsRoleTrustProvider::refuse(ErrorCode code, std::string_view message) const {
  return Error{code, "trust provider " + name() +
                         " (aws-role): awsGetCallerIdentity: " + std::string(message)};
}

Result<StsReplay> AwsRoleTrustProvider::prepareReplay(const AwsSignedRequest& request,
                                                      std::string_view serverId,
                                                      SystemTime now) const {
  const auto invalid = [&](std::string_view message) {
    return refuse(ErrorCode::kEvidenceInvalid, message);
  };
  if (serverId.empty()) {
    return refuse(ErrorCode::kInternal, "the hub has no server id to check requests against");
  }
  if (request.method != "POST") {
    return invalid("method must be POST");
  }

  // Headers: bounded, well-formed, each name once (case-insensitively), so that the value the
  // hub checks is the one STS reads.
  if (request.headers.size() > kMaxSignedRequestHeaders) {
    return invalid("more than " + std::to_string(kMaxSignedRequestHeaders) + " headers");
  }
  std::vector<std::pair<std::string, std::string_view>> headers;  // lower-case name, value
  std::size_t total = 0;
  for (const auto& [name, value] : request.headers) {
    if (name.empty() || name.size() > kMaxHeaderNameBytes ||
        !std::all_of(name.begin(), name.end(), isTokenChar)) {
      return invalid("header name '" + shown(name) + "' is not an HTTP token");
    }
    if (value.size() > kMaxHeaderValueBytes ||
        value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
      return invalid("header " + name + " is too long or has a line break");
    }
    total += name.size() + value.size();
    std::string key = lower(name);
    if (std::any_of(headers.begin(), headers.end(),
                    [&](const auto& h) { return h.first == key; })) {
      return invalid("header " + name + " is given more than once");
    }
    headers.emplace_back(std::move(key), value);
  }
  if (total > kMaxHeaderBytesTotal) {
    return invalid("headers exceed " + std::to_string(kMaxHeaderBytesTotal) + " bytes");
  }
  const auto header = [&](std::string_view name) -> std::optional<std::string_view> {
    for (const auto& [n, v] : headers) {
      if (n == name) {
        return v;
      }
    }
    return std::nullopt;
  };

  // Where: one of the allowlisted endpoints exactly, before anything else is trusted.
  auto url = net::parseUrl(request.url);
  if (!url || request.url.find('#') != std::string::npos) {
    return invalid("url '" + shown(request.url) + "' is not an absolute http(s) URL");
  }
  if (!url->https() && !url->loopback()) {
    return invalid("url '" + shown(request.url) + "' must use https");
  }
  const bool allowed = std::any_of(endpoints_.begin(), endpoints_.end(), [&](const net::Url& e) {
    return e.scheme == url->scheme && e.host == url->host && e.port == url->port &&
           e.target == url->target;
  });
  if (!allowed) {
    return invalid("url '" + shown(request.url) + "' is not an allowed STS endpoint");
  }
  if (const auto host = header("host"); host && lower(*host) != url->authority()) {
    return invalid("Host header '" + shown(*host) + "' does not match the url (" +
                   url->authority() + ")");
  }

  // What: GetCallerIdentity and nothing else.
  const auto params = split(request.body, '&');
  if (!(params.size() == 2 &&
        ((params[0] == "Action=GetCallerIdentity" && params[1] == "Version=2011-06-15") ||
         (params[1] == "Action=GetCallerIdentity" && params[0] == "Version=2011-06-15")))) {
    return invalid("body must be exactly Action=GetCallerIdentity&Version=2011-06-15");
  }
  // The Query protocol only: a JSON content type or an X-Amz-Target would let STS read an
  // operation from somewhere other than the body checked above.
  if (const auto type = header("content-type");
      type && lower(*type).rfind("application/x-www-form-urlencoded", 0) != 0) {
    return invalid("Content-Type must be application/x-www-form-urlencoded");
  }
  if (header("x-amz-target")) {
    return invalid("X-Amz-Target is not allowed");
  }
  if (const auto length = header("content-length");
      length && *length != std::to_string(request.body.size())) {
    return invalid("Content-Length does not match the body");
  }

  // Signed for this hub: the server id header present, equal, and covered by the signature.
  const auto authorization = header("authorization");
  if (!authorization) {
    return invalid("Authorization header is missing");
  }
  auto auth = parseAuthorization(*authorization);
  if (!auth) {
    return invalid(auth.error().message + " (Authorization " + crypto::fingerprint(*authorization) +
                   ")");
  }
  const std::string serverIdName = lower(kAwsServerIdHeader);
  const auto serverIdValue = header(serverIdName);
  if (!serverIdValue) {
    return invalid(std::string(kAwsServerIdHeader) + " header is missing");
  }
  if (*serverIdValue != serverId) {
    return invalid(std::string(kAwsServerIdHeader) + " '" + shown(*serverIdValue) +
                   "' is not this hub's ('" + std::string(serverId) + "')");
  }
  for (const std::string& required :
       {serverIdName, std::string("host"), std::string("x-amz-date")}) {
    if (std::find(auth->signedHeaders.begin(), auth->signedHeaders.end(), required) ==
        auth->signedHeaders.end()) {
      return invalid("SignedHeaders does not include " + required);
    }
  }
  for (const auto& name : auth->signedHeaders) {
    if (name != "host" && !header(name)) {
      return invalid("signed header " + shown(name) + " is missing from the request");
    }
  }

  // When: fresh, by the signed date.
  const auto dateText = header("x-amz-date");
  if (!dateText) {
    return invalid("X-Amz-Date header is missing");
  }
  const auto signedAt = parseAmzDate(*dateText);
  if (!signedAt) {
    return invalid("X-Amz-Date '" + shown(*dateText) + "' is not YYYYMMDD'T'HHMMSS'Z'");
  }
  if (auth->scopeDate != dateText->substr(0, 8)) {
    return invalid("the Credential scope date is not the X-Amz-Date day");
  }
  const auto age = std::chrono::duration_cast<std::chrono::seconds>(now - *signedAt);
  if (age > maxRequestAge_) {
    return refuse(ErrorCode::kTokenExpired,
                  "signed " + std::to_string(age.count()) + " s ago (X-Amz-Date " +
                      std::string(*dateText) + "); at most " +
                      std::to_string(maxRequestAge_.count()) + " s are accepted");
  }
  if (-age > maxRequestAge_) {
    return refuse(ErrorCode::kTokenNotYetValid,
                  "signed " + std::to_string(-age.count()) + " s in the future (X-Amz-Date " +
                      std::string(*dateText) + "); at most " +
                      std::to_string(maxRequestAge_.count()) + " s of skew are accepted");
  }

  // The replay carries what STS reads: the signed headers, the signature and the session token.
  // Host and Content-Length come from the HTTP client, equal by the checks above.
  StsReplay replay;
  replay.method = "POST";
  replay.url = url->toString();
  replay.body = request.body;
  replay.signedAt = *signedAt;
  for (const auto& [name, value] : request.headers) {
    const std::string key = lower(name);
    if (key == "host" || key == "content-length") {
      continue;
    }
    const bool isSigned = std::find(auth->signedHeaders.begin(), auth->signedHeaders.end(), key) !=
                          auth->signedHeaders.end();
    if (isSigned || key == "authorization" || key == "x-amz-security-token" ||
        key == "content-type") {
      replay.headers.emplace_back(name, value);
    }
  }
  return replay;
}

Result<VerifiedIdentity> AwsRoleTrustProvider::identityFromResponse(const StsReplay& replay,
                                                                    int status,
                                                                    std::string_view body) const {
  const std::string answered =
      "STS (" + shown(replay.url) + ") answered HTTP " + std::to_string(status);
  if (body.size() > kMaxStsResponseBytes) {
    return refuse(ErrorCode::kHttpResponseTooLarge,
                  answered + " with more than " + std::to_string(kMaxStsResponseBytes) + " bytes");
  }
  if (status != 200) {
    const auto error = parseAwsError(body);
    const std::string what =
        error ? answered + " " + error->code + (error->message.empty() ? "" : ": " + error->message)
              : answered + " without a readable AWS error";
    if (status >= 500 || status == 429 || (error && throttled(error->code))) {
      return refuse(ErrorCode::kUnavailable, what);
    }
    if (status >= 400) {
      return refuse(ErrorCode::kEvidenceInvalid, what);
    }
    return refuse(ErrorCode::kHttpUpstream, what);
  }
  auto caller = parseCallerIdentity(body);
  if (!caller) {
    return refuse(
        ErrorCode::kHttpUpstream,
        answered + " but not with a GetCallerIdentityResponse: " + caller.error().message);
  }
  VerifiedIdentity identity;
  identity.subject = caller->arn;
  identity.expiresAt = replay.signedAt + maxRequestAge_;
  identity.trace.push_back("sts:GetCallerIdentity signed at " + formatRfc3339(replay.signedAt) +
                           " for this hub (" + std::string(kAwsServerIdHeader) +
                           " signed) replayed to " + shown(replay.url) + "; STS confirmed " +
                           caller->arn);
  return applyRules(std::move(identity), arnAttributes(*caller));
}

std::unique_ptr<TrustProvider> makeAwsRoleTrustProvider(std::string name) {
  return std::make_unique<AwsRoleTrustProvider>(std::move(name));
}

}  // namespace tessera::trust
