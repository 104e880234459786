"""An AWS STS front for moto that validates AssumeRoleWithWebIdentity the way AWS does.

moto's AssumeRoleWithWebIdentity never looks at the token (PROTOCOLS.md 1.7). This front answers
that action itself until the token has passed AWS's checks (PROTOCOLS.md 1.5), then forwards it
to moto for the credentials; every other request goes to moto untouched.

  1. iss selects an IAM OIDC provider registered in moto (CreateOpenIDConnectProvider), compared
     without the scheme as AWS stores it; none -> InvalidIdentityToken "No OpenIDConnect provider
     found in your account for <iss>".
  2. <iss>/.well-known/openid-configuration, its jwks_uri, the key by kid (first 100 keys), RS256
     only by default (--algorithms); unreachable or 5xx -> IDPCommunicationError, unusable
     documents, unknown kid or a bad signature -> InvalidIdentityToken.
  3. aud must be one of the provider's client ids -> InvalidIdentityToken "Incorrect token
     audience".
  4. exp (5 minutes of skew), nbf, iat (and a maximum token age with --max-token-age) ->
     ExpiredTokenException; sub must be present.
  5. The role's trust policy: Federated principal = the provider's ARN, Action
     sts:AssumeRoleWithWebIdentity, StringEquals/StringLike(/Not) conditions on <url>:aud and
     <url>:sub -> AccessDenied (HTTP 403); DurationSeconds above the role's MaxSessionDuration
     -> ValidationError.
Refusals are AWS's XML ErrorResponse with the real code. Successful answers get the
SubjectFromWebIdentityToken, Audience and Provider elements AWS adds and moto leaves out.

Usage: aws_sts_front.py (--moto-url URL | --start-moto) [--port N] [--sign-forwarded]
                        [--access-key-id ID --secret-access-key SECRET] [--region R] ...
Prints "PORT <n>" (and "MOTO <url>" when it started moto) and serves until SIGTERM.

Test code only; the hub never runs this.
"""
import argparse
import json
import os
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from xml.sax.saxutils import escape

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import standin_common as common  # noqa: E402

SESSION_NAME = re.compile(r"^[\w+=,.@-]{2,64}$")
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
ARGS = None


class StsError(Exception):
    def __init__(self, code, message, status=400, type_="Sender"):
        super().__init__(message)
        self.code, self.message, self.status, self.type = code, message, status, type_


def error_xml(e):
    return ('<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
            f"<Error><Type>{e.type}</Type><Code>{escape(e.code)}</Code>"
            f"<Message>{escape(e.message)}</Message></Error>"
            f"<RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>")


def iam_client():
    return boto3.client("iam", endpoint_url=ARGS.moto_url, region_name=ARGS.region,
                        aws_access_key_id=ARGS.access_key_id,
                        aws_secret_access_key=ARGS.secret_access_key)


def find_provider(iss):
    """(arn, url, client ids) of the IAM OIDC provider for this issuer, from moto's IAM."""
    parsed = urllib.parse.urlsplit(iss)
    wanted = parsed.netloc + parsed.path
    iam = iam_client()
    for entry in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]:
        provider = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=entry["Arn"])
        if provider["Url"] == wanted:
            return entry["Arn"], provider["Url"], provider.get("ClientIDList", [])
    raise StsError("InvalidIdentityToken",
                   f"No OpenIDConnect provider found in your account for {iss}")


def string_like(pattern, value):
    """IAM's StringLike: '*' any run of characters, '?' one character, case-sensitive."""
    if not isinstance(value, str):
        return False
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.DOTALL) is not None


def condition_holds(operator, key_values, context):
    op = operator.split(":")[-1]  # ForAnyValue:/ForAllValues: prefixes: any value decides
    for key, expected in key_values.items():
        expected = expected if isinstance(expected, list) else [expected]
        actual = context.get(key.lower())
        negated = op in ("StringNotEquals", "StringNotLike")
        if actual is None:
            if negated:
                continue
            return False
        actual = actual if isinstance(actual, list) else [actual]
        if op in ("StringEquals", "StringNotEquals"):
            match = any(a == e for a in actual for e in expected)
        elif op in ("StringLike", "StringNotLike"):
            match = any(string_like(e, a) for a in actual for e in expected)
        else:
            return False  # an operator this stand-in does not evaluate never grants
        if match == negated:
            return False
    return True


