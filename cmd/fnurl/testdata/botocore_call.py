"""Calls a URL signed by botocore's SigV4Auth and prints the status and body.

Usage: botocore_call.py METHOD URL REGION [BODY]
Credentials: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN.
"""
import json
import os
import sys
import urllib.error
import urllib.request

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

method, url, region = sys.argv[1:4]
body = sys.argv[4].encode() if len(sys.argv) > 4 else b""
creds = Credentials(os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"], os.environ.get("AWS_SESSION_TOKEN") or None)
headers = {"Content-Type": "application/json"} if body else {}
req = AWSRequest(method=method, url=url, data=body, headers=headers)
SigV4Auth(creds, "lambda", region).add_auth(req)
prepared = req.prepare()
r = urllib.request.Request(prepared.url, data=body or None, method=method, headers=dict(prepared.headers))
try:
    with urllib.request.urlopen(r) as resp:
        print(json.dumps({"status": resp.status, "body": resp.read().decode()}))
except urllib.error.HTTPError as e:
    print(json.dumps({"status": e.code, "body": e.read().decode()}))
