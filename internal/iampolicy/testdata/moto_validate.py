"""Grammar oracle for the validation tests: runs moto's IAM policy validators
(Apache-2.0; they reproduce AWS's MalformedPolicyDocument texts) on documents
read as JSON lines {"id", "kind", "doc"} from stdin, and writes
{"id", "message"} lines ("" when the document is valid)."""
import json
import sys

from moto.iam.exceptions import MalformedPolicyDocument
from moto.iam.policy_validation import (IAMPolicyDocumentValidator,
                                        IAMTrustPolicyDocumentValidator)

for line in sys.stdin:
    if not line.strip():
        continue
    case = json.loads(line)
    validator = IAMTrustPolicyDocumentValidator if case["kind"] == "trust" else IAMPolicyDocumentValidator
    try:
        validator(case["doc"]).validate()
        message = ""
    except MalformedPolicyDocument as e:
        message = e.message
    except Exception as e:  # moto crashes on a few inputs; report, don't hide
        message = "exception: %s: %s" % (type(e).__name__, e)
    print(json.dumps({"id": case["id"], "message": message}))
