"""An unmodified boto3 fetching credentials from a container credentials endpoint.

Usage: edge_metadata_aws_client.py --uri http://127.0.0.1:PORT/aws/credentials
                                   (--token TOKEN | --token-file FILE)
Prints one JSON line: {"ok": true, "accessKeyId", "secretAccessKey", "token", "method",
"accountId"} or {"ok": false, "errorType", "message"}; exits 0 or 1 accordingly. Used by
edge_metadata_interop.py against edge_metadata_tool, and usable against a running `tessera edge`.
"""
import argparse
import json
import os
import sys

parser = argparse.ArgumentParser()
parser.add_argument("--uri", required=True, help="AWS_CONTAINER_CREDENTIALS_FULL_URI")
group = parser.add_mutually_exclusive_group(required=True)
group.add_argument("--token", help="AWS_CONTAINER_AUTHORIZATION_TOKEN")
group.add_argument("--token-file", help="AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")
args = parser.parse_args()

# Only the container provider may answer: no keys, profiles, web identity, SSO or EC2 IMDS, and
# no proxy between the SDK and the endpoint.
for name in list(os.environ):
    if name.startswith("AWS_") or name.lower() in ("http_proxy", "https_proxy", "all_proxy"):
        del os.environ[name]
os.environ.update({
    "AWS_CONTAINER_CREDENTIALS_FULL_URI": args.uri,
    "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true", "AWS_DEFAULT_REGION": "us-east-1",
    "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
})
if args.token is not None:
    os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = args.token
else:
    os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] = args.token_file

import boto3  # noqa: E402  (after the environment is set)

try:
    credentials = boto3.Session().get_credentials()
    if credentials is None:
        raise RuntimeError("boto3 found no credentials")
    frozen = credentials.get_frozen_credentials()
    print(json.dumps({"ok": True, "accessKeyId": frozen.access_key,
                      "secretAccessKey": frozen.secret_key, "token": frozen.token,
                      "method": credentials.method,
                      "accountId": getattr(frozen, "account_id", None)}))
except Exception as e:  # the test asserts on the SDK's own error type and message
    print(json.dumps({"ok": False, "errorType": type(e).__name__, "message": str(e)}))
    sys.exit(1)