def trust_allows(policy, provider_arn, provider_url, claims):
    context = {f"{provider_url}:aud".lower(): common.audiences(claims),
               f"{provider_url}:sub".lower(): claims.get("sub")}
    statements = policy.get("Statement", [])
    statements = statements if isinstance(statements, list) else [statements]
    allowed = False
    for st in statements:
        actions = st.get("Action", [])
        actions = actions if isinstance(actions, list) else [actions]
        if not any(string_like(a, "sts:AssumeRoleWithWebIdentity") for a in actions):
            continue
        principal = st.get("Principal", {})
        federated = principal.get("Federated", []) if isinstance(principal, dict) else []
        federated = federated if isinstance(federated, list) else [federated]
        if provider_arn not in federated:
            continue
        if not all(condition_holds(op, kv, context) for op, kv in st.get("Condition", {}).items()):
            continue
        if st.get("Effect") == "Deny":
            return False
        allowed = allowed or st.get("Effect") == "Allow"
    return allowed


def validate(params, now):
    """Runs AWS's checks; returns the verified claims and the provider, or raises StsError."""
    token = params.get("WebIdentityToken", "")
    session = params.get("RoleSessionName", "")
    if not SESSION_NAME.match(session):
        raise StsError("ValidationError",
                       f"1 validation error detected: Value '{session}' at 'roleSessionName' "
                       "failed to satisfy constraint: Member must satisfy regular expression "
                       "pattern: [\\w+=,.@-]*")
    if not 4 <= len(token) <= 20000:
        raise StsError("ValidationError", "1 validation error detected: Value at "
                       "'webIdentityToken' failed to satisfy constraint: Member must have length "
                       "between 4 and 20000")
    duration = params.get("DurationSeconds")
    if duration is not None and (not duration.isdigit() or not 900 <= int(duration) <= 43200):
        raise StsError("ValidationError", f"1 validation error detected: Value '{duration}' at "
                       "'durationSeconds' failed to satisfy constraint: Member must have value "
                       "between 900 and 43200")
    try:
        header, claims, signing_input, signature = common.parse_jwt(token)
    except common.JwtError:
        raise StsError("InvalidIdentityToken", "The ID Token provided is not a valid JWT. "
                       "(You may see this error if you sent an Access Token)") from None
    iss = claims.get("iss")
    if not isinstance(iss, str):
        raise StsError("InvalidIdentityToken", "The token has no iss claim")
    provider_arn, provider_url, client_ids = find_provider(iss)
    keys_error = ("Couldn't retrieve verification key from your identity provider,  please "
                  "reference AssumeRoleWithWebIdentity documentation for requirements")
    try:
        keys = common.issuer_keys(iss)
    except common.IdpError as e:
        raise StsError("IDPCommunicationError" if e.unreachable else "InvalidIdentityToken",
                       keys_error) from None
    try:
        common.verify_signature(header, signing_input, signature, keys, ARGS.algorithms)
    except common.JwtError as e:
        if e.kind == "alg":
            raise StsError("InvalidIdentityToken",
                           f"Unsupported signing algorithm {header.get('alg')}") from None
        if e.kind == "kid":
            raise StsError("InvalidIdentityToken", keys_error) from None
        raise StsError("InvalidIdentityToken", "Signature validation failed") from None
    if not set(common.audiences(claims)) & set(client_ids):
        raise StsError("InvalidIdentityToken", "Incorrect token audience")
    try:
        exp, nbf, iat = (common.int_claim(claims, n) for n in ("exp", "nbf", "iat"))
    except ValueError:
        raise StsError("InvalidIdentityToken",
                       "Timestamps in the token must be formatted as an integer") from None
    if exp is None:
        raise StsError("InvalidIdentityToken", "The token has no exp claim")
    if now >= exp + ARGS.leeway:
        raise StsError("ExpiredTokenException", f"Token expired: current date/time {now} must "
                       f"be before the expiration date/time{exp}")
    if nbf is not None and now + ARGS.leeway < nbf:
        raise StsError("InvalidIdentityToken", f"Token is not yet valid (nbf {nbf})")
    if iat is not None and now + ARGS.leeway < iat:
        raise StsError("InvalidIdentityToken", f"Token was issued in the future (iat {iat})")
    if ARGS.max_token_age and iat is not None and now - iat > ARGS.max_token_age:
        raise StsError("ExpiredTokenException", f"Token too old: {now - iat}")
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise StsError("InvalidIdentityToken", "The token has no sub claim")

    role_arn = params.get("RoleArn", "")
    denied = StsError("AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity",
                      status=403)
    try:
        role = iam_client().get_role(RoleName=role_arn.split("/")[-1])["Role"]
    except Exception:  # noqa: BLE001 (no such role: AWS says AccessDenied, not NoSuchEntity)
        raise denied from None
    if role["Arn"] != role_arn:
        raise denied
    policy = role["AssumeRolePolicyDocument"]
    if isinstance(policy, str):
        policy = json.loads(urllib.parse.unquote(policy))
    if not trust_allows(policy, provider_arn, provider_url, claims):
        raise denied
    if duration is not None and int(duration) > role.get("MaxSessionDuration", 3600):
        raise StsError("ValidationError", "The requested DurationSeconds exceeds the "
                       "MaxSessionDuration set for this role.")
    return claims, iss


