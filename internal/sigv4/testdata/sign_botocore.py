"""Signs a batch of requests with botocore, for sigv4's differential tests.

Reads a JSON list of requests on stdin and writes a JSON list of
{"id", "target", "host", "headers"} on stdout: the request target and the header
lines (in order, repeats kept) a client would send. Header form uses
botocore.auth.SigV4Auth, presigned form SigV4QueryAuth; the signing time is
the request's "time" (botocore's clock is patched).
"""
import base64
import datetime
import json
import sys
from unittest import mock
from urllib.parse import urlsplit

import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def sign(r):
    t = datetime.datetime.strptime(r["time"], "%Y-%m-%dT%H:%M:%SZ")
    url = "http://" + r["host"] + r["path"]
    if r["raw_query"]:
        url += "?" + r["raw_query"]
    body = base64.b64decode(r["body"] or "")
    req = AWSRequest(method=r["method"], url=url, data=body)
    for k, v in r["headers"] or []:
        req.headers[k] = v  # HTTPHeaders appends: repeats are kept in order
    creds = Credentials(r["akid"], r["secret"], r["token"] or None)
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=t):
        if r["presign"]:
            botocore.auth.SigV4QueryAuth(creds, r["service"], r["region"], expires=r["expires"]).add_auth(req)
        else:
            botocore.auth.SigV4Auth(creds, r["service"], r["region"]).add_auth(req)
    parts = urlsplit(req.url)
    target = parts.path + ("?" + parts.query if parts.query else "")
    return {
        "id": r["id"],
        "target": target,
        # botocore signs the host it derives from the URL (lower-cased, default
        # port removed); a client sends that same value.
        "host": botocore.auth._host_from_url(req.url),
        "headers": [[k, v] for k, v in req.headers.items()],
    }


def main():
    out = []
    for r in json.load(sys.stdin):
        try:
            out.append(sign(r))
        except Exception as e:  # report, don't abort the batch
            out.append({"id": r["id"], "error": repr(e)})
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
