"""fnurl's Python runtime interface client.

Speaks the Lambda Runtime API at AWS_LAMBDA_RUNTIME_API over one
keep-alive connection and runs the handler named by _HANDLER
("lambda_function.lambda_handler", "pkg/mod.fn" or "pkg.mod.fn").
"""

import http.client
import importlib
import json
import os
import sys
import time
import traceback

API = os.environ["AWS_LAMBDA_RUNTIME_API"]
BASE = "/2018-06-01/runtime"


class Conn:
    def __init__(self):
        self.c = None

    def request(self, method, path, body=None, headers=None):
        for attempt in range(2):
            if self.c is None:
                self.c = http.client.HTTPConnection(API)
            try:
                self.c.request(method, BASE + path, body=body, headers=headers or {})
                r = self.c.getresponse()
                return r.status, r.headers, r.read()
            except (http.client.HTTPException, ConnectionError):
                self.c.close()
                self.c = None
                if attempt == 1:
                    raise


conn = Conn()


class LambdaContext:
    def __init__(self, headers):
        self.aws_request_id = headers.get("Lambda-Runtime-Aws-Request-Id")
        self.invoked_function_arn = headers.get("Lambda-Runtime-Invoked-Function-Arn")
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self._deadline_ms = int(headers.get("Lambda-Runtime-Deadline-Ms") or 0)
        self.client_context = None
        self.identity = None
        cc = headers.get("Lambda-Runtime-Client-Context")
        if cc:
            try:
                self.client_context = json.loads(cc)
            except ValueError:
                pass
        ci = headers.get("Lambda-Runtime-Cognito-Identity")
        if ci:
            try:
                self.identity = json.loads(ci)
            except ValueError:
                pass

    def get_remaining_time_in_millis(self):
        return max(0, self._deadline_ms - int(time.time() * 1000))


def error_body(exc, request_id=None):
    tb = traceback.extract_tb(exc.__traceback__)
    body = {
        "errorMessage": str(exc),
        "errorType": type(exc).__name__,
        "stackTrace": traceback.format_list(tb),
    }
    if request_id:
        body["requestId"] = request_id
    return body


def post_error(path, body, error_type):
    conn.request(
        "POST",
        path,
        body=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Lambda-Runtime-Function-Error-Type": error_type},
    )


def init_error(error_type, message, exc=None):
    body = {"errorMessage": message, "errorType": error_type, "requestId": "", "stackTrace": []}
    if exc is not None and error_type == "Runtime.UserCodeSyntaxError":
        body["stackTrace"] = traceback.format_exception_only(type(exc), exc)
    print("[ERROR] %s: %s" % (error_type, message), flush=True)
    post_error("/init/error", body, error_type)
    sys.exit(1)


def load_handler():
    handler = os.environ.get("_HANDLER", "")
    root = os.environ.get("LAMBDA_TASK_ROOT", os.getcwd())
    if root not in sys.path:
        sys.path.insert(0, root)
    try:
        mod_path, fn_name = handler.rsplit(".", 1)
    except ValueError:
        init_error("Runtime.MalformedHandlerName", "Bad handler '%s': not enough values to unpack (expected 2, got 1)" % handler)
    mod_name = mod_path.replace("/", ".")
    try:
        mod = importlib.import_module(mod_name)
    except ImportError as e:
        init_error("Runtime.ImportModuleError", "Unable to import module '%s': %s" % (mod_path, e), e)
    except SyntaxError as e:
        init_error("Runtime.UserCodeSyntaxError", "Syntax error in module '%s': %s" % (mod_path, e), e)
    except Exception as e:  # noqa: BLE001 - any failure of the module's own code
        init_error(type(e).__name__, "%s" % e, e)
    fn = getattr(mod, fn_name, None)
    if fn is None:
        init_error("Runtime.HandlerNotFound", "Handler '%s' missing on module '%s'" % (fn_name, mod_path))
    return fn


def main():
    handler = load_handler()
    while True:
        status, headers, body = conn.request("GET", "/invocation/next")
        if status != 200:
            time.sleep(0.01)
            continue
        request_id = headers.get("Lambda-Runtime-Aws-Request-Id")
        trace = headers.get("Lambda-Runtime-Trace-Id")
        if trace:
            os.environ["_X_AMZN_TRACE_ID"] = trace
        else:
            os.environ.pop("_X_AMZN_TRACE_ID", None)
        ctx = LambdaContext(headers)
        try:
            event = json.loads(body) if body else None
        except ValueError as e:
            post_error("/invocation/%s/error" % request_id,
                       {"errorMessage": "Unable to unmarshal input: %s" % e, "errorType": "Runtime.UnmarshalError",
                        "requestId": request_id, "stackTrace": []}, "Runtime.UnmarshalError")
            continue
        try:
            result = handler(event, ctx)
            payload = json.dumps(result).encode()
        except Exception as e:  # noqa: BLE001 - reported to the invoker
            b = error_body(e, request_id)
            print("[ERROR] %s: %s\nTraceback (most recent call last):\n%s" % (
                b["errorType"], b["errorMessage"], "".join(b["stackTrace"])), flush=True)
            post_error("/invocation/%s/error" % request_id, b, b["errorType"])
            continue
        conn.request("POST", "/invocation/%s/response" % request_id, body=payload,
                     headers={"Content-Type": "application/json"})


if __name__ == "__main__":
    main()
