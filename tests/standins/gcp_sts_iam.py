"""A stand-in for Google Cloud workload identity federation: Google STS (POST /v1/token, the
RFC 8693 exchange) and IAM Credentials (POST /v1/projects/-/serviceAccounts/<sa>:
generateAccessToken), with Google's request rules, JSON answers, error bodies and statuses
(PROTOCOLS.md 4.1-4.3).

STS validates the subject JWT the way a workload identity pool provider does: the audience names
a configured provider; the token's kid and alg (RS256 or ES256); iss equals the provider's
issuerUri; keys from <iss>/.well-known/openid-configuration and its jwks_uri; aud in
allowedAudiences (default: the provider's resource name with and without "https:"); exp, iat in
the past, exp less than 48 h after iat; sub present and google.subject (= assertion.sub) at most
127 bytes; then the optional attributeCondition. IAM Credentials accepts only access tokens its
STS issued, and only for service accounts whose allowlist names the token's principal.

Configuration (--config FILE or --config-json TEXT):
  {"projectNumber": "123456789",
   "providers": [{"pool": "tessera-pool", "provider": "hub", "issuerUri": "http://127.0.0.1:N",
                  "allowedAudiences": [...], "attributeCondition": "assertion.sub.startsWith('a')",
                  "disabled": false}],
   "serviceAccounts": {"sa@p.iam.gserviceaccount.com": ["principal://iam.googleapis.com/projects/
                        123456789/locations/global/workloadIdentityPools/tessera-pool/subject/S",
                        "principalSet://iam.googleapis.com/projects/.../workloadIdentityPools/P/*"]}}
attributeCondition understands a small CEL subset: terms joined by "&&", each
assertion.<claim> == 'v', assertion.<claim> != 'v' or assertion.<claim>.startsWith('v').

GET /tokeninfo?access_token=T answers like oauth2.googleapis.com/tokeninfo, for tests to check
what a token stands for. Prints "PORT <n>" and serves until SIGTERM. Test code only.
"""
import json
import os
import re
import secrets
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import standin_common as common  # noqa: E402

TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
SUBJECT_TYPES = ("urn:ietf:params:oauth:token-type:jwt", "urn:ietf:params:oauth:token-type:id_token")
AUDIENCE = re.compile(r"^//iam\.googleapis\.com/projects/(\d+)/locations/global/"
                      r"workloadIdentityPools/([a-z0-9-]{4,32})/providers/([a-z0-9-]{4,32})$")
GENERATE = re.compile(r"^/v1/projects/([^/]+)/serviceAccounts/([^/:]+):generateAccessToken$")
CONDITION_TERM = re.compile(r"^assertion\.(\w+)\s*(==|!=|\.startsWith\()\s*'([^']*)'\s*\)?$")
FEDERATED_LIFETIME = 3600
LEEWAY = 60

CONFIG = {}
TOKENS = {}  # access token -> {"kind": "federated"|"service_account", ...}
LOCK = threading.Lock()


def parse_condition(text):
    terms = []
    for raw in text.split("&&"):
        m = CONDITION_TERM.match(raw.strip())
        if not m or (m.group(2) == ".startsWith(" and not raw.strip().endswith(")")):
            raise SystemExit(f"attributeCondition term not understood by this stand-in: {raw!r}")
        terms.append((m.group(1), m.group(2), m.group(3)))
    return terms


def condition_holds(terms, claims):
    for claim, op, value in terms:
        actual = claims.get(claim)
        if not isinstance(actual, str):
            return False
        if op == "==" and actual != value:
            return False
        if op == "!=" and actual == value:
            return False
        if op == ".startsWith(" and not actual.startswith(value):
            return False
    return True


def provider_name(p):
    return (f"//iam.googleapis.com/projects/{CONFIG['projectNumber']}/locations/global/"
            f"workloadIdentityPools/{p['pool']}/providers/{p['provider']}")


def pool_name(pool):
    return (f"//iam.googleapis.com/projects/{CONFIG['projectNumber']}/locations/global/"
            f"workloadIdentityPools/{pool}")


class OAuthRefusal(Exception):
    def __init__(self, error, description, status=400):
        super().__init__(description)
        self.error, self.description, self.status = error, description, status


class GoogleRefusal(Exception):
    def __init__(self, status, code, message, reason=None):
        super().__init__(message)
        self.body = {"error": {"code": code, "message": message, "status": status}}
        if reason:
            self.body["error"]["details"] = [{
                "@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": reason,
                "domain": "iam.googleapis.com",
                "metadata": {"permission": "iam.serviceAccounts.getAccessToken"}}]
        self.http = code