def forward(method, path, body, headers):
    request = urllib.request.Request(ARGS.moto_url.rstrip("/") + path, data=body or None,
                                     method=method, headers=headers)
    try:
        with OPENER.open(request, timeout=30) as r:
            return r.status, r.read(), r.headers.get("Content-Type", "text/xml")
    except urllib.error.HTTPError as e:
        return e.code, e.read(), e.headers.get("Content-Type", "text/xml")


def signed_headers(body):
    """AWS does not sign AssumeRoleWithWebIdentity, but moto run with
    INITIAL_NO_AUTH_ACTION_COUNT checks a SigV4 signature by one of its IAM users on every
    action, this one included. The harness, not the product, supplies that signature."""
    url = ARGS.moto_url.rstrip("/") + "/"
    request = AWSRequest(method="POST", url=url, data=body,
                         headers={"Content-Type": "application/x-www-form-urlencoded; "
                                                  "charset=utf-8"})
    SigV4Auth(Credentials(ARGS.access_key_id, ARGS.secret_access_key), "sts",
              ARGS.region).add_auth(request)
    return dict(request.headers.items())


def add_token_facts(xml, claims, iss):
    aud = common.audiences(claims)
    facts = (f"<SubjectFromWebIdentityToken>{escape(claims['sub'])}</SubjectFromWebIdentityToken>"
             f"<Audience>{escape(aud[0] if aud else '')}</Audience>"
             f"<Provider>{escape(iss)}</Provider>")
    return xml.replace("<AssumeRoleWithWebIdentityResult>",
                       "<AssumeRoleWithWebIdentityResult>" + facts, 1)


class FrontHandler(common.Handler):
    def do_POST(self):
        body = self.read_body()
        params = {k: v[0] for k, v in urllib.parse.parse_qs(body.decode("utf-8", "replace"),
                                                            keep_blank_values=True).items()}
        if params.get("Action") != "AssumeRoleWithWebIdentity":
            return self.pass_through(body)
        try:
            claims, iss = validate(params, int(time.time()))
        except StsError as e:
            return self.send(e.status, error_xml(e), "text/xml")
        headers = (signed_headers(body) if ARGS.sign_forwarded else
                   {"Content-Type": self.headers.get("Content-Type",
                                                     "application/x-www-form-urlencoded")})
        status, answer, content_type = forward("POST", "/", body, headers)
        if status == 200:
            answer = add_token_facts(answer.decode(), claims, iss).encode()
        self.send(status, answer, content_type)

    def do_GET(self):
        self.pass_through(b"")

    def pass_through(self, body):
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in ("content-length", "connection", "accept-encoding")}
        status, answer, content_type = forward(self.command, self.path, body, headers)
        self.send(status, answer, content_type)


def main():
    global ARGS
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=0)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--moto-url")
    source.add_argument("--start-moto", action="store_true")
    parser.add_argument("--access-key-id", default=os.environ.get("MOTO_ACCESS_KEY_ID", "testing"))
    parser.add_argument("--secret-access-key",
                        default=os.environ.get("MOTO_SECRET_ACCESS_KEY", "testing"))
    parser.add_argument("--sign-forwarded", action="store_true",
                        help="sign forwarded calls (moto run with INITIAL_NO_AUTH_ACTION_COUNT)")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--leeway", type=int, default=300, help="seconds of skew past exp")
    parser.add_argument("--max-token-age", type=int, default=0, help="refuse older iat (0: off)")
    parser.add_argument("--algorithms", nargs="+", default=["RS256"])
    ARGS = parser.parse_args()
    moto = None
    announce = []
    if ARGS.start_moto:
        moto = common.Moto()
        ARGS.moto_url = moto.url
        announce.append(f"MOTO {ARGS.moto_url}")
    try:
        return common.serve(FrontHandler, ARGS.port, announce)
    finally:
        if moto is not None:
            moto.stop()


if __name__ == "__main__":
    common.main_guard(main)
