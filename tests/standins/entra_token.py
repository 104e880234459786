"""A stand-in for the Microsoft Entra ID token endpoint (login.microsoftonline.com) for the
client credentials grant with a federated client_assertion (PROTOCOLS.md 5.1-5.2).

POST /<tenant>/oauth2/v2.0/token checks, in Entra's order: the tenant (id or domain) exists,
grant_type=client_credentials, the app (client_id) exists, one scope "<resource>/.default" of a
known resource, client_assertion_type jwt-bearer and a client_assertion; the assertion is a JWT
whose iss and sub exactly (case-sensitively, trailing '/' included) equal a federated identity
credential of the app, whose aud is that credential's audience; RS256 only; the key from
<iss>/.well-known/openid-configuration and its jwks_uri (first 100 keys); exp and nbf with five
minutes of skew. Refusals are Entra's JSON error bodies with the AADSTS code:
  90002 unknown tenant, 700016 unknown app, 1002012 scope without /.default, 500011 unknown
  resource, 7000218 no assertion, 50027 malformed JWT, 70021 no credential for issuer and
  subject, 700212 no credential for the audience, 5002738 unsupported algorithm, 90061 discovery
  or JWKS unreachable, 700027 signature, 700024 outside the validity window.
Success answers {"token_type","expires_in","ext_expires_in","access_token"}; the access token is
a JWT the stand-in signs (aud = the resource, appid, tid, oid, roles), its keys at
GET /<tenant>/discovery/v2.0/keys.

Configuration (--config FILE or --config-json TEXT):
  {"tenants": {"<tenant id>": {"domains": ["contoso.onmicrosoft.com"],
     "apps": {"<client id>": {"roles": ["Artifacts.Read"],
       "federatedIdentityCredentials": [{"name": "hub", "issuer": "https://hub.example/",
          "subject": "k8s:prod/deployer", "audiences": ["api://AzureADTokenExchange"]}]}}}},
   "resources": ["https://graph.microsoft.com", "api://artifacts"]}
Prints "PORT <n>" and serves until SIGTERM. Test code only.
"""
import os
import re
import sys
import time
import urllib.parse
import uuid

from cryptography.hazmat.primitives.asymmetric import rsa

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import standin_common as common  # noqa: E402

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
TOKEN_PATH = re.compile(r"^/([^/]+)/oauth2/v2\.0/token$")
KEYS_PATH = re.compile(r"^/([^/]+)/discovery/v2\.0/keys$")
LEEWAY = 300
LIFETIME = 3599

CONFIG = {}
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
KID = "entra-standin-1"


class AadError(Exception):
    def __init__(self, code, error, message, status=400):
        super().__init__(message)
        self.code, self.error, self.message, self.status = code, error, message, status

    def body(self):
        trace, correlation = str(uuid.uuid4()), str(uuid.uuid4())
        stamp = time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime())
        return {"error": self.error,
                "error_description": f"AADSTS{self.code}: {self.message}\r\nTrace ID: {trace}"
                                     f"\r\nCorrelation ID: {correlation}\r\nTimestamp: {stamp}",
                "error_codes": [self.code], "timestamp": stamp, "trace_id": trace,
                "correlation_id": correlation,
                "error_uri": f"https://login.microsoftonline.com/error?code={self.code}"}


def find_tenant(name):
    for tid, tenant in CONFIG["tenants"].items():
        if name == tid or name in tenant.get("domains", []):
            return tid, tenant
    raise AadError(90002, "invalid_request",
                   f"Tenant '{name}' not found. Check to make sure you have the correct tenant "
                   "ID and are signing into the correct cloud.")