def exchange(form, now):
    """Google STS /v1/token: returns the answer or raises OAuthRefusal."""
    if form.get("grant_type") != TOKEN_EXCHANGE:
        raise OAuthRefusal("unsupported_grant_type",
                           f"Unsupported grant type: {form.get('grant_type', '')!r}.")
    if form.get("requested_token_type") != ACCESS_TOKEN_TYPE:
        raise OAuthRefusal("invalid_request", "Invalid value for \"requested_token_type\".")
    if form.get("subject_token_type") not in SUBJECT_TYPES:
        raise OAuthRefusal("invalid_request", "Invalid value for \"subject_token_type\".")
    if not form.get("scope"):
        raise OAuthRefusal("invalid_request", "Scope(s) must be provided.")
    audience = form.get("audience", "")
    if not AUDIENCE.match(audience):
        raise OAuthRefusal("invalid_request",
                           "Invalid value for \"audience\". This value should be the full "
                           "resource name of the Identity Provider. See https://cloud.google.com"
                           "/iam/docs/reference/sts/rest/v1/TopLevel/token for the list of "
                           "possible formats.")
    provider = next((p for p in CONFIG["providers"]
                     if provider_name(p) == audience and not p.get("disabled")), None)
    if provider is None:
        raise OAuthRefusal("invalid_target",
                           "The target service indicated by the \"audience\" parameters is "
                           "invalid. This might either be because the pool or provider is "
                           "disabled or deleted or because it doesn't exist.")
    try:
        header, claims, signing_input, signature = common.parse_jwt(form.get("subject_token"))
    except common.JwtError:
        raise OAuthRefusal("invalid_grant", "Unable to parse the ID Token.") from None
    if not header.get("kid"):
        raise OAuthRefusal("invalid_grant", "The ID Token header has no 'kid'.")
    if claims.get("iss") != provider["issuerUri"]:
        raise OAuthRefusal("invalid_grant",
                           f"The issuer in ID Token {claims.get('iss')!r} does not match the "
                           f"expected ones: {provider['issuerUri']}.")
    try:
        keys = common.issuer_keys(provider["issuerUri"])
        common.verify_signature(header, signing_input, signature, keys, ("RS256", "ES256"))
    except common.IdpError as e:
        raise OAuthRefusal("invalid_grant",
                           f"Unable to fetch the OIDC keys of the issuer: {e.detail}.") from None
    except common.JwtError as e:
        raise OAuthRefusal("invalid_grant", f"Invalid ID Token: {e.detail}.") from None
    allowed = provider.get("allowedAudiences") or [audience, "https:" + audience]
    token_aud = common.audiences(claims)
    if not set(token_aud) & set(allowed):
        raise OAuthRefusal("invalid_grant", f"The audience in ID Token {token_aud} does not "
                           "match the expected audience.")
    try:
        exp, iat = common.int_claim(claims, "exp"), common.int_claim(claims, "iat")
    except ValueError as e:
        raise OAuthRefusal("invalid_grant", f"Invalid ID Token: {e}.") from None
    if exp is None or iat is None:
        raise OAuthRefusal("invalid_grant", "The ID Token must have 'exp' and 'iat'.")
    if now >= exp + LEEWAY:
        raise OAuthRefusal("invalid_grant", "ID Token has expired.")
    if iat > now + LEEWAY:
        raise OAuthRefusal("invalid_grant", "ID Token issued at a future time.")
    if exp - iat >= 48 * 3600:
        raise OAuthRefusal("invalid_grant", "The lifetime of the ID Token is too long: 'exp' "
                           "must be less than 48 hours after 'iat'.")
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise OAuthRefusal("invalid_grant", "The ID Token has no 'sub'.")
    if len(sub.encode()) > 127:
        raise OAuthRefusal("invalid_grant", "The mapped attribute google.subject exceeds the "
                           "127 byte limit.")
    if provider.get("attributeCondition") and not condition_holds(provider["_condition"], claims):
        raise OAuthRefusal("unauthorized_client",
                           "The given credential is rejected by the attribute condition.")
    token = "ya29.d." + secrets.token_urlsafe(48)
    with LOCK:
        TOKENS[token] = {"kind": "federated", "pool": provider["pool"], "subject": sub,
                         "scope": form["scope"], "exp": now + FEDERATED_LIFETIME}
    return {"access_token": token, "issued_token_type": ACCESS_TOKEN_TYPE,
            "token_type": "Bearer", "expires_in": FEDERATED_LIFETIME - 1}


def principal_allowed(entry, grantee):
    pool = pool_name(entry["pool"])
    principal = (f"principal://iam.googleapis.com{pool[len('//iam.googleapis.com'):]}"
                 f"/subject/{entry['subject']}")
    any_in_pool = f"principalSet://iam.googleapis.com{pool[len('//iam.googleapis.com'):]}/*"
    return grantee in (principal, any_in_pool)


