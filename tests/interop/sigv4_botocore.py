#!/usr/bin/env python3
"""Tessera's SigV4 signer agrees with botocore on generated requests.

Generates requests (seeded, so a failure reproduces): every HTTP method, S3 and other services,
paths with spaces, UTF-8, percent-escapes, dot segments and repeated slashes, canonical queries
with repeated and empty parameters, headers in any case with folded whitespace and repeats,
bodies, with and without a session token; signs each with botocore's SigV4Auth / S3SigV4Auth
(Authorization header) and SigV4QueryAuth / S3SigV4QueryAuth (presigned), at a fixed time, and
with SIGV4_TOOL (Tessera's signer). Signatures and signed header lists must be equal.
Environment: SIGV4_TOOL (the tool), SIGV4_CASES (default 400), SIGV4_SEED (default 4).
"""
import datetime
import json
import os
import random
import subprocess
import sys
import unittest
from unittest import mock

import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

TOOL = os.environ["SIGV4_TOOL"]
CASES = int(os.environ.get("SIGV4_CASES", "400"))
SEED = int(os.environ.get("SIGV4_SEED", "4"))
TIME = 1796061600  # 2026-11-30T18:00:00Z
UNRESERVED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~"


def encoded(rng, n):
    """A canonical query component: unreserved characters and uppercase %XX escapes."""
    out = []
    for _ in range(n):
        if rng.random() < 0.2:
            # Escapes of whole UTF-8 characters (botocore's presigner decodes them as UTF-8).
            char = rng.choice(" !\"#$%&'()*+,/:;=?@[]^`{|}\u00e9\u1234")
            out.append("".join("%%%02X" % b for b in char.encode()))
        else:
            out.append(rng.choice(UNRESERVED))
    return "".join(out)


def path_segment(rng, s3):
    choices = ["a", "key", "Zz9", "x-y_z.~", "caf\u00e9", "\u1234", "sp ace", "%20", "%2F", "+", "=",
               "@", "!"]
    if not s3:
        choices += [".", "..", ""]
    seg = "".join(rng.choice(choices) for _ in range(rng.randint(1, 3)))
    if s3:
        # S3 paths are sent encoded; botocore and Tessera sign them as sent.
        seg = "".join(c if c in UNRESERVED or c == "%" else "%%%02X" % b
                      for c in seg for b in c.encode())
    return seg


def generate(rng, index):
    s3 = rng.random() < 0.4
    service = "s3" if s3 else rng.choice(["sts", "execute-api", "dynamodb", "bedrock"])
    method = rng.choice(["GET", "PUT", "POST", "DELETE", "HEAD"])
    path = "/" + "/".join(path_segment(rng, s3) for _ in range(rng.randint(0, 4)))
    if rng.random() < 0.3:
        path += "/"
    query_mode = rng.random() < 0.35
    params = []
    names = set()
    for _ in range(rng.randint(0, 4)):
        name = encoded(rng, rng.randint(1, 6))
        if query_mode and name in names:
            continue  # botocore's presigner keeps one value per name
        names.add(name)
        if rng.random() < 0.15:
            params.append(name + "=")
        else:
            params.append(name + "=" + encoded(rng, rng.randint(0, 8)))
        if not query_mode and rng.random() < 0.2:
            params.append(name + "=" + encoded(rng, 3))  # repeated name
    query = "&".join(params)
    host = "svc%d.us-west-2.amazonaws.com" % index
    headers = [("Host", host)]
    for _ in range(rng.randint(0, 4)):
        name = rng.choice(["X-Amz-Meta-Color", "x-custom-trace", "Content-Type", "X-Amz-Target",
                           "My-Header", "User-Agent", "Accept"])
        value = rng.choice(["  leading", "trailing  ", "in   between", "a\tb", "plain",
                            "application/json", "\"quoted   value\"", "v1,v2"])
        headers.append((name, value))
    body = ""
    if method in ("PUT", "POST") and not query_mode and rng.random() < 0.7:
        body = "".join(rng.choice(UNRESERVED + " {}:\"\n") for _ in range(rng.randint(1, 200)))
    token = ("FwoGZXIvYXdzE" + "".join(rng.choice(UNRESERVED + "/+=") for _ in range(60))
             if rng.random() < 0.5 else "")
    return {
        "mode": "query" if query_mode else "header",
        "method": method,
        "path": path,
        "query": query,
        "headers": headers,
        "body": body,
        "region": rng.choice(["us-east-1", "eu-central-1", "ap-southeast-2"]),
        "service": service,
        "time": TIME,
        "accessKeyId": "ASIA" + "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
                                        for _ in range(16)),
        "secretAccessKey": "".join(rng.choice(UNRESERVED + "/+") for _ in range(40)),
        "sessionToken": token,
        "s3": s3,
        "expires": rng.choice([60, 900, 3600, 604800]),
    }


def botocore_sign(case):
    """(signature, signed headers) as botocore computes them."""
    url = "http://" + case["headers"][0][1] + case["path"]
    if case["query"]:
        url += "?" + case["query"]
    request = AWSRequest(method=case["method"], url=url, data=case["body"].encode() or None)
    for name, value in case["headers"]:
        request.headers.add_header(name, value) if hasattr(request.headers, "add_header") \
            else request.headers.__setitem__(name, value)
    credentials = Credentials(case["accessKeyId"], case["secretAccessKey"],
                              case["sessionToken"] or None)
    s3 = case["s3"]
    now = datetime.datetime.fromtimestamp(case["time"], datetime.timezone.utc).replace(tzinfo=None)
    with mock.patch("botocore.auth.get_current_datetime", return_value=now):
        if case["mode"] == "header":
            cls = botocore.auth.S3SigV4Auth if s3 else botocore.auth.SigV4Auth
            cls(credentials, case["service"], case["region"]).add_auth(request)
            auth = request.headers["Authorization"]
            signed = auth.split("SignedHeaders=")[1].split(",")[0]
            return auth.split("Signature=")[1], signed
        cls = botocore.auth.S3SigV4QueryAuth if s3 else botocore.auth.SigV4QueryAuth
        cls(credentials, case["service"], case["region"], expires=case["expires"]).add_auth(request)
        query = request.url.split("?", 1)[1]
        fields = dict(p.split("=", 1) for p in query.split("&") if p.startswith("X-Amz-"))
        return fields["X-Amz-Signature"], fields["X-Amz-SignedHeaders"].replace("%3B", ";")


class SigV4AgreesWithBotocore(unittest.TestCase):
    def test_generated_requests(self):
        rng = random.Random(SEED)
        cases = [generate(rng, i) for i in range(CASES)]
        proc = subprocess.run([TOOL], input="".join(json.dumps(c) + "\n" for c in cases),
                              capture_output=True, text=True, check=True)
        ours = [json.loads(line) for line in proc.stdout.splitlines()]
        self.assertEqual(len(ours), len(cases))
        modes = {"header": 0, "query": 0}
        for case, mine in zip(cases, ours):
            with self.subTest(case=json.dumps(case)):
                self.assertNotIn("error", mine)
                signature, signed_headers = botocore_sign(case)
                self.assertEqual(mine["signedHeaders"], signed_headers)
                self.assertEqual(mine["signature"], signature,
                                 "canonical request:\n" + mine["canonicalRequest"])
                modes[case["mode"]] += 1
        # Both modes and both path rules were exercised.
        self.assertGreater(modes["header"], CASES // 3)
        self.assertGreater(modes["query"], CASES // 5)
        self.assertTrue(any(c["s3"] for c in cases) and not all(c["s3"] for c in cases))


if __name__ == "__main__":
    unittest.main(verbosity=1)