def issue(tenant_path, form, now):
    tid, tenant = find_tenant(tenant_path)
    if form.get("grant_type") != "client_credentials":
        raise AadError(70003, "unsupported_grant_type",
                       "The app requested an unsupported grant type "
                       f"'{form.get('grant_type', '')}'.")
    client_id = form.get("client_id")
    if not client_id:
        raise AadError(900144, "invalid_request",
                       "The request body must contain the following parameter: 'client_id'.")
    app = tenant.get("apps", {}).get(client_id)
    if app is None:
        raise AadError(700016, "unauthorized_client",
                       f"Application with identifier '{client_id}' was not found in the "
                       f"directory '{tenant_path}'. This can happen if the application has not "
                       "been installed by the administrator of the tenant or consented to by any "
                       "user in the tenant.")
    scope = form.get("scope", "")
    if not scope.endswith("/.default") or " " in scope:
        raise AadError(1002012, "invalid_scope",
                       f"The provided value for scope {scope} is not valid. Client credential "
                       "flows must have a scope value with /.default suffixed to the resource "
                       "identifier (application ID URI).")
    resource = scope[:-len("/.default")]
    if resource not in CONFIG.get("resources", []):
        raise AadError(500011, "invalid_resource",
                       f"The resource principal named {resource} was not found in the tenant "
                       f"named {tid}.")
    assertion = form.get("client_assertion")
    if not assertion:
        raise AadError(7000218, "invalid_client",
                       "The request body must contain the following parameter: "
                       "'client_assertion' or 'client_secret'.", status=401)
    if form.get("client_assertion_type") != JWT_BEARER:
        raise AadError(50027, "invalid_request",
                       "Invalid client_assertion_type: expected "
                       "urn:ietf:params:oauth:client-assertion-type:jwt-bearer.")
    try:
        header, claims, signing_input, signature = common.parse_jwt(assertion)
    except common.JwtError:
        raise AadError(50027, "invalid_request", "JWT token is invalid or malformed.") from None
    iss, sub, aud = claims.get("iss"), claims.get("sub"), common.audiences(claims)
    shown_aud = aud[0] if len(aud) == 1 else aud
    candidates = [f for f in app.get("federatedIdentityCredentials", [])
                  if f["issuer"] == iss and f["subject"] == sub]
    if not candidates:
        raise AadError(70021, "invalid_request",
                       "No matching federated identity record found for presented assertion. "
                       f"Assertion Issuer: '{iss}'. Assertion Subject: '{sub}'. "
                       f"Assertion Audience: '{shown_aud}'.")
    if not any(len(aud) == 1 and aud[0] in f.get("audiences", []) for f in candidates):
        raise AadError(700212, "invalid_request",
                       "No matching federated identity record found for presented assertion "
                       f"audience '{shown_aud}'.")
    try:
        keys = common.issuer_keys(iss)
        common.verify_signature(header, signing_input, signature, keys, ("RS256",))
    except common.IdpError as e:
        raise AadError(90061, "invalid_request",
                       f"Request to External OIDC endpoint failed. ({e.detail})") from None
    except common.JwtError as e:
        if e.kind == "alg":
            raise AadError(5002738, "invalid_request",
                           f"Invalid JWT token. '{header.get('alg')}' is not a supported "
                           "signature algorithm. Supported signing algorithms are: "
                           "'RS256'") from None
        raise AadError(700027, "invalid_client",
                       f"Client assertion failed signature validation. ({e.detail})",
                       status=401) from None
    try:
        exp, nbf = common.int_claim(claims, "exp"), common.int_claim(claims, "nbf")
    except ValueError:
        raise AadError(50027, "invalid_request", "JWT token is invalid or malformed.") from None
    if exp is None or now > exp + LEEWAY or (nbf is not None and now + LEEWAY < nbf):
        raise AadError(700024, "invalid_client",
                       f"Client assertion is not within its valid time range. Current time: "
                       f"{time.strftime('%Y-%m-%dT%H:%M:%S.0000000Z', time.gmtime(now))}, "
                       f"expiry time of assertion {exp}.", status=401)
    service_principal = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{tid}/{client_id}"))
    token_claims = {"aud": resource, "iss": f"https://sts.windows.net/{tid}/", "iat": now,
                    "nbf": now, "exp": now + LIFETIME, "appid": client_id, "appidacr": "2",
                    "idp": f"https://sts.windows.net/{tid}/", "oid": service_principal,
                    "sub": service_principal, "tid": tid, "ver": "1.0",
                    "roles": app.get("roles", [])}
    return {"token_type": "Bearer", "expires_in": LIFETIME, "ext_expires_in": LIFETIME,
            "access_token": common.sign_jwt(token_claims, KEY, "RS256", KID)}


class EntraHandler(common.Handler):
    def do_POST(self):
        m = TOKEN_PATH.match(urllib.parse.urlsplit(self.path).path)
        if not m:
            return self.send(404, {"error": "not_found"})
        try:
            return self.send(200, issue(m.group(1), self.form(), int(time.time())))
        except AadError as e:
            return self.send(e.status, e.body())

    def do_GET(self):
        m = KEYS_PATH.match(urllib.parse.urlsplit(self.path).path)
        if not m:
            return self.send(404, {"error": "not_found"})
        self.send(200, {"keys": [common.public_jwk(KEY, KID)]})


def main():
    global CONFIG
    args, CONFIG = common.load_config(__doc__.split("\n")[0])
    return common.serve(EntraHandler, args.port)


if __name__ == "__main__":
    common.main_guard(main)