def generate(path, authorization, body, now):
    """IAM Credentials generateAccessToken: returns the answer or raises GoogleRefusal."""
    m = GENERATE.match(path)
    if not m:
        raise GoogleRefusal("NOT_FOUND", 404, "The requested URL was not found on this server.")
    project, account = m.group(1), urllib.parse.unquote(m.group(2))
    unauthenticated = GoogleRefusal(
        "UNAUTHENTICATED", 401,
        "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
        "cookie or other valid authentication credential. See https://developers.google.com/"
        "identity/sign-in/web/devconsole-project.")
    if not authorization.startswith("Bearer "):
        raise unauthenticated
    with LOCK:
        entry = TOKENS.get(authorization[len("Bearer "):])
    if entry is None or entry["kind"] != "federated" or entry["exp"] <= now:
        raise unauthenticated
    if project != "-":
        raise GoogleRefusal("INVALID_ARGUMENT", 400,
                            "The project in the resource name must be the wildcard '-'.")
    try:
        request = json.loads(body or b"{}")
        if not isinstance(request, dict):
            raise ValueError
    except ValueError:
        raise GoogleRefusal("INVALID_ARGUMENT", 400, "Invalid JSON payload received.") from None
    scope = request.get("scope")
    if not isinstance(scope, list) or not scope or not all(isinstance(s, str) for s in scope):
        raise GoogleRefusal("INVALID_ARGUMENT", 400, "Scope required.")
    lifetime = request.get("lifetime", "3600s")
    lm = re.fullmatch(r"(\d+)(\.\d+)?s", lifetime) if isinstance(lifetime, str) else None
    seconds = int(lm.group(1)) if lm else -1
    if not 1 <= seconds <= 3600:
        raise GoogleRefusal("INVALID_ARGUMENT", 400,
                            "The lifetime must be between 1s and 3600s (12h only with the org "
                            "policy constraints/iam.allowServiceAccountCredentialLifetimeExtension)"
                            ".")
    if request.get("delegates"):
        raise GoogleRefusal("INVALID_ARGUMENT", 400, "This stand-in does not model delegates.")
    grantees = CONFIG.get("serviceAccounts", {}).get(account)
    if grantees is None or not any(principal_allowed(entry, g) for g in grantees):
        raise GoogleRefusal("PERMISSION_DENIED", 403,
                            "Permission 'iam.serviceAccounts.getAccessToken' denied on resource "
                            "(or it may not exist).", reason="IAM_PERMISSION_DENIED")
    token = "ya29.c." + secrets.token_urlsafe(48)
    expires = now + seconds
    with LOCK:
        TOKENS[token] = {"kind": "service_account", "email": account, "scope": " ".join(scope),
                         "exp": expires}
    # Whole seconds only: google-auth parses %Y-%m-%dT%H:%M:%SZ (PROTOCOLS.md 4.3).
    return {"accessToken": token,
            "expireTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(expires))}


class GcpHandler(common.Handler):
    def do_POST(self):
        now = int(time.time())
        path = urllib.parse.urlsplit(self.path).path
        if path == "/v1/token":
            try:
                return self.send(200, exchange(self.form(), now))
            except OAuthRefusal as e:
                return self.send(e.status, {"error": e.error, "error_description": e.description})
        try:
            answer = generate(path, self.headers.get("Authorization", ""), self.read_body(), now)
            return self.send(200, answer)
        except GoogleRefusal as e:
            return self.send(e.http, e.body)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path != "/tokeninfo":
            return self.send(404, {"error": "not_found"})
        token = urllib.parse.parse_qs(url.query).get("access_token", [""])[0]
        with LOCK:
            entry = TOKENS.get(token)
        now = int(time.time())
        if entry is None or entry["exp"] <= now:
            return self.send(400, {"error": "invalid_token",
                                   "error_description": "Invalid Value"})
        info = {"scope": entry["scope"], "exp": str(entry["exp"]),
                "expires_in": str(entry["exp"] - now), "access_type": "online"}
        if entry["kind"] == "service_account":
            info.update(email=entry["email"], email_verified="true")
        else:
            info.update(sub=entry["subject"], pool=entry["pool"])
        self.send(200, info)


def main():
    global CONFIG
    args, CONFIG = common.load_config(__doc__.split("\n")[0])
    for p in CONFIG["providers"]:
        if p.get("attributeCondition"):
            p["_condition"] = parse_condition(p["attributeCondition"])
    return common.serve(GcpHandler, args.port)


if __name__ == "__main__":
    common.main_guard(main)
